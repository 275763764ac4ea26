//! Lead routing use cases: fit the lead value model on the database's history, report its
//! calibration, assign a file of new leads or the leads waiting in the database, and replay
//! history under each strategy.

use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use uplift_domain::records::{ImportKind, Record};
use uplift_domain::{Lang, Month};
use uplift_io::{ColumnMap, Issue, ParseContext, SourceFile, parse_record};
use uplift_routing::calibration::{Reliability, reliability};
use uplift_routing::reason::reason;
use uplift_routing::{
    Batch, LeadFacts, LeadModel, Limits, PastLead, RepFacts, Slot, Strategy, StrategyOutcome, TenureBand, allocate,
    simulate as replay,
};
use uplift_store::{AssignmentRow, RoutingRep, Store};

use crate::AppError;

/// Months of history the model learns from.
pub const HISTORY_MONTHS: u32 = 12;
/// `--pending` looks at open leads created in this many months up to now; older open leads are
/// stale and would only eat this month's capacity.
pub const PENDING_MONTHS: u32 = 6;

/// Monthly lead capacity of a rep without an imported capacity, by tenure band.
pub fn default_capacity(band: TenureBand) -> u32 {
    match band {
        TenureBand::New => 20,
        TenureBand::Growing => 30,
        TenureBand::Established | TenureBand::Veteran => 40,
    }
}

/// Settings of one assignment run.
#[derive(Debug, Clone)]
pub struct AssignOptions {
    pub strategy: Strategy,
    pub limits: Limits,
    /// Capacities from a file (工号, 每月线索上限) instead of the imported ones, for this run.
    pub capacity_file: Option<std::path::PathBuf>,
    /// Decide and report, record nothing.
    pub dry_run: bool,
    /// The day to route on (default: today in the company time zone): who is employed, tenure,
    /// and which month's capacity is used.
    pub as_of: Option<NaiveDate>,
    /// Who is assigning (for the record and the audit log) and in which role.
    pub by: String,
    pub role: Option<String>,
    pub lang: Lang,
}

/// One lead's assignment.
#[derive(Debug, Clone, Serialize)]
pub struct AssignmentLine {
    pub lead_id: String,
    pub employee_no: String,
    pub name: String,
    pub owner_id: String,
    pub expected_conversion: f64,
    pub expected_value: f64,
    pub reason: String,
    /// Decided by an earlier run and kept.
    pub kept: bool,
}

/// The result of an assignment run.
#[derive(Debug, Clone, Serialize)]
pub struct AssignResult {
    pub strategy: &'static str,
    pub month: String,
    pub leads: usize,
    pub lines: Vec<AssignmentLine>,
    /// Leads no available rep had room for.
    pub unassigned: Vec<String>,
    pub expected_conversions: f64,
    pub expected_value: f64,
    /// The same leads dealt round robin, scored by the same model, for comparison.
    pub round_robin_conversions: f64,
    pub round_robin_value: f64,
    /// Rows written (0 on a dry run; earlier decisions are not rewritten).
    pub recorded: usize,
    pub dry_run: bool,
}

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

async fn today(store: &Store) -> Result<NaiveDate, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    Ok(Utc::now().with_timezone(&tz).date_naive())
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
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
fn away_throughout(r: &RoutingRep, first: NaiveDate, last: NaiveDate) -> bool {
    first.iter_days().take_while(|d| *d <= last).all(|d| on_leave(r, d))
}

fn employed_on(r: &RoutingRep, day: NaiveDate) -> bool {
    r.crm_active
        && !on_leave(r, day)
        && r.hire_date.parse::<NaiveDate>().is_ok_and(|h| h <= day)
        && r.leave_date.as_deref().and_then(parse_date).is_none_or(|l| l > day)
}

