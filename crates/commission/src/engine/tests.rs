use super::*;
use crate::plan::Plan;
use crate::select::plan_for;
use rand::SeedableRng;
use rand::seq::SliceRandom;

fn plan(tiering: &str) -> Plan {
    let text =
        crate::plan::tests::CONTRACT_PLAN.replacen("tiering = \"marginal\"", &format!("tiering = \"{tiering}\""), 1);
    Plan::parse(&text).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 8, d).unwrap()
}

fn deal(id: &str, d: u32, yuan: i64, kind: &str) -> CreditLine {
    CreditLine {
        opportunity_id: id.into(),
        date: day(d),
        credited_fen: yuan * 100,
        rate_value: Some(kind.into()),
    }
}

/// The contract's worked example: target 200,000; 80,000 Renewal, 90,000 New Customer, 70,000 Renewal.
fn example() -> PersonInput {
    PersonInput {
        credits: vec![
            deal("A", 3, 80_000, "Renewal"),
            deal("B", 10, 90_000, "New Customer"),
            deal("C", 20, 70_000, "Renewal"),
        ],
        target_fen: Some(20_000_000),
        reports_credited_fen: 0,
    }
}

#[test]
fn the_contracts_worked_example_marginal_pays_6080() {
    let s = compute(&plan("marginal"), &example(), LineKind::Deal);
    let pays: Vec<i64> = s.lines.iter().map(|l| l.pay_fen).collect();
    assert_eq!(pays, vec![0, 350_000, 258_000]);
    assert_eq!(s.commission_fen, 608_000);
    assert_eq!(s.attainment, Some(Decimal::new(12, 1)));
    assert_eq!(s.credited_fen, 24_000_000);
    // Line 3: 30,000 in band 2 and 40,000 in band 3.
    let parts: Vec<(Decimal, Decimal)> = s.lines[2].parts.iter().map(|p| (p.amount_fen, p.multiplier)).collect();
    assert_eq!(
        parts,
        vec![
            (Decimal::from(3_000_000), Decimal::ONE),
            (Decimal::from(4_000_000), Decimal::new(14, 1))
        ]
    );
    assert_eq!(
        s.lines[1].explain(Lang::Zh),
        "20,000 × 5%（New Customer） × 0［0%–50%档］ + 70,000 × 5%（New Customer） × 1［50%–100%档］ = 3,500"
    );
    assert_eq!(
        s.explain_attainment(&plan("marginal"), Lang::Zh),
        "达成率 120%，处于 ≥100% 档"
    );
}

#[test]
fn stored_parts_give_back_the_same_line_and_words() {
    let s = compute(&plan("marginal"), &example(), LineKind::Deal);
    for l in &s.lines {
        let text = BandPart::encode(&l.parts);
        assert_eq!(BandPart::decode(&text).as_ref(), Some(&l.parts), "{text}");
    }
    assert_eq!(BandPart::encode(&s.lines[2].parts), "3000000*1@0.5-1;4000000*1.4@1-");
    assert_eq!(BandPart::decode("12*x@0-1"), None);
    assert_eq!(BandPart::decode(""), Some(Vec::new()));
}

#[test]
fn the_contracts_worked_example_whole_pays_12600() {
    let s = compute(&plan("whole"), &example(), LineKind::Deal);
    assert_eq!(s.commission_fen, 1_260_000);
    assert!(s.lines.iter().all(|l| l.multiplier == Decimal::new(14, 1)));
    assert_eq!(
        s.lines[1].explain(Lang::Zh),
        "90,000 × 5%（New Customer） × 1.4［≥100%档］ = 6,300"
    );
}

