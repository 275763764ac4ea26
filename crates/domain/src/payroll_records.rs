//! The payroll import kinds of `docs/spec/payroll.md`: salary records, special additional
//! deduction declarations, monthly pay inputs and opening cumulative balances.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Money, Month};

/// 薪资档案: one version of a person's pay, in force from `effective_from` until the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalaryRecord {
    pub employee_no: String,
    pub effective_from: NaiveDate,
    pub base_pay: Money,
    pub allowance: Money,
    pub performance_base: Option<Money>,
    /// As written (上海, Shanghai); resolved against the city policies by the run.
    pub si_city: Option<String>,
    pub si_base: Option<Money>,
    pub hf_base: Option<Money>,
    /// 0.07 for 7%.
    pub hf_rate: Option<Decimal>,
    pub non_resident: bool,
    pub first_job_this_year: bool,
    pub sixty_thousand: bool,
    pub bank_account: Option<String>,
    pub bank_name: Option<String>,
}

/// 专项附加扣除: the person's whole declaration from `from_month` on (monthly amounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IitDeclaration {
    pub employee_no: String,
    pub from_month: Month,
    pub to_month: Option<Month>,
    pub child_education: Money,
    pub continuing_education: Money,
    pub mortgage_interest: Money,
    pub rent: Money,
    pub elderly_support: Money,
    pub infant_care: Money,
}

impl IitDeclaration {
    pub fn monthly_total(&self) -> Money {
        Money(
            self.child_education.0
                + self.continuing_education.0
                + self.mortgage_interest.0
                + self.rent.0
                + self.elderly_support.0
                + self.infant_care.0,
        )
    }
}

/// 月度变动: what changes month to month, computed elsewhere or entered by payroll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayInputRecord {
    pub employee_no: String,
    pub month: Month,
    pub overtime_pay: Money,
    pub performance_bonus: Money,
    pub other_pay: Money,
    /// 事假天数, up to two decimals.
    pub unpaid_leave_days: Decimal,
    pub other_pretax_deduction: Money,
    pub post_tax_deduction: Money,
    pub annual_bonus: Money,
    /// `true` for 并入综合所得; `false` (default) for 单独计税.
    pub bonus_merged: bool,
}

impl PayInputRecord {
    /// Unpaid leave in hundredths of a day (the parser allows two decimals, 0–31 days).
    pub fn unpaid_leave_days_h(&self) -> i64 {
        use rust_decimal::prelude::ToPrimitive;
        (self.unpaid_leave_days * Decimal::ONE_HUNDRED)
            .trunc()
            .to_i64()
            .unwrap_or(0)
    }
}

/// 年初累计: the cumulative figures up to `as_of_month` from the previous system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IitOpening {
    pub employee_no: String,
    pub as_of_month: Month,
    pub cum_income: Money,
    pub cum_basic: Money,
    pub cum_special: Money,
    pub cum_special_additional: Money,
    pub cum_withheld: Money,
    pub cum_other: Money,
}
