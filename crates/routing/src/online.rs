//! Online routing of single leads, consistent with the batch plan: the month's expected inflow
//! is allocated once (the same min-cost flow as a batch), which leaves each rep a quota per
//! segment; an arriving lead takes the open quota of the rep who values its segment most, and
//! falls back to the best rep with capacity left when the plan did not foresee it.

use rustc_hash::FxHashMap;

use crate::allocate::{Limits, Scorer, Slot, Strategy, allocate};
use crate::model::{Estimate, LeadFacts, RepFacts, Segment};

/// A month's routing plan and what is left of it.
#[derive(Debug, Clone)]
pub struct OnlinePlan {
    reps: Vec<RepFacts>,
    capacity_left: Vec<u32>,
    available: Vec<bool>,
    /// Per segment, (rep, quota left) best rep first.
    quotas: FxHashMap<Segment, Vec<(usize, u32)>>,
}

/// Where one lead went and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Routed {
    pub rep: usize,
    pub estimate: Estimate,
    /// True when the lead used a planned quota, false when it fell back to the best free rep.
    pub planned: bool,
    pub capacity_left: u32,
}

impl OnlinePlan {
    /// Plans for `expected` leads (e.g. last month's inflow) over `reps`.
    pub fn new(
        scorer: &dyn Scorer,
        reps: Vec<RepFacts>,
        slots: &[Slot],
        expected: &[LeadFacts],
        limits: Limits,
    ) -> OnlinePlan {
        let plan = allocate(scorer, &reps, slots, expected, Strategy::Optimal, limits);
        let mut counts: FxHashMap<Segment, FxHashMap<usize, (u32, f64)>> = FxHashMap::default();
        for ((lead, owner), est) in expected.iter().zip(&plan.owner).zip(&plan.estimate) {
            if let (Some(r), Some(e)) = (owner, est) {
                let c = counts.entry(lead.segment()).or_default().entry(*r).or_default();
                c.0 += 1;
                c.1 += e.value;
            }
        }
        let quotas = counts
            .into_iter()
            .map(|(seg, by_rep)| {
                let mut v: Vec<(usize, u32, f64)> =
                    by_rep.into_iter().map(|(r, (n, val))| (r, n, val / n as f64)).collect();
                v.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
                (seg, v.into_iter().map(|(r, n, _)| (r, n)).collect())
            })
            .collect();
        OnlinePlan {
            capacity_left: slots.iter().map(|s| s.capacity_left).collect(),
            available: slots.iter().map(|s| s.available).collect(),
            reps,
            quotas,
        }
    }

    /// The reps the plan covers.
    pub fn reps(&self) -> &[RepFacts] {
        &self.reps
    }

    /// Marks a rep unavailable from now on (left, on leave).
    pub fn set_available(&mut self, rep: usize, available: bool) {
        if let Some(a) = self.available.get_mut(rep) {
            *a = available;
        }
    }

    /// Routes one lead, or None when no available rep has capacity left.
    pub fn route(&mut self, scorer: &dyn Scorer, lead: &LeadFacts) -> Option<Routed> {
        let free = |r: usize, s: &OnlinePlan| s.available[r] && s.capacity_left[r] > 0;
        let mut chosen: Option<(usize, bool)> = None;
        if let Some(q) = self.quotas.get(&lead.segment()) {
            chosen = q
                .iter()
                .find(|&&(r, left)| left > 0 && free(r, self))
                .map(|&(r, _)| (r, true));
        }
        if chosen.is_none() {
            let mut best: Option<(usize, f64)> = None;
            for r in 0..self.reps.len() {
                if !free(r, self) {
                    continue;
                }
                let v = scorer.estimate(r, &self.reps[r], lead).value;
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((r, v));
                }
            }
            chosen = best.map(|(r, _)| (r, false));
        }
        let (rep, planned) = chosen?;
        if planned
            && let Some(q) = self.quotas.get_mut(&lead.segment())
            && let Some(slot) = q.iter_mut().find(|(r, _)| *r == rep)
        {
            slot.1 -= 1;
        }
        self.capacity_left[rep] -= 1;
        Some(Routed {
            rep,
            estimate: scorer.estimate(rep, &self.reps[rep], lead),
            planned,
            capacity_left: self.capacity_left[rep],
        })
    }
}