#[test]
fn below_the_threshold_nothing_is_paid_and_no_target_means_multiplier_one() {
    let mut low = example();
    low.credits.truncate(1); // 80,000 of 200,000: 40%, in the ×0 band
    for t in ["marginal", "whole"] {
        assert_eq!(compute(&plan(t), &low, LineKind::Deal).commission_fen, 0, "{t}");
    }
    let mut none = example();
    none.target_fen = None;
    let s = compute(&plan("marginal"), &none, LineKind::Deal);
    assert_eq!(s.attainment, None);
    // 80,000 × 3% + 90,000 × 5% + 70,000 × 3% = 9,000.
    assert_eq!(s.commission_fen, 900_000);
    assert_eq!(
        s.explain_attainment(&plan("marginal"), Lang::En),
        "no target: no bands, multiplier 1"
    );
    none.target_fen = Some(0);
    assert_eq!(compute(&plan("whole"), &none, LineKind::Deal).commission_fen, 900_000);
}

#[test]
fn the_cap_applies_after_the_override() {
    let mut big = example();
    big.credits.push(deal("D", 25, 2_000_000, "New Customer"));
    big.reports_credited_fen = 100_000_000; // ¥1,000,000 by the direct reports → ¥4,000 override
    let s = compute(&plan("marginal"), &big, LineKind::Deal);
    let over = s.lines.last().unwrap();
    assert_eq!((over.kind, over.pay_fen), (LineKind::Override, 400_000));
    // 6,080 + 2,000,000 × 5% × 1.4 = 146,080, + 4,000 → capped at 50,000.
    assert_eq!(s.uncapped_fen, 608_000 + 14_000_000 + 400_000);
    assert_eq!(s.commission_fen, 5_000_000);
    assert_eq!(
        over.explain(Lang::Zh),
        "1,000,000 × 0.4% = 4,000（直属下级业绩 × 管理提成比例）"
    );
}

#[test]
fn lines_round_half_up_to_the_fen_and_totals_add_rounded_lines() {
    let p = Plan::parse(
        "id = \"r\"\nname = \"r\"\neffective_from = \"2026-01-01\"\nemployees = [\"E\"]\ndefault_rate = 0.015\n",
    )
    .unwrap();
    // 0.30 yuan × 1.5% = 0.45 fen → 0; 1.00 × 1.5% = 1.5 fen → 2 (half up); twice: 4, not round(3.0)=3.
    let input = PersonInput {
        credits: vec![
            CreditLine {
                opportunity_id: "a".into(),
                date: day(1),
                credited_fen: 100,
                rate_value: None,
            },
            CreditLine {
                opportunity_id: "b".into(),
                date: day(2),
                credited_fen: 100,
                rate_value: None,
            },
            CreditLine {
                opportunity_id: "c".into(),
                date: day(3),
                credited_fen: 30,
                rate_value: None,
            },
        ],
        target_fen: None,
        reports_credited_fen: 0,
    };
    let s = compute(&p, &input, LineKind::Deal);
    assert_eq!(s.lines.iter().map(|l| l.pay_fen).collect::<Vec<_>>(), vec![2, 2, 0]);
    assert_eq!(s.commission_fen, 4);
}

#[test]
fn a_reversal_walks_back_down_the_bands() {
    let mut input = example();
    // After 240,000 a 70,000 reversal: back through 40,000 at ×1.4 and 30,000 at ×1 → −2,580.
    input.credits.push(CreditLine {
        credited_fen: -7_000_000,
        ..deal("Z", 30, 0, "Renewal")
    });
    let s = compute(&plan("marginal"), &input, LineKind::Deal);
    assert_eq!(s.lines.last().unwrap().pay_fen, -258_000);
    assert_eq!(s.commission_fen, 350_000);
}

#[test]
fn payable_never_depends_on_the_order_deals_arrive_in() {
    let mut input = example();
    for i in 0..40 {
        input.credits.push(deal(
            &format!("X{i:02}"),
            1 + i % 28,
            1_000 + 997 * i64::from(i),
            if i % 3 == 0 { "New Customer" } else { "Renewal" },
        ));
    }
    for t in ["marginal", "whole"] {
        let p = plan(t);
        let first = compute(&p, &input, LineKind::Deal);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for _ in 0..50 {
            let mut shuffled = input.clone();
            shuffled.credits.shuffle(&mut rng);
            assert_eq!(compute(&p, &shuffled, LineKind::Deal), first, "{t}");
        }
    }
}

