//! The reference's test vectors (docs/reference/payroll-cn.md): T1–T4, B1–B5 and the zones,
//! L2–L8, S1/S3, W2, W9, computed with the shipped policy files.

// Amounts are written in fen with the yuan grouped: 36_001_00 is 36,001.00 yuan.
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::NaiveDate;
use uplift_payroll::iit::{self, Cumulative, WageMonth};
use uplift_payroll::*;

fn y(yuan: i64) -> i64 {
    yuan * 100
}
fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn tax() -> TaxPolicy {
    shipped().tax(day("2026-03-01")).unwrap().clone()
}
fn shanghai() -> CityPolicy {
    shipped().city("上海", day("2025-09-01")).unwrap().clone()
}

/// Runs a year of wages through the cumulative method; returns each month's withholding.
fn year(incomes: &[i64], special: &[i64], sad_cum: &[i64], rule: BasicRule) -> Vec<i64> {
    let t = tax();
    let mut prior = Cumulative::default();
    let mut out = Vec::new();
    for (i, income) in incomes.iter().enumerate() {
        let r = iit::cumulative_withholding(
            &t,
            &prior,
            WageMonth {
                month: i as u32 + 1,
                income: *income,
                special: special[i],
                special_additional_cum: sad_cum[i],
                other: 0,
                basic_rule: rule,
            },
        );
        out.push(r.withheld);
        prior = r.cum;
    }
    out
}

#[test]
fn t1_the_61_hao_example_over_a_whole_year() {
    let w = year(
        &[y(30_000); 12],
        &[y(4_500); 12],
        &(1..=12).map(|m| y(2_000) * m).collect::<Vec<_>>(),
        BasicRule::Monthly,
    );
    assert_eq!(&w[..3], &[y(555), y(625), y(1_850)]);
    assert_eq!(&w[3..7], &[y(1_850); 4]);
    assert_eq!(w[7], y(2_250));
    assert_eq!(&w[8..], &[y(3_700); 4]);
    assert_eq!(w.iter().sum::<i64>(), y(27_480));
}

#[test]
fn t2_and_t3_steady_wages() {
    let w = year(&[y(8_000); 12], &[y(1_000); 12], &[0; 12], BasicRule::Monthly);
    assert_eq!(w, vec![y(60); 12]);
    let w = year(&[y(5_500); 12], &[y(600); 12], &[0; 12], BasicRule::Monthly);
    assert_eq!(w, vec![0; 12]);
}

#[test]
fn t4_a_late_declaration_is_never_refunded_within_the_year() {
    let w = year(
        &[y(20_000), y(2_000), y(20_000), y(20_000)],
        &[y(2_000); 4],
        &[0, y(10_000), y(15_000), y(20_000)],
        BasicRule::Monthly,
    );
    assert_eq!(w, vec![y(390), 0, 0, y(30)]);
}

#[test]
fn first_job_and_sixty_thousand_rules_change_the_basic_deduction() {
    let t = tax();
    // A graduate hired in July: 35,000 of basic deduction in the first month.
    let r = iit::cumulative_withholding(
        &t,
        &Cumulative::default(),
        WageMonth {
            month: 7,
            income: y(40_000),
            special: 0,
            special_additional_cum: 0,
            other: 0,
            basic_rule: BasicRule::FirstJobThisYear,
        },
    );
    assert_eq!(r.cum.basic, y(35_000));
    assert_eq!(r.withheld, y(150)); // 5,000 × 3%
    // 60,000 from January: no tax until income passes 60,000.
    let w = year(&[y(7_000); 12], &[0; 12], &[0; 12], BasicRule::SixtyThousand);
    assert_eq!(&w[..8], &[0; 8]); // 56,000 ≤ 60,000
    assert_eq!(w[8], y(90)); // 63,000 − 60,000 = 3,000 × 3%
    assert_eq!(w[9], y(210));
}

#[test]
fn b_vectors_and_the_bonus_zones() {
    let t = tax();
    for (bonus, expected) in [
        (12_000_00, 360_00),
        (36_000_00, 1_080_00),
        (36_001_00, 3_390_10),
        (144_000_00, 14_190_00),
    ] {
        assert_eq!(iit::bonus_separate_tax(&t, bonus), expected, "bonus {bonus}");
    }
    let zones = iit::bonus_zones(&t);
    assert_eq!(
        zones,
        vec![
            (36_000_00, 38_566_67),
            (144_000_00, 160_500_00),
            (300_000_00, 318_333_33),
            (420_000_00, 447_500_00),
            (660_000_00, 706_538_46),
            (960_000_00, 1_120_000_00)
        ]
    );
    assert_eq!(iit::bonus_zone(&t, 36_001_00), Some((36_000_00, 38_566_67)));
    assert_eq!(iit::bonus_zone(&t, 38_566_68), None);
    // On each zone's upper edge the net equals the seam's net (to the fen).
    for (from, to) in zones {
        let net = |b| b - iit::bonus_separate_tax(&t, b);
        assert!((net(to) - net(from)).abs() <= 1, "zone {from}–{to}");
        assert!(net(from + 100) < net(from));
    }
}

