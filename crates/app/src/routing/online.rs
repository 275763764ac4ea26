//! Online routing: one lead at a time (API, CRM webhook), consistent with the month's plan.

use chrono::Utc;
use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_domain::{Lang, Month};
use uplift_routing::reason::reason;
use uplift_routing::{LeadFacts, Limits, Strategy};
use uplift_store::{AssignmentRow, Store};

use super::context::{Router, lead_facts, load, newest_lead_month, past_leads, today};
use crate::AppError;

/// Longest company name, city, source, industry or rating an incoming lead may carry.
pub const MAX_LEAD_TEXT_CHARS: usize = 200;

/// A lead arriving one at a time (API, CRM webhook).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct IncomingLead {
    /// The CRM's lead id.
    #[serde(alias = "Id", alias = "lead_id")]
    pub id: String,
    #[serde(alias = "LeadSource", alias = "lead_source")]
    pub source: Option<String>,
    #[serde(alias = "Industry")]
    pub industry: Option<String>,
    #[serde(alias = "Rating")]
    pub rating: Option<String>,
    #[serde(alias = "Company")]
    pub company: Option<String>,
    #[serde(alias = "City")]
    pub city: Option<String>,
    #[serde(alias = "NumberOfEmployees")]
    pub number_of_employees: Option<i64>,
}

/// Where an incoming lead went.
#[derive(Debug, Clone, Serialize)]
pub struct RoutedLead {
    pub lead_id: String,
    pub employee_no: String,
    pub name: String,
    pub owner_id: String,
    pub expected_conversion: f64,
    pub expected_value: f64,
    pub reason: String,
    /// True when the lead filled a quota of this month's plan, false when it fell back to the
    /// best rep with room (a kind of lead the plan did not foresee).
    pub planned: bool,
    /// True when the lead had been routed before (the earlier decision is returned).
    pub kept: bool,
}

struct OnlineState {
    month: Month,
    built: std::time::Instant,
    router: Router,
    plan: uplift_routing::OnlinePlan,
}

/// How long an online plan is used before it is rebuilt from the database (capacity used by
/// other processes and new history are picked up then).
pub const ONLINE_PLAN_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// The recorded decision for a lead, if it was routed before.
async fn stored_decision(store: &Store, id: &str) -> Result<Option<RoutedLead>, AppError> {
    let Some(a) = store.assignments_of(&[id.to_string()]).await?.into_iter().next() else {
        return Ok(None);
    };
    let r = store
        .routing_reps()
        .await?
        .into_iter()
        .find(|r| r.id == a.employee_id)
        .ok_or_else(|| AppError::NotFound(id.to_string()))?;
    Ok(Some(RoutedLead {
        lead_id: id.to_string(),
        employee_no: r.employee_no,
        name: r.name,
        owner_id: r.crm_user_id.unwrap_or_default(),
        expected_conversion: a.expected_conversion,
        expected_value: a.expected_value,
        reason: a.reason,
        planned: true,
        kept: true,
    }))
}

/// Routes single leads in real time, consistently with a batch plan for the month: the plan
/// allocates last month's inflow (by segment) to this month's reps; each lead takes the best open
/// quota of its segment. Held by the server; one plan per process, rebuilt hourly.
#[derive(Default)]
pub struct OnlineRouter {
    state: tokio::sync::Mutex<Option<OnlineState>>,
}

impl OnlineRouter {
    /// Drops the plan so the next lead rebuilds it (after imports or capacity changes).
    pub async fn invalidate(&self) {
        *self.state.lock().await = None;
    }

    async fn build(store: &Store, lang: Lang) -> Result<OnlineState, AppError> {
        let router = load(store, None, None, lang).await?;
        let rep_of_employee: FxHashMap<i64, usize> = router
            .rep_rows
            .iter()
            .enumerate()
            .map(|(k, &i)| (router.roster[i].id, k))
            .collect();
        // Last complete month's inflow (this month's is partial).
        let newest = newest_lead_month(store)
            .await?
            .unwrap_or(router.month)
            .min(router.month.prev());
        let expected: Vec<LeadFacts> = past_leads(store, &router.roster, &rep_of_employee, newest, newest)
            .await?
            .into_iter()
            .map(|(l, _)| l.facts)
            .collect();
        let plan = crate::heavy({
            let model = router.model.clone();
            let reps = router.reps.clone();
            let slots = router.slots.clone();
            move || uplift_routing::OnlinePlan::new(&model, reps, &slots, &expected, Limits::default())
        })
        .await?;
        Ok(OnlineState {
            month: router.month,
            built: std::time::Instant::now(),
            router,
            plan,
        })
    }

