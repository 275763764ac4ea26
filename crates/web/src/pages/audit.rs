//! The audit log, filtered by actor, action and target, with actions in words.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uplift_app::store::AuditQuery;
use uplift_app::{access, settings};
use uplift_domain::Lang;
use uplift_domain::access::Role;

use super::layout::{Chrome, chrome, page};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::WebError;
use crate::format::datetime;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    actor: String,
    action: String,
    target: String,
    rows: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct AuditFilter {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
}

async fn audit_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<AuditFilter>,
) -> Result<Response, WebError> {
    let nonempty = |o: &Option<String>| o.clone().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let query = AuditQuery {
        actor: nonempty(&q.actor),
        action: nonempty(&q.action),
        target: nonempty(&q.target),
        limit: 500,
        ..Default::default()
    };
    let rows = access::search_audit(&s.store, &c.principal, &query).await?;
    let l = c.lang;
    let tz = settings::company_tz(&s.store).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            vec![
                datetime(r.ts, tz),
                r.actor,
                r.role
                    .as_deref()
                    .and_then(Role::parse)
                    .map(|x| l.pick(x.label_zh(), x.label_en()).to_string())
                    .or(r.role)
                    .unwrap_or_default(),
                action_label(&r.action, l),
                r.target.unwrap_or_default(),
                r.detail.unwrap_or_default(),
                r.ip.unwrap_or_default(),
            ]
        })
        .collect();
    let t = AuditPage {
        c: chrome(&c, "audit", &uri.to_string()),
        actor: q.actor.unwrap_or_default(),
        action: q.action.unwrap_or_default(),
        target: q.target.unwrap_or_default(),
        rows,
    };
    page(t, &c, has_lang_param(&uri))
}

/// Audit actions in words.
fn action_label(action: &str, l: Lang) -> String {
    let zh = match action {
        "signin" => "登录",
        "signin.failed" => "登录失败",
        "signout" => "退出",
        "read.appraisal" => "查看考核结果",
        "export.team" => "导出团队表",
        "import" => "导入",
        "user.add" => "新增用户",
        "user.passwd" => "修改密码",
        "user.disable" => "停用用户",
        "user.enable" => "启用用户",
        "token.create" => "创建令牌",
        "token.revoke" => "吊销令牌",
        "settings.currency" => "修改币种",
        "settings.timezone" => "修改时区",
        _ => return action.to_string(),
    };
    match l {
        Lang::Zh => format!("{zh}（{action}）"),
        Lang::En => action.to_string(),
    }
}
