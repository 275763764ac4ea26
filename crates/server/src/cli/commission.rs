//! Arguments of `uplift commission`.

use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum CommissionCommand {
    /// Commission plans (TOML files; docs/commissions.md).
    Plan {
        #[command(subcommand)]
        what: PlanCommand,
    },
    /// Compute a period's draft statements (re-runnable until the period is locked).
    Run {
        /// A month (2026-08) or a quarter (2026-Q3).
        #[arg(long)]
        period: String,
    },
    /// Freeze a period's statements: a locked period is never rewritten.
    Lock {
        #[arg(long)]
        period: String,
    },
    /// What past periods would have paid under a draft plan against the plans in force: per team
    /// with the cost of sales (commission ÷ contribution), and per person with --people. Nothing
    /// is saved.
    Simulate {
        /// The draft plan file (TOML), checked like an import.
        #[arg(long)]
        plan: PathBuf,
        /// First and last period (months, e.g. 2026-01 and 2026-06; quarters for a quarterly plan).
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Also list every person.
        #[arg(long)]
        people: bool,
    },
    /// Show or set when locked commission is paid: same (with the period's month's salary) or
    /// next (the month after; the default).
    PayMonth { rule: Option<String> },
    /// What payroll takes as 提成 in a pay month: the payable of the locked periods paid then.
    Payable {
        /// The pay month, e.g. 2026-09.
        #[arg(long)]
        pay_month: String,
    },
    /// One row per person with a plan (or, with --lines, every line).
    Export {
        #[arg(long)]
        period: String,
        /// csv (default), xlsx (needs --output) or json.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// The statement lines instead of one row per person.
        #[arg(long)]
        lines: bool,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Check and save a plan file; a new effective_from adds a version.
    Import { file: PathBuf },
    /// Every plan version.
    List,
    /// One plan's versions, as imported.
    Show { id: String },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}
