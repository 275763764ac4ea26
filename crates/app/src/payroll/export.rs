//! The contract export (`uplift payroll export`): one row per person paid, amounts in yuan.

use uplift_domain::{Lang, Money};
use uplift_store::Store;

use super::rows::{si_employee, si_employer};
use super::sheets::month_slips;
use crate::access::Principal;
use crate::error::AppError;

/// The export's columns, as the contract names them.
pub const EXPORT_COLUMNS: [&str; 16] = [
    "employee_no",
    "month",
    "gross",
    "si_employee",
    "hf_employee",
    "si_employer",
    "hf_employer",
    "special_additional",
    "cum_income",
    "cum_taxable",
    "cum_tax",
    "iit_withheld",
    "annual_bonus",
    "bonus_iit",
    "net",
    "status",
];

/// A month's payslips as the contract's rows (payroll, HR, admins; audited).
pub async fn export_rows(store: &Store, p: &Principal, month: &str, lang: Lang) -> Result<Vec<Vec<String>>, AppError> {
    let (month, run, slips) = month_slips(store, p, month, "read.payroll.export", lang).await?;
    let yuan = |fen: i64| Money(fen).to_decimal().to_string();
    Ok(slips
        .iter()
        .map(|s| {
            let cum_taxable = s.get("cum_income")
                - s.get("cum_basic")
                - s.get("cum_special")
                - s.get("cum_special_additional")
                - s.get("cum_other");
            vec![
                s.employee_no.clone(),
                month.to_string(),
                yuan(s.get("gross")),
                yuan(si_employee(s)),
                yuan(s.get("hf_employee")),
                yuan(si_employer(s)),
                yuan(s.get("hf_employer")),
                yuan(s.get("cum_special_additional") - s.get("prior_special_additional")),
                yuan(s.get("cum_income")),
                yuan(cum_taxable),
                yuan(s.get("cum_tax")),
                yuan(s.get("iit_withheld")),
                yuan(s.get("annual_bonus")),
                yuan(s.get("bonus_iit")),
                yuan(s.get("net")),
                run.status.clone(),
            ]
        })
        .collect())
}
