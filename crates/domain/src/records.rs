//! The records Uplift imports: CRM objects (Salesforce names) and HR files.
//! Source ids are kept so that re-importing upserts instead of duplicating.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::payroll_records::*;
use crate::{Money, Month};

/// What kind of data a file holds. The order of [`ImportKind::ALL`] is the order `import dir` loads
/// them in, so that owners and employees exist before what refers to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Roster,
    User,
    Account,
    Lead,
    Opportunity,
    /// Salesforce OpportunitySplit: who shares a deal's credit (commissions).
    OpportunitySplit,
    /// Payments received on deals (回款记录): the credit of collected-basis commission plans.
    Payment,
    Task,
    Event,
    Target,
    Course,
    Enrollment,
    Appraisal,
    Capacity,
    /// Leave periods (请假记录): who is away when, so routing skips them.
    Leave,
    /// 薪资档案: base pay, allowance, social-insurance city and bases, tax status, bank.
    Salary,
    /// 专项附加扣除 declarations.
    IitDeduction,
    /// 月度变动: overtime, bonuses, unpaid leave, deductions of one month.
    PayInput,
    /// 年初累计: cumulative tax figures from a previous system.
    IitOpening,
    /// New leads to route (`uplift leads assign --input`); read for routing, never imported.
    NewLead,
}

impl ImportKind {
    pub const ALL: [ImportKind; 19] = [
        ImportKind::Roster,
        ImportKind::User,
        ImportKind::Account,
        ImportKind::Lead,
        ImportKind::Opportunity,
        ImportKind::OpportunitySplit,
        ImportKind::Payment,
        ImportKind::Task,
        ImportKind::Event,
        ImportKind::Target,
        ImportKind::Course,
        ImportKind::Enrollment,
        ImportKind::Appraisal,
        ImportKind::Capacity,
        ImportKind::Leave,
        ImportKind::Salary,
        ImportKind::IitDeduction,
        ImportKind::PayInput,
        ImportKind::IitOpening,
    ];

    /// The identifier used on the command line (`uplift import lead …`).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Roster => "roster",
            ImportKind::User => "user",
            ImportKind::Account => "account",
            ImportKind::Lead => "lead",
            ImportKind::Opportunity => "opportunity",
            ImportKind::OpportunitySplit => "opportunity_split",
            ImportKind::Payment => "payment",
            ImportKind::Task => "task",
            ImportKind::Event => "event",
            ImportKind::Target => "target",
            ImportKind::Course => "course",
            ImportKind::Enrollment => "enrollment",
            ImportKind::Appraisal => "appraisal",
            ImportKind::Capacity => "capacity",
            ImportKind::Leave => "leave",
            ImportKind::Salary => "salary",
            ImportKind::IitDeduction => "iit_deduction",
            ImportKind::PayInput => "pay_input",
            ImportKind::IitOpening => "iit_opening",
            ImportKind::NewLead => "new_lead",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        let s = s.trim().to_ascii_lowercase();
        ImportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || format!("{}s", k.as_str()) == s)
    }

    /// Recognises a file by its name, as `import dir` does: `Lead.csv`, `roster.xlsx`, `花名册.csv`,
    /// `targets.csv`. `None` for names that say nothing.
    pub fn from_file_stem(stem: &str) -> Option<ImportKind> {
        // Exports split into parts (`Task_01`, `Task-2`, `Lead 3`) keep their kind.
        let s = stem.trim().to_lowercase();
        let s = s
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .trim_end_matches(['_', '-', ' ', '.'])
            .to_string();
        let s = if s.is_empty() { stem.trim().to_lowercase() } else { s };
        let zh: &[(&str, ImportKind)] = &[
            ("商机分成", ImportKind::OpportunitySplit),
            ("薪资档案", ImportKind::Salary),
            ("专项附加扣除", ImportKind::IitDeduction),
            ("月度变动", ImportKind::PayInput),
            ("年初累计", ImportKind::IitOpening),
            ("回款", ImportKind::Payment),
            ("花名册", ImportKind::Roster),
            ("员工", ImportKind::Roster),
            ("业绩目标", ImportKind::Target),
            ("目标", ImportKind::Target),
            ("课程", ImportKind::Course),
            ("培训记录", ImportKind::Enrollment),
            ("培训", ImportKind::Enrollment),
            ("绩效", ImportKind::Appraisal),
            ("线索上限", ImportKind::Capacity),
            ("请假", ImportKind::Leave),
            ("休假", ImportKind::Leave),
        ];
        if let Some(k) = ImportKind::parse(&s) {
            return Some(k);
        }
        let alias = match s.as_str() {
            "employees" | "employee" => Some(ImportKind::Roster),
            "users" => Some(ImportKind::User),
            "opportunities" => Some(ImportKind::Opportunity),
            "opportunitysplit" | "opportunitysplits" => Some(ImportKind::OpportunitySplit),
            "leaves" | "absences" => Some(ImportKind::Leave),
            "salaries" => Some(ImportKind::Salary),
            "activities" => None,
            _ => None,
        };
        alias.or_else(|| zh.iter().find(|(name, _)| s.contains(name)).map(|(_, k)| *k))
    }

    /// Chinese name, for reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            ImportKind::Roster => "花名册",
            ImportKind::User => "CRM用户",
            ImportKind::Account => "客户",
            ImportKind::Lead => "线索",
            ImportKind::Opportunity => "商机",
            ImportKind::OpportunitySplit => "商机分成",
            ImportKind::Payment => "回款记录",
            ImportKind::Task => "任务",
            ImportKind::Event => "日程",
            ImportKind::Target => "业绩目标",
            ImportKind::Course => "课程",
            ImportKind::Enrollment => "培训记录",
            ImportKind::Appraisal => "绩效",
            ImportKind::Capacity => "线索上限",
            ImportKind::Leave => "请假记录",
            ImportKind::Salary => "薪资档案",
            ImportKind::IitDeduction => "专项附加扣除",
            ImportKind::PayInput => "月度变动",
            ImportKind::IitOpening => "年初累计",
            ImportKind::NewLead => "待分配线索",
        }
    }
}

