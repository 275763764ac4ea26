//! `/api/v1` endpoints of the insight engine: driver analysis, the forecast, its backtest, alerts and
//! effect evaluations; the same use cases and roles as their pages (`pages::drivers`,
//! `pages::forecast`, `pages::effects`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use uplift_app::AppError;
use uplift_app::views::{self, has_overview};
use uplift_domain::Lang;
use utoipa::{IntoParams, ToSchema};

use super::params::{Q, bad, month_param};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, Failure};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/insights/drivers", get(insight_drivers))
        .route("/api/v1/forecast", get(get_forecast))
        .route("/api/v1/forecast/backtest", get(get_backtest))
        .route("/api/v1/alerts", get(get_alerts))
        .route(
            "/api/v1/interventions",
            get(list_interventions).post(create_intervention),
        )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DriversParams {
    /// `contribution` (default), `per_capita_contribution`, `quota_attainment`, `lead_conversion_rate`, `win_rate`.
    target: Option<String>,
    /// First month, `YYYY-MM` (default: twelve months before `to`).
    from: Option<String>,
    /// Last month (default: the newest month with results).
    to: Option<String>,
    /// A department path; sub-departments included.
    department: Option<String>,
    /// `zh` (default) or `en`, the language of the explanations.
    lang: Option<String>,
}

