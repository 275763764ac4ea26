//! Lead value estimation: the chance that a given rep converts a given lead, and the won value
//! that conversion brings, learned from history with shrinkage.
//!
//! The model is a chain of observed/expected ratios (indirect standardisation), each shrunk
//! toward 1 with a prior worth [`PRIOR_LEADS`] leads, so a rep with three leads of a kind is
//! judged mostly on their team and company:
//!
//! p(rep, lead) = segment rate (source × industry, shrunk to source × industry effect)
//!              × lead-attribute lift (rating, company size)
//!              × industry-experience lift (when the rep's experience matches the lead)
//!              × tenure-band lift (the rep's band today) × team lift
//!              × rep lift (the rep's own record against all of the above)
//!              × rep-by-source lift (e.g. new reps on referral leads).
//!
//! Every count is weighted by recency (half-life [`HALF_LIFE_MONTHS`]), which is how the rep's
//! recent trend enters. Expected won value = p × value per conversion (segment mean won amount
//! per converted lead, shrunk to the source's, × the rep's own deal-size ratio, shrunk).

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Serialize;

/// Weight, in leads, of the prior each ratio is shrunk toward.
pub const PRIOR_LEADS: f64 = 50.0;
/// Weight, in conversions, of the prior for value per conversion.
pub const PRIOR_CONVERSIONS: f64 = 5.0;
/// Recency half-life of the history weights, in months.
pub const HALF_LIFE_MONTHS: f64 = 6.0;
const P_MIN: f64 = 0.001;
const P_MAX: f64 = 0.95;

/// A lead segment: (lead source, industry).
pub type Segment = (Arc<str>, Arc<str>);

/// What routing knows about a lead when it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LeadFacts {
    pub source: Arc<str>,
    pub industry: Arc<str>,
    /// Other attributes as "name=value" (e.g. "rating=Hot", "size=50-199"); may be empty.
    pub attributes: Vec<Arc<str>>,
}

impl LeadFacts {
    /// The allocation segment: source × industry.
    pub fn segment(&self) -> Segment {
        (self.source.clone(), self.industry.clone())
    }
}

/// A lead from history with its outcome.
#[derive(Debug, Clone)]
pub struct PastLead {
    pub facts: LeadFacts,
    /// Index of the owning rep in the rep list.
    pub owner: usize,
    /// Months before the model's as-of month (0 = the latest month).
    pub age_months: u32,
    /// The owner's tenure band when the lead arrived.
    pub tenure_band: TenureBand,
    pub converted: bool,
    /// Won amount (yuan) of the opportunity the lead became; 0 when lost or not converted.
    pub won_value: f64,
    /// Whether the value is final (a converted lead whose opportunity is still open is not).
    pub value_known: bool,
}

/// A rep as the model sees them today.
#[derive(Debug, Clone)]
pub struct RepFacts {
    pub team: Arc<str>,
    pub tenure_band: TenureBand,
    /// Industries the rep has experience in (the roster's 行业经验, split on ; , 、).
    pub industries: Vec<Arc<str>>,
}

impl RepFacts {
    /// Whether the rep's experience covers this industry.
    pub fn knows(&self, industry: &str) -> bool {
        !industry.is_empty()
            && self
                .industries
                .iter()
                .any(|i| i.as_ref().eq_ignore_ascii_case(industry))
    }
}

/// Tenure bands used for lifts and default capacities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TenureBand {
    /// 0–3 months.
    New,
    /// 4–12 months.
    Growing,
    /// 13–36 months.
    Established,
    /// Over 36 months.
    Veteran,
}

impl TenureBand {
    /// The band of a tenure in whole months.
    pub fn of_months(months: i64) -> TenureBand {
        match months {
            ..=3 => TenureBand::New,
            4..=12 => TenureBand::Growing,
            13..=36 => TenureBand::Established,
            _ => TenureBand::Veteran,
        }
    }