/// One share of a won deal's credit (Salesforce OpportunitySplit). A deal's shares add up to 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpportunitySplit {
    /// The split's own id, or `<deal>:<owner>` when the file has none.
    pub source_id: String,
    pub opportunity_id: String,
    /// The CRM user credited.
    pub owner_id: String,
    /// Percent of the deal's amount, 0 < p ≤ 100.
    pub percentage: rust_decimal::Decimal,
}

/// A payment received on a deal (回款): credits the deal's owner, or its split owners, in the
/// period of its date on collected-basis plans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub source_id: String,
    pub opportunity_id: String,
    pub payment_date: NaiveDate,
    /// A refund is negative.
    pub amount: Money,
}

/// A Salesforce User: someone who owns CRM records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrmUser {
    pub source_id: String,
    pub name: String,
    pub email: Option<String>,
    pub is_active: bool,
    pub role_id: Option<String>,
    pub manager_id: Option<String>,
}

/// A customer company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub source_id: String,
    pub name: String,
    pub industry: Option<String>,
    pub owner_id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A sales lead assigned to an owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub source_id: String,
    pub owner_id: String,
    pub created_at: DateTime<Utc>,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub status: Option<String>,
    pub rating: Option<String>,
    pub is_converted: bool,
    pub converted_date: Option<NaiveDate>,
    pub converted_opportunity_id: Option<String>,
    pub converted_account_id: Option<String>,
    pub company: Option<String>,
    pub name: Option<String>,
    pub city: Option<String>,
    pub annual_revenue: Option<Money>,
    pub number_of_employees: Option<i64>,
}

/// Whether an opportunity is still open, won or lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealState {
    Open,
    Won,
    Lost,
}

impl DealState {
    /// The name stored in the database (`open`, `won`, `lost`).
    pub fn as_str(self) -> &'static str {
        match self {
            DealState::Open => "open",
            DealState::Won => "won",
            DealState::Lost => "lost",
        }
    }

    /// Reads [`DealState::as_str`]'s form.
    pub fn parse(s: &str) -> Option<DealState> {
        [DealState::Open, DealState::Won, DealState::Lost]
            .into_iter()
            .find(|d| d.as_str() == s)
    }

    /// Salesforce's rule when IsWon/IsClosed are absent: `Closed Won`, `Closed Lost`, else open.
    pub fn from_stage_name(stage: &str) -> DealState {
        let s = stage.trim().to_ascii_lowercase();
        if s == "closed won" || s == "won" || s == "赢单" {
            DealState::Won
        } else if s == "closed lost" || s == "lost" || s == "输单" {
            DealState::Lost
        } else {
            DealState::Open
        }
    }
}

