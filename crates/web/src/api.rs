//! The REST API under `/api/v1`: JSON, paged lists, the caller's scope on every read, and one
//! error body. The OpenAPI document at `/api/openapi.json` is generated from these handlers.

use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uplift_app::access;
use uplift_app::import::ImportReport;
use uplift_app::metrics::{employee_value, unit_value};
use uplift_app::store::{
    EmployeeRecord, FollowupRecord, ImportHistory, LeadRecord, MetricFilter, OpportunityRecord, RecordFilter,
};
use uplift_app::views;
use uplift_domain::{Lang, MetricId, Month};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::uploads;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/v1/me", get(me))
        .route("/api/v1/employees", get(list_employees))
        .route("/api/v1/employees/{employee_no}", get(get_employee))
        .route("/api/v1/departments", get(list_departments))
        .route("/api/v1/metrics", get(list_metrics))
        .route("/api/v1/leaderboard", get(leaderboard))
        .route("/api/v1/leads", get(list_leads))
        .route("/api/v1/opportunities", get(list_opportunities))
        .route("/api/v1/followups", get(list_followups))
        .route("/api/v1/imports", get(list_imports).post(create_import))
        .route("/api/v1/imports/{id}", get(get_import))
        .route("/api/v1/insights/drivers", get(insight_drivers))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Uplift API", version = "1", description = "Per-capita contribution: people, metrics and CRM records, limited to the caller's scope. Authenticate with `Authorization: Bearer <token>` (create one with `uplift token create`)."),
    paths(me, list_employees, get_employee, list_departments, list_metrics, leaderboard, list_leads, list_opportunities, list_followups, list_imports, create_import, get_import, insight_drivers,
        crate::insight_api::get_forecast, crate::insight_api::get_backtest, crate::insight_api::get_alerts,
        crate::insight_api::list_interventions, crate::insight_api::create_intervention,
        crate::routing_api::route_lead, crate::routing_api::lead_webhook),
    components(schemas(ErrorBody, Me, Employee, EmployeePage, Department, MetricRow, MetricPage, BoardLine, Lead, LeadPage, Opportunity, OpportunityPage, Followup, FollowupPage, ImportEntry, ImportResult, ImportFileResult, crate::insight_api::NewIntervention)),
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

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Query parameters whose parse errors come back as the API's error body.
pub struct Q<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|e| {
                ApiError(Failure::BadRequest {
                    message: e.body_text(),
                    field: None,
                })
            })
    }
}

/// Path parameters, likewise.
pub struct P<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| P(v))
            .map_err(|e| {
                ApiError(Failure::BadRequest {
                    message: e.body_text(),
                    field: None,
                })
            })
    }
}

pub(crate) fn bad(msg: impl Into<String>, field: &str) -> ApiError {
    ApiError(Failure::bad(msg, field))
}

pub(crate) fn month_param(v: &Option<String>, field: &str) -> Result<Option<Month>, ApiError> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Month::parse(s)
            .map(Some)
            .map_err(|_| bad(format!("{field} must be a month like 2026-08, not {s:?}"), field)),
    }
}

/// Paging parameters shared by every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page number, from 1.
    page: Option<i64>,
    /// Rows per page, 1–500 (default 50).
    per_page: Option<i64>,
}

impl Paging {
    fn limits(&self) -> Result<(i64, i64, i64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per = self.per_page.unwrap_or(50);
        if page < 1 {
            return Err(bad("page starts at 1", "page"));
        }
        if !(1..=500).contains(&per) {
            return Err(bad("per_page must be between 1 and 500", "per_page"));
        }
        Ok((page, per, (page - 1).saturating_mul(per)))
    }
}

// ---------------------------------------------------------------------------------------------

