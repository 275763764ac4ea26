//! A month's payroll run (`uplift payroll run --month 2026-03`): every person employed that month
//! paid by the engine from their salary record, declarations, pay inputs, locked commission and
//! last month's cumulative position; all or nothing, re-runnable until locked.

use super::plan::{Plan, list};
use rustc_hash::FxHashMap as HashMap;
use uplift_domain::{Lang, Money, Month};
use uplift_payroll::{Job, PayError, Payslip, TaxStatus, pay_all};
use uplift_store::{CorrectionRow, PayrollRunRow, PayslipRow, RunRefused, Store};

use super::rows::{basic_rule_key, bonus_method_key, numbers};
use super::{DEFAULT_CITY_SETTING, parse_month, policy_set};
use crate::access::{Principal, audit_by};
use crate::error::AppError;

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    pub month: String,
    pub people: usize,
    pub gross_fen: i64,
    pub net_fen: i64,
    pub iit_fen: i64,
    pub employer_cost_fen: i64,
    pub commission_fen: i64,
    /// Things to know that did not stop the run (an unverified city table, no calendar).
    pub warnings: Vec<String>,
}

/// Runs a month (payroll, HR, admins). Refuses, naming the people, when someone employed has no
/// salary record, a city has no table for the month, last month's cumulative position is
/// missing, or a payslip would be negative; a locked month is never rewritten.
pub async fn run(store: &Store, p: &Principal, month: &str, lang: Lang) -> Result<RunReport, AppError> {
    p.require(p.role.may_run_payroll())?;
    let month = parse_month(month, lang)?;
    let key = month.to_key();
    // One read of the runs answers: is this month locked, was a later one run, is the last locked.
    let runs = store.payroll_runs().await?;
    let status_of = |k: i32| runs.iter().find(|r| r.month == k).map(|r| r.status.as_str());
    if status_of(key) == Some("locked") {
        return Err(locked(month, lang));
    }
    // The months of a year run in order: a month before one already run would restart the
    // cumulative position the later months were computed from.
    if let Some(later) = runs
        .iter()
        .filter(|r| r.month > key && r.month / 100 == month.year())
        .filter_map(|r| Month::from_key(r.month))
        .max()
    {
        return Err(AppError::conflict(
            Some("month"),
            match lang {
                Lang::Zh => format!("{month}：{later} 已经计算过，同一年的月份须按顺序计算，不能回头重算"),
                Lang::En => {
                    format!("{month}: {later} has been run; the months of a year run in order, never backwards")
                }
            },
        ));
    }
    let previous = (month.month() > 1).then(|| month.prev());
    if let Some(prev) = previous
        && status_of(prev.to_key()).is_some_and(|s| s != "locked")
    {
        return Err(AppError::conflict(
            Some("month"),
            match lang {
                Lang::Zh => format!("{month}：请先锁定 {prev} 的工资（同一年的月份按顺序计算）"),
                Lang::En => format!("{month}: lock {prev}'s payroll first (the months of a year run in order)"),
            },
        ));
    }
    let policies = policy_set(store).await?;
    let first = month.first_day();
    let tax = policies.tax(first).ok_or_else(|| {
        AppError::invalid(match lang {
            Lang::Zh => format!("{month}：没有适用的个税政策，请导入 kind = \"tax\" 的政策文件"),
            Lang::En => format!("{month}: no income tax policy applies; import a policy file of kind = \"tax\""),
        })
    })?;
    let default_city = store
        .setting(DEFAULT_CITY_SETTING)
        .await?
        .unwrap_or_else(|| "shanghai".into());
    let inputs = store
        .payroll_inputs(key, &first.to_string(), &month.last_day().to_string())
        .await?;
    let commission = commission_by_person(store, p, month, lang).await?;
    let corrections: HashMap<i64, CorrectionRow> = store
        .payroll_corrections(key)
        .await?
        .into_iter()
        .map(|c| (c.employee_id, c))
        .collect();
    let separate_bonus_paid: rustc_hash::FxHashSet<i64> = store
        .separate_bonus_paid(month.year() * 100 + 1, key)
        .await?
        .into_iter()
        .collect();
    let plan = Plan {
        month,
        policies: &policies,
        tax,
        calendar: policies.calendar(month.year()),
        default_city: &default_city,
        separate_bonus_paid: &separate_bonus_paid,
        corrections: &corrections,
        commission: &commission,
    };
    let mut built = plan.build(&inputs, lang)?;
    // Locked commission nobody on this month's payroll receives (a leaver's last month, say):
    // said, so that it is paid by hand rather than lost.
    let paid: rustc_hash::FxHashSet<&str> = built.people.iter().map(|b| b.person.employee_no.as_str()).collect();
    let mut unpaid: Vec<String> = commission
        .iter()
        .filter(|(no, fen)| **fen != 0 && !paid.contains(no.as_str()))
        .map(|(no, fen)| format!("{no} {}", Money(*fen).display_cny()))
        .collect();
    unpaid.sort();
    if !unpaid.is_empty() {
        built.warnings.push(format!(
            "{}{}",
            lang.pick(
                "以下已锁定的提成本月无人发放（不在本月工资名单中），请另行处理：",
                "locked commission nobody on this month's payroll receives; pay it by hand: "
            ),
            list(&unpaid, lang)
        ));
    }

    let jobs: Vec<Job> = built
        .people
        .iter()
        .map(|b| Job {
            city: b.city,
            tax,
            input: &b.input,
            prior: &b.prior,
        })
        .collect();
    let mut slips = vec![Payslip::default(); jobs.len()];
    let failed = pay_all(&jobs, &mut slips);
    if !failed.is_empty() {
        let names: Vec<String> = failed
            .iter()
            .map(|(i, e)| format!("{}（{}）", built.people[*i].person.name, pay_error(e, lang)))
            .collect();
        return Err(AppError::invalid(format!(
            "{month}: {}{}",
            lang.pick("以下人员无法计算工资：", "these people cannot be paid: "),
            list(&names, lang)
        )));
    }

    let now = chrono::Utc::now().timestamp();
    let mut report = RunReport {
        month: month.to_string(),
        people: slips.len(),
        gross_fen: 0,
        net_fen: 0,
        iit_fen: 0,
        employer_cost_fen: 0,
        commission_fen: 0,
        warnings: built.warnings,
    };
    let rows: Vec<PayslipRow> = built
        .people
        .iter()
        .zip(&slips)
        .map(|(b, s)| {
            report.gross_fen += s.gross + b.input.annual_bonus;
            report.net_fen += s.net;
            report.iit_fen += s.iit_total();
            report.employer_cost_fen +=
                s.gross + b.input.annual_bonus + s.contributions.employer_total() + b.input.si_backpay_employer;
            report.commission_fen += b.input.commission;
            PayslipRow {
                month: key,
                employee_id: b.person.id,
                employee_no: b.person.employee_no.clone(),
                name: b.person.name.clone(),
                department: b.person.department.clone(),
                si_city: b.city.city.clone(),
                bank_account: b.bank_account.clone(),
                bank_name: b.bank_name.clone(),
                basic_rule: basic_rule_key(b.input.basic_rule).into(),
                bonus_method: bonus_method_key(s.bonus_method).into(),
                bonus_separate_allowed: b.input.bonus_separate_allowed,
                contributes: b.input.contributes,
                non_resident: b.input.tax_status == TaxStatus::NonResident,
                numbers: numbers(&b.input, &b.prior, s),
            }
        })
        .collect();
    let run = PayrollRunRow {
        month: key,
        status: "open".into(),
        people: rows.len() as i64,
        gross_fen: report.gross_fen,
        net_fen: report.net_fen,
        iit_fen: report.iit_fen,
        employer_cost_fen: report.employer_cost_fen,
        run_by: p.actor.clone(),
        run_ts: now,
        locked_by: None,
        locked_ts: None,
    };
    match store.write_payroll_run(&run, &rows).await? {
        Ok(()) => {}
        Err(RunRefused::Locked) => return Err(locked(month, lang)),
    }
    let detail = format!(
        "people={} gross={} net={} iit={}",
        report.people,
        Money(report.gross_fen),
        Money(report.net_fen),
        Money(report.iit_fen)
    );
    audit_by(store, p, "payroll.run", Some(&month.to_string()), Some(&detail), None).await?;
    Ok(report)
}

