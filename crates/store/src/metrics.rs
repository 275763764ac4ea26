//! The metric table: aggregating raw events in SQL, and storing and reading the materialised rows.

use chrono::NaiveDate;
use chrono_tz::Tz;
use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, FromRow};

use crate::StoreError;
use crate::browse::{Arg, Sql, bind_args};
use crate::conn::{Pool, Store, on_pool};
use crate::import::{Tx, bulk_insert, on_tx_impl};
use crate::value::{ColType, Value};
use uplift_domain::Month;
use uplift_domain::access::Scope;
use uplift_domain::metric_data::*;
use uplift_domain::time::month_end_exclusive;

fn in_list(months: &[i32]) -> String {
    months.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(",")
}

fn date(s: &str) -> Result<NaiveDate, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad stored date {s:?}")))
}

const EMPLOYEE_COLS: &[(&str, ColType)] = &[
    ("employee_id", ColType::Int),
    ("month", ColType::Int),
    ("days_employed", ColType::Int),
    ("fte", ColType::Real),
    ("contribution_fen", ColType::Int),
    ("orders_won", ColType::Int),
    ("per_capita_contribution", ColType::Real),
    ("avg_deal_size", ColType::Real),
    ("target_fen", ColType::Int),
    ("quota_attainment", ColType::Real),
    ("pipeline_fen", ColType::Int),
    ("leads_received", ColType::Int),
    ("leads_converted", ColType::Int),
    ("lead_conversion_rate", ColType::Real),
    ("deals_lost", ColType::Int),
    ("win_rate", ColType::Real),
    ("followups", ColType::Int),
    ("followups_per_week", ColType::Real),
    ("first_response_hours", ColType::Real),
    ("leads_contacted_24h", ColType::Int),
    ("contacted_within_24h_rate", ColType::Real),
    ("tenure_months", ColType::Int),
    ("trainings_assigned_to_date", ColType::Int),
    ("trainings_done_to_date", ColType::Int),
    ("training_completion_rate", ColType::Real),
    ("trainings_completed", ColType::Int),
    ("appraisal_score", ColType::Real),
    ("cadence_days", ColType::Real),
    ("cadence_days_on_time", ColType::Real),
    ("cadence_compliance", ColType::Real),
    ("presale_cadence_days", ColType::Real),
    ("presale_cadence_days_on_time", ColType::Real),
    ("presale_cadence_compliance", ColType::Real),
];

const UNIT_COLS: &[(&str, ColType)] = &[
    ("department_id", ColType::Int),
    ("month", ColType::Int),
    ("headcount_avg", ColType::Real),
    ("members", ColType::Int),
    ("contribution_fen", ColType::Int),
    ("orders_won", ColType::Int),
    ("per_capita_contribution", ColType::Real),
    ("avg_deal_size", ColType::Real),
    ("target_fen", ColType::Int),
    ("quota_attainment", ColType::Real),
    ("pipeline_fen", ColType::Int),
    ("leads_received", ColType::Int),
    ("lead_conversion_rate", ColType::Real),
    ("win_rate", ColType::Real),
    ("followups", ColType::Int),
    ("followups_per_week", ColType::Real),
    ("first_response_hours", ColType::Real),
    ("contacted_within_24h_rate", ColType::Real),
    ("tenure_months", ColType::Real),
    ("training_completion_rate", ColType::Real),
    ("trainings_completed", ColType::Int),
    ("appraisal_score", ColType::Real),
    ("cadence_compliance", ColType::Real),
    ("presale_cadence_compliance", ColType::Real),
];

fn employee_values(r: &EmployeeMonthMetrics) -> Vec<Value> {
    vec![
        r.employee_id.into(),
        (r.month as i64).into(),
        r.days_employed.into(),
        Value::Real(r.fte),
        r.contribution_fen.into(),
        r.orders_won.into(),
        r.per_capita_contribution.into(),
        r.avg_deal_size.into(),
        r.target_fen.into(),
        r.quota_attainment.into(),
        r.pipeline_fen.into(),
        r.leads_received.into(),
        r.leads_converted.into(),
        r.lead_conversion_rate.into(),
        r.deals_lost.into(),
        r.win_rate.into(),
        r.followups.into(),
        r.followups_per_week.into(),
        r.first_response_hours.into(),
        r.leads_contacted_24h.into(),
        r.contacted_within_24h_rate.into(),
        r.tenure_months.into(),
        r.trainings_assigned_to_date.into(),
        r.trainings_done_to_date.into(),
        r.training_completion_rate.into(),
        r.trainings_completed.into(),
        r.appraisal_score.into(),
        Value::Real(r.cadence_days),
        Value::Real(r.cadence_days_on_time),
        r.cadence_compliance.into(),
        Value::Real(r.presale_cadence_days),
        Value::Real(r.presale_cadence_days_on_time),
        r.presale_cadence_compliance.into(),
    ]
}

