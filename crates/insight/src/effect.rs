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
mod tests;
