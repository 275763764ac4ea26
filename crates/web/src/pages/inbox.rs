//! The inbox: the caller's messages, marking them read, and notification preferences.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uplift_app::inbox;

use super::layout::{Chrome, chrome, page};
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

async fn inbox_page(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    let tz = uplift_app::settings::company_tz(&s.store).await?;
    let list = inbox::messages(&s.store, &c.principal, 200).await?;
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
    let (email, digest_only) = inbox::preferences(&s.store, &c.principal).await?;
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
    inbox::mark_read(&s.store, &c.principal, f.id).await?;
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
    inbox::set_preferences(
        &s.store,
        &c.principal,
        f.email.is_some(),
        f.digest_only.is_some(),
        c.ip(),
    )
    .await?;
    Ok(Redirect::to("/inbox").into_response())
}
