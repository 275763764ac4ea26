//! Tests of `drivers`.

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

/// 200 people × 12 months. Truth: target = 8,000·followups_per_week + 50,000·conversion plus
/// 15,000·ln(tenure+1), a department effect and noise. `noise_a`, `noise_b` have no effect;
/// `seniority_proxy` tracks tenure but has no effect of its own.
fn planted(seed: u64) -> DriverInput {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    for e in 0..200 {
        let dept = ["A", "B", "C"][e % 3];
        let start_tenure = rng.random_range(0.0..60.0);
        let skill = normal(&mut rng);
        for m in 0..12 {
            let tenure: f64 = start_tenure + m as f64;
            let fpw = (5.0 + 1.5 * skill + normal(&mut rng)).max(0.0);
            let conv = (0.2 + 0.05 * normal(&mut rng)).clamp(0.0, 1.0);
            let noise_a = normal(&mut rng);
            let noise_b = 10.0 + 3.0 * normal(&mut rng);
            let proxy = (tenure + 1.0).ln() * 2.0 + 0.3 * normal(&mut rng);
            let dept_effect = match dept {
                "A" => 0.0,
                "B" => 20_000.0,
                _ => -10_000.0,
            };
            let y = 8_000.0 * fpw
                + 50_000.0 * conv
                + 15_000.0 * (tenure + 1.0).ln()
                + dept_effect
                + 12_000.0 * normal(&mut rng);
            rows.push(Observation {
                employee: format!("E{e}"),
                department: Some(dept.into()),
                month: 202601 + m,
                tenure_months: Some(tenure),
                target: Some(y),
                features: vec![
                    Some(fpw),
                    Some(conv),
                    Some(noise_a),
                    Some(noise_b),
                    Some(proxy),
                    Some(3.0),
                ],
            });
        }
    }
    let f = |id: &str| FeatureInfo {
        id: id.into(),
        zh: id.into(),
        en: id.into(),
    };
    DriverInput {
        target: "contribution".into(),
        features: vec![
            f("followups_per_week"),
            f("lead_conversion_rate"),
            f("noise_a"),
            f("noise_b"),
            f("seniority_proxy"),
            f("constant"),
        ],
        rows,
    }
}

#[test]
fn planted_drivers_are_found_ranked_and_recovered_within_their_intervals() {
    let r = analyse_drivers(&planted(7)).unwrap();
    assert_eq!(r.rows, 2400);
    assert_eq!(r.employees, 200);
    let top: Vec<&str> = r.drivers.iter().take(2).map(|d| d.feature.as_str()).collect();
    assert_eq!(top, ["followups_per_week", "lead_conversion_rate"]);
    let fpw = &r.drivers[0];
    // Per unit: 8,000 per extra follow-up a week, inside the 95% interval.
    let per_unit_lo = fpw.ci_low / (fpw.effect_per_sd / fpw.effect_per_unit);
    let per_unit_hi = fpw.ci_high / (fpw.effect_per_sd / fpw.effect_per_unit);
    assert!(
        per_unit_lo < 8_000.0 && 8_000.0 < per_unit_hi,
        "{per_unit_lo}..{per_unit_hi}"
    );
    assert_eq!(fpw.direction, "positive");
    for noise in ["noise_a", "noise_b"] {
        let d = r.drivers.iter().find(|d| d.feature == noise).unwrap();
        assert!(d.rank > 2, "{noise} ranked {}", d.rank);
        assert!(d.p_value > 0.001, "{noise} p = {}", d.p_value);
    }
    assert!(r.dropped.iter().any(|(f, why)| f == "constant" && why == "constant"));
}

#[test]
fn the_forest_catches_a_threshold_the_regression_misses() {
    // A U-shaped driver: very low or very high values go with 40,000 more, the middle with
    // nothing, so its straight-line slope is zero.
    let mut input = planted(5);
    let mut rng = SmallRng::seed_from_u64(99);
    input.features.push(FeatureInfo {
        id: "u_shaped".into(),
        zh: "u_shaped".into(),
        en: "u_shaped".into(),
    });
    for r in &mut input.rows {
        let x: f64 = rng.random();
        r.features.push(Some(x));
        if (x - 0.5).abs() > 0.3 {
            r.target = r.target.map(|t| t + 40_000.0);
        }
    }
    let r = analyse_drivers(&input).unwrap();
    let u = r.drivers.iter().find(|d| d.feature == "u_shaped").unwrap();
    assert_eq!(u.direction, "unclear", "no straight-line effect: {u:?}");
    assert!(u.nonlinear, "{u:?}");
    for noise in ["noise_a", "noise_b"] {
        let d = r.drivers.iter().find(|d| d.feature == noise).unwrap();
        assert!(u.tree_importance > 5.0 * d.tree_importance, "{u:?} vs {d:?}");
        assert!(u.rank < d.rank, "u_shaped {} vs {noise} {}", u.rank, d.rank);
    }
    // The planted linear drivers still lead, and scores are on the documented 0–1 scale.
    assert_eq!(r.drivers[0].feature, "followups_per_week");
    assert!(r.drivers.iter().all(|d| (0.0..=1.0).contains(&d.importance)));
    assert!(r.drivers[0].importance >= 0.5, "{:?}", r.drivers[0]);
}

