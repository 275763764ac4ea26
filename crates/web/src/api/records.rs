//! CRM records: leads, opportunities and follow-ups, paged and filtered.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uplift_app::records;
use uplift_app::store::{FollowupRecord, LeadRecord, OpportunityRecord};
use utoipa::{IntoParams, ToSchema};

use super::params::{ApiResult, Paging, Q, month_param, page_type};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/leads", get(list_leads))
        .route("/api/v1/opportunities", get(list_opportunities))
        .route("/api/v1/followups", get(list_followups))
}

page_type!(LeadPage, Lead);
page_type!(OpportunityPage, Opportunity);
page_type!(FollowupPage, Followup);

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
    /// The use cases' query of one page. The owner is checked before the months are parsed, as the
    /// API always has: a forbidden owner answers 403 even when a month is malformed too.
    async fn query(self, s: &AppState, c: &Caller, per: i64, offset: i64) -> Result<records::RecordQuery, ApiError> {
        records::check_owner(&s.store, &c.principal, self.employee.as_deref()).await?;
        Ok(records::RecordQuery {
            from: month_param(&self.from, "from")?,
            to: month_param(&self.to, "to")?,
            employee_no: self.employee,
            status: self.status,
            limit: per,
            offset,
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
    let (rows, total) = records::leads(&s.store, &c.principal, &q.query(&s, &c, per, offset).await?).await?;
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
    let (rows, total) = records::opportunities(&s.store, &c.principal, &q.query(&s, &c, per, offset).await?).await?;
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
    let (rows, total) = records::followups(&s.store, &c.principal, &q.query(&s, &c, per, offset).await?).await?;
    Ok(Json(FollowupPage {
        data: rows.into_iter().map(Followup::from).collect(),
        page,
        per_page: per,
        total,
    }))
}
