//! The demo company: a Chinese B2B software seller with sales, customer success and BD teams.
//!
//! It is written as real files (Salesforce CSV exports, an XLSX roster with Chinese headers, a GBK
//! targets CSV) and then imported through the same importer customers use, so the demo exercises
//! the whole path. Behind the numbers are patterns worth finding: reps who follow up more and
//! contact leads faster convert more, referral leads convert best, industry experience that
//! matches the lead's industry helps, new hires ramp up over about six months, and the follow-up
//! course lifts follow-up habits after it is completed — and one team (销售二部) takes it together
//! six months before the end, a planted intervention for `uplift insights effect`. Same seed and end
//! month → same company.

mod crm;
mod hr;
mod live;
mod people;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::path::Path;

use chrono::Utc;
use uplift_domain::{Lang, Month};
use uplift_store::{MetricFilter, Store};

use crate::AppError;
use crate::import::{files_in_dir, import_files};

pub use live::{
    DEMO_PASSWORD, DemoAccount, ensure_demo_accounts, ensure_rep_has_live_lead, live_followups, route_live_leads,
};
pub use people::PROGRAM_TEAM;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub seed: u64,
    pub staff: usize,
    /// Months of history.
    pub months: u32,
    /// The last month of history; default: the last full month before today.
    pub end: Option<Month>,
}

/// What was created.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub departments: i64,
    pub employees: i64,
    pub leavers: usize,
    pub joiners: usize,
    pub leads: i64,
    pub opportunities: i64,
    pub activities: i64,
    pub from: Month,
    pub to: Month,
    /// Company per-capita contribution of the last month, yuan.
    pub last_per_capita: Option<f64>,
    /// Departments by per-capita contribution in the last month: (path, yuan).
    pub league: Vec<(String, f64)>,
}

/// Default end of history: the last full month before today (Asia/Shanghai).
pub fn default_end() -> Month {
    Month::last_complete(Utc::now(), uplift_domain::time::DEFAULT_TZ)
}

/// Writes the demo's source files into `dir` (emptied first); returns (joiners, leavers).
pub fn write_demo_files(cfg: &DemoConfig, dir: &Path) -> Result<(usize, usize), AppError> {
    let end = cfg.end.unwrap_or_else(default_end);
    let start = end.span_start(cfg.months);
    // One generator for the whole company, drawn in a fixed order (people, courses, CRM, HR
    // files): same seed and end month, same files.
    let mut rng = SmallRng::seed_from_u64(cfg.seed);
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_file() {
            std::fs::remove_file(p)?;
        }
    }
    let people::Hired {
        mut people,
        joiners,
        leavers,
    } = people::hire(cfg.staff, start, end, &mut rng);
    let enrollments = people::enroll(&mut people, start, end, &mut rng);
    let crm = crm::write_crm_files(dir, &people, start, end, &mut rng)?;
    hr::write_hr_files(dir, &people, enrollments, &crm, start, end, &mut rng)?;
    Ok((joiners, leavers))
}

fn csv_err(e: csv::Error) -> AppError {
    AppError::internal(format!("writing demo files: {e}"))
}

fn write_simple(path: &Path, headers: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<(), AppError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    w.write_record(headers).map_err(csv_err)?;
    for r in rows {
        w.write_record(&r).map_err(csv_err)?;
    }
    w.flush()?;
    Ok(())
}

/// The demo's commission plan: the contract's plan (`examples/commission/sales-2026.toml`) in effect
/// over the demo's months, with partner-referred deals at 2% (the partner takes a share).
fn demo_plan(from: Month) -> String {
    format!(
        "id = \"sales-default\"\nname = \"销售提成方案（演示）\"\nperiod = \"month\"\nbasis = \"signed\"\n\
         effective_from = \"{}\"\ndepartments = [\"销售中心\"]\n\n\
         default_rate = 0.03\nrate_field = \"LeadSource\"\ntiering = \"marginal\"\ncap = 50000\n\
         override_rate = 0.004\nclawback_days = 90\n\n[rates]\n\"Partner Referral\" = 0.02\n\n\
         [[tiers]]\nfrom = 0.0\nto = 0.5\nmultiplier = 0.0\n[[tiers]]\nfrom = 0.5\nto = 1.0\nmultiplier = 1.0\n\
         [[tiers]]\nfrom = 1.0\nmultiplier = 1.4\n",
        from.first_day()
    )
}

