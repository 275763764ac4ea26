//! The REST API under `/api/v1`: JSON, paged lists, the caller's scope on every read, and one
//! error body. The OpenAPI document at `/api/openapi.json` is generated from these handlers.

mod commission;
mod imports;
mod insight;
mod metrics;
mod params;
mod people;
mod records;
mod routing;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

// utoipa tags an operation with the module path it is named by in `paths(...)`. To keep the published
// document unchanged, handlers are named bare (their generated `__path_*` items imported here), so
// they stay untagged; those of `insight` and `routing` (forecast, alerts, interventions, lead routing)
// set the tags their former modules gave them (`crate::insight_api`, `crate::routing_api`) themselves.
use commission::{__path_commission_lines, __path_commission_statements};
use imports::{
    __path_create_import, __path_get_import, __path_list_imports, ImportEntry, ImportFileResult, ImportResult,
};
use insight::{
    __path_create_intervention, __path_get_alerts, __path_get_backtest, __path_get_forecast, __path_insight_drivers,
    __path_list_interventions, NewIntervention,
};
use metrics::{__path_leaderboard, __path_list_metrics, BoardLine, MetricPage, MetricRow};
use people::{
    __path_get_employee, __path_list_departments, __path_list_employees, __path_me, Department, Employee, EmployeePage,
    Me,
};
use records::{
    __path_list_followups, __path_list_leads, __path_list_opportunities, Followup, FollowupPage, Lead, LeadPage,
    Opportunity, OpportunityPage,
};
use routing::{__path_lead_webhook, __path_route_lead};

use crate::AppState;
use crate::error::ErrorBody;

/// Every API route: the OpenAPI document and each feature's routes, merged.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .merge(people::routes())
        .merge(metrics::routes())
        .merge(records::routes())
        .merge(imports::routes())
        .merge(insight::routes())
        .merge(routing::routes())
        .merge(commission::routes())
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Uplift API", version = "1", description = "Per-capita contribution: people, metrics and CRM records, limited to the caller's scope. Authenticate with `Authorization: Bearer <token>` (create one with `uplift token create`)."),
    paths(me, list_employees, get_employee, list_departments, list_metrics, leaderboard, list_leads, list_opportunities, list_followups, list_imports, create_import, get_import, insight_drivers,
        get_forecast, get_backtest, get_alerts,
        list_interventions, create_intervention,
        route_lead, lead_webhook, commission_statements, commission_lines),
    components(schemas(ErrorBody, Me, Employee, EmployeePage, Department, MetricRow, MetricPage, BoardLine, Lead, LeadPage, Opportunity, OpportunityPage, Followup, FollowupPage, ImportEntry, ImportResult, ImportFileResult, NewIntervention)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
