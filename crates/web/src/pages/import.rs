//! Importing files in the browser: the upload form with the import history, the preview of a staged
//! file, and its commit.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uplift_app::settings;
use uplift_domain::Lang;
use uplift_domain::records::ImportKind;

use super::layout::{Chrome, chrome, page};
use crate::auth::{Caller, has_lang_param};
use crate::error::WebError;
use crate::format::datetime;
use crate::{AppState, uploads};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/import", get(import_page))
        .route("/import/preview", post(import_preview))
        .route("/import/commit", post(import_commit))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    kinds: Vec<(&'static str, String)>,
    history: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct ImportPreview {
    c: Chrome,
    file: String,
    summary: String,
    issues: Vec<String>,
    warnings: Vec<String>,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    ok: bool,
    upload: String,
}

async fn import_page(State(s): State<AppState>, c: Caller, uri: axum::http::Uri) -> Result<Response, WebError> {
    let imports = uplift_app::import_history::recent(&s.store, &c.principal, 50).await?;
    let l = c.lang;
    let tz = settings::company_tz(&s.store).await?;
    let history = imports
        .into_iter()
        .map(|h| {
            vec![
                datetime(h.started_ts, tz),
                match (l, ImportKind::parse(&h.kind)) {
                    (Lang::Zh, Some(k)) => k.label_zh().to_string(),
                    _ => h.kind,
                },
                h.file_name,
                status_label(&h.status, l).to_string(),
                h.rows_read.to_string(),
                h.inserted.to_string(),
                h.updated.to_string(),
                h.rejected.to_string(),
            ]
        })
        .collect();
    let kinds = ImportKind::ALL
        .iter()
        .map(|k| {
            let label = match l {
                Lang::Zh => format!("{}（{}）", k.label_zh(), k.as_str()),
                Lang::En => k.as_str().to_string(),
            };
            (k.as_str(), label)
        })
        .collect();
    let t = ImportPage {
        c: chrome(&c, "import", &uri.to_string()),
        kinds,
        history,
    };
    page(t, &c, has_lang_param(&uri))
}

fn status_label(status: &str, l: Lang) -> &str {
    match status {
        "committed" => l.pick("已导入", "committed"),
        "rejected" => l.pick("有错误，未写入", "rejected"),
        "rolled_back" => l.pick("已回滚", "rolled back"),
        other => other,
    }
}

async fn import_preview(State(s): State<AppState>, c: Caller, multipart: Multipart) -> Result<Response, WebError> {
    let l = c.lang;
    c.principal.require(c.principal.role.may_import())?;
    let form = uploads::read_form(multipart, l)
        .await
        .map_err(|f| WebError::new(f, l))?;
    c.check_csrf(form.csrf.as_deref()).map_err(|f| WebError::new(f, l))?;
    let staged = uploads::stage(&s, &form, &c.principal.actor, l).map_err(|f| WebError::new(f, l))?;
    let report = uploads::check(&s, &staged, l).await.map_err(|f| WebError::new(f, l))?;
    let t = preview_view(&c, &staged, &report);
    page(t, &c, false)
}

fn preview_view(c: &Caller, staged: &uploads::Staged, report: &uplift_app::import::ImportReport) -> ImportPreview {
    let l = c.lang;
    let f = report.files.first();
    let issues = report.issue_lines(l);
    let ok = report.total_issues() == 0 && f.is_some();
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    if let Some(f) = f {
        for rec in &f.preview {
            // Records serialise as {"Kind": {field: value}}: the inner object is the row.
            let obj = rec
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(|v| v.as_object());
            if let Some(obj) = obj {
                if columns.is_empty() {
                    // Extra roster columns travel in `attributes`; leave it out when there are none.
                    columns = obj
                        .iter()
                        .filter(|(k, v)| *k != "attributes" || v.as_object().is_some_and(|o| !o.is_empty()))
                        .map(|(k, _)| k.clone())
                        .collect();
                }
                rows.push(
                    columns
                        .iter()
                        .map(|k| match obj.get(k) {
                            None | Some(serde_json::Value::Null) => String::new(),
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(v) => v.to_string(),
                        })
                        .collect(),
                );
            }
        }
    }
    let summary = match f {
        Some(f) => format!(
            "{}: {} · {} {} · {} {} · {} {} · {} {}",
            l.pick("编码", "encoding"),
            f.encoding.clone().unwrap_or_else(|| {
                if staged.file_name.to_ascii_lowercase().ends_with(".xlsx") {
                    "XLSX".into()
                } else {
                    "—".into()
                }
            }),
            l.pick("读取行数", "rows read"),
            f.rows_read,
            l.pick("将新增", "would insert"),
            f.inserted,
            l.pick("将更新", "would update"),
            f.updated,
            l.pick("问题", "problems"),
            f.issue_count
        ),
        None => String::new(),
    };
    let mut warnings = f.map(|f| f.warnings.clone()).unwrap_or_default();
    if let Some(f) = f
        && !f.unknown_columns.is_empty()
    {
        warnings.push(format!(
            "{}: {}",
            l.pick("未识别的列（将忽略）", "unrecognised columns (ignored)"),
            f.unknown_columns.join(", ")
        ));
    }
    ImportPreview {
        c: chrome(c, "import", "/import"),
        file: staged.file_name.clone(),
        summary,
        issues,
        warnings,
        columns,
        rows,
        ok,
        upload: staged.id.clone(),
    }
}

#[derive(Deserialize)]
struct CommitForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    upload: String,
}

async fn import_commit(State(s): State<AppState>, c: Caller, Form(f): Form<CommitForm>) -> Result<Response, WebError> {
    let l = c.lang;
    c.principal.require(c.principal.role.may_import())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|f| WebError::new(f, l))?;
    let staged = uploads::load(&s, &f.upload, &c.principal.actor, l).map_err(|f| WebError::new(f, l))?;
    let report = uploads::commit(&s, &staged, &c, l)
        .await
        .map_err(|f| WebError::new(f, l))?;
    let file = report.files.first();
    let msg = if report.committed {
        let commission = match (&report.commission_error, report.commission_moved.len()) {
            (Some(e), _) => format!(
                "\n{} {e}",
                l.pick("提成草稿未能更新：", "Commission drafts were not updated:")
            ),
            (None, 0) => String::new(),
            (None, n) => format!(
                " · {} {n}",
                l.pick(
                    "提成草稿已更新（业绩增加人数）",
                    "commission drafts updated (people whose credit rose)"
                )
            ),
        };
        format!(
            "{} {}: {} {} · {} {} · {} {}{commission}",
            l.pick("已导入", "Imported"),
            staged.file_name,
            l.pick("新增", "inserted"),
            file.map(|f| f.inserted).unwrap_or(0),
            l.pick("更新", "updated"),
            file.map(|f| f.updated).unwrap_or(0),
            l.pick("重算月份", "months recomputed"),
            report.recomputed_months.len()
        )
    } else {
        report.issue_lines(l).join("\n")
    };
    let body = format!(
        "<div class=\"panel\" id=\"commit-result\"><p class=\"{}\">{}</p><p><a href=\"/import\">{}</a></p></div>",
        if report.committed { "notice" } else { "error" },
        crate::format::escape(&msg),
        l.pick("继续导入", "Import another file")
    );
    Ok(Html(body).into_response())
}