/// Saves the demo plan beside the demo files and in the database, and runs the last month's draft
/// so that every rep has a statement to look at.
async fn default_commission_plan(store: &Store, source_dir: &Path, from: Month, end: Month) -> Result<(), AppError> {
    let text = demo_plan(from);
    let path = source_dir.join("commission-plan.toml");
    std::fs::write(&path, &text)?;
    let demo = crate::access::Principal {
        actor: "demo".into(),
        role: uplift_domain::access::Role::Admin,
        employee_no: None,
        scope: uplift_domain::access::Scope::All,
    };
    crate::commission::import_plan(store, &demo, "commission-plan.toml", &text, Lang::Zh).await?;
    // The year so far is paid: each month's payroll takes last month's locked commission. The
    // last month stays open (a draft commission, an open payroll) for people to look at.
    let january = Month::new(end.year(), 1).unwrap_or(end);
    for month in january.through(end) {
        let earned = month.prev();
        if earned >= from {
            crate::commission::run(store, &demo, &earned.to_string(), Lang::Zh).await?;
            crate::commission::lock(store, &demo, &earned.to_string(), Lang::Zh).await?;
        }
        crate::payroll::run(store, &demo, &month.to_string(), Lang::Zh).await?;
        if month < end {
            crate::payroll::lock(store, &demo, &month.to_string(), Lang::Zh).await?;
        }
    }
    crate::commission::run(store, &demo, &end.to_string(), Lang::Zh).await?;
    Ok(())
}

/// Writes the demo files into `source_dir`, imports them into `store` and summarises the result.
pub async fn create_demo(
    store: &Store,
    cfg: &DemoConfig,
    source_dir: &Path,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<DemoSummary, AppError> {
    let end = cfg.end.unwrap_or_else(default_end);
    let cfg = DemoConfig {
        end: Some(end),
        ..cfg.clone()
    };
    let (joiners, leavers) = write_demo_files(&cfg, source_dir)?;
    let (files, skipped) = files_in_dir(source_dir)?;
    let report = import_files(store, files, skipped, false, progress).await?;
    if !report.committed {
        let lines = report.issue_lines(Lang::En);
        return Err(AppError::internal(format!(
            "the demo files did not import: {}",
            lines.into_iter().take(5).collect::<Vec<_>>().join("; ")
        )));
    }
    let from = end.span_start(cfg.months);
    default_commission_plan(store, source_dir, from, end).await?;
    let counts: std::collections::HashMap<&str, i64> = store.counts().await?.into_iter().collect();
    let last = MetricFilter {
        from: Some(end),
        to: Some(end),
        ..Default::default()
    };
    let units = store.unit_metrics(&last).await?;
    let company = units
        .iter()
        .find(|u| u.department.is_none())
        .and_then(|u| u.metrics.per_capita_contribution);
    let mut league: Vec<(String, f64)> = units
        .iter()
        .filter_map(|u| {
            let d = u.department.clone()?;
            // Leaf teams only: the league compares teams, not their parents.
            let leaf = !units
                .iter()
                .any(|o| o.department.as_ref().is_some_and(|p| p.starts_with(&format!("{d}/"))));
            (leaf).then_some((d, u.metrics.per_capita_contribution?))
        })
        .collect();
    league.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(DemoSummary {
        departments: counts.get("departments").copied().unwrap_or(0),
        employees: counts.get("employees").copied().unwrap_or(0),
        leavers,
        joiners,
        leads: counts.get("leads").copied().unwrap_or(0),
        opportunities: counts.get("opportunities").copied().unwrap_or(0),
        activities: counts.get("activities").copied().unwrap_or(0),
        from,
        to: end,
        last_per_capita: company,
        league,
    })
}
