//! Properties the issue names, over many random people: cumulative tax never decreases within a
//! year; withholding is monotone in income; a separately taxed bonus nets less only inside the
//! zones; 五险一金 stay within the clamped base × rate. Seeded, so a failure replays.

// Amounts are written in fen with the yuan grouped: 36_001_00 is 36,001.00 yuan.
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::NaiveDate;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uplift_payroll::iit::{self, Cumulative};
use uplift_payroll::*;

fn policies() -> (CityPolicy, TaxPolicy) {
    let set = shipped();
    let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    (set.city("shanghai", d).unwrap().clone(), set.tax(d).unwrap().clone())
}

fn random_input(rng: &mut SmallRng, month: u32) -> PayInput {
    let base = rng.random_range(8_000_00..80_000_00);
    PayInput {
        month,
        base_pay: base,
        allowance: rng.random_range(0..3_000_00),
        commission: if rng.random_bool(0.5) {
            rng.random_range(0..60_000_00)
        } else {
            0
        },
        performance_bonus: rng.random_range(0..5_000_00),
        absence_days_h: if rng.random_bool(0.2) {
            rng.random_range(0..500)
        } else {
            0
        },
        si_base: base,
        hf_base: base,
        contributes: true,
        bonus_separate_allowed: true,
        special_additional_cum: rng.random_range(0..4i64) * 1_000_00 * i64::from(month),
        basic_rule: match rng.random_range(0..3) {
            0 => BasicRule::Monthly,
            1 => BasicRule::FirstJobThisYear,
            _ => BasicRule::SixtyThousand,
        },
        ..PayInput::default()
    }
}

#[test]
fn cumulative_tax_withheld_never_decreases_within_a_year() {
    let (city, tax) = policies();
    let mut rng = SmallRng::seed_from_u64(19);
    for _ in 0..2_000 {
        let mut prior = Cumulative::default();
        let first = random_input(&mut rng, 1);
        for month in 1..=12 {
            let mut i = random_input(&mut rng, month);
            // One person's declarations and rule hold all year (a withdrawn declaration may
            // legitimately take more tax than a month's pay).
            i.basic_rule = first.basic_rule;
            i.special_additional_cum = first.special_additional_cum * i64::from(month);
            let slip = pay(&city, &tax, &i, &prior).unwrap();
            assert!(slip.iit_withheld >= 0);
            assert!(
                slip.cum.withheld >= prior.withheld,
                "month {month}: {:?} after {:?}",
                slip.cum,
                prior
            );
            assert_eq!(slip.cum.withheld, prior.withheld + slip.iit_withheld);
            // Withheld so far covers the cumulative tax (tax is never under-withheld).
            assert!(slip.cum.withheld >= slip.cum.tax);
            prior = slip.cum;
        }
    }
}

#[test]
fn withholding_is_monotone_in_income() {
    let (_, tax) = policies();
    let mut rng = SmallRng::seed_from_u64(7);
    for _ in 0..20_000 {
        let month = rng.random_range(1..=12);
        let prior = Cumulative {
            income: rng.random_range(0..600_000_00),
            basic: 5_000_00 * i64::from(month - 1),
            special: rng.random_range(0..40_000_00),
            withheld: rng.random_range(0..30_000_00),
            ..Cumulative::default()
        };
        let low = rng.random_range(0..100_000_00);
        let high = low + rng.random_range(0..50_000_00);
        let wm = |income| iit::WageMonth {
            month,
            income,
            special: 3_500_00,
            special_additional_cum: 0,
            other: 0,
            basic_rule: BasicRule::Monthly,
        };
        let a = iit::cumulative_withholding(&tax, &prior, wm(low)).withheld;
        let b = iit::cumulative_withholding(&tax, &prior, wm(high)).withheld;
        assert!(b >= a, "income {low} → {a}, {high} → {b}");
    }
}

#[test]
fn a_bigger_bonus_nets_less_only_inside_the_zones() {
    let (_, tax) = policies();
    let zones = iit::bonus_zones(&tax);
    let net = |b: i64| b - iit::bonus_separate_tax(&tax, b);
    let mut rng = SmallRng::seed_from_u64(3);
    let mut inside = 0;
    for _ in 0..50_000 {
        let a = rng.random_range(0..1_500_000_00);
        let b = a + rng.random_range(1..2_000_000);
        if net(b) < net(a) {
            inside += 1;
            assert!(
                zones.iter().any(|(from, to)| b > *from && b <= *to),
                "bonus {b} nets less than {a} outside every zone"
            );
        }
    }
    assert!(inside > 0, "the sample never met a zone");
}

#[test]
fn contributions_stay_within_the_clamped_base_times_rate() {
    let (city, _) = policies();
    let mut rng = SmallRng::seed_from_u64(11);
    for _ in 0..20_000 {
        let base = rng.random_range(0..100_000_00);
        let c = contributions(&city, base, base, None).unwrap();
        for (i, s) in city.schemes.iter().enumerate() {
            let Some(s) = s else { continue };
            let clamped = base.clamp(s.floor, s.cap);
            assert_eq!(c.base[i], clamped);
            // Rounded to the fen: within half a fen of the exact product.
            let exact = clamped as i128 * s.employee_rate.0 as i128;
            assert!((c.employee[i] as i128 * 1_000_000 - exact).abs() <= 500_000);
            assert!(c.employee[i] <= rate::mul_fen(s.cap, s.employee_rate));
        }
        let hf = &city.housing_fund;
        let hf_base = base.clamp(hf.floor, hf.cap);
        // To the yuan: within half a yuan.
        assert!((c.hf_employee as i128 * 1_000_000 - hf_base as i128 * hf.default_rate.0 as i128).abs() <= 50_000_000);
    }
}
