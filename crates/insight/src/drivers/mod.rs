//! Driver analysis: which behaviours go with higher output once tenure, department and month are
//! held fixed. An OLS regression of the target on every candidate driver (standardised) and the
//! controls, with heteroskedasticity-robust (HC1) standard errors, 95% intervals and
//! p-values; each driver's raw (uncontrolled) association is computed too, and a driver whose raw
//! association disappears under the controls is marked as confounded, naming the control that
//! explains it. "Associated with", never "causes".

mod absorb;
mod confounding;
mod ols;
mod stats;

use serde::Serialize;

use absorb::{Factor, TwoWay, absorb_all, absorb_two};
use ols::{Gram, coef, ols, ols_many, p_value, t_crit};
use stats::{dot, mean_of, sd_of};

/// One observation: a person-month.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub employee: String,
    pub department: Option<String>,
    pub month: i32,
    pub tenure_months: Option<f64>,
    pub target: Option<f64>,
    /// Candidate drivers, in the order of [`DriverInput::features`]; `None` = missing.
    pub features: Vec<Option<f64>>,
}

/// What to analyse.
#[derive(Debug, Clone)]
pub struct DriverInput {
    pub target: String,
    /// The candidate drivers, in the order of [`Observation::features`].
    pub features: Vec<FeatureInfo>,
    pub rows: Vec<Observation>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeatureInfo {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub layer: Layer,
    /// For a lever: what behaviour it measures, as a path (`first_contact`, `training`,
    /// `training/negotiation`). Levers of the same family — or below it: a skill is one of the
    /// courses that training volume counts — measure or produce the same behaviour and are never
    /// held fixed in each other's model; levers of other families are. Empty for the others.
    pub family: String,
}

impl FeatureInfo {
    /// A feature of the given layer; a lever is its own family.
    pub fn new(id: &str, layer: Layer) -> FeatureInfo {
        FeatureInfo {
            id: id.into(),
            zh: id.into(),
            en: id.into(),
            layer,
            family: if layer == Layer::Lever {
                id.into()
            } else {
                String::new()
            },
        }
    }

    /// Whether `other`'s family is this lever's family or below it.
    fn covers(&self, other: &FeatureInfo) -> bool {
        other.family == self.family
            || other
                .family
                .strip_prefix(self.family.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Where a feature sits on the causal path to the target (docs/insight.md, "Causal layout").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// What a person or a manager can change: follow-up, first contact, cadence, training.
    Lever,
    /// What a person is given or is: tenure, leads received and their mix, roster attributes.
    Circumstance,
    /// A funnel stage the target is made of (conversion, win rate, pipeline, deal size): on the path
    /// from the levers to the target, so never a control and never ranked. Levers' effects on
    /// them are the paths.
    Outcome,
}

/// The reason given for every funnel outcome left out of the ranking.
pub const OUTCOME_REASON: &str =
    "a funnel outcome: part of what the target is made of, on the path from the levers to it (see the paths)";

/// A lever's effect on one funnel outcome, with the same controls as its effect on the target.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Path {
    pub outcome: String,
    pub effect_per_unit: f64,
    /// 95% interval of `effect_per_unit`.
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    pub direction: String,
}

/// One driver's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Driver {
    pub feature: String,
    pub rank: usize,
    /// A lever or a circumstance (outcomes are never drivers).
    pub layer: Layer,
    /// For a lever: its effect on each funnel outcome in the input (the stage it moves).
    pub paths: Vec<Path>,
    /// The combined ranking score, 0–1: the mean of `linear_importance` and `tree_importance`,
    /// each divided by its largest value among the drivers.
    pub importance: f64,
    /// |t| of the controlled effect: how clearly the regression separates it from zero.
    pub linear_importance: f64,
    /// Permutation importance in the random forest: the share of the (department- and
    /// month-adjusted) target's variance lost when the feature is shuffled.
    pub tree_importance: f64,
    /// The forest finds it matters though the straight-line effect is unclear: a threshold or a
    /// curve (look at the data before acting on it).
    pub nonlinear: bool,
    /// Target change per one unit of the feature, controls held fixed.
    pub effect_per_unit: f64,
    /// Target change per one standard deviation of the feature.
    pub effect_per_sd: f64,
    /// 95% interval of `effect_per_sd`.
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    /// `positive`, `negative` or `unclear` (interval includes zero).
    pub direction: String,
    /// Raw association per SD (no controls), for comparison.
    pub raw_effect_per_sd: f64,
    pub raw_p_value: f64,
    /// What explains a clear raw association that vanishes in the model: a control (`tenure`,
    /// `department`, `month`) or the id of another driver it overlaps with.
    pub confounded_by: Option<String>,
    /// Share of rows where the feature was missing (filled with its mean).
    pub missing_share: f64,
}

/// `positive`, `negative` or `unclear` (the interval includes zero).
fn direction(lo: f64, hi: f64) -> String {
    if lo > 0.0 {
        "positive".into()
    } else if hi < 0.0 {
        "negative".into()
    } else {
        "unclear".into()
    }
}

/// The analysis.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriverReport {
    pub target: String,
    pub rows: usize,
    pub employees: usize,
    pub drivers: Vec<Driver>,
    /// Features left out: (feature, reason).
    pub dropped: Vec<(String, String)>,
    pub r_squared: f64,
}

