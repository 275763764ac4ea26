//! `uplift bench`: generate large Salesforce-style data sets and time imports and metric runs.
//! Figures go to docs/benchmarks.md by hand, with the machine and date the command prints.

use anyhow::{Context, Result};
use clap::Subcommand;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use uplift_app::import::{files_in_dir, import_files};
use uplift_app::metrics::recompute;
use uplift_domain::{Lang, Month};

const INDUSTRIES: [&str; 8] = [
    "Manufacturing",
    "Retail",
    "Finance",
    "Healthcare",
    "Technology",
    "Education",
    "Logistics",
    "Energy",
];
use uplift_store::AffectedMonths;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Write a large data set (User, roster, Lead, Opportunity, Task files) into a folder.
    Generate {
        #[arg(long, default_value = "data/bench")]
        out: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        employees: usize,
        #[arg(long, default_value_t = 24)]
        months: u32,
        /// Last month of the data.
        #[arg(long, default_value = "2026-10")]
        end: String,
        #[arg(long, default_value_t = 1_000_000)]
        leads: usize,
        #[arg(long, default_value_t = 200_000)]
        opportunities: usize,
        /// Task rows in all; written in files of at most --tasks-per-file rows.
        #[arg(long, default_value_t = 1_000_000)]
        tasks: usize,
        #[arg(long, default_value_t = 1_000_000)]
        tasks_per_file: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import a generated folder and report rows per second for each file.
    Import { dir: PathBuf },
    /// Time a full recompute of the metric table and a recompute of one month.
    Metrics {
        /// The month to recompute alone (default: the last month with data).
        #[arg(long)]
        month: Option<String>,
    },
    /// Time the forecast (loading and computing apart), its backtest and the alerts.
    Forecast {
        #[arg(long, default_value_t = 6)]
        months: u32,
    },
    /// Time the daily follow-up cadence job on the database: every rep's due and overdue
    /// follow-ups (loading and computing apart), the reminders, and the whole job with its
    /// recompute of this month's cadence compliance.
    Cadence,
    /// Time lead routing in process on a synthetic team: fitting the model, the optimal
    /// allocation of a batch, and single leads routed online (p50/p99).
    Routing {
        #[arg(long, default_value_t = 2_000)]
        reps: usize,
        #[arg(long, default_value_t = 100_000)]
        leads: usize,
        /// Past leads per rep for the model.
        #[arg(long, default_value_t = 120)]
        history_per_rep: usize,
        #[arg(long, default_value_t = 10_000)]
        online: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem}; {}", chrono::Utc::now().format("%Y-%m-%d"))
}

