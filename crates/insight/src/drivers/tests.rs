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
    let f = |id: &str| FeatureInfo::new(id, Layer::Lever);
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
    input.features.push(FeatureInfo::new("u_shaped", Layer::Lever));
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
        input.features.push(FeatureInfo::new(id, Layer::Lever));
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
    input.features.push(FeatureInfo::new("fpw_again", Layer::Lever));
    input.features.push(FeatureInfo::new("sparse", Layer::Lever));
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

/// A company whose causal truth is planted (issue 17):
/// (a) answering new leads within 24 hours raises conversion, and contribution only through it;
/// (b) a negotiation course raises the win rate, and contribution only through it;
/// (c) `partner_chasing` does nothing but follows the share of partner leads, which raises
///     conversion (a circumstance confounding a behaviour);
/// (d) `cold_calls` does nothing but goes with the same diligence as fast first contact.
/// First-response hours measure the 24-hour behaviour a second way (one family). Funnel outcomes
/// (conversion, win rate, deal size, pipeline) are in the input as outcomes. Contribution =
/// leads × conversion × win rate × deal size, plus tenure and department effects and noise.
fn funnel_company(seed: u64) -> DriverInput {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    for e in 0..360 {
        let dept = e % 6;
        let diligence = normal(&mut rng);
        let partner_bias = 0.1 * normal(&mut rng);
        let trained_from = if rng.random::<f64>() < 0.4 {
            rng.random_range(0..12)
        } else {
            99
        };
        let start_tenure = rng.random_range(1.0..48.0);
        for m in 0..12 {
            let tenure: f64 = start_tenure + m as f64;
            let partner = (0.3 + partner_bias + 0.08 * normal(&mut rng)).clamp(0.0, 1.0);
            let leads = (40.0 + 8.0 * normal(&mut rng)).max(5.0).round();
            let contact24 = (0.5 + 0.15 * diligence + 0.1 * normal(&mut rng)).clamp(0.0, 1.0);
            let first_hours = (30.0 - 40.0 * (contact24 - 0.5) + 3.0 * normal(&mut rng)).max(0.5);
            let cold_calls = 20.0 + 5.0 * diligence + 3.0 * normal(&mut rng);
            let chasing = 5.0 + 10.0 * partner + normal(&mut rng);
            let skill = if m >= trained_from { 1.0 } else { 0.0 };
            let conv = (0.08 + 0.12 * contact24 + 0.15 * partner + 0.02 * normal(&mut rng)).clamp(0.01, 1.0);
            let win = (0.25 + 0.12 * skill + 0.05 * normal(&mut rng)).clamp(0.01, 1.0);
            let deal = 40_000.0 * (1.0 + 0.15 * normal(&mut rng));
            let y = leads * conv * win * deal
                + 3_000.0 * (tenure + 1.0).ln()
                + 4_000.0 * dept as f64
                + 2_000.0 * normal(&mut rng);
            rows.push(Observation {
                employee: format!("E{e}"),
                department: Some(format!("D{dept}")),
                month: 202601 + m,
                tenure_months: Some(tenure),
                target: Some(y),
                features: vec![
                    Some(contact24),
                    Some(first_hours),
                    Some(cold_calls),
                    Some(chasing),
                    Some(skill),
                    Some(normal(&mut rng)),
                    Some(normal(&mut rng)),
                    Some(leads),
                    Some(partner),
                    Some(conv),
                    Some(win),
                    Some(deal),
                    Some(leads * conv * deal * 0.6),
                ],
            });
        }
    }
    let lever = |id: &str, family: &str| FeatureInfo {
        family: family.into(),
        ..FeatureInfo::new(id, Layer::Lever)
    };
    DriverInput {
        target: "contribution".into(),
        features: vec![
            lever("contacted_within_24h_rate", "first_contact"),
            lever("first_response_hours", "first_contact"),
            lever("cold_calls", "calls"),
            lever("partner_chasing", "prospecting"),
            lever("skill:negotiation", "training/negotiation"),
            lever("noise_a", "noise_a"),
            lever("noise_b", "noise_b"),
            FeatureInfo::new("leads_received", Layer::Circumstance),
            FeatureInfo::new("source:Partner", Layer::Circumstance),
            FeatureInfo::new("lead_conversion_rate", Layer::Outcome),
            FeatureInfo::new("win_rate", Layer::Outcome),
            FeatureInfo::new("avg_deal_size", Layer::Outcome),
            FeatureInfo::new("pipeline_value", Layer::Outcome),
        ],
        rows,
    }
}