/// A sales opportunity (deal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    pub source_id: String,
    pub owner_id: String,
    pub close_date: NaiveDate,
    pub stage_name: String,
    pub amount: Option<Money>,
    pub currency: String,
    pub state: DealState,
    pub probability: Option<f64>,
    pub account_id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub lead_source: Option<String>,
    pub opportunity_type: Option<String>,
    pub name: Option<String>,
}

/// Task or Event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Task,
    Event,
}

/// A CRM activity (Salesforce Task or Event). Completed tasks and all events are follow-ups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub source_id: String,
    pub kind: ActivityKind,
    pub owner_id: String,
    pub who_id: Option<String>,
    pub what_id: Option<String>,
    pub subject: Option<String>,
    pub subtype: Option<String>,
    pub status: Option<String>,
    /// When it happened: CompletedDateTime, else CreatedDate for tasks; StartDateTime for events.
    pub at: DateTime<Utc>,
    /// Whether it counts as a follow-up (completed task, or any event).
    pub is_followup: bool,
    pub call_seconds: Option<i64>,
}

/// An employee from the roster (花名册).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Employee {
    pub employee_no: String,
    pub name: String,
    /// Department path, `/`-separated for sub-departments (e.g. `销售中心/销售一部`).
    pub department: Option<String>,
    pub position: Option<String>,
    pub role_family: Option<String>,
    pub hire_date: NaiveDate,
    pub leave_date: Option<NaiveDate>,
    pub manager_no: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub city: Option<String>,
    pub crm_user_id: Option<String>,
    pub industry_experience: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub gender: Option<String>,
    /// Columns the contract does not name (年龄, 出勤率, 学历, …), kept for analysis.
    pub attributes: BTreeMap<String, String>,
}

/// A monthly sales target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub employee_no: String,
    pub month: Month,
    pub amount: Money,
}

/// A training course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub course_id: String,
    pub name: String,
    pub skills: Vec<String>,
    pub format: Option<String>,
    pub hours: Option<f64>,
}

/// A course assigned to an employee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    pub employee_no: String,
    pub course_id: String,
    pub assigned_date: NaiveDate,
    pub completed_date: Option<NaiveDate>,
    pub score: Option<f64>,
}

/// An appraisal for a period (a month or a quarter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appraisal {
    pub employee_no: String,
    /// As written: `2026-03` or `2026-Q1`.
    pub period: String,
    /// Last day of the period, which decides from when the score applies.
    pub period_end: NaiveDate,
    pub score: f64,
    pub grade: Option<String>,
    pub reviewer_no: Option<String>,
}

/// The canonical spelling of a period: `2026-03`, `2026-Q1` or `2026`, so that `2026-q1`,
/// `2026 Q1` and `2026/3` are the same key on re-import.
pub fn canonical_period(period: &str) -> Option<String> {
    let p = period.trim();
    if let Some((y, q)) = p
        .split_once(['-', ' '])
        .filter(|(_, q)| q.to_ascii_uppercase().starts_with('Q'))
    {
        let y: i32 = y.trim().parse().ok()?;
        let q: u32 = q.trim()[1..].parse().ok()?;
        return ((1..=4).contains(&q) && (1000..=9999).contains(&y)).then(|| format!("{y:04}-Q{q}"));
    }
    if let Ok(y) = p.parse::<i32>() {
        return (1000..=9999).contains(&y).then(|| format!("{y:04}"));
    }
    Month::parse(p).ok().map(|m| m.to_string())
}

/// Parses an appraisal period, returning its last day.
pub fn appraisal_period_end(period: &str) -> Option<NaiveDate> {
    let p = period.trim();
    if let Some((y, q)) = p
        .split_once(['-', ' '])
        .filter(|(_, q)| q.to_ascii_uppercase().starts_with('Q'))
    {
        let y: i32 = y.parse().ok()?;
        let q: u32 = q[1..].parse().ok()?;
        if !(1..=4).contains(&q) {
            return None;
        }
        return Month::new(y, q * 3).map(|m| m.last_day());
    }
    if let Ok(y) = p.parse::<i32>()
        && (1000..=9999).contains(&y)
    {
        return Month::new(y, 12).map(|m| m.last_day());
    }
    Month::parse(p).ok().map(|m| m.last_day())
}

/// A rep's monthly lead capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub employee_no: String,
    pub max_leads_per_month: i64,
}