fn unit_values(r: &UnitMonthMetrics) -> Vec<Value> {
    vec![
        r.department_id.unwrap_or(0).into(),
        (r.month as i64).into(),
        Value::Real(r.headcount_avg),
        r.members.into(),
        r.contribution_fen.into(),
        r.orders_won.into(),
        r.per_capita_contribution.into(),
        r.avg_deal_size.into(),
        r.target_fen.into(),
        r.quota_attainment.into(),
        r.pipeline_fen.into(),
        r.leads_received.into(),
        r.lead_conversion_rate.into(),
        r.win_rate.into(),
        r.followups.into(),
        r.followups_per_week.into(),
        r.first_response_hours.into(),
        r.contacted_within_24h_rate.into(),
        r.tenure_months.into(),
        r.training_completion_rate.into(),
        r.trainings_completed.into(),
        r.appraisal_score.into(),
        r.cadence_compliance.into(),
        r.presale_cadence_compliance.into(),
    ]
}

/// Which stored metric rows to read.
#[derive(Debug, Clone, Default)]
pub struct MetricFilter {
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// A department path; its sub-departments are included.
    pub department: Option<String>,
    pub employee_no: Option<String>,
    /// Only people (employee rows) or departments (unit rows) inside this scope.
    pub scope: Scope,
    /// One page of the ordered rows: (limit, offset).
    pub page: Option<(i64, i64)>,
}

/// A stored employee-month row with who it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeMetricRow {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub metrics: EmployeeMonthMetrics,
}

/// A stored department-month (or company-month, `department` `None`) row.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMetricRow {
    pub department: Option<String>,
    pub metrics: UnitMonthMetrics,
}

#[derive(FromRow)]
struct EmpRow {
    id: i64,
    employee_no: String,
    department_id: Option<i64>,
    hire_date: String,
    leave_date: Option<String>,
}

/// Closed deals of one employee and close month.
#[derive(FromRow)]
struct DealsRow {
    employee_id: i64,
    month: i64,
    won_fen: i64,
    won: i64,
    lost: i64,
}

#[derive(FromRow)]
struct LeadRow {
    employee_id: i64,
    created_month: i64,
    created_ts: i64,
    is_converted: bool,
    first_ts: Option<i64>,
}

impl Store {
    /// The first and last month (keys) that have CRM events: leads received, deals closed, follow-ups.
    pub async fn data_month_range(&self) -> Result<Option<(i32, i32)>, StoreError> {
        let sql = "SELECT MIN(lo), MAX(hi) FROM ( \
            SELECT MIN(created_month) AS lo, MAX(created_month) AS hi FROM leads \
            UNION ALL SELECT MIN(close_month), MAX(close_month) FROM opportunities WHERE state <> 'open' \
            UNION ALL SELECT MIN(month), MAX(month) FROM activities WHERE is_followup = TRUE) t";
        let (lo, hi): (Option<i64>, Option<i64>) = on_pool!(self, |p| sqlx::query_as(sql).fetch_one(p).await?);
        Ok(lo.zip(hi).map(|(a, b)| (a as i32, b as i32)))
    }

    /// The first and last month of the stored metric table: what pages offer. Read from the small
    /// roll-up table, unlike [`Store::data_month_range`], which scans the events.
    /// The last month is the newest with any contribution, so a month that has only begun (or
    /// holds only a few stray events) is not what pages open on.
    pub async fn metric_month_range(&self) -> Result<Option<(i32, i32)>, StoreError> {
        let sql = "SELECT MIN(month), COALESCE(MAX(CASE WHEN contribution_fen > 0 THEN month END), MAX(month)) \
            FROM department_metrics WHERE department_id = 0";
        let (lo, hi): (Option<i64>, Option<i64>) = on_pool!(self, |p| sqlx::query_as(sql).fetch_one(p).await?);
        Ok(lo.zip(hi).map(|(a, b)| (a as i32, b as i32)))
    }

