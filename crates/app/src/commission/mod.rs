//! Commissions: plan files in, a period's draft run, the lock, and the statements out
//! (`docs/commissions.md`). The computation is `uplift_commission`; this reads its inputs, checks
//! the caller's rights, writes the statements in one transaction and audits every change.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_commission::engine::BandPart;
use uplift_commission::{CreditLine, LineKind, Period, PersonInput, Plan, plan_for};
use uplift_domain::{Lang, Money};
use uplift_store::{CommissionPlanRow, PeriodState, SplitShare, StatementLineRow, StatementRow, Store, WonDealRow};

use crate::access::{Principal, audit_by};
use crate::error::AppError;

mod export;
pub use export::{LINE_COLUMNS, STATEMENT_COLUMNS, csv, json, line_table, text_xlsx};

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
    pub credited_fen: i64,
    pub commission_fen: i64,
    pub payable_fen: i64,
    /// Won deals whose owner is not linked to an employee (credited to no one).
    pub unlinked_deals: i64,
    /// Won deals of people no plan covers (credited, nothing paid).
    pub deals_without_plan: usize,
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
    let computed = compute_period(store, period, lang).await?;
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
    audit_by(store, p, "commission.lock", Some(&key), None, None).await
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

struct Computed {
    statements: Vec<StatementRow>,
    lines: Vec<StatementLineRow>,
    report: RunReport,
}

