//! `uplift bench routing`: time lead routing in process on a synthetic team — fitting the model, the
//! allocation of a batch, and single leads routed online (p50/p99).
//! Every step draws from one seeded generator in turn, so a seed always gives the same team and leads.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Instant;

use uplift_routing::{
    LeadFacts, LeadModel, Limits, OnlinePlan, PastLead, RepFacts, Slot, Strategy, TenureBand, allocate,
};

use super::{INDUSTRIES, machine};
use crate::cli::RoutingArgs;

/// Lead sources and their base conversion rates.
const SOURCES: [(&str, f64); 7] = [
    ("Partner Referral", 0.25),
    ("Web", 0.14),
    ("Trade Show", 0.12),
    ("Cold Call", 0.06),
    ("Purchased List", 0.04),
    ("Webinar", 0.10),
    ("Social", 0.08),
];

/// Synthetic team: 7 sources × 8 industries, skill spread 0.5–1.8, experience lift 1.5.
struct Team {
    sources: Vec<Arc<str>>,
    industries: Vec<Arc<str>>,
    reps: Vec<RepFacts>,
    skill: Vec<f64>,
}

pub(super) fn routing(a: &RoutingArgs) -> anyhow::Result<i32> {
    let (n_reps, n_leads, n_online) = (a.reps, a.leads, a.online);
    println!("machine: {}", machine());
    let mut rng = SmallRng::seed_from_u64(a.seed);
    let team = Team::new(n_reps, &mut rng);
    let history = team.history(a.history_per_rep, &mut rng);
    let t = Instant::now();
    let model = LeadModel::fit(&history, &team.reps);
    println!(
        "fit: {} past leads, {n_reps} reps in {:.2} s",
        history.len(),
        t.elapsed().as_secs_f64()
    );
    let batch: Vec<LeadFacts> = (0..n_leads).map(|_| team.lead(&mut rng)).collect();
    let cap = (n_leads as f64 / n_reps as f64 * 1.3).ceil() as u32;
    let slots: Vec<Slot> = (0..n_reps)
        .map(|i| Slot {
            capacity_left: cap,
            available: i % 50 != 0,
        })
        .collect();
    for strategy in [Strategy::RoundRobin, Strategy::Optimal] {
        let t = Instant::now();
        let a = allocate(&model, &team.reps, &slots, &batch, strategy, Limits::default());
        println!(
            "allocate {}: {n_leads} leads to {n_reps} reps (capacity {cap} each) in {:.3} s; expected conversions {:.0}",
            strategy.name(),
            t.elapsed().as_secs_f64(),
            a.expected_conversions()
        );
    }
    let t = Instant::now();
    let expected: Vec<LeadFacts> = (0..n_leads).map(|_| team.lead(&mut rng)).collect();
    let mut plan = OnlinePlan::new(&model, team.reps.clone(), &slots, &expected, Limits::default());
    println!(
        "online plan for {n_leads} expected leads in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    route_online(&team, &model, &mut plan, n_online, &mut rng);
    Ok(0)
}

impl Team {
    /// `n_reps` reps in teams of 10, cycling through tenure bands and industries; then each rep's skill.
    fn new(n_reps: usize, rng: &mut SmallRng) -> Team {
        let sources: Vec<Arc<str>> = SOURCES.iter().map(|s| Arc::from(s.0)).collect();
        let industries: Vec<Arc<str>> = INDUSTRIES.iter().map(|s| Arc::from(*s)).collect();
        let teams: Vec<Arc<str>> = (0..n_reps.div_ceil(10))
            .map(|t| Arc::from(format!("team{t}")))
            .collect();
        let reps: Vec<RepFacts> = (0..n_reps)
            .map(|i| RepFacts {
                team: teams[i / 10].clone(),
                tenure_band: [TenureBand::New, TenureBand::Growing, TenureBand::Established][i % 3],
                industries: vec![industries[i % industries.len()].clone()],
            })
            .collect();
        let skill: Vec<f64> = (0..n_reps).map(|_| 0.5 + 1.3 * rng.random::<f64>()).collect();
        Team {
            sources,
            industries,
            reps,
            skill,
        }
    }

    /// A random lead: source, industry, rating.
    fn lead(&self, rng: &mut SmallRng) -> LeadFacts {
        let s = rng.random_range(0..self.sources.len());
        LeadFacts {
            source: self.sources[s].clone(),
            industry: self.industries[rng.random_range(0..self.industries.len())].clone(),
            attributes: vec![Arc::from(
                ["rating=Hot", "rating=Warm", "rating=Cold"][rng.random_range(0..3)],
            )],
        }
    }

    /// `per_rep` past leads for each rep, converted at source rate × skill (× 1.5 in a known industry).
    fn history(&self, per_rep: usize, rng: &mut SmallRng) -> Vec<PastLead> {
        let mut history = Vec::with_capacity(self.reps.len() * per_rep);
        for (r, rep) in self.reps.iter().enumerate() {
            for k in 0..per_rep {
                let l = self.lead(rng);
                let base = SOURCES.iter().find(|s| *s.0 == *l.source).map_or(0.1, |s| s.1);
                let p = (base * self.skill[r] * if rep.knows(&l.industry) { 1.5 } else { 1.0 }).min(0.9);
                let converted = rng.random::<f64>() < p;
                history.push(PastLead {
                    facts: l,
                    owner: r,
                    age_months: (k % 12) as u32,
                    tenure_band: rep.tenure_band,
                    converted,
                    won_value: if converted { 50_000.0 } else { 0.0 },
                    value_known: true,
                });
            }
        }
        history
    }
}

/// Routes `n_online` single leads through the plan, then 1000 the plan did not foresee, and prints
/// the latencies of each.
fn route_online(team: &Team, model: &LeadModel, plan: &mut OnlinePlan, n_online: usize, rng: &mut SmallRng) {
    let mut times = Vec::with_capacity(n_online);
    let mut fallback = 0usize;
    for _ in 0..n_online {
        let l = team.lead(rng);
        let t = Instant::now();
        let r = plan.route(model, &l);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if r.is_some_and(|r| !r.planned) {
            fallback += 1;
        }
    }
    report("online route", times, format!(" ({fallback} outside the plan)"));
    // Leads the plan did not foresee (an industry never seen): every one scans all reps.
    let mut times = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let mut l = team.lead(rng);
        l.industry = Arc::from("Aerospace");
        let t = Instant::now();
        let _ = plan.route(model, &l);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("online route outside the plan", times, String::new());
}

/// Prints the count, p50, p99 and maximum of latencies in milliseconds.
fn report(what: &str, mut times: Vec<f64>, note: String) {
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "{what}: {} leads, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms{note}",
        times.len(),
        q(0.5),
        q(0.99),
        times.last().copied().unwrap_or(0.0)
    );
}
