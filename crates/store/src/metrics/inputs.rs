//! The month's aggregates the metric table is computed from, grouped in the database.

use chrono_tz::Tz;
use sqlx::{AssertSqlSafe, FromRow};

use crate::StoreError;
use crate::conn::{Store, on_pool};
use uplift_domain::Month;
use uplift_domain::metric_data::*;
use uplift_domain::time::month_end_exclusive;

use super::{date, in_list};

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
}
