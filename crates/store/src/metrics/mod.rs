//! The metric table: aggregating raw events in SQL, and storing and reading the materialised rows.

mod inputs;
mod read;
mod write;

use chrono::NaiveDate;

use crate::StoreError;
use crate::conn::{Store, on_pool};
use crate::value::ColType;
use uplift_domain::Month;
use uplift_domain::access::Scope;
use uplift_domain::metric_data::*;

fn in_list(months: &[i32]) -> String {
    months.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(",")
}

fn date(s: &str) -> Result<NaiveDate, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad stored date {s:?}")))
}

// The columns of the materialised tables, in the order written and read.
const EMPLOYEE_COLS: &[(&str, ColType)] = &[
    ("employee_id", ColType::Int),
    ("month", ColType::Int),
    ("days_employed", ColType::Int),
    ("fte", ColType::Real),
    ("contribution_fen", ColType::Int),
    ("orders_won", ColType::Int),
    ("per_capita_contribution", ColType::Real),
    ("avg_deal_size", ColType::Real),
    ("target_fen", ColType::Int),
    ("quota_attainment", ColType::Real),
    ("pipeline_fen", ColType::Int),
    ("leads_received", ColType::Int),
    ("leads_converted", ColType::Int),
    ("lead_conversion_rate", ColType::Real),
    ("deals_lost", ColType::Int),
    ("win_rate", ColType::Real),
    ("followups", ColType::Int),
    ("followups_per_week", ColType::Real),
    ("first_response_hours", ColType::Real),
    ("leads_contacted_24h", ColType::Int),
    ("contacted_within_24h_rate", ColType::Real),
    ("tenure_months", ColType::Int),
    ("trainings_assigned_to_date", ColType::Int),
    ("trainings_done_to_date", ColType::Int),
    ("training_completion_rate", ColType::Real),
    ("trainings_completed", ColType::Int),
    ("appraisal_score", ColType::Real),
    ("cadence_days", ColType::Real),
    ("cadence_days_on_time", ColType::Real),
    ("cadence_compliance", ColType::Real),
    ("presale_cadence_days", ColType::Real),
    ("presale_cadence_days_on_time", ColType::Real),
    ("presale_cadence_compliance", ColType::Real),
];

const UNIT_COLS: &[(&str, ColType)] = &[
    ("department_id", ColType::Int),
    ("month", ColType::Int),
    ("headcount_avg", ColType::Real),
    ("members", ColType::Int),
    ("contribution_fen", ColType::Int),
    ("orders_won", ColType::Int),
    ("per_capita_contribution", ColType::Real),
    ("avg_deal_size", ColType::Real),
    ("target_fen", ColType::Int),
    ("quota_attainment", ColType::Real),
    ("pipeline_fen", ColType::Int),
    ("leads_received", ColType::Int),
    ("lead_conversion_rate", ColType::Real),
    ("win_rate", ColType::Real),
    ("followups", ColType::Int),
    ("followups_per_week", ColType::Real),
    ("first_response_hours", ColType::Real),
    ("contacted_within_24h_rate", ColType::Real),
    ("tenure_months", ColType::Real),
    ("training_completion_rate", ColType::Real),
    ("trainings_completed", ColType::Int),
    ("appraisal_score", ColType::Real),
    ("cadence_compliance", ColType::Real),
    ("presale_cadence_compliance", ColType::Real),
];

/// Which stored metric rows to read.
#[derive(Debug, Clone, Default)]
pub struct MetricFilter {
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// A department path; its sub-departments are included.
    pub department: Option<String>,
    pub employee_no: Option<String>,
    /// Only people (employee rows) or departments (unit rows) inside this scope.
    pub scope: Scope,
    /// One page of the ordered rows: (limit, offset).
    pub page: Option<(i64, i64)>,
}

/// A stored employee-month row with who it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeMetricRow {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub metrics: EmployeeMonthMetrics,
}

/// A stored department-month (or company-month, `department` `None`) row.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMetricRow {
    pub department: Option<String>,
    pub metrics: UnitMonthMetrics,
}

impl Store {
    /// The first and last month (keys) that have CRM events: leads received, deals closed, follow-ups.
    pub async fn data_month_range(&self) -> Result<Option<(i32, i32)>, StoreError> {
        let sql = "SELECT MIN(lo), MAX(hi) FROM ( \
            SELECT MIN(created_month) AS lo, MAX(created_month) AS hi FROM leads \
            UNION ALL SELECT MIN(close_month), MAX(close_month) FROM opportunities WHERE state <> 'open' \
            UNION ALL SELECT MIN(month), MAX(month) FROM activities WHERE is_followup = TRUE) t";
        let (lo, hi): (Option<i64>, Option<i64>) = on_pool!(self, |p| sqlx::query_as(sql).fetch_one(p).await?);
        Ok(lo.zip(hi).map(|(a, b)| (a as i32, b as i32)))
    }

    /// The first and last month of the stored metric table: what pages offer. Read from the small
    /// roll-up table, unlike [`Store::data_month_range`], which scans the events.
    /// The last month is the newest with any contribution, so a month that has only begun (or
    /// holds only a few stray events) is not what pages open on.
    pub async fn metric_month_range(&self) -> Result<Option<(i32, i32)>, StoreError> {
        let sql = "SELECT MIN(month), COALESCE(MAX(CASE WHEN contribution_fen > 0 THEN month END), MAX(month)) \
            FROM department_metrics WHERE department_id = 0";
        let (lo, hi): (Option<i64>, Option<i64>) = on_pool!(self, |p| sqlx::query_as(sql).fetch_one(p).await?);
        Ok(lo.zip(hi).map(|(a, b)| (a as i32, b as i32)))
    }

    /// The department tree.
    pub async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let sql = "SELECT id, parent_id, path, name FROM departments ORDER BY path";
        let rows: Vec<(i64, Option<i64>, String, String)> =
            on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(id, parent_id, path, name)| Department {
                id,
                parent_id,
                path,
                name,
            })
            .collect())
    }
}
