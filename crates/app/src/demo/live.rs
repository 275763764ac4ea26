//! The demo of today: one account per role, leads of the last hours routed by the online router,
//! this month's follow-ups, and a waiting lead for the rep account, so Today and the SLA board show
//! live work out of the box.

use chrono::{Duration, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

use uplift_domain::{Lang, Month};
use uplift_store::Store;

use super::crm::sf_time;
use super::people::{CITIES, INDUSTRIES, pick_source};
use crate::AppError;
use crate::import::{files_in_dir, import_files};

pub const DEMO_PASSWORD: &str = "uplift-demo";

/// One demo account.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAccount {
    pub username: String,
    pub role: uplift_domain::access::Role,
    pub employee_no: Option<String>,
    /// Who it is, for the printed list.
    pub description: String,
}

/// Creates (once) one account per role on the demo company: admin, HR, payroll, the sales director
/// of 销售中心, the manager of 销售一部 and one of his reps. Returns them all.
pub async fn ensure_demo_accounts(store: &Store) -> Result<Vec<DemoAccount>, AppError> {
    use uplift_domain::access::{Role, Scope};
    const TEAM: &str = "销售中心/华东大区/销售一部";
    let (members, _) = store
        .employee_records(&Scope::Departments(vec![TEAM.into()]), None, None, None, 1000, 0)
        .await?;
    let manager = members
        .iter()
        .find(|e| e.manager_no.is_none() && e.leave_date.is_none())
        .ok_or_else(|| AppError::internal(format!("the demo roster has no manager in {TEAM}")))?;
    let rep = members
        .iter()
        .find(|e| e.manager_no.as_deref() == Some(&manager.employee_no) && e.leave_date.is_none())
        .ok_or_else(|| AppError::internal(format!("the demo roster has no rep in {TEAM}")))?;
    let accounts = vec![
        DemoAccount {
            username: "admin".into(),
            role: Role::Admin,
            employee_no: None,
            description: "系统管理员 / administrator".into(),
        },
        DemoAccount {
            username: "hr".into(),
            role: Role::Hr,
            employee_no: None,
            description: "HRBP".into(),
        },
        DemoAccount {
            username: "payroll".into(),
            role: Role::Payroll,
            employee_no: None,
            description: "薪酬专员 / payroll".into(),
        },
        DemoAccount {
            username: "director".into(),
            role: Role::Director,
            employee_no: None,
            description: "销售中心总监 / sales director of 销售中心".into(),
        },
        DemoAccount {
            username: "manager".into(),
            role: Role::Manager,
            employee_no: Some(manager.employee_no.clone()),
            description: format!("{}，销售一部经理 / manager of 销售一部", manager.name),
        },
        DemoAccount {
            username: "rep".into(),
            role: Role::Employee,
            employee_no: Some(rep.employee_no.clone()),
            description: format!("{}，销售一部销售 / a rep of 销售一部", rep.name),
        },
    ];
    for a in &accounts {
        if store.user_by_name(&a.username).await?.is_some() {
            continue;
        }
        let u = crate::access::NewUser {
            username: a.username.clone(),
            password: DEMO_PASSWORD.into(),
            role: a.role,
            employee_no: a.employee_no.clone(),
            department_path: (a.role == Role::Director).then(|| "销售中心".to_string()),
        };
        crate::access::add_user(store, &u, "demo", Lang::Zh).await?;
    }
    Ok(accounts)
}

