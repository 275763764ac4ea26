//! `uplift bench`: generate large Salesforce-style data sets and time imports and metric runs.
//! Figures go to docs/benchmarks.md by hand, with the machine and date the command prints.
//! One file per sub-command; this one hands each to its file and holds what they share.

mod cadence;
mod commission;
mod forecast;
mod generate;
mod import;
mod metrics;
mod payroll;
mod routing;

use anyhow::Result;
use uplift_domain::Lang;

use crate::cli::{BenchCommand, Cli};

/// Industries of the synthetic roster, leads and routing team.
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

pub async fn run(cli: &Cli, what: &BenchCommand, lang: Lang) -> Result<i32> {
    match what {
        BenchCommand::Generate(a) => generate::generate(a),
        BenchCommand::Import { dir } => import::import(cli, dir, lang).await,
        BenchCommand::Metrics { month } => metrics::metrics(cli, month.as_deref()).await,
        BenchCommand::Forecast { months } => forecast::forecast(cli, *months).await,
        BenchCommand::Cadence => cadence::cadence(cli).await,
        BenchCommand::Commission { period, runs, deals } => commission::commission(cli, period, *runs, *deals).await,
        BenchCommand::Payroll {
            year: Some(year), seed, ..
        } => payroll::database(cli, *year, *seed).await,
        BenchCommand::Payroll {
            employees, runs, seed, ..
        } => payroll::engine(*employees, *runs, *seed),
        BenchCommand::Routing(a) => routing::routing(a),
    }
}

/// The CPU, cores, memory and today's date, printed above every timing.
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
