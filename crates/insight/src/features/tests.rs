//! Tests of `features`.

use super::*;

#[test]
fn explanations_read_like_the_issue_asks() {
    let d = Driver {
        layer: crate::drivers::Layer::Lever,
        paths: Vec::new(),
        feature: "followups_per_week".into(),
        rank: 1,
        importance: 9.0,
        linear_importance: 9.0,
        tree_importance: 0.1,
        nonlinear: false,
        effect_per_unit: 8_200.0,
        effect_per_sd: 16_400.0,
        ci_low: 12_200.0,
        ci_high: 20_600.0,
        p_value: 0.0001,
        direction: "positive".into(),
        raw_effect_per_sd: 20_000.0,
        raw_p_value: 0.0,
        confounded_by: None,
        missing_share: 0.0,
    };
    assert_eq!(
        explain(&d, "contribution", 1240, Lang::Zh),
        "每周多跟进1次，月贡献额平均高 8,200 元（95% 区间 6,100–10,300 元，n=1240）"
    );
    let mut c = d.clone();
    c.confounded_by = Some("tenure".into());
    assert!(explain(&c, "contribution", 10, Lang::Zh).contains("控制司龄后不再显著"));
}

#[test]
fn the_target_is_never_its_own_driver_and_disguises_are_listed() {
    let input = driver_input("lead_conversion_rate", &[]);
    assert!(!input.features.iter().any(|f| f.id == "lead_conversion_rate"));
    let ex = excluded_for("contribution");
    assert!(ex.iter().any(|(f, _)| f == "orders_won"));
    assert!(ex.iter().any(|(f, r)| f == "contribution" && r == "the target itself"));
    // Win rate, deal size and conversion are in the table as funnel outcomes (for the paths),
    // which the engine never ranks; levers and circumstances are placed too.
    let input = driver_input("contribution", &[]);
    let layer = |id: &str| input.features.iter().find(|f| f.id == id).map(|f| f.layer);
    for outcome in ["win_rate", "avg_deal_size", "lead_conversion_rate", "pipeline_value"] {
        assert_eq!(layer(outcome), Some(Layer::Outcome), "{outcome}");
    }
    assert_eq!(layer("contacted_within_24h_rate"), Some(Layer::Lever));
    assert_eq!(layer("leads_received"), Some(Layer::Circumstance));
    assert_eq!(lever_family("skill:negotiation"), "training/negotiation");
    assert_eq!(
        lever_family("first_response_hours"),
        lever_family("contacted_within_24h_rate")
    );
    assert!(
        !driver_input("lead_conversion_rate", &[])
            .features
            .iter()
            .any(|f| f.id == "pipeline_value")
    );
}

#[test]
fn levers_read_backwards_rank_after_the_levers_read_as_meant() {
    let base = |feature: &str, direction: &str, layer: Layer| Driver {
        layer,
        paths: Vec::new(),
        feature: feature.into(),
        rank: 0,
        importance: 1.0,
        linear_importance: 1.0,
        tree_importance: 0.0,
        nonlinear: false,
        effect_per_unit: if direction == "negative" { -1.0 } else { 1.0 },
        effect_per_sd: 1.0,
        ci_low: 0.5,
        ci_high: 1.5,
        p_value: 0.01,
        direction: direction.into(),
        raw_effect_per_sd: 1.0,
        raw_p_value: 0.01,
        confounded_by: None,
        missing_share: 0.0,
    };
    // The engine's order: a backwards training lever first, then follow-ups, then a circumstance.
    let mut drivers = vec![
        base("trainings_done_to_date", "negative", Layer::Lever),
        base("followups_per_week", "positive", Layer::Lever),
        base("leads_received", "positive", Layer::Circumstance),
        base("first_response_hours", "negative", Layer::Lever),
    ];
    rank_backwards_levers_after(&mut drivers);
    let order: Vec<(&str, usize)> = drivers.iter().map(|d| (d.feature.as_str(), d.rank)).collect();
    assert_eq!(
        order,
        [
            ("followups_per_week", 1),
            ("first_response_hours", 2),
            ("trainings_done_to_date", 3),
            ("leads_received", 4)
        ]
    );
    assert!(is_backwards_lever(&drivers[2]) && !is_backwards_lever(&drivers[1]));
    // Its sentence says so; a lever that reads as meant does not.
    assert!(explain(&drivers[2], "contribution", 100, Lang::Zh).contains("目的相反"));
    assert!(!explain(&drivers[0], "contribution", 100, Lang::Zh).contains("目的相反"));
}
