//! The recent assignments a caller may see: those to reps inside their scope.

use uplift_store::Store;

use crate::AppError;
use crate::access::Principal;

/// How many of the newest assignments are looked at; those to reps outside the caller's scope
/// are skipped, so fewer may be shown.
const LOOKED_AT: i64 = 200;

/// A lead assignment with the rep it went to.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentAssignment {
    pub lead_id: String,
    pub employee_no: String,
    pub name: String,
    /// Unix seconds.
    pub assigned_ts: i64,
    /// How the lead was assigned: `file`, `pending`, `online` or `sla-reassign`.
    pub origin: String,
    pub expected_conversion: f64,
    /// Why this rep, in words.
    pub reason: String,
}

/// Among the newest assignments, those to reps inside the caller's scope, newest first, at most
/// `limit`. [`AppError::Forbidden`] unless the caller's role may see lead routing.
pub async fn recent_assignments(store: &Store, p: &Principal, limit: usize) -> Result<Vec<RecentAssignment>, AppError> {
    p.require(p.role.may_see_lead_routing())?;
    let roster = store.routing_reps().await?;
    let recent = store.recent_assignments(LOOKED_AT).await?;
    Ok(recent
        .into_iter()
        .filter_map(|a| {
            let r = roster.iter().find(|r| r.id == a.employee_id)?;
            p.scope
                .contains(&r.employee_no, r.department.as_deref())
                .then(|| RecentAssignment {
                    lead_id: a.lead_id,
                    employee_no: r.employee_no.clone(),
                    name: r.name.clone(),
                    assigned_ts: a.assigned_ts,
                    origin: a.origin,
                    expected_conversion: a.expected_conversion,
                    reason: a.reason,
                })
        })
        .take(limit)
        .collect())
}
