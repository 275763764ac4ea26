//! What the forecast reads: everyone on the roster, and the deals that can inform next month.

use sqlx::FromRow;

use crate::StoreError;
use crate::conn::{Store, on_pool};

/// A person on the roster with what the forecast needs.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ForecastPerson {
    pub id: i64,
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub hire_date: String,
    pub leave_date: Option<String>,
}

/// One opportunity of an employee: months are `yyyymm` keys, money in fen.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ForecastDeal {
    pub employee_id: i64,
    pub created_month: Option<i64>,
    pub close_month: i64,
    /// 0 open, 1 won, 2 lost (a number: a million strings cost more than the query).
    pub state: i16,
    pub amount_fen: Option<i64>,
}

impl Store {
    /// Everyone on the roster, by employee number.
    pub async fn forecast_people(&self) -> Result<Vec<ForecastPerson>, StoreError> {
        let sql = "SELECT e.id, e.employee_no, e.name, d.path AS department, e.hire_date, e.leave_date \
            FROM employees e LEFT JOIN departments d ON d.id = e.department_id ORDER BY e.employee_no";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Deals owned by employees that are open or closed in `since` (a month key) or later: older
    /// ones cannot inform a forecast that looks two years back.
    pub async fn forecast_deals(&self, since: i32) -> Result<Vec<ForecastDeal>, StoreError> {
        let sql = "SELECT u.employee_id, o.created_month, o.close_month, \
            CAST(CASE o.state WHEN 'won' THEN 1 WHEN 'lost' THEN 2 ELSE 0 END AS SMALLINT) AS state, o.amount_fen \
            FROM opportunities o JOIN crm_users u ON u.source_id = o.owner_id \
            WHERE u.employee_id IS NOT NULL AND (o.state = 'open' OR o.close_month >= $1)";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(since as i64)
            .fetch_all(p)
            .await?))
    }

    /// Monthly targets of the months `from..=to` (keys): (employee id, month, fen), oldest first.
    pub async fn targets_between(&self, from: i32, to: i32) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        let sql = "SELECT employee_id, month, amount_fen FROM targets WHERE month >= $1 AND month <= $2 \
            ORDER BY employee_id, month";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(from as i64)
            .bind(to as i64)
            .fetch_all(p)
            .await?))
    }
}

/// A saved intervention (see migration 0003).
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct InterventionRow {
    pub id: i64,
    pub name: String,
    /// Department paths or employee numbers, comma-separated, as the user wrote them.
    pub treated: String,
    pub control: Option<String>,
    /// ISO date of the first treated day.
    pub start_date: String,
    pub metric: String,
    pub created_by: String,
    pub updated_ts: i64,
}

impl Store {
    /// Saves an intervention by name: a new one, or the same name with new settings (re-running is
    /// idempotent).
    pub async fn save_intervention(&self, r: &InterventionRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO interventions (name, treated, control, start_date, metric, created_by, updated_ts) \
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO UPDATE SET treated = excluded.treated, \
            control = excluded.control, start_date = excluded.start_date, metric = excluded.metric, \
            created_by = excluded.created_by, updated_ts = excluded.updated_ts";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(&r.name)
                .bind(&r.treated)
                .bind(&r.control)
                .bind(&r.start_date)
                .bind(&r.metric)
                .bind(&r.created_by)
                .bind(r.updated_ts)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn interventions(&self) -> Result<Vec<InterventionRow>, StoreError> {
        let sql = "SELECT id, name, treated, control, start_date, metric, created_by, updated_ts FROM interventions \
            ORDER BY start_date DESC, name";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    pub async fn intervention(&self, name: &str) -> Result<Option<InterventionRow>, StoreError> {
        let sql = "SELECT id, name, treated, control, start_date, metric, created_by, updated_ts FROM interventions \
            WHERE name = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(name)
            .fetch_optional(p)
            .await?))
    }

    pub async fn delete_intervention(&self, name: &str) -> Result<bool, StoreError> {
        let n = on_pool!(self, |p| sqlx::query("DELETE FROM interventions WHERE name = $1")
            .bind(name)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n > 0)
    }
}
