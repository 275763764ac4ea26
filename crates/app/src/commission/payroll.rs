//! The hand-over to payroll: the payable of locked periods, as taxable income (提成) in the pay
//! month the setting names — the period's own last month (`same`) or the month after (`next`,
//! the default: a month's commission is paid with the next month's salary).

use uplift_domain::{Lang, Month};
use uplift_store::Store;

use super::Period;
use crate::access::{Principal, audit_by};
use crate::error::AppError;

const SETTING: &str = "commission.pay_month";

/// When a locked period's payable is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayMonth {
    /// With the salary of the period's last month.
    Same,
    /// With the salary of the month after.
    Next,
}

impl PayMonth {
    pub fn as_str(self) -> &'static str {
        match self {
            PayMonth::Same => "same",
            PayMonth::Next => "next",
        }
    }

    /// The periods whose payable is paid in `pay_month` (a month period and, at a quarter's end, a
    /// quarter).
    pub fn periods_paid_in(self, pay_month: Month) -> Vec<Period> {
        let earned = match self {
            PayMonth::Same => pay_month,
            PayMonth::Next => pay_month.prev(),
        };
        let mut out = vec![Period::Month(earned)];
        if earned.month() % 3 == 0 {
            out.push(Period::quarter_of(earned));
        }
        out
    }
}

/// The company's rule, `next` unless set.
pub async fn pay_month_rule(store: &Store) -> Result<PayMonth, AppError> {
    Ok(match store.setting(SETTING).await?.as_deref() {
        Some("same") => PayMonth::Same,
        _ => PayMonth::Next,
    })
}

/// Sets the rule (`same` or `next`); those who lock periods may, audited.
pub async fn set_pay_month_rule(store: &Store, p: &Principal, rule: &str, lang: Lang) -> Result<PayMonth, AppError> {
    p.require(p.role.may_lock_commissions())?;
    let rule = match rule.trim() {
        "same" => PayMonth::Same,
        "next" => PayMonth::Next,
        other => {
            return Err(AppError::invalid_field(
                "pay_month",
                format!(
                    "{other:?}: {}",
                    lang.pick(
                        "应为 same（当月发放）或 next（次月发放）",
                        "expected same (paid in the period's month) or next (the month after)"
                    )
                ),
            ));
        }
    };
    store.set_setting(SETTING, rule.as_str()).await?;
    audit_by(store, p, "commission.pay_month", None, Some(rule.as_str()), None).await?;
    Ok(rule)
}

/// One person's commission for payroll in a pay month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayrollCommission {
    pub employee_no: String,
    pub period: String,
    pub payable_fen: i64,
}

/// What payroll takes as 提成 in `pay_month`: the payable of each locked period paid then, per
/// person (drafts are never paid). Read by those who run payroll (payroll, HR, admins), audited.
pub async fn payable_for_pay_month(
    store: &Store,
    p: &Principal,
    pay_month: &str,
    lang: Lang,
) -> Result<Vec<PayrollCommission>, AppError> {
    p.require(p.role.may_run_commissions())?;
    let month = Month::parse(pay_month).map_err(|_| {
        AppError::invalid_field(
            "pay_month",
            format!(
                "{pay_month:?}: {}",
                lang.pick("发放月份应为 YYYY-MM", "a pay month is YYYY-MM")
            ),
        )
    })?;
    let periods: Vec<String> = pay_month_rule(store)
        .await?
        .periods_paid_in(month)
        .iter()
        .map(|p| p.to_string())
        .collect();
    let rows = store.locked_payables(&periods).await?;
    audit_by(
        store,
        p,
        "read.commission.payroll",
        Some(&month.to_string()),
        None,
        None,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(employee_no, period, payable_fen)| PayrollCommission {
            employee_no,
            period,
            payable_fen,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_months_take_the_month_and_at_a_quarters_end_the_quarter() {
        let m = |s: &str| Month::parse(s).unwrap();
        let keys = |v: Vec<Period>| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(keys(PayMonth::Next.periods_paid_in(m("2026-09"))), ["2026-08"]);
        assert_eq!(
            keys(PayMonth::Next.periods_paid_in(m("2026-10"))),
            ["2026-09", "2026-Q3"]
        );
        assert_eq!(
            keys(PayMonth::Same.periods_paid_in(m("2026-09"))),
            ["2026-09", "2026-Q3"]
        );
        assert_eq!(
            keys(PayMonth::Next.periods_paid_in(m("2027-01"))),
            ["2026-12", "2026-Q4"]
        );
    }
}