#[test]
fn l_vectors_labour_remuneration() {
    let t = tax();
    for (gross, amount, tax_due) in [(2_000, 1_200, 240), (4_000, 3_200, 640), (30_000, 24_000, 5_200)] {
        let l = iit::labour_tax_resident(&t, y(gross));
        assert_eq!((l.income_amount, l.tax), (y(amount), y(tax_due)), "gross {gross}");
    }
    // 60,000 → 48,000 × 30% − 2,000 = 12,400; non-resident 48,000 on the monthly table: × 30% − 4,410.
    assert_eq!(iit::labour_tax_resident(&t, y(60_000)).tax, y(12_400));
    assert_eq!(iit::labour_tax_non_resident(&t, y(60_000)).tax, y(9_990));
}

#[test]
fn s_vectors_shanghai_contributions() {
    let sh = shanghai();
    let c = contributions(&sh, y(20_000), y(20_000), Some(Rate(70_000))).unwrap();
    assert_eq!(c.employee_total(), y(3_500));
    assert_eq!(c.employer_total(), y(6_540));
    let c = contributions(&sh, y(6_000), y(6_000), None).unwrap();
    assert_eq!(c.base[Insurance::Pension as usize], y(7_460));
    assert_eq!(c.employee_total(), 1_203_30);
    assert_eq!(c.employer_total(), 2_337_22);
    // HF each side to the yuan: 21,750 × 7% = 1,522.50 → 1,523.
    let c = contributions(&sh, y(21_750), y(21_750), None).unwrap();
    assert_eq!(c.hf_employee, y(1_523));
    // 12% is outside Shanghai's 5–7%.
    assert_eq!(
        contributions(&sh, y(20_000), y(20_000), Some(Rate(120_000)))
            .unwrap_err()
            .max,
        Rate(70_000)
    );
    // Beijing adds 3 yuan to the employee's medical.
    let bj = shipped().city("Beijing", day("2026-03-01")).unwrap().clone();
    let c = contributions(&bj, y(20_000), y(20_000), None).unwrap();
    assert_eq!(c.employee[Insurance::Medical as usize], y(403));
}

#[test]
fn the_city_table_follows_the_month() {
    let set = shipped();
    assert_eq!(
        set.city("shanghai", day("2026-06-30")).unwrap().schemes[0]
            .unwrap()
            .floor,
        y(7_460)
    );
    assert_eq!(
        set.city("上海市", day("2026-07-01")).unwrap().schemes[0].unwrap().floor,
        y(7_546)
    );
    assert!(set.city("上海", day("2025-06-01")).is_none());
    assert!(set.knows_city("上海"));
    assert!(!set.city("shenzhen", day("2026-01-01")).unwrap().quality.verified());
}

#[test]
fn w2_overtime_and_w9_unused_leave() {
    let t = tax();
    let pay = overtime_pay(
        &t,
        y(21_750),
        OvertimeHours {
            weekday_h: 200,
            rest_day_h: 300,
            holiday_h: 300,
        },
    );
    assert_eq!(pay, y(2_250));
    // Leaves 2026-03-13: 72 days elapsed of 365 × 10 days = 1.97 → 1 day; extra 200% of 2,000.
    let days = leaver_leave_days(10, 72, 365, 0);
    assert_eq!(days, 1);
    assert_eq!(unused_leave_pay(&t, y(43_500), days), y(4_000));
    assert_eq!(joiner_leave_days(5, 200, 365), 2);
}

#[test]
fn the_2026_calendar_has_248_working_days() {
    let set = shipped();
    let cal = set.calendar(2026).unwrap();
    let per_month: Vec<i64> = (1..=12)
        .map(|m| {
            let first = NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
            let last = first
                .checked_add_months(chrono::Months::new(1))
                .unwrap()
                .pred_opt()
                .unwrap();
            cal.working_days(first, last)
        })
        .collect();
    assert_eq!(per_month, vec![21, 16, 22, 21, 19, 21, 23, 21, 22, 18, 21, 23]);
    assert_eq!(per_month.iter().sum::<i64>(), 248);
}

fn input(base: i64) -> PayInput {
    PayInput {
        month: 3,
        base_pay: base,
        si_base: base,
        hf_base: base,
        contributes: true,
        bonus_separate_allowed: true,
        ..PayInput::default()
    }
}