    /// The department tree.
    pub async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let sql = "SELECT id, parent_id, path, name FROM departments ORDER BY path";
        let rows: Vec<(i64, Option<i64>, String, String)> =
            on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(id, parent_id, path, name)| Department {
                id,
                parent_id,
                path,
                name,
            })
            .collect())
    }

    /// Aggregates raw events for `months` (keys) in SQL. Months are calendar months in zone `tz`.
    pub async fn load_metric_inputs(&self, months: &[i32], tz: Tz) -> Result<MetricInputs, StoreError> {
        let mut inputs = MetricInputs {
            months: months.to_vec(),
            ..Default::default()
        };
        inputs.departments = self.departments().await?;
        let emp_sql = "SELECT id, employee_no, department_id, hire_date, leave_date FROM employees";
        let emps: Vec<EmpRow> = on_pool!(self, |p| sqlx::query_as(emp_sql).fetch_all(p).await?);
        for e in emps {
            inputs.employees.push(EmployeeFacts {
                id: e.id,
                employee_no: e.employee_no,
                department_id: e.department_id,
                hire_date: date(&e.hire_date)?,
                leave_date: e.leave_date.as_deref().map(date).transpose()?,
            });
        }
        if months.is_empty() {
            return Ok(inputs);
        }
        let list = in_list(months);

        let deals_sql = format!(
            "SELECT u.employee_id AS employee_id, o.close_month AS month, \
               CAST(SUM(CASE WHEN o.state = 'won' THEN COALESCE(o.amount_fen, 0) ELSE 0 END) AS BIGINT) AS won_fen, \
               CAST(SUM(CASE WHEN o.state = 'won' THEN 1 ELSE 0 END) AS BIGINT) AS won, \
               CAST(SUM(CASE WHEN o.state = 'lost' THEN 1 ELSE 0 END) AS BIGINT) AS lost \
             FROM opportunities o JOIN crm_users u ON u.source_id = o.owner_id \
             WHERE u.employee_id IS NOT NULL AND o.state <> 'open' AND o.close_month IN ({list}) \
             GROUP BY u.employee_id, o.close_month"
        );
        let deals: Vec<DealsRow> = on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(deals_sql)).fetch_all(p).await?);
        inputs.closed_deals = deals
            .into_iter()
            .map(|d| (d.employee_id, d.month as i32, d.won_fen, d.won, d.lost))
            .collect();

        // One row per lead; the first follow-up is found through the (who_id, is_followup, ts) index.
        let leads_sql = format!(
            "SELECT u.employee_id, l.created_month, l.created_ts, l.is_converted, \
               (SELECT MIN(a.ts) FROM activities a WHERE a.who_id = l.source_id AND a.is_followup = TRUE AND a.ts >= l.created_ts) AS first_ts \
             FROM leads l JOIN crm_users u ON u.source_id = l.owner_id \
             WHERE u.employee_id IS NOT NULL AND l.created_month IN ({list})"
        );
        let leads: Vec<LeadRow> = on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(leads_sql)).fetch_all(p).await?);
        inputs.leads = leads
            .into_iter()
            .map(|l| LeadFact {
                employee_id: l.employee_id,
                month: l.created_month as i32,
                is_converted: l.is_converted,
                first_response_secs: l.first_ts.map(|f| f - l.created_ts),
            })
            .collect();

        let fu_sql = format!(
            "SELECT u.employee_id, a.month, COUNT(*) FROM activities a JOIN crm_users u ON u.source_id = a.owner_id \
             WHERE u.employee_id IS NOT NULL AND a.is_followup = TRUE AND a.month IN ({list}) GROUP BY u.employee_id, a.month"
        );
        let fu: Vec<(i64, i64, i64)> = on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(fu_sql)).fetch_all(p).await?);
        inputs.followups = fu.into_iter().map(|(e, m, n)| (e, m as i32, n)).collect();

        // Open at the end of m: created before the month ended, and not closed by then.
        let pipe_sql = "SELECT u.employee_id, CAST(SUM(COALESCE(o.amount_fen, 0)) AS BIGINT) \
             FROM opportunities o JOIN crm_users u ON u.source_id = o.owner_id \
             WHERE u.employee_id IS NOT NULL AND (o.created_ts IS NULL OR o.created_ts < $1) \
               AND (o.state = 'open' OR o.close_date > $2) GROUP BY u.employee_id";
        for &m in months {
            let month = Month::from_key(m).ok_or_else(|| StoreError::Corrupt(format!("bad month {m}")))?;
            let end_ts = month_end_exclusive(month, tz).timestamp();
            let last = month.last_day().to_string();
            let rows: Vec<(i64, i64)> = on_pool!(self, |p| sqlx::query_as(pipe_sql)
                .bind(end_ts)
                .bind(&last)
                .fetch_all(p)
                .await?);
            inputs.pipeline.extend(rows.into_iter().map(|(e, fen)| (e, m, fen)));
        }

        let tgt_sql = format!("SELECT employee_id, month, amount_fen FROM targets WHERE month IN ({list})");
        let tgt: Vec<(i64, i64, i64)> = on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(tgt_sql)).fetch_all(p).await?);
        inputs.targets = tgt.into_iter().map(|(e, m, f)| (e, m as i32, f)).collect();

        let last_day = Month::from_key(*months.iter().max().unwrap_or(&0))
            .map(|m| m.last_day().to_string())
            .unwrap_or_default();
        let enr_sql = "SELECT employee_id, assigned_date, completed_date FROM enrollments WHERE assigned_date <= $1";
        let enr: Vec<(i64, String, Option<String>)> =
            on_pool!(self, |p| sqlx::query_as(enr_sql).bind(&last_day).fetch_all(p).await?);
        for (e, a, c) in enr {
            inputs
                .enrollments
                .push((e, date(&a)?, c.as_deref().map(date).transpose()?));
        }
        // Ordered so that ties on the same period end resolve the same way on both databases
        // (a quarter's score wins over its last month's, as '2026-Q1' sorts after '2026-03').
        let app_sql = "SELECT employee_id, period_end, score FROM appraisals WHERE period_end <= $1 ORDER BY employee_id, period_end, period";
        let app: Vec<(i64, String, f64)> =
            on_pool!(self, |p| sqlx::query_as(app_sql).bind(&last_day).fetch_all(p).await?);
        for (e, end, s) in app {
            inputs.appraisals.push((e, date(&end)?, s));
        }
        Ok(inputs)
    }

    /// Deletes stored metric rows outside `range` (inclusive month keys), or all rows for `None`:
    /// months that no longer have data must not keep old figures.
    pub async fn delete_metrics_outside(&self, range: Option<(i32, i32)>) -> Result<(), StoreError> {
        let (lo, hi) = range.map(|(a, b)| (a as i64, b as i64)).unwrap_or((i64::MAX, i64::MIN));
        for table in ["employee_metrics", "department_metrics", "employee_lead_mix"] {
            let sql = format!("DELETE FROM {table} WHERE month < $1 OR month > $2");
            on_pool!(self, |p| {
                sqlx::query(AssertSqlSafe(sql)).bind(lo).bind(hi).execute(p).await?;
            });
        }
        Ok(())
    }

    /// Replaces the stored metric rows of `months` in one transaction.
    pub async fn replace_metrics(
        &self,
        months: &[i32],
        employees: &[EmployeeMonthMetrics],
        units: &[UnitMonthMetrics],
    ) -> Result<(), StoreError> {
        let mut tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Pg(p) => Tx::Pg(p.begin().await?),
        };
        if !months.is_empty() {
            let list = in_list(months);
            let d1 = format!("DELETE FROM employee_metrics WHERE month IN ({list})");
            let d2 = format!("DELETE FROM department_metrics WHERE month IN ({list})");
            let d3 = format!("DELETE FROM employee_lead_mix WHERE month IN ({list})");
            // The lead mix is counted and concatenated in the database (a tab and a newline
            // separate the parts; both dialects take them literally inside a string).
            let concat = match self.dialect() {
                crate::Dialect::Sqlite => "group_concat",
                crate::Dialect::Postgres => "string_agg",
            };
            let branch = |kind: &str, col: &str| {
                format!(
                    "SELECT u.employee_id, l.created_month AS month, '{kind}' AS kind, {col} AS value, COUNT(*) AS n \
                     FROM leads l JOIN crm_users u ON u.source_id = l.owner_id \
                     WHERE u.employee_id IS NOT NULL AND l.created_month IN ({list}) \
                     GROUP BY u.employee_id, l.created_month, {col}"
                )
            };
            let d4 = format!(
                "INSERT INTO employee_lead_mix (employee_id, month, mix) \
                 SELECT employee_id, month, {concat}(kind || '\t' || value || '\t' || CAST(n AS TEXT), '\n') FROM ( \
                   {} UNION ALL {} UNION ALL \
                   SELECT u.employee_id, l.created_month AS month, 'o' AS kind, '' AS value, \
                     SUM(CASE WHEN l.industry = e.industry_experience THEN 1 ELSE 0 END) AS n \
                   FROM leads l JOIN crm_users u ON u.source_id = l.owner_id JOIN employees e ON e.id = u.employee_id \
                   WHERE l.created_month IN ({list}) AND e.industry_experience IS NOT NULL \
                   GROUP BY u.employee_id, l.created_month \
                 ) t GROUP BY employee_id, month",
                branch("s", "COALESCE(l.lead_source, '')"),
                branch("i", "COALESCE(l.industry, '')"),
            );
            on_tx_impl!(&mut tx, |c| {
                sqlx::query(AssertSqlSafe(d1)).execute(&mut *c).await?;
                sqlx::query(AssertSqlSafe(d2)).execute(&mut *c).await?;
                sqlx::query(AssertSqlSafe(d3)).execute(&mut *c).await?;
                sqlx::query(AssertSqlSafe(d4)).execute(&mut *c).await?;
            });
        }
        for chunk in employees.chunks(20_000) {
            let rows: Vec<Value> = chunk.iter().flat_map(employee_values).collect();
            bulk_insert(&mut tx, "employee_metrics", EMPLOYEE_COLS, rows).await?;
        }
        let rows: Vec<Value> = units.iter().flat_map(unit_values).collect();
        bulk_insert(&mut tx, "department_metrics", UNIT_COLS, rows).await?;
        match tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    /// How many rows [`Store::employee_metrics`] (or, `employee_rows` false, [`Store::unit_metrics`])
    /// would return without paging.
    pub async fn count_metric_rows(&self, f: &MetricFilter, employee_rows: bool) -> Result<i64, StoreError> {
        let head = if employee_rows {
            "SELECT 1 FROM employee_metrics m JOIN employees e ON e.id = m.employee_id \
             LEFT JOIN departments d ON d.id = e.department_id WHERE 1 = 1"
        } else {
            "SELECT 1 FROM department_metrics m LEFT JOIN departments d ON d.id = m.department_id WHERE 1 = 1"
        };
        let unpaged = MetricFilter {
            page: None,
            ..f.clone()
        };
        let q = filtered(head.to_string(), &unpaged, employee_rows, "");
        let count = Sql {
            text: format!("SELECT COUNT(*) FROM ({}) t", q.text),
            args: q.args,
        };
        self.fetch_count(&count).await
    }

    /// Reads stored employee-month rows, ordered by employee number and month.
    pub async fn employee_metrics(&self, f: &MetricFilter) -> Result<Vec<EmployeeMetricRow>, StoreError> {
        let cols: Vec<String> = EMPLOYEE_COLS.iter().map(|(c, _)| format!("m.{c} AS {c}")).collect();
        let sql = format!(
            "SELECT e.employee_no AS employee_no, e.name AS name, d.path AS department, {} \
             FROM employee_metrics m JOIN employees e ON e.id = m.employee_id \
             LEFT JOIN departments d ON d.id = e.department_id WHERE 1 = 1",
            cols.join(", ")
        );
        let q = filtered(sql, f, true, " ORDER BY e.employee_no, m.month");
        macro_rules! run {
            ($p:expr) => {{
                let rows = bind_args!(sqlx::query(AssertSqlSafe(q.text.clone())), &q.args)
                    .fetch_all($p)
                    .await?;
                decode_all(&rows, EmployeeColumns::of, |r, c| decode_employee(r, c))?
            }};
        }
        Ok(match &self.pool {
            Pool::Sqlite(p) => run!(p),
            Pool::Pg(p) => run!(p),
        })
    }

    /// The columns of stored employee-month rows that analyses read (driver analysis, "why is
    /// this person low"): who and when, fte, tenure, the targets and the candidate drivers of
    /// `uplift_insight::features`. The other fields are left at zero / `None`, and `name` empty:
    /// half the columns and no names halve the read (sqlx copies every value of every row).
    /// Ordered by employee number and month.
    pub async fn employee_metrics_for_analysis(&self, f: &MetricFilter) -> Result<Vec<EmployeeMetricRow>, StoreError> {
        let cols: Vec<String> = ANALYSIS_COLS.iter().map(|c| format!("m.{c} AS {c}")).collect();
        let sql = format!(
            "SELECT e.employee_no AS employee_no, d.path AS department, {} \
             FROM employee_metrics m JOIN employees e ON e.id = m.employee_id \
             LEFT JOIN departments d ON d.id = e.department_id WHERE 1 = 1",
            cols.join(", ")
        );
        let q = filtered(sql, f, true, " ORDER BY e.employee_no, m.month");
        macro_rules! run {
            ($p:expr) => {{
                // Decoded as they arrive (not all rows held first): fewer and smaller allocations.
                let mut rows = bind_args!(sqlx::query(AssertSqlSafe(q.text.clone())), &q.args).fetch($p);
                let mut out = Vec::new();
                if let Some(first) = rows.try_next().await? {
                    let c = AnalysisColumns::of(&first)?;
                    out.push(decode_analysis(&first, &c)?);
                    while let Some(r) = rows.try_next().await? {
                        out.push(decode_analysis(&r, &c)?);
                    }
                }
                out
            }};
        }
        Ok(match &self.pool {
            Pool::Sqlite(p) => run!(p),
            Pool::Pg(p) => run!(p),
        })
    }

    /// Reads stored department and company rows (company: `department` `None`), by path and month.
    pub async fn unit_metrics(&self, f: &MetricFilter) -> Result<Vec<UnitMetricRow>, StoreError> {
        let cols: Vec<String> = UNIT_COLS.iter().map(|(c, _)| format!("m.{c} AS {c}")).collect();
        let sql = format!(
            "SELECT d.path AS department, {} FROM department_metrics m \
             LEFT JOIN departments d ON d.id = m.department_id WHERE 1 = 1",
            cols.join(", ")
        );
        let q = filtered(
            sql,
            f,
            false,
            " ORDER BY CASE WHEN d.path IS NULL THEN 0 ELSE 1 END, d.path, m.month",
        );
        macro_rules! run {
            ($p:expr) => {{
                let rows = bind_args!(sqlx::query(AssertSqlSafe(q.text.clone())), &q.args)
                    .fetch_all($p)
                    .await?;
                decode_all(&rows, UnitColumns::of, |r, c| decode_unit(r, c))?
            }};
        }
        Ok(match &self.pool {
            Pool::Sqlite(p) => run!(p),
            Pool::Pg(p) => run!(p),
        })
    }
}

