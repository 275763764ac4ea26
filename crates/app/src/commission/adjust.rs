//! Adjustments (the contract's "Locking and adjustments"): when a period Q is computed, every
//! locked earlier period P of the same kind is computed again with today's data. What P would pay
//! now, less what was locked for P and what adjustments locked since already carried, becomes one
//! line "2026-08 更正" in Q, naming the deals whose credit changed. A deal credited in P that is no
//! longer won still counts as won when it closed more than the plan's `clawback_days` before Q's
//! last day; inside that window it is clawed back. A locked period itself is never rewritten.

use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};
use uplift_commission::{CreditLine, Period, Plan};
use uplift_domain::Lang;
use uplift_domain::access::Scope;
use uplift_store::{StatementLineRow, StatementRow, Store};

use super::compute::{Computed, PeriodCredit, Protected, compute_statements};
use crate::error::AppError;

/// Adds to `computed` (period Q) the adjustment lines correcting every locked earlier period of
/// the same kind, for everyone or (`only`) those people.
pub(super) async fn carry(
    store: &Store,
    computed: &mut Computed,
    q: Period,
    only: Option<&[String]>,
    lang: Lang,
) -> Result<(), AppError> {
    let mut locked: Vec<Period> = store
        .commission_periods()
        .await?
        .into_iter()
        .filter(|r| r.status == "locked")
        .filter_map(|r| Period::parse(&r.period).ok())
        .filter(|p| p.kind() == q.kind() && *p < q)
        .collect();
    if locked.is_empty() {
        return Ok(());
    }
    locked.sort();
    let mut q_statements = QStatements::new(computed);
    for p in locked {
        correct(store, &mut q_statements, p, q, only, lang).await?;
    }
    Ok(())
}

/// Q's statements by person, so that adjustments find (or open) a person's statement at once.
struct QStatements<'a> {
    computed: &'a mut Computed,
    index: FxHashMap<String, usize>,
    next_seq: FxHashMap<String, i64>,
    adjusted: FxHashSet<String>,
}

impl<'a> QStatements<'a> {
    fn new(computed: &'a mut Computed) -> Self {
        let index = computed
            .statements
            .iter()
            .enumerate()
            .map(|(i, s)| (s.employee_no.clone(), i))
            .collect();
        let mut next_seq: FxHashMap<String, i64> = FxHashMap::default();
        for l in &computed.lines {
            let n = next_seq.entry(l.employee_no.clone()).or_insert(1);
            *n = (*n).max(l.seq + 1);
        }
        QStatements {
            computed,
            index,
            next_seq,
            adjusted: FxHashSet::default(),
        }
    }

    /// One adjustment line in the person's Q statement (opened, under the plan of the period it
    /// corrects, when the person has none in Q).
    fn add(&mut self, no: &str, corrects: &str, plan: (&str, &str), credited_fen: i64, pay_fen: i64, detail: String) {
        let key = self.computed.report.period.clone();
        let i = match self.index.get(no) {
            Some(i) => *i,
            None => {
                self.computed.statements.push(StatementRow {
                    period: key.clone(),
                    employee_no: no.to_string(),
                    plan_id: plan.0.to_string(),
                    plan_effective_from: plan.1.to_string(),
                    credited_fen: 0,
                    target_fen: None,
                    attainment: None,
                    commission_fen: 0,
                    adjustments_fen: 0,
                    payable_fen: 0,
                    name: None,
                });
                let i = self.computed.statements.len() - 1;
                self.index.insert(no.to_string(), i);
                i
            }
        };
        let s = &mut self.computed.statements[i];
        s.adjustments_fen += pay_fen;
        s.payable_fen += pay_fen;
        self.computed.report.payable_fen += pay_fen;
        let seq = self.next_seq.entry(no.to_string()).or_insert(1);
        self.computed.lines.push(StatementLineRow {
            period: key,
            employee_no: no.to_string(),
            seq: *seq,
            kind: "adjustment".into(),
            opportunity_id: None,
            credited_fen,
            rate: "0".into(),
            multiplier: "1".into(),
            pay_fen,
            rate_value: None,
            parts: String::new(),
            adjusts_period: Some(corrects.to_string()),
            detail: Some(detail),
            close_date: None,
        });
        *seq += 1;
        if self.adjusted.insert(no.to_string()) {
            self.computed.report.adjusted_people += 1;
        }
    }
}

