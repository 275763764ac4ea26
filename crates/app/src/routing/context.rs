//! What routing needs, loaded once: today's reps with their facts and slots, the lead value model
//! fitted on the recent history, and the lead and rep facts the model reads.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use uplift_domain::{Lang, Month};
use uplift_routing::{LeadFacts, LeadModel, PastLead, RepFacts, Slot, TenureBand};
use uplift_store::{RoutingRep, Store};

use super::{HISTORY_MONTHS, default_capacity};
use crate::AppError;

/// Everything routing needs, loaded once.
pub struct Router {
    pub today: NaiveDate,
    pub month: Month,
    pub roster: Vec<RoutingRep>,
    /// Index into `roster` of each rep (people with an active CRM user and a sales-type role).
    pub rep_rows: Vec<usize>,
    pub reps: Vec<RepFacts>,
    pub slots: Vec<Slot>,
    pub model: LeadModel,
    /// The months the model learned from.
    pub history: (Month, Month),
}

pub(super) async fn today(store: &Store) -> Result<NaiveDate, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    Ok(Utc::now().with_timezone(&tz).date_naive())
}

pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

pub(super) fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to.year() as i64 - from.year() as i64) * 12 + to.month() as i64 - from.month() as i64
}

fn industries(s: Option<&str>) -> Vec<Arc<str>> {
    s.unwrap_or("")
        .split([';', ',', '、', '，', '/', '；'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(Arc::from)
        .collect()
}

/// Company-size band of a lead, from its number of employees.
fn size_band(n: Option<i64>) -> Option<&'static str> {
    Some(match n? {
        ..=49 => "size=1-49",
        50..=199 => "size=50-199",
        200..=999 => "size=200-999",
        _ => "size=1000+",
    })
}

/// The routing view of a lead: source × industry segment plus rating and size.
pub fn lead_facts(
    source: Option<&str>,
    industry: Option<&str>,
    rating: Option<&str>,
    employees: Option<i64>,
) -> LeadFacts {
    let mut attributes = Vec::new();
    if let Some(r) = rating.map(str::trim).filter(|r| !r.is_empty()) {
        attributes.push(Arc::from(format!("rating={r}")));
    }
    if let Some(s) = size_band(employees) {
        attributes.push(Arc::from(s));
    }
    LeadFacts {
        source: Arc::from(source.map(str::trim).unwrap_or("")),
        industry: Arc::from(industry.map(str::trim).unwrap_or("")),
        attributes,
    }
}

fn is_rep(r: &RoutingRep) -> bool {
    r.crm_user_id.is_some() && r.role_family.as_deref().is_none_or(|f| f != "other")
}

/// The rep's leave periods (both days included).
fn leave_periods(r: &RoutingRep) -> impl Iterator<Item = (NaiveDate, NaiveDate)> + '_ {
    r.leaves.split(';').filter_map(|p| {
        let (a, b) = p.trim().split_once(' ')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    })
}

/// Whether the rep is on leave on `day`.
pub fn on_leave(r: &RoutingRep, day: NaiveDate) -> bool {
    leave_periods(r).any(|(a, b)| a <= day && day <= b)
}

/// Whether the rep is away for every day from `first` to `last`.
pub(super) fn away_throughout(r: &RoutingRep, first: NaiveDate, last: NaiveDate) -> bool {
    first.iter_days().take_while(|d| *d <= last).all(|d| on_leave(r, d))
}

fn employed_on(r: &RoutingRep, day: NaiveDate) -> bool {
    r.crm_active
        && !on_leave(r, day)
        && r.hire_date.parse::<NaiveDate>().is_ok_and(|h| h <= day)
        && r.leave_date.as_deref().and_then(parse_date).is_none_or(|l| l > day)
}

pub(super) fn rep_facts(r: &RoutingRep, on: NaiveDate) -> RepFacts {
    let tenure = r
        .hire_date
        .parse::<NaiveDate>()
        .map_or(0, |h| uplift_domain::people::whole_months(h, on) as i64);
    RepFacts {
        team: Arc::from(r.department.as_deref().unwrap_or("")),
        tenure_band: TenureBand::of_months(tenure),
        industries: industries(r.industry_experience.as_deref()),
    }
}

/// The newest month with leads, or None when there are none.
pub(super) async fn newest_lead_month(store: &Store) -> Result<Option<Month>, AppError> {
    Ok(store.newest_lead_month().await?.and_then(|k| Month::from_key(k as i32)))
}

