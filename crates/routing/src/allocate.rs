//! Allocation of a batch of leads to reps: the optimal plan as a min-cost flow over lead
//! segments, and the round-robin and load-balanced rules it is compared with.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::flow::FlowNetwork;
use crate::model::{Estimate, LeadFacts, LeadModel, RepFacts, Segment};

/// How many more leads a rep may receive, and whether they may receive any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub capacity_left: u32,
    /// False when the rep has not started yet, has left, or is on leave.
    pub available: bool,
}

/// Fairness limits of the optimal plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    /// Every available rep gets at least this many leads (within capacity) so new reps can grow.
    pub min_per_rep: u32,
    /// Leads whose company-level expected value is in this top share are "premium" …
    pub premium_top_share: f64,
    /// … and no rep gets more than this share of them (1.0 = no cap).
    pub premium_rep_cap: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            min_per_rep: 2,
            premium_top_share: 0.2,
            premium_rep_cap: 0.1,
        }
    }
}

/// The routing strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Maximise expected won value under capacity and fairness limits.
    Optimal,
    /// Take turns, skipping reps who are full or unavailable.
    RoundRobin,
    /// Give each lead to the rep with the most capacity left.
    LoadBalanced,
}

impl Strategy {
    /// Parses `optimal`, `round-robin`, `load-balanced`.
    pub fn parse(s: &str) -> Option<Strategy> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "optimal" => Some(Strategy::Optimal),
            "round-robin" | "roundrobin" | "rr" => Some(Strategy::RoundRobin),
            "load-balanced" | "loadbalanced" | "load" => Some(Strategy::LoadBalanced),
            _ => None,
        }
    }

    /// The strategy's name as typed.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Optimal => "optimal",
            Strategy::RoundRobin => "round-robin",
            Strategy::LoadBalanced => "load-balanced",
        }
    }
}

/// The outcome of an allocation.
#[derive(Debug, Clone, Default)]
pub struct Allocation {
    /// Per lead, the rep index it goes to (None: no rep had capacity left).
    pub owner: Vec<Option<usize>>,
    /// Per lead, the estimate for its rep.
    pub estimate: Vec<Option<Estimate>>,
    /// Per rep, how many leads of this batch they received.
    pub received: Vec<u32>,
    /// Which leads counted as premium.
    pub premium: Vec<bool>,
}

impl Allocation {
    /// Sum of expected conversions.
    pub fn expected_conversions(&self) -> f64 {
        self.estimate.iter().flatten().map(|e| e.conversion).sum()
    }
    /// Sum of expected won value (yuan).
    pub fn expected_value(&self) -> f64 {
        self.estimate.iter().flatten().map(|e| e.value).sum()
    }
}

/// Anything that scores a rep on a lead (the fitted model, or the true rates in a test).
pub trait Scorer: Sync {
    /// Lead-only multiplier (same for every rep).
    fn lead_factor(&self, lead: &LeadFacts) -> f64;
    /// Expected won value per unit of lead factor for this rep on leads of this segment.
    fn rep_value(&self, rep_index: usize, rep: &RepFacts, lead: &LeadFacts) -> f64;
    /// The full estimate.
    fn estimate(&self, rep_index: usize, rep: &RepFacts, lead: &LeadFacts) -> Estimate;
}

impl Scorer for LeadModel {
    fn lead_factor(&self, lead: &LeadFacts) -> f64 {
        LeadModel::lead_factor(self, lead)
    }
    fn rep_value(&self, rep_index: usize, rep: &RepFacts, lead: &LeadFacts) -> f64 {
        let e = self.estimate(rep_index, rep, lead);
        let lf = LeadModel::lead_factor(self, lead);
        if lf > 0.0 { e.value / lf } else { 0.0 }
    }
    fn estimate(&self, rep_index: usize, rep: &RepFacts, lead: &LeadFacts) -> Estimate {
        LeadModel::estimate(self, rep_index, rep, lead)
    }
}

/// Allocates `leads` to reps by `strategy`.
pub fn allocate(
    scorer: &dyn Scorer,
    reps: &[RepFacts],
    slots: &[Slot],
    leads: &[LeadFacts],
    strategy: Strategy,
    limits: Limits,
) -> Allocation {
    assert_eq!(reps.len(), slots.len(), "one slot per rep");
    let owner = match strategy {
        Strategy::RoundRobin => round_robin(slots, leads.len()),
        Strategy::LoadBalanced => load_balanced(slots, leads.len()),
        Strategy::Optimal => return optimal(scorer, reps, slots, leads, limits),
    };
    finish(scorer, reps, leads, owner, vec![false; leads.len()])
}

