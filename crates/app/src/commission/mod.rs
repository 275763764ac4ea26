//! Commissions: plan files in, a period's draft run, the lock, and the statements out
//! (`docs/commissions.md`). The computation is `uplift_commission`; this reads its inputs, checks
//! the caller's rights, writes the statements in one transaction and audits every change.

use serde::Serialize;
use uplift_commission::LineKind;
use uplift_commission::engine::BandPart;
use uplift_domain::{Lang, Money};
use uplift_store::{CommissionPlanRow, PeriodState, StatementLineRow, StatementRow, Store};

use crate::access::{Principal, audit_by};
use crate::error::AppError;

mod adjust;
mod compute;
mod dispute;
mod export;
mod live;
mod payroll;
mod simulate;
mod statement;
use compute::compute_period;
pub use dispute::{answer_dispute, disputes, raise_dispute};
pub use export::{LINE_COLUMNS, STATEMENT_COLUMNS, csv, json, line_table, statement_xlsx, text_xlsx};
pub use live::{Moved, after_deals, after_import};
pub use payroll::{PayMonth, PayrollCommission, pay_month_rule, payable_for_pay_month, set_pay_month_rule};
pub use simulate::{PersonSimulation, Simulation, TeamSimulation, simulate};
pub use statement::{DealEstimate, PersonStatement, estimates, person_statement};
pub use uplift_commission::{CurvePoint, Period, Plan, curve};

/// What importing a plan file did.
#[derive(Debug, Clone, Serialize)]
pub struct PlanImported {
    pub plan_id: String,
    pub name: String,
    pub effective_from: String,
    /// A version with the same id and effective date existed and was replaced.
    pub replaced: bool,
}

/// Checks and saves a plan file (a new version when its `effective_from` is new). Nothing is
/// saved when the file has an error; the error names the file, line and field.
pub async fn import_plan(
    store: &Store,
    p: &Principal,
    file_name: &str,
    text: &str,
    lang: Lang,
) -> Result<PlanImported, AppError> {
    p.require(p.role.may_edit_commission_plans())?;
    let plan = Plan::parse(text).map_err(|e| AppError::invalid(format!("{file_name}: {}", e.message(lang))))?;
    let row = CommissionPlanRow {
        plan_id: plan.id.clone(),
        effective_from: plan.effective_from.to_string(),
        name: plan.name.clone(),
        source: text.to_string(),
        imported_ts: chrono::Utc::now().timestamp(),
        imported_by: p.actor.clone(),
    };
    let replaced = store.save_commission_plan(&row).await?;
    let detail = format!(
        "{} {}{}",
        row.effective_from,
        file_name,
        if replaced { " (replaced)" } else { "" }
    );
    audit_by(store, p, "commission.plan.import", Some(&plan.id), Some(&detail), None).await?;
    Ok(PlanImported {
        plan_id: plan.id,
        name: plan.name,
        effective_from: row.effective_from,
        replaced,
    })
}

/// One stored plan version, checked again as it is read.
#[derive(Debug, Clone, Serialize)]
pub struct PlanVersion {
    pub plan: Plan,
    pub source: String,
    pub imported_ts: i64,
    pub imported_by: String,
}

/// Every version of every plan.
pub async fn plans(store: &Store, p: &Principal) -> Result<Vec<PlanVersion>, AppError> {
    p.require(p.role.may_read_commission_plans())?;
    stored_plans(store).await
}

async fn stored_plans(store: &Store) -> Result<Vec<PlanVersion>, AppError> {
    store
        .commission_plans()
        .await?
        .into_iter()
        .map(|r| {
            let plan = Plan::parse(&r.source).map_err(|e| {
                AppError::internal(format!(
                    "stored commission plan {} ({}) no longer reads: {e}",
                    r.plan_id, r.effective_from
                ))
            })?;
            Ok(PlanVersion {
                plan,
                source: r.source,
                imported_ts: r.imported_ts,
                imported_by: r.imported_by,
            })
        })
        .collect()
}