    /// Words for the band.
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (TenureBand::New, true) => "入职3个月内",
            (TenureBand::Growing, true) => "入职4–12个月",
            (TenureBand::Established, true) => "入职1–3年",
            (TenureBand::Veteran, true) => "入职3年以上",
            (TenureBand::New, false) => "0–3 months",
            (TenureBand::Growing, false) => "4–12 months",
            (TenureBand::Established, false) => "1–3 years",
            (TenureBand::Veteran, false) => "over 3 years",
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    n: f64,
    observed: f64,
    expected: f64,
}

impl Tally {
    fn add(&mut self, w: f64, observed: f64, expected: f64) {
        self.n += w;
        self.observed += w * observed;
        self.expected += w * expected;
    }
    /// Observed/expected shrunk toward 1 by `PRIOR_LEADS` leads' worth of expectation.
    fn lift(&self, prior_rate: f64) -> f64 {
        let k = PRIOR_LEADS * prior_rate.max(P_MIN);
        (self.observed + k) / (self.expected + k)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct ValueTally {
    conversions: f64,
    value: f64,
    expected: f64,
}

/// A fitted lead value model.
#[derive(Debug, Clone)]
pub struct LeadModel {
    base_rate: f64,
    base_value: f64,
    segment_rate: FxHashMap<Segment, f64>,
    source_rate: FxHashMap<Arc<str>, f64>,
    industry_lift: FxHashMap<Arc<str>, f64>,
    attribute_lift: FxHashMap<Arc<str>, f64>,
    experience_lift: f64,
    no_experience_lift: f64,
    band_lift: FxHashMap<TenureBand, f64>,
    team_lift: FxHashMap<Arc<str>, f64>,
    rep_lift: Vec<f64>,
    rep_source_lift: FxHashMap<(usize, Arc<str>), f64>,
    source_value: FxHashMap<Arc<str>, f64>,
    segment_value: FxHashMap<Segment, f64>,
    rep_value_ratio: Vec<f64>,
    /// Plain history per rep × segment: leads, conversions.
    rep_segment_history: FxHashMap<(usize, Segment), (f64, f64)>,
    team_segment_history: FxHashMap<(Arc<str>, Segment), (f64, f64)>,
    /// Leads the model learned from.
    pub leads: usize,
}

/// One prediction with the numbers behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub conversion: f64,
    /// Expected won value (yuan).
    pub value: f64,
}

fn recency(age: u32) -> f64 {
    0.5f64.powf(age as f64 / HALF_LIFE_MONTHS)
}

fn shrink(observed: f64, n: f64, prior: f64, k: f64) -> f64 {
    (observed + k * prior) / (n + k)
}

impl LeadModel {
    /// Fits the model on past leads owned by `reps`.
    // Long on purpose: the shrinkage estimator level by level (segment, attributes, experience, tenure,
    // team, rep, rep × source); each level shrinks toward the one before, so the order is the
    // algorithm.
    pub fn fit(history: &[PastLead], reps: &[RepFacts]) -> LeadModel {
        let w: Vec<f64> = history.iter().map(|l| recency(l.age_months)).collect();
        let y: Vec<f64> = history.iter().map(|l| if l.converted { 1.0 } else { 0.0 }).collect();
        let total_w: f64 = w.iter().sum();
        let base_rate = if total_w > 0.0 {
            (w.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>() + 1.0) / (total_w + 10.0)
        } else {
            0.1
        }
        .clamp(P_MIN, P_MAX);

        // Source rates, shrunk to the company rate.
        let mut by_source: FxHashMap<Arc<str>, (f64, f64)> = FxHashMap::default();
        for (l, (&wi, &yi)) in history.iter().zip(w.iter().zip(&y)) {
            let e = by_source.entry(l.facts.source.clone()).or_default();
            e.0 += wi;
            e.1 += wi * yi;
        }
        let source_rate: FxHashMap<Arc<str>, f64> = by_source
            .iter()
            .map(|(k, &(n, c))| (k.clone(), shrink(c, n, base_rate, PRIOR_LEADS)))
            .collect();
        let src = |m: &FxHashMap<Arc<str>, f64>, s: &Arc<str>| m.get(s).copied().unwrap_or(base_rate);

        // Industry lift given the source mix; then segment rates shrunk to source × industry.
        let mut by_industry: FxHashMap<Arc<str>, Tally> = FxHashMap::default();
        for (l, (&wi, &yi)) in history.iter().zip(w.iter().zip(&y)) {
            by_industry
                .entry(l.facts.industry.clone())
                .or_default()
                .add(wi, yi, src(&source_rate, &l.facts.source));
        }
        let industry_lift: FxHashMap<Arc<str>, f64> = by_industry
            .iter()
            .map(|(k, t)| (k.clone(), t.lift(base_rate)))
            .collect();
        let mut by_segment: FxHashMap<Segment, (f64, f64)> = FxHashMap::default();
        for (l, (&wi, &yi)) in history.iter().zip(w.iter().zip(&y)) {
            let e = by_segment.entry(l.facts.segment()).or_default();
            e.0 += wi;
            e.1 += wi * yi;
        }
        let mut model = LeadModel {
            base_rate,
            base_value: 0.0,
            segment_rate: FxHashMap::default(),
            source_rate,
            industry_lift,
            attribute_lift: FxHashMap::default(),
            experience_lift: 1.0,
            no_experience_lift: 1.0,
            band_lift: FxHashMap::default(),
            team_lift: FxHashMap::default(),
            rep_lift: vec![1.0; reps.len()],
            rep_source_lift: FxHashMap::default(),
            source_value: FxHashMap::default(),
            segment_value: FxHashMap::default(),
            rep_value_ratio: vec![1.0; reps.len()],
            rep_segment_history: FxHashMap::default(),
            team_segment_history: FxHashMap::default(),
            leads: history.len(),
        };
        model.segment_rate = by_segment
            .iter()
            .map(|(k, &(n, c))| {
                let prior = model.segment_prior(&k.0, &k.1);
                (k.clone(), shrink(c, n, prior, PRIOR_LEADS))
            })
            .collect();

        // Each further lift is fitted against the expectation built so far, in order.
        let mut expected: Vec<f64> = history.iter().map(|l| model.segment_base(&l.facts)).collect();
        let fit_lift = |keys: &mut dyn FnMut(usize) -> Vec<Arc<str>>, expected: &[f64]| {
            let mut t: FxHashMap<Arc<str>, Tally> = FxHashMap::default();
            for i in 0..history.len() {
                for k in keys(i) {
                    t.entry(k).or_default().add(w[i], y[i], expected[i]);
                }
            }
            t.into_iter()
                .map(|(k, v)| (k, v.lift(base_rate)))
                .collect::<FxHashMap<Arc<str>, f64>>()
        };
        model.attribute_lift = fit_lift(&mut |i| history[i].facts.attributes.clone(), &expected);
        for (i, l) in history.iter().enumerate() {
            expected[i] *= model.attributes_lift(&l.facts);
        }
        // Both sides of the experience split get a lift, so the segment rates (which average
        // over both) are not counted twice.
        let (mut with, mut without) = (Tally::default(), Tally::default());
        for (i, l) in history.iter().enumerate() {
            if reps.get(l.owner).is_some_and(|r| r.knows(&l.facts.industry)) {
                with.add(w[i], y[i], expected[i]);
            } else {
                without.add(w[i], y[i], expected[i]);
            }
        }
        model.experience_lift = with.lift(base_rate);
        model.no_experience_lift = without.lift(base_rate);
        for (i, l) in history.iter().enumerate() {
            expected[i] *= if reps.get(l.owner).is_some_and(|r| r.knows(&l.facts.industry)) {
                model.experience_lift
            } else {
                model.no_experience_lift
            };
        }
        let mut band: FxHashMap<TenureBand, Tally> = FxHashMap::default();
        for (i, l) in history.iter().enumerate() {
            band.entry(l.tenure_band).or_default().add(w[i], y[i], expected[i]);
        }
        model.band_lift = band.into_iter().map(|(k, t)| (k, t.lift(base_rate))).collect();
        for (i, l) in history.iter().enumerate() {
            expected[i] *= model.band_lift.get(&l.tenure_band).copied().unwrap_or(1.0);
        }
        model.team_lift = fit_lift(
            &mut |i| {
                reps.get(history[i].owner)
                    .map(|r| vec![r.team.clone()])
                    .unwrap_or_default()
            },
            &expected,
        );
        for (i, l) in history.iter().enumerate() {
            if let Some(r) = reps.get(l.owner) {
                expected[i] *= model.team_lift.get(&r.team).copied().unwrap_or(1.0);
            }
        }
        let mut rep: Vec<Tally> = vec![Tally::default(); reps.len()];
        for (i, l) in history.iter().enumerate() {
            if let Some(t) = rep.get_mut(l.owner) {
                t.add(w[i], y[i], expected[i]);
            }
        }
        model.rep_lift = rep.iter().map(|t| t.lift(base_rate)).collect();
        // The rep-by-source lift measures how a source departs from the rep's *own* average (raw,
        // not shrunk): otherwise the same few leads would count twice, once in each lift.
        let raw: Vec<f64> = rep
            .iter()
            .map(|t| if t.expected > 0.0 { t.observed / t.expected } else { 1.0 })
            .collect();
        for (i, l) in history.iter().enumerate() {
            expected[i] *= raw.get(l.owner).copied().unwrap_or(1.0);
        }
        let mut rep_source: FxHashMap<(usize, Arc<str>), Tally> = FxHashMap::default();
        for (i, l) in history.iter().enumerate() {
            if l.owner < reps.len() {
                rep_source
                    .entry((l.owner, l.facts.source.clone()))
                    .or_default()
                    .add(w[i], y[i], expected[i]);
            }
        }
        model.rep_source_lift = rep_source.into_iter().map(|(k, t)| (k, t.lift(base_rate))).collect();

        // Plain (unweighted) history per rep and team × segment, for the reasons.
        for (i, l) in history.iter().enumerate() {
            let seg = l.facts.segment();
            let e = model.rep_segment_history.entry((l.owner, seg.clone())).or_default();
            e.0 += 1.0;
            e.1 += y[i];
            if let Some(r) = reps.get(l.owner) {
                let e = model.team_segment_history.entry((r.team.clone(), seg)).or_default();
                e.0 += 1.0;
                e.1 += y[i];
            }
        }

        // Value per conversion.
        let known: Vec<usize> = (0..history.len())
            .filter(|&i| history[i].converted && history[i].value_known)
            .collect();
        let (mut vw, mut vsum) = (0.0, 0.0);
        for &i in &known {
            vw += w[i];
            vsum += w[i] * history[i].won_value;
        }
        model.base_value = if vw > 0.0 { vsum / vw } else { 0.0 };
        let mut by_src: FxHashMap<Arc<str>, (f64, f64)> = FxHashMap::default();
        let mut by_seg: FxHashMap<Segment, (f64, f64)> = FxHashMap::default();
        for &i in &known {
            let f = &history[i].facts;
            let e = by_src.entry(f.source.clone()).or_default();
            e.0 += w[i];
            e.1 += w[i] * history[i].won_value;
            let e = by_seg.entry(f.segment()).or_default();
            e.0 += w[i];
            e.1 += w[i] * history[i].won_value;
        }
        model.source_value = by_src
            .into_iter()
            .map(|(k, (n, v))| (k, shrink(v, n, model.base_value, PRIOR_CONVERSIONS)))
            .collect();
        model.segment_value = by_seg
            .into_iter()
            .map(|(k, (n, v))| {
                let prior = model.source_value.get(&k.0).copied().unwrap_or(model.base_value);
                (k, shrink(v, n, prior, PRIOR_CONVERSIONS))
            })
            .collect();
        let mut rep_value: Vec<ValueTally> = vec![ValueTally::default(); reps.len()];
        for &i in &known {
            let l = &history[i];
            if let Some(t) = rep_value.get_mut(l.owner) {
                t.conversions += w[i];
                t.value += w[i] * l.won_value;
                t.expected += w[i] * model.segment_value_of(&l.facts);
            }
        }
        model.rep_value_ratio = rep_value
            .iter()
            .map(|t| {
                let k = PRIOR_CONVERSIONS * model.base_value.max(1.0);
                (t.value + k) / (t.expected + k)
            })
            .collect();
        model
    }