#[test]
fn levers_that_work_lead_with_their_paths_and_outcomes_are_never_drivers() {
    for seed in [3, 11] {
        let r = analyse_drivers(&funnel_company(seed)).unwrap();
        let get = |id: &str| {
            r.drivers
                .iter()
                .find(|d| d.feature == id)
                .unwrap_or_else(|| panic!("{id}: {r:#?}"))
        };
        // Outcomes are never ranked: they are left out with the reason, and are the paths.
        for outcome in ["lead_conversion_rate", "win_rate", "avg_deal_size", "pipeline_value"] {
            assert!(r.drivers.iter().all(|d| d.feature != outcome), "{outcome} ranked");
            assert!(r.dropped.iter().any(|(f, why)| f == outcome && why == OUTCOME_REASON));
        }
        // (a) Fast first contact: positive, clear, on top — though first-response hours measure
        // the same behaviour (one family: not held fixed in each other's model).
        let contact = get("contacted_within_24h_rate");
        assert_eq!(
            (contact.direction.as_str(), contact.layer),
            ("positive", Layer::Lever),
            "{contact:?}"
        );
        assert!(contact.rank <= 2, "seed {seed}: {:#?}", r.drivers);
        assert_eq!(get("first_response_hours").direction, "negative");
        // Its path: conversion, about 0.12 per unit (1.2 points per 10 points), not the win rate.
        let path = |d: &Driver, o: &str| d.paths.iter().find(|p| p.outcome == o).cloned().unwrap();
        let conv = path(contact, "lead_conversion_rate");
        assert!(
            conv.direction == "positive" && conv.ci_low < 0.12 && 0.12 < conv.ci_high,
            "{conv:?}"
        );
        assert_eq!(path(contact, "win_rate").direction, "unclear");
        // (b) The negotiation course: positive, clear, through the win rate (+12 points).
        let skill = get("skill:negotiation");
        assert_eq!(skill.direction, "positive");
        assert!(skill.rank <= 2, "seed {seed}: {:#?}", r.drivers);
        let win = path(skill, "win_rate");
        assert!(
            win.direction == "positive" && win.ci_low < 0.12 && 0.12 < win.ci_high,
            "{win:?}"
        );
        assert_eq!(path(skill, "lead_conversion_rate").direction, "unclear");
        // (c) Confounded by the lead source, (d) riding on diligence: unclear, as is pure noise;
        // all below the planted levers.
        for useless in ["partner_chasing", "cold_calls", "noise_a", "noise_b"] {
            let d = get(useless);
            assert_eq!(d.direction, "unclear", "seed {seed}: {d:?}");
            assert!(d.rank > contact.rank && d.rank > skill.rank);
        }
        // The circumstance that truly matters is found as one.
        let partner = get("source:Partner");
        assert_eq!(
            (partner.direction.as_str(), partner.layer),
            ("positive", Layer::Circumstance)
        );
    }
}

#[test]
fn a_sub_model_from_the_cross_products_equals_the_fit_on_the_rows() {
    let mut rng = SmallRng::seed_from_u64(5);
    let n = 500;
    let cols: Vec<Vec<f64>> = (0..4).map(|_| (0..n).map(|_| normal(&mut rng)).collect()).collect();
    // Heteroskedastic noise, so that the robust error differs from the classical one.
    let y: Vec<f64> = (0..n)
        .map(|i| 2.0 * cols[0][i] - cols[2][i] + normal(&mut rng) * (1.0 + cols[1][i].abs()))
        .collect();
    let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let gram = Gram::new(&refs, &[&y]);
    let idx = [0, 2, 3];
    let sub: Vec<&[f64]> = idx.iter().map(|&i| refs[i]).collect();
    let direct = ols(&sub, &y, 1).unwrap();
    let g = gram.fit(&idx, 0, 1).unwrap();
    for j in 0..3 {
        assert!((g.beta[j] - direct.beta[j]).abs() < 1e-9, "{j}");
    }
    assert!((g.robust_se(0, &sub, &y) - direct.se[0]).abs() < 1e-9);
    assert!((g.robust_se(0, &sub, &y) - g.classical_se(0)).abs() > 1e-4);
    assert!((g.beta[0] - 2.0).abs() < 0.3 && (g.beta[1] + 1.0).abs() < 0.3);
}
