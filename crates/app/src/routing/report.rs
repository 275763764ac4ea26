//! The model's calibration report and the routing simulator (history replayed under each strategy).

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_domain::Lang;
use uplift_routing::calibration::{Reliability, reliability};
use uplift_routing::{Batch, LeadModel, Limits, PastLead, RepFacts, Slot, StrategyOutcome, simulate as replay};
use uplift_store::Store;

use super::context::{away_throughout, load, months_between, parse_date, past_leads, rep_facts};
use super::default_capacity;
use crate::AppError;

/// The model's calibration on leads it did not learn from.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    /// Months the evaluated model learned from, and the months it was tested on.
    pub trained_from: String,
    pub trained_to: String,
    pub tested_from: String,
    pub tested_to: String,
    pub trained_leads: usize,
    pub reliability: Reliability,
    /// Fitted on all history (what routing uses today).
    pub experience_lift: f64,
    pub base_rate: f64,
    pub reps: usize,
    pub available_reps: usize,
}

/// Fits on the history before the last 3 mature months and scores those months' leads against
/// what happened (each lead with its actual owner).
pub async fn model_report(store: &Store, lang: Lang) -> Result<ModelReport, AppError> {
    let router = load(store, None, None, lang).await?;
    let (from, to) = router.history;
    let test_from = to.prev().prev();
    let train_to = test_from.prev();
    let rep_of_employee: FxHashMap<i64, usize> = router
        .rep_rows
        .iter()
        .enumerate()
        .map(|(k, &i)| (router.roster[i].id, k))
        .collect();
    let all = past_leads(store, &router.roster, &rep_of_employee, from, to).await?;
    let (train, test): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, m)| *m <= train_to.to_key());
    if train.len() < 100 || test.len() < 50 {
        return Err(AppError::invalid(match lang {
            Lang::Zh => format!(
                "线索太少，无法检验模型：{from}–{train_to} 有 {} 条、{test_from}–{to} 有 {} 条（至少需要 100 和 50 条）",
                train.len(),
                test.len()
            ),
            Lang::En => format!(
                "too few leads to check the model: {} in {from}–{train_to}, {} in {test_from}–{to} (at least 100 and 50 needed)",
                train.len(),
                test.len()
            ),
        }));
    }
    let trained_leads = train.len();
    let reps = router.reps.clone();
    let rel = crate::heavy(move || {
        // Ages count from the end of the training window.
        let shift = months_between(train_to.first_day(), to.first_day()) as u32;
        let train: Vec<PastLead> = train
            .into_iter()
            .map(|(mut l, _)| {
                l.age_months = l.age_months.saturating_sub(shift);
                l
            })
            .collect();
        let model = LeadModel::fit(&train, &reps);
        let rows: Vec<(f64, bool, f64)> = test
            .iter()
            .map(|(l, _)| {
                let p = model.estimate(l.owner, &reps[l.owner], &l.facts).conversion;
                (p, l.converted, model.base_rate())
            })
            .collect();
        reliability(&rows, 10)
    })
    .await?;
    Ok(ModelReport {
        trained_from: from.to_string(),
        trained_to: train_to.to_string(),
        tested_from: test_from.to_string(),
        tested_to: to.to_string(),
        trained_leads,
        reliability: rel,
        experience_lift: router.model.experience_lift(),
        base_rate: router.model.base_rate(),
        reps: router.reps.len(),
        available_reps: router.slots.iter().filter(|s| s.available).count(),
    })
}

/// What each strategy would have produced over the last `months` mature months.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationResult {
    pub from: String,
    pub to: String,
    pub leads: usize,
    pub outcomes: Vec<StrategyOutcome>,
    /// What current practice actually converted (to check the judge's estimate for it).
    pub actual_conversions: usize,
    pub limits: Limits,
}

