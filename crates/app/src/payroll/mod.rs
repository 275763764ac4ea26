//! Payroll use cases (`docs/payroll.md`): policies, the month's run and lock, payslips with their
//! formulas, the contract export. Payroll, HR and admins run and read; an employee reads only
//! their own payslips; managers and directors never see individual pay. Every read is audited.

mod export;
mod plan;
mod policies;
mod rerun;
mod rows;
mod run;
mod settings;
mod sheets;
mod slip;

pub use export::{EXPORT_COLUMNS, export_rows};
pub use policies::{PolicyEntry, PolicyImported, import_policy, policies, policy_set};
pub use rerun::{RerunReport, rerun_from};
pub use rows::{si_employee, si_employer};
pub use run::{RunReport, lock, run};
pub use settings::{bank_columns, default_city, set_bank_columns, set_default_city};
pub use sheets::{
    BANK_COLUMNS_SETTING, Change, DECLARATION_COLUMNS, DepartmentCost, MonthView, bank_csv, declaration_csv,
    month_view, salary_sheet_xlsx,
};
pub use slip::{PayslipView, payslip, payslips_of};
pub use uplift_payroll::{Group, Line};

use uplift_domain::{Lang, Month};
use uplift_store::{PayrollRunRow, Store};

use crate::access::Principal;
use crate::error::AppError;

/// The setting naming the company's contribution city, for salary records that name none.
pub const DEFAULT_CITY_SETTING: &str = "payroll.default_city";

fn parse_month(s: &str, lang: Lang) -> Result<Month, AppError> {
    Month::parse(s).map_err(|_| {
        AppError::invalid_field(
            "month",
            format!(
                "{s:?}: {}",
                lang.pick("月份应为 YYYY-MM，如 2026-03", "a month is YYYY-MM, e.g. 2026-03")
            ),
        )
    })
}

/// The months run so far, newest first, with their totals (payroll, HR, admins).
pub async fn runs(store: &Store, p: &Principal) -> Result<Vec<PayrollRunRow>, AppError> {
    p.require(p.role.may_run_payroll())?;
    Ok(store.payroll_runs().await?)
}
