//! Least squares from column dot products, with heteroskedasticity-robust (HC1) standard errors,
//! and the Student-t p-values and critical values of its coefficients.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::stats::dot;

/// An OLS fit with HC1 robust standard errors.
pub(super) struct Fit {
    pub(super) beta: DVector<f64>,
    pub(super) se: DVector<f64>,
    pub(super) df: f64,
}

/// Least squares of `y` on the columns (add a column of ones for an intercept). `absorbed` counts
/// parameters already removed by [`absorb`](super::absorb::absorb) (for the degrees of freedom).
/// The pseudo-inverse keeps near-collinear designs solvable; callers drop exact duplicates first.
/// Built from column dot products (X'X, and the HC1 middle Σ eᵢ² xᵢxᵢ'), never an n × k matrix:
/// at 234,000 rows × 40 columns that matrix and its copies cost more than the arithmetic.
pub(super) fn ols(cols: &[&[f64]], y: &[f64], absorbed: usize) -> Option<Fit> {
    ols_many(cols, &[y], absorbed, None).pop()
}

/// [`ols`] of several targets on the same columns: X'X and its inverse are built once. With
/// `only: Some(j)` the standard error of coefficient `j` alone is computed (the others are 0): its
/// HC1 variance is Σ eᵢ² (row j of (X'X)⁻¹ · xᵢ)², one pass of k·n instead of the k²·n middle.
pub(super) fn ols_many(cols: &[&[f64]], ys: &[&[f64]], absorbed: usize, only: Option<usize>) -> Vec<Fit> {
    let n = ys.first().map_or(0, |y| y.len());
    let k = cols.len();
    if n <= k + absorbed || k == 0 || cols.iter().any(|c| c.len() != n) || ys.iter().any(|y| y.len() != n) {
        return Vec::new();
    }
    let mut xtx = DMatrix::zeros(k, k);
    for a in 0..k {
        for b in a..k {
            let v = dot(cols[a], cols[b]);
            xtx[(a, b)] = v;
            xtx[(b, a)] = v;
        }
    }
    let Ok(inv) = xtx.pseudo_inverse(1e-10) else {
        return Vec::new();
    };
    let df = (n - k - absorbed) as f64;
    let mut weighted = vec![0.0; n];
    ys.iter()
        .map(|y| {
            let xty = DVector::from_iterator(k, cols.iter().map(|c| dot(c, y)));
            let beta = &inv * xty;
            let mut resid = y.to_vec();
            for (c, b) in cols.iter().zip(beta.iter()) {
                resid.iter_mut().zip(c.iter()).for_each(|(e, x)| *e -= b * x);
            }
            // HC1: (X'X)⁻¹ X' diag(e²) X (X'X)⁻¹ · n/(n−k).
            let e2: Vec<f64> = resid.iter().map(|e| e * e).collect();
            if let Some(j) = only.filter(|j| *j < k) {
                let mut w = vec![0.0; n];
                for (a, c) in cols.iter().enumerate() {
                    let f = inv[(j, a)];
                    w.iter_mut().zip(c.iter()).for_each(|(w, x)| *w += f * x);
                }
                let var: f64 = w.iter().zip(&e2).map(|(w, e)| w * w * e).sum::<f64>() * (n as f64 / df);
                let mut se = DVector::zeros(k);
                se[j] = var.max(0.0).sqrt();
                return Fit { beta, se, df };
            }
            let mut meat = DMatrix::zeros(k, k);
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
            let cov = &inv * meat * &inv * (n as f64 / df);
            let se = DVector::from_iterator(k, (0..k).map(|j| cov[(j, j)].max(0.0).sqrt()));
            Fit { beta, se, df }
        })
        .collect()
}

pub(super) fn p_value(t: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df.max(1.0)) {
        Ok(d) if t.is_finite() => 2.0 * (1.0 - d.cdf(t.abs())),
        _ => 1.0,
    }
}