/// Past leads of `from..=to` as the model sees them, owners as rep indices.
pub(super) async fn past_leads(
    store: &Store,
    roster: &[RoutingRep],
    rep_of_employee: &FxHashMap<i64, usize>,
    from: Month,
    to: Month,
) -> Result<Vec<(PastLead, i32)>, AppError> {
    let by_id: FxHashMap<i64, &RoutingRep> = roster.iter().map(|r| (r.id, r)).collect();
    let rows = store.routing_history(from.to_key(), to.to_key()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for l in rows {
        let Some(&owner) = rep_of_employee.get(&l.employee_id) else {
            continue;
        };
        let Some(created) = Month::from_key(l.created_month as i32) else {
            continue;
        };
        let tenure = by_id
            .get(&l.employee_id)
            .and_then(|r| r.hire_date.parse::<NaiveDate>().ok())
            .map_or(0, |h| {
                uplift_domain::people::whole_months(h, created.first_day()) as i64
            });
        let won = l.opportunity_state == 1;
        out.push((
            PastLead {
                facts: lead_facts(
                    l.lead_source.as_deref(),
                    l.industry.as_deref(),
                    l.rating.as_deref(),
                    l.number_of_employees,
                ),
                owner,
                age_months: months_between(created.first_day(), to.first_day()).max(0) as u32,
                tenure_band: TenureBand::of_months(tenure),
                converted: l.is_converted,
                won_value: if won {
                    l.won_fen.unwrap_or(0) as f64 / 100.0
                } else {
                    0.0
                },
                value_known: !l.is_converted || l.opportunity_state == 1 || l.opportunity_state == 2,
            },
            created.to_key(),
        ));
    }
    Ok(out)
}

/// Loads reps, their capacity left this month and the model fitted on the last
/// [`HISTORY_MONTHS`] months of mature leads (the newest month of leads is still converting
/// and is left out).
pub async fn load(
    store: &Store,
    capacities: Option<&FxHashMap<String, u32>>,
    as_of: Option<NaiveDate>,
    lang: Lang,
) -> Result<Router, AppError> {
    let today = match as_of {
        Some(d) => d,
        None => today(store).await?,
    };
    let month = Month::of(today);
    let roster = store.routing_reps().await?;
    let rep_rows: Vec<usize> = (0..roster.len()).filter(|&i| is_rep(&roster[i])).collect();
    if rep_rows.is_empty() {
        return Err(AppError::invalid(
            lang.pick(
                "没有可分配线索的人：花名册里需要有关联了在用 CRM 用户的员工（先导入花名册和 CRM 用户）",
                "nobody can receive leads: the roster needs employees linked to active CRM users (import the roster and CRM users first)",
            )
            .to_string(),
        ));
    }
    let rep_of_employee: FxHashMap<i64, usize> = rep_rows.iter().enumerate().map(|(k, &i)| (roster[i].id, k)).collect();
    let reps: Vec<RepFacts> = rep_rows.iter().map(|&i| rep_facts(&roster[i], today)).collect();
    // The newest month of leads is still converting and is left out; with live data (leads this
    // month) that newest month is last month, not this one.
    let newest = newest_lead_month(store).await?.unwrap_or(month).min(month.prev());
    let to = newest.prev();
    let from = to.span_start(HISTORY_MONTHS);
    let history: Vec<PastLead> = past_leads(store, &roster, &rep_of_employee, from, to)
        .await?
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    let model = crate::heavy({
        let reps = reps.clone();
        move || LeadModel::fit(&history, &reps)
    })
    .await?;
    let received: FxHashMap<i64, i64> = store.leads_received(month.to_key()).await?.into_iter().collect();
    let slots = rep_rows
        .iter()
        .zip(&reps)
        .map(|(&i, facts)| {
            let r = &roster[i];
            let cap = capacities
                .and_then(|c| c.get(&r.employee_no).copied())
                .or(r.capacity.map(|c| c.max(0) as u32))
                .unwrap_or_else(|| default_capacity(facts.tenure_band));
            let got = received.get(&r.id).copied().unwrap_or(0).max(0) as u32;
            Slot {
                capacity_left: cap.saturating_sub(got),
                available: employed_on(r, today),
            }
        })
        .collect();
    Ok(Router {
        today,
        month,
        roster,
        rep_rows,
        reps,
        slots,
        model,
        history: (from, to),
    })
}