/// The WHERE conditions of a metric read: months, department subtree, employee, scope.
fn filtered(head: String, f: &MetricFilter, employee_rows: bool, order: &str) -> Sql {
    let mut q = Sql::new(&head);
    if let Some(m) = f.from {
        let ph = q.arg(Arg::Int(Some(m.to_key() as i64)));
        q.push(&format!(" AND m.month >= {ph}"));
    }
    if let Some(m) = f.to {
        let ph = q.arg(Arg::Int(Some(m.to_key() as i64)));
        q.push(&format!(" AND m.month <= {ph}"));
    }
    if let Some(d) = &f.department {
        q.scope(&Scope::Departments(vec![d.clone()]));
    }
    if employee_rows && let Some(no) = &f.employee_no {
        let ph = q.arg(Arg::Text(Some(no.clone())));
        q.push(&format!(" AND e.employee_no = {ph}"));
    }
    match (&f.scope, employee_rows) {
        (Scope::All, _) => {}
        (s, true) => {
            q.scope(s);
        }
        // Roll-ups of whole departments only: a team scope sees no department rows.
        (Scope::Employees(_), false) => {
            q.push(" AND 1 = 0");
        }
        (s, false) => {
            q.scope(s);
        }
    }
    q.push(order);
    if let Some((limit, offset)) = f.page {
        let l = q.arg(Arg::Int(Some(limit)));
        let o = q.arg(Arg::Int(Some(offset)));
        q.push(&format!(" LIMIT {l} OFFSET {o}"));
    }
    q
}

