//! What a payroll run of one month reads: the people employed, their salary records,
//! declarations, the month's pay inputs, opening balances and last month's cumulative position.
//! Six set-wise queries; the run joins them in memory by employee id.

use sqlx::FromRow;

use crate::StoreError;
use crate::conn::{Store, on_pool};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PayrollPerson {
    pub id: i64,
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub hire_date: String,
    pub leave_date: Option<String>,
    /// The roster's city (社保城市 default when the salary record names none).
    pub city: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SalaryRow {
    pub employee_id: i64,
    pub effective_from: String,
    pub base_pay_fen: i64,
    pub allowance_fen: i64,
    pub si_city: Option<String>,
    pub si_base_fen: Option<i64>,
    pub hf_base_fen: Option<i64>,
    pub hf_rate: Option<String>,
    pub non_resident: bool,
    pub first_job_this_year: bool,
    pub sixty_thousand: bool,
    pub bank_account: Option<String>,
    pub bank_name: Option<String>,
}

/// A declaration's monthly total from `from_month` (month keys, `202603`).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DeclarationRow {
    pub employee_id: i64,
    pub from_month: i32,
    pub to_month: Option<i32>,
    pub monthly_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PayInputRow {
    pub employee_id: i64,
    pub overtime_pay_fen: i64,
    pub performance_bonus_fen: i64,
    pub other_pay_fen: i64,
    pub unpaid_leave_days_h: i64,
    pub other_pretax_deduction_fen: i64,
    pub post_tax_deduction_fen: i64,
    pub annual_bonus_fen: i64,
    pub bonus_merged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OpeningRow {
    pub employee_id: i64,
    pub as_of_month: i32,
    pub cum_income_fen: i64,
    pub cum_basic_fen: i64,
    pub cum_special_fen: i64,
    pub cum_special_additional_fen: i64,
    pub cum_withheld_fen: i64,
    pub cum_other_fen: i64,
}

/// Last month's cumulative position of one person.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PriorRow {
    pub employee_id: i64,
    pub cum_income: i64,
    pub cum_basic: i64,
    pub cum_special: i64,
    pub cum_special_additional: i64,
    pub cum_other: i64,
    pub cum_tax: i64,
    pub cum_withheld: i64,
}

/// Everything a month's run reads, each list ordered by employee id (then date or month).
#[derive(Debug, Clone, Default)]
pub struct PayrollInputs {
    pub people: Vec<PayrollPerson>,
    /// Every salary record in force on or before the month's last day.
    pub salaries: Vec<SalaryRow>,
    /// Declarations starting on or before the month.
    pub declarations: Vec<DeclarationRow>,
    pub pay_inputs: Vec<PayInputRow>,
    /// Openings of the year as of a month before this one.
    pub openings: Vec<OpeningRow>,
    /// Payslips of the month before (same year); empty in January.
    pub prior: Vec<PriorRow>,
}

impl Store {
    /// Reads a run's inputs for `month` (key `202603`), whose days are `first`..=`last`.
    pub async fn payroll_inputs(&self, month: i32, first: &str, last: &str) -> Result<PayrollInputs, StoreError> {
        let people = "SELECT e.id, e.employee_no, e.name, d.path AS department, e.hire_date, e.leave_date, e.city \
            FROM employees e LEFT JOIN departments d ON d.id = e.department_id \
            WHERE e.hire_date <= $1 AND (e.leave_date IS NULL OR e.leave_date >= $2) ORDER BY e.id";
        let salaries = "SELECT employee_id, effective_from, base_pay_fen, allowance_fen, si_city, si_base_fen, hf_base_fen, \
            hf_rate, non_resident, first_job_this_year, sixty_thousand, bank_account, bank_name \
            FROM salary_records WHERE effective_from <= $1 ORDER BY employee_id, effective_from";
        let declarations = "SELECT employee_id, from_month, to_month, child_education_fen + continuing_education_fen \
            + mortgage_interest_fen + rent_fen + elderly_support_fen + infant_care_fen AS monthly_fen \
            FROM iit_declarations WHERE from_month <= $1 ORDER BY employee_id, from_month";
        let pay_inputs = "SELECT employee_id, overtime_pay_fen, performance_bonus_fen, other_pay_fen, unpaid_leave_days_h, \
            other_pretax_deduction_fen, post_tax_deduction_fen, annual_bonus_fen, bonus_merged \
            FROM pay_inputs WHERE month = $1 ORDER BY employee_id";
        let openings = "SELECT employee_id, as_of_month, cum_income_fen, cum_basic_fen, cum_special_fen, \
            cum_special_additional_fen, cum_withheld_fen, cum_other_fen FROM iit_openings \
            WHERE as_of_month >= $1 AND as_of_month < $2 ORDER BY employee_id, as_of_month";
        let prior = "SELECT employee_id, cum_income, cum_basic, cum_special, cum_special_additional, cum_other, cum_tax, \
            cum_withheld FROM payslips WHERE month = $1 ORDER BY employee_id";
        let january = (month / 100) * 100 + 1;
        // December of last year is a different tax year: no prior in January.
        let previous = if month % 100 == 1 { 0 } else { month - 1 };
        Ok(on_pool!(self, |p| PayrollInputs {
            people: sqlx::query_as(people).bind(last).bind(first).fetch_all(p).await?,
            salaries: sqlx::query_as(salaries).bind(last).fetch_all(p).await?,
            declarations: sqlx::query_as(declarations).bind(month).fetch_all(p).await?,
            pay_inputs: sqlx::query_as(pay_inputs).bind(month).fetch_all(p).await?,
            openings: sqlx::query_as(openings).bind(january).bind(month).fetch_all(p).await?,
            prior: sqlx::query_as(prior).bind(previous).fetch_all(p).await?,
        }))
    }
}

/// A declaration with its items (子女教育, 继续教育, 住房贷款利息, 住房租金, 赡养老人, 婴幼儿照护) and
/// the month key of the person's hire, for the withholding declaration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationItems {
    pub employee_id: i64,
    pub from_month: i32,
    pub to_month: Option<i32>,
    pub items: [i64; 6],
    pub first_paid: i32,
}

type ItemRow = (i64, i32, Option<i32>, i64, i64, i64, i64, i64, i64, String);

impl Store {
    /// Every declaration starting on or before `through` (a month key), ordered by employee and
    /// start: ended ones too, since the latest start decides a month, as in the run.
    pub async fn declaration_items(&self, through: i32) -> Result<Vec<DeclarationItems>, StoreError> {
        let sql = "SELECT d.employee_id, d.from_month, d.to_month, d.child_education_fen, d.continuing_education_fen, \
            d.mortgage_interest_fen, d.rent_fen, d.elderly_support_fen, d.infant_care_fen, e.hire_date \
            FROM iit_declarations d JOIN employees e ON e.id = d.employee_id \
            WHERE d.from_month <= $1 ORDER BY d.employee_id, d.from_month";
        let rows: Vec<ItemRow> = on_pool!(self, |p| sqlx::query_as(sql).bind(through).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|r| {
                let hired: i32 =
                    r.9.get(..7)
                        .map(|ym| ym.replace('-', ""))
                        .and_then(|k| k.parse().ok())
                        .unwrap_or(0);
                DeclarationItems {
                    employee_id: r.0,
                    from_month: r.1,
                    to_month: r.2,
                    items: [r.3, r.4, r.5, r.6, r.7, r.8],
                    first_paid: hired,
                }
            })
            .collect())
    }
}