/// Reads a period's inputs and computes every statement (nothing written).
async fn compute_period(store: &Store, period: Period, lang: Lang) -> Result<Computed, AppError> {
    let months = period.months();
    let (first, last) = (months[0], *months.last().expect("a period has months"));
    // Every plan takes part in choosing a person's one plan; a person whose plan is of the other
    // period kind (a quarterly plan in a month run) has no statement in this run.
    let plans: Vec<Plan> = stored_plans(store).await?.into_iter().map(|v| v.plan).collect();
    let started = std::time::Instant::now();
    let rate_fields: Vec<&str> = plans.iter().filter_map(|pl| pl.rate_field.as_deref()).collect();
    let input = store
        .commission_inputs(
            i64::from(first.to_key()),
            i64::from(last.to_key()),
            &period.first_day().to_string(),
            &period.last_day().to_string(),
            &rate_fields,
        )
        .await?;
    tracing::debug!(deals = input.deals.len(), elapsed = ?started.elapsed(), "commission inputs read");
    let day = period.last_day();

    // Which plan applies to whom; every tie is named before anything is computed.
    let mut chosen: Vec<(&str, &Plan)> = Vec::new();
    let mut ties = Vec::new();
    for person in &input.people {
        match plan_for(&plans, &person.employee_no, person.department.as_deref(), day) {
            Ok(Some(plan)) if plan.period == period.kind() => chosen.push((&person.employee_no, plan)),
            Ok(Some(_)) => {}
            Ok(None) => {}
            Err(t) => ties.push(t),
        }
    }
    if !ties.is_empty() {
        let named: Vec<String> = ties
            .iter()
            .take(10)
            .map(|t| format!("{}（{} / {}）", t.employee_no, t.first, t.second))
            .collect();
        return Err(AppError::invalid(format!(
            "{}{}{}",
            lang.pick(
                "以下人员同时适用两个同样具体的提成方案，请在方案中用 employees 或更具体的部门区分：",
                "two commission plans apply equally to these people; tell them apart with employees or a more specific department: "
            ),
            named.join(lang.pick("；", "; ")),
            if ties.len() > 10 {
                format!(" … ({})", ties.len())
            } else {
                String::new()
            }
        )));
    }

    // Who is credited what: each split share of a deal (amount × percentage / 100, half up to the
    // fen), or its owner the whole amount when it has no splits.
    let mut splits_of: FxHashMap<&str, Vec<&SplitShare>> = FxHashMap::default();
    for sp in &input.splits {
        splits_of.entry(sp.opportunity_id.as_str()).or_default().push(sp);
    }
    // The import checks each file; a deal whose stored shares still do not total 100 (imported
    // before that check, or edited in the database) stops the run rather than over- or under-pay.
    let mut not_whole: Vec<String> = Vec::new();
    for (deal, shares) in &splits_of {
        let total: Decimal = shares
            .iter()
            .filter_map(|sp| sp.percentage.parse::<Decimal>().ok())
            .sum();
        if total != Decimal::ONE_HUNDRED {
            not_whole.push(format!("{deal} ({}%)", total.normalize()));
        }
    }
    if !not_whole.is_empty() {
        not_whole.sort();
        return Err(AppError::invalid(format!(
            "{}{}",
            lang.pick(
                "以下商机的分成比例合计不是 100%，请重新导入其分成：",
                "the split shares of these deals do not total 100%; re-import their splits: "
            ),
            not_whole.into_iter().take(10).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut credits_of: FxHashMap<&str, Vec<(&WonDealRow, i64)>> = FxHashMap::default();
    let mut uncredited = 0;
    for d in &input.deals {
        match splits_of.get(d.opportunity_id.as_str()) {
            Some(shares) => {
                for sp in shares {
                    let pct: Decimal = sp.percentage.parse().map_err(|_| {
                        AppError::internal(format!("stored split of {} does not read", sp.opportunity_id))
                    })?;
                    let credited = (Decimal::from(d.amount_fen) * pct / Decimal::ONE_HUNDRED)
                        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                        .to_i64()
                        .unwrap_or(0);
                    match sp.owner_no.as_deref() {
                        Some(no) => credits_of.entry(no).or_default().push((d, credited)),
                        None => uncredited += 1,
                    }
                }
            }
            None => match d.owner_no.as_deref() {
                Some(no) => credits_of.entry(no).or_default().push((d, d.amount_fen)),
                None => uncredited += 1,
            },
        }
    }
    let credited_of = |no: &str| -> i64 { credits_of.get(no).map_or(0, |cs| cs.iter().map(|(_, c)| c).sum()) };
    // The override base: direct reports' credit, under whatever plan they have or none.
    let mut reports_credit: FxHashMap<&str, i64> = FxHashMap::default();
    for person in &input.people {
        if let Some(m) = person.manager_no.as_deref().filter(|m| !m.is_empty()) {
            *reports_credit.entry(m).or_default() += credited_of(&person.employee_no);
        }
    }
    let targets: FxHashMap<&str, i64> = input.targets.iter().map(|(no, t)| (no.as_str(), *t)).collect();

    let key = period.to_string();
    let mut statements = Vec::with_capacity(chosen.len());
    let mut lines = Vec::new();
    let mut report = RunReport {
        period: key.clone(),
        people: chosen.len(),
        deals: input.deals.len(),
        credited_fen: 0,
        commission_fen: 0,
        payable_fen: 0,
        unlinked_deals: uncredited,
        deals_without_plan: 0,
    };
    let covered: rustc_hash::FxHashSet<&str> = chosen.iter().map(|(no, _)| *no).collect();
    report.deals_without_plan = credits_of
        .iter()
        .filter(|(no, _)| !covered.contains(*no))
        .map(|(_, cs)| cs.len())
        .sum();
    for (no, plan) in chosen {
        // Collected plans are paid on payments (回款), which are not imported yet: no credit lines.
        let credits = match plan.basis {
            uplift_commission::Basis::Collected => Vec::new(),
            uplift_commission::Basis::Signed => credits_of
                .get(no)
                .map(|cs| cs.iter().map(|(d, credited)| credit_line(plan, d, *credited)).collect())
                .unwrap_or_default(),
        };
        let person = PersonInput {
            credits,
            target_fen: targets.get(no).copied(),
            reports_credited_fen: reports_credit.get(no).copied().unwrap_or(0),
        };
        let s = uplift_commission::compute(plan, &person, LineKind::Deal);
        for (i, l) in s.lines.iter().enumerate() {
            lines.push(StatementLineRow {
                period: key.clone(),
                employee_no: no.to_string(),
                seq: i as i64 + 1,
                kind: l.kind.as_str().to_string(),
                opportunity_id: l.opportunity_id.clone(),
                credited_fen: l.credited_fen,
                rate: l.rate.normalize().to_string(),
                multiplier: l.multiplier.normalize().to_string(),
                pay_fen: l.pay_fen,
                rate_value: l.rate_value.clone(),
                parts: BandPart::encode(&l.parts),
            });
        }
        report.credited_fen += s.credited_fen;
        report.commission_fen += s.commission_fen;
        // Adjustments from locked periods are not carried yet: payable = commission.
        report.payable_fen += s.commission_fen;
        statements.push(StatementRow {
            period: key.clone(),
            employee_no: no.to_string(),
            plan_id: plan.id.clone(),
            plan_effective_from: plan.effective_from.to_string(),
            credited_fen: s.credited_fen,
            target_fen: s.target_fen,
            attainment: s.attainment.map(|a| a.normalize().to_string()),
            commission_fen: s.commission_fen,
            adjustments_fen: 0,
            payable_fen: s.commission_fen,
        });
    }
    Ok(Computed {
        statements,
        lines,
        report,
    })
}

fn credit_line(plan: &Plan, d: &WonDealRow, credited_fen: i64) -> CreditLine {
    let value = match plan.rate_field.as_deref() {
        Some("Type") => d.opportunity_type.clone(),
        Some("LeadSource") => d.lead_source.clone(),
        Some("Name") => d.name.clone(),
        Some("StageName") => Some(d.stage_name.clone()),
        _ => None,
    };
    CreditLine {
        opportunity_id: d.opportunity_id.clone(),
        // Stored as YYYY-MM-DD by the importer; the period bounds were compared on that text.
        date: d.close_date.parse().unwrap_or_default(),
        credited_fen,
        rate_value: value,
    }
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
