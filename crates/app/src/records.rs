//! CRM records of the caller's scope — leads, opportunities and follow-ups — one page at a time.
//! The three lists share one path: the same owner check, the same filter, the same paging.

use uplift_domain::Month;

use uplift_store::{FollowupRecord, LeadRecord, OpportunityRecord, RecordFilter, Store};

use crate::AppError;
use crate::access::Principal;

/// Which records of the caller's scope to list, and which page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordQuery {
    /// Only records owned by this employee.
    pub employee_no: Option<String>,
    /// First and last month of creation (leads), close (opportunities) or activity (follow-ups).
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// Lead status, or opportunity state `open` / `won` / `lost`.
    pub status: Option<String>,
    /// Rows per page.
    pub limit: i64,
    /// Rows skipped before the page.
    pub offset: i64,
}

/// Checks the owner a caller filters records by: someone outside the caller's scope is
/// [`AppError::Forbidden`] for every scope (see [`crate::access::require_employee`]).
pub async fn check_owner(store: &Store, p: &Principal, employee_no: Option<&str>) -> Result<(), AppError> {
    match employee_no {
        Some(no) => crate::access::require_employee(store, p, no).await,
        None => Ok(()),
    }
}

/// The store filter of a query, once the caller may use it.
async fn filter(store: &Store, p: &Principal, q: &RecordQuery) -> Result<RecordFilter, AppError> {
    check_owner(store, p, q.employee_no.as_deref()).await?;
    Ok(RecordFilter {
        employee_no: q.employee_no.clone(),
        from_month: q.from.map(|m| m.to_key()),
        to_month: q.to.map(|m| m.to_key()),
        status: q.status.clone(),
        limit: q.limit,
        offset: q.offset,
        in_months: Vec::new(),
    })
}

/// One page of the leads owned by people in the caller's scope, and how many match in all.
pub async fn leads(store: &Store, p: &Principal, q: &RecordQuery) -> Result<(Vec<LeadRecord>, i64), AppError> {
    Ok(store.lead_records(&p.scope, &filter(store, p, q).await?).await?)
}

/// One page of the opportunities owned by people in the caller's scope, and how many match in all.
pub async fn opportunities(
    store: &Store,
    p: &Principal,
    q: &RecordQuery,
) -> Result<(Vec<OpportunityRecord>, i64), AppError> {
    Ok(store.opportunity_records(&p.scope, &filter(store, p, q).await?).await?)
}

/// One page of the follow-ups (tasks and events) of people in the caller's scope, and how many
/// match in all.
pub async fn followups(store: &Store, p: &Principal, q: &RecordQuery) -> Result<(Vec<FollowupRecord>, i64), AppError> {
    Ok(store.followup_records(&p.scope, &filter(store, p, q).await?).await?)
}
