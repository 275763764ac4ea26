//! `/api/v1/commission`: a period's statements and their lines, limited to the caller's scope (a
//! rep their own, a manager their team, a director their departments; payroll, HR and admins
//! everyone), as `uplift commission export` gives them (docs/commissions.md).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use uplift_domain::Lang;
use utoipa::IntoParams;

use super::params::Q;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/commission/statements", get(commission_statements))
        .route("/api/v1/commission/lines", get(commission_lines))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommissionParams {
    /// `YYYY-MM` or `YYYY-Qn`.
    period: String,
    /// One person (refused with 403 outside the caller's scope).
    employee_no: Option<String>,
    /// `zh` (default) or `en`: the language of errors and line explanations.
    lang: Option<String>,
}

/// A period's statements: `{"period", "status" (draft | locked | null when not run), "rows":
/// [{"period", "employee_no", "plan_id", "plan_effective_from", "credited_fen", "target_fen",
/// "attainment", "commission_fen", "adjustments_fen", "payable_fen"}]}`. Amounts in fen.
#[utoipa::path(get, path = "/api/v1/commission/statements", params(CommissionParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn commission_statements(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<CommissionParams>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_locale(q.lang.as_deref().unwrap_or("zh"));
    let r =
        uplift_app::commission::statements(&s.store, &c.principal, &q.period, q.employee_no.as_deref(), lang).await?;
    Ok(Json(r).into_response())
}

/// A period's lines: `[{"period", "employee_no", "seq", "kind" (deal | payment | override |
/// adjustment), "opportunity_id", "credited_fen", "rate", "multiplier", "pay_fen", "rate_value",
/// "parts", "explanation"}]`, by person and line.
#[utoipa::path(get, path = "/api/v1/commission/lines", params(CommissionParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn commission_lines(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<CommissionParams>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_locale(q.lang.as_deref().unwrap_or("zh"));
    let r = uplift_app::commission::statement_lines(&s.store, &c.principal, &q.period, q.employee_no.as_deref(), lang)
        .await?;
    Ok(Json(r).into_response())
}
