//! Plan modelling: what past periods would have paid under a draft plan against the plans in
//! force, per person and per team, with the cost of sales (commission ÷ credited contribution).
//! Nothing is written; the draft plan is checked like an import.

use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_commission::{Period, PeriodKind, Plan};
use uplift_domain::{Lang, Month};

use super::compute::{PeriodCredit, Protected, compute_statements};
use super::parse_period;
use crate::access::{Principal, audit_by};
use crate::error::AppError;

/// One person over the simulated periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonSimulation {
    pub employee_no: String,
    pub department: Option<String>,
    pub credited_fen: i64,
    /// Commission under the plans in force, and under them with the draft plan added.
    pub current_fen: i64,
    pub draft_fen: i64,
}

/// One team (department) over the simulated periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamSimulation {
    pub department: String,
    /// Σ credited contribution of everyone in the team, with a plan or not.
    pub credited_fen: i64,
    pub current_fen: i64,
    pub draft_fen: i64,
}

impl TeamSimulation {
    /// Commission ÷ contribution, under the plans in force and with the draft.
    pub fn cost_of_sales(&self) -> (Option<f64>, Option<f64>) {
        let of = |fen: i64| (self.credited_fen != 0).then(|| fen as f64 / self.credited_fen as f64);
        (of(self.current_fen), of(self.draft_fen))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    pub plan_id: String,
    /// The periods compared, each with its totals: (period, current, draft).
    pub periods: Vec<(String, i64, i64)>,
    pub people: Vec<PersonSimulation>,
    pub teams: Vec<TeamSimulation>,
}

/// Compares, period by period from `from` to `to` (months, or the quarters they fall in for a
/// quarterly draft), the commission under the stored plans with the commission when the draft
/// plan is added (replacing the stored version with its id and effective date). Commission only:
/// adjustments of locked periods are not simulated.
pub async fn simulate(
    store: &uplift_store::Store,
    p: &Principal,
    file_name: &str,
    plan_text: &str,
    from: &str,
    to: &str,
    lang: Lang,
) -> Result<Simulation, AppError> {
    p.require(p.role.may_read_commission_plans())?;
    let draft = Plan::parse(plan_text).map_err(|e| AppError::invalid(format!("{file_name}: {}", e.message(lang))))?;
    let periods = periods_between(from, to, draft.period, lang)?;
    let mut people: FxHashMap<String, PersonSimulation> = FxHashMap::default();
    let mut teams: FxHashMap<String, TeamSimulation> = FxHashMap::default();
    let mut totals = Vec::with_capacity(periods.len());
    for period in periods {
        let mut credit = PeriodCredit::read(store, period, None, lang).await?;
        let current = {
            let chosen = credit.chosen(None, lang)?;
            compute_statements(&credit, &chosen, &Protected::default())
        };
        let stored = std::mem::take(&mut credit.plans);
        credit.plans = stored
            .iter()
            .filter(|pl| !(pl.id == draft.id && pl.effective_from == draft.effective_from))
            .cloned()
            .chain([draft.clone()])
            .collect();
        let with_draft = {
            let chosen = credit.chosen(None, lang)?;
            compute_statements(&credit, &chosen, &Protected::default())
        };
        fn commission(c: &super::compute::Computed) -> FxHashMap<&str, i64> {
            c.statements
                .iter()
                .map(|s| (s.employee_no.as_str(), s.commission_fen))
                .collect()
        }
        let (now, then) = (commission(&current), commission(&with_draft));
        totals.push((
            period.to_string(),
            now.values().sum::<i64>(),
            then.values().sum::<i64>(),
        ));
        for person in &credit.people {
            let no = person.employee_no.as_str();
            let credited = credit.signed_credit_of(no);
            let (c, d) = (now.get(no).copied().unwrap_or(0), then.get(no).copied().unwrap_or(0));
            if credited == 0 && c == 0 && d == 0 {
                continue;
            }
            let e = people.entry(no.to_string()).or_insert_with(|| PersonSimulation {
                employee_no: no.to_string(),
                department: person.department.clone(),
                credited_fen: 0,
                current_fen: 0,
                draft_fen: 0,
            });
            e.credited_fen += credited;
            e.current_fen += c;
            e.draft_fen += d;
            let team = person.department.clone().unwrap_or_default();
            let t = teams.entry(team.clone()).or_insert_with(|| TeamSimulation {
                department: team,
                credited_fen: 0,
                current_fen: 0,
                draft_fen: 0,
            });
            t.credited_fen += credited;
            t.current_fen += c;
            t.draft_fen += d;
        }
    }
    let mut people: Vec<PersonSimulation> = people.into_values().collect();
    people.sort_by(|a, b| a.employee_no.cmp(&b.employee_no));
    let mut teams: Vec<TeamSimulation> = teams.into_values().collect();
    teams.sort_by(|a, b| a.department.cmp(&b.department));
    let detail = format!("{file_name} {from}..{to}");
    audit_by(store, p, "commission.simulate", Some(&draft.id), Some(&detail), None).await?;
    Ok(Simulation {
        plan_id: draft.id,
        periods: totals,
        people,
        teams,
    })
}

/// The periods of `kind` from the one holding `from` to the one holding `to` (months or
/// quarters; either bound may be written as a month or a quarter), at most 60.
fn periods_between(from: &str, to: &str, kind: PeriodKind, lang: Lang) -> Result<Vec<Period>, AppError> {
    let first_month = |p: Period| p.months()[0];
    let (a, b) = (parse_period(from, lang)?, parse_period(to, lang)?);
    let (start, end) = (first_month(a), *b.months().last().expect("a period has months"));
    if start > end {
        return Err(AppError::invalid_field(
            "to",
            lang.pick("结束期间早于开始期间", "the end comes before the start")
                .to_string(),
        ));
    }
    let of = |m: Month| match kind {
        PeriodKind::Month => Period::Month(m),
        PeriodKind::Quarter => Period::quarter_of(m),
    };
    let mut out: Vec<Period> = Vec::new();
    for m in start.through(end) {
        let p = of(m);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if out.len() > 60 {
        return Err(AppError::invalid_field(
            "to",
            lang.pick("一次最多模拟 60 个期间", "at most 60 periods at a time")
                .to_string(),
        ));
    }
    Ok(out)
}
