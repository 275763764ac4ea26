//! Fixed-effect absorption (Frisch–Waugh–Lovell): department and month effects removed from a
//! column instead of one dummy column per level.

use nalgebra::{DMatrix, DVector};

use super::stats::sd_of;

/// A factor (department, month): each row's level index and the number of levels.
pub(super) struct Factor {
    pub(super) level: Vec<usize>,
    pub(super) levels: usize,
}

impl Factor {
    pub(super) fn new<K: Ord + std::hash::Hash>(keys: Vec<K>) -> Factor {
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
    pub(super) fn demean(&self, col: &mut [f64]) -> f64 {
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
pub(super) fn absorb(col: &[f64], factors: &[&Factor]) -> Vec<f64> {
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
pub(super) struct TwoWay<'a> {
    large: &'a Factor,
    small: &'a Factor,
    /// share[l][s]: the share of the large factor's level l in the small factor's level s.
    share: Vec<Vec<f64>>,
    /// Pseudo-inverse of the small factor's dummies' Gram matrix after demeaning (levels 1..).
    gram_inv: DMatrix<f64>,
}

impl<'a> TwoWay<'a> {
    pub(super) fn new(a: &'a Factor, b: &'a Factor) -> Option<TwoWay<'a>> {
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

    pub(super) fn absorb(&self, col: &[f64]) -> Vec<f64> {
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
pub(super) fn absorb_two(col: &[f64], factors: &[&Factor; 2], exact: Option<&TwoWay>) -> Vec<f64> {
    match exact {
        Some(t) => t.absorb(col),
        None => absorb(col, factors),
    }
}

/// [`absorb_two`] of many columns, spread over the machine's cores (each column is independent).
pub(super) fn absorb_all(cols: &[&[f64]], factors: &[&Factor; 2], exact: Option<&TwoWay>) -> Vec<Vec<f64>> {
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