pub async fn run(cli: &crate::cli::Cli, what: &BenchCommand, lang: Lang) -> Result<i32> {
    match what {
        BenchCommand::Generate {
            out,
            employees,
            months,
            end,
            leads,
            opportunities,
            tasks,
            tasks_per_file,
            seed,
        } => {
            let end = Month::parse(end).map_err(|e| anyhow::anyhow!("--end: {e}"))?;
            let t = Instant::now();
            generate(
                out,
                *employees,
                *months,
                end,
                *leads,
                *opportunities,
                *tasks,
                (*tasks_per_file).max(1),
                *seed,
            )?;
            println!("generated {} in {:.1} s", out.display(), t.elapsed().as_secs_f64());
            Ok(0)
        }
        BenchCommand::Import { dir } => {
            let store = crate::cli::open(cli, "uplift.db").await?;
            println!("machine: {}", machine());
            println!("database: {:?}", store.dialect());
            let (files, skipped) = files_in_dir(dir).map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            let t = Instant::now();
            let started = std::sync::Mutex::new((String::new(), Instant::now()));
            let report = import_files(&store, files, skipped, false, &|file, rows| {
                let mut s = started.lock().expect("lock");
                if s.0 != file {
                    *s = (file.to_string(), Instant::now());
                }
                let secs = s.1.elapsed().as_secs_f64();
                if rows > 0 && secs > 0.5 {
                    eprint!("\r{file}: {rows} rows, {:.0} rows/s   ", rows as f64 / secs);
                }
            })
            .await
            .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            eprintln!();
            let total = t.elapsed().as_secs_f64();
            let rows: u64 = report.files.iter().map(|f| f.rows_read).sum();
            for f in &report.files {
                println!(
                    "{:<20} {:>10} rows {:>8.2} s {:>10.0} rows/s",
                    f.file,
                    f.rows_read,
                    f.seconds,
                    f.rows_read as f64 / f.seconds.max(1e-9)
                );
            }
            println!(
                "commit {:.2} s; metric recompute {:.2} s",
                report.commit_seconds, report.recompute_seconds
            );
            println!(
                "imported {rows} rows in {total:.2} s ({:.0} rows/s overall, including metric recompute of {} months); committed: {}",
                rows as f64 / total,
                report.recomputed_months.len(),
                report.committed
            );
            store.close().await;
            Ok(if report.committed { 0 } else { 1 })
        }
        BenchCommand::Metrics { month } => {
            let store = crate::cli::open(cli, "uplift.db").await?;
            println!("machine: {}", machine());
            println!("database: {:?}", store.dialect());
            let t = Instant::now();
            let months = recompute(&store, &AffectedMonths::All).await?;
            println!(
                "full recompute: {} months in {:.2} s",
                months.len(),
                t.elapsed().as_secs_f64()
            );
            let one = match month {
                Some(m) => Month::parse(m).map_err(|e| anyhow::anyhow!("--month: {e}"))?.to_key(),
                None => *months.last().context("no months with data")?,
            };
            let t = Instant::now();
            recompute(&store, &AffectedMonths::Set([one].into())).await?;
            println!(
                "one month ({}) recompute: {:.3} s",
                Month::from_key(one).map(|m| m.to_string()).unwrap_or_default(),
                t.elapsed().as_secs_f64()
            );
            let rows = store.counts().await?;
            for (t, n) in rows {
                println!("  {t}: {n}");
            }
            store.close().await;
            Ok(0)
        }
        BenchCommand::Forecast { months } => {
            use uplift_app::forecast as fc;
            let store = crate::cli::open(cli, "uplift.db").await?;
            let all = uplift_domain::access::Scope::All;
            println!("machine: {}", machine());
            println!("database: {:?}", store.dialect());
            let month = uplift_app::views::latest_month(&store).await?.next();
            let t = Instant::now();
            let data = fc::load(&store, month).await?;
            let load = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let f = uplift_insight::forecast::forecast_month(&uplift_insight::forecast::ForecastInput {
                people: &data.people,
                deals: &data.deals,
                month,
                month_elapsed: None,
            });
            println!(
                "forecast {month}: {} people, {} deals; load {load:.2} s, compute {:.2} s",
                f.people.len(),
                data.deals.len(),
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let r = fc::forecast(&store, &all, &fc::ForecastQuery::default()).await?;
            println!(
                "uplift forecast (end to end): {} people in {:.2} s",
                r.people.len(),
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let b = fc::backtest(&store, &all, *months).await?;
            println!(
                "uplift forecast backtest --months {months}: {:.2} s; MAE {:.0} vs last month {:.0}, mean of 3 {:.0}",
                t.elapsed().as_secs_f64(),
                b.accuracy[0].mae,
                b.accuracy[1].mae,
                b.accuracy[2].mae
            );
            let t = Instant::now();
            let a = uplift_app::alerts::alerts(&store, &all, &Default::default(), uplift_domain::Lang::Zh).await?;
            println!(
                "uplift alerts: {} of {} people in {:.2} s",
                a.alerts.len(),
                a.checked,
                t.elapsed().as_secs_f64()
            );
            store.close().await;
            Ok(0)
        }
        BenchCommand::Cadence => {
            let store = crate::cli::open(cli, "uplift.db").await?;
            println!("machine: {}", machine());
            println!("database: {:?}", store.dialect());
            let now = chrono::Utc::now();
            let tz = uplift_app::settings::company_tz(&store).await?;
            let rules = uplift_app::cadence::rules(&store).await?;
            let t = Instant::now();
            let due = uplift_app::cadence::due_followups(&store, &rules, None, now, tz).await?;
            let found = t.elapsed().as_secs_f64();
            let reps: std::collections::HashSet<i64> = due.iter().map(|d| d.employee_id).collect();
            let overdue = due
                .iter()
                .filter(|d| d.state == uplift_app::cadence::DueState::Overdue)
                .count();
            println!(
                "due follow-ups: {} customers of {} reps ({overdue} overdue) in {found:.2} s",
                due.len(),
                reps.len()
            );
            let day = format!("bench-{}", now.timestamp());
            let t = Instant::now();
            let r = uplift_app::cadence::reminders(&store, &due, &day, now).await?;
            println!("reminders: {} queued in {:.2} s", r.queued, t.elapsed().as_secs_f64());
            let t = Instant::now();
            let r = uplift_app::cadence::daily(&store, &format!("{day}-job"), now).await?;
            println!(
                "daily cadence job end to end (one reading of the CRM: compliance of this and last month written, due follow-ups, reminders): {:.2} s ({} customers)",
                t.elapsed().as_secs_f64(),
                r.customers
            );
            store.close().await;
            Ok(0)
        }
        BenchCommand::Routing {
            reps,
            leads,
            history_per_rep,
            online,
            seed,
        } => {
            bench_routing(*reps, *leads, *history_per_rep, *online, *seed);
            Ok(0)
        }
    }
}

/// Synthetic team: 7 sources × 8 industries, skill spread 0.5–1.8, experience lift 1.5.
fn bench_routing(n_reps: usize, n_leads: usize, per_rep: usize, n_online: usize, seed: u64) {
    use std::sync::Arc;
    use uplift_routing::*;
    const SOURCES: [(&str, f64); 7] = [
        ("Partner Referral", 0.25),
        ("Web", 0.14),
        ("Trade Show", 0.12),
        ("Cold Call", 0.06),
        ("Purchased List", 0.04),
        ("Webinar", 0.10),
        ("Social", 0.08),
    ];
    println!("machine: {}", machine());
    let mut rng = SmallRng::seed_from_u64(seed);
    let sources: Vec<Arc<str>> = SOURCES.iter().map(|s| Arc::from(s.0)).collect();
    let industries: Vec<Arc<str>> = INDUSTRIES.iter().map(|s| Arc::from(*s)).collect();
    let teams: Vec<Arc<str>> = (0..n_reps.div_ceil(10))
        .map(|t| Arc::from(format!("team{t}")))
        .collect();
    let reps: Vec<RepFacts> = (0..n_reps)
        .map(|i| RepFacts {
            team: teams[i / 10].clone(),
            tenure_band: [TenureBand::New, TenureBand::Growing, TenureBand::Established][i % 3],
            industries: vec![industries[i % industries.len()].clone()],
        })
        .collect();
    let skill: Vec<f64> = (0..n_reps).map(|_| 0.5 + 1.3 * rng.random::<f64>()).collect();
    let lead = |rng: &mut SmallRng| {
        let s = rng.random_range(0..sources.len());
        LeadFacts {
            source: sources[s].clone(),
            industry: industries[rng.random_range(0..industries.len())].clone(),
            attributes: vec![Arc::from(
                ["rating=Hot", "rating=Warm", "rating=Cold"][rng.random_range(0..3)],
            )],
        }
    };
    let mut history = Vec::with_capacity(n_reps * per_rep);
    for r in 0..n_reps {
        for k in 0..per_rep {
            let l = lead(&mut rng);
            let base = SOURCES.iter().find(|s| *s.0 == *l.source).map_or(0.1, |s| s.1);
            let p = (base * skill[r] * if reps[r].knows(&l.industry) { 1.5 } else { 1.0 }).min(0.9);
            let converted = rng.random::<f64>() < p;
            history.push(PastLead {
                facts: l,
                owner: r,
                age_months: (k % 12) as u32,
                tenure_band: reps[r].tenure_band,
                converted,
                won_value: if converted { 50_000.0 } else { 0.0 },
                value_known: true,
            });
        }
    }
    let t = Instant::now();
    let model = LeadModel::fit(&history, &reps);
    println!(
        "fit: {} past leads, {n_reps} reps in {:.2} s",
        history.len(),
        t.elapsed().as_secs_f64()
    );
    let batch: Vec<LeadFacts> = (0..n_leads).map(|_| lead(&mut rng)).collect();
    let cap = (n_leads as f64 / n_reps as f64 * 1.3).ceil() as u32;
    let slots: Vec<Slot> = (0..n_reps)
        .map(|i| Slot {
            capacity_left: cap,
            available: i % 50 != 0,
        })
        .collect();
    for strategy in [Strategy::RoundRobin, Strategy::Optimal] {
        let t = Instant::now();
        let a = allocate(&model, &reps, &slots, &batch, strategy, Limits::default());
        println!(
            "allocate {}: {n_leads} leads to {n_reps} reps (capacity {cap} each) in {:.3} s; expected conversions {:.0}",
            strategy.name(),
            t.elapsed().as_secs_f64(),
            a.expected_conversions()
        );
    }
    let t = Instant::now();
    let expected: Vec<LeadFacts> = (0..n_leads).map(|_| lead(&mut rng)).collect();
    let mut plan = OnlinePlan::new(&model, reps.clone(), &slots, &expected, Limits::default());
    println!(
        "online plan for {n_leads} expected leads in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let mut times = Vec::with_capacity(n_online);
    let mut fallback = 0usize;
    for _ in 0..n_online {
        let l = lead(&mut rng);
        let t = Instant::now();
        let r = plan.route(&model, &l);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if r.is_some_and(|r| !r.planned) {
            fallback += 1;
        }
    }
    let report = |what: &str, mut times: Vec<f64>, note: String| {
        times.sort_by(f64::total_cmp);
        let q = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        println!(
            "{what}: {} leads, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms{note}",
            times.len(),
            q(0.5),
            q(0.99),
            times.last().copied().unwrap_or(0.0)
        );
    };
    report("online route", times, format!(" ({fallback} outside the plan)"));
    // Leads the plan did not foresee (an industry never seen): every one scans all reps.
    let mut times = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let mut l = lead(&mut rng);
        l.industry = Arc::from("Aerospace");
        let t = Instant::now();
        let _ = plan.route(&model, &l);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("online route outside the plan", times, String::new());
}

fn sf_time(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.000+0000")
        .to_string()
}

#[allow(clippy::too_many_arguments)]
fn generate(
    out: &Path,
    employees: usize,
    months: u32,
    end: Month,
    leads: usize,
    opps: usize,
    tasks: usize,
    per_file: usize,
    seed: u64,
) -> Result<()> {
    std::fs::create_dir_all(out)?;
    for e in std::fs::read_dir(out)? {
        let p = e?.path();
        if p.is_file() {
            std::fs::remove_file(p)?;
        }
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let start = end.span_start(months);
    // Instants of the span's start and end in the company's default zone (Asia/Shanghai).
    let tz = uplift_domain::time::DEFAULT_TZ;
    let t0 = uplift_domain::time::month_end_exclusive(start.prev(), tz).timestamp();
    let t1 = uplift_domain::time::month_end_exclusive(end, tz).timestamp();
    let span = (t1 - t0).max(1);
    let user = |i: usize| format!("005{:015}", i);
    let file = |name: &str| -> Result<BufWriter<std::fs::File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(out.join(name))?,
        ))
    };

    let mut w = file("roster.csv")?;
    // 200 teams of 50 under 10 regions; the first 200 people lead their teams.
    // Attributes for the wider feature table of driver analysis (40 candidate features in all).
    writeln!(
        w,
        "工号,姓名,部门,入职日期,离职日期,CRM用户ID,直属上级工号,出生日期,性别,城市,行业经验,学历,出勤率"
    )?;
    let cities = ["上海", "北京", "深圳", "杭州", "成都"];
    let educations = ["大专", "本科", "本科", "硕士", "博士"];
    for i in 0..employees {
        let hire = start.first_day() - chrono::Duration::days(rng.random_range(0..1500));
        let leave = if rng.random::<f64>() < 0.1 {
            // Never before the hire date (short spans have recent hires).
            (end.first_day() - chrono::Duration::days(rng.random_range(0..300)))
                .max(hire + chrono::Duration::days(1))
                .to_string()
        } else {
            String::new()
        };
        let manager = if i >= 200 {
            format!("B{:06}", i % 200)
        } else {
            String::new()
        };
        let birth = NaiveDate::from_ymd_opt(
            1970 + rng.random_range(0..32),
            rng.random_range(1..13),
            rng.random_range(1..29),
        )
        .unwrap_or_default();
        writeln!(
            w,
            "B{:06},员工{i},销售中心/大区{}/团队{},{hire},{leave},{},{manager},{birth},{},{},{},{},{:.3}",
            i,
            i % 10,
            i % 200,
            user(i),
            if rng.random::<f64>() < 0.45 { "女" } else { "男" },
            cities[rng.random_range(0..cities.len())],
            INDUSTRIES[rng.random_range(0..INDUSTRIES.len())],
            educations[rng.random_range(0..educations.len())],
            0.85 + 0.15 * rng.random::<f64>()
        )?;
    }
    w.flush()?;
    // Eight courses, one skill each; about three completions per person at random dates.
    let skills = [
        "negotiation",
        "product",
        "follow-up",
        "key-account",
        "industry",
        "onboarding",
        "demo",
        "pricing",
    ];
    let mut w = file("courses.csv")?;
    writeln!(w, "课程编号,课程名称,技能,形式,时长")?;
    for (k, skill) in skills.iter().enumerate() {
        writeln!(w, "K{k:02},课程{k},{skill},online,4")?;
    }
    w.flush()?;
    let mut w = file("enrollments.csv")?;
    writeln!(w, "工号,课程编号,分配日期,完成日期,成绩")?;
    let days = (end.last_day() - start.first_day()).num_days().max(2);
    for i in 0..employees {
        for k in 0..skills.len() {
            if rng.random::<f64>() < 0.4 {
                let assigned = start.first_day() + chrono::Duration::days(rng.random_range(0..days - 1));
                let done = assigned + chrono::Duration::days(rng.random_range(3..40));
                let done = if done <= end.last_day() {
                    done.to_string()
                } else {
                    String::new()
                };
                writeln!(w, "B{i:06},K{k:02},{assigned},{done},{}", rng.random_range(60..100))?;
            }
        }
    }
    w.flush()?;
    let mut w = file("User.csv")?;
    writeln!(w, "Id,Name,Email,IsActive")?;
    for i in 0..employees {
        writeln!(w, "{},员工{i},b{i}@bench.cn,true", user(i))?;
    }
    w.flush()?;

    let mut lead_times = Vec::with_capacity(leads);
    let mut w = file("Lead.csv")?;
    writeln!(w, "Id,OwnerId,CreatedDate,LeadSource,Industry,Status,IsConverted")?;
    let sources = [
        "Web",
        "Partner Referral",
        "Trade Show",
        "Cold Call",
        "Purchased List",
        "Webinar",
        "Employee Referral",
    ];
    let industries = INDUSTRIES;
    for i in 0..leads {
        let ts = t0 + rng.random_range(0..span);
        let owner = rng.random_range(0..employees.max(1));
        lead_times.push((ts, owner));
        let conv = rng.random::<f64>() < 0.15;
        writeln!(
            w,
            "00Q{:015},{},{},{},{},{},{}",
            i,
            user(owner),
            sf_time(ts),
            sources[i % sources.len()],
            industries[(i / 7) % industries.len()],
            if conv {
                "Closed - Converted"
            } else {
                "Working - Contacted"
            },
            conv
        )?;
    }
    w.flush()?;

    let mut w = file("Opportunity.csv")?;
    writeln!(w, "Id,OwnerId,Amount,StageName,IsClosed,IsWon,CloseDate,CreatedDate")?;
    for i in 0..opps {
        let created = t0 + rng.random_range(0..span);
        let close = created + rng.random_range(86_400..90 * 86_400);
        let close_date = chrono::DateTime::from_timestamp(close + 8 * 3600, 0)
            .unwrap_or_default()
            .date_naive();
        let r: f64 = rng.random();
        let (stage, closed, won) = if close >= t1 {
            ("Proposal", false, false)
        } else if r < 0.55 {
            ("Closed Won", true, true)
        } else {
            ("Closed Lost", true, false)
        };
        writeln!(
            w,
            "006{:015},{},{}.00,{stage},{closed},{won},{close_date},{}",
            i,
            user(rng.random_range(0..employees.max(1))),
            rng.random_range(5_000..300_000),
            sf_time(created)
        )?;
    }
    w.flush()?;

    let files = tasks.div_ceil(per_file);
    let mut n = 0usize;
    for f in 0..files {
        let name = if files == 1 {
            "Task.csv".to_string()
        } else {
            format!("Task_{:02}.csv", f + 1)
        };
        let mut w = file(&name)?;
        writeln!(w, "Id,OwnerId,WhoId,Subject,TaskSubtype,Status,CreatedDate")?;
        for _ in 0..per_file.min(tasks - n) {
            let li = rng.random_range(0..leads.max(1));
            let (lts, owner) = lead_times.get(li).copied().unwrap_or((t0, 0));
            let ts = (lts + rng.random_range(600..30 * 86_400)).min(t1 - 1);
            let done = rng.random::<f64>() < 0.92;
            writeln!(
                w,
                "00T{:015},{},00Q{:015},跟进,Call,{},{}",
                n,
                user(owner),
                li,
                if done { "Completed" } else { "Not Started" },
                sf_time(ts)
            )?;
            n += 1;
        }
        w.flush()?;
    }
    Ok(())
}
