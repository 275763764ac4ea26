//! Driver analysis: which behaviours go with higher output once tenure, department and month are
//! held fixed. An OLS regression of the target on every candidate driver (standardised) and the
//! controls, with heteroskedasticity-robust (HC1) standard errors, 95% intervals and
//! p-values; each driver's raw (uncontrolled) association is computed too, and a driver whose raw
//! association disappears under the controls is marked as confounded, naming the control that
//! explains it. "Associated with", never "causes".

use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

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
}

/// One driver's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Driver {
    pub feature: String,
    pub rank: usize,
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

/// Controls of the regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Tenure,
    Department,
    Month,
}

impl Control {
    fn name(self) -> &'static str {
        match self {
            Control::Tenure => "tenure",
            Control::Department => "department",
            Control::Month => "month",
        }
    }
}

const ALL_CONTROLS: [Control; 3] = [Control::Tenure, Control::Department, Control::Month];

fn mean_of(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { s / n as f64 }
}

fn sd_of(xs: &[f64]) -> f64 {
    let m = mean_of(xs.iter().copied());
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len().max(2) - 1) as f64;
    v.sqrt()
}

/// A factor (department, month): each row's level index and the number of levels.
struct Factor {
    level: Vec<usize>,
    levels: usize,
}

impl Factor {
    fn new<K: Ord + std::hash::Hash>(keys: Vec<K>) -> Factor {
        // Levels numbered in key order (deterministic), found by hashing: one pass over the rows.
        let mut distinct: Vec<&K> = keys
            .iter()
            .collect::<std::collections::HashSet<&K>>()
            .into_iter()
            .collect();
        distinct.sort();
        let index: std::collections::HashMap<&K, usize> = distinct.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let level = keys.iter().map(|k| index[k]).collect();
        Factor {
            level,
            levels: distinct.len(),
        }
    }

    /// Subtracts each level's mean; returns the largest change.
    fn demean(&self, col: &mut [f64]) -> f64 {
        let mut sum = vec![0.0; self.levels];
        let mut count = vec![0usize; self.levels];
        for (v, &g) in col.iter().zip(&self.level) {
            sum[g] += v;
            count[g] += 1;
        }
        let mean: Vec<f64> = sum.iter().zip(&count).map(|(s, &c)| s / c.max(1) as f64).collect();
        let mut biggest = 0.0f64;
        for (v, &g) in col.iter_mut().zip(&self.level) {
            *v -= mean[g];
            biggest = biggest.max(mean[g].abs());
        }
        biggest
    }
}

/// Removes the fixed effects of the factors from a column (Frisch–Waugh–Lovell): one pass for one
/// factor, alternating projections for two, until the means left are negligible. This is what a
/// regression with one dummy per department and month would do, without hundreds of columns.
fn absorb(col: &[f64], factors: &[&Factor]) -> Vec<f64> {
    let mut out = col.to_vec();
    let scale = 1e-10 * (1.0 + sd_of(col));
    for _ in 0..200 {
        let mut change = 0.0f64;
        for f in factors {
            change = change.max(f.demean(&mut out));
        }
        if factors.len() < 2 || change < scale {
            break;
        }
    }
    out
}

/// Exact removal of two factors' fixed effects at once, for when one of them has few levels (the
/// month): demean by the large factor, then project out the small factor's dummies (all but the
/// first) as they look after that demeaning — a (levels − 1)² system solved once for all columns.
/// Equals [`absorb`] run to convergence, in three passes over a column instead of dozens.
struct TwoWay<'a> {
    large: &'a Factor,
    small: &'a Factor,
    /// share[l][s]: the share of the large factor's level l in the small factor's level s.
    share: Vec<Vec<f64>>,
    /// Pseudo-inverse of the small factor's dummies' Gram matrix after demeaning (levels 1..).
    gram_inv: DMatrix<f64>,
}

