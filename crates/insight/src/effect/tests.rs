//! Tests of `effect`.

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

const BASE: i32 = 2025 * 12 + 2; // March 2025: 12 pre months, then 6 from March 2026.
const START: i32 = BASE + 12;

/// 40 treated + 160 control people × 18 months. value = 30,000 + person effect (the treated sit
/// 4,000 higher) + month effect + `gap`·month for the treated + `effect` once treated + noise
/// (sd 3,000). `unbalanced`: a tenth only pre-period, a tenth only post-period, the rest join
/// and leave at random.
fn panel(seed: u64, effect: f64, gap: f64, unbalanced: bool) -> EffectInput {
    let mut rng = SmallRng::seed_from_u64(seed);
    let month_fx: Vec<f64> = (0..18)
        .map(|m| 1_500.0 * (m as f64 / 2.0).sin() + 1_000.0 * normal(&mut rng))
        .collect();
    let mut rows = Vec::new();
    for u in 0..200 {
        let treated = u < 40;
        let unit_fx = 8_000.0 * normal(&mut rng) + indicator(treated) * 4_000.0;
        let (from, to) = match (unbalanced, u % 10) {
            (false, _) => (0, 18),
            (true, 0) => (0, 8),
            (true, 1) => (13, 18),
            _ => (rng.random_range(0..6), rng.random_range(14..=18)),
        };
        for m in from..to {
            let own = indicator(treated) * (gap * f64::from(m) + indicator(m >= 12) * effect);
            let value = 30_000.0 + unit_fx + month_fx[m as usize] + own + 3_000.0 * normal(&mut rng);
            let (unit, month) = (format!("P{u}"), BASE + m);
            rows.push(PanelRow {
                unit,
                month,
                value,
                treated,
            });
        }
    }
    EffectInput { rows, start: START }
}

fn run(label: &str, input: &EffectInput) -> EffectReport {
    let r = evaluate_effect(input).unwrap();
    eprintln!(
        "{label}: {:.0} [{:.0}, {:.0}] p={:.3} {:?}",
        r.estimate, r.ci_low, r.ci_high, r.p_value, r.verdict
    );
    r
}

#[test]
fn a_planted_effect_is_recovered_and_called_an_improvement() {
    let r = run("planted", &panel(1, 5_000.0, 0.0, false));
    assert!(r.ci_low < 5_000.0 && 5_000.0 < r.ci_high);
    assert_eq!(r.verdict, Verdict::Improved);
    assert_eq!(
        (r.treated_n, r.control_n, r.pre_months, r.post_months),
        (40, 160, 12, 6)
    );
    assert!(r.pre_trend.tested && r.pre_trend.parallel);
    assert!(r.placebo.as_ref().is_some_and(|p| p.passed && p.start == BASE + 6));
    assert_eq!((r.series.len(), r.series[12].0), (18, START));
    // The raw means show the jump too: the treated gain about 5,000 more than the control.
    let raw = (r.treated_post_mean - r.treated_pre_mean) - (r.control_post_mean - r.control_pre_mean);
    assert!((raw - 5_000.0).abs() < 1_000.0, "{raw}");
}

#[test]
fn no_effect_is_inconclusive_and_rarely_significant() {
    let r = run("null", &panel(2, 0.0, 0.0, false));
    assert!(r.ci_low < 0.0 && 0.0 < r.ci_high);
    assert_eq!(r.verdict, Verdict::Inconclusive);
    // The nominal false-positive rate is 5%: at most 2 of 20 null panels may come out significant.
    let significant = (100..120).filter(|&s| evaluate_effect(&panel(s, 0.0, 0.0, false)).unwrap().p_value < 0.05);
    let significant = significant.count();
    eprintln!("null: {significant} of 20 significant");
    assert!(significant <= 2);
}

#[test]
fn a_diverging_pre_trend_is_caught_and_blocks_the_verdict() {
    let r = run("diverging", &panel(3, 0.0, 800.0, false));
    assert!(r.ci_low > 0.0, "the naive DiD sees an effect");
    assert!(!r.pre_trend.parallel && (r.pre_trend.slope_gap - 800.0).abs() < 200.0);
    assert!(!r.placebo.unwrap().passed);
    assert_eq!(r.verdict, Verdict::Inconclusive);
}

#[test]
fn an_unbalanced_panel_with_bad_values_still_recovers_the_effect() {
    let mut input = panel(4, 5_000.0, 0.0, true);
    for (i, bad) in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY].into_iter().enumerate() {
        input.rows[i * 7].value = bad;
    }
    let r = run("unbalanced", &input);
    assert!(r.ci_low < 5_000.0 && 5_000.0 < r.ci_high);
    assert_eq!(r.verdict, Verdict::Improved);
    assert_eq!((r.treated_n, r.control_n), (40, 160));
}