/// Locks a month (payroll, admins): its payslips are final and never rewritten.
pub async fn lock(store: &Store, p: &Principal, month: &str, lang: Lang) -> Result<(), AppError> {
    p.require(p.role.may_lock_payroll())?;
    let month = parse_month(month, lang)?;
    if !store
        .lock_payroll(month.to_key(), &p.actor, chrono::Utc::now().timestamp())
        .await?
    {
        return Err(match store.payroll_run(month.to_key()).await? {
            Some(_) => locked(month, lang),
            None => AppError::invalid(match lang {
                Lang::Zh => format!("{month}：还没有计算过工资，请先运行 uplift payroll run --month {month}"),
                Lang::En => {
                    format!("{month}: no payroll has been run yet; run uplift payroll run --month {month} first")
                }
            }),
        });
    }
    audit_by(store, p, "payroll.lock", Some(&month.to_string()), None, None).await?;
    Ok(())
}

pub(super) fn locked(month: Month, lang: Lang) -> AppError {
    AppError::conflict(
        Some("month"),
        match lang {
            Lang::Zh => format!("{month}：该月工资已锁定，不会再改写；更正请在下一个月以补差体现"),
            Lang::En => {
                format!("{month}: this month is locked and never rewritten; corrections go into the next month")
            }
        },
    )
}

fn pay_error(e: &PayError, lang: Lang) -> String {
    match (e, lang) {
        (PayError::NegativeNet { net }, Lang::Zh) => format!("实发为负 {}", Money(*net)),
        (PayError::NegativeNet { net }, Lang::En) => format!("net pay would be {}", Money(*net)),
        (PayError::HousingFundRate(r), Lang::Zh) => format!(
            "公积金比例 {} 不在该城市 {}–{} 范围内",
            r.rate.percent(),
            r.min.percent(),
            r.max.percent()
        ),
        (PayError::NonResidentBonus, Lang::Zh) => "非居民个人的一次性奖金请作为其他应发导入".into(),
        (PayError::AmountOutOfRange, Lang::Zh) => "金额为负或超过十亿元（累计额超过一百二十亿元）".into(),
        (PayError::BadMonth(_), Lang::Zh) => "月份无效".into(),
        (e, Lang::En) => e.to_string(),
    }
}

/// Locked commission payable in this pay month, per employee number.
async fn commission_by_person(
    store: &Store,
    p: &Principal,
    month: Month,
    lang: Lang,
) -> Result<HashMap<String, i64>, AppError> {
    let mut out: HashMap<String, i64> = HashMap::default();
    for c in crate::commission::payable_for_pay_month(store, p, &month.to_string(), lang).await? {
        *out.entry(c.employee_no).or_default() += c.payable_fen;
    }
    Ok(out)
}
