//! `/api/v1` endpoints of lead routing: route one lead in real time, and a receiver for new-lead
//! webhooks from a CRM (Salesforce field names or ours). Admin callers only (integration tokens
//! are made by an admin): routing hands leads across every team.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use uplift_app::routing::IncomingLead;
use uplift_domain::Lang;

use super::params::bad;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Failure};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/leads/route", post(route_lead))
        .route("/api/v1/webhooks/leads", post(lead_webhook))
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_locale(
        headers
            .get("accept-language")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("zh"),
    )
}

async fn route_all(
    s: &AppState,
    c: &Caller,
    leads: Vec<IncomingLead>,
    lang: Lang,
) -> Result<Vec<uplift_app::routing::RoutedLead>, ApiError> {
    let role = c.principal.role.as_str();
    let mut out = Vec::with_capacity(leads.len());
    for l in &leads {
        let r = s
            .online
            .route(&s.store, l, &c.principal.actor, Some(role), lang)
            .await
            .map_err(|e| match e {
                uplift_app::AppError::Invalid(u) => bad(u.message, "lead"),
                other => other.into(),
            })?;
        out.push(r);
    }
    Ok(out)
}

fn check(c: &Caller, headers: &HeaderMap) -> Result<(), ApiError> {
    if !c.principal.role.may_route_leads() {
        return Err(ApiError(Failure::Forbidden));
    }
    c.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    Ok(())
}

/// Routes one incoming lead to the rep most likely to win it, consistently with this month's
/// plan (docs/routing.md), records the decision and returns it: `{"lead_id", "employee_no",
/// "name", "owner_id", "expected_conversion", "expected_value", "reason", "planned", "kept"}`.
/// Body: `{"id", "source", "industry", "rating", "company", "city", "number_of_employees"}`.
/// A lead routed before keeps its rep (`"kept": true`). Admin only.
#[utoipa::path(post, path = "/api/v1/leads/route", tag = "crate::routing_api", request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn route_lead(
    State(s): State<AppState>,
    c: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check(&c, &headers)?;
    let lead: IncomingLead = serde_json::from_slice(&body).map_err(|e| bad(format!("request body: {e}"), "body"))?;
    let mut routed = route_all(&s, &c, vec![lead], lang_of(&headers)).await?;
    Ok(Json(routed.pop()).into_response())
}

/// Receives new leads from a CRM workflow or outbound webhook and routes each: the body is one
/// lead, a list, or `{"leads": [...]}`, with Salesforce field names (`Id`, `LeadSource`,
/// `Industry`, `Rating`, `Company`, `City`, `NumberOfEmployees`) or ours. Answers the list of
/// decisions, so the CRM can set each lead's owner. Admin (integration token) only.
#[utoipa::path(post, path = "/api/v1/webhooks/leads", tag = "crate::routing_api", request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn lead_webhook(
    State(s): State<AppState>,
    c: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check(&c, &headers)?;
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| bad(format!("request body: {e}"), "body"))?;
    let items = match v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(mut o) if o.contains_key("leads") => match o.remove("leads") {
            Some(serde_json::Value::Array(a)) => a,
            _ => return Err(bad("\"leads\" must be a list", "leads")),
        },
        other => vec![other],
    };
    if items.len() > 1000 {
        return Err(bad("at most 1000 leads per call", "leads"));
    }
    let mut leads = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        leads.push(
            serde_json::from_value::<IncomingLead>(item).map_err(|e| bad(format!("lead {}: {e}", i + 1), "leads"))?,
        );
    }
    Ok(Json(route_all(&s, &c, leads, lang_of(&headers)).await?).into_response())
}