/// What a run computed.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub period: String,
    /// People with a plan for the period (each has a statement, deals or not).
    pub people: usize,
    pub deals: usize,
    /// Payments of the period (read when a plan is paid on them).
    pub payments: usize,
    pub credited_fen: i64,
    pub commission_fen: i64,
    pub payable_fen: i64,
    /// Won deals whose owner is not linked to an employee (credited to no one).
    pub unlinked_deals: i64,
    /// Won deals of people no plan covers (credited, nothing paid).
    pub deals_without_plan: usize,
    /// People given an adjustment line correcting a locked earlier period.
    pub adjusted_people: usize,
}

/// Computes a period's draft (re-runnable; a locked period is refused). All or nothing: two
/// plans equally specific for anyone stop the run, naming them.
pub async fn run(store: &Store, p: &Principal, period: &str, lang: Lang) -> Result<RunReport, AppError> {
    p.require(p.role.may_run_commissions())?;
    let period = parse_period(period, lang)?;
    let key = period.to_string();
    if store
        .commission_period(&key)
        .await?
        .is_some_and(|r| r.status == "locked")
    {
        return Err(locked(&key, lang));
    }
    let started = std::time::Instant::now();
    let computed = compute_period(store, period, None, lang).await?;
    let computed_in = started.elapsed();
    let now = chrono::Utc::now().timestamp();
    match store
        .replace_commission_draft(&key, &p.actor, now, &computed.statements, &computed.lines)
        .await?
    {
        Ok(()) => {}
        Err(_) => return Err(locked(&key, lang)),
    }
    tracing::debug!(?computed_in, written = ?started.elapsed(), lines = computed.lines.len(), "commission run");
    let r = computed.report;
    let detail = format!(
        "people={} deals={} credited={} commission={}",
        r.people,
        r.deals,
        Money(r.credited_fen),
        Money(r.commission_fen)
    );
    audit_by(store, p, "commission.run", Some(&key), Some(&detail), None).await?;
    Ok(r)
}

/// Freezes a period's draft: it is never rewritten afterwards.
pub async fn lock(store: &Store, p: &Principal, period: &str, lang: Lang) -> Result<(), AppError> {
    p.require(p.role.may_lock_commissions())?;
    let key = parse_period(period, lang)?.to_string();
    match store
        .lock_commission_period(&key, &p.actor, chrono::Utc::now().timestamp())
        .await?
    {
        Ok(()) => {}
        Err(PeriodState::Locked) => return Err(locked(&key, lang)),
        Err(PeriodState::NotRun) => {
            return Err(AppError::invalid(format!(
                "{key}: {}",
                lang.pick(
                    "该期间还没有计算过提成，请先运行 uplift commission run",
                    "no commission has been run for this period yet: run uplift commission run first"
                )
            )));
        }
    }
    audit_by(store, p, "commission.lock", Some(&key), None, None).await?;
    // The adjustments this period carries are now paid: the other open drafts must not carry them
    // again, so they are computed anew.
    // A failure is said (the lock stays): a draft left as it was could carry a correction twice.
    live::after_lock(store, &key).await.map_err(|e| {
        AppError::conflict(
            Some("period"),
            format!(
                "{key}: {}{}",
                lang.pick(
                    "已锁定，但其他草稿期间未能重算，请修正后重新运行它们：",
                    "locked, but the other draft periods could not be recomputed; fix this and run them again: "
                ),
                e.render(lang)
            ),
        )
    })
}

fn parse_period(s: &str, lang: Lang) -> Result<Period, AppError> {
    Period::parse(s).map_err(|_| {
        AppError::invalid_field(
            "period",
            format!(
                "{s:?}: {}",
                lang.pick(
                    "期间应为 YYYY-MM（月）或 YYYY-Qn（季度），如 2026-08、2026-Q3",
                    "a period is YYYY-MM (month) or YYYY-Qn (quarter), e.g. 2026-08, 2026-Q3"
                )
            ),
        )
    })
}

fn locked(period: &str, lang: Lang) -> AppError {
    AppError::conflict(
        Some("period"),
        format!(
            "{period}: {}",
            lang.pick(
                "该期间已锁定，不会再改写；数据变化将在之后的期间以调整行体现",
                "this period is locked and is never rewritten; later changes become adjustments in a later period"
            )
        ),
    )
}

