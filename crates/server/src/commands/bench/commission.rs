//! `uplift bench commission`: time a period's whole draft run and the at-once update of one deal.

use anyhow::{Result, bail};
use std::time::Instant;

use super::machine;
use crate::cli::Cli;
use uplift_domain::Lang;

pub(super) async fn commission(cli: &Cli, period: &str, runs: usize, deals: usize) -> Result<i32> {
    let store = crate::cli::open(cli, "uplift.db").await?;
    println!("machine: {}", machine());
    println!("database: {:?}", store.dialect());
    let bench = crate::commands::operator("bench");
    let mut whole = Vec::new();
    let mut report = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        report = Some(uplift_app::commission::run(&store, &bench, period, Lang::En).await?);
        whole.push(t.elapsed().as_secs_f64());
    }
    let r = report.expect("at least one run");
    whole.sort_by(f64::total_cmp);
    println!(
        "whole run of {period}: {} people, {} won deals; {:.2}–{:.2} s over {} runs (median {:.2} s)",
        r.people,
        r.deals,
        whole[0],
        whole[whole.len() - 1],
        whole.len(),
        whole[whole.len() / 2]
    );

    // Deals spread over the period's list, each updated alone as a webhook's deal would be.
    let statements = uplift_app::commission::statement_lines(&store, &bench, period, None, Lang::En).await?;
    let ids: Vec<String> = statements.iter().filter_map(|l| l.row.opportunity_id.clone()).collect();
    if ids.is_empty() {
        bail!("{period} has no credited deal to update");
    }
    let step = (ids.len() / deals.max(1)).max(1);
    let mut times = Vec::new();
    for id in ids.iter().step_by(step).take(deals) {
        let t = Instant::now();
        uplift_app::commission::after_deals(&store, std::slice::from_ref(id)).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "at-once update of one deal (its people and their managers read, computed and written): {} deals, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        times.len(),
        pct(0.5),
        pct(0.99),
        times[times.len() - 1]
    );
    store.close().await;
    Ok(0)
}