#[test]
fn a_month_of_pay_with_absence_bonus_and_its_explanation() {
    let (sh, t) = (shanghai(), tax());
    let prior = Cumulative {
        income: y(40_000),
        basic: y(10_000),
        special: y(7_000),
        tax: y(690),
        withheld: y(690),
        ..Cumulative::default()
    };
    let mut i = input(y(20_000));
    i.absence_days_h = 150; // 1.5 days: 20,000 × 1.5 ÷ 21.75 = 1,379.31
    i.commission = y(1_000);
    i.annual_bonus = y(36_001);
    let slip = pay(&sh, &t, &i, &prior).unwrap();
    assert_eq!(slip.absence_deduction, 1_379_31);
    assert_eq!(slip.gross, y(21_000) - 1_379_31);
    assert_eq!(slip.contributions.employee_total(), y(3_500));
    // cumulative: 59,620.69 − 15,000 − 10,500 = 34,120.69 × 3% = 1,023.62 − 690 = 333.62
    assert_eq!(slip.cum.taxable(), 3_412_069);
    assert_eq!(slip.iit_withheld, 333_62);
    assert_eq!(slip.bonus_iit, 3_390_10);
    assert_eq!(slip.bonus_zone, Some((36_000_00, 38_566_67)));
    assert_eq!(slip.net, slip.gross + y(36_001) - y(3_500) - 333_62 - 3_390_10);
    // Merged instead: the bonus joins this month's income at 10% and is dearer here.
    i.bonus_method = BonusMethod::Merged;
    let merged = pay(&sh, &t, &i, &prior).unwrap();
    assert_eq!(merged.bonus_iit, slip.bonus_iit_other);
    assert_eq!(merged.bonus_iit_other, slip.bonus_iit);
    assert_eq!(merged.cum.income, slip.cum.income + y(36_001));
    // After the policy's end date separate taxation is not offered.
    i.bonus_method = BonusMethod::Separate;
    i.bonus_separate_allowed = false;
    assert_eq!(pay(&sh, &t, &i, &prior).unwrap().bonus_method, BonusMethod::Merged);

    let lines = lines(
        &sh,
        &t,
        &input(y(20_000)),
        &prior,
        &pay(&sh, &t, &input(y(20_000)), &prior).unwrap(),
        &[],
        uplift_domain::Lang::Zh,
    );
    let iit = lines.iter().find(|l| l.key == "iit").unwrap();
    // 60,000 − 15,000 − 10,500 = 34,500 × 3% − 0 − 690 = 345
    assert_eq!(iit.formula, "累计应纳税所得额 34,500 × 3% − 0 − 已预缴 690 = 345");
    assert_eq!(iit.amount, y(345));
    let hf = lines.iter().find(|l| l.key == "hf_employee").unwrap();
    assert_eq!(hf.formula, "20,000 × 7%（四舍五入到元）");
    let net = lines.iter().find(|l| l.key == "net").unwrap();
    assert_eq!(net.formula, "20,000 − 3,500 − 345 = 16,155");
}

#[test]
fn t1_march_is_explained_as_the_issue_writes_it() {
    let t = tax();
    let sh = shanghai();
    let prior = Cumulative {
        income: y(60_000),
        basic: y(10_000),
        special: y(9_000),
        special_additional: y(4_000),
        tax: y(1_180),
        withheld: y(1_180),
        other: 0,
    };
    let mut i = input(y(30_000));
    i.contributes = false; // T1 states SI+HF as 4,500: passed as another deduction-free input below
    i.other_pretax_deduction = y(4_500);
    i.special_additional_cum = y(6_000);
    let slip = pay(
        &sh,
        &t,
        &i,
        &Cumulative {
            other: prior.special,
            special: 0,
            ..prior
        },
    )
    .unwrap();
    assert_eq!(slip.iit_withheld, y(1_850));
    let l = lines(
        &sh,
        &t,
        &i,
        &Cumulative {
            other: prior.special,
            special: 0,
            ..prior
        },
        &slip,
        &[],
        uplift_domain::Lang::Zh,
    );
    assert_eq!(
        l.iter().find(|l| l.key == "iit").unwrap().formula,
        "累计应纳税所得额 55,500 × 10% − 2,520 − 已预缴 1,180 = 1,850"
    );
}

#[test]
fn non_residents_use_the_monthly_table_without_relief() {
    let mut i = input(y(20_000));
    i.tax_status = TaxStatus::NonResident;
    let slip = pay(&shanghai(), &tax(), &i, &Cumulative::default()).unwrap();
    assert_eq!(slip.iit_withheld, y(1_590)); // 15,000 × 20% − 1,410
    i.annual_bonus = y(1);
    assert_eq!(
        pay(&shanghai(), &tax(), &i, &Cumulative::default()),
        Err(PayError::NonResidentBonus)
    );
}

#[test]
fn a_month_that_would_pay_less_than_nothing_is_refused() {
    let mut i = input(y(8_000));
    i.post_tax_deduction = y(9_000);
    assert!(matches!(
        pay(&shanghai(), &tax(), &i, &Cumulative::default()),
        Err(PayError::NegativeNet { .. })
    ));
    i.post_tax_deduction = 0;
    i.absence_days_h = 3000; // 30 days: the deduction stops at the month's pay, SI is still due
    assert_eq!(absence_deduction(&tax(), y(8_000), 3000), y(8_000));
    assert!(matches!(
        pay(&shanghai(), &tax(), &i, &Cumulative::default()),
        Err(PayError::NegativeNet { .. })
    ));
}
