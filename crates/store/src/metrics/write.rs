//! Storing the materialised metric rows (one transaction per recompute batch).

use crate::conn::BeginWrite;
use sqlx::AssertSqlSafe;

use crate::StoreError;
use crate::conn::{Pool, Store, on_pool};
use crate::import::{Tx, bulk_insert, on_tx_impl};
use crate::value::Value;

use super::{EMPLOYEE_COLS, UNIT_COLS, in_list};
use uplift_domain::metric_data::*;

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

impl Store {
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
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_write().await?),
            Pool::Pg(p) => Tx::Pg(p.begin_write().await?),
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
}