#[test]
fn the_most_specific_plan_applies_and_equal_ones_are_an_error() {
    let base = crate::plan::tests::CONTRACT_PLAN;
    let company = Plan::parse(base).unwrap();
    let east = Plan::parse(&base.replacen("sales-2026", "east", 1).replacen(
        "[\"销售中心\"]",
        "[\"销售中心/华东\"]",
        1,
    ))
    .unwrap();
    let named = Plan::parse(
        &base
            .replacen("sales-2026", "named", 1)
            .replacen("employees = []", "employees = [\"E7\"]", 1)
            .replacen("[\"销售中心\"]", "[]", 1),
    )
    .unwrap();
    let plans = vec![company.clone(), east.clone(), named.clone()];
    let d = day(31);
    assert_eq!(
        plan_for(&plans, "E1", Some("销售中心/华南"), d).unwrap().unwrap().id,
        "sales-2026"
    );
    assert_eq!(
        plan_for(&plans, "E1", Some("销售中心/华东/杭州"), d)
            .unwrap()
            .unwrap()
            .id,
        "east"
    );
    assert_eq!(
        plan_for(&plans, "E7", Some("销售中心/华东"), d).unwrap().unwrap().id,
        "named"
    );
    // A prefix is a whole path segment: 销售中心二部 is not under 销售中心.
    assert_eq!(plan_for(&plans, "E1", Some("销售中心二部"), d).unwrap(), None);
    assert_eq!(plan_for(&plans, "E1", None, d).unwrap(), None);
    // Outside the effective dates: none.
    assert_eq!(
        plan_for(
            &plans,
            "E1",
            Some("销售中心"),
            NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()
        )
        .unwrap(),
        None
    );
    // Two plans equally specific.
    let twin = Plan::parse(&base.replacen("sales-2026", "twin", 1)).unwrap();
    let e = plan_for(&[company.clone(), twin], "E1", Some("销售中心/华南"), d).unwrap_err();
    assert_eq!(
        (e.first.as_str(), e.second.as_str(), e.employee_no.as_str()),
        ("sales-2026", "twin", "E1")
    );
    // A later version of the same plan replaces the earlier from its effective date.
    let v2 = Plan::parse(&base.replacen("2026-01-01", "2026-08-01", 1).replacen(
        "default_rate = 0.03",
        "default_rate = 0.02",
        1,
    ))
    .unwrap();
    let versions = vec![company, v2];
    assert_eq!(
        plan_for(&versions, "E1", Some("销售中心"), day(31))
            .unwrap()
            .unwrap()
            .default_rate,
        Decimal::new(2, 2)
    );
    let july = NaiveDate::from_ymd_opt(2026, 7, 31).unwrap();
    assert_eq!(
        plan_for(&versions, "E1", Some("销售中心"), july)
            .unwrap()
            .unwrap()
            .default_rate,
        Decimal::new(3, 2)
    );
}

#[test]
fn a_net_reversal_under_whole_tiers_pays_the_first_band_and_does_not_panic() {
    let input = PersonInput {
        credits: vec![CreditLine {
            credited_fen: -5_000_000,
            ..deal("R", 5, 0, "Renewal")
        }],
        target_fen: Some(20_000_000),
        reports_credited_fen: 0,
    };
    // Attainment −25%: the first band (×0), so nothing is clawed back through the tiers here.
    let s = compute(&plan("whole"), &input, LineKind::Deal);
    assert_eq!(s.attainment, Some(Decimal::new(-25, 2)));
    assert_eq!(s.commission_fen, 0);
    let huge = PersonInput {
        credits: vec![
            deal("H", 5, i64::MAX / 100, "Renewal"),
            deal("I", 6, i64::MAX / 100, "Renewal"),
        ],
        target_fen: None,
        reports_credited_fen: 0,
    };
    let s = compute(&plan("whole"), &huge, LineKind::Deal);
    assert_eq!(s.credited_fen, i64::MAX);
}
