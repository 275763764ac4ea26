//! The first-contact SLA: reminders to reps before the deadline, alerts to their manager (and the
//! team's group robots) at breach, optional reassignment after a further delay, and each rep's
//! and team's list of leads waiting for a first contact.

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_domain::access::Scope;
use uplift_domain::{Lang, Month};
use uplift_routing::sla::state;
pub use uplift_routing::sla::{SlaRule, SlaState};
use uplift_store::{AssignmentRow, AwaitingContact, NewNotification, Store};

use crate::AppError;

/// Leads older than this are not chased by the SLA any more (they are the cadence's business).
pub const LOOKBACK_DAYS: i64 = 14;
/// The longest allowance or reassignment delay accepted, in hours (30 days).
pub const MAX_HOURS: f64 = 720.0;

/// The SLA settings (`sla.hours`, `sla.business_hours`, `sla.reassign_hours`).
pub async fn rule(store: &Store) -> Result<SlaRule, AppError> {
    // Values are read back clamped: a stored setting can never make a deadline overflow.
    let num = |v: Option<String>| {
        v.and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|h| h.is_finite() && *h > 0.0)
            .map(|h| h.min(MAX_HOURS))
    };
    Ok(SlaRule {
        hours: num(store.setting("sla.hours").await?).unwrap_or(24.0),
        business_hours: store
            .setting("sla.business_hours")
            .await?
            .is_some_and(|v| matches!(v.trim(), "true" | "1" | "yes" | "是")),
        reassign_after_hours: num(store.setting("sla.reassign_hours").await?),
    })
}

/// Changes the SLA settings (admin), audited.
pub async fn set_rule(store: &Store, r: &SlaRule, by: &str) -> Result<(), AppError> {
    let ok = |h: f64| h.is_finite() && h > 0.0 && h <= MAX_HOURS;
    if !ok(r.hours) || r.reassign_after_hours.is_some_and(|h| !ok(h)) {
        return Err(AppError::invalid(format!(
            "SLA hours must be more than 0 and at most {MAX_HOURS} (30 days)"
        )));
    }
    store.set_setting("sla.hours", &r.hours.to_string()).await?;
    store
        .set_setting("sla.business_hours", if r.business_hours { "true" } else { "false" })
        .await?;
    store
        .set_setting(
            "sla.reassign_hours",
            &r.reassign_after_hours.map(|h| h.to_string()).unwrap_or_default(),
        )
        .await?;
    crate::access::audit(store, by, None, "settings.sla", None, Some(&format!("{r:?}")), None).await
}

/// One lead waiting for its first contact.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingLead {
    pub lead_id: String,
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub company: Option<String>,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub since: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// Seconds left (negative: overdue).
    pub seconds_left: i64,
    pub state: SlaState,
}

