//! Imports over the API: their history, one import, and uploading a file to import (or dry-run).

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uplift_app::import::ImportReport;
use uplift_app::import_history;
use uplift_app::store::ImportHistory;
use uplift_domain::Lang;
use utoipa::{IntoParams, ToSchema};

use super::params::{ApiResult, P, Q};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::{AppState, uploads};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/imports", get(list_imports).post(create_import))
        .route("/api/v1/imports/{id}", get(get_import))
}

/// A past import.
#[derive(Serialize, ToSchema)]
pub struct ImportEntry {
    id: i64,
    kind: String,
    file_name: String,
    started_ts: i64,
    finished_ts: Option<i64>,
    /// `committed`, `rejected` or `rolled_back`.
    status: String,
    rows_read: i64,
    inserted: i64,
    updated: i64,
    rejected: i64,
    /// Problems found (`file:line:column: reason`) and unknown columns.
    report: serde_json::Value,
}

impl From<ImportHistory> for ImportEntry {
    fn from(h: ImportHistory) -> Self {
        ImportEntry {
            id: h.id,
            kind: h.kind,
            file_name: h.file_name,
            started_ts: h.started_ts,
            finished_ts: h.finished_ts,
            status: h.status,
            rows_read: h.rows_read,
            inserted: h.inserted,
            updated: h.updated,
            rejected: h.rejected,
            report: serde_json::from_str(&h.report).unwrap_or(serde_json::Value::Null),
        }
    }
}

fn require_import(c: &Caller) -> Result<(), ApiError> {
    if c.principal.role.may_import() {
        Ok(())
    } else {
        Err(ApiError(Failure::Forbidden))
    }
}

#[utoipa::path(get, path = "/api/v1/imports", responses((status = 200, body = Vec<ImportEntry>), (status = 403, body = ErrorBody)))]
async fn list_imports(State(s): State<AppState>, c: Caller) -> ApiResult<Vec<ImportEntry>> {
    let h = import_history::recent(&s.store, &c.principal, 100).await?;
    Ok(Json(h.into_iter().map(ImportEntry::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/imports/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ImportEntry), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_import(State(s): State<AppState>, c: Caller, P(id): P<i64>) -> ApiResult<ImportEntry> {
    Ok(Json(import_history::by_id(&s.store, &c.principal, id).await?.into()))
}

/// What an import (or a dry run) did with each file.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    committed: bool,
    dry_run: bool,
    files: Vec<ImportFileResult>,
    /// Months (`YYYYMM`) whose metrics were recomputed.
    recomputed_months: Vec<i32>,
    /// Employee numbers whose draft commission rose with this import (each was told).
    commission_updated: Vec<String>,
    /// Why the commission drafts could not be updated (the import itself is committed).
    commission_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportFileResult {
    file: String,
    kind: String,
    rows_read: u64,
    inserted: u64,
    updated: u64,
    rejected: u64,
    /// `file:line:column: reason`, at most 1,000.
    issues: Vec<String>,
    issue_count: u64,
    unknown_columns: Vec<String>,
}

fn import_result(r: &ImportReport, dry_run: bool, lang: Lang) -> ImportResult {
    ImportResult {
        committed: r.committed,
        dry_run,
        files: r
            .files
            .iter()
            .map(|f| ImportFileResult {
                file: f.file.clone(),
                kind: f.kind.as_str().into(),
                rows_read: f.rows_read,
                inserted: f.inserted,
                updated: f.updated,
                rejected: f.rejected,
                issues: f.issues.iter().map(|i| i.render(lang)).collect(),
                issue_count: f.issue_count,
                unknown_columns: f.unknown_columns.clone(),
            })
            .collect(),
        recomputed_months: r.recomputed_months.clone(),
        commission_updated: r.commission_moved.iter().map(|m| m.employee_no.clone()).collect(),
        commission_error: r.commission_error.clone(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// What the file holds: `user`, `lead`, `opportunity`, `task`, `event`, `roster`, `target`, …
    kind: String,
    /// Check every row and report what would happen, writing nothing.
    dry_run: Option<bool>,
}

/// Upload a CSV or XLSX file (multipart field `file`, optional `mapping` TOML) and import it in one
/// transaction. 200 when committed (or a clean dry run), 422 with every problem when rejected.
#[utoipa::path(post, path = "/api/v1/imports", params(ImportQuery),
    request_body(content_type = "multipart/form-data", description = "fields: file (CSV/XLSX), mapping (TOML, optional)"),
    responses((status = 200, body = ImportResult), (status = 422, body = ImportResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_import(
    State(s): State<AppState>,
    c: Caller,
    headers: HeaderMap,
    Q(q): Q<ImportQuery>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let multipart = multipart.map_err(|e| ApiError(Failure::bad(e.body_text(), "file")))?;
    require_import(&c)?;
    // With a session cookie (the browser), a change needs the CSRF header; tokens need none.
    c.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    let lang = Lang::En;
    let mut form = uploads::read_form(multipart, lang).await?;
    form.kind = Some(q.kind.clone());
    let staged = uploads::stage(&s, &form, &c.principal.actor, lang)?;
    let dry_run = q.dry_run.unwrap_or(false);
    let report = if dry_run {
        let r = uploads::check(&s, &staged, lang).await;
        let _ = std::fs::remove_dir_all(&staged.dir);
        r?
    } else {
        let r = uploads::commit(&s, &staged, &c, lang).await;
        let _ = std::fs::remove_dir_all(&staged.dir);
        r?
    };
    let ok = report.total_issues() == 0 && (dry_run || report.committed);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(import_result(&report, dry_run, lang))).into_response())
}
