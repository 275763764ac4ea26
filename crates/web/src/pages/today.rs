//! A rep's Today: new leads with their first-contact countdown, follow-ups due, and the one-click
//! follow-up log.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use uplift_app::cadence::{DueFollowup, DueState, RecordKind};
use uplift_app::sla::waiting_leads;
use uplift_domain::Lang;
use uplift_domain::access::Scope;

use super::layout::{Chrome, WaitingRow, chrome, page, waiting_rows};
use crate::AppState;
use crate::auth::Caller;
use crate::error::WebError;
use crate::format::url_encode;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/today", get(today_page))
        .route("/today/followup", post(log_followup))
}

/// A follow-up due on the Today page.
struct DueRow {
    kind: &'static str,
    id: String,
    title: String,
    stage: &'static str,
    due: String,
    last_touch: String,
    overdue: bool,
}

fn due_rows(list: &[DueFollowup], now: chrono::DateTime<Utc>, tz: chrono_tz::Tz, l: Lang) -> Vec<DueRow> {
    let date = |t: chrono::DateTime<Utc>| t.with_timezone(&tz).format(l.pick("%m月%d日", "%b %d")).to_string();
    list.iter()
        .map(|d| DueRow {
            kind: match d.kind {
                RecordKind::Lead => "lead",
                RecordKind::Opportunity => "opportunity",
                RecordKind::Account => "account",
            },
            id: d.id.clone(),
            title: d.title.clone().unwrap_or_else(|| d.id.clone()),
            stage: d.stage.label(l),
            due: match d.state {
                DueState::Overdue => {
                    let days = (now - d.due).num_days().max(1);
                    match l {
                        Lang::Zh => format!("已逾期 {days} 天"),
                        Lang::En => format!("overdue {days} d"),
                    }
                }
                _ => l.pick("今日到期", "due today").to_string(),
            },
            last_touch: d
                .last_touch
                .map(date)
                .unwrap_or_else(|| l.pick("从未", "never").to_string()),
            overdue: d.state == DueState::Overdue,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    c: Chrome,
    has_employee: bool,
    waiting: Vec<WaitingRow>,
    due: Vec<DueRow>,
    sla_hours: f64,
    message: Option<String>,
    /// The estimator: what each open deal would pay if won now.
    estimates: Vec<EstimateRow>,
}

/// One open deal on the estimator.
struct EstimateRow {
    deal: String,
    amount: String,
    added: String,
    text: String,
}

#[derive(Deserialize, Default)]
struct TodayParams {
    logged: Option<String>,
}

async fn today_page(State(s): State<AppState>, c: Caller, Query(q): Query<TodayParams>) -> Result<Response, WebError> {
    let l = c.lang;
    let now = Utc::now();
    let tz = uplift_app::settings::company_tz(&s.store).await?;
    let rule = uplift_app::sla::rule(&s.store).await?;
    let (waiting, due, estimates) = match c.principal.employee_no.as_deref() {
        Some(me) => {
            let w = waiting_leads(&s.store, &Scope::All, Some(me), now).await?;
            let d = uplift_app::cadence::my_due(&s.store, me, now).await?;
            let sym = super::layout::symbol(&s).await?;
            let e = uplift_app::commission::estimates(&s.store, &c.principal, me, l)
                .await?
                .into_iter()
                .map(|e| EstimateRow {
                    deal: e.name.unwrap_or_else(|| e.opportunity_id.clone()),
                    amount: crate::format::money_fen(e.amount_fen, sym),
                    added: crate::format::money_fen(e.added_fen, sym),
                    text: e.text,
                })
                .collect();
            (waiting_rows(&w, tz, l), due_rows(&d, now, tz, l), e)
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let t = TodayPage {
        c: chrome(&c, "today", "/today"),
        has_employee: c.principal.employee_no.is_some(),
        waiting,
        due,
        sla_hours: rule.hours,
        estimates,
        message: q
            .logged
            .map(|id| format!("{} {id}", l.pick("已记录跟进：", "Follow-up logged:"))),
    };
    page(t, &c, false)
}

#[derive(Deserialize)]
struct FollowupForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    /// lead (default), opportunity or account.
    kind: Option<String>,
    #[serde(alias = "lead_id")]
    id: String,
}

async fn log_followup(State(s): State<AppState>, c: Caller, Form(f): Form<FollowupForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let kind = f.kind.as_deref().unwrap_or("lead");
    uplift_app::cadence::log_followup(&s.store, &c.principal, kind, &f.id, c.lang).await?;
    Ok(Redirect::to(&format!("/today?logged={}", url_encode(&f.id))).into_response())
}
