//! Follow-up cadence (issue #5): the rules per lifecycle stage (a setting), the
//! `cadence_compliance` metric fed into the metric table, each rep's due and overdue follow-ups,
//! the managers' board, and the daily job that reminds reps.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_domain::access::Scope;
use uplift_domain::metric_data::CadenceDays;
use uplift_domain::time::{from_local, local_date, month_end_exclusive};
use uplift_domain::{Lang, Month};
pub use uplift_routing::cadence::{CadenceRecord, CadenceRules, DueState, RecordKind, Stage, StageRule};
use uplift_routing::cadence::{
    DealState, FollowupIndex, LeadCadenceFacts, OpportunityCadenceFacts, build_records, monthly_compliance, next_due,
};
use uplift_store::{AffectedMonths, CadenceLeadRow, CadenceOpportunityRow, CadenceQuery, NewNotification, Store};

use crate::AppError;

const RULES_KEY: &str = "cadence.rules";
const DAY: i64 = 86_400;

/// The cadence rules in force (the defaults until an admin sets them).
pub async fn rules(store: &Store) -> Result<CadenceRules, AppError> {
    Ok(match store.setting(RULES_KEY).await? {
        Some(text) => CadenceRules::from_toml(&text, Lang::En).unwrap_or_else(|e| {
            // Stored rules were validated when saved; a hand-edited row falls back, loudly.
            tracing::warn!(error = %e, "stored cadence rules unusable, using the defaults");
            CadenceRules::default()
        }),
        None => CadenceRules::default(),
    })
}

/// Validates, stores and audits new rules (admin). The months' `cadence_compliance` then needs a
/// recompute: callers go through `metrics::change_cadence_rules`, which does both.
pub(crate) async fn save_rules(store: &Store, rules: &CadenceRules, by: &str, lang: Lang) -> Result<(), AppError> {
    rules.validate(lang).map_err(|e| AppError::invalid(e.to_string()))?;
    let text = rules.to_toml();
    store.set_setting(RULES_KEY, &text).await?;
    crate::access::audit(store, by, None, "settings.cadence", None, Some(&text), None).await?;
    Ok(())
}

fn day_start(d: NaiveDate, tz: Tz) -> i64 {
    from_local(d.and_hms_opt(0, 0, 0).unwrap_or_default(), tz).timestamp()
}

fn lead_facts(rows: &[CadenceLeadRow], tz: Tz) -> Vec<LeadCadenceFacts> {
    rows.iter()
        .map(|r| LeadCadenceFacts {
            id: r.id.clone(),
            employee_id: r.employee_id,
            status: r.status.clone(),
            created_ts: r.created_ts,
            // A converted lead without a date ends where it began (no cadence).
            converted_ts: r
                .converted_date
                .as_deref()
                .map(|d| d.parse::<NaiveDate>().map(|d| day_start(d, tz)).unwrap_or(r.created_ts)),
            last_followup_ts: r.last_ts,
        })
        .collect()
}

fn opportunity_facts(rows: &[CadenceOpportunityRow], tz: Tz) -> Vec<OpportunityCadenceFacts> {
    rows.iter()
        .filter_map(|r| {
            Some(OpportunityCadenceFacts {
                id: r.id.clone(),
                employee_id: r.employee_id,
                account_id: r.account_id.clone(),
                stage_name: r.stage_name.clone(),
                state: DealState::parse(&r.state).unwrap_or(DealState::Open),
                created_ts: r.created_ts,
                close_ts: day_start(r.close_date.parse().ok()?, tz),
            })
        })
        .collect()
}

fn won_deals(rows: &[CadenceOpportunityRow]) -> Vec<(String, Option<String>)> {
    rows.iter()
        .filter(|r| r.state == "won")
        .map(|r| (r.id.clone(), r.account_id.clone()))
        .collect()
}

/// Days before `t` that a lead can still be under a cadence (`None`: any age).
fn lead_lookback(rules: &CadenceRules) -> Option<i64> {
    let mut stages = vec![Stage::Potential];
    stages.extend(
        rules
            .lead_status
            .values()
            .filter_map(|v| Stage::parse_mapped(v).flatten()),
    );
    stages
        .iter()
        .map(|s| rules.rule(*s).for_days.map(|d| d as i64 * DAY))
        .try_fold(0, |acc, d| d.map(|d| acc.max(d)))
}

