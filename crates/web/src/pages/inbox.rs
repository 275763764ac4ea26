//! The inbox: the caller's messages, marking them read, and notification preferences.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uplift_app::access::Principal;

use super::layout::{Chrome, chrome, err, page};
use crate::AppState;
use crate::auth::Caller;
use crate::error::WebError;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/read", post(inbox_read))
        .route("/inbox/prefs", post(inbox_prefs))
}

struct InboxRow {
    id: i64,
    title: String,
    body: String,
    link: Option<String>,
    when: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<InboxRow>,
    unread: usize,
    email: bool,
    digest_only: bool,
}

/// The caller's messages: addressed to their employee number, or to their user name.
fn recipient(p: &Principal) -> String {
    // Accounts without an employee get `user:`-prefixed messages, never another person's.
    p.employee_no.clone().unwrap_or_else(|| format!("user:{}", p.actor))
}

async fn inbox_page(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    let tz = uplift_app::settings::company_tz(&s.store).await.map_err(err(&c))?;
    let list = s
        .store
        .inbox(&recipient(&c.principal), 200)
        .await
        .map_err(|e| err(&c)(e.into()))?;
    let rows: Vec<InboxRow> = list
        .into_iter()
        .map(|n| InboxRow {
            id: n.id,
            unread: n.status == "unread",
            title: n.title,
            body: n.body,
            link: n.link,
            when: chrono::DateTime::from_timestamp(n.created_ts, 0)
                .unwrap_or_default()
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        })
        .collect();
    let (email, digest_only) = s
        .store
        .notification_prefs(&recipient(&c.principal))
        .await
        .map_err(|e| err(&c)(e.into()))?;
    let t = InboxPage {
        c: chrome(&c, "inbox", "/inbox"),
        unread: rows.iter().filter(|r| r.unread).count(),
        rows,
        email,
        digest_only,
    };
    page(t, &c, false)
}

#[derive(Deserialize)]
struct ReadForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    id: Option<i64>,
}

async fn inbox_read(State(s): State<AppState>, c: Caller, Form(f): Form<ReadForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    s.store
        .mark_read(&recipient(&c.principal), f.id)
        .await
        .map_err(|e| err(&c)(e.into()))?;
    Ok(Redirect::to("/inbox").into_response())
}

#[derive(Deserialize)]
struct PrefsForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    email: Option<String>,
    digest_only: Option<String>,
}

async fn inbox_prefs(State(s): State<AppState>, c: Caller, Form(f): Form<PrefsForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let who = recipient(&c.principal);
    s.store
        .set_notification_prefs(&who, f.email.is_some(), f.digest_only.is_some())
        .await
        .map_err(|e| err(&c)(e.into()))?;
    uplift_app::access::audit_by(&s.store, &c.principal, "notify.prefs", Some(&who), None, c.ip())
        .await
        .map_err(err(&c))?;
    Ok(Redirect::to("/inbox").into_response())
}