/// Today's new leads for the demo: routed as a CRM webhook would (the real online router, so
/// each has its reason), spread over the last 30 hours, none contacted yet — reps see
/// first-contact countdowns on Today and managers see overdue leads on the SLA board. Only for a
/// demo that ends last month (a fixed `--end` makes a company of the past).
pub async fn route_live_leads(store: &Store, count: usize, seed: u64) -> Result<usize, AppError> {
    let router = crate::routing::OnlineRouter::default();
    let tz = crate::settings::company_tz(store).await?;
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x11FE);
    let now = Utc::now();
    let mut n = 0;
    for i in 0..count {
        let src = pick_source(&mut rng);
        let city = CITIES[rng.random_range(0..CITIES.len())];
        let lead = crate::routing::IncomingLead {
            id: format!("00QLIVE{:011}", i + 1),
            source: Some(src.0.to_string()),
            industry: Some(INDUSTRIES[rng.random_range(0..INDUSTRIES.len())].to_string()),
            rating: Some(["Hot", "Warm", "Cold"][rng.random_range(0..3)].to_string()),
            company: Some(format!("{city}新客户{}", i + 1)),
            city: Some(city.to_string()),
            number_of_employees: None,
        };
        if router.route(store, &lead, "demo", None, Lang::Zh).await.is_err() {
            continue;
        }
        let at = now - Duration::seconds(rng.random_range(0..30 * 3600));
        let month = Month::of(at.with_timezone(&tz).date_naive());
        store
            .backdate_lead(&lead.id, at.timestamp(), month.to_key() as i64)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// A demo of today gets the follow-ups of the time since its history ended (the start of this
/// month) on the customers under a cadence — leads, open deals and won customers' care — each rep
/// as diligent as a per-rep draw: written as `live/Task.csv` beside the source files and
/// imported like any CRM export, so the Today page, the cadence board and this month's
/// `cadence_compliance` look like a working team's.
pub async fn live_followups(store: &Store, source_dir: &Path, seed: u64) -> Result<usize, AppError> {
    use uplift_routing::cadence::RecordKind;
    let now = Utc::now();
    let tz = crate::settings::company_tz(store).await?;
    let this_month = Month::of(now.with_timezone(&tz).date_naive());
    let history_end = uplift_domain::time::month_end_exclusive(this_month.prev(), tz).timestamp();
    let rules = crate::cadence::rules(store).await?;
    let records = crate::cadence::all_records(store, &rules, now).await?;
    let owners: std::collections::HashMap<i64, String> = store
        .routing_reps()
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id, r.crm_user_id?)))
        .collect();
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xCADE);
    let mut diligence: std::collections::HashMap<i64, f64> = std::collections::HashMap::new();
    let dir = source_dir.join("live");
    std::fs::create_dir_all(&dir)?;
    let mut w = csv::Writer::from_path(dir.join("Task.csv")).map_err(|e| AppError::internal(e.to_string()))?;
    w.write_record([
        "Id",
        "OwnerId",
        "WhoId",
        "WhatId",
        "Subject",
        "TaskSubtype",
        "Status",
        "ActivityDate",
        "CreatedDate",
    ])
    .map_err(|e| AppError::internal(e.to_string()))?;
    let mut n = 0usize;
    let mut ordered: Vec<&crate::cadence::CadenceRecord> = records.iter().collect();
    ordered.sort_by(|a, b| (a.employee_id, &a.id).cmp(&(b.employee_id, &b.id)));
    for r in ordered {
        let Some(owner) = owners.get(&r.employee_id) else {
            continue;
        };
        let d = *diligence
            .entry(r.employee_id)
            .or_insert_with(|| 0.3 + 0.7 * rng.random::<f64>());
        // History already has the follow-ups of leads and deals, and no care: the company starts
        // caring for won customers this month (past months' follow-ups stay as they were).
        let from = r.start.max(history_end);
        let end = r.rule_end(&rules, now.timestamp());
        let gap = rules.rule(r.stage).interval_secs() as f64 / d;
        let mut t = from as f64 + gap * rng.random_range(0.2..1.2);
        while (t as i64) < end {
            n += 1;
            let at = chrono::DateTime::from_timestamp(t as i64, 0).unwrap_or(now);
            let (who, what) = match r.kind {
                RecordKind::Lead => (r.id.as_str(), ""),
                _ => ("", r.id.as_str()),
            };
            w.write_record([
                format!("00TLIVE{n:011}").as_str(),
                owner,
                who,
                what,
                if r.kind == RecordKind::Account {
                    "客户关怀回访"
                } else {
                    "跟进"
                },
                "Call",
                "Completed",
                &(at + Duration::hours(8)).date_naive().to_string(),
                &sf_time(at),
            ])
            .map_err(|e| AppError::internal(e.to_string()))?;
            t += gap * rng.random_range(0.6..1.4);
        }
    }
    w.flush()?;
    drop(w);
    let (files, skipped) = files_in_dir(&dir)?;
    let report = import_files(store, files, skipped, false, &|_, _| {}).await?;
    if !report.committed {
        return Err(AppError::internal(format!(
            "the demo's live follow-ups did not import: {}",
            report
                .issue_lines(Lang::En)
                .into_iter()
                .take(5)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    Ok(n)
}

/// Makes sure the demo's `rep` account has one of today's leads waiting (the router may have given
/// them none): one more new lead, assigned to them directly and labelled as such.
pub async fn ensure_rep_has_live_lead(store: &Store, employee_no: &str) -> Result<bool, AppError> {
    let now = Utc::now();
    let waiting = crate::sla::waiting_leads(store, &uplift_domain::access::Scope::All, Some(employee_no), now).await?;
    if !waiting.is_empty() {
        return Ok(false);
    }
    let Some(rep) = store
        .routing_reps()
        .await?
        .into_iter()
        .find(|r| r.employee_no == employee_no && r.crm_user_id.is_some())
    else {
        return Ok(false);
    };
    let tz = crate::settings::company_tz(store).await?;
    let at = now - Duration::hours(3);
    let month = Month::of(at.with_timezone(&tz).date_naive()).to_key() as i64;
    let row = uplift_store::AssignmentRow {
        lead_id: "00QLIVEDEMOREP01".into(),
        employee_id: rep.id,
        assigned_ts: at.timestamp(),
        month,
        strategy: "demo".into(),
        origin: "demo".into(),
        expected_conversion: 0.0,
        expected_value: 0.0,
        reason: "演示：直接分配给演示账号 rep，用来展示首联倒计时".into(),
        previous_owner: None,
        assigned_by: "demo".into(),
    };
    let lead = uplift_store::NewLeadRow {
        source_id: row.lead_id.clone(),
        owner_id: rep.crm_user_id.clone().unwrap_or_default(),
        created_ts: at.timestamp(),
        created_month: month,
        lead_source: Some("Web".into()),
        industry: Some(rep.industry_experience.clone().unwrap_or_else(|| "Technology".into())),
        rating: Some("Hot".into()),
        company: Some("杭州演示新客户".into()),
        city: Some("杭州".into()),
        number_of_employees: None,
    };
    Ok(store.record_routed_lead(&row, &lead).await?)
}
