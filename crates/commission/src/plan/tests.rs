use super::*;

pub(crate) const CONTRACT_PLAN: &str = r#"
id = "sales-2026"
name = "销售提成方案 2026"
period = "month"
basis = "signed"
effective_from = "2026-01-01"
effective_to = "2026-12-31"
departments = ["销售中心"]
employees = []

default_rate = 0.03
rate_field = "Type"
[rates]
"New Customer" = 0.05

tiering = "marginal"
[[tiers]]
from = 0.0
to = 0.5
multiplier = 0.0
[[tiers]]
from = 0.5
to = 1.0
multiplier = 1.0
[[tiers]]
from = 1.0
multiplier = 1.4

cap = 50000
override_rate = 0.004
clawback_days = 90
"#;

#[test]
fn the_contracts_plan_file_reads_exactly() {
    let p = Plan::parse(CONTRACT_PLAN).unwrap();
    assert_eq!(p.id, "sales-2026");
    assert_eq!(p.default_rate, Decimal::new(3, 2));
    assert_eq!(p.rates["New Customer"], Decimal::new(5, 2));
    assert_eq!(p.tiers.len(), 3);
    assert_eq!(p.tiers[2].multiplier, Decimal::new(14, 1));
    assert_eq!(p.tiers[2].to, None);
    assert_eq!(p.cap_fen, Some(5_000_000));
    assert_eq!(p.override_rate, Some(Decimal::new(4, 3)));
    assert_eq!(p.clawback_days, 90);
    assert_eq!(p.effective_to, NaiveDate::from_ymd_opt(2026, 12, 31));
    assert_eq!(p.rate_for(Some("New Customer")), Decimal::new(5, 2));
    assert_eq!(p.rate_for(Some("Renewal")), Decimal::new(3, 2));
    assert_eq!(p.rate_for(None), Decimal::new(3, 2));
}

/// The plan with one line replaced, and the error it gives.
fn broken(from: &str, to: &str) -> PlanError {
    assert!(CONTRACT_PLAN.contains(from), "{from}");
    Plan::parse(&CONTRACT_PLAN.replacen(from, to, 1)).expect_err(to)
}

fn line_of(text: &str) -> usize {
    CONTRACT_PLAN.lines().position(|l| l.contains(text)).unwrap() + 1
}

#[test]
fn bad_plans_name_the_line_and_the_field() {
    // A rate outside 0–1.
    let e = broken("default_rate = 0.03", "default_rate = 3");
    assert_eq!((e.line, e.field.as_str()), (line_of("default_rate"), "default_rate"));
    assert!(e.zh.contains("0 到 1"), "{}", e.zh);
    let e = broken("\"New Customer\" = 0.05", "\"New Customer\" = -0.05");
    assert_eq!(
        (e.line, e.field.as_str()),
        (line_of("\"New Customer\""), "rates.New Customer")
    );

    // Overlapping tiers: the second band starts inside the first.
    let e = broken("from = 0.5\nto = 1.0", "from = 0.4\nto = 1.0");
    assert_eq!(e.field, "tiers[2].from");
    assert_eq!(e.line, line_of("from = 0.5"));
    assert!(e.en.contains("overlaps band 1"), "{}", e.en);
    // A gap, a band that ends before it starts, a first band not at 0.
    assert!(
        broken("from = 1.0\nmultiplier", "from = 1.1\nmultiplier")
            .en
            .contains("gap")
    );
    assert_eq!(broken("to = 0.5", "to = 0.0").field, "tiers[1].to");
    assert_eq!(broken("from = 0.0", "from = 0.1").field, "tiers[1].from");

    // An unknown field: the TOML reader's refusal, with its line and the field's name.
    let e = broken("cap = 50000", "kap = 50000");
    assert_eq!((e.line, e.field.as_str()), (line_of("cap = 50000"), "kap"));
    let e = broken("multiplier = 1.4", "multiplier = 1.4\nbonus = 1");
    assert_eq!(e.field, "bonus");

    // A plan-level key under a band that is not the last: refused, not silently dropped.
    let e = broken(
        "from = 0.5\nto = 1.0\nmultiplier = 1.0",
        "from = 0.5\nto = 1.0\nmultiplier = 1.0\ncap = 10",
    );
    assert_eq!(e.field, "tiers[2].cap");
    assert_eq!(
        broken("multiplier = 1.4", "multiplier = 1000").field,
        "tiers[3].multiplier"
    );

    // Values that cannot be.
    assert_eq!(
        broken("tiering = \"marginal\"", "tiering = \"stepped\"").line,
        line_of("tiering")
    );
    assert_eq!(
        broken("effective_to = \"2026-12-31\"", "effective_to = \"2025-12-31\"").field,
        "effective_to"
    );
    assert_eq!(
        broken("effective_from = \"2026-01-01\"", "effective_from = \"2026/01/01\"").field,
        "effective_from"
    );
    assert_eq!(
        broken("rate_field = \"Type\"", "rate_field = \"Colour\"").field,
        "rate_field"
    );
    assert_eq!(broken("cap = 50000", "cap = -1").field, "cap");
    assert_eq!(
        broken("clawback_days = 90", "clawback_days = -3").field,
        "clawback_days"
    );
    assert_eq!(
        broken("departments = [\"销售中心\"]", "departments = []").field,
        "departments"
    );
    let e = broken("id = \"sales-2026\"", "id = \"\"");
    assert_eq!((e.line, e.field.as_str()), (line_of("id = "), "id"));
    assert!(
        e.message(uplift_domain::Lang::Zh)
            .starts_with(&format!("第 {} 行，id：", e.line))
    );
}

#[test]
fn tiers_are_optional_and_bands_above_the_last_end_keep_its_multiplier() {
    let flat = Plan::parse(
        "id = \"flat\"\nname = \"x\"\neffective_from = \"2026-01-01\"\nemployees = [\"E1\"]\ndefault_rate = 0.01\n",
    )
    .unwrap();
    assert!(flat.tiers.is_empty());
    assert_eq!(
        (flat.period, flat.basis, flat.tiering),
        (PeriodKind::Month, Basis::Signed, Tiering::Marginal)
    );
    let closed = Plan::parse(&CONTRACT_PLAN.replacen(
        "from = 1.0\nmultiplier = 1.4",
        "from = 1.0\nto = 2.0\nmultiplier = 1.4",
        1,
    ))
    .unwrap();
    assert_eq!(
        closed.tier_of(Decimal::new(25, 1)).unwrap().multiplier,
        Decimal::new(14, 1)
    );
    assert_eq!(closed.tier_of(Decimal::new(5, 1)).unwrap().multiplier, Decimal::ONE);
    assert_eq!(closed.tier_of(Decimal::new(49, 2)).unwrap().multiplier, Decimal::ZERO);
}
