//! Assignment runs: a file of new leads or the leads waiting in the database, decided by the
//! chosen strategy, compared with round robin, recorded and audited.

use std::path::Path;

use chrono::{NaiveDate, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use uplift_domain::records::{ImportKind, Record};
use uplift_domain::{Lang, Month};
use uplift_io::{ColumnMap, Issue, ParseContext, SourceFile, parse_record};
use uplift_routing::reason::reason;
use uplift_routing::{LeadFacts, Limits, Strategy, allocate};
use uplift_store::{AssignmentRow, RoutingRep, Store};

use super::PENDING_MONTHS;
use super::context::{lead_facts, load, today};
use crate::AppError;

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
        return Err(AppError::invalid(issues_text(&issues, lang)));
    }
    if out.is_empty() {
        return Err(AppError::invalid(match lang {
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
        return Err(AppError::invalid(match lang {
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

// Long on purpose: one assignment run: kept decisions, capacities, allocation, comparison with round
// robin, recording; the steps share the run's indexes.
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
    let io = |e: csv::Error| AppError::internal(e.to_string());
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
    let bytes = w.into_inner().map_err(|e| AppError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal(e.to_string()))
}