fn rep_facts(r: &RoutingRep, on: NaiveDate) -> RepFacts {
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
async fn newest_lead_month(store: &Store) -> Result<Option<Month>, AppError> {
    Ok(store.newest_lead_month().await?.and_then(|k| Month::from_key(k as i32)))
}

/// Past leads of `from..=to` as the model sees them, owners as rep indices.
async fn past_leads(
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
        return Err(AppError::Invalid(
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

fn issues_text(issues: &[Issue], lang: Lang) -> String {
    let mut lines: Vec<String> = issues.iter().take(20).map(|i| i.render(lang)).collect();
    if issues.len() > 20 {
        lines.push(match lang {
            Lang::Zh => format!("……另有 {} 处错误", issues.len() - 20),
            Lang::En => format!("… and {} more errors", issues.len() - 20),
        });
    }
    lines.join("\n")
}

/// Reads every row of a file of `kind`; any bad row fails the whole file (all errors listed).
fn read_records(path: &Path, kind: ImportKind, ctx: ParseContext, lang: Lang) -> Result<Vec<Record>, AppError> {
    let src = SourceFile::open(path, None)?;
    let map = ColumnMap::new(kind, &src.name, &src.headers, None)?;
    let mut out = Vec::new();
    let mut issues = Vec::new();
    let mut seen: FxHashMap<String, u64> = FxHashMap::default();
    for row in src.rows() {
        let row = row?;
        match parse_record(&map, &row, ctx) {
            Ok(r) => {
                let key = r.key();
                if let Some(first) = seen.insert(key.clone(), row.line) {
                    issues.push(Issue {
                        file: src.name.clone(),
                        line: Some(row.line),
                        column: None,
                        problem: uplift_io::Problem::DuplicateId {
                            id: key,
                            first_line: first,
                        },
                    });
                } else {
                    out.push(r);
                }
            }
            Err(i) => issues.push(i),
        }
    }
    if !issues.is_empty() {
        return Err(AppError::Invalid(issues_text(&issues, lang)));
    }
    if out.is_empty() {
        return Err(AppError::Invalid(match lang {
            Lang::Zh => format!("{}：没有数据行", src.name),
            Lang::En => format!("{}: no data rows", src.name),
        }));
    }
    Ok(out)
}

/// Capacities from a capacity file, by employee number; unknown employees are errors.
pub async fn read_capacities(store: &Store, path: &Path, lang: Lang) -> Result<FxHashMap<String, u32>, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    let records = read_records(path, ImportKind::Capacity, ParseContext { tz }, lang)?;
    let known: FxHashSet<String> = store.routing_reps().await?.into_iter().map(|r| r.employee_no).collect();
    let mut out = FxHashMap::default();
    let mut unknown = Vec::new();
    for r in records {
        if let Record::Capacity(c) = r {
            if !known.contains(&c.employee_no) {
                unknown.push(c.employee_no.clone());
            }
            out.insert(c.employee_no, c.max_leads_per_month.clamp(0, u32::MAX as i64) as u32);
        }
    }
    if !unknown.is_empty() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Err(AppError::Invalid(match lang {
            Lang::Zh => format!("{name}：花名册里没有这些工号：{}", unknown.join("、")),
            Lang::En => format!("{name}: employee numbers not on the roster: {}", unknown.join(", ")),
        }));
    }
    Ok(out)
}

/// A lead waiting for an owner: id, what routing knows, and its current owner id if any.
struct Waiting {
    id: String,
    facts: LeadFacts,
    previous_owner: Option<String>,
}

/// Assigns the leads of a file of new leads (Id, LeadSource, Industry, Rating, …).
pub async fn assign_file(store: &Store, input: &Path, opts: &AssignOptions) -> Result<AssignResult, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    let records = read_records(input, ImportKind::NewLead, ParseContext { tz }, opts.lang)?;
    let waiting = records
        .into_iter()
        .filter_map(|r| match r {
            Record::NewLead(l) => Some(Waiting {
                facts: lead_facts(
                    l.lead_source.as_deref(),
                    l.industry.as_deref(),
                    l.rating.as_deref(),
                    l.number_of_employees,
                ),
                id: l.source_id,
                previous_owner: None,
            }),
            _ => None,
        })
        .collect();
    assign(store, waiting, opts, "file", false).await
}

/// Assigns the open leads in the database that have no working owner (queues, inactive users,
/// people who left), and sets their owner id.
pub async fn assign_pending(store: &Store, opts: &AssignOptions) -> Result<AssignResult, AppError> {
    let today = match opts.as_of {
        Some(d) => d,
        None => today(store).await?,
    };
    let since = Month::of(today).span_start(PENDING_MONTHS);
    let waiting = store
        .pending_leads(&today.to_string(), since.to_key())
        .await?
        .into_iter()
        .map(|l| Waiting {
            facts: lead_facts(
                l.lead_source.as_deref(),
                l.industry.as_deref(),
                l.rating.as_deref(),
                l.number_of_employees,
            ),
            id: l.source_id,
            previous_owner: Some(l.owner_id),
        })
        .collect();
    assign(store, waiting, opts, "pending", true).await
}

async fn assign(
    store: &Store,
    waiting: Vec<Waiting>,
    opts: &AssignOptions,
    origin: &str,
    set_owner: bool,
) -> Result<AssignResult, AppError> {
    let zh = opts.lang == Lang::Zh;
    let capacities = match &opts.capacity_file {
        Some(p) => Some(read_capacities(store, p, opts.lang).await?),
        None => None,
    };
    let router = load(store, capacities.as_ref(), opts.as_of, opts.lang).await?;
    // Earlier decisions stand (re-running the same file changes nothing) while their rep can
    // still work the lead; a lead whose rep has left or is away is routed again.
    let ids: Vec<String> = waiting.iter().map(|w| w.id.clone()).collect();
    let available_rep: FxHashMap<i64, bool> = router
        .rep_rows
        .iter()
        .enumerate()
        .map(|(k, &i)| (router.roster[i].id, router.slots[k].available))
        .collect();
    let earlier: FxHashMap<String, AssignmentRow> = store
        .assignments_of(&ids)
        .await?
        .into_iter()
        .filter(|a| !set_owner || available_rep.get(&a.employee_id).copied().unwrap_or(false))
        .map(|a| (a.lead_id.clone(), a))
        .collect();
    let fresh: Vec<&Waiting> = waiting.iter().filter(|w| !earlier.contains_key(&w.id)).collect();
    let facts: Vec<LeadFacts> = fresh.iter().map(|w| w.facts.clone()).collect();
    let (allocation, rr) = crate::heavy({
        let model = router.model.clone();
        let reps = router.reps.clone();
        let slots = router.slots.clone();
        let strategy = opts.strategy;
        let limits = opts.limits;
        move || {
            let a = allocate(&model, &reps, &slots, &facts, strategy, limits);
            let rr = allocate(&model, &reps, &slots, &facts, Strategy::RoundRobin, limits);
            (a, rr)
        }
    })
    .await?;
    let mut left: Vec<u32> = router.slots.iter().map(|s| s.capacity_left).collect();
    let mut lines = Vec::with_capacity(waiting.len());
    let mut unassigned = Vec::new();
    let mut rows = Vec::new();
    let mut owners = Vec::new();
    let now = Utc::now().timestamp();
    let mut fresh_index = 0usize;
    // Looked up per kept lead: an index, not a scan of the roster per lead.
    let roster_by_id: FxHashMap<i64, &RoutingRep> = router.roster.iter().map(|r| (r.id, r)).collect();
    for w in &waiting {
        if let Some(a) = earlier.get(&w.id) {
            if let Some(r) = roster_by_id.get(&a.employee_id) {
                lines.push(AssignmentLine {
                    lead_id: w.id.clone(),
                    employee_no: r.employee_no.clone(),
                    name: r.name.clone(),
                    owner_id: r.crm_user_id.clone().unwrap_or_default(),
                    expected_conversion: a.expected_conversion,
                    expected_value: a.expected_value,
                    reason: a.reason.clone(),
                    kept: true,
                });
            }
            continue;
        }
        let i = fresh_index;
        fresh_index += 1;
        let (Some(k), Some(est)) = (allocation.owner[i], allocation.estimate[i]) else {
            unassigned.push(w.id.clone());
            continue;
        };
        left[k] = left[k].saturating_sub(1);
        let r = &router.roster[router.rep_rows[k]];
        let why = reason(&router.model, k, &router.reps[k], &w.facts, left[k], zh);
        let owner_id = r.crm_user_id.clone().unwrap_or_default();
        rows.push(AssignmentRow {
            lead_id: w.id.clone(),
            employee_id: r.id,
            assigned_ts: now,
            month: router.month.to_key() as i64,
            strategy: opts.strategy.name().to_string(),
            origin: origin.to_string(),
            expected_conversion: est.conversion,
            expected_value: est.value,
            reason: why.clone(),
            previous_owner: w.previous_owner.clone(),
            assigned_by: opts.by.clone(),
        });
        if set_owner {
            owners.push((w.id.clone(), owner_id.clone()));
        }
        lines.push(AssignmentLine {
            lead_id: w.id.clone(),
            employee_no: r.employee_no.clone(),
            name: r.name.clone(),
            owner_id,
            expected_conversion: est.conversion,
            expected_value: est.value,
            reason: why,
            kept: false,
        });
    }
    let recorded = if opts.dry_run || rows.is_empty() {
        0
    } else {
        let n = store.record_assignments(&rows, &owners).await?;
        crate::access::audit(
            store,
            &opts.by,
            opts.role.as_deref(),
            "leads.assign",
            Some(origin),
            Some(&format!("{n} leads, strategy {}", opts.strategy.name())),
            None,
        )
        .await?;
        n
    };
    Ok(AssignResult {
        strategy: opts.strategy.name(),
        month: router.month.to_string(),
        leads: waiting.len(),
        expected_conversions: lines.iter().map(|l| l.expected_conversion).sum(),
        expected_value: lines.iter().map(|l| l.expected_value).sum(),
        round_robin_conversions: rr.expected_conversions()
            + lines
                .iter()
                .filter(|l| l.kept)
                .map(|l| l.expected_conversion)
                .sum::<f64>(),
        round_robin_value: rr.expected_value() + lines.iter().filter(|l| l.kept).map(|l| l.expected_value).sum::<f64>(),
        lines,
        unassigned,
        recorded,
        dry_run: opts.dry_run,
    })
}

/// The assignment CSV of the contract: lead_id, employee_no, owner_id, expected_conversion,
/// expected_value, reason.
pub fn to_csv(r: &AssignResult) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Invalid(e.to_string());
    w.write_record([
        "lead_id",
        "employee_no",
        "owner_id",
        "expected_conversion",
        "expected_value",
        "reason",
    ])
    .map_err(io)?;
    for l in &r.lines {
        w.write_record([
            l.lead_id.as_str(),
            &l.employee_no,
            &l.owner_id,
            &format!("{:.4}", l.expected_conversion),
            &format!("{:.2}", l.expected_value),
            &l.reason,
        ])
        .map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::Invalid(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::Invalid(e.to_string()))
}

/// The model's calibration on leads it did not learn from.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    /// Months the evaluated model learned from, and the months it was tested on.
    pub trained_from: String,
    pub trained_to: String,
    pub tested_from: String,
    pub tested_to: String,
    pub trained_leads: usize,
    pub reliability: Reliability,
    /// Fitted on all history (what routing uses today).
    pub experience_lift: f64,
    pub base_rate: f64,
    pub reps: usize,
    pub available_reps: usize,
}