impl<'a> TwoWay<'a> {
    fn new(a: &'a Factor, b: &'a Factor) -> Option<TwoWay<'a>> {
        let (large, small) = if a.levels >= b.levels { (a, b) } else { (b, a) };
        let (nl, ns) = (large.levels, small.levels);
        if !(2..=400).contains(&ns) || nl.saturating_mul(ns) > 4_000_000 {
            return None;
        }
        let mut cells = vec![vec![0.0f64; ns]; nl];
        for (&l, &s) in large.level.iter().zip(&small.level) {
            cells[l][s] += 1.0;
        }
        let size_s: Vec<f64> = (0..ns).map(|s| cells.iter().map(|c| c[s]).sum()).collect();
        let share: Vec<Vec<f64>> = cells
            .iter()
            .map(|c| {
                let total: f64 = c.iter().sum();
                c.iter().map(|v| v / total.max(1.0)).collect()
            })
            .collect();
        // G[m][k] = δ n_m − Σ_l n_lm n_lk / n_l, over the small levels 1.. (level 0 is the reference).
        let g = DMatrix::from_fn(ns - 1, ns - 1, |i, j| {
            let (m, k) = (i + 1, j + 1);
            let cross: f64 = cells.iter().zip(&share).map(|(c, sh)| c[m] * sh[k]).sum();
            if m == k { size_s[m] - cross } else { -cross }
        });
        // Relative tolerance: G's entries grow with the row count, and so do the rounding errors
        // of the zero singular values a disconnected department × month design has.
        let scale = (0..ns - 1).map(|i| g[(i, i)].abs()).fold(1.0, f64::max);
        let gram_inv = g.pseudo_inverse(1e-12 * scale).ok()?;
        Some(TwoWay {
            large,
            small,
            share,
            gram_inv,
        })
    }

    fn absorb(&self, col: &[f64]) -> Vec<f64> {
        let mut out = col.to_vec();
        self.large.demean(&mut out);
        let ns = self.small.levels;
        // The demeaned column against each demeaned dummy: the dummy's own rows suffice, as the
        // demeaned column sums to zero within every level of the large factor.
        let mut r = vec![0.0; ns];
        for (v, &s) in out.iter().zip(&self.small.level) {
            r[s] += v;
        }
        let coef = &self.gram_inv * DVector::from_column_slice(&r[1..]);
        let c = |s: usize| if s == 0 { 0.0 } else { coef[s - 1] };
        let adjust: Vec<f64> = self
            .share
            .iter()
            .map(|sh| (1..ns).map(|s| coef[s - 1] * sh[s]).sum())
            .collect();
        for ((v, &s), &l) in out.iter_mut().zip(&self.small.level).zip(&self.large.level) {
            *v -= c(s) - adjust[l];
        }
        out
    }
}

/// Removes both factors' effects: exactly when one of them is small, by alternating otherwise.
fn absorb_two(col: &[f64], factors: &[&Factor; 2], exact: Option<&TwoWay>) -> Vec<f64> {
    match exact {
        Some(t) => t.absorb(col),
        None => absorb(col, factors),
    }
}

/// [`absorb_two`] of many columns, spread over the machine's cores (each column is independent).
fn absorb_all(cols: &[&[f64]], factors: &[&Factor; 2], exact: Option<&TwoWay>) -> Vec<Vec<f64>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = cols.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = cols
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|c| absorb_two(c, factors, exact)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// An OLS fit with HC1 robust standard errors.
struct Fit {
    beta: DVector<f64>,
    se: DVector<f64>,
    df: f64,
    r_squared: f64,
}

/// Σ aᵢbᵢ with four running sums (so the compiler can vectorise it; the order of additions is
/// fixed, so results are reproducible).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Least squares of `y` on the columns (add a column of ones for an intercept). `absorbed` counts
/// parameters already removed by [`absorb`] (for the degrees of freedom). The pseudo-inverse keeps
/// near-collinear designs solvable; callers drop exact duplicates first. Built from column dot
/// products (X'X, and the HC1 middle Σ eᵢ² xᵢxᵢ'), never an n × k matrix: at 234,000 rows × 40
/// columns that matrix and its copies cost more than the arithmetic.
fn ols(cols: &[&[f64]], y: &[f64], absorbed: usize) -> Option<Fit> {
    let n = y.len();
    let k = cols.len();
    if n <= k + absorbed || k == 0 || cols.iter().any(|c| c.len() != n) {
        return None;
    }
    let mut xtx = DMatrix::zeros(k, k);
    for a in 0..k {
        for b in a..k {
            let v = dot(cols[a], cols[b]);
            xtx[(a, b)] = v;
            xtx[(b, a)] = v;
        }
    }
    let xty = DVector::from_iterator(k, cols.iter().map(|c| dot(c, y)));
    let inv = xtx.pseudo_inverse(1e-10).ok()?;
    let beta = &inv * xty;
    let mut resid = y.to_vec();
    for (c, b) in cols.iter().zip(beta.iter()) {
        resid.iter_mut().zip(c.iter()).for_each(|(e, x)| *e -= b * x);
    }
    // HC1: (X'X)⁻¹ X' diag(e²) X (X'X)⁻¹ · n/(n−k).
    let e2: Vec<f64> = resid.iter().map(|e| e * e).collect();
    let mut meat = DMatrix::zeros(k, k);
    let mut weighted = vec![0.0; n];
    for a in 0..k {
        weighted
            .iter_mut()
            .zip(cols[a].iter().zip(&e2))
            .for_each(|(w, (x, e))| *w = x * e);
        for b in a..k {
            let v = dot(&weighted, cols[b]);
            meat[(a, b)] = v;
            meat[(b, a)] = v;
        }
    }
    let df = (n - k - absorbed) as f64;
    let cov = &inv * meat * &inv * (n as f64 / df);
    let se = DVector::from_iterator(k, (0..k).map(|j| cov[(j, j)].max(0.0).sqrt()));
    let ybar = mean_of(y.iter().copied());
    let tss: f64 = y.iter().map(|v| (v - ybar).powi(2)).sum();
    let rss: f64 = e2.iter().sum();
    Some(Fit {
        beta,
        se,
        df,
        r_squared: if tss > 0.0 { 1.0 - rss / tss } else { 0.0 },
    })
}

