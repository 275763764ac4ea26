//! CRM records of the caller's scope — leads, opportunities and follow-ups — one page at a time.
//! The three lists share one path: the same owner check, the same filter, the same paging.

use uplift_domain::Month;
use uplift_domain::access::Scope;
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

/// Checks the owner a caller filters records by. A scope of people (a manager's team, a rep) may
/// not name anyone outside it: [`AppError::Forbidden`]. The company and department scopes may name
/// anyone; the list of someone outside a director's departments is empty.
pub fn check_owner(p: &Principal, employee_no: Option<&str>) -> Result<(), AppError> {
    match employee_no {
        Some(no) if !p.scope.contains(no, None) && matches!(p.scope, Scope::Employees(_)) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// The store filter of a query, once the caller may use it.
fn filter(p: &Principal, q: &RecordQuery) -> Result<RecordFilter, AppError> {
    check_owner(p, q.employee_no.as_deref())?;
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
    Ok(store.lead_records(&p.scope, &filter(p, q)?).await?)
}

/// One page of the opportunities owned by people in the caller's scope, and how many match in all.
pub async fn opportunities(
    store: &Store,
    p: &Principal,
    q: &RecordQuery,
) -> Result<(Vec<OpportunityRecord>, i64), AppError> {
    Ok(store.opportunity_records(&p.scope, &filter(p, q)?).await?)
}

/// One page of the follow-ups (tasks and events) of people in the caller's scope, and how many
/// match in all.
pub async fn followups(store: &Store, p: &Principal, q: &RecordQuery) -> Result<(Vec<FollowupRecord>, i64), AppError> {
    Ok(store.followup_records(&p.scope, &filter(p, q)?).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uplift_domain::access::Role;

    fn principal(role: Role, scope: Scope) -> Principal {
        Principal {
            actor: "t".into(),
            role,
            employee_no: None,
            scope,
        }
    }

    #[test]
    fn only_people_scopes_are_refused_an_owner_outside_them() {
        let team = principal(Role::Manager, Scope::Employees(vec!["E1".into(), "E2".into()]));
        assert!(check_owner(&team, Some("E2")).is_ok());
        assert!(matches!(check_owner(&team, Some("E3")), Err(AppError::Forbidden)));
        assert!(check_owner(&team, None).is_ok());
        // A director naming someone outside their departments gets an empty list, not 403.
        let director = principal(Role::Director, Scope::Departments(vec!["销售中心".into()]));
        assert!(check_owner(&director, Some("E3")).is_ok());
        assert!(check_owner(&principal(Role::Admin, Scope::All), Some("E3")).is_ok());
    }
}
