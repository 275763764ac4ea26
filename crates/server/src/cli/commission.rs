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
