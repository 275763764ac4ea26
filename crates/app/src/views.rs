//! What the pages and the API read, each limited to the caller's scope. Handlers stay thin: they
//! parse a request, call one function here and render what it returns.

use uplift_domain::Month;
use uplift_domain::access::{Role, Scope};
use uplift_domain::metric_data::{Department, EmployeeMonthMetrics};
use uplift_store::{
    AppraisalRecord, EmployeeMetricRow, EmployeeRecord, FollowupRecord, LeaderboardLine, MetricFilter,
    OpportunityRecord, RecordFilter, Store, TrainingRecord, UnitMetricRow,
};

use crate::AppError;
use crate::access::{Principal, audit_by};

/// The newest month that has metrics, or the current month when there are none.
pub async fn latest_month(store: &Store) -> Result<Month, AppError> {
    Ok(match store.metric_month_range().await? {
        Some((_, hi)) => Month::from_key(hi)
            .unwrap_or_else(|| Month::last_complete(chrono::Utc::now(), uplift_domain::time::DEFAULT_TZ)),
        None => Month::last_complete(chrono::Utc::now(), uplift_domain::time::DEFAULT_TZ),
    })
}

/// All months with metrics, oldest first.
pub async fn metric_months(store: &Store) -> Result<Vec<Month>, AppError> {
    Ok(match store.metric_month_range().await? {
        Some((lo, hi)) => match (Month::from_key(lo), Month::from_key(hi)) {
            (Some(a), Some(b)) => a.through(b),
            _ => Vec::new(),
        },
        None => Vec::new(),
    })
}

/// The company (or a director's departments) over time, and the department league of a month.
#[derive(Debug, Clone)]
pub struct Overview {
    pub month: Month,
    /// The unit shown: `None` for the whole company, else a director's department.
    pub unit: Option<String>,
    /// That unit's rows, oldest month first.
    pub trend: Vec<UnitMetricRow>,
    /// Departments inside the scope in `month`, best per-capita contribution first.
    pub league: Vec<UnitMetricRow>,
}

pub async fn overview(store: &Store, p: &Principal, month: Month) -> Result<Overview, AppError> {
    let unit = match &p.scope {
        Scope::All => None,
        Scope::Departments(d) if !d.is_empty() => Some(d[0].clone()),
        _ => return Err(AppError::Forbidden),
    };
    let all = store
        .unit_metrics(&MetricFilter {
            scope: p.scope.clone(),
            ..Default::default()
        })
        .await?;
    let last = latest_month(store).await?.to_key().max(month.to_key());
    let trend: Vec<UnitMetricRow> = all
        .iter()
        .filter(|r| r.department == unit && r.metrics.month <= last)
        .cloned()
        .collect();
    // The league ranks teams: departments with no sub-departments, so levels are not mixed.
    let parents: std::collections::HashSet<&str> = all
        .iter()
        .filter_map(|r| r.department.as_deref())
        .flat_map(|d| d.match_indices('/').map(move |(i, _)| &d[..i]))
        .collect();
    let has_children = |path: &str| parents.contains(path);
    let mut league: Vec<UnitMetricRow> = all
        .iter()
        .filter(|r| r.metrics.month == month.to_key() && r.department != unit)
        .filter(|r| r.department.as_deref().is_some_and(|d| !has_children(d)))
        .cloned()
        .collect();
    league.sort_by(|a, b| {
        b.metrics
            .per_capita_contribution
            .unwrap_or(f64::MIN)
            .total_cmp(&a.metrics.per_capita_contribution.unwrap_or(f64::MIN))
    });
    Ok(Overview {
        month,
        unit,
        trend,
        league,
    })
}

/// Members of a team in a month, with the sub-departments to drill into.
#[derive(Debug, Clone)]
pub struct TeamView {
    pub month: Month,
    pub department: Option<String>,
    pub members: Vec<EmployeeMetricRow>,
    /// Direct sub-departments of `department` (top-level ones when none) inside the scope.
    pub children: Vec<UnitMetricRow>,
    /// The roll-up of `department` itself, when the scope covers it.
    pub total: Option<UnitMetricRow>,
}

pub async fn team(store: &Store, p: &Principal, month: Month, department: Option<&str>) -> Result<TeamView, AppError> {
    if let Some(d) = department {
        crate::access::require_department(store, p, d).await?;
    }
    let f = MetricFilter {
        from: Some(month),
        to: Some(month),
        department: department.map(str::to_string),
        employee_no: None,
        scope: p.scope.clone(),
        page: None,
    };
    let members = store.employee_metrics(&f).await?;
    let units = store.unit_metrics(&f).await?;
    let depth = department.map(|d| d.split('/').count()).unwrap_or(0);
    let mut children: Vec<UnitMetricRow> = units
        .iter()
        .filter(|u| {
            u.department
                .as_deref()
                .is_some_and(|d| d.split('/').count() == depth + 1)
        })
        .cloned()
        .collect();
    if department.is_none()
        && let Scope::Departments(paths) = &p.scope
    {
        // A director starts at their own departments.
        children = units
            .iter()
            .filter(|u| u.department.as_ref().is_some_and(|d| paths.contains(d)))
            .cloned()
            .collect();
    }
    let total = units
        .iter()
        .find(|u| u.department.as_deref() == department && department.is_some())
        .cloned();
    Ok(TeamView {
        month,
        department: department.map(str::to_string),
        members,
        children,
        total,
    })
}

