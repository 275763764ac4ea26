//! Command-line interface.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Duration;

use uplift_app::import::{ImportFile, ImportReport, files_in_dir, files_in_manifest, import_files};
use uplift_app::metrics::{Format, Level, recompute, render_metrics};
use uplift_domain::records::ImportKind;
use uplift_domain::{Lang, Month};
use uplift_io::Mapping;
use uplift_store::{AffectedMonths, MetricFilter, Store};

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
    /// Benchmarks: generate data, time imports and metric runs.
    Bench {
        #[command(subcommand)]
        what: crate::bench::BenchCommand,
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
    fn limits(&self) -> uplift_routing::Limits {
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
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,
    /// Write to this file instead of standard output (`.xlsx` writes a workbook).
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

/// The user's language from --lang, UPLIFT_LANG or LANG (Chinese unless English is asked for).
pub fn language(arg: Option<&str>) -> Lang {
    let pick = arg
        .map(str::to_string)
        .or_else(|| std::env::var("UPLIFT_LANG").ok())
        .or_else(|| std::env::var("LANG").ok());
    match pick {
        Some(l) if !l.is_empty() && l != "C" && l != "POSIX" && !l.starts_with("C.") => Lang::from_locale(&l),
        _ => Lang::Zh,
    }
}

pub fn database_url(cli: &Cli, default_file: &str) -> String {
    cli.database_url
        .clone()
        .unwrap_or_else(|| cli.data_dir.join(default_file).display().to_string())
}

pub async fn open(cli: &Cli, default_file: &str) -> Result<Store> {
    let url = database_url(cli, default_file);
    Store::connect(&url)
        .await
        .with_context(|| format!("opening database {}", redact(&url)))
}

/// Opens the database for an analysis command and refuses an empty one with a hint: an analysis of
/// no metric rows would print zeros (or "too few rows") that read like results. The demo writes
/// `<data-dir>/demo.db` while the other commands default to `<data-dir>/uplift.db`, the usual way
/// to get here.
async fn open_with_metrics(cli: &Cli, lang: Lang) -> Result<Store> {
    let store = open(cli, "uplift.db").await?;
    if store.metric_month_range().await?.is_none() {
        let url = redact(&database_url(cli, "uplift.db"));
        let demo = cli.data_dir.join("demo.db").display().to_string();
        store.close().await;
        anyhow::bail!(
            "{}",
            match lang {
                Lang::Zh => format!(
                    "数据库 {url} 里还没有指标数据：请先导入数据（uplift import dir <文件夹>）；演示公司在 uplift demo 写的 demo.db 里（加 --database-url {demo}）。"
                ),
                Lang::En => format!(
                    "database {url} holds no metrics yet: import data first (uplift import dir <folder>); the demo company is in the demo.db that uplift demo writes (add --database-url {demo})."
                ),
            }
        );
    }
    Ok(store)
}

/// Hides a password in a database URL.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub async fn run(cli: Cli) -> Result<i32> {
    let lang = language(cli.lang.as_deref());
    match &cli.command {
        Command::Migrate => {
            let store = open(&cli, "uplift.db").await?;
            store.migrate().await?;
            println!(
                "{}",
                lang.pick("数据库已是最新结构。", "The database schema is up to date.")
            );
            store.close().await;
            Ok(0)
        }
        Command::Import(a) => {
            let store = open(&cli, "uplift.db").await?;
            let code = import(&store, a, lang).await?;
            store.close().await;
            Ok(code)
        }
        Command::Metrics(a) => {
            let store = open(&cli, "uplift.db").await?;
            let code = metrics(&store, a, lang).await?;
            store.close().await;
            Ok(code)
        }
        Command::Demo(a) => demo(&cli, a, lang).await,
        Command::History { limit } => {
            let store = open(&cli, "uplift.db").await?;
            let rows = store.import_history(*limit).await?;
            let tz = uplift_app::settings::company_tz(&store).await?;
            let mut text = String::new();
            if rows.is_empty() {
                text.push_str(lang.pick("还没有导入记录。\n", "No imports yet.\n"));
            }
            for h in rows {
                let when = chrono::DateTime::from_timestamp(h.started_ts, 0)
                    .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                let counts = counts_text(
                    lang,
                    h.rows_read as u64,
                    h.inserted as u64,
                    h.updated as u64,
                    h.rejected as u64,
                );
                text.push_str(&format!(
                    "#{} {when} {} [{}] {}: {counts}\n",
                    h.id, h.file_name, h.kind, h.status
                ));
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&h.report) {
                    for issue in v["issues"].as_array().into_iter().flatten().take(5) {
                        text.push_str(&format!("    {}\n", issue.as_str().unwrap_or_default()));
                    }
                }
            }
            emit(&text)?;
            store.close().await;
            Ok(0)
        }
        Command::Config {
            what: ConfigCommand::Timezone { name },
        } => {
            let store = open(&cli, "uplift.db").await?;
            match name {
                None => println!("{}", uplift_app::settings::company_tz(&store).await?.name()),
                Some(n) => {
                    let tz = uplift_app::settings::set_company_tz(&store, n)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
                    let months = recompute(&store, &AffectedMonths::All).await?;
                    let has_crm = store
                        .counts()
                        .await?
                        .iter()
                        .any(|(t, n)| (*t == "leads" || *t == "activities") && *n > 0);
                    if has_crm {
                        eprintln!(
                            "{}",
                            lang.pick(
                                "注意：已导入的 CRM 记录仍按原时区归月；请重新导入 CRM 文件（uplift import dir …）使其按新时区归月。",
                                "Note: CRM records already imported keep the months of the old zone; re-import the CRM files (uplift import dir …) to re-bucket them."
                            )
                        );
                    }
                    println!(
                        "{} {} ({} {})",
                        lang.pick("公司时区已设为", "Company time zone set to"),
                        tz.name(),
                        months.len(),
                        lang.pick("个月的指标已重算", "months of metrics recomputed")
                    );
                }
            }
            store.close().await;
            Ok(0)
        }
        Command::Bench { what } => crate::bench::run(&cli, what, lang).await,
        Command::Insights {
            what:
                InsightsCommand::Drivers {
                    target,
                    from,
                    to,
                    department,
                    format,
                },
        } => {
            let store = open_with_metrics(&cli, lang).await?;
            let q = uplift_app::insights::DriversQuery {
                target: target.clone(),
                from: month_arg(from, "from")?,
                to: month_arg(to, "to")?,
                department: department.clone(),
            };
            let r = uplift_app::insights::drivers(&store, &uplift_domain::access::Scope::All, &q, lang)
                .await
                .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            let text = match format {
                TextFormat::Table => r.render(lang),
                TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
            };
            emit(&text)?;
            Ok(0)
        }
        Command::Insights {
            what:
                InsightsCommand::Why {
                    employee,
                    month,
                    format,
                },
        } => {
            let store = open_with_metrics(&cli, lang).await?;
            let w = uplift_app::insights::why_low(&store, employee, month_arg(month, "month")?, lang)
                .await
                .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            let text = match format {
                TextFormat::Json => serde_json::to_string_pretty(&w)? + "\n",
                TextFormat::Table => {
                    let mut t = format!(
                        "{} {} · {}: {} ({} {}) · {} ¥{:.0} · {} ¥{:.0}\n",
                        w.employee_no,
                        w.month,
                        lang.pick("对比人群", "peers"),
                        w.peer_group,
                        w.peers,
                        lang.pick("人", "people"),
                        lang.pick("贡献额", "contribution"),
                        w.contribution,
                        lang.pick("前25%起点", "top quarter from"),
                        w.top_quartile_from
                    );
                    if w.gaps.is_empty() {
                        t.push_str(lang.pick(
                            "没有落后于同类前25%的已确认驱动因素\n",
                            "not behind the top quarter on any confirmed driver\n",
                        ));
                    }
                    for g in &w.gaps {
                        t.push_str(&format!("  - {}\n", g.explanation));
                    }
                    t
                }
            };
            emit(&text)?;
            Ok(0)
        }
        Command::Insights {
            what: InsightsCommand::Effect(a),
        } => {
            let store = open_with_metrics(&cli, lang).await?;
            let all = uplift_domain::access::Scope::All;
            let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
            let text = if a.delete {
                let name = a.name.clone().unwrap_or_default();
                if !uplift_app::effect::delete(&store, &all, &name, "cli", lang)
                    .await
                    .map_err(fail)?
                {
                    bail!("{}: {name}", lang.pick("没有这个干预", "no such intervention"));
                }
                format!("{} {name}\n", lang.pick("已删除", "deleted"))
            } else if a.list {
                let list = uplift_app::effect::running(&store, &all, lang).await.map_err(fail)?;
                match a.format {
                    TextFormat::Table => uplift_app::effect::render_running(&list, lang),
                    TextFormat::Json => {
                        let v: Vec<serde_json::Value> = list
                            .iter()
                            .map(|(row, r)| match r {
                                Ok(e) => serde_json::json!({"intervention": row, "result": e}),
                                Err(msg) => serde_json::json!({"intervention": row, "error": msg}),
                            })
                            .collect();
                        serde_json::to_string_pretty(&v)? + "\n"
                    }
                }
            } else {
                let start = match &a.start {
                    None => None,
                    Some(s) => Some(s.parse::<chrono::NaiveDate>().map_err(|_| {
                        anyhow::anyhow!(
                            "--start {s}: {}",
                            lang.pick("日期格式应为 2026-03-01", "expected a date like 2026-03-01")
                        )
                    })?),
                };
                let q = uplift_app::effect::EffectQuery {
                    name: a.name.clone().unwrap_or_default(),
                    treated: a.treated.clone(),
                    control: a.control.clone(),
                    start,
                    metric: Some(a.metric.clone()),
                };
                let r = uplift_app::effect::evaluate(&store, &all, &q, "cli", lang)
                    .await
                    .map_err(fail)?;
                match a.format {
                    TextFormat::Table => r.render(lang),
                    TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                }
            };
            emit(&text)?;
            store.close().await;
            Ok(0)
        }
        Command::Alerts {
            month,
            department,
            format,
        } => {
            let store = open_with_metrics(&cli, lang).await?;
            let q = uplift_app::alerts::AlertsQuery {
                month: month_arg(month, "month")?,
                department: department.clone(),
            };
            let pb = spinner();
            pb.set_message(lang.pick("预测并分析驱动因素…", "forecasting and checking drivers…"));
            let r = uplift_app::alerts::alerts(&store, &uplift_domain::access::Scope::All, &q, lang)
                .await
                .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            pb.finish_and_clear();
            let text = match format {
                TextFormat::Table => r.render(lang),
                TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
            };
            emit(&text)?;
            store.close().await;
            Ok(0)
        }
        Command::Forecast(a) => {
            let store = open_with_metrics(&cli, lang).await?;
            let all = uplift_domain::access::Scope::All;
            let text = match &a.what {
                Some(ForecastCommand::Backtest { months, format }) => {
                    let pb = spinner();
                    pb.set_message(lang.pick("回测中…", "replaying past months…"));
                    let r = uplift_app::forecast::backtest(&store, &all, *months)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
                    pb.finish_and_clear();
                    match format {
                        TextFormat::Table => r.render(lang),
                        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                    }
                }
                None => {
                    let q = uplift_app::forecast::ForecastQuery {
                        month: month_arg(&a.month, "month")?,
                        department: a.department.clone(),
                        lang,
                    };
                    let r = uplift_app::forecast::forecast(&store, &all, &q)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
                    match a.format {
                        ForecastFormat::Table => r.render(lang),
                        ForecastFormat::Csv => r.to_csv().map_err(|e| anyhow::anyhow!(e.render(lang)))?,
                        ForecastFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                    }
                }
            };
            emit(&text)?;
            store.close().await;
            Ok(0)
        }
        Command::Leads { what } => {
            let store = open(&cli, "uplift.db").await?;
            let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
            let text = match what {
                LeadsCommand::Model { format, .. } => {
                    let pb = spinner();
                    pb.set_message(lang.pick("拟合并检验模型…", "fitting and checking the model…"));
                    let r = uplift_app::routing::model_report(&store, lang).await.map_err(fail)?;
                    pb.finish_and_clear();
                    match format {
                        TextFormat::Table => r.render(lang),
                        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                    }
                }
                LeadsCommand::Sla {
                    hours,
                    business_hours,
                    reassign_hours,
                    format,
                } => {
                    if hours.is_some() || business_hours.is_some() || reassign_hours.is_some() {
                        let mut r = uplift_app::sla::rule(&store).await.map_err(fail)?;
                        if let Some(h) = hours {
                            r.hours = *h;
                        }
                        if let Some(b) = business_hours {
                            r.business_hours = *b;
                        }
                        if let Some(h) = reassign_hours {
                            r.reassign_after_hours = (*h > 0.0).then_some(*h);
                        }
                        uplift_app::sla::set_rule(&store, &r, "cli").await.map_err(fail)?;
                    }
                    let r = uplift_app::sla::rule(&store).await.map_err(fail)?;
                    let now = chrono::Utc::now();
                    let list = uplift_app::sla::waiting_leads(&store, &uplift_domain::access::Scope::All, None, now)
                        .await
                        .map_err(fail)?;
                    match format {
                        TextFormat::Json => {
                            serde_json::to_string_pretty(&serde_json::json!({"rule": r, "waiting": list}))? + "\n"
                        }
                        TextFormat::Table => crate::admin::render_sla(&r, &list, lang),
                    }
                }
                LeadsCommand::Cadence {
                    rules,
                    set_rules,
                    employee,
                    run,
                    format,
                } => {
                    crate::admin::cadence(
                        &store,
                        *rules,
                        set_rules.as_deref(),
                        employee.as_deref(),
                        *run,
                        *format,
                        lang,
                    )
                    .await?
                }
                LeadsCommand::Simulate { months, limits, format } => {
                    let pb = spinner();
                    pb.set_message(lang.pick("按各策略重放历史…", "replaying history under each strategy…"));
                    let r = uplift_app::routing::simulate(&store, *months, limits.limits(), lang)
                        .await
                        .map_err(fail)?;
                    pb.finish_and_clear();
                    match format {
                        TextFormat::Table => r.render(lang),
                        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                    }
                }
                LeadsCommand::Assign(a) => {
                    let Some(strategy) = uplift_routing::Strategy::parse(&a.strategy) else {
                        bail!(
                            "--strategy {}: {}",
                            a.strategy,
                            lang.pick(
                                "应为 optimal、round-robin 或 load-balanced",
                                "expected optimal, round-robin or load-balanced"
                            )
                        );
                    };
                    let opts = uplift_app::routing::AssignOptions {
                        strategy,
                        limits: a.limits.limits(),
                        capacity_file: a.capacity.clone(),
                        dry_run: a.dry_run,
                        as_of: None,
                        by: "cli".into(),
                        role: None,
                        lang,
                    };
                    let pb = spinner();
                    pb.set_message(lang.pick("分配线索…", "assigning leads…"));
                    let r = match &a.input {
                        Some(input) => uplift_app::routing::assign_file(&store, input, &opts).await,
                        None => uplift_app::routing::assign_pending(&store, &opts).await,
                    }
                    .map_err(fail)?;
                    pb.finish_and_clear();
                    if let Some(out) = &a.output {
                        let csv = uplift_app::routing::to_csv(&r).map_err(fail)?;
                        std::fs::write(out, csv).with_context(|| out.display().to_string())?;
                    }
                    match a.format {
                        TextFormat::Table => r.render(lang, if a.output.is_some() { 20 } else { 200 }),
                        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                    }
                }
            };
            emit(&text)?;
            store.close().await;
            Ok(0)
        }
        Command::Jobs { what } => {
            let store = open(&cli, "uplift.db").await?;
            crate::admin::jobs(&store, what, lang).await
        }
        Command::Notify { what } => {
            let store = open(&cli, "uplift.db").await?;
            crate::admin::notify(&store, what, lang).await
        }
        Command::Serve(a) => {
            let store = open(&cli, "uplift.db").await?;
            crate::serve::serve(store, a, &cli.data_dir, lang, None).await
        }
        Command::User { what } => {
            let store = open(&cli, "uplift.db").await?;
            crate::admin::user(&store, what, lang).await
        }
        Command::Token { what } => {
            let store = open(&cli, "uplift.db").await?;
            crate::admin::token(&store, what, lang).await
        }
        Command::Audit(a) => {
            let store = open(&cli, "uplift.db").await?;
            crate::admin::audit(&store, a, lang).await
        }
    }
}

