//! Recomputing the materialised metric table, presenting it as a table, CSV or JSON, and reading
//! it for a caller: limited to their scope, appraisal scores only where they may read them.

use serde_json::{Map, Value as Json};

use uplift_domain::access::Scope;
use uplift_domain::metric::MetricUnit;
use uplift_domain::metric_data::{EmployeeMonthMetrics, UnitMonthMetrics};
use uplift_domain::{Lang, MetricId, Money, Month};
use uplift_insight::compute_metric_table;
use uplift_store::{AffectedMonths, EmployeeMetricRow, MetricFilter, Store, UnitMetricRow};

use crate::AppError;
use crate::access::{Principal, audit_by};
use crate::settings::company_tz;
use uplift_routing::cadence::CadenceRules;

/// Recomputes the metric rows of the affected months (within the months that have data) and
/// returns the months recomputed. Months outside the data range lose their rows.
pub async fn recompute(store: &Store, affected: &AffectedMonths) -> Result<Vec<i32>, AppError> {
    recompute_at(store, affected, chrono::Utc::now()).await
}

/// [`recompute`] as of `now`: the current month's `cadence_compliance` counts up to `now`.
pub async fn recompute_at(
    store: &Store,
    affected: &AffectedMonths,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i32>, AppError> {
    let tz = company_tz(store).await?;
    // Months left over by an import whose recompute did not finish are done now too.
    let pending = store.pending_months().await?;
    let affected = &affected.clone().union(pending.clone());
    let range = store.data_month_range().await?;
    store.delete_metrics_outside(range).await?;
    let Some(range) = range else {
        store.clear_pending_months(&pending).await?;
        return Ok(Vec::new());
    };
    let months = affected.within(range);
    let rules = crate::cadence::rules(store).await?;
    // Chunks of a year keep memory flat on big companies.
    for chunk in months.chunks(12) {
        let t = std::time::Instant::now();
        let mut inputs = store.load_metric_inputs(chunk, tz).await?;
        let loaded = t.elapsed();
        inputs.cadence = crate::cadence::month_compliance(store, &rules, chunk, tz, now).await?;
        tracing::debug!(?loaded, with_cadence = ?t.elapsed(), months = chunk.len(), "metric inputs");
        let (rows, units) = compute_metric_table(&inputs);
        store.replace_metrics(chunk, &rows, &units).await?;
        crate::failpoint::hit(crate::failpoint::RECOMPUTE_AFTER_FIRST_CHUNK);
    }
    store.clear_pending_months(&pending).await?;
    Ok(months)
}

/// Whether metric months wait for a recompute (an import committed and its recompute is running,
/// or stopped half-way): pages say so until [`keep_metrics_current`] or the import finishes.
pub async fn recompute_pending(store: &Store) -> Result<bool, AppError> {
    Ok(store.pending_months().await? != AffectedMonths::None)
}

/// How often the server looks for months left pending, and how long a pending set must stay
/// unchanged before it is taken for abandoned (by a crashed import) and recomputed here.
#[derive(Debug, Clone, Copy)]
pub struct RepairTiming {
    pub check_every: std::time::Duration,
    pub abandoned_after: std::time::Duration,
}

impl Default for RepairTiming {
    /// Repaired within a minute: a set unchanged for 45 s, looked at every 5 s.
    fn default() -> Self {
        RepairTiming {
            check_every: std::time::Duration::from_secs(5),
            abandoned_after: std::time::Duration::from_secs(45),
        }
    }
}

/// Keeps the metric table current while the server runs: at start-up every pending month is
/// recomputed at once (no import of this process can be running), later a pending set that stays
/// unchanged for [`RepairTiming::abandoned_after`] — an import killed between its commit and its
/// recompute, whichever process ran it — is recomputed. An import's own recompute normally clears
/// its months first; if both run, they compute the same rows and the second changes nothing.
pub async fn keep_metrics_current(store: Store, timing: RepairTiming, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut seen: Option<(AffectedMonths, std::time::Instant)> = None;
    let mut starting = true;
    loop {
        match store.pending_months().await {
            Ok(AffectedMonths::None) => seen = None,
            Ok(pending) => {
                let abandoned = starting
                    || seen
                        .as_ref()
                        .is_some_and(|(s, since)| *s == pending && since.elapsed() >= timing.abandoned_after);
                if abandoned {
                    tracing::info!(months = %pending.encode(), "recomputing metric months left pending");
                    // A stop abandons the recompute: its transaction rolls back, the months stay pending.
                    // A crashed import may have stopped before relinking CRM users to employees too.
                    let done = tokio::select! {
                        r = relink_and_recompute(&store) => r,
                        _ = stop.changed() => return,
                    };
                    match done {
                        Ok(months) => tracing::info!(count = months.len(), "pending metric months recomputed"),
                        Err(e) => tracing::warn!(error = %e.render(Lang::En), "pending metric months not recomputed"),
                    }
                    seen = None;
                } else if seen.as_ref().is_none_or(|(s, _)| *s != pending) {
                    seen = Some((pending, std::time::Instant::now()));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read pending metric months"),
        }
        starting = false;
        tokio::select! {
            _ = tokio::time::sleep(timing.check_every) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn relink_and_recompute(store: &Store) -> Result<Vec<i32>, AppError> {
    crate::identity::relink(store).await?;
    recompute(store, &AffectedMonths::None).await
}

/// The value of one metric in an employee row, as a number (money in yuan).
pub fn employee_value(r: &EmployeeMonthMetrics, m: MetricId) -> Option<f64> {
    use MetricId::*;
    match m {
        Fte => Some(r.fte),
        Contribution => Some(Money(r.contribution_fen).yuan_f64()),
        OrdersWon => Some(r.orders_won as f64),
        PerCapitaContribution => r.per_capita_contribution,
        AvgDealSize => r.avg_deal_size,
        QuotaAttainment => r.quota_attainment,
        PipelineValue => Some(Money(r.pipeline_fen).yuan_f64()),
        LeadsReceived => Some(r.leads_received as f64),
        LeadConversionRate => r.lead_conversion_rate,
        WinRate => r.win_rate,
        Followups => Some(r.followups as f64),
        FollowupsPerWeek => r.followups_per_week,
        FirstResponseHours => r.first_response_hours,
        ContactedWithin24hRate => r.contacted_within_24h_rate,
        CadenceCompliance => r.cadence_compliance,
        PresaleCadenceCompliance => r.presale_cadence_compliance,
        TenureMonths => r.tenure_months.map(|t| t as f64),
        TrainingCompletionRate => r.training_completion_rate,
        TrainingsCompleted => Some(r.trainings_completed as f64),
        AppraisalScore => r.appraisal_score,
    }
}

/// The value of one metric in a team row (`fte` is the team's headcount_avg).
pub fn unit_value(r: &UnitMonthMetrics, m: MetricId) -> Option<f64> {
    use MetricId::*;
    match m {
        Fte => Some(r.headcount_avg),
        Contribution => Some(Money(r.contribution_fen).yuan_f64()),
        OrdersWon => Some(r.orders_won as f64),
        PerCapitaContribution => r.per_capita_contribution,
        AvgDealSize => r.avg_deal_size,
        QuotaAttainment => r.quota_attainment,
        PipelineValue => Some(Money(r.pipeline_fen).yuan_f64()),
        LeadsReceived => Some(r.leads_received as f64),
        LeadConversionRate => r.lead_conversion_rate,
        WinRate => r.win_rate,
        Followups => Some(r.followups as f64),
        FollowupsPerWeek => r.followups_per_week,
        FirstResponseHours => r.first_response_hours,
        ContactedWithin24hRate => r.contacted_within_24h_rate,
        CadenceCompliance => r.cadence_compliance,
        PresaleCadenceCompliance => r.presale_cadence_compliance,
        TenureMonths => r.tenure_months,
        TrainingCompletionRate => r.training_completion_rate,
        TrainingsCompleted => Some(r.trainings_completed as f64),
        AppraisalScore => r.appraisal_score,
    }
}

/// Decimals used in CSV and JSON: money 2, hours 4, counts 0, everything else 6.
pub fn decimals(m: MetricId) -> usize {
    match m.unit() {
        MetricUnit::Money => 2,
        MetricUnit::Hours => 4,
        MetricUnit::Count => 0,
        _ => 6,
    }
}

/// A number for machine output, with the metric's decimals.
pub fn machine_text(m: MetricId, v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(x) => format!("{:.*}", decimals(m), x),
    }
}

/// A number for people: ¥ and thousands separators for money, percentages for rates.
pub fn human_text(m: MetricId, v: Option<f64>, lang: Lang) -> String {
    let Some(x) = v else { return "—".into() };
    match m.unit() {
        MetricUnit::Money => {
            let s = Money((x * 100.0).round() as i64).display_cny();
            let _ = lang;
            s
        }
        MetricUnit::Rate => format!("{:.1}%", x * 100.0),
        MetricUnit::Hours => format!("{x:.1}"),
        MetricUnit::Count => format!("{x:.0}"),
        MetricUnit::Number => format!("{x:.2}"),
    }
}

/// Output formats of `uplift metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Whether to list employees or departments (with the company first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Employee,
    Department,
}

/// What a caller asks of the metric table: which months, people or departments, metrics and page.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// A department path; its sub-departments are included.
    pub department: Option<String>,
    /// One employee (employee rows only).
    pub employee_no: Option<String>,
    /// The metrics wanted, in this order.
    pub metrics: Vec<MetricId>,
    pub level: Level,
    /// Rows per page.
    pub limit: i64,
    /// Rows skipped before the page.
    pub offset: i64,
}

/// One row of the metric table as a caller sees it: an employee-month, or a department-month
/// (the company when `department` is `None` at department level).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    /// Month key, `yyyymm`.
    pub month: i32,
    pub employee_no: Option<String>,
    pub name: Option<String>,
    pub department: Option<String>,
    /// The metrics asked for with their values (money in yuan, rates as fractions), without
    /// appraisal scores the caller may not read.
    pub values: Vec<(MetricId, Option<f64>)>,
}

/// The audit log names a metric-table read by the API resource it came through, as it always has.
const METRIC_READ_TARGET: &str = "api/v1/metrics";

/// One page of the metric table limited to the caller's scope, and the rows matching over all
/// pages. A department or employee filter outside the scope, or department rows for a scope of
/// people (a manager's team, a rep), is [`AppError::Forbidden`]. Appraisal scores — also a department's average, which
/// can be one person's score — are left out unless the role may read appraisals or the row is the
/// caller's own; a page that shows any is audited (`read.appraisal`).
pub async fn metric_rows(
    store: &Store,
    p: &Principal,
    q: &MetricQuery,
    ip: Option<&str>,
) -> Result<(Vec<MetricLine>, i64), AppError> {
    let people_scope = matches!(p.scope, Scope::Employees(_));
    if let Some(d) = &q.department {
        crate::access::require_department(store, p, d).await?;
    }
    if let Some(no) = &q.employee_no {
        crate::access::require_employee(store, p, no).await?;
    }
    let filter = MetricFilter {
        from: q.from,
        to: q.to,
        department: q.department.clone(),
        employee_no: q.employee_no.clone(),
        scope: p.scope.clone(),
        page: Some((q.limit, q.offset)),
    };
    let may_appraisal = p.role.may_read_appraisals();
    let shown = |m: &&MetricId, own: bool| **m != MetricId::AppraisalScore || may_appraisal || own;
    let lines: Vec<MetricLine> = match q.level {
        Level::Department => {
            if people_scope {
                return Err(AppError::Forbidden);
            }
            store
                .unit_metrics(&filter)
                .await?
                .into_iter()
                .map(|r| MetricLine {
                    month: r.metrics.month,
                    employee_no: None,
                    name: None,
                    values: q
                        .metrics
                        .iter()
                        .filter(|m| shown(m, false))
                        .map(|m| (*m, unit_value(&r.metrics, *m)))
                        .collect(),
                    department: r.department,
                })
                .collect()
        }
        Level::Employee => store
            .employee_metrics(&filter)
            .await?
            .into_iter()
            .map(|r| {
                let own = p.is_self(&r.employee_no);
                MetricLine {
                    month: r.metrics.month,
                    values: q
                        .metrics
                        .iter()
                        .filter(|m| shown(m, own))
                        .map(|m| (*m, employee_value(&r.metrics, *m)))
                        .collect(),
                    employee_no: Some(r.employee_no),
                    name: Some(r.name),
                    department: r.department,
                }
            })
            .collect(),
    };
    let total = store.count_metric_rows(&filter, q.level == Level::Employee).await?;
    let saw_appraisal = lines
        .iter()
        .any(|l| l.values.iter().any(|(m, _)| *m == MetricId::AppraisalScore));
    if saw_appraisal {
        audit_by(
            store,
            p,
            "read.appraisal",
            Some(METRIC_READ_TARGET),
            Some(&format!("rows={}", lines.len())),
            ip,
        )
        .await?;
    }
    Ok((lines, total))
}

/// Reads the metric table and renders it.
pub async fn render_metrics(
    store: &Store,
    filter: &MetricFilter,
    level: Level,
    format: Format,
    lang: Lang,
) -> Result<String, AppError> {
    match level {
        Level::Employee => {
            let rows = store.employee_metrics(filter).await?;
            Ok(render_employee_rows(&rows, format, lang))
        }
        Level::Department => {
            let rows = store.unit_metrics(filter).await?;
            Ok(render_unit_rows(&rows, format, lang))
        }
    }
}

fn month_text(key: i32) -> String {
    Month::from_key(key).map(|m| m.to_string()).unwrap_or_default()
}

fn render_employee_rows(rows: &[EmployeeMetricRow], format: Format, lang: Lang) -> String {
    let keyed: Vec<(Vec<String>, Vec<Option<f64>>)> = rows
        .iter()
        .map(|r| {
            let keys = vec![
                r.employee_no.clone(),
                month_text(r.metrics.month),
                r.name.clone(),
                r.department.clone().unwrap_or_default(),
            ];
            (
                keys,
                MetricId::ALL.iter().map(|m| employee_value(&r.metrics, *m)).collect(),
            )
        })
        .collect();
    render(
        &["employee_no", "month"],
        &[lang.pick("姓名", "Name"), lang.pick("部门", "Department")],
        &keyed,
        format,
        lang,
        None,
    )
}

fn render_unit_rows(rows: &[UnitMetricRow], format: Format, lang: Lang) -> String {
    let keyed: Vec<(Vec<String>, Vec<Option<f64>>)> = rows
        .iter()
        .map(|r| {
            let dept = r
                .department
                .clone()
                .unwrap_or_else(|| lang.pick("全公司", "(company)").to_string());
            let keys = vec![dept, month_text(r.metrics.month), r.metrics.members.to_string()];
            (keys, MetricId::ALL.iter().map(|m| unit_value(&r.metrics, *m)).collect())
        })
        .collect();
    let fte_label = lang.pick("平均人数", "Headcount avg");
    render(
        &["department", "month"],
        &[lang.pick("人数", "Members")],
        &keyed,
        format,
        lang,
        Some(fte_label),
    )
}

/// Renders rows whose first two keys are machine keys and the rest are labels for people.
fn render(
    machine_keys: &[&str],
    human_keys: &[&str],
    rows: &[(Vec<String>, Vec<Option<f64>>)],
    format: Format,
    lang: Lang,
    fte_label: Option<&str>,
) -> String {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header: Vec<&str> = machine_keys.to_vec();
            header.extend(MetricId::ALL.iter().map(|m| m.id()));
            let _ = w.write_record(&header);
            for (keys, vals) in rows {
                // Department names and employee numbers come from customers' files: formula-safe.
                let mut rec: Vec<String> = keys[..machine_keys.len()]
                    .iter()
                    .map(|k| uplift_io::csv_out::spreadsheet_safe(k).into_owned())
                    .collect();
                rec.extend(MetricId::ALL.iter().zip(vals).map(|(m, v)| machine_text(*m, *v)));
                let _ = w.write_record(&rec);
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        Format::Json => {
            let arr: Vec<Json> = rows
                .iter()
                .map(|(keys, vals)| {
                    let mut o = Map::new();
                    for (k, v) in machine_keys.iter().zip(keys) {
                        o.insert((*k).into(), Json::String(v.clone()));
                    }
                    for (m, v) in MetricId::ALL.iter().zip(vals) {
                        let j = match v {
                            None => Json::Null,
                            Some(x) => {
                                let rounded: f64 = format!("{:.*}", decimals(*m), x).parse().unwrap_or(*x);
                                serde_json::Number::from_f64(rounded)
                                    .map(Json::Number)
                                    .unwrap_or(Json::Null)
                            }
                        };
                        o.insert(m.id().into(), j);
                    }
                    Json::Object(o)
                })
                .collect();
            serde_json::to_string_pretty(&arr).unwrap_or_default() + "\n"
        }
        Format::Table => {
            let shown = [
                MetricId::Fte,
                MetricId::Contribution,
                MetricId::OrdersWon,
                MetricId::QuotaAttainment,
                MetricId::LeadsReceived,
                MetricId::LeadConversionRate,
                MetricId::WinRate,
                MetricId::FollowupsPerWeek,
                MetricId::FirstResponseHours,
                MetricId::ContactedWithin24hRate,
                MetricId::TenureMonths,
            ];
            let mut header: Vec<String> = machine_keys
                .iter()
                .map(|k| match *k {
                    "employee_no" => lang.pick("工号", "Employee").to_string(),
                    "month" => lang.pick("月份", "Month").to_string(),
                    "department" => lang.pick("部门", "Department").to_string(),
                    other => other.to_string(),
                })
                .collect();
            header.extend(human_keys.iter().map(|s| s.to_string()));
            header.extend(shown.iter().map(|m| match (m, fte_label) {
                (MetricId::Fte, Some(l)) => l.to_string(),
                _ => m.label(lang).to_string(),
            }));
            let mut table: Vec<Vec<String>> = vec![header];
            for (keys, vals) in rows {
                let mut line: Vec<String> = keys.clone();
                if lang == Lang::Zh
                    && let Some(m) = Month::parse(&line[1]).ok()
                {
                    line[1] = m.label_zh();
                }
                for m in shown {
                    let i = MetricId::ALL.iter().position(|x| *x == m).unwrap_or(0);
                    line.push(human_text(m, vals[i], lang));
                }
                table.push(line);
            }
            format_table(&table)
        }
    }
}

/// Aligns columns by display width (CJK characters are two columns wide).
fn format_table(rows: &[Vec<String>]) -> String {
    let width = |s: &str| {
        s.chars()
            .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
            .sum::<usize>()
    };
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{}{}", s, " ".repeat(widths[c] - width(s))))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    out
}

// Changes that move every month's numbers: the recompute that must follow lives here, so settings
// and cadence rules stay leaves that metrics reads.

/// Changes the company time zone and recomputes every metric month (month boundaries moved).
/// Returns the zone and the months recomputed.
pub async fn change_timezone(store: &Store, name: &str) -> Result<(chrono_tz::Tz, Vec<i32>), AppError> {
    let tz = crate::settings::set_company_tz(store, name).await?;
    let months = recompute(store, &AffectedMonths::All).await?;
    Ok((tz, months))
}

/// Changes the follow-up cadence rules (admin), audited, and recomputes every month's
/// `cadence_compliance`.
pub async fn change_cadence_rules(store: &Store, rules: &CadenceRules, by: &str, lang: Lang) -> Result<(), AppError> {
    crate::cadence::save_rules(store, rules, by, lang).await?;
    recompute(store, &AffectedMonths::All).await?;
    Ok(())
}
