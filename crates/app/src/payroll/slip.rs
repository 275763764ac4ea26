//! A payslip as its reader sees it: every line with its formula, in their language.

use uplift_domain::{Lang, Month};
use uplift_payroll::{Line, lines};
use uplift_store::Store;

use super::{parse_month, policy_set, rows::from_row};
use crate::access::{Principal, audit_by};
use crate::error::AppError;

/// One person's month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayslipView {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub month: String,
    /// `open` (may still change) or `locked`.
    pub status: String,
    pub city: String,
    pub gross_fen: i64,
    pub net_fen: i64,
    pub lines: Vec<Line>,
}

fn may_read(p: &Principal, employee_no: &str) -> bool {
    p.is_self(employee_no) || p.role.may_run_payroll()
}

/// A person's payslip of a month: their own, or anyone's for payroll, HR and admins; audited.
pub async fn payslip(
    store: &Store,
    p: &Principal,
    employee_no: &str,
    month: &str,
    lang: Lang,
) -> Result<PayslipView, AppError> {
    p.require(may_read(p, employee_no))?;
    let month = parse_month(month, lang)?;
    let row = store
        .payslips_of(employee_no)
        .await?
        .into_iter()
        .find(|r| r.month == month.to_key())
        .ok_or_else(|| AppError::NotFound(format!("payslip {employee_no} {month}")))?;
    let status = store
        .payroll_run(month.to_key())
        .await?
        .map(|r| r.status)
        .unwrap_or_default();
    let policies = policy_set(store).await?;
    let first = month.first_day();
    let (city, tax) = match (policies.city(&row.si_city, first), policies.tax(first)) {
        (Some(c), Some(t)) => (c.clone(), t.clone()),
        _ => {
            return Err(AppError::Internal(format!(
                "no policy for the stored payslip {employee_no} {month}"
            )));
        }
    };
    let (input, prior, mut slip) = from_row(&row, month.month());
    // The clamped bases and the bonus zone are not stored: they follow from the inputs.
    if let Ok(c) = uplift_payroll::contributions(&city, input.si_base, input.hf_base, input.hf_rate) {
        slip.contributions.base = c.base;
        slip.contributions.hf_base = c.hf_base;
    }
    if slip.bonus_method == uplift_payroll::BonusMethod::Separate && input.annual_bonus > 0 {
        slip.bonus_zone = uplift_payroll::iit::bonus_zone(&tax, input.annual_bonus);
    }
    let sources = [
        (
            "commission",
            lang.pick("已锁定的提成结算", "locked commission statements")
                .to_string(),
        ),
        (
            "si_backpay",
            lang.pick(
                "以前月份按更正后的社保公积金标准补差（uplift payroll rerun-from）",
                "earlier months under the corrected contribution table (uplift payroll rerun-from)",
            )
            .to_string(),
        ),
    ];
    let lines = lines(&city, &tax, &input, &prior, &slip, &sources, lang);
    audit_by(
        store,
        p,
        "read.payslip",
        Some(&format!("{employee_no} {month}")),
        None,
        None,
    )
    .await?;
    Ok(PayslipView {
        employee_no: row.employee_no.clone(),
        name: row.name.clone(),
        department: row.department.clone(),
        month: month.to_string(),
        status,
        city: match lang {
            Lang::Zh => city.name_zh.clone(),
            Lang::En => city.name_en.clone(),
        },
        gross_fen: slip.gross,
        net_fen: slip.net,
        lines,
    })
}

/// The months a person has payslips for, newest first, with gross and net (their own, or
/// anyone's for payroll, HR and admins; audited).
pub async fn payslips_of(store: &Store, p: &Principal, employee_no: &str) -> Result<Vec<(Month, i64, i64)>, AppError> {
    p.require(may_read(p, employee_no))?;
    let rows = store.payslips_of(employee_no).await?;
    audit_by(store, p, "read.payslips", Some(employee_no), None, None).await?;
    Ok(rows
        .iter()
        .filter_map(|r| Month::from_key(r.month).map(|m| (m, r.get("gross"), r.get("net"))))
        .collect())
}