fn finish(
    scorer: &dyn Scorer,
    reps: &[RepFacts],
    leads: &[LeadFacts],
    owner: Vec<Option<usize>>,
    premium: Vec<bool>,
) -> Allocation {
    let mut received = vec![0u32; reps.len()];
    let estimate = owner
        .iter()
        .zip(leads)
        .map(|(o, lead)| {
            o.map(|r| {
                received[r] += 1;
                scorer.estimate(r, &reps[r], lead)
            })
        })
        .collect();
    Allocation {
        owner,
        estimate,
        received,
        premium,
    }
}

fn round_robin(slots: &[Slot], n: usize) -> Vec<Option<usize>> {
    let mut left: Vec<u32> = slots
        .iter()
        .map(|s| if s.available { s.capacity_left } else { 0 })
        .collect();
    let mut open: usize = left.iter().filter(|&&c| c > 0).count();
    let mut next = 0usize;
    (0..n)
        .map(|_| {
            if open == 0 {
                return None;
            }
            while left[next % left.len()] == 0 {
                next += 1;
            }
            let r = next % left.len();
            next += 1;
            left[r] -= 1;
            if left[r] == 0 {
                open -= 1;
            }
            Some(r)
        })
        .collect()
}

fn load_balanced(slots: &[Slot], n: usize) -> Vec<Option<usize>> {
    let mut heap: BinaryHeap<(u32, Reverse<usize>)> = slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.available && s.capacity_left > 0)
        .map(|(i, s)| (s.capacity_left, Reverse(i)))
        .collect();
    (0..n)
        .map(|_| {
            let (left, Reverse(r)) = heap.pop()?;
            if left > 1 {
                heap.push((left - 1, Reverse(r)));
            }
            Some(r)
        })
        .collect()
}

fn optimal(scorer: &dyn Scorer, reps: &[RepFacts], slots: &[Slot], leads: &[LeadFacts], limits: Limits) -> Allocation {
    // With fewer places than leads, first choose which leads are served (without the premium
    // cap), then share out just those under the cap: otherwise the cap's penalty would leave the
    // best leads unserved in favour of worse ones.
    let places: u64 = slots
        .iter()
        .filter(|s| s.available)
        .map(|s| s.capacity_left as u64)
        .sum();
    if limits.premium_rep_cap < 1.0 && (leads.len() as u64) > places {
        let served = optimal_network(
            scorer,
            reps,
            slots,
            leads,
            Limits {
                premium_rep_cap: 1.0,
                ..limits
            },
        );
        let keep: Vec<usize> = (0..leads.len()).filter(|&i| served.owner[i].is_some()).collect();
        let subset: Vec<LeadFacts> = keep.iter().map(|&i| leads[i].clone()).collect();
        let inner = optimal_network(scorer, reps, slots, &subset, limits);
        let mut owner = vec![None; leads.len()];
        let mut premium = vec![false; leads.len()];
        for (k, &i) in keep.iter().enumerate() {
            owner[i] = inner.owner[k];
            premium[i] = inner.premium[k];
        }
        return finish(scorer, reps, leads, owner, premium);
    }
    optimal_network(scorer, reps, slots, leads, limits)
}