fn spinner() -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

async fn import(store: &Store, a: &ImportArgs, lang: Lang) -> Result<i32> {
    let (files, skipped) = if a.kind == "manifest" {
        (
            files_in_manifest(&a.path).map_err(|e| anyhow::anyhow!(e.render(lang)))?,
            Vec::new(),
        )
    } else if a.kind == "dir" {
        if !a.path.is_dir() {
            bail!("{}: {}", a.path.display(), lang.pick("不是文件夹", "is not a folder"));
        }
        if a.mapping.is_some() {
            bail!(
                "{}",
                lang.pick(
                    "--mapping 只能用于单个文件",
                    "--mapping applies to a single file, not to `import dir`"
                )
            );
        }
        files_in_dir(&a.path).map_err(|e| anyhow::anyhow!(e.render(lang)))?
    } else {
        let kind = match ImportKind::parse(&a.kind) {
            Some(k) => k,
            None => bail!(
                "{} \"{}\"; {}: dir, manifest, {}",
                lang.pick("未知的导入类型", "unknown import kind"),
                a.kind,
                lang.pick("可选", "choose from"),
                ImportKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if !a.path.is_file() {
            bail!("{}: {}", a.path.display(), lang.pick("文件不存在", "no such file"));
        }
        let mapping = match &a.mapping {
            Some(p) => Some(Mapping::load(p, Some(kind)).map_err(|e| anyhow::anyhow!(e.render(lang)))?),
            None => None,
        };
        (
            vec![ImportFile {
                path: a.path.clone(),
                kind,
                mapping,
                sheet: a.sheet.clone(),
            }],
            Vec::new(),
        )
    };
    if files.is_empty() {
        bail!(
            "{}",
            lang.pick(
                "没有找到可导入的文件（文件名应为 Lead.csv、roster.xlsx、花名册.csv 等）",
                "no importable files found (names like Lead.csv, roster.xlsx)"
            )
        );
    }
    let pb = spinner();
    let report = import_files(store, files, skipped, a.skip_invalid, &|file, rows| {
        pb.set_message(format!("{file}: {rows} {}", lang.pick("行", "rows")));
    })
    .await
    .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    pb.finish_and_clear();
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        v["issues"] = serde_json::json!(report.issue_lines(lang));
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(&report, lang);
    }
    Ok(if report.committed { 0 } else { 1 })
}

fn print_report(r: &ImportReport, lang: Lang) {
    for f in &r.files {
        println!(
            "{} [{}{}] {}",
            f.file,
            f.kind.as_str(),
            f.encoding.as_deref().map(|e| format!(", {e}")).unwrap_or_default(),
            counts_text(lang, f.rows_read, f.inserted, f.updated, f.rejected)
        );
        if !f.unknown_columns.is_empty() {
            println!(
                "  {}: {}",
                lang.pick("未使用的列", "unused columns"),
                f.unknown_columns.join(", ")
            );
        }
        for w in &f.warnings {
            println!("  {}: {w}", lang.pick("提示", "note"));
        }
        if let Some(p) = &f.rejects_file {
            println!(
                "  {}: {}",
                lang.pick("被拒绝的行已写入", "rejected rows written to"),
                p.display()
            );
        }
    }
    for line in r.issue_lines(lang) {
        eprintln!("{line}");
    }
    let shown: u64 = r.files.iter().map(|f| f.issues.len() as u64).sum();
    if r.total_issues() > shown {
        eprintln!(
            "… {} {}",
            r.total_issues() - shown,
            lang.pick("个问题未列出", "more problems not listed")
        );
    }
    if !r.skipped_files.is_empty() {
        println!(
            "{}: {}",
            lang.pick("未识别的文件（已跳过）", "files not recognised (skipped)"),
            r.skipped_files.join(", ")
        );
    }
    if !r.name_matches.is_empty() {
        let pairs: Vec<String> = r.name_matches.iter().map(|(c, e)| format!("{c}→{e}")).collect();
        println!(
            "{}: {}",
            lang.pick(
                "警告：以下 CRM 用户仅按姓名匹配到员工",
                "warning: CRM users matched to employees by name only"
            ),
            pairs.join(", ")
        );
    }
    if !r.unmatched_crm_users.is_empty() {
        println!(
            "{} ({}): {}",
            lang.pick("未匹配到员工的 CRM 用户", "CRM users with no employee"),
            r.unmatched_crm_users.len(),
            r.unmatched_crm_users.join(", ")
        );
    }
    if !r.employees_without_crm_user.is_empty() {
        println!(
            "{} ({}): {}",
            lang.pick("没有 CRM 用户的员工", "employees with no CRM user"),
            r.employees_without_crm_user.len(),
            abbreviate(&r.employees_without_crm_user, 20)
        );
    }
    if r.committed {
        println!(
            "{} {}",
            lang.pick(
                "导入完成；重算指标月份数：",
                "Import committed; metric months recomputed:"
            ),
            r.recomputed_months.len()
        );
    } else {
        eprintln!("{}", lang.pick("导入未写入任何数据：请修正以上问题后重新导入，或使用 --skip-invalid 只导入有效行。", "Nothing was written: fix the problems above and import again, or use --skip-invalid to import the valid rows."));
    }
}

/// Writes output to stdout; a reader that stops early (`| head`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// `读取 12 · 新增 10 · 更新 2 · 拒绝 0` / `read 12 · inserted 10 · …`.
fn counts_text(lang: Lang, read: u64, inserted: u64, updated: u64, rejected: u64) -> String {
    format!(
        "{} {read} · {} {inserted} · {} {updated} · {} {rejected}",
        lang.pick("读取", "read"),
        lang.pick("新增", "inserted"),
        lang.pick("更新", "updated"),
        lang.pick("拒绝", "rejected")
    )
}

fn abbreviate(v: &[String], n: usize) -> String {
    if v.len() <= n {
        v.join(", ")
    } else {
        format!("{}, … (+{})", v[..n].join(", "), v.len() - n)
    }
}

fn month_arg(s: &Option<String>, what: &str) -> Result<Option<Month>> {
    match s {
        None => Ok(None),
        Some(v) => Month::parse(v)
            .map(Some)
            .map_err(|_| anyhow::anyhow!("--{what} {v}: expected a month such as 2026-03")),
    }
}

async fn metrics(store: &Store, a: &MetricsArgs, lang: Lang) -> Result<i32> {
    if let Some(action) = &a.action {
        if action != "recompute" {
            bail!("unknown action {action:?}; the only action is `recompute`");
        }
        let pb = spinner();
        pb.set_message(lang.pick("正在重算指标…", "recomputing metrics…"));
        let months = recompute(store, &AffectedMonths::All).await?;
        pb.finish_and_clear();
        println!("{} {}", lang.pick("已重算月份数：", "months recomputed:"), months.len());
        return Ok(0);
    }
    let month = month_arg(&a.month, "month")?;
    let filter = MetricFilter {
        from: month.or(month_arg(&a.from, "from")?),
        to: month.or(month_arg(&a.to, "to")?),
        department: a.department.clone(),
        employee_no: a.employee.clone(),
        scope: Default::default(),
        page: None,
    };
    let level = match a.level {
        LevelArg::Employee => Level::Employee,
        LevelArg::Department => Level::Department,
    };
    if let Some(out) = &a.output
        && out.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        let csv = render_metrics(store, &filter, level, Format::Csv, lang).await?;
        write_csv_as_xlsx(&csv, out)?;
        println!("{} {}", lang.pick("已写入", "written:"), out.display());
        return Ok(0);
    }
    let format = match a.format {
        FormatArg::Table => Format::Table,
        FormatArg::Csv => Format::Csv,
        FormatArg::Json => Format::Json,
    };
    let text = render_metrics(store, &filter, level, format, lang).await?;
    if store.pending_months().await? != AffectedMonths::None {
        eprintln!(
            "{}",
            lang.pick(
                "注意：上次导入后的指标重算没有完成，部分月份可能是旧数据；请运行 uplift metrics recompute。",
                "Note: the metric recompute after the last import did not finish; some months may be stale. Run uplift metrics recompute."
            )
        );
    }
    let empty = match format {
        Format::Json => text.trim() == "[]",
        Format::Csv => text.lines().count() <= 1,
        Format::Table => text.lines().count() <= 2,
    };
    if empty {
        eprintln!(
            "{}",
            lang.pick(
                "没有符合条件的指标行。请先导入数据（uplift import dir <文件夹>），或运行 uplift demo 查看示例公司。",
                "No metric rows match. Import data first (uplift import dir <folder>), or run uplift demo."
            )
        );
    }
    match &a.output {
        Some(out) => {
            std::fs::write(out, text)?;
            println!("{} {}", lang.pick("已写入", "written:"), out.display());
        }
        None => emit(&text)?,
    }
    Ok(0)
}