/// Replays the last `months` mature months: each month's leads are routed by each strategy
/// with a model fitted on the months before the replay (no look-ahead), to the reps employed
/// that month with their capacity (at least what they actually received), and every outcome is
/// scored by the model fitted on all history (the best estimate of each rep's true rates).
pub async fn simulate(store: &Store, months: u32, limits: Limits, lang: Lang) -> Result<SimulationResult, AppError> {
    let months = months.clamp(1, 12);
    let router = load(store, None, None, lang).await?;
    let (from, to) = router.history;
    let sim_from = to.span_start(months);
    let router_to = sim_from.prev();
    let rep_of_employee: FxHashMap<i64, usize> = router
        .rep_rows
        .iter()
        .enumerate()
        .map(|(k, &i)| (router.roster[i].id, k))
        .collect();
    let all = past_leads(store, &router.roster, &rep_of_employee, from.span_start(months + 1), to).await?;
    let train: Vec<PastLead> = all
        .iter()
        .filter(|(_, m)| *m <= router_to.to_key())
        .map(|(l, _)| {
            let mut l = l.clone();
            l.age_months = l.age_months.saturating_sub(months);
            l
        })
        .collect();
    if train.len() < 100 {
        return Err(AppError::invalid(match lang {
            Lang::Zh => format!("{router_to} 之前的线索太少（{} 条），无法模拟", train.len()),
            Lang::En => format!("too few leads before {router_to} ({}) to simulate", train.len()),
        }));
    }
    let mut batches = Vec::new();
    for m in sim_from.through(to) {
        let (first, last) = (m.first_day(), m.last_day());
        let month_leads: Vec<&(PastLead, i32)> = all.iter().filter(|(_, k)| *k == m.to_key()).collect();
        let mut received = vec![0u32; router.reps.len()];
        for (l, _) in &month_leads {
            received[l.owner] += 1;
        }
        let (reps, slots): (Vec<RepFacts>, Vec<Slot>) = router
            .rep_rows
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let r = &router.roster[i];
                let facts = rep_facts(r, first);
                let employed = r.hire_date.parse::<NaiveDate>().is_ok_and(|h| h <= last)
                    && r.leave_date.as_deref().and_then(parse_date).is_none_or(|l| l > first)
                    && !away_throughout(r, first, last);
                let cap = r
                    .capacity
                    .map(|c| c.max(0) as u32)
                    .unwrap_or_else(|| default_capacity(facts.tenure_band));
                (
                    facts,
                    Slot {
                        capacity_left: cap.max(received[k]),
                        available: employed,
                    },
                )
            })
            .unzip();
        batches.push(Batch {
            leads: month_leads.iter().map(|(l, _)| l.facts.clone()).collect(),
            current_owner: month_leads.iter().map(|(l, _)| Some(l.owner)).collect(),
            reps,
            slots,
        });
    }
    let leads = batches.iter().map(|b| b.leads.len()).sum();
    let actual_conversions = all
        .iter()
        .filter(|(l, k)| *k >= sim_from.to_key() && l.converted)
        .count();
    let reps = router.reps.clone();
    let judge = router.model.clone();
    let outcomes = crate::heavy(move || {
        let fitted = LeadModel::fit(&train, &reps);
        replay(&fitted, &judge, &batches, limits)
    })
    .await?;
    Ok(SimulationResult {
        from: sim_from.to_string(),
        to: to.to_string(),
        leads,
        outcomes,
        actual_conversions,
        limits,
    })
}

/// Words for a strategy.
pub fn strategy_label(name: &str, lang: Lang) -> &'static str {
    match (name, lang) {
        ("current", Lang::Zh) => "现行分配",
        ("round-robin", Lang::Zh) => "轮流分配",
        ("load-balanced", Lang::Zh) => "按余量分配",
        ("optimal", Lang::Zh) => "最优分配",
        ("current", Lang::En) => "current practice",
        ("round-robin", Lang::En) => "round robin",
        ("load-balanced", Lang::En) => "load balanced",
        ("optimal", Lang::En) => "optimal",
        _ => "?",
    }
}

impl SimulationResult {
    /// The value of one strategy's outcome, if present.
    pub fn outcome(&self, name: &str) -> Option<&StrategyOutcome> {
        self.outcomes.iter().find(|o| o.strategy == name)
    }
}