fn waiting(rows: Vec<AwaitingContact>, rule: &SlaRule, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Vec<WaitingLead> {
    rows.into_iter()
        .map(|r| {
            let start_ts = r.assigned_ts.map_or(r.created_ts, |a| a.max(r.created_ts));
            let since = DateTime::from_timestamp(start_ts, 0).unwrap_or(now);
            let (s, due) = state(since, now, rule, tz);
            WaitingLead {
                lead_id: r.lead_id,
                employee_no: r.employee_no,
                name: r.name,
                department: r.department,
                company: r.company,
                lead_source: r.lead_source,
                industry: r.industry,
                since,
                deadline: due,
                seconds_left: (due - now).num_seconds(),
                state: s,
            }
        })
        .collect()
}

/// Leads waiting for a first contact, in `scope` (or one rep's), soonest deadline first.
pub async fn waiting_leads(
    store: &Store,
    scope: &Scope,
    employee_no: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<WaitingLead>, AppError> {
    let rule = rule(store).await?;
    let tz = crate::settings::company_tz(store).await?;
    let rows = store
        .awaiting_first_contact(now.timestamp() - LOOKBACK_DAYS * 86_400, employee_no)
        .await?;
    let rows: Vec<AwaitingContact> = rows
        .into_iter()
        .filter(|r| scope.contains(&r.employee_no, r.department.as_deref()))
        .collect();
    let mut out = waiting(rows, &rule, tz, now);
    out.sort_by_key(|w| w.seconds_left);
    Ok(out)
}

/// What one SLA check did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SlaReport {
    pub waiting: usize,
    pub reminded: usize,
    pub breached: usize,
    pub reassigned: usize,
}

fn hours_text(seconds: i64, lang: Lang) -> String {
    let h = seconds.abs() as f64 / 3600.0;
    match lang {
        Lang::Zh if h < 1.0 => format!("{} 分钟", (h * 60.0).round()),
        Lang::Zh => format!("{h:.1} 小时"),
        Lang::En if h < 1.0 => format!("{} minutes", (h * 60.0).round()),
        Lang::En => format!("{h:.1} hours"),
    }
}

/// Checks every waiting lead once: reminders before the deadline, alerts at breach (each sent
/// once per lead and owner), reassignment after the further delay when set. Messages are in
/// Chinese (the company's language).
pub async fn check(store: &Store, now: DateTime<Utc>) -> Result<SlaReport, AppError> {
    let lang = Lang::Zh;
    let rule = rule(store).await?;
    let tz = crate::settings::company_tz(store).await?;
    let rows = store
        .awaiting_first_contact(now.timestamp() - LOOKBACK_DAYS * 86_400, None)
        .await?;
    let managers: FxHashMap<String, Option<String>> = rows
        .iter()
        .map(|r| (r.employee_no.clone(), r.manager_no.clone()))
        .collect();
    let list = waiting(rows, &rule, tz, now);
    let channels = store.channels().await?;
    let book = crate::notify::Mailbook::load(store).await?;
    let mut notes: Vec<NewNotification> = Vec::new();
    let mut report = SlaReport {
        waiting: list.len(),
        ..Default::default()
    };
    let mut to_reassign = Vec::new();
    for w in &list {
        let what = format!(
            "{}{}",
            w.company.as_deref().unwrap_or(&w.lead_id),
            w.lead_source.as_deref().map(|s| format!("（{s}）")).unwrap_or_default()
        );
        let link = format!("/today?lead={}", w.lead_id);
        match w.state {
            SlaState::Open => {}
            SlaState::DueSoon => {
                report.reminded += 1;
                notes.extend(book.to_person(
                    &w.employee_no,
                    "sla.reminder",
                    &format!("新线索待首次联系：{what}"),
                    &format!(
                        "还剩 {}，请尽快联系（截止 {}）。",
                        hours_text(w.seconds_left, lang),
                        w.deadline.with_timezone(&tz).format("%m月%d日 %H:%M")
                    ),
                    Some(&link),
                    &format!("sla.reminder:{}:{}", w.lead_id, w.employee_no),
                ));
            }
            SlaState::Breached | SlaState::Reassign => {
                report.breached += 1;
                let title = format!("首次联系超时：{} 的线索 {what}", w.name);
                let body = format!(
                    "{}（{}）已超时 {} 未联系该线索。",
                    w.name,
                    w.employee_no,
                    hours_text(w.seconds_left, lang)
                );
                let dedupe = format!("sla.breach:{}:{}", w.lead_id, w.employee_no);
                // The rep hears it too (and is the only person told when they have no manager).
                notes.extend(book.to_person(
                    &w.employee_no,
                    "sla.breach",
                    &format!("线索已超时未联系：{what}"),
                    &format!(
                        "已超时 {}，请立即联系；你的上级已收到提醒。",
                        hours_text(w.seconds_left, lang)
                    ),
                    Some(&link),
                    &format!("{dedupe}:self"),
                ));
                if let Some(Some(m)) = managers.get(&w.employee_no) {
                    notes.extend(book.to_person(m, "sla.breach", &title, &body, Some("/leads/sla"), &dedupe));
                }
                notes.extend(crate::notify::to_robots(
                    &channels,
                    w.department.as_deref(),
                    "sla.breach",
                    &title,
                    &body,
                    &dedupe,
                ));
                if w.state == SlaState::Reassign {
                    to_reassign.push(w.clone());
                }
            }
        }
    }
    store.enqueue_notifications(&notes, now.timestamp()).await?;
    if !to_reassign.is_empty() {
        report.reassigned = reassign(store, &to_reassign, now, lang).await?;
    }
    Ok(report)
}

/// Hands overdue leads to the best other available rep with room (the optimal allocation with
/// the current owner excluded), records and audits it, and tells both reps.
async fn reassign(store: &Store, leads: &[WaitingLead], now: DateTime<Utc>, lang: Lang) -> Result<usize, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    let router = crate::routing::load(store, None, None, lang).await?;
    let facts: Vec<uplift_routing::LeadFacts> = leads
        .iter()
        .map(|w| crate::routing::lead_facts(w.lead_source.as_deref(), w.industry.as_deref(), None, None))
        .collect();
    let mut slots = router.slots.clone();
    let index_of: FxHashMap<&str, usize> = router
        .rep_rows
        .iter()
        .enumerate()
        .map(|(k, &i)| (router.roster[i].employee_no.as_str(), k))
        .collect();
    let book = crate::notify::Mailbook::load(store).await?;
    let mut n = 0;
    let mut notes = Vec::new();
    for (w, f) in leads.iter().zip(&facts) {
        // Exclude the current owner for this lead only.
        let own = index_of.get(w.employee_no.as_str()).copied();
        let saved = own.map(|k| slots[k]);
        if let Some(k) = own {
            slots[k].available = false;
        }
        let a = uplift_routing::allocate(
            &router.model,
            &router.reps,
            &slots,
            std::slice::from_ref(f),
            uplift_routing::Strategy::Optimal,
            uplift_routing::Limits {
                min_per_rep: 0,
                ..Default::default()
            },
        );
        if let (Some(k), Some(s)) = (own, saved) {
            slots[k] = s;
        }
        let (Some(k), Some(est)) = (a.owner[0], a.estimate[0]) else {
            continue;
        };
        slots[k].capacity_left = slots[k].capacity_left.saturating_sub(1);
        let r = &router.roster[router.rep_rows[k]];
        let reason = format!(
            "原负责人 {} 超时未首次联系，改派；{}",
            w.name,
            uplift_routing::reason::reason(&router.model, k, &router.reps[k], f, slots[k].capacity_left, true)
        );
        let row = AssignmentRow {
            lead_id: w.lead_id.clone(),
            employee_id: r.id,
            assigned_ts: now.timestamp(),
            month: Month::of(now.with_timezone(&tz).date_naive()).to_key() as i64,
            strategy: "optimal".into(),
            origin: "sla-reassign".into(),
            expected_conversion: est.conversion,
            expected_value: est.value,
            reason: reason.clone(),
            previous_owner: Some(w.employee_no.clone()),
            assigned_by: "scheduler".into(),
        };
        store
            .reassign_lead(&row, r.crm_user_id.as_deref().unwrap_or_default())
            .await?;
        crate::access::audit(
            store,
            "scheduler",
            None,
            "leads.reassign",
            Some(&w.lead_id),
            Some(&format!("{} -> {}", w.employee_no, r.employee_no)),
            None,
        )
        .await?;
        notes.extend(book.to_person(
            &r.employee_no,
            "sla.reassigned",
            &format!("改派给你的新线索：{}", w.company.as_deref().unwrap_or(&w.lead_id)),
            &reason,
            Some(&format!("/today?lead={}", w.lead_id)),
            &format!("sla.reassigned:{}:{}", w.lead_id, r.employee_no),
        ));
        n += 1;
    }
    store.enqueue_notifications(&notes, now.timestamp()).await?;
    Ok(n)
}
