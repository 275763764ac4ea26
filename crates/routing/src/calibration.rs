//! Calibration of conversion estimates: a reliability table (predicted vs actual by decile of
//! the prediction) and Brier scores against a company-rate baseline.

use serde::Serialize;

/// One decile of predictions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReliabilityBin {
    pub decile: usize,
    pub leads: usize,
    /// Lowest and highest prediction in the bin.
    pub from: f64,
    pub to: f64,
    pub predicted: f64,
    pub actual: f64,
}

/// The reliability table and scores.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reliability {
    pub leads: usize,
    pub bins: Vec<ReliabilityBin>,
    /// Mean squared error of the predictions (lower is better).
    pub brier: f64,
    /// The same for the baseline predictions (e.g. one company rate for every lead).
    pub baseline_brier: f64,
    pub predicted_conversions: f64,
    pub actual_conversions: f64,
}

/// Builds the table from `(prediction, converted, baseline prediction)`, in `bins` equal-count bins.
pub fn reliability(rows: &[(f64, bool, f64)], bins: usize) -> Reliability {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| rows[a].0.total_cmp(&rows[b].0));
    let bins = bins.max(1).min(rows.len().max(1));
    let y = |i: usize| if rows[i].1 { 1.0 } else { 0.0 };
    let mut out = Vec::with_capacity(bins);
    for b in 0..bins {
        let lo = b * rows.len() / bins;
        let hi = (b + 1) * rows.len() / bins;
        if hi <= lo {
            continue;
        }
        let members = &order[lo..hi];
        let n = members.len() as f64;
        out.push(ReliabilityBin {
            decile: b + 1,
            leads: members.len(),
            from: rows[members[0]].0,
            to: rows[members[members.len() - 1]].0,
            predicted: members.iter().map(|&i| rows[i].0).sum::<f64>() / n,
            actual: members.iter().map(|&i| y(i)).sum::<f64>() / n,
        });
    }
    let n = rows.len().max(1) as f64;
    Reliability {
        leads: rows.len(),
        bins: out,
        brier: rows.iter().enumerate().map(|(i, r)| (r.0 - y(i)).powi(2)).sum::<f64>() / n,
        baseline_brier: rows.iter().enumerate().map(|(i, r)| (r.2 - y(i)).powi(2)).sum::<f64>() / n,
        predicted_conversions: rows.iter().map(|r| r.0).sum(),
        actual_conversions: rows.iter().filter(|r| r.1).count() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_are_equal_count_and_scores_are_exact() {
        // Predictions 0.0..0.9, converted when prediction >= 0.5.
        let rows: Vec<(f64, bool, f64)> = (0..10).map(|i| (i as f64 / 10.0, i >= 5, 0.5)).collect();
        let r = reliability(&rows, 5);
        assert_eq!(r.bins.len(), 5);
        assert!(r.bins.iter().all(|b| b.leads == 2));
        assert_eq!(r.bins[0].actual, 0.0);
        assert_eq!(r.bins[4].actual, 1.0);
        // Brier: sum of (p - y)^2 = 0+.01+.04+.09+.16 + .25+.16+.09+.04+.01 = .85
        assert!((r.brier - 0.085).abs() < 1e-12);
        assert!((r.baseline_brier - 0.25).abs() < 1e-12);
        assert_eq!(r.actual_conversions, 5.0);
    }
}
