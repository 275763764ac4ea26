//! Command-line interface: the argument types (`args`, and `bench` for `uplift bench`), helpers that read
//! arguments, and the terminal and database helpers the commands share (`term`).

mod args;
mod bench;
mod commission;
mod payroll;
mod term;

use anyhow::Result;
use uplift_domain::{Lang, Month};

pub(crate) use args::{
    AssignArgs, AuditArgs, Cli, Command, ConfigCommand, DemoArgs, EffectArgs, ForecastArgs, ForecastCommand,
    ForecastFormat, FormatArg, ImportArgs, InsightsCommand, JobsCommand, LeadsCommand, LevelArg, LimitArgs,
    MetricsArgs, NotifyCommand, ServeArgs, TextFormat, TokenCommand, UserCommand,
};
pub(crate) use bench::{BenchCommand, GenerateArgs, RoutingArgs};
pub(crate) use commission::{CommissionCommand, ExportFormat, PlanCommand};
pub(crate) use payroll::{PayrollCommand, PolicyCommand};
pub(crate) use term::{emit, open, open_with_metrics, spinner};

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

pub(crate) fn month_arg(s: &Option<String>, what: &str) -> Result<Option<Month>> {
    match s {
        None => Ok(None),
        Some(v) => Month::parse(v)
            .map(Some)
            .map_err(|_| anyhow::anyhow!("--{what} {v}: expected a month such as 2026-03")),
    }
}