/// Each month key's (key, start, end) in epoch seconds, in zone `tz`.
fn month_spans(months: &[i32], tz: Tz) -> Vec<(i32, i64, i64)> {
    months
        .iter()
        .filter_map(|&k| {
            let m = Month::from_key(k)?;
            Some((
                k,
                month_end_exclusive(m.prev(), tz).timestamp(),
                month_end_exclusive(m, tz).timestamp(),
            ))
        })
        .collect()
}

/// The months whose follow-ups the compliance of `months` (starting at `t0`) reads: those months
/// and the ones reaching one interval of the slowest rule before them (a customer's standing at
/// the start of a month depends on its last follow-up before it).
fn followup_months(rules: &CadenceRules, t0: i64, months: &[i32], tz: Tz) -> Vec<i32> {
    let back = uplift_routing::cadence::longest_interval_secs(rules);
    let first = Month::of(local_date(
        DateTime::from_timestamp(t0 - back, 0).unwrap_or_default(),
        tz,
    ));
    let mut out: Vec<i32> = months.to_vec();
    if let Some(&m0) = months.iter().min()
        && let Some(m0) = Month::from_key(m0)
        && first < m0
    {
        out.extend(first.through(m0.prev()).into_iter().map(|m| m.to_key()));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What the compliance of the months `spans` needs: leads and deals whose stages can overlap them.
fn compliance_query<'a>(rules: &CadenceRules, t0: i64, t1: i64, tz: Tz, now: DateTime<Utc>) -> CadenceQuery<'a> {
    let since = |days: Option<u32>| {
        days.map(|d| local_date(DateTime::from_timestamp(t0 - d as i64 * DAY, 0).unwrap_or(now), tz).to_string())
    };
    CadenceQuery {
        leads_created_from: lead_lookback(rules).map(|l| t0 - l),
        leads_created_to: t1,
        open_leads_only: false,
        opportunities_created_to: t1,
        // Without a care window every win counts.
        won_since: Some(since(rules.won.for_days).unwrap_or_default()),
        lost_since: since(Some(0)),
        employees: None,
        with_titles: false,
    }
}

/// The cadence records of loaded leads and deals.
fn records_of(
    rules: &CadenceRules,
    leads: &[CadenceLeadRow],
    opps: &[CadenceOpportunityRow],
    tz: Tz,
) -> Vec<CadenceRecord> {
    build_records(rules, &lead_facts(leads, tz), &opportunity_facts(opps, tz))
}

/// Customer-days under a cadence and on time per employee and month of `spans`, from the
/// records of loaded deals (`opps`, for won deals' accounts) and follow-ups.
fn compliance_of(
    rules: &CadenceRules,
    records: &[CadenceRecord],
    opps: &[CadenceOpportunityRow],
    followups: &[(Option<String>, Option<String>, i64)],
    spans: &[(i32, i64, i64)],
    now: DateTime<Utc>,
) -> Vec<CadenceDays> {
    let won = won_deals(opps);
    let index = FollowupIndex::new(records, &won);
    monthly_compliance(rules, records, &index, followups, spans, now.timestamp())
}

/// `cadence_compliance` inputs of these months (customer-days under a cadence and of them on
/// time, all stages and pre-sale alone), counted up to `now` (the current month grows day by day).
pub async fn month_compliance(
    store: &Store,
    rules: &CadenceRules,
    months: &[i32],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<CadenceDays>, AppError> {
    let spans = month_spans(months, tz);
    let (Some(t0), Some(t1)) = (spans.iter().map(|s| s.1).min(), spans.iter().map(|s| s.2).max()) else {
        return Ok(Vec::new());
    };
    let q = compliance_query(rules, t0, t1, tz, now);
    let t = std::time::Instant::now();
    let leads = store.cadence_leads(&q).await?;
    let t_leads = t.elapsed();
    let opps = store.cadence_opportunities(&q).await?;
    let t_opps = t.elapsed();
    let followups = store.cadence_followups(&followup_months(rules, t0, months, tz)).await?;
    let loaded = t.elapsed();
    let records = records_of(rules, &leads, &opps, tz);
    let out = compliance_of(rules, &records, &opps, &followups, &spans, now);
    tracing::debug!(?t_leads, ?t_opps, ?loaded, total = ?t.elapsed(), leads = leads.len(), followups = followups.len(), "cadence compliance");
    Ok(out)
}

/// Every cadence record in the database, whole history (for the demo's live activity).
pub async fn all_records(
    store: &Store,
    rules: &CadenceRules,
    now: DateTime<Utc>,
) -> Result<Vec<CadenceRecord>, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    let q = CadenceQuery {
        leads_created_from: None,
        leads_created_to: now.timestamp() + 1,
        open_leads_only: false,
        opportunities_created_to: now.timestamp() + 1,
        won_since: Some(String::new()),
        lost_since: Some(String::new()),
        employees: None,
        with_titles: false,
    };
    let leads = store.cadence_leads(&q).await?;
    let opps = store.cadence_opportunities(&q).await?;
    Ok(records_of(rules, &leads, &opps, tz))
}

/// A customer whose next follow-up is due.
#[derive(Debug, Clone, Serialize)]
pub struct DueFollowup {
    pub employee_id: i64,
    pub kind: RecordKind,
    pub id: String,
    pub title: Option<String>,
    pub stage: Stage,
    pub due: DateTime<Utc>,
    pub state: DueState,
    pub last_touch: Option<DateTime<Utc>>,
}

/// Every customer under a cadence now (of `employees`, or everyone), with when the next
/// follow-up is due and where that stands today.
pub async fn due_followups(
    store: &Store,
    rules: &CadenceRules,
    employees: Option<&[i64]>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<DueFollowup>, AppError> {
    let t = now.timestamp();
    let today = local_date(now, tz);
    let q = CadenceQuery {
        leads_created_from: lead_lookback(rules).map(|l| t - l),
        leads_created_to: t + 1,
        open_leads_only: true,
        opportunities_created_to: t + 1,
        won_since: Some(
            rules
                .won
                .for_days
                .map(|d| (today - Duration::days(d as i64)).to_string())
                .unwrap_or_default(),
        ),
        lost_since: None,
        employees,
        with_titles: true,
    };
    let leads = store.cadence_leads(&q).await?;
    let opps = store.cadence_opportunities(&q).await?;
    let mut records = records_of(rules, &leads, &opps, tz);
    // Others' wins on the rep's accounts came only to end the rep's care; their records go.
    if let Some(ids) = employees {
        records.retain(|r| ids.contains(&r.employee_id));
    }
    Ok(due_of(rules, &records, &leads, &opps, now, tz))
}

/// Where each record stands today, with last touches and names from the loaded leads and deals.
fn due_of(
    rules: &CadenceRules,
    records: &[CadenceRecord],
    leads: &[CadenceLeadRow],
    opps: &[CadenceOpportunityRow],
    now: DateTime<Utc>,
    tz: Tz,
) -> Vec<DueFollowup> {
    let t = now.timestamp();
    let today = local_date(now, tz);
    let (ds, de) = (day_start(today, tz), day_start(today + Duration::days(1), tz));
    // Last touches and titles by record.
    let mut last: FxHashMap<(RecordKind, &str), i64> = FxHashMap::default();
    let mut title: FxHashMap<(RecordKind, &str), &str> = FxHashMap::default();
    for l in leads {
        if let Some(ts) = l.last_ts {
            last.insert((RecordKind::Lead, l.id.as_str()), ts);
        }
        if let Some(t) = &l.title {
            title.insert((RecordKind::Lead, l.id.as_str()), t);
        }
    }
    for o in opps {
        if let Some(ts) = o.last_ts {
            last.insert((RecordKind::Opportunity, o.id.as_str()), ts);
        }
        if let Some(t) = &o.title {
            title.insert((RecordKind::Opportunity, o.id.as_str()), t);
        }
        if o.state == "won" {
            let key = o.account_id.as_deref().unwrap_or(o.id.as_str());
            let touch = o.last_ts.max(o.account_last_ts);
            if let Some(ts) = touch {
                let e = last.entry((RecordKind::Account, key)).or_insert(ts);
                *e = (*e).max(ts);
            }
            if let Some(t) = &o.title {
                title.insert((RecordKind::Account, key), t);
            }
        }
    }
    let mut out: Vec<DueFollowup> = records
        .iter()
        .filter_map(|r: &CadenceRecord| {
            let key = (r.kind, r.id.as_str());
            let touch = last.get(&key).copied().filter(|&ts| ts >= r.start);
            let (due, state) = next_due(rules, r, touch, t, ds, de)?;
            Some(DueFollowup {
                employee_id: r.employee_id,
                kind: r.kind,
                id: r.id.clone(),
                title: title.get(&key).map(|s| s.to_string()),
                stage: r.stage,
                due: DateTime::from_timestamp(due, 0).unwrap_or(now),
                state,
                last_touch: touch.and_then(|ts| DateTime::from_timestamp(ts, 0)),
            })
        })
        .collect();
    out.sort_by_key(|d| (d.employee_id, d.due));
    out
}

/// A rep's follow-ups due today or overdue, most overdue first (the Today page).
pub async fn my_due(store: &Store, employee_no: &str, now: DateTime<Utc>) -> Result<Vec<DueFollowup>, AppError> {
    let Some(employee_id) = store.employee_id_of(employee_no).await? else {
        return Ok(Vec::new());
    };
    let rules = rules(store).await?;
    let tz = crate::settings::company_tz(store).await?;
    let mut v = due_followups(store, &rules, Some(&[employee_id]), now, tz).await?;
    v.retain(|d| d.state != DueState::Upcoming);
    Ok(v)
}

/// One rep's line on the cadence board.
#[derive(Debug, Clone, Serialize)]
pub struct RepCadence {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    /// Customers under a cadence now.
    pub customers: usize,
    pub due_today: usize,
    pub overdue: usize,
    /// `cadence_compliance` of this month so far and of last month (from the metric table).
    pub this_month: Option<f64>,
    pub last_month: Option<f64>,
}

/// The cadence board of the reps in `scope`, most overdue first.
pub async fn board(store: &Store, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<RepCadence>, AppError> {
    let rules = rules(store).await?;
    let tz = crate::settings::company_tz(store).await?;
    let roster: Vec<_> = store
        .routing_reps()
        .await?
        .into_iter()
        .filter(|r| r.leave_date.is_none() && scope.contains(&r.employee_no, r.department.as_deref()))
        .collect();
    let ids: Vec<i64> = roster.iter().map(|r| r.id).collect();
    let due = due_followups(store, &rules, Some(&ids), now, tz).await?;
    let mut counts: FxHashMap<i64, (usize, usize, usize)> = FxHashMap::default();
    for d in &due {
        let c = counts.entry(d.employee_id).or_default();
        c.0 += 1;
        c.1 += (d.state == DueState::DueToday) as usize;
        c.2 += (d.state == DueState::Overdue) as usize;
    }
    let month = Month::of(local_date(now, tz));
    let compliance: FxHashMap<(i64, i32), Option<f64>> = store
        .cadence_compliance_of(&ids, &[month.to_key(), month.prev().to_key()])
        .await?
        .into_iter()
        .map(|(e, m, c)| ((e, m as i32), c))
        .collect();
    let mut out: Vec<RepCadence> = roster
        .into_iter()
        .map(|r| {
            let (customers, due_today, overdue) = counts.get(&r.id).copied().unwrap_or_default();
            RepCadence {
                this_month: compliance.get(&(r.id, month.to_key())).copied().flatten(),
                last_month: compliance.get(&(r.id, month.prev().to_key())).copied().flatten(),
                employee_no: r.employee_no,
                name: r.name,
                department: r.department,
                customers,
                due_today,
                overdue,
            }
        })
        .filter(|r| r.customers > 0 || r.this_month.is_some() || r.last_month.is_some())
        .collect();
    out.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.employee_no.cmp(&b.employee_no)));
    Ok(out)
}

/// What the daily cadence job did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CadenceRun {
    pub customers: usize,
    pub due_today: usize,
    pub overdue: usize,
    pub reps_reminded: usize,
    pub queued: usize,
}

/// The daily job: brings this and last month's `cadence_compliance` up to date (last month's
/// last day, and follow-ups logged in Uplift since) — only those columns, not the whole metric
/// table — counts every rep's due and overdue follow-ups from the same reading of the CRM, and
/// leaves each rep with any a reminder in their inbox (once a day).
pub async fn daily(store: &Store, day: &str, now: DateTime<Utc>) -> Result<CadenceRun, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    let rules = rules(store).await?;
    let month = Month::of(local_date(now, tz));
    let months = [month.prev().to_key(), month.to_key()];
    let spans = month_spans(&months, tz);
    let (t0, t1) = (spans[0].1, spans[1].2);
    // The compliance reading is a superset of what today's due list needs.
    let q = compliance_query(&rules, t0, t1, tz, now);
    let leads = store.cadence_leads(&q).await?;
    let opps = store.cadence_opportunities(&q).await?;
    let followups = store
        .cadence_followups(&followup_months(&rules, t0, &months, tz))
        .await?;
    // One set of records serves both.
    let records = records_of(&rules, &leads, &opps, tz);
    let rows = compliance_of(&rules, &records, &opps, &followups, &spans, now);
    store.write_cadence_compliance(&months, &rows).await?;
    let due = due_of(&rules, &records, &leads, &opps, now, tz);
    reminders(store, &due, day, now).await
}