/// Exports the CSV form of the metric table as a workbook, numbers as numbers.
fn write_csv_as_xlsx(csv_text: &str, out: &Path) -> Result<()> {
    use uplift_io::xlsx_out::{Cell, write_xlsx};
    let mut rdr = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
    let headers: Vec<String> = rdr.headers()?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        rows.push(
            rec.iter()
                .enumerate()
                .map(|(i, s)| {
                    if s.is_empty() {
                        Cell::Empty
                    } else if i >= 2 {
                        s.parse()
                            .map(Cell::Number)
                            .unwrap_or_else(|_| Cell::Text(s.to_string()))
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        );
    }
    write_xlsx(out, "metrics", &headers, &rows)?;
    Ok(())
}

async fn demo(cli: &Cli, a: &DemoArgs, lang: Lang) -> Result<i32> {
    let url = database_url(cli, "demo.db");
    let is_sqlite_file = !url.starts_with("postgres");
    if a.fresh && is_sqlite_file {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("opening database {}", redact(&url)))?;
    let source_dir = cli.data_dir.join("demo-source");
    let pb = spinner();
    pb.set_message(lang.pick("正在生成示例公司…", "generating the demo company…"));
    let cfg = uplift_app::demo::DemoConfig {
        seed: a.seed,
        staff: a.staff,
        months: a.months,
        end: month_arg(&a.end, "end")?,
    };
    let summary = uplift_app::demo::create_demo(&store, &cfg, &source_dir, &|file, rows| {
        pb.set_message(format!("{} {file}: {rows}", lang.pick("导入", "importing")));
    })
    .await
    .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    // A demo of today also gets today's new leads (a demo with a fixed --end is of the past).
    let live = if a.end.is_none() {
        pb.set_message(lang.pick("分配今日新线索…", "routing today's new leads…"));
        let routed = uplift_app::demo::route_live_leads(&store, 40, a.seed)
            .await
            .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
        pb.set_message(lang.pick("生成本月跟进记录…", "logging this month's follow-ups…"));
        uplift_app::demo::live_followups(&store, &source_dir, a.seed)
            .await
            .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
        routed
    } else {
        0
    };
    pb.finish_and_clear();
    println!("{}", summary.render(lang));
    if live > 0 {
        println!(
            "{}",
            match lang {
                Lang::Zh => format!("今日新线索 {live} 条已按最优策略分配（销售在“今日”页看到首联倒计时）"),
                Lang::En => format!("{live} new leads of today routed (reps see first-contact countdowns on Today)"),
            }
        );
    }
    println!("{}: {}", lang.pick("数据库", "database"), redact(&url));
    println!(
        "{}: {}",
        lang.pick(
            "源文件（可用 uplift import dir 重新导入）",
            "source files (re-import with uplift import dir)"
        ),
        source_dir.display()
    );
    let db_flag = if cli.database_url.is_some() {
        " --database-url …".to_string()
    } else {
        format!(" --database-url {url}")
    };
    println!(
        "{}: uplift{db_flag} metrics --level department",
        lang.pick("查看指标", "see the metrics")
    );
    let accounts = uplift_app::demo::ensure_demo_accounts(&store)
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    if live > 0
        && let Some(no) = accounts
            .iter()
            .find(|x| x.username == "rep")
            .and_then(|x| x.employee_no.clone())
    {
        uplift_app::demo::ensure_rep_has_live_lead(&store, &no)
            .await
            .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    }
    if a.no_serve {
        store.close().await;
        return Ok(0);
    }
    let mut intro = format!(
        "\n{} ({}: {}):\n",
        lang.pick("示例账号", "demo accounts"),
        lang.pick("密码均为", "password for all"),
        uplift_app::demo::DEMO_PASSWORD
    );
    for acc in &accounts {
        intro.push_str(&format!("  {:<9} {}\n", acc.username, acc.description));
    }
    crate::serve::serve(store, &a.serve, &cli.data_dir, lang, Some(intro)).await
}