/// Fits on the history before the last 3 mature months and scores those months' leads against
/// what happened (each lead with its actual owner).
pub async fn model_report(store: &Store, lang: Lang) -> Result<ModelReport, AppError> {
    let router = load(store, None, None, lang).await?;
    let (from, to) = router.history;
    let test_from = to.prev().prev();
    let train_to = test_from.prev();
    let rep_of_employee: FxHashMap<i64, usize> = router
        .rep_rows
        .iter()
        .enumerate()
        .map(|(k, &i)| (router.roster[i].id, k))
        .collect();
    let all = past_leads(store, &router.roster, &rep_of_employee, from, to).await?;
    let (train, test): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, m)| *m <= train_to.to_key());
    if train.len() < 100 || test.len() < 50 {
        return Err(AppError::Invalid(match lang {
            Lang::Zh => format!(
                "线索太少，无法检验模型：{from}–{train_to} 有 {} 条、{test_from}–{to} 有 {} 条（至少需要 100 和 50 条）",
                train.len(),
                test.len()
            ),
            Lang::En => format!(
                "too few leads to check the model: {} in {from}–{train_to}, {} in {test_from}–{to} (at least 100 and 50 needed)",
                train.len(),
                test.len()
            ),
        }));
    }
    let trained_leads = train.len();
    let reps = router.reps.clone();
    let rel = crate::heavy(move || {
        // Ages count from the end of the training window.
        let shift = months_between(train_to.first_day(), to.first_day()) as u32;
        let train: Vec<PastLead> = train
            .into_iter()
            .map(|(mut l, _)| {
                l.age_months = l.age_months.saturating_sub(shift);
                l
            })
            .collect();
        let model = LeadModel::fit(&train, &reps);
        let rows: Vec<(f64, bool, f64)> = test
            .iter()
            .map(|(l, _)| {
                let p = model.estimate(l.owner, &reps[l.owner], &l.facts).conversion;
                (p, l.converted, model.base_rate())
            })
            .collect();
        reliability(&rows, 10)
    })
    .await?;
    Ok(ModelReport {
        trained_from: from.to_string(),
        trained_to: train_to.to_string(),
        tested_from: test_from.to_string(),
        tested_to: to.to_string(),
        trained_leads,
        reliability: rel,
        experience_lift: router.model.experience_lift(),
        base_rate: router.model.base_rate(),
        reps: router.reps.len(),
        available_reps: router.slots.iter().filter(|s| s.available).count(),
    })
}