/// Counts due follow-ups per rep and queues the inbox reminders.
pub async fn reminders(
    store: &Store,
    due: &[DueFollowup],
    day: &str,
    now: DateTime<Utc>,
) -> Result<CadenceRun, AppError> {
    let mut run = CadenceRun {
        customers: due.len(),
        ..Default::default()
    };
    let mut per_rep: FxHashMap<i64, (usize, usize)> = FxHashMap::default();
    for d in due {
        let c = per_rep.entry(d.employee_id).or_default();
        match d.state {
            DueState::Overdue => c.1 += 1,
            DueState::DueToday => c.0 += 1,
            DueState::Upcoming => {}
        }
    }
    run.due_today = per_rep.values().map(|c| c.0).sum();
    run.overdue = per_rep.values().map(|c| c.1).sum();
    let numbers: FxHashMap<i64, String> = store
        .employee_keys()
        .await?
        .into_iter()
        .map(|k| (k.id, k.employee_no))
        .collect();
    let mut notes = Vec::new();
    for (id, (today, overdue)) in &per_rep {
        if today + overdue == 0 {
            continue;
        }
        let Some(no) = numbers.get(id) else { continue };
        // Inbox only: a daily count is what the Today page shows; mail would be noise.
        notes.push(NewNotification {
            recipient: no.clone(),
            channel: "inbox".into(),
            kind: "cadence".into(),
            title: format!("跟进提醒：今日应跟进 {today} 位客户，已逾期 {overdue} 位"),
            body: "按跟进节奏规则（潜在、意向、成交客户关怀）计算，详见“今日”页面。".into(),
            link: Some("/today".into()),
            dedupe_key: format!("inbox:cadence:{day}:{no}"),
        });
    }
    run.reps_reminded = notes.len();
    run.queued = store.enqueue_notifications(&notes, now.timestamp()).await?;
    Ok(run)
}

