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
use crate::cli::Cli;
use uplift_domain::Lang;

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

/// The database benchmark: salary records and declarations for the whole roster (imported), then
/// every month of `year` run, locked and exported; the runs' times are what the target is about.
pub(super) async fn database(cli: &Cli, year: i32, seed: u64) -> anyhow::Result<i32> {
    let store = crate::cli::open(cli, "uplift.db").await?;
    println!("machine: {}", machine());
    println!("database: {:?}", store.dialect());
    let bench = crate::commands::operator("bench");
    let people = store.employee_keys().await?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let dir = cli.data_dir.join("bench-payroll");
    std::fs::create_dir_all(&dir)?;
    let mut salary = String::from("工号,生效日期,基本工资,岗位津贴,社保城市,公积金比例\n");
    let mut declarations = String::from("工号,起始月份,子女教育,继续教育,住房贷款利息,住房租金,赡养老人,婴幼儿照护\n");
    for p in &people {
        let beijing = rng.random_bool(0.3);
        salary.push_str(&format!(
            "{},{},{},{},{},{}\n",
            p.employee_no,
            p.hire_date,
            rng.random_range(60..=400) * 100,
            500,
            if beijing { "北京" } else { "上海" },
            if beijing { "12%" } else { "7%" }
        ));
        if rng.random_bool(0.4) {
            declarations.push_str(&format!("{},{year}-01,2000,0,0,1500,3000,0\n", p.employee_no));
        }
    }
    std::fs::write(dir.join("薪资档案.csv"), salary)?;
    std::fs::write(dir.join("专项附加扣除.csv"), declarations)?;
    let started = Instant::now();
    let (files, skipped) = uplift_app::import::files_in_dir(&dir)?;
    let report = uplift_app::import::import_files(&store, files, skipped, false, &|_, _| {}).await?;
    anyhow::ensure!(
        report.committed,
        "the payroll files did not import: {:?}",
        report.issue_lines(Lang::En)
    );
    println!(
        "imported salary records and declarations of {} people in {:.1} s",
        people.len(),
        started.elapsed().as_secs_f64()
    );
    for m in 1..=12u32 {
        let month = format!("{year}-{m:02}");
        let started = Instant::now();
        let r = uplift_app::payroll::run(&store, &bench, &month, Lang::En).await?;
        let run = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let rows = uplift_app::payroll::export_rows(&store, &bench, &month, Lang::En).await?;
        let csv = uplift_app::commission::csv(&uplift_app::payroll::EXPORT_COLUMNS, &rows)?;
        let export = started.elapsed().as_secs_f64();
        let started = Instant::now();
        uplift_app::payroll::lock(&store, &bench, &month, Lang::En).await?;
        println!(
            "{month}: {} people paid in {run:.2} s; export {:.1} MB in {export:.2} s; lock {:.3} s",
            r.people,
            csv.len() as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }
    // One person's year recomputed from the stored inputs (read included), checked against the
    // run; 20 people, so a write the database finishes after the last lock does not decide it.
    let set = uplift_payroll::shipped();
    let mut times = Vec::new();
    for k in 0..20 {
        let no = &people[(people.len() / 20) * k].employee_no;
        let started = Instant::now();
        let slips = store.payslips_of(no).await?;
        let mut prior = Cumulative::default();
        for row in slips.iter().rev() {
            let day = NaiveDate::from_ymd_opt(row.month / 100, (row.month % 100) as u32, 1).expect("valid month");
            let city = set.city(&row.si_city, day).expect("shipped city");
            let tax = set.tax(day).expect("shipped tax");
            let input = PayInput {
                month: (row.month % 100) as u32,
                base_pay: row.get("base_pay"),
                allowance: row.get("allowance"),
                commission: row.get("commission"),
                si_base: row.get("si_base"),
                hf_base: row.get("hf_base"),
                contributes: row.contributes,
                bonus_separate_allowed: row.bonus_separate_allowed,
                special_additional_cum: row.get("special_additional_cum"),
                absence_days_h: row.get("absence_days_h"),
                ..PayInput::default()
            };
            let slip = pay(city, tax, &input, &prior)?;
            anyhow::ensure!(slip.net == row.get("net"), "{no} {}: recomputed net differs", row.month);
            prior = slip.cum;
        }
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "one person's year read, recomputed and checked: median {:.3} ms, best {:.3} ms, max {:.3} ms over 20 people",
        times[10], times[0], times[19]
    );
    store.close().await;
    Ok(0)
}
