//! 补差 (`uplift payroll rerun-from 2026-07`): after a policy is corrected for months already
//! locked (a city publishing its bounds in September for July), those months are recomputed with
//! the policies now in force — never rewritten — and what each person owes or is owed goes into
//! the first open month: the 五险一金 difference as a line, the corrected cumulative 专项扣除 as
//! that month's starting position, so the cumulative tax corrects itself there.

use uplift_domain::{Lang, Money, Month};
use uplift_payroll::contributions;
use uplift_store::{CorrectionRow, Store};

use super::rows::from_row;
use super::{parse_month, policy_set};
use crate::access::{Principal, audit_by};
use crate::error::AppError;

/// What a rerun found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RerunReport {
    /// The locked months recomputed.
    pub from: String,
    pub through: String,
    /// The open month the 补差 is paid in.
    pub target: String,
    pub people: usize,
    pub employee_fen: i64,
    pub employer_fen: i64,
}

/// Recomputes the locked months from `from` and writes each person's 补差 for the month after
/// the last locked one (payroll, admins; audited). Re-running replaces the month's 补差.
pub async fn rerun_from(store: &Store, p: &Principal, from: &str, lang: Lang) -> Result<RerunReport, AppError> {
    p.require(p.role.may_lock_payroll())?;
    let from = parse_month(from, lang)?;
    let runs = store.payroll_runs().await?;
    let locked: Vec<Month> = {
        let mut v: Vec<Month> = runs
            .iter()
            .filter(|r| r.status == "locked" && r.month >= from.to_key())
            .filter_map(|r| Month::from_key(r.month))
            .collect();
        v.sort();
        v
    };
    let Some(&through) = locked.last() else {
        return Err(AppError::invalid(match lang {
            Lang::Zh => format!("{from}：之后没有已锁定的月份，直接运行 uplift payroll run 即可按新标准计算"),
            Lang::En => {
                format!("{from}: no locked month from here on; uplift payroll run uses the new tables directly")
            }
        }));
    };
    if locked.first() != Some(&from) || locked.windows(2).any(|w| w[1] != w[0].next()) {
        return Err(AppError::invalid(match lang {
            Lang::Zh => format!("{from}：补差从一个已锁定的月份起，且之后的月份须连续锁定"),
            Lang::En => format!("{from}: a rerun starts at a locked month and the months after it are locked in a row"),
        }));
    }
    let target = through.next();
    let policies = policy_set(store).await?;
    // Per person: the difference month by month, and the last locked month's cumulative 专项扣除.
    let mut by_person: std::collections::BTreeMap<i64, (i64, i64, i64)> = Default::default();
    for month in &locked {
        let first = month.first_day();
        for row in store
            .payslips(month.to_key(), &uplift_domain::access::Scope::All)
            .await?
        {
            let (input, _, slip) = from_row(&row, month.month());
            let entry = by_person.entry(row.employee_id).or_insert((0, 0, 0));
            entry.2 = row.get("cum_special");
            if !input.contributes {
                continue;
            }
            let Some(city) = policies.city(&row.si_city, first) else {
                return Err(AppError::invalid(format!(
                    "{month}: {} {}",
                    row.si_city,
                    lang.pick("没有适用的社保公积金标准", "has no contribution table")
                )));
            };
            let now = contributions(city, input.si_base, input.hf_base, input.hf_rate)
                .map_err(|e| AppError::invalid(format!("{month} {}: {e}", row.employee_no)))?;
            entry.0 += now.employee_total() - slip.contributions.employee_total();
            entry.1 += now.employer_total() - slip.contributions.employer_total();
        }
    }
    let same_year = target.year() == through.year();
    let rows: Vec<CorrectionRow> = by_person
        .into_iter()
        .filter(|(_, (emp, er, _))| *emp != 0 || *er != 0)
        .map(|(employee_id, (emp, er, cum_special))| CorrectionRow {
            month: target.to_key(),
            employee_id,
            from_month: from.to_key(),
            si_employee_fen: emp,
            si_employer_fen: er,
            // A new tax year starts from zero: the back-pay then only moves the cash.
            cum_special_fen: if same_year { cum_special + emp } else { -1 },
        })
        .collect();
    let now = chrono::Utc::now().timestamp();
    if store
        .replace_payroll_corrections(target.to_key(), &rows, &p.actor, now)
        .await?
        .is_err()
    {
        return Err(super::run::locked(target, lang));
    }
    let report = RerunReport {
        from: from.to_string(),
        through: through.to_string(),
        target: target.to_string(),
        people: rows.len(),
        employee_fen: rows.iter().map(|r| r.si_employee_fen).sum(),
        employer_fen: rows.iter().map(|r| r.si_employer_fen).sum(),
    };
    let detail = format!(
        "through={} people={} employee={} employer={}",
        report.through,
        report.people,
        Money(report.employee_fen),
        Money(report.employer_fen)
    );
    audit_by(store, p, "payroll.rerun", Some(&report.target), Some(&detail), None).await?;
    Ok(report)
}