/// Everything the person page shows.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub record: EmployeeRecord,
    pub metrics: Vec<EmployeeMonthMetrics>,
    pub trainings: Vec<TrainingRecord>,
    /// `None` when the caller may not read appraisals.
    pub appraisals: Option<Vec<AppraisalRecord>>,
    pub followups: Vec<FollowupRecord>,
    pub pipeline: Vec<OpportunityRecord>,
    pub pipeline_count: i64,
}

/// One employee's record. Outside the caller's scope: [`AppError::Forbidden`] (never the data);
/// unknown: [`AppError::NotFound`].
pub async fn employee(store: &Store, p: &Principal, employee_no: &str) -> Result<EmployeeRecord, AppError> {
    match store.employee_record(employee_no, &p.scope).await? {
        Some(r) => Ok(r),
        None if store.employee_record(employee_no, &Scope::All).await?.is_some() => Err(AppError::Forbidden),
        None => Err(AppError::NotFound(employee_no.to_string())),
    }
}

pub async fn person(store: &Store, p: &Principal, employee_no: &str, ip: Option<&str>) -> Result<PersonView, AppError> {
    let record = employee(store, p, employee_no).await?;
    let metrics = store
        .employee_metrics(&MetricFilter {
            employee_no: Some(employee_no.to_string()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|r| r.metrics)
        .collect();
    let trainings = store.trainings_of(employee_no).await?;
    let appraisals = if p.role.may_read_appraisals() || p.is_self(employee_no) {
        // Appraisal results are sensitive: every read is audited.
        audit_by(store, p, "read.appraisal", Some(employee_no), None, ip).await?;
        Some(store.appraisals_of(employee_no).await?)
    } else {
        None
    };
    // Recent follow-ups: the last three months named one by one, so the (month, owner) index
    // finds this person's rows without scanning everyone's.
    let last = latest_month(store).await?;
    let (followups, _) = store
        .followup_records(
            &Scope::All,
            &RecordFilter {
                employee_no: Some(employee_no.to_string()),
                in_months: last.span_start(3).through(last).iter().map(|m| m.to_key()).collect(),
                limit: 15,
                ..Default::default()
            },
        )
        .await?;
    let (pipeline, pipeline_count) = store
        .opportunity_records(
            &Scope::All,
            &RecordFilter {
                employee_no: Some(employee_no.to_string()),
                status: Some("open".into()),
                limit: 15,
                ..Default::default()
            },
        )
        .await?;
    Ok(PersonView {
        record,
        metrics,
        trainings,
        appraisals,
        followups,
        pipeline,
        pipeline_count,
    })
}

/// Which employees of the caller's scope to list, and which page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmployeeQuery {
    /// A department path; its sub-departments are included.
    pub department: Option<String>,
    /// An employee number, or part of a name.
    pub text: Option<String>,
    /// Only people employed on this day (`YYYY-MM-DD`).
    pub active_on: Option<String>,
    /// Rows per page.
    pub limit: i64,
    /// Rows skipped before the page.
    pub offset: i64,
}

/// One page of the HR records of the people in the caller's scope, and how many match in all.
pub async fn employees(
    store: &Store,
    p: &Principal,
    q: &EmployeeQuery,
) -> Result<(Vec<EmployeeRecord>, i64), AppError> {
    Ok(store
        .employee_records(
            &p.scope,
            q.department.as_deref(),
            q.text.as_deref(),
            q.active_on.as_deref(),
            q.limit,
            q.offset,
        )
        .await?)
}

/// The departments a caller may see, in path order: all for the company scope, those inside a
/// director's departments, and for a scope of people the departments its members are in.
pub async fn departments(store: &Store, p: &Principal) -> Result<Vec<Department>, AppError> {
    let all = store.departments().await?;
    // Teams see the departments their members are in.
    let team_departments: Vec<String> = match &p.scope {
        Scope::Employees(_) => store
            .employee_records(&p.scope, None, None, None, 10_000, 0)
            .await?
            .0
            .into_iter()
            .filter_map(|e| e.department)
            .collect(),
        _ => Vec::new(),
    };
    let visible = |path: &str| match &p.scope {
        Scope::All => true,
        Scope::Departments(_) => p.scope.covers_department(path),
        Scope::Employees(_) => team_departments.iter().any(|d| d == path),
    };
    Ok(all.into_iter().filter(|d| visible(&d.path)).collect())
}

/// The public board: everyone sees it (names and business results, never pay).
pub async fn leaderboard(store: &Store, from: Month, to: Month, limit: i64) -> Result<Vec<LeaderboardLine>, AppError> {
    Ok(store
        .leaderboard(&Scope::All, from.to_key(), to.to_key(), limit)
        .await?)
}

/// Whether a role may use the overview (the company or department picture).
pub fn has_overview(p: &Principal) -> bool {
    matches!(p.scope, Scope::All) || matches!(&p.scope, Scope::Departments(d) if !d.is_empty())
}

/// Where a caller lands after signing in.
pub fn home_path(p: &Principal) -> String {
    match (p.role, &p.employee_no) {
        (Role::Employee, Some(no)) => format!("/people/{no}"),
        (Role::Manager, _) => "/team".into(),
        _ if has_overview(p) => "/".into(),
        _ => "/leaderboard".into(),
    }
}
