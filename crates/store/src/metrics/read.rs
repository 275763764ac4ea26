//! Reading the materialised metric rows: filtered, scoped, paged, decoded by column name.

use futures_util::TryStreamExt;
use sqlx::AssertSqlSafe;

use crate::StoreError;
use crate::browse::{Arg, Sql, bind_args};
use crate::conn::{Pool, Store};
use uplift_domain::access::Scope;
use uplift_domain::metric_data::*;

use super::{EMPLOYEE_COLS, EmployeeMetricRow, MetricFilter, UNIT_COLS, UnitMetricRow};

impl Store {
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
const ANALYSIS_COLS: [&str; 21] = [
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
    // The funnel decomposition's and the deal-size path's.
    "orders_won",
    "deals_lost",
    "avg_deal_size",
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
        orders_won,
        deals_lost,
        avg_deal_size,
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
        orders_won: r.try_get(c.orders_won)?,
        deals_lost: r.try_get(c.deals_lost)?,
        avg_deal_size: r.try_get(c.avg_deal_size)?,
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