/// The demeaned estimate is the one of least squares with a dummy per person and per month.
#[test]
fn matches_the_dummy_variable_regression_on_an_unbalanced_panel() {
    let mut input = panel(5, 2_000.0, 0.0, true);
    input.rows.retain(|r| r.unit[1..].parse::<usize>().unwrap() % 5 == 0); // 8 treated, 32 control
    let r = evaluate_effect(&input).unwrap();
    let rows = &input.rows;
    let units: Vec<String> = (0..200).step_by(5).map(|u| format!("P{u}")).collect();
    let x = DMatrix::from_fn(rows.len(), 1 + units.len() + 17, |i, j| match j {
        0 => indicator(rows[i].treated && rows[i].month >= START),
        j if j <= units.len() => indicator(units[j - 1] == rows[i].unit),
        j => indicator(rows[i].month == BASE + (j - units.len()) as i32),
    });
    let y = DVector::from_iterator(rows.len(), rows.iter().map(|r| r.value));
    let beta = x.svd(true, true).solve(&y, 1e-9).unwrap()[0];
    assert!(
        (beta - r.estimate).abs() < 1e-6 * beta.abs(),
        "{beta} vs {}",
        r.estimate
    );
}

#[test]
fn degenerate_inputs_are_refused() {
    use EffectError::*;
    let empty = EffectInput {
        rows: vec![],
        start: START,
    };
    assert_eq!(evaluate_effect(&empty), Err(NoTreated));
    type Edit = fn(&mut EffectInput);
    let cases: [(Edit, EffectError); 7] = [
        (|i| i.rows.iter_mut().for_each(|r| r.treated = false), NoTreated),
        (|i| i.rows.iter_mut().for_each(|r| r.value = f64::NAN), NoTreated),
        (|i| i.rows.iter_mut().for_each(|r| r.treated = true), NoControl),
        (|i| i.start = BASE, NoPrePeriod),
        (|i| i.start = BASE + 18, NoPostPeriod),
        (
            |i| i.rows.retain(|r| !r.treated || r.unit == "P0"),
            TooFewUnits {
                treated: 1,
                control: 160,
            },
        ),
        // Two treated people, one seen only before the start, the other only after.
        (
            |i| {
                i.rows
                    .retain(|r| !r.treated || [("P0", true), ("P1", false)].contains(&(&*r.unit, r.month < START)))
            },
            NotIdentified,
        ),
    ];
    let base = panel(6, 0.0, 0.0, false);
    for (edit, error) in cases {
        let mut input = base.clone();
        edit(&mut input);
        assert_eq!(evaluate_effect(&input), Err(error));
    }
}

#[test]
fn a_single_pre_month_cannot_vouch_for_parallel_trends() {
    let mut input = panel(7, 5_000.0, 0.0, false);
    input.rows.retain(|r| r.month >= START - 1);
    let r = run("one pre month", &input);
    assert!(!r.pre_trend.tested && r.placebo.is_none());
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(r.verdict.label_zh(), "无法确认");
}

/// Eight departments of 20 people; each department shifts by its own `shocks[d]` from the start,
/// the treated one (D0) by `effect` on top.
fn departments(seed: u64, effect: f64, shocks: [f64; 8]) -> (Vec<PanelRow>, Vec<PanelRow>, f64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    for u in 0..160 {
        let d = u / 20;
        let unit_fx = 5_000.0 * normal(&mut rng);
        for m in 0..18 {
            let after = m >= 12;
            let own = indicator(after) * (shocks[d] + indicator(d == 0) * effect);
            rows.push(PanelRow {
                unit: format!("D{d}-P{u}"),
                month: BASE + m,
                value: 30_000.0 + unit_fx + own + 2_000.0 * normal(&mut rng),
                treated: d == 0,
            });
        }
    }
    let estimate = evaluate_effect(&EffectInput {
        rows: rows.clone(),
        start: START,
    })
    .unwrap()
    .estimate;
    let control: Vec<PanelRow> = rows.iter().filter(|r| !r.treated).cloned().collect();
    (rows, control, estimate)
}

fn dept_of(unit: &str) -> Option<String> {
    unit.split('-').next().map(str::to_string)
}

#[test]
fn a_department_programme_must_stand_out_from_other_departments() {
    // A real +6,000 with small department shocks: it stands out.
    let (_, control, est) = departments(1, 6_000.0, [0.0, 300.0, -400.0, 200.0, -300.0, 500.0, -200.0, 100.0]);
    let sp = space_placebo(&control, &dept_of, START, est).expect("7 departments");
    assert_eq!(sp.departments, 7);
    assert!(sp.passed, "{sp:?} for {est}");
    // No programme, but departments swing by thousands on their own and D0's swing is ordinary:
    // the person-clustered interval excludes zero; the placebo in space sees that
    // most other departments moved as much.
    let shocks = [
        3_000.0, -4_000.0, 5_000.0, -2_500.0, 4_500.0, -3_500.0, 2_000.0, 6_000.0,
    ];
    let (rows, control, est) = departments(2, 0.0, shocks);
    let sp = space_placebo(&control, &dept_of, START, est).expect("7 departments");
    let naive = evaluate_effect(&EffectInput { rows, start: START }).unwrap();
    assert!(
        naive.ci_low > 0.0,
        "the person-clustered interval alone excludes zero: {naive:?}"
    );
    assert!(!sp.passed && sp.as_large >= 3, "{sp:?}");
    // Too few departments: no verdict from it.
    let few: Vec<PanelRow> = control
        .into_iter()
        .filter(|r| r.unit.starts_with("D1") || r.unit.starts_with("D2"))
        .collect();
    assert!(space_placebo(&few, &dept_of, START, est).is_none());
}