/// Logs a follow-up on one of the caller's own customers (the Today page's one click): a lead,
/// an opportunity or a won account. Audited.
pub async fn log_followup(
    store: &Store,
    p: &crate::access::Principal,
    kind: &str,
    id: &str,
    lang: Lang,
) -> Result<(), AppError> {
    let me = p.employee_no.as_deref().ok_or(AppError::Forbidden)?;
    // One answer for "no such record" and "not yours", so ids cannot be probed.
    let Some(owner) = store.cadence_owner_of(kind, id, me).await? else {
        return Err(AppError::invalid(
            lang.pick(
                "只能记录自己名下客户的跟进",
                "you can log follow-ups only on your own customers",
            )
            .to_string(),
        ));
    };
    let now = Utc::now();
    let nonce: u32 = {
        use rand::{Rng, SeedableRng};
        rand::rngs::SmallRng::seed_from_u64(now.timestamp_nanos_opt().unwrap_or_default() as u64).random()
    };
    let source_id = format!("uplift-{}-{nonce:08x}", now.timestamp_millis());
    let month = Month::of(local_date(now, crate::settings::company_tz(store).await?));
    // The month's follow-ups and compliance change: recomputed by the next import or daily job.
    store
        .mark_metrics_pending(&AffectedMonths::Set([month.to_key()].into_iter().collect()))
        .await?;
    let (who, what) = if kind == "lead" {
        (Some(id), None)
    } else {
        (None, Some(id))
    };
    store
        .log_followup(
            &source_id,
            &owner,
            who,
            what,
            lang.pick("跟进（Uplift 记录）", "Follow-up (logged in Uplift)"),
            now.timestamp(),
            month.to_key() as i64,
        )
        .await?;
    crate::access::audit_by(store, p, "leads.followup", Some(&format!("{kind}:{id}")), None, None).await
}