/// What each strategy would have produced over the last `months` mature months.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationResult {
    pub from: String,
    pub to: String,
    pub leads: usize,
    pub outcomes: Vec<StrategyOutcome>,
    /// What current practice actually converted (to check the judge's estimate for it).
    pub actual_conversions: usize,
    pub limits: Limits,
}

/// Replays the last `months` mature months: each month's leads are routed by each strategy
/// with a model fitted on the months before the replay (no look-ahead), to the reps employed
/// that month with their capacity (at least what they actually received), and every outcome is
/// scored by the model fitted on all history (the best estimate of each rep's true rates).
pub async fn simulate(store: &Store, months: u32, limits: Limits, lang: Lang) -> Result<SimulationResult, AppError> {
    let months = months.clamp(1, 12);
    let router = load(store, None, None, lang).await?;
    let (from, to) = router.history;
    let sim_from = to.span_start(months);
    let router_to = sim_from.prev();
    let rep_of_employee: FxHashMap<i64, usize> = router
        .rep_rows
        .iter()
        .enumerate()
        .map(|(k, &i)| (router.roster[i].id, k))
        .collect();
    let all = past_leads(store, &router.roster, &rep_of_employee, from.span_start(months + 1), to).await?;
    let train: Vec<PastLead> = all
        .iter()
        .filter(|(_, m)| *m <= router_to.to_key())
        .map(|(l, _)| {
            let mut l = l.clone();
            l.age_months = l.age_months.saturating_sub(months);
            l
        })
        .collect();
    if train.len() < 100 {
        return Err(AppError::Invalid(match lang {
            Lang::Zh => format!("{router_to} 之前的线索太少（{} 条），无法模拟", train.len()),
            Lang::En => format!("too few leads before {router_to} ({}) to simulate", train.len()),
        }));
    }
    let mut batches = Vec::new();
    for m in sim_from.through(to) {
        let (first, last) = (m.first_day(), m.last_day());
        let month_leads: Vec<&(PastLead, i32)> = all.iter().filter(|(_, k)| *k == m.to_key()).collect();
        let mut received = vec![0u32; router.reps.len()];
        for (l, _) in &month_leads {
            received[l.owner] += 1;
        }
        let (reps, slots): (Vec<RepFacts>, Vec<Slot>) = router
            .rep_rows
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let r = &router.roster[i];
                let facts = rep_facts(r, first);
                let employed = r.hire_date.parse::<NaiveDate>().is_ok_and(|h| h <= last)
                    && r.leave_date.as_deref().and_then(parse_date).is_none_or(|l| l > first)
                    && !away_throughout(r, first, last);
                let cap = r
                    .capacity
                    .map(|c| c.max(0) as u32)
                    .unwrap_or_else(|| default_capacity(facts.tenure_band));
                (
                    facts,
                    Slot {
                        capacity_left: cap.max(received[k]),
                        available: employed,
                    },
                )
            })
            .unzip();
        batches.push(Batch {
            leads: month_leads.iter().map(|(l, _)| l.facts.clone()).collect(),
            current_owner: month_leads.iter().map(|(l, _)| Some(l.owner)).collect(),
            reps,
            slots,
        });
    }
    let leads = batches.iter().map(|b| b.leads.len()).sum();
    let actual_conversions = all
        .iter()
        .filter(|(l, k)| *k >= sim_from.to_key() && l.converted)
        .count();
    let reps = router.reps.clone();
    let judge = router.model.clone();
    let outcomes = crate::heavy(move || {
        let fitted = LeadModel::fit(&train, &reps);
        replay(&fitted, &judge, &batches, limits)
    })
    .await?;
    Ok(SimulationResult {
        from: sim_from.to_string(),
        to: to.to_string(),
        leads,
        outcomes,
        actual_conversions,
        limits,
    })
}

