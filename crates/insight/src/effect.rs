//! Effect evaluation: did an intervention (a training programme for one department from a given
//! month, say) move the monthly value of the people it reached? A difference-in-differences: the
//! change in the treated group after the start, net of the change in a control group over the same
//! months, estimated as a two-way fixed-effects regression value ~ person + month + β·(treated ∧
//! after start), so people who join late or leave early still count. Standard errors are clustered
//! by person: one person's months are not independent evidence. The estimate is only believed when
//! the groups moved in parallel before the start and a fake start inside the pre-period finds
//! nothing; otherwise the verdict is "cannot confirm", whatever the number says.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// One person-month. `month` counts months consecutively (e.g. `year * 12 + month - 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct PanelRow {
    pub unit: String,
    pub month: i32,
    pub value: f64,
    /// Group membership; a unit is treated if any of its rows says so.
    pub treated: bool,
}

/// The panel and the first treated month.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectInput {
    pub rows: Vec<PanelRow>,
    pub start: i32,
}

/// The conclusion, cautious by construction: an improvement (decline) needs the 95% interval above
/// (below) zero, parallel pre-trends and, when there is one, a placebo that finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improved,
    Worsened,
    Inconclusive,
}

impl Verdict {
    pub fn label_zh(self) -> &'static str {
        ["提升显著", "下降显著", "无法确认"][self as usize]
    }

    pub fn label_en(self) -> &'static str {
        ["Significant improvement", "Significant decline", "Cannot confirm"][self as usize]
    }
}

/// Did the groups move in parallel before the start? A DiD assumes the treated would have kept
/// pace with the control without the intervention; a gap in pre-period slopes breaks that.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PreTrend {
    /// Monthly slope of the treated minus that of the control, pre-period.
    pub slope_gap: f64,
    pub p_value: f64,
    /// False when the pre-period has a single month: one month has no slope to compare.
    pub tested: bool,
    /// `tested` and `p_value >= 0.05`.
    pub parallel: bool,
}

/// The same DiD on pre-period data only, with a fake start in its middle: it should find nothing.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Placebo {
    pub start: i32,
    pub estimate: f64,
    pub p_value: f64,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EffectReport {
    /// Average change in the monthly value of treated units after the start, net of the control.
    pub estimate: f64,
    /// 95% interval: cluster-robust (CR1), t with units − 1 degrees of freedom.
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    pub verdict: Verdict,
    /// Units in the regression (those with at least two usable months).
    pub treated_n: usize,
    pub control_n: usize,
    /// Months with data before / from the start.
    pub pre_months: usize,
    pub post_months: usize,
    /// Raw means over person-months, not adjusted for who is present when.
    pub treated_pre_mean: f64,
    pub treated_post_mean: f64,
    pub control_pre_mean: f64,
    pub control_post_mean: f64,
    pub pre_trend: PreTrend,
    /// `None` with fewer than 4 pre-period months.
    pub placebo: Option<Placebo>,
    /// (month, treated mean, control mean) for the months where both groups have data.
    pub series: Vec<(i32, f64, f64)>,
}

/// Why no evaluation could be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EffectError {
    #[error("no treated unit with usable data")]
    NoTreated,
    #[error("no control unit with usable data")]
    NoControl,
    #[error("the treated or the control group has no data before the start")]
    NoPrePeriod,
    #[error("the treated or the control group has no data from the start on")]
    NoPostPeriod,
    #[error("too few units: {treated} treated and {control} control (need at least 2 of each)")]
    TooFewUnits { treated: usize, control: usize },
    /// E.g. every treated unit is seen only before or only after the start: nobody's own
    /// before-and-after can be compared.
    #[error("the effect cannot be separated from the person and month effects")]
    NotIdentified,
}

/// A usable row, its unit as a dense index.
#[derive(Debug, Clone, Copy)]
struct Obs {
    unit: usize,
    month: i32,
    value: f64,
    treated: bool,
}

/// A factor (unit, month): each row's level and the row count per level.
struct Factor {
    level: Vec<usize>,
    count: Vec<f64>,
}