/// Why an analysis could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriverError {
    #[error("too few rows: {rows} person-months for {params} parameters (need at least {needed})")]
    TooFewRows { rows: usize, params: usize, needed: usize },
    #[error("the target does not vary")]
    ConstantTarget,
    #[error("no usable candidate driver")]
    NoFeatures,
}

/// Ranks the candidate drivers of the target.
// Long on purpose: one pass over the feature matrix (absorb, regress, forest, confounding checks) whose
// steps share large intermediate columns; split, they would pass those around or copy them.
pub fn analyse_drivers(input: &DriverInput) -> Result<DriverReport, DriverError> {
    let owned: Vec<&Observation> = input
        .rows
        .iter()
        .filter(|r| r.target.is_some_and(f64::is_finite))
        .collect();
    let n = owned.len();
    if n < 3 {
        return Err(DriverError::TooFewRows {
            rows: n,
            params: 1 + input.features.len(),
            needed: 30,
        });
    }
    let y: Vec<f64> = owned.iter().map(|r| r.target.unwrap_or(0.0)).collect();
    if sd_of(&y) == 0.0 {
        return Err(DriverError::ConstantTarget);
    }

    // Features: fill missing with the mean, standardise, drop constant ones.
    let mut dropped = Vec::new();
    let mut kept: Vec<(usize, Vec<f64>, f64, f64)> = Vec::new(); // (index, z-scores, sd, missing share)
    // Funnel outcomes: never controls, never ranked; kept aside (filled with their mean) as the
    // outcomes of the levers' paths.
    let mut outcomes: Vec<(usize, Vec<f64>)> = Vec::new();
    for (j, f) in input.features.iter().enumerate() {
        let vals: Vec<Option<f64>> = owned.iter().map(|r| r.features.get(j).copied().flatten()).collect();
        if f.layer == Layer::Outcome {
            dropped.push((f.id.clone(), OUTCOME_REASON.into()));
            let present: Vec<f64> = vals.iter().flatten().copied().filter(|v| v.is_finite()).collect();
            if present.len() >= n / 2 {
                let m = mean_of(present.iter().copied());
                outcomes.push((
                    j,
                    vals.iter().map(|v| v.filter(|x| x.is_finite()).unwrap_or(m)).collect(),
                ));
            }
            continue;
        }
        let present: Vec<f64> = vals.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        let missing = 1.0 - present.len() as f64 / n as f64;
        if present.len() < n / 2 {
            dropped.push((f.id.clone(), "missing in more than half the rows".into()));
            continue;
        }
        let m = mean_of(present.iter().copied());
        let filled: Vec<f64> = vals.iter().map(|v| v.filter(|x| x.is_finite()).unwrap_or(m)).collect();
        let sd = sd_of(&filled);
        if sd < 1e-12 {
            dropped.push((f.id.clone(), "constant".into()));
            continue;
        }
        let z: Vec<f64> = filled.iter().map(|v| (v - m) / sd).collect();
        // Perfectly collinear with a feature already kept: it adds nothing that can be separated.
        // (Both are z-scores over the same rows: their correlation is their dot product / (n − 1).)
        let z_corr = |a: &[f64], b: &[f64]| dot(a, b) / (n as f64 - 1.0);
        if let Some((k, _, _, _)) = kept.iter().find(|(_, zk, _, _)| z_corr(zk, &z).abs() > 0.999) {
            dropped.push((f.id.clone(), format!("collinear with {}", input.features[*k].id)));
            continue;
        }
        kept.push((j, z, sd, missing));
    }
    if kept.is_empty() {
        return Err(DriverError::NoFeatures);
    }

    // Controls: log tenure (ramp-up is steep early, flat later) as a column; department and month
    // as absorbed fixed effects.
    let tmean = mean_of(owned.iter().filter_map(|r| r.tenure_months));
    let tenure: Vec<f64> = owned
        .iter()
        .map(|r| (r.tenure_months.unwrap_or(tmean).max(0.0) + 1.0).ln())
        .collect();
    let dept = Factor::new(owned.iter().map(|r| r.department.clone().unwrap_or_default()).collect());
    let month = Factor::new(owned.iter().map(|r| r.month).collect());
    let both = [&dept, &month];
    let absorbed = dept.levels + month.levels - 1;
    let params = kept.len() + 1 + absorbed;
    let needed = (params * 5).max(30);
    if n < needed {
        return Err(DriverError::TooFewRows {
            rows: n,
            params,
            needed,
        });
    }
    let exact = TwoWay::new(&dept, &month);
    let y_both = absorb_two(&y, &both, exact.as_ref());
    let t_both = absorb_two(&tenure, &both, exact.as_ref());
    // Columns the fixed effects, tenure or the drivers before them explain entirely (a city that
    // is one department, a full set of shares) leave nothing to estimate and would make the
    // regression singular: Gram–Schmidt in order, dropping what leaves no residual.
    let raw_cols: Vec<&[f64]> = kept.iter().map(|(_, z, _, _)| z.as_slice()).collect();
    let mut z_both_all: Vec<Vec<f64>> = absorb_all(&raw_cols, &both, exact.as_ref());
    {
        let mut basis: Vec<Vec<f64>> = Vec::new();
        let tn = dot(&t_both, &t_both).sqrt();
        if tn > 1e-9 {
            basis.push(t_both.iter().map(|v| v / tn).collect());
        }
        let mut keep = vec![true; kept.len()];
        for (i, col) in z_both_all.iter().enumerate() {
            let norm0 = dot(col, col);
            let mut r = col.clone();
            for b in &basis {
                let c = dot(&r, b);
                r.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
            }
            let res = dot(&r, &r);
            // z-scores have a raw sum of squares of n − 1: compare with that.
            if norm0 < 1e-6 * n as f64 || res < 1e-6 * norm0 {
                keep[i] = false;
                let why = if norm0 < 1e-6 * n as f64 {
                    "no variation within departments and months"
                } else {
                    "collinear with other drivers and the controls"
                };
                dropped.push((input.features[kept[i].0].id.clone(), why.into()));
            } else {
                let rn = res.sqrt();
                basis.push(r.iter().map(|v| v / rn).collect());
            }
        }
        let mut it = keep.iter();
        kept.retain(|_| *it.next().unwrap_or(&true));
        let mut it = keep.iter();
        z_both_all.retain(|_| *it.next().unwrap_or(&true));
    }
    if kept.is_empty() {
        return Err(DriverError::NoFeatures);
    }
    // The forest sees the features and tenure against the target net of department and month, as
    // the regression does; it runs beside the regression.
    let forest_cols: Vec<Vec<f64>> = kept
        .iter()
        .map(|(_, z, _, _)| z.clone())
        .chain(std::iter::once(tenure.clone()))
        .collect();
    let (tree, ols_part) = std::thread::scope(|scope| {
        let forest = scope.spawn(|| {
            let mut ids: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            let groups: Vec<usize> = owned
                .iter()
                .map(|r| {
                    let next = ids.len();
                    *ids.entry(r.employee.as_str()).or_insert(next)
                })
                .collect();
            crate::forest::permutation_importance(&forest_cols, kept.len(), &y_both, &groups, 17)
        });
        let rest = (|| -> Result<(Vec<Driver>, f64), DriverError> {
            let z_both = &z_both_all;
            let too_few = DriverError::TooFewRows {
                rows: n,
                params,
                needed,
            };
            let ones = vec![1.0; n];
            let columns = confounding::Columns {
                y: &y,
                y_both: &y_both,
                tenure: &tenure,
                t_both: &t_both,
                ones: &ones,
                dept: &dept,
                month: &month,
                absorbed,
            };
            let info = |pos: usize| &input.features[kept[pos].0];
            let circumstances: Vec<usize> = (0..kept.len())
                .filter(|&p| info(p).layer == Layer::Circumstance)
                .collect();
            let levers: Vec<usize> = (0..kept.len()).filter(|&p| info(p).layer == Layer::Lever).collect();
            // The models, as (positions in the model, positions reported from it). Circumstances
            // come first in the causal order (what a person is given shapes what they do), so
            // their model holds no lever fixed. A lever's total effect holds the circumstances and
            // the levers of other families fixed — not its own family's, which measure or produce
            // the same behaviour (holding one fixed would take away the other's effect).
            let mut models: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
            if !circumstances.is_empty() {
                models.push((circumstances.clone(), circumstances.clone()));
            }
            for &l in &levers {
                let mut m = vec![l];
                m.extend(levers.iter().copied().filter(|&o| o != l && !info(l).covers(info(o))));
                m.extend(circumstances.iter().copied());
                models.push((m, vec![l]));
            }
            // The funnel outcomes net of department and month: the levers' paths.
            let outcome_both: Vec<(&str, Vec<f64>)> = outcomes
                .iter()
                .map(|(j, v)| (input.features[*j].id.as_str(), absorb_two(v, &both, exact.as_ref())))
                .collect();
            // Every column's and target's cross-products, once: each lever's model (and its paths)
            // is then solved from a sub-matrix, with one pass over its columns for the robust error.
            let tenure_col = kept.len();
            let all_cols: Vec<&[f64]> = z_both
                .iter()
                .map(|c| c.as_slice())
                .chain(std::iter::once(t_both.as_slice()))
                .collect();
            let all_ys: Vec<&[f64]> = std::iter::once(y_both.as_slice())
                .chain(outcome_both.iter().map(|(_, v)| v.as_slice()))
                .collect();
            let gram = Gram::new(&all_cols, &all_ys);
            let every: Vec<usize> = (0..=tenure_col).collect();
            let within_rss = gram.fit(&every, 0, absorbed).ok_or(too_few.clone())?.rss;
            let mut found: Vec<Option<Driver>> = vec![None; kept.len()];
            for (positions, reported) in &models {
                let mut cols: Vec<&[f64]> = positions.iter().map(|&p| z_both[p].as_slice()).collect();
                cols.push(&t_both);
                let is_lever = reported.len() == 1 && info(reported[0]).layer == Layer::Lever;
                // (coefficients, standard errors, degrees of freedom) on the target; the paths.
                let mut paths_fit: Vec<(f64, f64, f64)> = Vec::new();
                let (betas, ses, df): (Vec<f64>, Vec<f64>, f64) = if is_lever {
                    let idx: Vec<usize> = positions.iter().copied().chain(std::iter::once(tenure_col)).collect();
                    let fit = gram.fit(&idx, 0, absorbed).ok_or(too_few.clone())?;
                    let se = fit.robust_se(0, &cols, &y_both);
                    // The paths' errors are classical (from the cross-products alone): they say
                    // which stage a lever moves, and cost no pass over the rows.
                    for t in 1..all_ys.len() {
                        if let Some(f) = gram.fit(&idx, t, absorbed) {
                            paths_fit.push((f.beta[0], f.classical_se(0), f.df));
                        }
                    }
                    let mut ses = vec![0.0; idx.len()];
                    ses[0] = se;
                    (fit.beta.iter().copied().collect(), ses, fit.df)
                } else {
                    let fits = ols_many(&cols, &[&y_both], absorbed, None);
                    let fit = fits.first().ok_or(too_few.clone())?;
                    (
                        fit.beta.iter().copied().collect(),
                        fit.se.iter().copied().collect(),
                        fit.df,
                    )
                };
                let tc = t_crit(df);
                for &pos in reported {
                    let idx = positions.iter().position(|&p| p == pos).unwrap_or(0);
                    let (j, z, sd, missing) = &kept[pos];
                    let b = betas[idx];
                    let se = ses[idx];
                    let t = if se > 0.0 { b / se } else { 0.0 };
                    let p = p_value(t, df);
                    // Raw association: the feature alone.
                    let (raw_b, raw_p) = ols(&[&ones, z], &y, 0).map(|f| coef(&f, 1)).unwrap_or((0.0, 1.0));
                    // Confounded: clearly associated alone, not distinguishable from zero in the
                    // model. (An effect that shrinks but stays clear is reported as it is.)
                    let confounded_by = if raw_p < 0.05 && p >= 0.05 {
                        let others = positions
                            .iter()
                            .filter(|&&o| o != pos)
                            .map(|&o| (input.features[kept[o].0].id.as_str(), kept[o].1.as_slice()));
                        confounding::explained_by(&columns, z, &z_both[pos], others)
                    } else {
                        None
                    };
                    let paths = paths_fit
                        .iter()
                        .zip(&outcome_both)
                        .map(|((b, se, df), (id, _))| {
                            let (b, se) = (b / sd, se / sd);
                            let tc = t_crit(*df);
                            let t = if se > 0.0 { b / se } else { 0.0 };
                            Path {
                                outcome: id.to_string(),
                                effect_per_unit: b,
                                ci_low: b - tc * se,
                                ci_high: b + tc * se,
                                p_value: p_value(t, *df),
                                direction: direction(b - tc * se, b + tc * se),
                            }
                        })
                        .collect();
                    let lo = b - tc * se;
                    let hi = b + tc * se;
                    found[pos] = Some(Driver {
                        feature: input.features[*j].id.clone(),
                        rank: 0,
                        layer: input.features[*j].layer,
                        paths,
                        importance: t.abs(),
                        linear_importance: t.abs(),
                        tree_importance: 0.0,
                        nonlinear: false,
                        effect_per_unit: b / sd,
                        effect_per_sd: b,
                        ci_low: lo,
                        ci_high: hi,
                        p_value: p,
                        direction: direction(lo, hi),
                        raw_effect_per_sd: raw_b,
                        raw_p_value: raw_p,
                        confounded_by,
                        missing_share: *missing,
                    });
                }
            }
            Ok((found.into_iter().flatten().collect(), within_rss))
        })();
        (forest.join().ok().flatten(), rest)
    });
    let (mut drivers, within_rss): (Vec<Driver>, f64) = ols_part?;
    // Combined score: each side divided by its largest value, then averaged (the regression alone
    // when the forest could not run).
    let max_t = drivers.iter().map(|d| d.linear_importance).fold(0.0, f64::max);
    let tree = tree.filter(|t| t.len() == drivers.len());
    let max_tree = tree.as_ref().map_or(0.0, |t| t.iter().copied().fold(0.0, f64::max));
    for (pos, d) in drivers.iter_mut().enumerate() {
        let lin = if max_t > 0.0 { d.linear_importance / max_t } else { 0.0 };
        d.tree_importance = tree.as_ref().map_or(0.0, |t| t[pos]);
        let tr = if max_tree > 0.0 {
            d.tree_importance / max_tree
        } else {
            0.0
        };
        d.importance = if tree.is_some() { (lin + tr) / 2.0 } else { lin };
        d.nonlinear = d.direction == "unclear" && d.confounded_by.is_none() && tr >= 0.5 && d.tree_importance >= 0.02;
    }
    // Clear, unconfounded levers first, then clear circumstances; then the unconfounded rest
    // (non-linear ones among them rise by their forest score); confounded ones last — each group by
    // the combined score.
    let group = |d: &Driver| match (d.confounded_by.is_some(), d.direction == "unclear", d.layer) {
        (false, false, Layer::Lever) => 0,
        (false, false, _) => 1,
        (false, true, _) => 2,
        (true, _, _) => 3,
    };
    drivers.sort_by(|a, b| {
        group(a)
            .cmp(&group(b))
            .then_with(|| b.importance.total_cmp(&a.importance))
    });
    for (i, d) in drivers.iter_mut().enumerate() {
        d.rank = i + 1;
    }
    let employees: std::collections::HashSet<&str> = owned.iter().map(|r| r.employee.as_str()).collect();
    // R² of the whole model, fixed effects included.
    let ybar = mean_of(y.iter().copied());
    let tss: f64 = y.iter().map(|v| (v - ybar).powi(2)).sum();
    Ok(DriverReport {
        target: input.target.clone(),
        rows: n,
        employees: employees.len(),
        drivers,
        dropped,
        r_squared: if tss > 0.0 { 1.0 - within_rss / tss } else { 0.0 },
    })
}

#[cfg(test)]
mod tests;