use crate::forecast::{line, money_text};

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

impl AssignResult {
    /// A table for the terminal: totals, the comparison with round robin, then one line per lead.
    pub fn render(&self, lang: Lang, max_lines: usize) -> String {
        let zh = lang == Lang::Zh;
        let mut t = String::new();
        let kept = self.lines.iter().filter(|l| l.kept).count();
        t.push_str(&if zh {
            format!(
                "线索分配（{}，{}）：{} 条线索，分出 {} 条{}，未分出 {} 条\n",
                self.strategy,
                self.month,
                self.leads,
                self.lines.len(),
                if kept > 0 {
                    format!("（其中 {kept} 条沿用此前的分配）")
                } else {
                    String::new()
                },
                self.unassigned.len()
            )
        } else {
            format!(
                "Lead assignment ({}, {}): {} leads, {} assigned{}, {} left unassigned\n",
                self.strategy,
                self.month,
                self.leads,
                self.lines.len(),
                if kept > 0 {
                    format!(" ({kept} kept from an earlier run)")
                } else {
                    String::new()
                },
                self.unassigned.len()
            )
        });
        let lift = if self.round_robin_value > 0.0 {
            format!("{:+.0}%", (self.expected_value / self.round_robin_value - 1.0) * 100.0)
        } else {
            "—".into()
        };
        t.push_str(&if zh {
            format!(
                "预计转化 {:.1} 条、预计赢单金额 ¥{}；同样的线索轮流分配预计转化 {:.1} 条、¥{}（差 {lift}）\n",
                self.expected_conversions,
                money_text(self.expected_value),
                self.round_robin_conversions,
                money_text(self.round_robin_value)
            )
        } else {
            format!(
                "Expected conversions {:.1}, expected won value ¥{}; the same leads round robin: {:.1}, ¥{} ({lift})\n",
                self.expected_conversions,
                money_text(self.expected_value),
                self.round_robin_conversions,
                money_text(self.round_robin_value)
            )
        });
        if !self.unassigned.is_empty() {
            t.push_str(&if zh {
                "所有在岗人员本月容量已满，剩余线索未分配；可用 --capacity 提高容量后重跑（已分配的不会变）。\n".to_string()
            } else {
                "Every available rep is at capacity; the rest stay unassigned. Raise capacity with --capacity and run again (assigned leads stay).\n".to_string()
            });
        }
        if self.dry_run {
            t.push_str(lang.pick("试运行：未写入任何分配。\n", "Dry run: nothing was recorded.\n"));
        }
        t.push('\n');
        let w = [-20, -10, -8, 8, 12, -1];
        t.push_str(&line(
            &[
                lang.pick("线索", "lead"),
                lang.pick("工号", "employee"),
                lang.pick("姓名", "name"),
                lang.pick("转化概率", "P(convert)"),
                lang.pick("预计金额", "exp. value"),
                lang.pick("原因", "reason"),
            ],
            &w,
        ));
        for l in self.lines.iter().take(max_lines) {
            t.push_str(&line(
                &[
                    &l.lead_id,
                    &l.employee_no,
                    &l.name,
                    &pct(l.expected_conversion),
                    &format!("¥{}", money_text(l.expected_value)),
                    &l.reason,
                ],
                &w,
            ));
        }
        if self.lines.len() > max_lines {
            t.push_str(&if zh {
                format!("……共 {} 行，完整结果请用 --output 写入 CSV\n", self.lines.len())
            } else {
                format!("… {} lines in all; use --output for the full CSV\n", self.lines.len())
            });
        }
        t
    }
}

