//! The scheduler: recurring tasks run from a jobs table, safe with several server processes
//! (one row per task and time slot; claims use SKIP LOCKED on PostgreSQL). Each tick schedules
//! the current slots, runs what is due, and sends due notifications.
//!
//! Tasks: `sla` every 15 minutes (reminders, breaches, reassignment), `cadence` daily at 07:00
//! (this month's cadence compliance, each rep's due and overdue follow-ups), `alerts` daily at 07:30
//! (who is forecast below target, to their managers and team robots), `digest` daily at 08:30
//! (each rep's leads waiting for a first contact).

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_domain::Lang;
use uplift_domain::access::Scope;
use uplift_store::{NewNotification, Store};

use crate::AppError;

/// When a recurring task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Minutes(u32),
    /// Daily at this local time (company time zone).
    DayAt(u32, u32),
}

/// The recurring tasks.
pub const SCHEDULE: &[(&str, Every)] = &[
    ("sla", Every::Minutes(15)),
    ("cadence", Every::DayAt(7, 0)),
    ("alerts", Every::DayAt(7, 30)),
    ("digest", Every::DayAt(8, 30)),
];

/// Attempts of a failing job before it is marked failed.
const JOB_ATTEMPTS: i64 = 3;

/// The slot of `every` that `now` falls in, and when it started; None before today's daily time.
pub fn current_slot(every: Every, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<(String, DateTime<Utc>)> {
    let local = now.with_timezone(&tz);
    match every {
        Every::Minutes(m) => {
            let m = m.max(1);
            let minute = local.minute() / m * m;
            let start = local.with_minute(minute)?.with_second(0)?.with_nanosecond(0)?;
            Some((start.format("%Y-%m-%dT%H:%M").to_string(), start.with_timezone(&Utc)))
        }
        Every::DayAt(h, m) => {
            let at = tz
                .from_local_datetime(&local.date_naive().and_time(NaiveTime::from_hms_opt(h, m, 0)?))
                .earliest()?;
            (local >= at).then(|| (local.date_naive().to_string(), at.with_timezone(&Utc)))
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tick {
    pub ran: Vec<(String, String, Result<String, String>)>,
    pub delivered: crate::notify::Delivered,
}

/// Schedules the current slots, runs due jobs (at most 10), then sends due notifications.
pub async fn tick(store: &Store, worker: &str, now: DateTime<Utc>) -> Result<Tick, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    for (kind, every) in SCHEDULE {
        if let Some((slot, at)) = current_slot(*every, now, tz) {
            store.schedule_job(kind, &slot, at.timestamp()).await?;
        }
    }
    let mut out = Tick::default();
    for _ in 0..10 {
        let Some(job) = store.claim_job(worker, now.timestamp(), 600).await? else {
            break;
        };
        let result = run(store, &job.kind, &job.slot, now).await;
        let outcome = match &result {
            Ok(summary) => Ok(summary.as_str()),
            Err(e) => {
                let retry = (job.attempts < JOB_ATTEMPTS).then(|| now.timestamp() + 300 * job.attempts);
                tracing::warn!(kind = %job.kind, slot = %job.slot, attempt = job.attempts, error = %e, "job failed");
                Err((e.as_str(), retry))
            }
        };
        store.finish_job(job.id, worker, now.timestamp(), outcome).await?;
        out.ran.push((job.kind.clone(), job.slot.clone(), result));
    }
    // Small leased batches, several per tick, so a backlog drains without one process holding
    // many messages for long.
    for _ in 0..20 {
        let d = crate::notify::deliver_due(store, now.timestamp()).await?;
        out.delivered.sent += d.sent;
        out.delivered.retrying += d.retrying;
        out.delivered.failed += d.failed;
        if d.sent + d.retrying + d.failed < crate::notify::BATCH as usize {
            break;
        }
    }
    Ok(out)
}

async fn run(store: &Store, kind: &str, slot: &str, now: DateTime<Utc>) -> Result<String, String> {
    let text = |e: AppError| e.render(Lang::Zh);
    match kind {
        "sla" => {
            let r = crate::sla::check(store, now).await.map_err(text)?;
            Ok(serde_json::to_string(&r).unwrap_or_default())
        }
        "cadence" => {
            let r = crate::cadence::daily(store, slot, now).await.map_err(text)?;
            Ok(serde_json::to_string(&r).unwrap_or_default())
        }
        "alerts" => daily_alerts(store, slot, now).await.map_err(text),
        "digest" => digest(store, slot, now).await.map_err(text),
        other => Err(format!("unknown job {other}")),
    }
}

/// Issue #4's daily early warnings: each manager gets their people who are forecast below
/// target (with the first reason), each team robot its team's list.
/// `day` is the job's slot (the local date), so dedupe keys follow the company's calendar.
async fn daily_alerts(store: &Store, day: &str, now: DateTime<Utc>) -> Result<String, AppError> {
    let r = crate::alerts::alerts(store, &Scope::All, &Default::default(), Lang::Zh).await?;
    let roster = store.routing_reps().await?;
    let manager_of: FxHashMap<&str, &str> = roster
        .iter()
        .filter_map(|e| Some((e.employee_no.as_str(), e.manager_no.as_deref()?)))
        .collect();
    let mut by_manager: FxHashMap<String, Vec<String>> = FxHashMap::default();
    let mut by_department: FxHashMap<String, Vec<String>> = FxHashMap::default();
    for a in &r.alerts {
        let why = a.reasons.first().map(|m| format!("：{}", m.text)).unwrap_or_default();
        let line = format!(
            "{}（{}）预计 {} 月达成 {:.0}%{why}",
            a.name,
            a.employee_no,
            r.month,
            a.attainment * 100.0
        );
        if let Some(m) = manager_of.get(a.employee_no.as_str()) {
            by_manager.entry(m.to_string()).or_default().push(line.clone());
        }
        by_department
            .entry(a.department.clone().unwrap_or_default())
            .or_default()
            .push(line);
    }
    let book = crate::notify::Mailbook::load(store).await?;
    let mut notes: Vec<NewNotification> = Vec::new();
    for (m, lines) in &by_manager {
        notes.extend(book.to_person(
            m,
            "alerts",
            &format!("预警：团队 {} 人预计低于目标", lines.len()),
            &lines.join("\n"),
            Some("/forecast"),
            &format!("alerts:{day}:{m}"),
        ));
    }
    let channels = store.channels().await?;
    for (d, lines) in &by_department {
        notes.extend(crate::notify::to_robots(
            &channels,
            Some(d.as_str()),
            "alerts",
            &format!("预警：{d} {} 人预计低于目标", lines.len()),
            &lines.join("\n"),
            &format!("alerts:{day}:{d}"),
        ));
    }
    let n = store.enqueue_notifications(&notes, now.timestamp()).await?;
    Ok(format!("{{\"alerts\":{},\"queued\":{n}}}", r.alerts.len()))
}

/// The morning digest: each rep with leads waiting for a first contact gets one message.
async fn digest(store: &Store, day: &str, now: DateTime<Utc>) -> Result<String, AppError> {
    let waiting = crate::sla::waiting_leads(store, &Scope::All, None, now).await?;
    let mut by_rep: FxHashMap<&str, Vec<&crate::sla::WaitingLead>> = FxHashMap::default();
    for w in &waiting {
        by_rep.entry(w.employee_no.as_str()).or_default().push(w);
    }
    let tz = crate::settings::company_tz(store).await?;
    let book = crate::notify::Mailbook::load(store).await?;
    let mut notes = Vec::new();
    for (rep, list) in &by_rep {
        let lines: Vec<String> = list
            .iter()
            .take(20)
            .map(|w| {
                format!(
                    "· {} 截止 {}",
                    w.company.as_deref().unwrap_or(&w.lead_id),
                    w.deadline.with_timezone(&tz).format("%m月%d日 %H:%M")
                )
            })
            .collect();
        // The digest always goes by email too (it is what "digest only" users asked for).
        let mut n = book.to_person(
            rep,
            "digest",
            &format!("今日待办：{} 条新线索待首次联系", list.len()),
            &lines.join("\n"),
            Some("/today"),
            &format!("digest:{day}:{rep}"),
        );
        if book.takes_digest_email(rep) && !n.iter().any(|x| x.channel == "email") {
            let mut e = n[0].clone();
            e.channel = "email".into();
            e.dedupe_key = format!("email:digest:{day}:{rep}");
            n.push(e);
        }
        notes.extend(n);
    }
    let n = store.enqueue_notifications(&notes, now.timestamp()).await?;
    Ok(format!("{{\"reps\":{},\"queued\":{n}}}", by_rep.len()))
}

/// Runs the scheduler until `stop` resolves: a tick every `every` (errors are logged, never fatal).
pub async fn run_scheduler(
    store: Store,
    worker: String,
    every: std::time::Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut stop = stop;
    loop {
        if let Err(e) = tick(&store, &worker, Utc::now()).await {
            tracing::warn!(error = %e, "scheduler tick failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The next slot start after `now` for `every` (for the jobs page).
pub fn next_run(every: Every, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    match every {
        Every::Minutes(m) => current_slot(every, now, tz).map(|(_, s)| s + Duration::minutes(m.max(1) as i64)),
        Every::DayAt(h, m) => {
            let local = now.with_timezone(&tz);
            let today = tz
                .from_local_datetime(&local.date_naive().and_time(NaiveTime::from_hms_opt(h, m, 0)?))
                .earliest()?;
            Some(
                if local < today {
                    today
                } else {
                    today + Duration::days(1)
                }
                .with_timezone(&Utc),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_the_same_for_every_process_in_the_slot() {
        let tz = chrono_tz::Asia::Shanghai;
        let at = |h, m, s| tz.with_ymd_and_hms(2026, 11, 28, h, m, s).unwrap().with_timezone(&Utc);
        let a = current_slot(Every::Minutes(15), at(10, 16, 5), tz).unwrap();
        let b = current_slot(Every::Minutes(15), at(10, 29, 59), tz).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.0, "2026-11-28T10:15");
        assert_eq!(current_slot(Every::DayAt(7, 30), at(7, 29, 0), tz), None);
        assert_eq!(
            current_slot(Every::DayAt(7, 30), at(23, 0, 0), tz).unwrap().0,
            "2026-11-28"
        );
        assert_eq!(next_run(Every::DayAt(7, 30), at(7, 29, 0), tz), Some(at(7, 30, 0)));
    }
}
