//! `uplift bench payroll`: the payroll engine alone on a synthetic company, twelve months each
//! (五险一金 + cumulative IIT + the June bonus): person by person in one thread, and a month of
//! everyone at a time through `pay_all` as a run calls it.

// Amounts are written in fen with the yuan grouped: 3_000_00 is 3,000.00 yuan.
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::NaiveDate;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use uplift_payroll::{BonusMethod, Cumulative, Job, PayInput, Payslip, pay, pay_all, shipped};

use super::machine;

pub(super) fn engine(employees: usize, runs: usize, seed: u64) -> anyhow::Result<i32> {
    println!("machine: {}", machine());
    let set = shipped();
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("valid date");
    let cities = [
        set.city("shanghai", day).expect("shipped").clone(),
        set.city("beijing", day).expect("shipped").clone(),
    ];
    let tax = set.tax(day).expect("shipped").clone();
    let mut rng = SmallRng::seed_from_u64(seed);
    let people: Vec<(usize, PayInput)> = (0..employees)
        .map(|_| {
            let base = rng.random_range(3_000_00..80_000_00);
            let input = PayInput {
                base_pay: base,
                allowance: rng.random_range(0..2_000_00),
                commission: if rng.random_bool(0.4) {
                    rng.random_range(0..50_000_00)
                } else {
                    0
                },
                si_base: base,
                hf_base: base,
                contributes: true,
                bonus_separate_allowed: true,
                special_additional_cum: rng.random_range(0..4i64) * 1_000_00,
                ..PayInput::default()
            };
            (rng.random_range(0..2), input)
        })
        .collect();
    let mut times = Vec::with_capacity(runs);
    let mut single = Vec::with_capacity(runs);
    let mut checksum = 0i64;
    for _ in 0..runs.max(1) {
        // Jobs are built outside the timing: the run builds them from the database anyway.
        let mut priors = vec![Cumulative::default(); people.len()];
        let mut slips = vec![Payslip::default(); people.len()];
        let mut elapsed = std::time::Duration::ZERO;
        let mut total = 0i64;
        for month in 1..=12u32 {
            let inputs: Vec<PayInput> = people.iter().map(|(_, base)| input_of(base, month)).collect();
            let jobs: Vec<Job> = people
                .iter()
                .zip(&inputs)
                .zip(&priors)
                .map(|(((city, _), input), prior)| Job {
                    city: &cities[*city],
                    tax: &tax,
                    input,
                    prior,
                })
                .collect();
            let started = Instant::now();
            let failed = pay_all(&jobs, &mut slips);
            elapsed += started.elapsed();
            if let Some((i, e)) = failed.first() {
                anyhow::bail!("the synthetic company cannot pay person {i}: {e}");
            }
            drop(jobs);
            for (prior, slip) in priors.iter_mut().zip(&slips) {
                total += slip.net;
                *prior = slip.cum;
            }
        }
        times.push(elapsed);
        checksum = total;

        // The same year one person after another, in one thread.
        let started = Instant::now();
        let mut serial_total = 0i64;
        for (city, base) in &people {
            let mut prior = Cumulative::default();
            for month in 1..=12u32 {
                let slip = pay(&cities[*city], &tax, &input_of(base, month), &prior)?;
                serial_total += slip.net;
                prior = slip.cum;
            }
        }
        single.push(started.elapsed());
        anyhow::ensure!(serial_total == total, "batch and one-by-one pay differ");
    }
    single.sort();
    println!(
        "one thread: best {:.1} ms, median {:.1} ms",
        single[0].as_secs_f64() * 1e3,
        single[single.len() / 2].as_secs_f64() * 1e3
    );
    times.sort();
    println!(
        "payroll engine (pay_all, all cores): {employees} employees × 12 months = {} payslips; best {:.1} ms, median {:.1} ms over {} runs (net total {checksum} fen)",
        employees * 12,
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times.len()
    );
    Ok(0)
}

/// The person's month: the declared deductions accumulate; the June bonus is a month's base pay.
fn input_of(base: &PayInput, month: u32) -> PayInput {
    PayInput {
        month,
        special_additional_cum: base.special_additional_cum * i64::from(month),
        annual_bonus: if month == 6 { base.base_pay } else { 0 },
        bonus_method: BonusMethod::Separate,
        ..*base
    }
}