impl ModelReport {
    /// The reliability table and scores for the terminal.
    pub fn render(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let r = &self.reliability;
        let mut t = if zh {
            format!(
                "线索价值模型：用 {}–{} 的 {} 条线索训练，检验 {}–{} 的 {} 条（按实际负责人预测）\n\
                 可分配人员 {} 人（在岗 {} 人）；公司整体转化率 {}；行业经验匹配时转化率 ×{:.2}\n\
                 Brier 分数 {:.4}（只用公司整体转化率为 {:.4}，越低越好）；预计转化 {:.0} 条，实际 {:.0} 条\n\n",
                self.trained_from,
                self.trained_to,
                self.trained_leads,
                self.tested_from,
                self.tested_to,
                r.leads,
                self.reps,
                self.available_reps,
                pct(self.base_rate),
                self.experience_lift,
                r.brier,
                r.baseline_brier,
                r.predicted_conversions,
                r.actual_conversions
            )
        } else {
            format!(
                "Lead value model: trained on {} leads of {}–{}, tested on {} leads of {}–{} (each with its actual owner)\n\
                 {} reps ({} available); company conversion {}; matching industry experience ×{:.2}\n\
                 Brier score {:.4} (one company rate: {:.4}; lower is better); predicted {:.0} conversions, actual {:.0}\n\n",
                self.trained_leads,
                self.trained_from,
                self.trained_to,
                r.leads,
                self.tested_from,
                self.tested_to,
                self.reps,
                self.available_reps,
                pct(self.base_rate),
                self.experience_lift,
                r.brier,
                r.baseline_brier,
                r.predicted_conversions,
                r.actual_conversions
            )
        };
        let w = [6, 8, -16, 10, 10];
        t.push_str(&line(
            &[
                lang.pick("分位", "decile"),
                lang.pick("线索", "leads"),
                lang.pick("预测区间", "range"),
                lang.pick("预测", "predicted"),
                lang.pick("实际", "actual"),
            ],
            &w,
        ));
        for b in &r.bins {
            t.push_str(&line(
                &[
                    &b.decile.to_string(),
                    &b.leads.to_string(),
                    &format!("{}–{}", pct(b.from), pct(b.to)),
                    &pct(b.predicted),
                    &pct(b.actual),
                ],
                &w,
            ));
        }
        t
    }
}