pub(super) fn t_crit(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df.max(1.0))
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(1.96)
}

/// The coefficient of column `j` and its two-sided p-value.
pub(super) fn coef(f: &Fit, j: usize) -> (f64, f64) {
    let t = if f.se[j] > 0.0 { f.beta[j] / f.se[j] } else { 0.0 };
    (f.beta[j], p_value(t, f.df))
}

/// The cross-products of every column and target, built once in one pass each, so that any
/// sub-model's least squares needs no pass over the rows: X'X is a sub-matrix and X'y a slice.
pub(super) struct Gram {
    xx: DMatrix<f64>,
    /// X'y, one column per target.
    xy: DMatrix<f64>,
    /// y'y per target.
    yy: Vec<f64>,
    n: usize,
}

/// A sub-model's solution from the cross-products.
pub(super) struct GramFit {
    pub(super) beta: DVector<f64>,
    pub(super) inv: DMatrix<f64>,
    pub(super) df: f64,
    pub(super) rss: f64,
}

impl Gram {
    pub(super) fn new(cols: &[&[f64]], ys: &[&[f64]]) -> Gram {
        let k = cols.len();
        let mut xx = DMatrix::zeros(k, k);
        for a in 0..k {
            for b in a..k {
                let v = dot(cols[a], cols[b]);
                xx[(a, b)] = v;
                xx[(b, a)] = v;
            }
        }
        let mut xy = DMatrix::zeros(k, ys.len());
        for (a, c) in cols.iter().enumerate() {
            for (t, y) in ys.iter().enumerate() {
                xy[(a, t)] = dot(c, y);
            }
        }
        Gram {
            xx,
            xy,
            yy: ys.iter().map(|y| dot(y, y)).collect(),
            n: ys.first().map_or(0, |y| y.len()),
        }
    }

    /// Least squares of target `t` on the columns `idx`; `absorbed` as in [`ols`].
    pub(super) fn fit(&self, idx: &[usize], t: usize, absorbed: usize) -> Option<GramFit> {
        let k = idx.len();
        if self.n <= k + absorbed || k == 0 {
            return None;
        }
        let sub = DMatrix::from_fn(k, k, |a, b| self.xx[(idx[a], idx[b])]);
        let inv = sub.pseudo_inverse(1e-10).ok()?;
        let xty = DVector::from_fn(k, |a, _| self.xy[(idx[a], t)]);
        let beta = &inv * &xty;
        let rss = (self.yy[t] - beta.dot(&xty)).max(0.0);
        Some(GramFit {
            beta,
            inv,
            df: (self.n - k - absorbed) as f64,
            rss,
        })
    }
}

impl GramFit {
    /// The classical standard error of coefficient `j` (σ² (X'X)⁻¹ⱼⱼ): no pass over the rows.
    pub(super) fn classical_se(&self, j: usize) -> f64 {
        (self.rss / self.df * self.inv[(j, j)]).max(0.0).sqrt()
    }

    /// The HC1 robust standard error of coefficient `j`: Σ eᵢ² (row j of (X'X)⁻¹ · xᵢ)² · n/(n−k),
    /// one pass over the model's columns.
    pub(super) fn robust_se(&self, j: usize, cols: &[&[f64]], y: &[f64]) -> f64 {
        let n = y.len();
        let mut e = y.to_vec();
        let mut w = vec![0.0; n];
        for (a, c) in cols.iter().enumerate() {
            let (b, f) = (self.beta[a], self.inv[(j, a)]);
            e.iter_mut().zip(w.iter_mut()).zip(c.iter()).for_each(|((e, w), x)| {
                *e -= b * x;
                *w += f * x;
            });
        }
        let var: f64 = e.iter().zip(&w).map(|(e, w)| e * e * w * w).sum::<f64>() * (n as f64 / self.df);
        var.max(0.0).sqrt()
    }
}