fn p_value(t: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df.max(1.0)) {
        Ok(d) if t.is_finite() => 2.0 * (1.0 - d.cdf(t.abs())),
        _ => 1.0,
    }
}

fn t_crit(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df.max(1.0))
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(1.96)
}

/// The coefficient of column `j` and its two-sided p-value.
fn coef(f: &Fit, j: usize) -> (f64, f64) {
    let t = if f.se[j] > 0.0 { f.beta[j] / f.se[j] } else { 0.0 };
    (f.beta[j], p_value(t, f.df))
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
    for (j, f) in input.features.iter().enumerate() {
        let vals: Vec<Option<f64>> = owned.iter().map(|r| r.features.get(j).copied().flatten()).collect();
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
        let rest = (|| -> Result<(Vec<Driver>, Fit), DriverError> {
            let z_both = &z_both_all;
            let mut cols: Vec<&[f64]> = z_both.iter().map(|c| c.as_slice()).collect();
            cols.push(&t_both);
            let full = ols(&cols, &y_both, absorbed).ok_or(DriverError::TooFewRows {
                rows: n,
                params,
                needed,
            })?;
            let tc = t_crit(full.df);
            let ones = vec![1.0; n];

            let mut drivers = Vec::new();
            for (pos, (j, z, sd, missing)) in kept.iter().enumerate() {
                let b = full.beta[pos];
                let se = full.se[pos];
                let t = if se > 0.0 { b / se } else { 0.0 };
                let p = p_value(t, full.df);
                // Raw association: the feature alone.
                let (raw_b, raw_p) = ols(&[&ones, z], &y, 0).map(|f| coef(&f, 1)).unwrap_or((0.0, 1.0));
                // Confounded: clearly associated alone, not distinguishable from zero under the controls
                // alone; then the control that, added by itself, takes most of it away is named. Clear
                // alone and under the controls but not beside the other drivers: it overlaps with the
                // driver it is most correlated with. (An effect that shrinks but stays clear is reported
                // as it is.)
                let confounded_by = if raw_p < 0.05 && p >= 0.05 {
                    let with_controls = ols(&[&z_both[pos], &t_both], &y_both, absorbed).map(|f| coef(&f, 0).1);
                    if with_controls.is_some_and(|pc| pc >= 0.05) {
                        ALL_CONTROLS
                            .iter()
                            .filter_map(|c| {
                                let fit = match c {
                                    Control::Tenure => ols(&[&ones, z, &tenure], &y, 0),
                                    Control::Department => {
                                        ols(&[&absorb(z, &[&dept])], &absorb(&y, &[&dept]), dept.levels)
                                    }
                                    Control::Month => {
                                        ols(&[&absorb(z, &[&month])], &absorb(&y, &[&month]), month.levels)
                                    }
                                }?;
                                let idx = if *c == Control::Tenure { 1 } else { 0 };
                                Some((c.name(), fit.beta[idx].abs()))
                            })
                            .min_by(|a, b| a.1.total_cmp(&b.1))
                            .map(|(name, _)| name.to_string())
                    } else {
                        kept.iter()
                            .enumerate()
                            .filter(|(other, _)| *other != pos)
                            .map(|(_, (k, zk, _, _))| (*k, correlation(zk, z).abs()))
                            .max_by(|a, b| a.1.total_cmp(&b.1))
                            .map(|(k, _)| input.features[k].id.clone())
                    }
                } else {
                    None
                };
                let lo = b - tc * se;
                let hi = b + tc * se;
                drivers.push(Driver {
                    feature: input.features[*j].id.clone(),
                    rank: 0,
                    importance: t.abs(),
                    linear_importance: t.abs(),
                    tree_importance: 0.0,
                    nonlinear: false,
                    effect_per_unit: b / sd,
                    effect_per_sd: b,
                    ci_low: lo,
                    ci_high: hi,
                    p_value: p,
                    direction: if lo > 0.0 {
                        "positive".into()
                    } else if hi < 0.0 {
                        "negative".into()
                    } else {
                        "unclear".into()
                    },
                    raw_effect_per_sd: raw_b,
                    raw_p_value: raw_p,
                    confounded_by,
                    missing_share: *missing,
                });
            }
            Ok((drivers, full))
        })();
        (forest.join().ok().flatten(), rest)
    });
    let (mut drivers, full): (Vec<Driver>, Fit) = ols_part?;
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
    // Clear, unconfounded drivers first; then the unconfounded rest (non-linear ones among them
    // rise by their forest score); confounded ones last — each group by the combined score.
    let group = |d: &Driver| match (d.confounded_by.is_some(), d.direction == "unclear") {
        (false, false) => 0,
        (false, true) => 1,
        (true, _) => 2,
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
    let within_rss = (1.0 - full.r_squared) * y_both.iter().map(|v| v * v).sum::<f64>();
    Ok(DriverReport {
        target: input.target.clone(),
        rows: n,
        employees: employees.len(),
        drivers,
        dropped,
        r_squared: if tss > 0.0 { 1.0 - within_rss / tss } else { 0.0 },
    })
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let ma = mean_of(a.iter().copied());
    let mb = mean_of(b.iter().copied());
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

#[cfg(test)]
mod tests;