/// What goes with higher output among the people in the caller's scope, tenure, department and
/// month held fixed (docs/insight.md). Body: `{"target", "rows", "employees", "from", "to",
/// "r_squared", "method", "drivers": [{"feature", "label", "rank", "importance", "effect_per_unit",
/// "effect_per_sd", "ci_low", "ci_high", "p_value", "direction", "raw_effect_per_sd",
/// "confounded_by", "missing_share", "explanation", "layer", "layer_label", "paths": [{"outcome",
/// "label", "effect_per_unit", "ci_low", "ci_high", "p_value", "direction", "explanation"}]}],
/// "excluded": [{"feature", "label", "reason"}], "funnel": {"month", "compared", "mean",
/// "reference_mean", "parts": [{"stage", "person", "group", "yuan", "label", "explanation"}]}}`
/// (`funnel`: the last month's gap by stage; the parts add up). `layer` is `lever` or `circumstance`: funnel
/// outcomes are never drivers; a lever's `paths` are its effects on them.
#[utoipa::path(get, path = "/api/v1/insights/drivers", params(DriversParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn insight_drivers(State(s): State<AppState>, c: Caller, Q(q): Q<DriversParams>) -> Result<Response, ApiError> {
    if !views::has_overview(&c.principal) {
        return Err(ApiError(Failure::Forbidden));
    }
    let lang = Lang::from_locale(q.lang.as_deref().unwrap_or("zh"));
    let query = uplift_app::insights::DriversQuery {
        target: q.target.clone().unwrap_or_else(|| "contribution".into()),
        from: month_param(&q.from, "from")?,
        to: month_param(&q.to, "to")?,
        department: q.department.clone(),
    };
    match uplift_app::insights::drivers(&s.store, &c.principal.scope, &query, lang).await {
        Ok(r) => Ok(Json(r).into_response()),
        Err(uplift_app::AppError::Invalid(u)) => Err(bad(u.message, "target")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastParams {
    /// The month to forecast, `YYYY-MM` (default: the month after the newest results).
    month: Option<String>,
    /// A department path; sub-departments included.
    department: Option<String>,
    /// `zh` (default) or `en`, the language of alert reasons.
    lang: Option<String>,
}

fn lang_of(v: &Option<String>) -> Lang {
    Lang::from_locale(v.as_deref().unwrap_or("zh"))
}

fn invalid(e: AppError, field: &str) -> ApiError {
    match e {
        AppError::Invalid(u) => bad(u.message, field),
        other => other.into(),
    }
}

/// Next month's contribution per person in the caller's scope with an 80% interval, team and
/// company totals and per-capita forecasts (docs/insight.md). Body: `{"month", "based_on", "total",
/// "teams": [{"department", "people", "fte", "forecast", "low", "high", "per_capita", "target"}],
/// "people": [{"employee_no", "name", "department", "month", "forecast", "low", "high", "pipeline",
/// "run_rate", "open_deals", "open_amount", "active_share", "target", "target_carried",
/// "attainment", "month_to_date", "projection", "method"}], "joiners", "leavers", "model"}`.
#[utoipa::path(get, path = "/api/v1/forecast", tag = "crate::insight_api", params(ForecastParams),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn get_forecast(State(s): State<AppState>, c: Caller, Q(q): Q<ForecastParams>) -> Result<Response, ApiError> {
    if !c.principal.role.may_forecast() {
        return Err(ApiError(Failure::Forbidden));
    }
    let query = uplift_app::forecast::ForecastQuery {
        month: month_param(&q.month, "month")?,
        department: q.department.clone(),
        lang: lang_of(&q.lang),
    };
    let r = uplift_app::forecast::forecast(&s.store, &c.principal.scope, &query)
        .await
        .map_err(|e| invalid(e, "month"))?;
    Ok(Json(r).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BacktestParams {
    /// Months to replay, 1–36 (default 6).
    months: Option<u32>,
}

/// The forecast replayed over past months against naive baselines. Body: `{"from", "to",
/// "months": [{"month", "people", "actual_total", "forecast_total", "last_month_total",
/// "mean3_total"}], "accuracy": [{"method", "mae", "mape", "bias", "total_error", "coverage_80"}]}`.
#[utoipa::path(get, path = "/api/v1/forecast/backtest", tag = "crate::insight_api", params(BacktestParams),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn get_backtest(State(s): State<AppState>, c: Caller, Q(q): Q<BacktestParams>) -> Result<Response, ApiError> {
    if !c.principal.role.may_forecast() {
        return Err(ApiError(Failure::Forbidden));
    }
    let r = uplift_app::forecast::backtest(&s.store, &c.principal.scope, q.months.unwrap_or(6))
        .await
        .map_err(|e| invalid(e, "months"))?;
    Ok(Json(r).into_response())
}

/// Who is forecast below target (or below their own 3-month mean without one), the clear drivers
/// that slipped and the suggested action for each. Body: `{"month", "based_on", "checked",
/// "alerts": [{"employee_no", "name", "department", "forecast", "low", "high", "reference",
/// "reference_kind", "attainment", "gap", "severity", "reasons": [{"feature", "label", "now",
/// "before", "change", "text", "action"}], "evidence"}], "drivers", "note"}`.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "crate::insight_api", params(ForecastParams),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn get_alerts(State(s): State<AppState>, c: Caller, Q(q): Q<ForecastParams>) -> Result<Response, ApiError> {
    if !c.principal.role.may_forecast() {
        return Err(ApiError(Failure::Forbidden));
    }
    let query = uplift_app::alerts::AlertsQuery {
        month: month_param(&q.month, "month")?,
        department: q.department.clone(),
    };
    let r = uplift_app::alerts::alerts(&s.store, &c.principal.scope, &query, lang_of(&q.lang))
        .await
        .map_err(|e| invalid(e, "month"))?;
    Ok(Json(r).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParam {
    /// `zh` (default) or `en`.
    lang: Option<String>,
}

/// The saved interventions with their results on today's data, over the caller's scope. Body:
/// `[{"intervention": {"name", "treated", "control", "start_date", "metric", …}, "result": {…}}
/// | {"intervention": …, "error": "why it cannot be evaluated"}]`.
#[utoipa::path(get, path = "/api/v1/interventions", tag = "crate::insight_api", params(LangParam),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn list_interventions(State(s): State<AppState>, c: Caller, Q(q): Q<LangParam>) -> Result<Response, ApiError> {
    if !has_overview(&c.principal) {
        return Err(ApiError(Failure::Forbidden));
    }
    let list = uplift_app::effect::running(&s.store, &c.principal.scope, lang_of(&q.lang)).await?;
    let v: Vec<serde_json::Value> = list
        .iter()
        .map(|(row, r)| match r {
            Ok(e) => serde_json::json!({"intervention": row, "result": e}),
            Err(msg) => serde_json::json!({"intervention": row, "error": msg}),
        })
        .collect();
    Ok(Json(v).into_response())
}

/// An intervention to evaluate and save.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewIntervention {
    name: String,
    /// Department paths and/or employee numbers, comma-separated.
    treated: String,
    /// The comparison group, written the same way (default: everyone else in scope).
    control: Option<String>,
    /// First day, `YYYY-MM-DD`.
    start: String,
    /// Default `contribution`.
    metric: Option<String>,
    /// `zh` (default) or `en`.
    lang: Option<String>,
}

/// Evaluates an intervention by difference-in-differences and saves it by name (an existing name
/// is replaced). Body: `{"name", "metric", "start", "estimate", "ci_low", "ci_high", "p_value",
/// "verdict", "verdict_label", "treated_n", "control_n", "summary", "series", "report"}`.
/// Admin, HR and directors only; a session caller sends `X-CSRF-Token`.
#[utoipa::path(post, path = "/api/v1/interventions", tag = "crate::insight_api", request_body = NewIntervention,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn create_intervention(
    State(s): State<AppState>,
    c: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !c.principal.role.may_evaluate_interventions() {
        return Err(ApiError(Failure::Forbidden));
    }
    c.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    let n: NewIntervention = serde_json::from_slice(&body).map_err(|e| bad(format!("request body: {e}"), "body"))?;
    let start = n.start.trim().parse::<chrono::NaiveDate>().map_err(|_| {
        bad(
            format!("start must be a date like 2026-03-01, not {:?}", n.start),
            "start",
        )
    })?;
    let q = uplift_app::effect::EffectQuery {
        name: n.name,
        treated: Some(n.treated),
        control: n.control,
        start: Some(start),
        metric: n.metric,
    };
    let r = uplift_app::effect::evaluate(&s.store, &c.principal.scope, &q, &c.principal.actor, lang_of(&n.lang))
        .await
        .map_err(|e| invalid(e, "treated"))?;
    Ok(Json(r).into_response())
}