/// Declares a struct holding the position of each named column of a query's result, found by
/// name once per query (from its first row). The decoders read cells at these positions: they
/// follow the column names, not the order of the SELECT list, and skip the hash lookup a by-name
/// read does for every cell (on the 240,000-row analysis read, decoding by name per cell took
/// about 30 % longer than by position; by positions found once it takes the same).
macro_rules! column_positions {
    ($(#[$meta:meta])* struct $name:ident { $($col:ident),* $(,)? }) => {
        $(#[$meta])*
        struct $name {
            $($col: usize,)*
        }

        impl $name {
            /// Finds every column by name; a missing one is [`sqlx::Error::ColumnNotFound`].
            fn of<R>(row: &R) -> Result<Self, sqlx::Error>
            where
                R: sqlx::Row,
                &'static str: sqlx::ColumnIndex<R>,
            {
                use sqlx::Column as _;
                Ok(Self {
                    $($col: row.try_column(stringify!($col))?.ordinal(),)*
                })
            }
        }
    };
}

/// Decodes every row of a result with `decode`, the column positions found from the first row.
fn decode_all<R, C, T>(
    rows: &[R],
    positions: impl Fn(&R) -> Result<C, sqlx::Error>,
    decode: impl Fn(&R, &C) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let c = positions(first)?;
    rows.iter().map(|r| decode(r, &c)).collect()
}

column_positions! {
    /// The columns [`Store::employee_metrics`] reads: who, then every stored metric column.
    struct EmployeeColumns {
        employee_no,
        name,
        department,
        employee_id,
        month,
        days_employed,
        fte,
        contribution_fen,
        orders_won,
        per_capita_contribution,
        avg_deal_size,
        target_fen,
        quota_attainment,
        pipeline_fen,
        leads_received,
        leads_converted,
        lead_conversion_rate,
        deals_lost,
        win_rate,
        followups,
        followups_per_week,
        first_response_hours,
        leads_contacted_24h,
        contacted_within_24h_rate,
        tenure_months,
        trainings_assigned_to_date,
        trainings_done_to_date,
        training_completion_rate,
        trainings_completed,
        appraisal_score,
        cadence_days,
        cadence_days_on_time,
        cadence_compliance,
        presale_cadence_days,
        presale_cadence_days_on_time,
        presale_cadence_compliance,
    }
}

fn decode_employee<'r, R>(r: &'r R, c: &EmployeeColumns) -> Result<EmployeeMetricRow, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let metrics = EmployeeMonthMetrics {
        employee_id: r.try_get(c.employee_id)?,
        month: r.try_get::<i64, _>(c.month)? as i32,
        days_employed: r.try_get(c.days_employed)?,
        fte: r.try_get(c.fte)?,
        contribution_fen: r.try_get(c.contribution_fen)?,
        orders_won: r.try_get(c.orders_won)?,
        per_capita_contribution: r.try_get(c.per_capita_contribution)?,
        avg_deal_size: r.try_get(c.avg_deal_size)?,
        target_fen: r.try_get(c.target_fen)?,
        quota_attainment: r.try_get(c.quota_attainment)?,
        pipeline_fen: r.try_get(c.pipeline_fen)?,
        leads_received: r.try_get(c.leads_received)?,
        leads_converted: r.try_get(c.leads_converted)?,
        lead_conversion_rate: r.try_get(c.lead_conversion_rate)?,
        deals_lost: r.try_get(c.deals_lost)?,
        win_rate: r.try_get(c.win_rate)?,
        followups: r.try_get(c.followups)?,
        followups_per_week: r.try_get(c.followups_per_week)?,
        first_response_hours: r.try_get(c.first_response_hours)?,
        leads_contacted_24h: r.try_get(c.leads_contacted_24h)?,
        contacted_within_24h_rate: r.try_get(c.contacted_within_24h_rate)?,
        tenure_months: r.try_get(c.tenure_months)?,
        trainings_assigned_to_date: r.try_get(c.trainings_assigned_to_date)?,
        trainings_done_to_date: r.try_get(c.trainings_done_to_date)?,
        training_completion_rate: r.try_get(c.training_completion_rate)?,
        trainings_completed: r.try_get(c.trainings_completed)?,
        appraisal_score: r.try_get(c.appraisal_score)?,
        cadence_days: r.try_get(c.cadence_days)?,
        cadence_days_on_time: r.try_get(c.cadence_days_on_time)?,
        cadence_compliance: r.try_get(c.cadence_compliance)?,
        presale_cadence_days: r.try_get(c.presale_cadence_days)?,
        presale_cadence_days_on_time: r.try_get(c.presale_cadence_days_on_time)?,
        presale_cadence_compliance: r.try_get(c.presale_cadence_compliance)?,
    };
    Ok(EmployeeMetricRow {
        employee_no: r.try_get(c.employee_no)?,
        name: r.try_get(c.name)?,
        department: r.try_get(c.department)?,
        metrics,
    })
}