    /// Routes one lead, records the decision (and the lead itself, or its new owner) and audits it.
    /// A lead routed before keeps its rep.
    pub async fn route(
        &self,
        store: &Store,
        lead: &IncomingLead,
        by: &str,
        role: Option<&str>,
        lang: Lang,
    ) -> Result<RoutedLead, AppError> {
        // The same id rules as an imported lead's: NFKC, no invisible characters, at most 64.
        let id = &uplift_io::records::normalise_id(&lead.id);
        if id.is_empty() {
            return Err(AppError::invalid_field(
                "id",
                lang.pick("线索缺少 id", "the lead has no id").to_string(),
            ));
        }
        let max = uplift_io::records::MAX_ID_CHARS;
        if id.chars().count() > max {
            return Err(AppError::invalid_field(
                "id",
                match lang {
                    Lang::Zh => format!("线索 id 超过 {max} 个字符，不是 CRM 的 id"),
                    Lang::En => format!("the lead id is longer than {max} characters, which no CRM id is"),
                },
            ));
        }
        for (field, value) in [
            ("source", &lead.source),
            ("industry", &lead.industry),
            ("rating", &lead.rating),
            ("company", &lead.company),
            ("city", &lead.city),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > MAX_LEAD_TEXT_CHARS) {
                return Err(AppError::invalid_field(
                    field,
                    match lang {
                        Lang::Zh => format!("{field} 超过 {MAX_LEAD_TEXT_CHARS} 个字符"),
                        Lang::En => format!("{field} is longer than {MAX_LEAD_TEXT_CHARS} characters"),
                    },
                ));
            }
        }
        // Under the lock: two deliveries of the same lead (webhook retries) get one decision.
        let mut guard = self.state.lock().await;
        if let Some(done) = stored_decision(store, id).await? {
            return Ok(done);
        }
        let facts = lead_facts(
            lead.source.as_deref(),
            lead.industry.as_deref(),
            lead.rating.as_deref(),
            lead.number_of_employees,
        );
        let today = today(store).await?;
        let stale = guard
            .as_ref()
            .is_none_or(|s| s.built.elapsed() > ONLINE_PLAN_TTL || s.month != Month::of(today));
        if stale {
            *guard = Some(Self::build(store, lang).await?);
        }
        let Some(state) = guard.as_mut() else {
            return Err(AppError::internal("no plan".into()));
        };
        let routed = state.plan.route(&state.router.model, &facts).ok_or_else(|| {
            AppError::invalid(
                lang.pick(
                    "所有在岗人员本月线索容量已满，无法分配",
                    "every available rep is at this month's capacity",
                )
                .to_string(),
            )
        })?;
        let k = routed.rep;
        let r = &state.router.roster[state.router.rep_rows[k]];
        let zh = lang == Lang::Zh;
        let why = reason(
            &state.router.model,
            k,
            &state.router.reps[k],
            &facts,
            routed.capacity_left,
            zh,
        );
        let owner_id = r.crm_user_id.clone().unwrap_or_default();
        let row = AssignmentRow {
            lead_id: id.to_string(),
            employee_id: r.id,
            assigned_ts: Utc::now().timestamp(),
            month: state.month.to_key() as i64,
            strategy: Strategy::Optimal.name().to_string(),
            origin: "online".into(),
            expected_conversion: routed.estimate.conversion,
            expected_value: routed.estimate.value,
            reason: why.clone(),
            previous_owner: None,
            assigned_by: by.to_string(),
        };
        let out = RoutedLead {
            lead_id: id.to_string(),
            employee_no: r.employee_no.clone(),
            name: r.name.clone(),
            owner_id: owner_id.clone(),
            expected_conversion: routed.estimate.conversion,
            expected_value: routed.estimate.value,
            reason: why,
            planned: routed.planned,
            kept: false,
        };
        // The lock is held until the decision is stored, so the next request sees it.
        let new_lead = uplift_store::NewLeadRow {
            source_id: id.to_string(),
            owner_id,
            created_ts: Utc::now().timestamp(),
            created_month: Month::of(today).to_key() as i64,
            lead_source: lead.source.clone(),
            industry: lead.industry.clone(),
            rating: lead.rating.clone(),
            company: lead.company.clone(),
            city: lead.city.clone(),
            number_of_employees: lead.number_of_employees,
        };
        if !store.record_routed_lead(&row, &new_lead).await? {
            // Another process routed it first: its decision stands.
            return stored_decision(store, id)
                .await?
                .ok_or_else(|| AppError::NotFound(id.to_string()));
        }
        crate::access::audit(store, by, role, "leads.route", Some(id), Some(&out.employee_no), None).await?;
        Ok(out)
    }
}