    fn segment_prior(&self, source: &Arc<str>, industry: &Arc<str>) -> f64 {
        let s = self.source_rate.get(source).copied().unwrap_or(self.base_rate);
        (s * self.industry_lift.get(industry).copied().unwrap_or(1.0)).clamp(P_MIN, P_MAX)
    }

    /// The company's conversion rate for the lead's segment (before any rep or lead lift).
    pub fn segment_base(&self, lead: &LeadFacts) -> f64 {
        let key = (lead.source.clone(), lead.industry.clone());
        self.segment_rate
            .get(&key)
            .copied()
            .unwrap_or_else(|| self.segment_prior(&lead.source, &lead.industry))
    }

    fn attributes_lift(&self, lead: &LeadFacts) -> f64 {
        lead.attributes
            .iter()
            .map(|a| self.attribute_lift.get(a).copied().unwrap_or(1.0))
            .product()
    }

    fn segment_value_of(&self, lead: &LeadFacts) -> f64 {
        self.segment_value
            .get(&lead.segment())
            .or_else(|| self.source_value.get(&lead.source))
            .copied()
            .unwrap_or(self.base_value)
    }

    /// The lead-only part of the estimate (segment × attributes); the same for every rep.
    pub fn lead_factor(&self, lead: &LeadFacts) -> f64 {
        self.segment_base(lead) * self.attributes_lift(lead)
    }

