//! Disputes of statement lines: raised by a rep, answered by payroll.

use sqlx::{AssertSqlSafe, FromRow};
use uplift_domain::access::Scope;

use crate::StoreError;
use crate::browse::{Arg, Sql, bind_args};
use crate::conn::{Store, on_pool};

/// A dispute of one statement line.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct DisputeRow {
    pub id: i64,
    pub period: String,
    pub employee_no: String,
    pub seq: i64,
    pub opportunity_id: Option<String>,
    pub reason: String,
    /// `open` | `resolved` | `rejected`.
    pub state: String,
    pub raised_by: String,
    pub raised_ts: i64,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_ts: Option<i64>,
}

impl Store {
    /// Records an open dispute (`id`, `state`, the answer fields are ignored); returns its id.
    pub async fn raise_dispute(&self, d: &DisputeRow) -> Result<i64, StoreError> {
        let sql = "INSERT INTO commission_disputes (period, employee_no, seq, opportunity_id, reason, state, raised_by, raised_ts) \
            VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(&d.period)
            .bind(&d.employee_no)
            .bind(d.seq)
            .bind(&d.opportunity_id)
            .bind(&d.reason)
            .bind(&d.raised_by)
            .bind(d.raised_ts)
            .fetch_one(p)
            .await?))
    }

    /// Answers an open dispute; `false` when it is not open (answered already, or no such id).
    pub async fn answer_dispute(
        &self,
        id: i64,
        state: &str,
        answer: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE commission_disputes SET state = $2, answer = $3, answered_by = $4, answered_ts = $5 \
            WHERE id = $1 AND state = 'open'";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(id)
            .bind(state)
            .bind(answer)
            .bind(by)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Disputes of the people in `scope` (a period's, or every period's), newest first.
    pub async fn disputes(&self, period: Option<&str>, scope: &Scope) -> Result<Vec<DisputeRow>, StoreError> {
        let mut q = Sql::new(
            "SELECT x.id, x.period, x.employee_no, x.seq, x.opportunity_id, x.reason, x.state, x.raised_by, x.raised_ts, \
               x.answer, x.answered_by, x.answered_ts FROM commission_disputes x \
             LEFT JOIN employees e ON e.employee_no = x.employee_no LEFT JOIN departments d ON d.id = e.department_id \
             WHERE 1 = 1",
        );
        if let Some(period) = period {
            let ph = q.arg(Arg::Text(Some(period.to_string())));
            q.push(&format!(" AND x.period = {ph}"));
        }
        q.scope(scope);
        q.push(" ORDER BY x.id DESC LIMIT 500");
        Ok(on_pool!(self, |p| bind_args!(
            sqlx::query_as::<_, DisputeRow>(AssertSqlSafe(q.text.clone())),
            &q.args
        )
        .fetch_all(p)
        .await?))
    }

    /// One dispute by id (the caller checks the scope).
    pub async fn dispute(&self, id: i64) -> Result<Option<DisputeRow>, StoreError> {
        let sql = "SELECT id, period, employee_no, seq, opportunity_id, reason, state, raised_by, raised_ts, answer, \
            answered_by, answered_ts FROM commission_disputes WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await?))
    }
}
