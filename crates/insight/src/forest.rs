//! The tree side of driver analysis: a random forest (smartcore) on a sample of the rows, and each
//! feature's permutation importance on held-out rows — how much worse the predictions get when the
//! feature's values are shuffled. Catches thresholds and curves a straight line misses.

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use smartcore::ensemble::random_forest_regressor::{RandomForestRegressor, RandomForestRegressorParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

/// Rows the forest trains on at most; more adds time, not insight, for a ranking.
const MAX_TRAIN: usize = 20_000;
/// Held-out rows the importances are measured on at most.
const MAX_HOLDOUT: usize = 5_000;
/// Below this many rows there is no forest.
pub const MIN_ROWS: usize = 200;

/// Permutation importance of each of `columns` for predicting `y`: the rise in held-out mean squared
/// error when the column is shuffled, as a share of the held-out variance of `y` (0 = no use; may be
/// slightly negative by chance, reported as 0). `columns[j][i]` is row i of feature j; only the first
/// `scored` columns are scored (the rest are controls the forest may use). `groups[i]` is row i's
/// person: a quarter of the people are held out whole, so a feature that is constant per person
/// (age, a roster column) cannot score by letting the forest recognise people it trained on.
/// `None` when there are too few rows or people, or the forest cannot be fitted.
pub fn permutation_importance(
    columns: &[Vec<f64>],
    scored: usize,
    y: &[f64],
    groups: &[usize],
    seed: u64,
) -> Option<Vec<f64>> {
    let n = y.len();
    if n < MIN_ROWS || columns.is_empty() || columns.iter().any(|c| c.len() != n) || groups.len() != n {
        return None;
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let people = groups.iter().copied().max().map_or(0, |g| g + 1);
    if people < 8 {
        return None;
    }
    let mut held = vec![false; people];
    let mut ids: Vec<usize> = (0..people).collect();
    ids.shuffle(&mut rng);
    for &g in ids.iter().take(people.div_ceil(4)) {
        held[g] = true;
    }
    let mut hold: Vec<usize> = (0..n).filter(|&i| held[groups[i]]).collect();
    let mut rest: Vec<usize> = (0..n).filter(|&i| !held[groups[i]]).collect();
    hold.shuffle(&mut rng);
    rest.shuffle(&mut rng);
    hold.truncate(MAX_HOLDOUT);
    let hold_n = hold.len();
    if hold_n < 50 || rest.len() < 50 {
        return None;
    }
    let train = &rest[..rest.len().min(MAX_TRAIN)];
    let p = columns.len();
    // Column-major values of `rows`.
    let gather = |rows: &[usize]| -> Vec<f64> {
        let mut values = Vec::with_capacity(rows.len() * p);
        for c in columns {
            values.extend(rows.iter().map(|&i| c[i]));
        }
        values
    };
    let y_train: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    let train_x = DenseMatrix::new(train.len(), p, gather(train), true).ok()?;
    // Two forests of half the trees each, fitted on both cores; their average is one forest of
    // all the trees (each tree is grown independently either way).
    let fit = |seed: u64| {
        let params = RandomForestRegressorParameters {
            max_depth: Some(8),
            min_samples_leaf: 10,
            min_samples_split: 20,
            n_trees: TREES / 2,
            m: Some((p / 3).max(1)),
            keep_samples: false,
            seed,
        };
        RandomForestRegressor::fit(&train_x, &y_train, params).ok()
    };
    let forests = std::thread::scope(|scope| {
        // smartcore seeds tree i with `seed + i`: the second half starts past the first's seeds,
        // so the 60 trees draw as one forest would.
        let other = scope.spawn(|| fit(seed.wrapping_add((TREES / 2) as u64)));
        let first = fit(seed);
        Some([first?, other.join().ok()??])
    })?;
    let y_hold: Vec<f64> = hold.iter().map(|&i| y[i]).collect();
    let mean = y_hold.iter().sum::<f64>() / hold_n as f64;
    let var = y_hold.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / hold_n as f64;
    if var <= 0.0 {
        return None;
    }
    let hold_x = gather(&hold);
    let mse = |values: Vec<f64>| -> Option<f64> {
        let x = DenseMatrix::new(hold_n, p, values, true).ok()?;
        let (a, b) = (forests[0].predict(&x).ok()?, forests[1].predict(&x).ok()?);
        Some(
            a.iter()
                .zip(&b)
                .zip(&y_hold)
                .map(|((a, b), y)| ((a + b) / 2.0 - y).powi(2))
                .sum::<f64>()
                / hold_n as f64,
        )
    };
    let base = mse(hold_x.clone())?;
    // Feature j shuffled among the held-out rows (the others as they are); the shuffles are drawn
    // in order first, so the result does not depend on how the work is split over the cores.
    let shuffled: Vec<Vec<f64>> = (0..scored.min(p))
        .map(|j| {
            let mut values = hold_x.clone();
            let col = &mut values[j * hold_n..(j + 1) * hold_n];
            for i in (1..col.len()).rev() {
                col.swap(i, rng.random_range(0..=i));
            }
            values
        })
        .collect();
    let half = shuffled.len().div_ceil(2);
    let worse: Vec<Option<f64>> = std::thread::scope(|scope| {
        let mut parts = shuffled.chunks(half.max(1));
        let (first, second) = (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
        let mse = &mse;
        let other = scope.spawn(move || second.iter().map(|v| mse(v.clone())).collect::<Vec<_>>());
        let mut out: Vec<Option<f64>> = first.iter().map(|v| mse(v.clone())).collect();
        out.extend(other.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        out
    });
    worse.into_iter().map(|w| Some(((w? - base) / var).max(0.0))).collect()
}

/// Trees in the forest.
const TREES: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_threshold_a_straight_line_misses_and_ignores_noise() {
        let mut rng = SmallRng::seed_from_u64(3);
        let n = 3_000;
        let cols: Vec<Vec<f64>> = (0..4).map(|_| (0..n).map(|_| rng.random::<f64>()).collect()).collect();
        // Column 0: a U shape (no linear slope at all); column 1: linear; 2 and 3: noise.
        let y: Vec<f64> = (0..n)
            .map(|i| 8.0 * (cols[0][i] - 0.5).powi(2) * 4.0 + 3.0 * cols[1][i] + 0.3 * rng.random::<f64>())
            .collect();
        let groups: Vec<usize> = (0..n).map(|i| i / 10).collect();
        let imp = permutation_importance(&cols, 4, &y, &groups, 1).expect("forest");
        assert!(imp[0] > 0.3, "{imp:?}");
        assert!(imp[1] > 0.1, "{imp:?}");
        assert!(imp[2] < 0.02 && imp[3] < 0.02, "{imp:?}");
    }

    #[test]
    fn too_few_rows_or_no_variance_is_none() {
        let cols = vec![vec![1.0; 50]];
        let groups: Vec<usize> = (0..500).map(|i| i / 10).collect();
        assert!(permutation_importance(&cols, 1, &[0.0; 50], &groups[..50], 1).is_none());
        let cols = vec![(0..500).map(f64::from).collect::<Vec<_>>()];
        assert!(permutation_importance(&cols, 1, &[2.0; 500], &groups, 1).is_none());
        // A feature that only identifies the person (constant per person, no effect) scores
        // nothing when people are held out whole, though the target differs by person. One draw
        // is noisy (50 held-out people): on average over ten companies it must stay near zero.
        let mut scores = Vec::new();
        for seed in 0..10u64 {
            let mut rng = SmallRng::seed_from_u64(9 + seed * 101);
            let person_level: Vec<f64> = (0..200).map(|_| rng.random::<f64>() * 10.0).collect();
            let id_like: Vec<f64> = (0..200).map(|_| rng.random::<f64>()).collect();
            let rows = 200 * 12;
            let g: Vec<usize> = (0..rows).map(|i| i / 12).collect();
            let noise: Vec<f64> = (0..rows).map(|_| rng.random::<f64>()).collect();
            let cols = vec![g.iter().map(|&p| id_like[p]).collect::<Vec<_>>(), noise];
            let y: Vec<f64> = g.iter().map(|&p| person_level[p] + rng.random::<f64>()).collect();
            scores.push(permutation_importance(&cols, 2, &y, &g, 3 + seed).expect("forest")[0]);
        }
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        assert!(mean < 0.04, "an id-like feature must not look important: {scores:?}");
    }
}
