//! The commands: `run` hands each parsed command to its feature module.

mod alerts;
mod bench;
mod commission;
mod demo;
mod forecast;
mod import;
mod insights;
mod jobs;
mod leads;
mod metrics;
mod migrate;
mod notify;
mod payroll;
mod serve;
mod users;

use anyhow::Result;

use crate::cli::{Cli, Command, language, open};

pub async fn run(cli: Cli) -> Result<i32> {
    let lang = language(cli.lang.as_deref());
    match &cli.command {
        Command::Migrate => migrate::migrate(&cli, lang).await,
        Command::Import(a) => {
            let store = open(&cli, "uplift.db").await?;
            let code = import::import(&store, a, lang).await?;
            store.close().await;
            Ok(code)
        }
        Command::Metrics(a) => {
            let store = open(&cli, "uplift.db").await?;
            let code = metrics::metrics(&store, a, lang).await?;
            store.close().await;
            Ok(code)
        }
        Command::Demo(a) => demo::demo(&cli, a, lang).await,
        Command::History { limit } => metrics::history(&cli, *limit, lang).await,
        Command::Config { what } => users::config(&cli, what, lang).await,
        Command::Bench { what } => bench::run(&cli, what, lang).await,
        Command::Insights { what } => insights::insights(&cli, what, lang).await,
        Command::Alerts {
            month,
            department,
            format,
        } => alerts::alerts(&cli, month, department, *format, lang).await,
        Command::Forecast(a) => forecast::forecast(&cli, a, lang).await,
        Command::Leads { what } => leads::leads(&cli, what, lang).await,
        Command::Jobs { what } => {
            let store = open(&cli, "uplift.db").await?;
            jobs::jobs(&store, what, lang).await
        }
        Command::Notify { what } => {
            let store = open(&cli, "uplift.db").await?;
            notify::notify(&store, what, lang).await
        }
        Command::Serve(a) => {
            let store = open(&cli, "uplift.db").await?;
            serve::serve(store, a, &cli.data_dir, lang, None).await
        }
        Command::User { what } => {
            let store = open(&cli, "uplift.db").await?;
            users::user(&store, what, lang).await
        }
        Command::Token { what } => {
            let store = open(&cli, "uplift.db").await?;
            users::token(&store, what, lang).await
        }
        Command::Commission { what } => {
            let store = open(&cli, "uplift.db").await?;
            let code = commission::commission(&store, what, lang).await;
            store.close().await;
            code
        }
        Command::Payroll { what } => {
            let store = open(&cli, "uplift.db").await?;
            let code = payroll::payroll(&store, what, lang).await;
            store.close().await;
            code
        }
        Command::Audit(a) => {
            let store = open(&cli, "uplift.db").await?;
            users::audit(&store, a, lang).await
        }
    }
}

/// The terminal acts as the operator who holds the database: every right, everyone in scope.
/// `actor` names the command family in the audit log (`cli`, `bench`).
pub(crate) fn operator(actor: &str) -> uplift_app::access::Principal {
    uplift_app::access::Principal {
        actor: actor.into(),
        role: uplift_domain::access::Role::Admin,
        employee_no: None,
        scope: uplift_domain::access::Scope::All,
    }
}
