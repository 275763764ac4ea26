//! Terminal and database helpers the commands share: the spinner, writing to stdout, opening the database.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;
use uplift_domain::Lang;
use uplift_store::Store;

use crate::cli::{Cli, database_url, redact};

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
pub(crate) async fn open_with_metrics(cli: &Cli, lang: Lang) -> Result<Store> {
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

pub(crate) fn spinner() -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
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