impl Factor {
    fn new<K: Ord + Copy>(keys: impl Iterator<Item = K>) -> Factor {
        let keys: Vec<K> = keys.collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        let level: Vec<usize> = keys.iter().map(|k| sorted.binary_search(k).unwrap_or(0)).collect();
        let mut count = vec![0.0; sorted.len()];
        level.iter().for_each(|&g| count[g] += 1.0);
        Factor { level, count }
    }

    /// Subtracts each level's mean; returns the largest mean removed.
    fn demean(&self, col: &mut [f64]) -> f64 {
        let mut mean = vec![0.0; self.count.len()];
        col.iter().zip(&self.level).for_each(|(v, &g)| mean[g] += v);
        mean.iter_mut().zip(&self.count).for_each(|(m, c)| *m /= c.max(1.0));
        col.iter_mut().zip(&self.level).for_each(|(v, &g)| *v -= mean[g]);
        mean.iter().fold(0.0, |m, s| m.max(s.abs()))
    }
}

/// Removes unit and month fixed effects (Frisch–Waugh–Lovell) by alternating projections: exact
/// after one sweep on a balanced panel, a few more when people join and leave. Each sweep is
/// O(rows); capped so that a pathological panel cannot run away.
fn absorb(col: &mut [f64], units: &Factor, months: &Factor) {
    let tol = 1e-11 * (1.0 + col.iter().fold(0.0f64, |m, v| m.max(v.abs())));
    for _ in 0..1000 {
        let change = units.demean(col).max(months.demean(col));
        if change.is_nan() || change <= tol {
            break;
        }
    }
}

/// One coefficient: estimate, 95% interval, two-sided p-value.
struct Fit {
    beta: f64,
    lo: f64,
    hi: f64,
    p: f64,
}