#[test]
fn features_the_controls_or_other_features_explain_are_dropped_not_fatal() {
    // A city that is the department, and lead shares that add up to one with another feature.
    let mut input = planted(8);
    let mut rng = SmallRng::seed_from_u64(4);
    for id in ["city_is_dept_a", "share_web", "share_rest"] {
        input.features.push(FeatureInfo {
            id: id.into(),
            zh: id.into(),
            en: id.into(),
        });
    }
    for r in &mut input.rows {
        let web: f64 = rng.random();
        r.features
            .push(Some(if r.department.as_deref() == Some("A") { 1.0 } else { 0.0 }));
        r.features.push(Some(web));
        // Collinear with share_web and the constant absorbed by the fixed effects.
        r.features.push(Some(1.0 - web));
    }
    let r = analyse_drivers(&input).expect("still analysed");
    let why = |f: &str| r.dropped.iter().find(|(x, _)| x == f).map(|(_, w)| w.clone());
    assert_eq!(
        why("city_is_dept_a").as_deref(),
        Some("no variation within departments and months")
    );
    assert!(why("share_rest").is_some(), "{:?}", r.dropped);
    assert_eq!(r.drivers[0].feature, "followups_per_week");
}

#[test]
fn a_feature_that_only_tracks_tenure_is_marked_confounded() {
    let r = analyse_drivers(&planted(11)).unwrap();
    let proxy = r.drivers.iter().find(|d| d.feature == "seniority_proxy").unwrap();
    assert!(proxy.raw_p_value < 0.001, "raw association is strong");
    assert_eq!(proxy.confounded_by.as_deref(), Some("tenure"));
    assert!(proxy.rank > 2);
}

#[test]
fn tiny_samples_and_constant_targets_are_refused() {
    let mut input = planted(3);
    input.rows.truncate(20);
    assert!(matches!(analyse_drivers(&input), Err(DriverError::TooFewRows { .. })));
    let mut input = planted(3);
    for r in &mut input.rows {
        r.target = Some(5.0);
    }
    assert_eq!(analyse_drivers(&input), Err(DriverError::ConstantTarget));
}

#[test]
fn exact_two_way_absorption_equals_alternating_projections_and_the_dot_product_ols() {
    // An unbalanced panel: 40 departments of uneven size, 15 months, people missing months.
    let mut rng = SmallRng::seed_from_u64(9);
    let (mut dept, mut month, mut col) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..3_000 {
        let d = (i % 40).min(rng.random_range(0..40));
        let m = rng.random_range(0..15);
        dept.push(d);
        month.push(m);
        col.push(3.0 * d as f64 - 2.0 * (m * m) as f64 + normal(&mut rng) * 5.0);
    }
    let (dept, month) = (Factor::new(dept), Factor::new(month));
    let exact = TwoWay::new(&dept, &month).expect("month is small");
    let a = exact.absorb(&col);
    let mut b = col.clone();
    for _ in 0..5_000 {
        dept.demean(&mut b);
        month.demean(&mut b);
    }
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-8, "exact and alternating differ by {worst}");
    // The result has no department or month means left.
    let mut c = a.clone();
    assert!(dept.demean(&mut c) < 1e-9 && month.demean(&mut c) < 1e-9);

    // OLS from dot products equals the textbook solution on a small design.
    let x1: Vec<f64> = (0..500).map(|i| (i as f64 * 0.37).sin()).collect();
    let x2: Vec<f64> = (0..500).map(|i| (i % 7) as f64).collect();
    let ones = vec![1.0; 500];
    let y: Vec<f64> = (0..500)
        .map(|i| 2.0 + 3.0 * x1[i] - 0.5 * x2[i] + normal(&mut rng))
        .collect();
    let fit = ols(&[&ones, &x1, &x2], &y, 0).unwrap();
    let x = DMatrix::from_fn(500, 3, |i, j| [&ones, &x1, &x2][j][i]);
    let beta = (x.transpose() * &x).try_inverse().unwrap() * x.transpose() * DVector::from_column_slice(&y);
    for j in 0..3 {
        assert!((fit.beta[j] - beta[j]).abs() < 1e-9, "{} vs {}", fit.beta[j], beta[j]);
    }
    assert!(
        (fit.beta[1] - 3.0).abs() < 4.0 * fit.se[1],
        "{} ± {}",
        fit.beta[1],
        fit.se[1]
    );
}

#[test]
fn collinear_and_mostly_missing_features_are_dropped_with_a_reason() {
    let mut input = planted(5);
    input.features.push(FeatureInfo {
        id: "fpw_again".into(),
        zh: "x".into(),
        en: "x".into(),
    });
    input.features.push(FeatureInfo {
        id: "sparse".into(),
        zh: "y".into(),
        en: "y".into(),
    });
    for (i, r) in input.rows.iter_mut().enumerate() {
        let fpw = r.features[0];
        r.features.push(fpw.map(|v| v * 2.0 + 1.0));
        r.features.push(if i % 3 == 0 { Some(1.0 + i as f64) } else { None });
    }
    let r = analyse_drivers(&input).unwrap();
    assert!(
        r.dropped
            .iter()
            .any(|(f, why)| f == "fpw_again" && why.contains("followups_per_week"))
    );
    assert!(
        r.dropped
            .iter()
            .any(|(f, why)| f == "sparse" && why.contains("missing"))
    );
    assert_eq!(r.drivers[0].feature, "followups_per_week");
}
