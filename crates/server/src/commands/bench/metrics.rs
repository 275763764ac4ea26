//! `uplift bench metrics`: time a full recompute of the metric table and a recompute of one month.

use anyhow::{Context, Result};
use std::time::Instant;

use uplift_app::metrics::recompute;
use uplift_domain::Month;
use uplift_store::AffectedMonths;

use super::machine;
use crate::cli::Cli;

/// `month`: the month to recompute alone (default: the last month with data).
pub(super) async fn metrics(cli: &Cli, month: Option<&str>) -> Result<i32> {
    let store = crate::cli::open(cli, "uplift.db").await?;
    println!("machine: {}", machine());
    println!("database: {:?}", store.dialect());
    let t = Instant::now();
    let months = recompute(&store, &AffectedMonths::All).await?;
    println!(
        "full recompute: {} months in {:.2} s",
        months.len(),
        t.elapsed().as_secs_f64()
    );
    let one = match month {
        Some(m) => Month::parse(m).map_err(|e| anyhow::anyhow!("--month: {e}"))?.to_key(),
        None => *months.last().context("no months with data")?,
    };
    let t = Instant::now();
    recompute(&store, &AffectedMonths::Set([one].into())).await?;
    println!(
        "one month ({}) recompute: {:.3} s",
        Month::from_key(one).map(|m| m.to_string()).unwrap_or_default(),
        t.elapsed().as_secs_f64()
    );
    let rows = store.counts().await?;
    for (t, n) in rows {
        println!("  {t}: {n}");
    }
    store.close().await;
    Ok(0)
}