/// value ~ unit FE + month FE + β·x, clustered by unit (CR1). `None` when β is not identified (x
/// has nothing left once the fixed effects are removed) or there are too few units or rows.
fn fit(rows: &[Obs], x: impl Fn(&Obs) -> f64) -> Option<Fit> {
    let units = Factor::new(rows.iter().map(|r| r.unit));
    let months = Factor::new(rows.iter().map(|r| r.month));
    let (n, g) = (rows.len() as f64, units.count.len() as f64);
    // Parameters in the small-sample factor: β and the month effects. Unit effects are nested in
    // the clusters and do not count (as in Stata's `xtreg, fe` and `reghdfe`).
    let k = months.count.len() as f64;
    if g < 2.0 || n <= k {
        return None;
    }
    let mut y: Vec<f64> = rows.iter().map(|r| r.value).collect();
    let mut d: Vec<f64> = rows.iter().map(x).collect();
    let raw: f64 = d.iter().map(|v| v * v).sum();
    absorb(&mut y, &units, &months);
    absorb(&mut d, &units, &months);
    let dd: f64 = d.iter().map(|v| v * v).sum();
    if dd.is_nan() || dd <= 1e-9 * raw {
        return None;
    }
    let beta = d.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>() / dd;
    let mut score = vec![0.0; units.count.len()];
    for ((&u, dv), yv) in units.level.iter().zip(&d).zip(&y) {
        score[u] += dv * (yv - beta * dv);
    }
    let meat: f64 = score.iter().map(|s| s * s).sum();
    let se = (g / (g - 1.0) * (n - 1.0) / (n - k) * meat).max(0.0).sqrt() / dd;
    let t_dist = StudentsT::new(0.0, 1.0, g - 1.0).ok()?;
    let t = if se > 0.0 { beta / se } else { 0.0 };
    let p = if t.is_finite() {
        (2.0 * (1.0 - t_dist.cdf(t.abs()))).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let tc = t_dist.inverse_cdf(0.975);
    Some(Fit {
        beta,
        lo: beta - tc * se,
        hi: beta + tc * se,
        p,
    })
}

fn indicator(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Evaluates the effect of the intervention starting at `input.start`.
pub fn evaluate_effect(input: &EffectInput) -> Result<EffectReport, EffectError> {
    let start = input.start;
    let usable: Vec<&PanelRow> = input.rows.iter().filter(|r| r.value.is_finite()).collect();
    let units = Factor::new(usable.iter().map(|r| r.unit.as_str()));
    let mut treated = vec![false; units.count.len()];
    for (r, &u) in usable.iter().zip(&units.level) {
        treated[u] |= r.treated;
    }
    if !treated.iter().any(|&t| t) {
        return Err(EffectError::NoTreated);
    }
    if treated.iter().all(|&t| t) {
        return Err(EffectError::NoControl);
    }
    // A unit seen once is wholly absorbed by its own effect; keeping it would only inflate the
    // cluster count.
    let rows: Vec<Obs> = (usable.iter().zip(&units.level))
        .filter(|&(_, &unit)| units.count[unit] >= 2.0)
        .map(|(r, &unit)| Obs {
            unit,
            month: r.month,
            value: r.value,
            treated: treated[unit],
        })
        .collect();
    let cell = |o: &Obs, t: bool, post: bool| o.treated == t && (o.month >= start) == post;
    let has = |t, post| rows.iter().any(|o| cell(o, t, post));
    if !has(true, false) || !has(false, false) {
        return Err(EffectError::NoPrePeriod);
    }
    if !has(true, true) || !has(false, true) {
        return Err(EffectError::NoPostPeriod);
    }
    let count = |t: bool| {
        (0..treated.len())
            .filter(|&u| units.count[u] >= 2.0 && treated[u] == t)
            .count()
    };
    let (treated_n, control_n) = (count(true), count(false));
    if treated_n < 2 || control_n < 2 {
        return Err(EffectError::TooFewUnits {
            treated: treated_n,
            control: control_n,
        });
    }

    let main = fit(&rows, |o| indicator(o.treated && o.month >= start)).ok_or(EffectError::NotIdentified)?;
    let (ci_low, ci_high, p_value) = (main.lo, main.hi, main.p);

    let pre: Vec<Obs> = rows.iter().copied().filter(|o| o.month < start).collect();
    let mut months: Vec<i32> = rows.iter().map(|r| r.month).collect();
    months.sort_unstable();
    months.dedup();
    let pre_months: Vec<i32> = months.iter().copied().filter(|&m| m < start).collect();
    let trend = fit(&pre, |o| indicator(o.treated) * (f64::from(o.month) - f64::from(start)));
    let (slope_gap, trend_p) = trend.as_ref().map_or((0.0, 1.0), |f| (f.beta, f.p));
    let tested = trend.is_some();
    let pre_trend = PreTrend {
        slope_gap,
        p_value: trend_p,
        tested,
        parallel: tested && trend_p >= 0.05,
    };
    let placebo = (pre_months.len() >= 4)
        .then(|| pre_months[pre_months.len() / 2])
        .and_then(|fake| {
            let f = fit(&pre, |o| indicator(o.treated && o.month >= fake))?;
            Some(Placebo {
                start: fake,
                estimate: f.beta,
                p_value: f.p,
                passed: f.p >= 0.05,
            })
        });

    let checks = pre_trend.parallel && placebo.as_ref().is_none_or(|p| p.passed) && p_value < 0.05;
    let verdict = match (ci_low > 0.0, ci_high < 0.0) {
        (true, _) if checks => Verdict::Improved,
        (_, true) if checks => Verdict::Worsened,
        _ => Verdict::Inconclusive,
    };

    let group_mean = |t, post| mean(rows.iter().filter(|o| cell(o, t, post)).map(|o| o.value));
    let mut sums = vec![[(0.0, 0usize); 2]; months.len()]; // [control, treated] (sum, count)
    for o in &rows {
        let slot = &mut sums[months.binary_search(&o.month).unwrap_or(0)][usize::from(o.treated)];
        *slot = (slot.0 + o.value, slot.1 + 1);
    }
    let series = (months.iter().zip(&sums))
        .filter(|(_, [c, t])| c.1 > 0 && t.1 > 0)
        .map(|(&m, [c, t])| (m, t.0 / t.1 as f64, c.0 / c.1 as f64))
        .collect();

    Ok(EffectReport {
        estimate: main.beta,
        ci_low,
        ci_high,
        p_value,
        verdict,
        treated_n,
        control_n,
        pre_months: pre_months.len(),
        post_months: months.len() - pre_months.len(),
        treated_pre_mean: group_mean(true, false),
        treated_post_mean: group_mean(true, true),
        control_pre_mean: group_mean(false, false),
        control_post_mean: group_mean(false, true),
        pre_trend,
        placebo,
        series,
    })
}

/// Placebo in space: when a whole department was treated, the same difference-in-differences with
/// each other department as the "treated" one (against the remaining control). A department-wide
/// programme is only credited when its change stands out from what other departments did over the
/// same months — person-clustered errors alone cannot see department-wide shocks.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpacePlacebo {
    /// Other departments evaluated.
    pub departments: usize,
    /// Of them, how many changed at least as much (in absolute value) as the treated group.
    pub as_large: usize,
    /// `as_large / departments` below 0.2.
    pub passed: bool,
}

/// Runs the placebo in space over `control` rows (the treated group's rows left out), `group` naming
/// each unit's department; departments with fewer than 2 units are skipped. `None` when fewer than
/// 3 departments could be evaluated (too few to say anything).
pub fn space_placebo(
    control: &[PanelRow],
    group: &dyn Fn(&str) -> Option<String>,
    start: i32,
    estimate: f64,
) -> Option<SpacePlacebo> {
    let mut units: std::collections::BTreeMap<String, std::collections::BTreeSet<&str>> = Default::default();
    for r in control {
        if let Some(g) = group(&r.unit) {
            units.entry(g).or_default().insert(r.unit.as_str());
        }
    }
    let mut estimates = Vec::new();
    for (g, members) in &units {
        if members.len() < 2 {
            continue;
        }
        let rows: Vec<PanelRow> = control
            .iter()
            .map(|r| PanelRow {
                treated: group(&r.unit).as_deref() == Some(g.as_str()),
                ..r.clone()
            })
            .collect();
        if let Ok(rep) = evaluate_effect(&EffectInput { rows, start }) {
            estimates.push(rep.estimate);
        }
    }
    if estimates.len() < 3 {
        return None;
    }
    let as_large = estimates.iter().filter(|e| e.abs() >= estimate.abs()).count();
    Some(SpacePlacebo {
        departments: estimates.len(),
        as_large,
        passed: (as_large as f64) / (estimates.len() as f64) < 0.2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn normal(rng: &mut SmallRng) -> f64 {
        // Box–Muller: enough for test data.
        let u1: f64 = rng.random::<f64>().max(1e-12);
        let u2: f64 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    const BASE: i32 = 2025 * 12 + 2; // March 2025: 12 pre months, then 6 from March 2026.
    const START: i32 = BASE + 12;

    /// 40 treated + 160 control people × 18 months. value = 30,000 + person effect (the treated sit
    /// 4,000 higher) + month effect + `gap`·month for the treated + `effect` once treated + noise
    /// (sd 3,000). `unbalanced`: a tenth only pre-period, a tenth only post-period, the rest join
    /// and leave at random.
    fn panel(seed: u64, effect: f64, gap: f64, unbalanced: bool) -> EffectInput {
        let mut rng = SmallRng::seed_from_u64(seed);
        let month_fx: Vec<f64> = (0..18)
            .map(|m| 1_500.0 * (m as f64 / 2.0).sin() + 1_000.0 * normal(&mut rng))
            .collect();
        let mut rows = Vec::new();
        for u in 0..200 {
            let treated = u < 40;
            let unit_fx = 8_000.0 * normal(&mut rng) + indicator(treated) * 4_000.0;
            let (from, to) = match (unbalanced, u % 10) {
                (false, _) => (0, 18),
                (true, 0) => (0, 8),
                (true, 1) => (13, 18),
                _ => (rng.random_range(0..6), rng.random_range(14..=18)),
            };
            for m in from..to {
                let own = indicator(treated) * (gap * f64::from(m) + indicator(m >= 12) * effect);
                let value = 30_000.0 + unit_fx + month_fx[m as usize] + own + 3_000.0 * normal(&mut rng);
                let (unit, month) = (format!("P{u}"), BASE + m);
                rows.push(PanelRow {
                    unit,
                    month,
                    value,
                    treated,
                });
            }
        }
        EffectInput { rows, start: START }
    }

    fn run(label: &str, input: &EffectInput) -> EffectReport {
        let r = evaluate_effect(input).unwrap();
        eprintln!(
            "{label}: {:.0} [{:.0}, {:.0}] p={:.3} {:?}",
            r.estimate, r.ci_low, r.ci_high, r.p_value, r.verdict
        );
        r
    }

    #[test]
    fn a_planted_effect_is_recovered_and_called_an_improvement() {
        let r = run("planted", &panel(1, 5_000.0, 0.0, false));
        assert!(r.ci_low < 5_000.0 && 5_000.0 < r.ci_high);
        assert_eq!(r.verdict, Verdict::Improved);
        assert_eq!(
            (r.treated_n, r.control_n, r.pre_months, r.post_months),
            (40, 160, 12, 6)
        );
        assert!(r.pre_trend.tested && r.pre_trend.parallel);
        assert!(r.placebo.as_ref().is_some_and(|p| p.passed && p.start == BASE + 6));
        assert_eq!((r.series.len(), r.series[12].0), (18, START));
        // The raw means show the jump too: the treated gain about 5,000 more than the control.
        let raw = (r.treated_post_mean - r.treated_pre_mean) - (r.control_post_mean - r.control_pre_mean);
        assert!((raw - 5_000.0).abs() < 1_000.0, "{raw}");
    }

    #[test]
    fn no_effect_is_inconclusive_and_rarely_significant() {
        let r = run("null", &panel(2, 0.0, 0.0, false));
        assert!(r.ci_low < 0.0 && 0.0 < r.ci_high);
        assert_eq!(r.verdict, Verdict::Inconclusive);
        // The nominal false-positive rate is 5%: at most 2 of 20 null panels may come out significant.
        let significant = (100..120).filter(|&s| evaluate_effect(&panel(s, 0.0, 0.0, false)).unwrap().p_value < 0.05);
        let significant = significant.count();
        eprintln!("null: {significant} of 20 significant");
        assert!(significant <= 2);
    }

    #[test]
    fn a_diverging_pre_trend_is_caught_and_blocks_the_verdict() {
        let r = run("diverging", &panel(3, 0.0, 800.0, false));
        assert!(r.ci_low > 0.0, "the naive DiD sees an effect");
        assert!(!r.pre_trend.parallel && (r.pre_trend.slope_gap - 800.0).abs() < 200.0);
        assert!(!r.placebo.unwrap().passed);
        assert_eq!(r.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn an_unbalanced_panel_with_bad_values_still_recovers_the_effect() {
        let mut input = panel(4, 5_000.0, 0.0, true);
        for (i, bad) in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY].into_iter().enumerate() {
            input.rows[i * 7].value = bad;
        }
        let r = run("unbalanced", &input);
        assert!(r.ci_low < 5_000.0 && 5_000.0 < r.ci_high);
        assert_eq!(r.verdict, Verdict::Improved);
        assert_eq!((r.treated_n, r.control_n), (40, 160));
    }

    /// The demeaned estimate is the one of least squares with a dummy per person and per month.
    #[test]
    fn matches_the_dummy_variable_regression_on_an_unbalanced_panel() {
        let mut input = panel(5, 2_000.0, 0.0, true);
        input.rows.retain(|r| r.unit[1..].parse::<usize>().unwrap() % 5 == 0); // 8 treated, 32 control
        let r = evaluate_effect(&input).unwrap();
        let rows = &input.rows;
        let units: Vec<String> = (0..200).step_by(5).map(|u| format!("P{u}")).collect();
        let x = DMatrix::from_fn(rows.len(), 1 + units.len() + 17, |i, j| match j {
            0 => indicator(rows[i].treated && rows[i].month >= START),
            j if j <= units.len() => indicator(units[j - 1] == rows[i].unit),
            j => indicator(rows[i].month == BASE + (j - units.len()) as i32),
        });
        let y = DVector::from_iterator(rows.len(), rows.iter().map(|r| r.value));
        let beta = x.svd(true, true).solve(&y, 1e-9).unwrap()[0];
        assert!(
            (beta - r.estimate).abs() < 1e-6 * beta.abs(),
            "{beta} vs {}",
            r.estimate
        );
    }

    #[test]
    fn degenerate_inputs_are_refused() {
        use EffectError::*;
        let empty = EffectInput {
            rows: vec![],
            start: START,
        };
        assert_eq!(evaluate_effect(&empty), Err(NoTreated));
        type Edit = fn(&mut EffectInput);
        let cases: [(Edit, EffectError); 7] = [
            (|i| i.rows.iter_mut().for_each(|r| r.treated = false), NoTreated),
            (|i| i.rows.iter_mut().for_each(|r| r.value = f64::NAN), NoTreated),
            (|i| i.rows.iter_mut().for_each(|r| r.treated = true), NoControl),
            (|i| i.start = BASE, NoPrePeriod),
            (|i| i.start = BASE + 18, NoPostPeriod),
            (
                |i| i.rows.retain(|r| !r.treated || r.unit == "P0"),
                TooFewUnits {
                    treated: 1,
                    control: 160,
                },
            ),
            // Two treated people, one seen only before the start, the other only after.
            (
                |i| {
                    i.rows
                        .retain(|r| !r.treated || [("P0", true), ("P1", false)].contains(&(&*r.unit, r.month < START)))
                },
                NotIdentified,
            ),
        ];
        let base = panel(6, 0.0, 0.0, false);
        for (edit, error) in cases {
            let mut input = base.clone();
            edit(&mut input);
            assert_eq!(evaluate_effect(&input), Err(error));
        }
    }

    #[test]
    fn a_single_pre_month_cannot_vouch_for_parallel_trends() {
        let mut input = panel(7, 5_000.0, 0.0, false);
        input.rows.retain(|r| r.month >= START - 1);
        let r = run("one pre month", &input);
        assert!(!r.pre_trend.tested && r.placebo.is_none());
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert_eq!(r.verdict.label_zh(), "无法确认");
    }

    /// Eight departments of 20 people; each department shifts by its own `shocks[d]` from the start,
    /// the treated one (D0) by `effect` on top.
    fn departments(seed: u64, effect: f64, shocks: [f64; 8]) -> (Vec<PanelRow>, Vec<PanelRow>, f64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut rows = Vec::new();
        for u in 0..160 {
            let d = u / 20;
            let unit_fx = 5_000.0 * normal(&mut rng);
            for m in 0..18 {
                let after = m >= 12;
                let own = indicator(after) * (shocks[d] + indicator(d == 0) * effect);
                rows.push(PanelRow {
                    unit: format!("D{d}-P{u}"),
                    month: BASE + m,
                    value: 30_000.0 + unit_fx + own + 2_000.0 * normal(&mut rng),
                    treated: d == 0,
                });
            }
        }
        let estimate = evaluate_effect(&EffectInput {
            rows: rows.clone(),
            start: START,
        })
        .unwrap()
        .estimate;
        let control: Vec<PanelRow> = rows.iter().filter(|r| !r.treated).cloned().collect();
        (rows, control, estimate)
    }

    fn dept_of(unit: &str) -> Option<String> {
        unit.split('-').next().map(str::to_string)
    }

    #[test]
    fn a_department_programme_must_stand_out_from_other_departments() {
        // A real +6,000 with small department shocks: it stands out.
        let (_, control, est) = departments(1, 6_000.0, [0.0, 300.0, -400.0, 200.0, -300.0, 500.0, -200.0, 100.0]);
        let sp = space_placebo(&control, &dept_of, START, est).expect("7 departments");
        assert_eq!(sp.departments, 7);
        assert!(sp.passed, "{sp:?} for {est}");
        // No programme, but departments swing by thousands on their own and D0's swing is ordinary:
        // the person-clustered interval excludes zero; the placebo in space sees that
        // most other departments moved as much.
        let shocks = [
            3_000.0, -4_000.0, 5_000.0, -2_500.0, 4_500.0, -3_500.0, 2_000.0, 6_000.0,
        ];
        let (rows, control, est) = departments(2, 0.0, shocks);
        let sp = space_placebo(&control, &dept_of, START, est).expect("7 departments");
        let naive = evaluate_effect(&EffectInput { rows, start: START }).unwrap();
        assert!(
            naive.ci_low > 0.0,
            "the person-clustered interval alone excludes zero: {naive:?}"
        );
        assert!(!sp.passed && sp.as_large >= 3, "{sp:?}");
        // Too few departments: no verdict from it.
        let few: Vec<PanelRow> = control
            .into_iter()
            .filter(|r| r.unit.starts_with("D1") || r.unit.starts_with("D2"))
            .collect();
        assert!(space_placebo(&few, &dept_of, START, est).is_none());
    }
}
