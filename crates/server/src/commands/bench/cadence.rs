//! `uplift bench cadence`: time the daily follow-up cadence job (due follow-ups, reminders, the whole job).

use anyhow::Result;
use std::time::Instant;

use super::machine;
use crate::cli::Cli;

pub(super) async fn cadence(cli: &Cli) -> Result<i32> {
    let store = crate::cli::open(cli, "uplift.db").await?;
    println!("machine: {}", machine());
    println!("database: {:?}", store.dialect());
    let now = chrono::Utc::now();
    let tz = uplift_app::settings::company_tz(&store).await?;
    let rules = uplift_app::cadence::rules(&store).await?;
    let t = Instant::now();
    let due = uplift_app::cadence::due_followups(&store, &rules, None, now, tz).await?;
    let found = t.elapsed().as_secs_f64();
    let reps: std::collections::HashSet<i64> = due.iter().map(|d| d.employee_id).collect();
    let overdue = due
        .iter()
        .filter(|d| d.state == uplift_app::cadence::DueState::Overdue)
        .count();
    println!(
        "due follow-ups: {} customers of {} reps ({overdue} overdue) in {found:.2} s",
        due.len(),
        reps.len()
    );
    let day = format!("bench-{}", now.timestamp());
    let t = Instant::now();
    let r = uplift_app::cadence::reminders(&store, &due, &day, now).await?;
    println!("reminders: {} queued in {:.2} s", r.queued, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let r = uplift_app::cadence::daily(&store, &format!("{day}-job"), now).await?;
    println!(
        "daily cadence job end to end (one reading of the CRM: compliance of this and last month written, due follow-ups, reminders): {:.2} s ({} customers)",
        t.elapsed().as_secs_f64(),
        r.customers
    );
    store.close().await;
    Ok(0)
}