/// The metric columns [`Store::employee_metrics_for_analysis`] selects (see [`AnalysisColumns`]).
const ANALYSIS_COLS: [&str; 18] = [
    "employee_id",
    "month",
    "fte",
    "tenure_months",
    "contribution_fen",
    "per_capita_contribution",
    "quota_attainment",
    "pipeline_fen",
    "leads_received",
    "lead_conversion_rate",
    "win_rate",
    "followups_per_week",
    "first_response_hours",
    "contacted_within_24h_rate",
    "trainings_done_to_date",
    "training_completion_rate",
    "appraisal_score",
    "presale_cadence_compliance",
];

column_positions! {
    /// The columns [`Store::employee_metrics_for_analysis`] reads: who, and [`ANALYSIS_COLS`].
    struct AnalysisColumns {
        employee_no,
        department,
        employee_id,
        month,
        fte,
        tenure_months,
        contribution_fen,
        per_capita_contribution,
        quota_attainment,
        pipeline_fen,
        leads_received,
        lead_conversion_rate,
        win_rate,
        followups_per_week,
        first_response_hours,
        contacted_within_24h_rate,
        trainings_done_to_date,
        training_completion_rate,
        appraisal_score,
        presale_cadence_compliance,
    }
}

fn decode_analysis<'r, R>(r: &'r R, c: &AnalysisColumns) -> Result<EmployeeMetricRow, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let metrics = EmployeeMonthMetrics {
        employee_id: r.try_get(c.employee_id)?,
        month: r.try_get::<i64, _>(c.month)? as i32,
        fte: r.try_get(c.fte)?,
        tenure_months: r.try_get(c.tenure_months)?,
        contribution_fen: r.try_get(c.contribution_fen)?,
        per_capita_contribution: r.try_get(c.per_capita_contribution)?,
        quota_attainment: r.try_get(c.quota_attainment)?,
        pipeline_fen: r.try_get(c.pipeline_fen)?,
        leads_received: r.try_get(c.leads_received)?,
        lead_conversion_rate: r.try_get(c.lead_conversion_rate)?,
        win_rate: r.try_get(c.win_rate)?,
        followups_per_week: r.try_get(c.followups_per_week)?,
        first_response_hours: r.try_get(c.first_response_hours)?,
        contacted_within_24h_rate: r.try_get(c.contacted_within_24h_rate)?,
        trainings_done_to_date: r.try_get(c.trainings_done_to_date)?,
        training_completion_rate: r.try_get(c.training_completion_rate)?,
        appraisal_score: r.try_get(c.appraisal_score)?,
        presale_cadence_compliance: r.try_get(c.presale_cadence_compliance)?,
        ..Default::default()
    };
    Ok(EmployeeMetricRow {
        employee_no: r.try_get(c.employee_no)?,
        name: String::new(),
        department: r.try_get(c.department)?,
        metrics,
    })
}

