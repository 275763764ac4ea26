//! The clap argument types: `Cli`, its sub-commands and their `*Args` structs.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use super::BenchCommand;

/// Uplift — raise per-capita contribution by joining CRM and HR data.
#[derive(Parser, Debug)]
#[command(name = "uplift", version, about)]
pub struct Cli {
    /// Folder for the embedded SQLite database and generated files.
    #[arg(long, global = true, env = "UPLIFT_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Database: a PostgreSQL URL (postgres://…) or an SQLite file. Default: <data-dir>/uplift.db.
    #[arg(long, global = true, env = "UPLIFT_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Language of messages: zh (default) or en. Falls back to UPLIFT_LANG, then LANG.
    #[arg(long, global = true)]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create or upgrade the database schema.
    Migrate,
    /// Import a file (or a folder of files) into the database.
    Import(ImportArgs),
    /// Show the metric table, or recompute it.
    Metrics(MetricsArgs),
    /// Create the demo company (Chinese, 80+ staff, 24 months) in its own database.
    Demo(DemoArgs),
    /// List recent imports (newest first) with their counts and problems.
    History {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Company settings.
    Config {
        #[command(subcommand)]
        what: ConfigCommand,
    },
    /// Analyses of the metric table: what drives output.
    Insights {
        #[command(subcommand)]
        what: InsightsCommand,
    },
    /// Next month's contribution per person with an 80% interval; `forecast backtest` replays past months.
    Forecast(ForecastArgs),
    /// Who is forecast below target next month, the drivers that slipped, and what to do.
    Alerts {
        /// The forecast month (default: the month after the newest results).
        #[arg(long)]
        month: Option<String>,
        /// Only this department (path) and its sub-departments.
        #[arg(long)]
        department: Option<String>,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// Lead routing: the lead value model, assigning leads to reps, and the routing simulator.
    Leads {
        #[command(subcommand)]
        what: LeadsCommand,
    },
    /// Background jobs: run one scheduler tick now (SLA check, daily alerts, digest, sending), or
    /// list recent runs.
    Jobs {
        #[command(subcommand)]
        what: JobsCommand,
    },
    /// Notifications: group robots (DingTalk, WeCom, Feishu), the SMTP server, and the outbox.
    Notify {
        #[command(subcommand)]
        what: NotifyCommand,
    },
    /// Run the web application and the REST API.
    Serve(ServeArgs),
    /// User accounts: add, change a password, disable, list.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// API tokens for integrations (sent as `Authorization: Bearer <token>`).
    Token {
        #[command(subcommand)]
        what: TokenCommand,
    },
    /// Search the audit log (newest first).
    Audit(AuditArgs),
    /// Commissions: plans, a period's run, the lock, the export.
    Commission {
        #[command(subcommand)]
        what: super::commission::CommissionCommand,
    },
    /// China payroll: policies, a month's run, the lock, payslips, the export.
    Payroll {
        #[command(subcommand)]
        what: super::payroll::PayrollCommand,
    },
    /// Benchmarks: generate data, time imports and metric runs.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum InsightsCommand {
    /// Rank what goes with higher output, controls held fixed (tenure, department, month).
    Drivers {
        /// contribution, per_capita_contribution, quota_attainment, lead_conversion_rate or win_rate.
        #[arg(long, default_value = "contribution")]
        target: String,
        /// First month, e.g. 2025-10 (default: twelve months before --to).
        #[arg(long)]
        from: Option<String>,
        /// Last month (default: the newest month with results).
        #[arg(long)]
        to: Option<String>,
        /// Only this department (path) and its sub-departments.
        #[arg(long)]
        department: Option<String>,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// Why one person is behind: their drivers beside the top quarter of their peers.
    Why {
        /// The employee (工号).
        #[arg(long)]
        employee: String,
        /// The month (default: the newest month with results).
        #[arg(long)]
        month: Option<String>,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// Did an intervention work? Difference-in-differences against a comparison group, with a
    /// pre-trend check and a placebo test; saved by name.
    Effect(EffectArgs),
}

#[derive(Subcommand, Debug)]
pub enum LeadsCommand {
    /// The lead value model: its calibration on recent leads it did not learn from (a reliability
    /// table by decile and Brier scores).
    Model {
        /// Print the calibration report (what `leads model` shows; the flag is accepted for scripts).
        #[arg(long)]
        report: bool,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// Assign a file of new leads (Id, LeadSource, Industry, Rating, …), or with --pending the
    /// open leads in the database without a working owner, to the reps most likely to win them.
    Assign(AssignArgs),
    /// The first-contact SLA: change it (--hours, --business-hours, --reassign-hours) and list
    /// the leads waiting for a first contact.
    Sla {
        /// Hours allowed for the first contact.
        #[arg(long)]
        hours: Option<f64>,
        /// Count business hours only (09:00–18:00 on working days of the official calendar): true or false.
        #[arg(long)]
        business_hours: Option<bool>,
        /// Reassign a lead this many hours after a missed deadline (0: never).
        #[arg(long)]
        reassign_hours: Option<f64>,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// The follow-up cadence per lifecycle stage: each rep's customers under a cadence, due today
    /// and overdue, and cadence compliance; --rules prints the rules (TOML), --set-rules FILE
    /// changes them, --employee lists one rep's due follow-ups, --run runs the daily job now.
    Cadence {
        /// Print the rules in force as TOML (a starting point for --set-rules).
        #[arg(long)]
        rules: bool,
        /// Set the rules from a TOML file (and recompute cadence compliance for every month).
        #[arg(long, value_name = "FILE")]
        set_rules: Option<std::path::PathBuf>,
        /// One rep's follow-ups due today and overdue (employee number).
        #[arg(long)]
        employee: Option<String>,
        /// Run the daily cadence job now (recompute this month, queue the reps' reminders).
        #[arg(long)]
        run: bool,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// Replay the last months under each strategy: what optimal routing would have gained over
    /// round robin and over current practice.
    Simulate {
        #[arg(long, default_value_t = 3)]
        months: u32,
        #[command(flatten)]
        limits: LimitArgs,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Schedule the current slots, run what is due and send due notifications, once.
    Run,
    /// The latest job runs.
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum NotifyCommand {
    /// Add or replace a group robot.
    ChannelAdd {
        #[arg(long)]
        name: String,
        /// dingtalk, wecom or feishu.
        #[arg(long)]
        kind: String,
        /// The robot's webhook URL.
        #[arg(long)]
        url: String,
        /// The signing secret (DingTalk 加签 / Feishu 签名校验).
        #[arg(long)]
        secret: Option<String>,
        /// Only messages about this department (and below); default: everything.
        #[arg(long)]
        department: Option<String>,
    },
    /// List the group robots.
    Channels,
    /// Remove a group robot.
    ChannelRemove { name: String },
    /// Queue a test message to a robot (sent by the next tick: `uplift jobs run`).
    Test { name: String },
    /// Set the SMTP server for email, e.g. smtps://user:password@smtp.exmail.qq.com:465.
    Smtp {
        #[arg(long)]
        url: String,
        /// The sender address, e.g. "Uplift <uplift@example.com>".
        #[arg(long)]
        from: String,
    },
    /// Outgoing messages: failed and pending first, with their errors.
    Status {
        #[arg(long, default_value_t = 30)]
        limit: i64,
    },
}

#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Every available rep gets at least this many leads (within capacity).
    #[arg(long, default_value_t = 2)]
    pub min_per_rep: u32,
    /// No rep gets more than this share of the premium leads (0.1 = 10%; 1 = no cap).
    #[arg(long, default_value_t = 0.1)]
    pub premium_cap: f64,
    /// The top share of leads by expected value that counts as premium.
    #[arg(long, default_value_t = 0.2)]
    pub premium_share: f64,
}

impl LimitArgs {
    pub(crate) fn limits(&self) -> uplift_routing::Limits {
        uplift_routing::Limits {
            min_per_rep: self.min_per_rep,
            premium_top_share: self.premium_share.clamp(0.0, 1.0),
            premium_rep_cap: self.premium_cap.clamp(0.0, 1.0),
        }
    }
}

#[derive(Args, Debug)]
pub struct AssignArgs {
    /// CSV or XLSX of new leads: Id (线索ID) required; LeadSource, Industry, Rating, Company, City,
    /// NumberOfEmployees used when present.
    #[arg(long, conflicts_with = "pending", required_unless_present = "pending")]
    pub input: Option<PathBuf>,
    /// Assign the open leads in the database owned by a queue, an inactive user or someone who left.
    #[arg(long)]
    pub pending: bool,
    /// Capacities for this run (工号, 每月线索上限) instead of the imported ones.
    #[arg(long)]
    pub capacity: Option<PathBuf>,
    /// optimal, round-robin or load-balanced.
    #[arg(long, default_value = "optimal")]
    pub strategy: String,
    /// Write the assignments here as CSV (lead_id, employee_no, owner_id, expected_conversion,
    /// expected_value, reason).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Decide and report without recording anything.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ForecastArgs {
    #[command(subcommand)]
    pub what: Option<ForecastCommand>,
    /// The month to forecast, e.g. 2026-09 (default: the month after the newest month with results).
    #[arg(long)]
    pub month: Option<String>,
    /// Only this department (path) and its sub-departments.
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long, value_enum, default_value_t = ForecastFormat::Table)]
    pub format: ForecastFormat,
}

#[derive(Subcommand, Debug)]
pub enum ForecastCommand {
    /// Forecast each of the last months from the data before it; compare with naive baselines.
    Backtest {
        #[arg(long, default_value_t = 6)]
        months: u32,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForecastFormat {
    Table,
    Csv,
    Json,
}

#[derive(Args, Debug)]
pub struct EffectArgs {
    /// The intervention's name; re-running a saved one needs only this.
    #[arg(long, required_unless_present = "list")]
    pub name: Option<String>,
    /// Who received it: department paths and/or employee numbers, comma-separated.
    #[arg(long, requires = "start")]
    pub treated: Option<String>,
    /// First day, e.g. 2026-03-01 (a later day leaves that month out as half-treated).
    #[arg(long, requires = "treated")]
    pub start: Option<String>,
    /// The metric to judge it by.
    #[arg(long, default_value = "contribution")]
    pub metric: String,
    /// The comparison group, written like --treated (default: everyone else).
    #[arg(long)]
    pub control: Option<String>,
    /// List the saved interventions with their results on today's data.
    #[arg(long, conflicts_with_all = ["name", "treated"])]
    pub list: bool,
    /// Delete the saved intervention --name.
    #[arg(long, requires = "name", conflicts_with_all = ["treated", "list"])]
    pub delete: bool,
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0:8080 to accept other machines (put HTTPS in front).
    #[arg(long, env = "UPLIFT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Mark cookies Secure (set this when users reach Uplift over HTTPS).
    #[arg(long, env = "UPLIFT_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Do not run the background scheduler (SLA checks, daily alerts and digest, sending
    /// notifications) in this process. Several processes may run it safely.
    #[arg(long, env = "UPLIFT_NO_SCHEDULER")]
    pub no_scheduler: bool,
    /// Seconds between scheduler ticks.
    #[arg(long, default_value_t = 30)]
    pub tick_seconds: u64,
    /// A reverse proxy in front of Uplift whose X-Forwarded-For header is believed (repeat, or
    /// comma-separate); without it every request behind a proxy has the proxy's address.
    #[arg(long = "trusted-proxy", env = "UPLIFT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add an account. The password is read from UPLIFT_PASSWORD or asked for on stdin.
    Add {
        username: String,
        /// admin, hr, payroll, director, manager or employee.
        #[arg(long)]
        role: String,
        /// The employee (工号) this account is; required for manager and employee.
        #[arg(long)]
        employee: Option<String>,
        /// A director's department path (default: their employee's department).
        #[arg(long)]
        department: Option<String>,
    },
    /// Set a new password (from UPLIFT_PASSWORD or stdin); ends the user's sessions.
    Passwd { username: String },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// List accounts.
    List,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it (it is shown once).
    Create {
        #[arg(long)]
        role: String,
        /// Bind the token to an employee (required for manager and employee tokens).
        #[arg(long)]
        employee: Option<String>,
        /// A director token's department path.
        #[arg(long)]
        department: Option<String>,
        /// What the token is for.
        #[arg(long, default_value = "integration")]
        label: String,
    },
    /// List tokens (not their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[arg(long)]
    pub actor: Option<String>,
    /// e.g. read.appraisal, import, user.add, signin.failed
    #[arg(long)]
    pub action: Option<String>,
    #[arg(long)]
    pub target: Option<String>,
    /// First day, YYYY-MM-DD (company time zone).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Show or set the company time zone (IANA name, default Asia/Shanghai); recomputes metrics.
    Timezone { name: Option<String> },
    /// Show the import limits, or set one: `uplift config limit xlsx_inflated_mb 2048`
    /// (xlsx_inflated_mb, xlsx_ratio, rows, cell_chars).
    Limit { name: Option<String>, value: Option<u64> },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// What the file holds: user account lead opportunity task event roster target course
    /// enrollment appraisal capacity — or `dir` to import a folder recognised by file names, or
    /// `manifest` to import the files (with mappings) listed in a TOML manifest.
    pub kind: String,
    /// The CSV or XLSX file (or the folder, for `dir`).
    pub path: PathBuf,
    /// A TOML mapping file for exports in other layouts.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// XLSX sheet name (default: the first sheet).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Write the valid rows and put bad rows in <file>.rejects.csv instead of writing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LevelArg {
    Employee,
    Department,
}

#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// `recompute` rebuilds the whole metric table.
    pub action: Option<String>,
    /// One month, e.g. 2026-03.
    #[arg(long)]
    pub month: Option<String>,
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    /// A department path (its sub-departments are included), e.g. 销售中心/华东大区.
    #[arg(long)]
    pub department: Option<String>,
    /// One employee number.
    #[arg(long)]
    pub employee: Option<String>,
    /// Employee rows (default) or department and company roll-ups.
    #[arg(long, value_enum, default_value = "employee")]
    pub level: LevelArg,
    /// table (default), csv or json; with --output the file's extension chooses (.csv, .json).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write to this file instead of standard output: `.xlsx` writes a workbook, `.csv` CSV, `.json`
    /// JSON, anything else the --format (a table by default).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Random seed; the same seed gives the same company.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Number of staff.
    #[arg(long, default_value_t = 96)]
    pub staff: usize,
    /// Months of history, ending with the last full month.
    #[arg(long, default_value_t = 24)]
    pub months: u32,
    /// Last month of history, e.g. 2026-10 (default: the last full month). With --seed it fixes
    /// the company exactly.
    #[arg(long)]
    pub end: Option<String>,
    /// Recreate the demo database even if it exists.
    #[arg(long)]
    pub fresh: bool,
    /// Create the demo and exit instead of serving it.
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}
