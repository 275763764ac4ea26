//! The clap arguments of `uplift bench`: `BenchCommand` and the `*Args` of its larger sub-commands.

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Write a large data set (User, roster, Lead, Opportunity, Task files) into a folder.
    Generate(GenerateArgs),
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
    /// Time a commission period on the database (plans imported): the whole draft run, then the
    /// at-once update of single won deals (only the people each deal credits and their managers
    /// recomputed and written), p50/p99.
    Commission {
        /// The period to run, e.g. 2026-08.
        #[arg(long)]
        period: String,
        /// Whole runs to time.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Single-deal updates to time (deals taken evenly from the period's won deals).
        #[arg(long, default_value_t = 200)]
        deals: usize,
    },
    /// Time the payroll engine in process: a synthetic company (Shanghai and Beijing, bases from
    /// 3,000 to 80,000, commission, special additional deductions) paid for twelve months. With
    /// --year, time instead the runs on the database: everyone on its roster gets a salary record
    /// and some a declaration (imported), then each month of the year is run, locked and
    /// exported; also one person's year recomputed.
    Payroll {
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        /// Timed repetitions of the whole year (the best and the median are printed).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Run the database benchmark for this year (e.g. 2026).
        #[arg(long)]
        year: Option<i32>,
    },
    /// Time lead routing in process on a synthetic team: fitting the model, the optimal
    /// allocation of a batch, and single leads routed online (p50/p99).
    Routing(RoutingArgs),
}

// `uplift bench generate`; its help text is the doc comment of `BenchCommand::Generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[arg(long, default_value = "data/bench")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 10_000)]
    pub employees: usize,
    #[arg(long, default_value_t = 24)]
    pub months: u32,
    /// Last month of the data.
    #[arg(long, default_value = "2026-10")]
    pub end: String,
    #[arg(long, default_value_t = 1_000_000)]
    pub leads: usize,
    #[arg(long, default_value_t = 200_000)]
    pub opportunities: usize,
    /// Task rows in all; written in files of at most --tasks-per-file rows.
    #[arg(long, default_value_t = 1_000_000)]
    pub tasks: usize,
    #[arg(long, default_value_t = 1_000_000)]
    pub tasks_per_file: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

// `uplift bench routing`; its help text is the doc comment of `BenchCommand::Routing`.
#[derive(Args, Debug)]
pub struct RoutingArgs {
    #[arg(long, default_value_t = 2_000)]
    pub reps: usize,
    #[arg(long, default_value_t = 100_000)]
    pub leads: usize,
    /// Past leads per rep for the model.
    #[arg(long, default_value_t = 120)]
    pub history_per_rep: usize,
    #[arg(long, default_value_t = 10_000)]
    pub online: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
