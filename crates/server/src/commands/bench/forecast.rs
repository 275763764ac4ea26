//! `uplift bench forecast`: time the forecast (loading and computing apart), its backtest and the alerts.

use anyhow::Result;
use std::time::Instant;

use uplift_app::forecast as fc;

use super::machine;
use crate::cli::Cli;

/// `months`: the months the backtest covers.
pub(super) async fn forecast(cli: &Cli, months: u32) -> Result<i32> {
    let store = crate::cli::open(cli, "uplift.db").await?;
    let all = uplift_domain::access::Scope::All;
    println!("machine: {}", machine());
    println!("database: {:?}", store.dialect());
    let month = uplift_app::views::latest_month(&store).await?.next();
    let t = Instant::now();
    let data = fc::load(&store, month).await?;
    let load = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let f = uplift_insight::forecast::forecast_month(&uplift_insight::forecast::ForecastInput {
        people: &data.people,
        deals: &data.deals,
        month,
        month_elapsed: None,
    });
    println!(
        "forecast {month}: {} people, {} deals; load {load:.2} s, compute {:.2} s",
        f.people.len(),
        data.deals.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = fc::forecast(&store, &all, &fc::ForecastQuery::default()).await?;
    println!(
        "uplift forecast (end to end): {} people in {:.2} s",
        r.people.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let b = fc::backtest(&store, &all, months).await?;
    println!(
        "uplift forecast backtest --months {months}: {:.2} s; MAE {:.0} vs last month {:.0}, mean of 3 {:.0}",
        t.elapsed().as_secs_f64(),
        b.accuracy[0].mae,
        b.accuracy[1].mae,
        b.accuracy[2].mae
    );
    let t = Instant::now();
    let a = uplift_app::alerts::alerts(&store, &all, &Default::default(), uplift_domain::Lang::Zh).await?;
    println!(
        "uplift alerts: {} of {} people in {:.2} s",
        a.alerts.len(),
        a.checked,
        t.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(0)
}