column_positions! {
    /// The columns [`Store::unit_metrics`] reads: the department's path, then every stored column.
    struct UnitColumns {
        department,
        department_id,
        month,
        headcount_avg,
        members,
        contribution_fen,
        orders_won,
        per_capita_contribution,
        avg_deal_size,
        target_fen,
        quota_attainment,
        pipeline_fen,
        leads_received,
        lead_conversion_rate,
        win_rate,
        followups,
        followups_per_week,
        first_response_hours,
        contacted_within_24h_rate,
        tenure_months,
        training_completion_rate,
        trainings_completed,
        appraisal_score,
        cadence_compliance,
        presale_cadence_compliance,
    }
}

fn decode_unit<'r, R>(r: &'r R, c: &UnitColumns) -> Result<UnitMetricRow, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let dept_id: i64 = r.try_get(c.department_id)?;
    let metrics = UnitMonthMetrics {
        department_id: (dept_id != 0).then_some(dept_id),
        month: r.try_get::<i64, _>(c.month)? as i32,
        headcount_avg: r.try_get(c.headcount_avg)?,
        members: r.try_get(c.members)?,
        contribution_fen: r.try_get(c.contribution_fen)?,
        orders_won: r.try_get(c.orders_won)?,
        per_capita_contribution: r.try_get(c.per_capita_contribution)?,
        avg_deal_size: r.try_get(c.avg_deal_size)?,
        target_fen: r.try_get(c.target_fen)?,
        quota_attainment: r.try_get(c.quota_attainment)?,
        pipeline_fen: r.try_get(c.pipeline_fen)?,
        leads_received: r.try_get(c.leads_received)?,
        lead_conversion_rate: r.try_get(c.lead_conversion_rate)?,
        win_rate: r.try_get(c.win_rate)?,
        followups: r.try_get(c.followups)?,
        followups_per_week: r.try_get(c.followups_per_week)?,
        first_response_hours: r.try_get(c.first_response_hours)?,
        contacted_within_24h_rate: r.try_get(c.contacted_within_24h_rate)?,
        tenure_months: r.try_get(c.tenure_months)?,
        training_completion_rate: r.try_get(c.training_completion_rate)?,
        trainings_completed: r.try_get(c.trainings_completed)?,
        appraisal_score: r.try_get(c.appraisal_score)?,
        cadence_compliance: r.try_get(c.cadence_compliance)?,
        presale_cadence_compliance: r.try_get(c.presale_cadence_compliance)?,
    };
    Ok(UnitMetricRow {
        department: r.try_get(c.department)?,
        metrics,
    })
}