/// The periods run so far, newest first: their names and states only, no one's pay.
pub async fn periods(store: &Store) -> Result<Vec<uplift_store::CommissionPeriodRow>, AppError> {
    Ok(store.commission_periods().await?)
}

/// A period's statements as the caller may see them: a rep their own, a manager their team, a
/// director their departments, payroll/HR/admin everyone. Reading is audited.
pub async fn statements(
    store: &Store,
    p: &Principal,
    period: &str,
    employee_no: Option<&str>,
    lang: Lang,
) -> Result<Statements, AppError> {
    let key = parse_period(period, lang)?.to_string();
    if let Some(no) = employee_no {
        crate::access::require_employee(store, p, no).await?;
    }
    let status = store.commission_period(&key).await?.map(|r| r.status);
    let rows = store.commission_statements(&key, &p.scope, employee_no).await?;
    audit_by(store, p, "read.commission", Some(&key), employee_no, None).await?;
    Ok(Statements {
        period: key,
        status,
        rows,
    })
}

/// A statement line with its explanation in the reader's language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineView {
    #[serde(flatten)]
    pub row: StatementLineRow,
    /// "70,000 × 5%（New Customer） × 1［50%–100%档］ = 3,500".
    pub explanation: String,
}

/// A period's lines as the caller may see them (same scope as [`statements`]), each explained.
pub async fn statement_lines(
    store: &Store,
    p: &Principal,
    period: &str,
    employee_no: Option<&str>,
    lang: Lang,
) -> Result<Vec<LineView>, AppError> {
    let key = parse_period(period, lang)?.to_string();
    if let Some(no) = employee_no {
        crate::access::require_employee(store, p, no).await?;
    }
    let rows = store.commission_lines(&key, &p.scope, employee_no).await?;
    audit_by(store, p, "read.commission.lines", Some(&key), employee_no, None).await?;
    rows.into_iter()
        .map(|row| {
            let explanation = explain(&row, lang)?;
            Ok(LineView { row, explanation })
        })
        .collect()
}

/// A stored line in words, rebuilt from its stored figures.
fn explain(row: &StatementLineRow, lang: Lang) -> Result<String, AppError> {
    let bad = || {
        AppError::internal(format!(
            "stored commission line {} {} #{} does not read",
            row.period, row.employee_no, row.seq
        ))
    };
    if row.kind == "adjustment" {
        let period = row.adjusts_period.as_deref().unwrap_or("?");
        let deals = row.detail.as_deref().filter(|d| !d.is_empty());
        let pay = Money(row.pay_fen).display_cny();
        return Ok(match (lang, deals) {
            (Lang::Zh, Some(d)) => format!("{period} 更正（变动商机：{d}）：{pay}"),
            (Lang::Zh, None) => format!("{period} 更正：{pay}"),
            (Lang::En, Some(d)) => format!("correction of {period} (deals changed: {d}): {pay}"),
            (Lang::En, None) => format!("correction of {period}: {pay}"),
        });
    }
    let kind = match row.kind.as_str() {
        "deal" => LineKind::Deal,
        "payment" => LineKind::Payment,
        "override" => LineKind::Override,
        "adjustment" => LineKind::Adjustment,
        _ => return Err(bad()),
    };
    let line = uplift_commission::PayLine {
        kind,
        opportunity_id: row.opportunity_id.clone(),
        date: None,
        credited_fen: row.credited_fen,
        rate: row.rate.parse().map_err(|_| bad())?,
        multiplier: row.multiplier.parse().map_err(|_| bad())?,
        parts: BandPart::decode(&row.parts).ok_or_else(bad)?,
        pay_fen: row.pay_fen,
        rate_value: row.rate_value.clone(),
    };
    Ok(line.explain(lang))
}

#[derive(Debug, Clone, Serialize)]
pub struct Statements {
    pub period: String,
    /// `draft` | `locked`; `None` when the period has not been run.
    pub status: Option<String>,
    pub rows: Vec<StatementRow>,
}