/// Computes locked period `p` again and adds each person's difference to Q.
async fn correct(
    store: &Store,
    q_statements: &mut QStatements<'_>,
    p: Period,
    q: Period,
    only: Option<&[String]>,
    lang: Lang,
) -> Result<(), AppError> {
    let (p_key, q_key) = (p.to_string(), q.to_string());
    let credit = PeriodCredit::read(store, p, only, lang).await?;
    // Locked statements and lines of the people recomputed and (narrowed) of their direct reports
    // too: a report's lost deal outside the window still counts in the manager's override.
    let wide = match only {
        None => Scope::All,
        Some(_) => Scope::Employees(credit.people.iter().map(|p| p.employee_no.clone()).collect()),
    };
    let was_wide: FxHashMap<String, StatementRow> = store
        .commission_statements(&p_key, &wide, None)
        .await?
        .into_iter()
        .map(|s| (s.employee_no.clone(), s))
        .collect();
    let was: FxHashMap<&str, &StatementRow> = was_wide
        .iter()
        .filter(|(no, _)| only.is_none_or(|nos| nos.iter().any(|n| n == *no)))
        .map(|(no, s)| (no.as_str(), s))
        .collect();
    let was_lines = store.commission_lines(&p_key, &wide, None).await?;
    let carried: FxHashMap<String, i64> = store.commission_carried(&p_key, &q_key).await?.into_iter().collect();
    let plan_in = |s: &StatementRow| {
        credit
            .plans
            .iter()
            .find(|pl| pl.id == s.plan_id && pl.effective_from.to_string() == s.plan_effective_from)
    };
    // The lock froze the plan version each person was paid under (the contract): P is recomputed
    // with today's data under those versions, so a transfer or a new plan never re-prices a locked
    // period. People with no locked statement had no plan then and have none now.
    let chosen: Vec<(&str, &Plan)> = was
        .values()
        .filter_map(|s| plan_in(s).map(|pl| (s.employee_no.as_str(), pl)))
        .collect();
    // Everyone whose locked lines are read, with the plan version they were locked under.
    let plan_of: FxHashMap<&str, &Plan> = was_wide
        .values()
        .filter_map(|s| plan_in(s).map(|pl| (s.employee_no.as_str(), pl)))
        .collect();

    // Deals P credited then that it credits no longer: those that are no longer won and closed
    // outside the clawback window still count.
    let mut credited_now: FxHashSet<(&str, String)> = FxHashSet::default();
    for (no, plan) in &plan_of {
        for c in credit.person_input(no, plan).credits {
            credited_now.insert((no, c.opportunity_id));
        }
    }
    let gone: Vec<&StatementLineRow> = was_lines
        .iter()
        .filter(|l| matches!(l.kind.as_str(), "deal" | "payment"))
        .filter(|l| {
            l.opportunity_id
                .as_ref()
                .is_some_and(|id| !credited_now.contains(&(l.employee_no.as_str(), id.clone())))
        })
        .collect();
    let mut ids: Vec<String> = gone.iter().filter_map(|l| l.opportunity_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let states: FxHashMap<String, (String, String)> = store
        .deal_states(&ids)
        .await?
        .into_iter()
        .map(|(id, state, close)| (id, (state, close)))
        .collect();
    let manager_of: FxHashMap<&str, &str> = credit
        .people
        .iter()
        .filter_map(|p| {
            Some((
                p.employee_no.as_str(),
                p.manager_no.as_deref().filter(|m| !m.is_empty())?,
            ))
        })
        .collect();
    let mut protected = Protected::default();
    for l in gone {
        let Some(id) = l.opportunity_id.as_deref() else {
            continue;
        };
        let Some(plan) = plan_of.get(l.employee_no.as_str()) else {
            continue;
        };
        // Still won (its date moved out of P, or its share changed): P's credit follows the data.
        let Some((_, now_close)) = states.get(id).filter(|(state, _)| state != "won") else {
            continue;
        };
        // The date the line was credited with (lines locked before it was kept: the deal's now).
        let Ok(close) = l.close_date.as_deref().unwrap_or(now_close).parse::<NaiveDate>() else {
            continue;
        };
        if (q.last_day() - close).num_days() > i64::from(plan.clawback_days) {
            protected
                .lines
                .entry(l.employee_no.clone())
                .or_default()
                .push(CreditLine {
                    opportunity_id: id.to_string(),
                    date: close,
                    credited_fen: l.credited_fen,
                    rate_value: l.rate_value.clone(),
                });
            if let Some(m) = manager_of.get(l.employee_no.as_str()) {
                *protected.reports_fen.entry(m.to_string()).or_default() += l.credited_fen;
            }
        }
    }
    let now = compute_statements(&credit, &chosen, &protected);
    let now_rows: FxHashMap<&str, &StatementRow> = now.statements.iter().map(|s| (s.employee_no.as_str(), s)).collect();

    let mut people: Vec<&str> = was.keys().copied().chain(now_rows.keys().copied()).collect();
    people.sort_unstable();
    people.dedup();
    let (credit_was, credit_now) = (credit_by_person(&was_lines), credit_by_person(&now.lines));
    let empty = FxHashMap::default();
    for no in people {
        let before = was.get(no).copied();
        let after = now_rows.get(no).copied();
        let paid = before.map_or(0, |s| s.commission_fen) + carried.get(no).copied().unwrap_or(0);
        let due = after.map_or(0, |s| s.commission_fen);
        if due == paid {
            continue;
        }
        let plan = match (before, after) {
            (Some(s), _) | (None, Some(s)) => (s.plan_id.as_str(), s.plan_effective_from.as_str()),
            (None, None) => continue,
        };
        let credited = after.map_or(0, |s| s.credited_fen) - before.map_or(0, |s| s.credited_fen);
        let detail = changed_deals(
            credit_was.get(no).unwrap_or(&empty),
            credit_now.get(no).unwrap_or(&empty),
        );
        q_statements.add(no, &p_key, plan, credited, due - paid, detail);
    }
    Ok(())
}

/// Each person's credit per deal in these lines.
fn credit_by_person(lines: &[StatementLineRow]) -> FxHashMap<&str, FxHashMap<&str, i64>> {
    let mut m: FxHashMap<&str, FxHashMap<&str, i64>> = FxHashMap::default();
    for l in lines {
        if let Some(id) = &l.opportunity_id {
            *m.entry(l.employee_no.as_str())
                .or_default()
                .entry(id.as_str())
                .or_default() += l.credited_fen;
        }
    }
    m
}

/// The deals whose credit differs between the locked lines and the recomputed ones, as "O3, O9"
/// (at most 20 named).
fn changed_deals(a: &FxHashMap<&str, i64>, b: &FxHashMap<&str, i64>) -> String {
    let mut changed: Vec<&str> = a
        .keys()
        .chain(b.keys())
        .filter(|id| a.get(*id) != b.get(*id))
        .copied()
        .collect();
    changed.sort_unstable();
    changed.dedup();
    let mut text = changed.iter().take(20).copied().collect::<Vec<_>>().join(", ");
    if changed.len() > 20 {
        text.push_str(&format!(" … (+{})", changed.len() - 20));
    }
    text
}