// Long on purpose: builds and solves one flow network (segments, premium gates, reps); the node
// numbering is shared by every step.
fn optimal_network(
    scorer: &dyn Scorer,
    reps: &[RepFacts],
    slots: &[Slot],
    leads: &[LeadFacts],
    limits: Limits,
) -> Allocation {
    // Segments of this batch, each with its leads (best lead factor first) and mean factor.
    let mut seg_index: FxHashMap<Segment, usize> = FxHashMap::default();
    let mut seg_leads: Vec<Vec<usize>> = Vec::new();
    for (i, lead) in leads.iter().enumerate() {
        let s = *seg_index.entry(lead.segment()).or_insert_with(|| {
            seg_leads.push(Vec::new());
            seg_leads.len() - 1
        });
        seg_leads[s].push(i);
    }
    let lead_factor: Vec<f64> = leads.iter().map(|l| scorer.lead_factor(l)).collect();
    for members in &mut seg_leads {
        members.sort_by(|&a, &b| lead_factor[b].total_cmp(&lead_factor[a]).then(a.cmp(&b)));
    }
    let seg_mean: Vec<f64> = seg_leads
        .iter()
        .map(|m| m.iter().map(|&i| lead_factor[i]).sum::<f64>() / m.len() as f64)
        .collect();
    let active: Vec<usize> = (0..reps.len())
        .filter(|&r| slots[r].available && slots[r].capacity_left > 0)
        .collect();
    let n_seg = seg_leads.len();
    // Value per lead of each (segment, active rep), in fen.
    let values: Vec<Vec<i64>> = seg_leads
        .iter()
        .enumerate()
        .map(|(s, m)| {
            let sample = &leads[m[0]];
            active
                .iter()
                .map(|&r| {
                    (scorer.rep_value(r, &reps[r], sample) * seg_mean[s] * 100.0)
                        .round()
                        .max(0.0) as i64
                })
                .collect()
        })
        .collect();

    // Premium segments: the most valuable at company level until the top share of leads.
    let company_value: Vec<f64> = (0..n_seg)
        .map(|s| {
            let v = &values[s];
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<i64>() as f64 / v.len() as f64
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..n_seg).collect();
    order.sort_by(|&a, &b| company_value[b].total_cmp(&company_value[a]));
    let mut is_premium = vec![false; n_seg];
    let premium_budget = (limits.premium_top_share.clamp(0.0, 1.0) * leads.len() as f64).round() as usize;
    let mut taken = 0usize;
    // The most valuable segments that fit in the budget (a segment larger than what is left is
    // skipped, so the cap never covers most of a batch).
    for &s in &order {
        if taken + seg_leads[s].len() <= premium_budget {
            is_premium[s] = true;
            taken += seg_leads[s].len();
        }
    }
    let premium_leads: usize = (0..n_seg).filter(|&s| is_premium[s]).map(|s| seg_leads[s].len()).sum();
    // The cap is soft: a lead goes over it (at a penalty larger than any value) only when no
    // rep under the cap has room, so the cap never strands a lead.
    let premium_cap = if limits.premium_rep_cap >= 1.0 || premium_leads == 0 {
        None
    } else {
        Some((limits.premium_rep_cap * premium_leads as f64).ceil().max(1.0) as i64)
    };

    // Network: source, segments, premium gates (one per rep, when capped), reps, sink.
    let gates = if premium_cap.is_some() { active.len() } else { 0 };
    let source = 0;
    let seg_node = |s: usize| 1 + s;
    let gate_node = |k: usize| 1 + n_seg + k;
    let rep_node = |k: usize| 1 + n_seg + gates + k;
    let sink = 1 + n_seg + gates + active.len();
    let mut g = FlowNetwork::new(sink + 1);
    let max_value = values.iter().flatten().copied().max().unwrap_or(0);
    let must = max_value + 1;
    for (s, m) in seg_leads.iter().enumerate() {
        g.add_arc(source, seg_node(s), m.len() as i64, 0);
    }
    let mut arcs: Vec<Vec<usize>> = vec![Vec::with_capacity(active.len()); n_seg];
    let mut over_cap: Vec<Vec<usize>> = vec![Vec::new(); n_seg];
    for s in 0..n_seg {
        let gated = is_premium[s] && premium_cap.is_some();
        for (k, &value) in values[s].iter().enumerate() {
            let to = if gated { gate_node(k) } else { rep_node(k) };
            arcs[s].push(g.add_arc(seg_node(s), to, i64::MAX / 8, -value));
            if gated {
                over_cap[s].push(g.add_arc(seg_node(s), rep_node(k), i64::MAX / 8, 3 * must - value));
            }
        }
    }
    if let Some(cap) = premium_cap {
        for k in 0..active.len() {
            g.add_arc(gate_node(k), rep_node(k), cap, 0);
        }
    }
    for (k, &r) in active.iter().enumerate() {
        let cap = slots[r].capacity_left as i64;
        let floor = (limits.min_per_rep as i64).min(cap);
        if floor > 0 {
            g.add_arc(rep_node(k), sink, floor, -must);
        }
        if cap > floor {
            g.add_arc(rep_node(k), sink, cap - floor, 0);
        }
    }
    g.solve(source, sink);

    // Hand out each segment's leads: the best leads to the reps who value the segment most.
    let mut owner = vec![None; leads.len()];
    let mut premium = vec![false; leads.len()];
    for s in 0..n_seg {
        let mut quota: Vec<(i64, usize, i64)> = (0..active.len())
            .filter_map(|k| {
                let f = g.flow(arcs[s][k]) + over_cap[s].get(k).map_or(0, |&a| g.flow(a));
                (f > 0).then_some((values[s][k], active[k], f))
            })
            .collect();
        quota.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut it = seg_leads[s].iter();
        for (_, r, f) in quota {
            for _ in 0..f {
                if let Some(&i) = it.next() {
                    owner[i] = Some(r);
                }
            }
        }
        for &i in &seg_leads[s] {
            premium[i] = is_premium[s];
        }
    }
    finish(scorer, reps, leads, owner, premium)
}