/// The caller as the API sees them.
#[derive(Serialize, ToSchema)]
pub struct Me {
    actor: String,
    role: String,
    employee_no: Option<String>,
    /// `all`, `departments` or `employees`.
    scope: String,
    /// The departments or employees of the scope.
    scope_members: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(c: Caller) -> ApiResult<Me> {
    use uplift_domain::access::Scope;
    let (scope, members) = match &c.principal.scope {
        Scope::All => ("all", Vec::new()),
        Scope::Departments(d) => ("departments", d.clone()),
        Scope::Employees(e) => ("employees", e.clone()),
    };
    Ok(Json(Me {
        actor: c.principal.actor.clone(),
        role: c.principal.role.as_str().into(),
        employee_no: c.principal.employee_no.clone(),
        scope: scope.into(),
        scope_members: members,
    }))
}

/// An employee's HR record.
#[derive(Serialize, ToSchema)]
pub struct Employee {
    employee_no: String,
    name: String,
    department: Option<String>,
    position: Option<String>,
    role_family: Option<String>,
    /// `YYYY-MM-DD`.
    hire_date: String,
    leave_date: Option<String>,
    manager_no: Option<String>,
    manager_name: Option<String>,
    email: Option<String>,
    city: Option<String>,
}

impl From<EmployeeRecord> for Employee {
    fn from(r: EmployeeRecord) -> Self {
        Employee {
            employee_no: r.employee_no,
            name: r.name,
            department: r.department,
            position: r.position,
            role_family: r.role_family,
            hire_date: r.hire_date,
            leave_date: r.leave_date,
            manager_no: r.manager_no,
            manager_name: r.manager_name,
            email: r.email,
            city: r.city,
        }
    }
}

macro_rules! page_type {
    ($name:ident, $item:ty) => {
        /// One page of a list.
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            data: Vec<$item>,
            page: i64,
            per_page: i64,
            /// Rows matching the filters, over all pages.
            total: i64,
        }
    };
}
page_type!(EmployeePage, Employee);
page_type!(MetricPage, MetricRow);
page_type!(LeadPage, Lead);
page_type!(OpportunityPage, Opportunity);
page_type!(FollowupPage, Followup);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeQuery {
    /// A department path; its sub-departments are included.
    department: Option<String>,
    /// An employee number, or part of a name.
    q: Option<String>,
    /// Only people employed on this day (`YYYY-MM-DD`).
    active_on: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/employees", params(EmployeeQuery, Paging),
    responses((status = 200, body = EmployeePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_employees(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<EmployeeQuery>,
    Q(p): Q<Paging>,
) -> ApiResult<EmployeePage> {
    let (page, per, offset) = p.limits()?;
    if let Some(d) = &q.active_on
        && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        return Err(bad("active_on must be a date like 2026-08-31", "active_on"));
    }
    let (rows, total) = s
        .store
        .employee_records(
            &c.principal.scope,
            q.department.as_deref(),
            q.q.as_deref(),
            q.active_on.as_deref(),
            per,
            offset,
        )
        .await
        .map_err(|e| ApiError::from(uplift_app::AppError::from(e)))?;
    Ok(Json(EmployeePage {
        data: rows.into_iter().map(Employee::from).collect(),
        page,
        per_page: per,
        total,
    }))
}

#[utoipa::path(get, path = "/api/v1/employees/{employee_no}", params(("employee_no" = String, Path, description = "工号")),
    responses((status = 200, body = Employee), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_employee(State(s): State<AppState>, c: Caller, P(no): P<String>) -> ApiResult<Employee> {
    let r = views::employee(&s.store, &c.principal, &no).await?;
    Ok(Json(r.into()))
}

/// A department of the tree.
#[derive(Serialize, ToSchema)]
pub struct Department {
    path: String,
    name: String,
    parent: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/departments", responses((status = 200, body = Vec<Department>), (status = 401, body = ErrorBody)))]
async fn list_departments(State(s): State<AppState>, c: Caller) -> ApiResult<Vec<Department>> {
    use uplift_domain::access::Scope;
    let all = s
        .store
        .departments()
        .await
        .map_err(|e| ApiError::from(uplift_app::AppError::from(e)))?;
    // Teams see the departments their members are in.
    let team_departments: Vec<String> = match &c.principal.scope {
        Scope::Employees(_) => s
            .store
            .employee_records(&c.principal.scope, None, None, None, 10_000, 0)
            .await
            .map_err(app)?
            .0
            .into_iter()
            .filter_map(|e| e.department)
            .collect(),
        _ => Vec::new(),
    };
    let visible = |path: &str| match &c.principal.scope {
        Scope::All => true,
        Scope::Departments(_) => c.principal.scope.covers_department(path),
        Scope::Employees(_) => team_departments.iter().any(|d| d == path),
    };
    let mut out = Vec::new();
    for d in &all {
        if visible(&d.path) {
            out.push(Department {
                path: d.path.clone(),
                name: d.name.clone(),
                parent: d.path.rsplit_once('/').map(|(p, _)| p.to_string()),
            });
        }
    }
    Ok(Json(out))
}

/// One row of the metric table: an employee-month, or a department-month (company when
/// `department` is null at level `department`).
#[derive(Serialize, ToSchema)]
pub struct MetricRow {
    /// `YYYY-MM`.
    month: String,
    employee_no: Option<String>,
    name: Option<String>,
    department: Option<String>,
    /// Metric id → value (money in yuan, rates as fractions); see docs/metrics.md.
    values: BTreeMap<String, Option<f64>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricQuery {
    /// One month, `YYYY-MM` (instead of from/to).
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// An employee number (level `employee` only).
    employee: Option<String>,
    /// A department path; sub-departments included.
    department: Option<String>,
    /// Only this metric, e.g. `per_capita_contribution`.
    metric: Option<String>,
    /// `employee` (default) or `department`.
    level: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/metrics", params(MetricQuery, Paging),
    responses((status = 200, body = MetricPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_metrics(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<MetricQuery>,
    Q(p): Q<Paging>,
) -> ApiResult<MetricPage> {
    let (page, per, offset) = p.limits()?;
    let month = month_param(&q.month, "month")?;
    let from = month.or(month_param(&q.from, "from")?);
    let to = month.or(month_param(&q.to, "to")?);
    let metrics: Vec<MetricId> = match q.metric.as_deref() {
        Some(m) => vec![MetricId::parse(m).ok_or_else(|| {
            bad(
                format!(
                    "unknown metric {m:?}; one of {}",
                    MetricId::ALL.iter().map(|m| m.id()).collect::<Vec<_>>().join(", ")
                ),
                "metric",
            )
        })?],
        None => MetricId::ALL.to_vec(),
    };
    let filter = MetricFilter {
        from,
        to,
        department: q.department.clone(),
        employee_no: q.employee.clone(),
        scope: c.principal.scope.clone(),
        page: Some((per, offset)),
    };
    let department_level = match q.level.as_deref() {
        None | Some("employee") => false,
        Some("department") => true,
        Some(other) => {
            return Err(bad(
                format!("level must be employee or department, not {other:?}"),
                "level",
            ));
        }
    };
    if let Some(d) = &q.department
        && !c.principal.scope.covers_department(d)
        && !matches!(c.principal.scope, uplift_domain::access::Scope::Employees(_))
    {
        return Err(ApiError(Failure::Forbidden));
    }
    let may_appraisal = c.principal.role.may_read_appraisals();
    let mut rows: Vec<MetricRow> = Vec::new();
    let mut saw_appraisal = false;
    if department_level {
        if matches!(c.principal.scope, uplift_domain::access::Scope::Employees(_)) {
            return Err(ApiError(Failure::Forbidden));
        }
        for r in s.store.unit_metrics(&filter).await.map_err(app)? {
            // A department's average appraisal can be one person's score: same rule as people.
            let values = metrics
                .iter()
                .filter(|m| **m != MetricId::AppraisalScore || may_appraisal)
                .map(|m| (m.id().to_string(), unit_value(&r.metrics, *m)))
                .collect::<BTreeMap<_, _>>();
            saw_appraisal |= values.contains_key(MetricId::AppraisalScore.id());
            rows.push(MetricRow {
                month: Month::from_key(r.metrics.month)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                employee_no: None,
                name: None,
                department: r.department,
                values,
            });
        }
    } else {
        for r in s.store.employee_metrics(&filter).await.map_err(app)? {
            let own = c.principal.is_self(&r.employee_no);
            let values = metrics
                .iter()
                .filter(|m| **m != MetricId::AppraisalScore || may_appraisal || own)
                .map(|m| (m.id().to_string(), employee_value(&r.metrics, *m)))
                .collect::<BTreeMap<_, _>>();
            saw_appraisal |= values.contains_key(MetricId::AppraisalScore.id());
            rows.push(MetricRow {
                month: Month::from_key(r.metrics.month)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                employee_no: Some(r.employee_no),
                name: Some(r.name),
                department: r.department,
                values,
            });
        }
    }
    let total = s
        .store
        .count_metric_rows(&filter, !department_level)
        .await
        .map_err(app)?;
    let data = rows;
    if saw_appraisal && !data.is_empty() {
        access::audit_by(
            &s.store,
            &c.principal,
            "read.appraisal",
            Some("api/v1/metrics"),
            Some(&format!("rows={}", data.len())),
            c.ip(),
        )
        .await?;
    }
    Ok(Json(MetricPage {
        data,
        page,
        per_page: per,
        total,
    }))
}

fn app(e: uplift_app::store::StoreError) -> ApiError {
    ApiError::from(uplift_app::AppError::from(e))
}

/// A leaderboard line.
#[derive(Serialize, ToSchema)]
pub struct BoardLine {
    rank: usize,
    name: String,
    /// Whether this line is the caller.
    me: bool,
    department: Option<String>,
    /// Yuan.
    contribution: f64,
    orders_won: i64,
    quota_attainment: Option<f64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First month, `YYYY-MM` (default: the latest month with data).
    from: Option<String>,
    /// Last month (default: `from`).
    to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/leaderboard", params(PeriodQuery),
    responses((status = 200, body = Vec<BoardLine>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn leaderboard(State(s): State<AppState>, c: Caller, Q(q): Q<PeriodQuery>) -> ApiResult<Vec<BoardLine>> {
    let latest = views::latest_month(&s.store).await?;
    let from = month_param(&q.from, "from")?.unwrap_or(latest);
    let to = month_param(&q.to, "to")?.unwrap_or(from);
    if from > to {
        return Err(bad("from must not be after to", "from"));
    }
    let lines = views::leaderboard(&s.store, from, to, 200).await?;
    Ok(Json(
        lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| BoardLine {
                rank: i + 1,
                quota_attainment: l
                    .target_fen
                    .filter(|t| *t > 0)
                    .map(|t| l.contribution_fen as f64 / t as f64),
                contribution: l.contribution_fen as f64 / 100.0,
                me: c.principal.is_self(&l.employee_no),
                name: l.name,
                department: l.department,
                orders_won: l.orders_won,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// Only records owned by this employee.
    employee: Option<String>,
    /// First month (`YYYY-MM`) of creation (leads), close (opportunities) or activity (follow-ups).
    from: Option<String>,
    to: Option<String>,
    /// Lead status, or opportunity state `open` / `won` / `lost`.
    status: Option<String>,
}

impl RecordQuery {
    fn filter(&self, c: &Caller, per: i64, offset: i64) -> Result<RecordFilter, ApiError> {
        if let Some(no) = &self.employee
            && !c.principal.scope.contains(no, None)
            && !matches!(
                c.principal.scope,
                uplift_domain::access::Scope::All | uplift_domain::access::Scope::Departments(_)
            )
        {
            return Err(ApiError(Failure::Forbidden));
        }
        Ok(RecordFilter {
            employee_no: self.employee.clone(),
            from_month: month_param(&self.from, "from")?.map(|m| m.to_key()),
            to_month: month_param(&self.to, "to")?.map(|m| m.to_key()),
            status: self.status.clone(),
            limit: per,
            offset,
            in_months: Vec::new(),
        })
    }
}

/// A lead.
#[derive(Serialize, ToSchema)]
pub struct Lead {
    id: String,
    owner_id: String,
    owner_employee_no: Option<String>,
    /// Unix seconds.
    created_ts: i64,
    lead_source: Option<String>,
    industry: Option<String>,
    status: Option<String>,
    is_converted: bool,
    company: Option<String>,
    city: Option<String>,
}

impl From<LeadRecord> for Lead {
    fn from(r: LeadRecord) -> Self {
        Lead {
            id: r.id,
            owner_id: r.owner_id,
            owner_employee_no: r.owner_employee_no,
            created_ts: r.created_ts,
            lead_source: r.lead_source,
            industry: r.industry,
            status: r.status,
            is_converted: r.is_converted,
            company: r.company,
            city: r.city,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/leads", params(RecordQuery, Paging),
    responses((status = 200, body = LeadPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_leads(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<RecordQuery>,
    Q(p): Q<Paging>,
) -> ApiResult<LeadPage> {
    let (page, per, offset) = p.limits()?;
    let f = q.filter(&c, per, offset)?;
    let (rows, total) = s.store.lead_records(&c.principal.scope, &f).await.map_err(app)?;
    Ok(Json(LeadPage {
        data: rows.into_iter().map(Lead::from).collect(),
        page,
        per_page: per,
        total,
    }))
}

/// An opportunity (deal).
#[derive(Serialize, ToSchema)]
pub struct Opportunity {
    id: String,
    name: Option<String>,
    owner_id: String,
    owner_employee_no: Option<String>,
    stage_name: String,
    /// `open`, `won` or `lost`.
    state: String,
    close_date: String,
    /// Yuan.
    amount: Option<f64>,
    currency: String,
    probability: Option<f64>,
    account_id: Option<String>,
}

impl From<OpportunityRecord> for Opportunity {
    fn from(r: OpportunityRecord) -> Self {
        Opportunity {
            id: r.id,
            name: r.name,
            owner_id: r.owner_id,
            owner_employee_no: r.owner_employee_no,
            stage_name: r.stage_name,
            state: r.state,
            close_date: r.close_date,
            amount: r.amount_fen.map(|a| a as f64 / 100.0),
            currency: r.currency,
            probability: r.probability,
            account_id: r.account_id,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/opportunities", params(RecordQuery, Paging),
    responses((status = 200, body = OpportunityPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_opportunities(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<RecordQuery>,
    Q(p): Q<Paging>,
) -> ApiResult<OpportunityPage> {
    let (page, per, offset) = p.limits()?;
    let f = q.filter(&c, per, offset)?;
    let (rows, total) = s.store.opportunity_records(&c.principal.scope, &f).await.map_err(app)?;
    Ok(Json(OpportunityPage {
        data: rows.into_iter().map(Opportunity::from).collect(),
        page,
        per_page: per,
        total,
    }))
}

/// A follow-up: a task or event on a lead or contact.
#[derive(Serialize, ToSchema)]
pub struct Followup {
    id: String,
    /// `task` or `event`.
    kind: String,
    owner_id: String,
    owner_employee_no: Option<String>,
    who_id: Option<String>,
    subject: Option<String>,
    subtype: Option<String>,
    /// Unix seconds.
    ts: i64,
}

impl From<FollowupRecord> for Followup {
    fn from(r: FollowupRecord) -> Self {
        Followup {
            id: r.id,
            kind: r.kind,
            owner_id: r.owner_id,
            owner_employee_no: r.owner_employee_no,
            who_id: r.who_id,
            subject: r.subject,
            subtype: r.subtype,
            ts: r.ts,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/followups", params(RecordQuery, Paging),
    responses((status = 200, body = FollowupPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_followups(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<RecordQuery>,
    Q(p): Q<Paging>,
) -> ApiResult<FollowupPage> {
    let (page, per, offset) = p.limits()?;
    let f = q.filter(&c, per, offset)?;
    let (rows, total) = s.store.followup_records(&c.principal.scope, &f).await.map_err(app)?;
    Ok(Json(FollowupPage {
        data: rows.into_iter().map(Followup::from).collect(),
        page,
        per_page: per,
        total,
    }))
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
    require_import(&c)?;
    let h = s.store.import_history(100).await.map_err(app)?;
    Ok(Json(h.into_iter().map(ImportEntry::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/imports/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ImportEntry), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_import(State(s): State<AppState>, c: Caller, P(id): P<i64>) -> ApiResult<ImportEntry> {
    require_import(&c)?;
    match s.store.import_by_id(id).await.map_err(app)? {
        Some(h) => Ok(Json(h.into())),
        None => Err(ApiError(Failure::NotFound(format!("import {id}")))),
    }
}

/// What an import (or a dry run) did with each file.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    committed: bool,
    dry_run: bool,
    files: Vec<ImportFileResult>,
    /// Months (`YYYYMM`) whose metrics were recomputed.
    recomputed_months: Vec<i32>,
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
/// "confounded_by", "missing_share", "explanation"}], "excluded": [{"feature", "label", "reason"}]}`.
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
        Err(uplift_app::AppError::Invalid(m)) => Err(bad(m, "target")),
        Err(e) => Err(e.into()),
    }
}