    /// The rep-specific multiplier of the conversion rate for a lead of this kind.
    pub fn rep_factor(&self, rep_index: usize, rep: &RepFacts, lead: &LeadFacts) -> f64 {
        let f = self.band_lift.get(&rep.tenure_band).copied().unwrap_or(1.0)
            * self.team_lift.get(&rep.team).copied().unwrap_or(1.0)
            * self.rep_lift.get(rep_index).copied().unwrap_or(1.0)
            * self
                .rep_source_lift
                .get(&(rep_index, lead.source.clone()))
                .copied()
                .unwrap_or(1.0);
        f * if rep.knows(&lead.industry) {
            self.experience_lift
        } else {
            self.no_experience_lift
        }
    }

    /// The chance that `rep` converts `lead`, and the expected won value.
    pub fn estimate(&self, rep_index: usize, rep: &RepFacts, lead: &LeadFacts) -> Estimate {
        let p = (self.lead_factor(lead) * self.rep_factor(rep_index, rep, lead)).clamp(P_MIN, P_MAX);
        let value = p * self.segment_value_of(lead) * self.rep_value_ratio.get(rep_index).copied().unwrap_or(1.0);
        Estimate { conversion: p, value }
    }

    /// The company conversion rate over all history.
    pub fn base_rate(&self) -> f64 {
        self.base_rate
    }

    /// The fitted conversion ratio of leads in a rep's own industry to leads outside it.
    pub fn experience_lift(&self) -> f64 {
        self.experience_lift / self.no_experience_lift
    }

    /// Leads and conversion rate of this rep in this segment, if any history.
    pub fn rep_history(&self, rep_index: usize, lead: &LeadFacts) -> Option<(f64, f64)> {
        self.rep_segment_history
            .get(&(rep_index, lead.segment()))
            .filter(|(n, _)| *n > 0.0)
            .map(|&(n, c)| (n, c / n))
    }

    /// Leads and conversion rate of a team in this segment, if any history.
    pub fn team_history(&self, team: &Arc<str>, lead: &LeadFacts) -> Option<(f64, f64)> {
        self.team_segment_history
            .get(&(team.clone(), lead.segment()))
            .filter(|(n, _)| *n > 0.0)
            .map(|&(n, c)| (n, c / n))
    }
}