/// Words for a strategy.
pub fn strategy_label(name: &str, lang: Lang) -> &'static str {
    match (name, lang) {
        ("current", Lang::Zh) => "现行分配",
        ("round-robin", Lang::Zh) => "轮流分配",
        ("load-balanced", Lang::Zh) => "按余量分配",
        ("optimal", Lang::Zh) => "最优分配",
        ("current", Lang::En) => "current practice",
        ("round-robin", Lang::En) => "round robin",
        ("load-balanced", Lang::En) => "load balanced",
        ("optimal", Lang::En) => "optimal",
        _ => "?",
    }
}

impl SimulationResult {
    /// The value of one strategy's outcome, if present.
    pub fn outcome(&self, name: &str) -> Option<&StrategyOutcome> {
        self.outcomes.iter().find(|o| o.strategy == name)
    }

    /// Strategies side by side for the terminal, with the lift over round robin.
    pub fn render(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let mut t = if zh {
            format!(
                "分配模拟：{}–{} 的 {} 条线索，按各策略重新分配（模型只用模拟期之前的数据），\n\
                 用全部历史拟合的模型估计结果（反事实无法直接观察）。每人保底 {} 条，优质线索每人不超过 {:.0}%。\n\n",
                self.from,
                self.to,
                self.leads,
                self.limits.min_per_rep,
                self.limits.premium_rep_cap * 100.0
            )
        } else {
            format!(
                "Routing simulation: the {} leads of {}–{} re-dealt by each strategy (the router learns only from\n\
                 earlier months), outcomes estimated by the model fitted on all history (counterfactuals cannot be\n\
                 observed). Minimum {} per rep; no rep above {:.0}% of premium leads.\n\n",
                self.leads,
                self.from,
                self.to,
                self.limits.min_per_rep,
                self.limits.premium_rep_cap * 100.0
            )
        };
        let base = self.outcome("round-robin").map(|o| o.expected_value).unwrap_or(0.0);
        let w = [-17, 8, 12, 8, 14, 10];
        t.push_str(&line(
            &[
                lang.pick("策略", "strategy"),
                lang.pick("线索", "leads"),
                lang.pick("预计转化", "conversions"),
                lang.pick("转化率", "rate"),
                lang.pick("预计赢单金额", "won value"),
                lang.pick("较轮流", "vs RR"),
            ],
            &w,
        ));
        for o in &self.outcomes {
            let lift = if base > 0.0 {
                format!("{:+.1}%", (o.expected_value / base - 1.0) * 100.0)
            } else {
                "—".into()
            };
            t.push_str(&line(
                &[
                    strategy_label(o.strategy, lang),
                    &o.assigned.to_string(),
                    &format!("{:.1}", o.expected_conversions),
                    &pct(if o.assigned > 0 {
                        o.expected_conversions / o.assigned as f64
                    } else {
                        0.0
                    }),
                    &format!("¥{}", money_text(o.expected_value)),
                    &lift,
                ],
                &w,
            ));
        }
        if let Some(c) = self.outcome("current") {
            t.push_str(&if zh {
                format!(
                    "\n核对：现行分配实际转化 {} 条，模型估计 {:.0} 条。\n",
                    self.actual_conversions, c.expected_conversions
                )
            } else {
                format!(
                    "\nCheck: current practice actually converted {}; the model estimates {:.0}.\n",
                    self.actual_conversions, c.expected_conversions
                )
            });
        }
        t
    }
}

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
        let id = lead.id.trim();
        if id.is_empty() {
            return Err(AppError::Invalid(
                lang.pick("线索缺少 id", "the lead has no id").to_string(),
            ));
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
            return Err(AppError::Invalid("no plan".into()));
        };
        let routed = state.plan.route(&state.router.model, &facts).ok_or_else(|| {
            AppError::Invalid(
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
