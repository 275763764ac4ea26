//! Arguments of `uplift payroll`.

use clap::Subcommand;
use std::path::PathBuf;

use super::ExportFormat;

#[derive(Subcommand, Debug)]
pub enum PayrollCommand {
    /// Payroll policies: city 五险一金 tables, the IIT rules, deduction ceilings, calendars.
    Policy {
        #[command(subcommand)]
        what: PolicyCommand,
    },
    /// Pay everyone employed in a month (all or nothing; re-runnable until the month is locked).
    Run {
        /// The month, e.g. 2026-03. Months of a year run in order.
        #[arg(long)]
        month: String,
    },
    /// Freeze a month: its payslips are never rewritten.
    Lock {
        #[arg(long)]
        month: String,
    },
    /// After a policy correction for locked months (a city's late bounds): recompute the locked
    /// months from this one and put each person's 补差 into the first open month.
    RerunFrom {
        /// The first month the correction applies to, e.g. 2026-07.
        month: String,
    },
    /// The months run so far with their totals.
    Runs,
    /// One row per person paid (the contract's columns).
    Export {
        #[arg(long)]
        month: String,
        /// csv (default), xlsx (needs --output) or json.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Show or set the company's contribution city (for salary records that name none; default
    /// Shanghai).
    DefaultCity { city: Option<String> },
    /// Show or set the bank file's columns, comma-separated from account, name, amount, bank,
    /// employee_no, remark (default account,name,amount,bank,remark).
    BankColumns { columns: Option<String> },
    /// One person's payslip with every line's formula.
    Payslip {
        /// The employee number.
        #[arg(long)]
        employee: String,
        #[arg(long)]
        month: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Every policy in force over time (shipped and imported), with its quality.
    List,
    /// One city's tables (by key or name: shanghai, 上海), or `tax`, `special_additional`, or a
    /// calendar year.
    Show { key: String },
    /// Check and save a policy file (TOML); the same city and start replaces a table.
    Import { file: PathBuf },
}
