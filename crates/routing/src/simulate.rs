//! Routing simulator: replays past batches of leads under each strategy and scores the
//! outcome with a judge model (counterfactual outcomes cannot be observed, so the judge's
//! estimates stand in for them; the current practice is scored the same way).

use serde::Serialize;

use crate::allocate::{Limits, Scorer, Slot, Strategy, allocate};
use crate::model::{LeadFacts, RepFacts};

/// One month's leads with the reps as they were then.
#[derive(Debug, Clone)]
pub struct Batch {
    pub leads: Vec<LeadFacts>,
    pub reps: Vec<RepFacts>,
    pub slots: Vec<Slot>,
    /// Who actually received each lead.
    pub current_owner: Vec<Option<usize>>,
}

/// What one strategy would have produced over all batches.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StrategyOutcome {
    /// `current`, `round-robin`, `load-balanced` or `optimal`.
    pub strategy: &'static str,
    pub leads: usize,
    pub assigned: usize,
    pub expected_conversions: f64,
    /// Expected won value (yuan).
    pub expected_value: f64,
}

/// Replays `batches`: the router decides with what it knew, the judge scores.
pub fn simulate(router: &dyn Scorer, judge: &dyn Scorer, batches: &[Batch], limits: Limits) -> Vec<StrategyOutcome> {
    let mut out = vec![outcome("current", batches, judge, |b| b.current_owner.clone())];
    for s in [Strategy::RoundRobin, Strategy::LoadBalanced, Strategy::Optimal] {
        out.push(outcome(s.name(), batches, judge, |b| {
            allocate(router, &b.reps, &b.slots, &b.leads, s, limits).owner
        }));
    }
    out
}

fn outcome(
    name: &'static str,
    batches: &[Batch],
    judge: &dyn Scorer,
    decide: impl Fn(&Batch) -> Vec<Option<usize>>,
) -> StrategyOutcome {
    let mut o = StrategyOutcome {
        strategy: name,
        leads: 0,
        assigned: 0,
        expected_conversions: 0.0,
        expected_value: 0.0,
    };
    for b in batches {
        o.leads += b.leads.len();
        for (lead, owner) in b.leads.iter().zip(decide(b)) {
            if let Some(r) = owner {
                let e = judge.estimate(r, &b.reps[r], lead);
                o.assigned += 1;
                o.expected_conversions += e.conversion;
                o.expected_value += e.value;
            }
        }
    }
    o
}