/// A period someone is away (leave of any type), both days included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leave {
    pub employee_no: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub leave_type: Option<String>,
}

/// A lead waiting for an owner, as read from a routing input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLead {
    pub source_id: String,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub rating: Option<String>,
    pub company: Option<String>,
    pub city: Option<String>,
    pub number_of_employees: Option<i64>,
}

/// One parsed row of any kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    User(CrmUser),
    Account(Account),
    Lead(Lead),
    Opportunity(Opportunity),
    OpportunitySplit(OpportunitySplit),
    Payment(Payment),
    Activity(Activity),
    Employee(Employee),
    Target(Target),
    Course(Course),
    Enrollment(Enrollment),
    Appraisal(Appraisal),
    Capacity(Capacity),
    Leave(Leave),
    Salary(SalaryRecord),
    IitDeduction(IitDeclaration),
    PayInput(PayInputRecord),
    IitOpening(IitOpening),
    NewLead(NewLead),
}

impl Record {
    /// The key rows are upserted by (a source id, an employee number, or a composite).
    pub fn key(&self) -> String {
        match self {
            Record::User(r) => r.source_id.clone(),
            Record::Account(r) => r.source_id.clone(),
            Record::Lead(r) => r.source_id.clone(),
            Record::Opportunity(r) => r.source_id.clone(),
            Record::OpportunitySplit(r) => r.source_id.clone(),
            Record::Payment(r) => r.source_id.clone(),
            Record::Activity(r) => r.source_id.clone(),
            Record::Employee(r) => r.employee_no.clone(),
            Record::Target(r) => format!("{} {}", r.employee_no, r.month),
            Record::Course(r) => r.course_id.clone(),
            Record::Enrollment(r) => {
                format!("{} {} {}", r.employee_no, r.course_id, r.assigned_date)
            }
            Record::Appraisal(r) => format!("{} {}", r.employee_no, r.period),
            Record::Capacity(r) => r.employee_no.clone(),
            Record::Leave(r) => format!("{} {}", r.employee_no, r.start_date),
            Record::Salary(r) => format!("{} {}", r.employee_no, r.effective_from),
            Record::IitDeduction(r) => format!("{} {}", r.employee_no, r.from_month),
            Record::PayInput(r) => format!("{} {}", r.employee_no, r.month),
            Record::IitOpening(r) => format!("{} {}", r.employee_no, r.as_of_month),
            Record::NewLead(r) => r.source_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_file_names() {
        assert_eq!(ImportKind::from_file_stem("Lead"), Some(ImportKind::Lead));
        assert_eq!(ImportKind::from_file_stem("targets"), Some(ImportKind::Target));
        assert_eq!(ImportKind::from_file_stem("2026花名册"), Some(ImportKind::Roster));
        assert_eq!(ImportKind::from_file_stem("Opportunity"), Some(ImportKind::Opportunity));
        assert_eq!(ImportKind::from_file_stem("expected_metrics"), None);
        assert_eq!(ImportKind::from_file_stem("Task_07"), Some(ImportKind::Task));
        assert_eq!(ImportKind::from_file_stem("Lead 2"), Some(ImportKind::Lead));
        assert_eq!(ImportKind::from_file_stem("Payment"), Some(ImportKind::Payment));
        assert_eq!(
            ImportKind::from_file_stem("2026年8月回款记录"),
            Some(ImportKind::Payment)
        );
    }

    #[test]
    fn periods() {
        assert_eq!(appraisal_period_end("2026-Q1"), NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(appraisal_period_end("2026-02"), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(appraisal_period_end("2026-Q5"), None);
        assert_eq!(canonical_period("2026 q1").as_deref(), Some("2026-Q1"));
        assert_eq!(canonical_period("2026/3").as_deref(), Some("2026-03"));
        assert_eq!(canonical_period("2026").as_deref(), Some("2026"));
    }

    #[test]
    fn stage_names() {
        assert_eq!(DealState::from_stage_name("Closed Won"), DealState::Won);
        assert_eq!(DealState::from_stage_name("closed lost"), DealState::Lost);
        assert_eq!(DealState::from_stage_name("Negotiation/Review"), DealState::Open);
        for d in [DealState::Open, DealState::Won, DealState::Lost] {
            assert_eq!(DealState::parse(d.as_str()), Some(d));
        }
        assert_eq!(DealState::parse("closed"), None);
    }
}
