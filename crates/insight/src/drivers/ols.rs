//! Least squares from column dot products, with heteroskedasticity-robust (HC1) standard errors,
//! and the Student-t p-values and critical values of its coefficients.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::stats::{dot, mean_of};

/// An OLS fit with HC1 robust standard errors.
pub(super) struct Fit {
    pub(super) beta: DVector<f64>,
    pub(super) se: DVector<f64>,
    pub(super) df: f64,
    pub(super) r_squared: f64,
}

/// Least squares of `y` on the columns (add a column of ones for an intercept). `absorbed` counts
/// parameters already removed by [`absorb`](super::absorb::absorb) (for the degrees of freedom).
/// The pseudo-inverse keeps near-collinear designs solvable; callers drop exact duplicates first.
/// Built from column dot products (X'X, and the HC1 middle Σ eᵢ² xᵢxᵢ'), never an n × k matrix:
/// at 234,000 rows × 40 columns that matrix and its copies cost more than the arithmetic.
pub(super) fn ols(cols: &[&[f64]], y: &[f64], absorbed: usize) -> Option<Fit> {
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
