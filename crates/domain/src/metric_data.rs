//! Plain data passed between the store (which aggregates raw events in SQL) and the metric engine
//! (which applies the contract's definitions). Keys: employee id and month key (`yyyymm`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An employee as the metric engine needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeFacts {
    pub id: i64,
    pub employee_no: String,
    pub department_id: Option<i64>,
    pub hire_date: NaiveDate,
    pub leave_date: Option<NaiveDate>,
}

/// A department of the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// `/`-separated path from the root, e.g. `销售中心/销售一部`.
    pub path: String,
    pub name: String,
}

/// One lead received, with what the metrics need to know about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadFact {
    pub employee_id: i64,
    pub month: i32,
    pub is_converted: bool,
    /// Seconds from creation to the first follow-up on the lead, if any.
    pub first_response_secs: Option<i64>,
}

/// Aggregates of raw events for a set of months, produced by SQL in the database.
#[derive(Debug, Clone, Default)]
pub struct MetricInputs {
    /// The months to compute (month keys, ascending).
    pub months: Vec<i32>,
    pub employees: Vec<EmployeeFacts>,
    pub departments: Vec<Department>,
    /// (employee, close month, Σ won amount in fen, won count, lost count)
    pub closed_deals: Vec<(i64, i32, i64, i64, i64)>,
    pub leads: Vec<LeadFact>,
    /// (employee, month, follow-up count)
    pub followups: Vec<(i64, i32, i64)>,
    /// (employee, month, open pipeline in fen at the month's end)
    pub pipeline: Vec<(i64, i32, i64)>,
    /// (employee, month, target in fen)
    pub targets: Vec<(i64, i32, i64)>,
    /// (employee, assigned date, completed date)
    pub enrollments: Vec<(i64, NaiveDate, Option<NaiveDate>)>,
    /// (employee, period end, score)
    pub appraisals: Vec<(i64, NaiveDate, f64)>,
    /// Customer-days under a follow-up cadence per employee and month.
    pub cadence: Vec<CadenceDays>,
}

/// One employee's customer-days under a follow-up cadence in one month, and of them the days with
/// nothing overdue: over all stages (potential, intent, won-customer care) and over the pre-sale
/// stages alone (potential and intent).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CadenceDays {
    pub employee_id: i64,
    pub month: i32,
    pub days: f64,
    pub on_time: f64,
    pub presale_days: f64,
    pub presale_on_time: f64,
}

/// The metric table row of one employee and month (`docs/spec/metrics.md`). `None` is null.
/// Money totals are fen; ratios of money are yuan as `f64`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmployeeMonthMetrics {
    pub employee_id: i64,
    pub month: i32,
    pub days_employed: i64,
    pub fte: f64,
    pub contribution_fen: i64,
    pub orders_won: i64,
    pub per_capita_contribution: Option<f64>,
    pub avg_deal_size: Option<f64>,
    pub target_fen: Option<i64>,
    pub quota_attainment: Option<f64>,
    pub pipeline_fen: i64,
    pub leads_received: i64,
    pub leads_converted: i64,
    pub lead_conversion_rate: Option<f64>,
    pub deals_lost: i64,
    pub win_rate: Option<f64>,
    pub followups: i64,
    pub followups_per_week: Option<f64>,
    pub first_response_hours: Option<f64>,
    pub leads_contacted_24h: i64,
    pub contacted_within_24h_rate: Option<f64>,
    pub tenure_months: Option<i64>,
    pub trainings_assigned_to_date: i64,
    pub trainings_done_to_date: i64,
    pub training_completion_rate: Option<f64>,
    pub trainings_completed: i64,
    pub appraisal_score: Option<f64>,
    /// Customer-days under a follow-up cadence this month, and of them the days with nothing
    /// overdue (`cadence_compliance` = on time / days; Uplift's metric, beside the contract's).
    pub cadence_days: f64,
    pub cadence_days_on_time: f64,
    pub cadence_compliance: Option<f64>,
    /// The same over the pre-sale stages only (`presale_cadence_compliance`): care of won
    /// customers grows with the wins a rep has had, which driver analysis must not see.
    pub presale_cadence_days: f64,
    pub presale_cadence_days_on_time: f64,
    pub presale_cadence_compliance: Option<f64>,
}

/// The rolled-up row of a department (with its sub-departments) or the company (`department_id`
/// `None`) for one month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitMonthMetrics {
    pub department_id: Option<i64>,
    pub month: i32,
    pub headcount_avg: f64,
    pub members: i64,
    pub contribution_fen: i64,
    pub orders_won: i64,
    pub per_capita_contribution: Option<f64>,
    pub avg_deal_size: Option<f64>,
    pub target_fen: Option<i64>,
    pub quota_attainment: Option<f64>,
    pub pipeline_fen: i64,
    pub leads_received: i64,
    pub lead_conversion_rate: Option<f64>,
    pub win_rate: Option<f64>,
    pub followups: i64,
    pub followups_per_week: Option<f64>,
    pub first_response_hours: Option<f64>,
    pub contacted_within_24h_rate: Option<f64>,
    pub tenure_months: Option<f64>,
    pub training_completion_rate: Option<f64>,
    pub trainings_completed: i64,
    pub appraisal_score: Option<f64>,
    pub cadence_compliance: Option<f64>,
    pub presale_cadence_compliance: Option<f64>,
}
