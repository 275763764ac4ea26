//! Commission plans, the inputs of a period's run (won deals with their owner's employee number,
//! targets, the roster's departments and managers), and the statements a run writes.

use sqlx::{AssertSqlSafe, FromRow};

use crate::StoreError;
use crate::browse::{Arg, Sql, bind_args};
use crate::conn::{BeginWrite, Pool, Store, on_pool};
use crate::import::{Tx, bulk_insert, on_tx_impl};
use crate::value::{ColType, Value};
use uplift_domain::access::Scope;

mod disputes;
mod inputs;
pub use disputes::DisputeRow;
pub use inputs::{CommissionInputs, CommissionPerson, CreditQuery, SplitShare, WonDealRow};

/// One imported version of a plan, as written.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct CommissionPlanRow {
    pub plan_id: String,
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    pub name: String,
    /// The TOML text.
    pub source: String,
    pub imported_ts: i64,
    pub imported_by: String,
}

#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct CommissionPeriodRow {
    pub period: String,
    /// `draft` | `locked`.
    pub status: String,
    pub run_ts: i64,
    pub run_by: String,
    pub locked_ts: Option<i64>,
    pub locked_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct StatementRow {
    pub period: String,
    pub employee_no: String,
    pub plan_id: String,
    pub plan_effective_from: String,
    pub credited_fen: i64,
    pub target_fen: Option<i64>,
    /// Exact decimal as text, e.g. `1.2`.
    pub attainment: Option<String>,
    pub commission_fen: i64,
    pub adjustments_fen: i64,
    pub payable_fen: i64,
    /// The person's name from the roster, on reads that join it (not written).
    #[sqlx(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct StatementLineRow {
    pub period: String,
    pub employee_no: String,
    pub seq: i64,
    /// `deal` | `payment` | `override` | `adjustment`.
    pub kind: String,
    pub opportunity_id: Option<String>,
    pub credited_fen: i64,
    pub rate: String,
    pub multiplier: String,
    pub pay_fen: i64,
    pub rate_value: Option<String>,
    /// The band parts, as `uplift_commission::BandPart::encode` writes them.
    pub parts: String,
    /// An adjustment: the locked period it corrects (`2026-08`) …
    pub adjusts_period: Option<String>,
    /// … and the deals whose credit changed there (`O3, O9`).
    pub detail: Option<String>,
    /// The close (payment) date the line was credited with, `YYYY-MM-DD`.
    pub close_date: Option<String>,
}

/// Why a draft could not be written or a period locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodState {
    Locked,
    NotRun,
}

impl Store {
    /// Saves a plan version (same id and effective date: replaced). Returns whether it replaced one.
    pub async fn save_commission_plan(&self, r: &CommissionPlanRow) -> Result<bool, StoreError> {
        let sql = "INSERT INTO commission_plans (plan_id, effective_from, name, source, imported_ts, imported_by) \
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan_id, effective_from) DO UPDATE SET \
            name = excluded.name, source = excluded.source, imported_ts = excluded.imported_ts, \
            imported_by = excluded.imported_by";
        let existed = "SELECT COUNT(*) FROM commission_plans WHERE plan_id = $1 AND effective_from = $2";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let n: i64 = sqlx::query_scalar(existed)
                .bind(&r.plan_id)
                .bind(&r.effective_from)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(sql)
                .bind(&r.plan_id)
                .bind(&r.effective_from)
                .bind(&r.name)
                .bind(&r.source)
                .bind(r.imported_ts)
                .bind(&r.imported_by)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            n > 0
        }))
    }

    /// Every version of every plan, by id and effective date.
    pub async fn commission_plans(&self) -> Result<Vec<CommissionPlanRow>, StoreError> {
        let sql = "SELECT plan_id, effective_from, name, source, imported_ts, imported_by FROM commission_plans \
            ORDER BY plan_id, effective_from";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    pub async fn commission_period(&self, period: &str) -> Result<Option<CommissionPeriodRow>, StoreError> {
        let sql =
            "SELECT period, status, run_ts, run_by, locked_ts, locked_by FROM commission_periods WHERE period = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(period)
            .fetch_optional(p)
            .await?))
    }

    pub async fn commission_periods(&self) -> Result<Vec<CommissionPeriodRow>, StoreError> {
        let sql =
            "SELECT period, status, run_ts, run_by, locked_ts, locked_by FROM commission_periods ORDER BY period DESC";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Replaces a period's draft with these statements and lines, in one transaction.
    /// `Err(PeriodState::Locked)` (nothing written) when the period is locked.
    pub async fn replace_commission_draft(
        &self,
        period: &str,
        actor: &str,
        now: i64,
        statements: &[StatementRow],
        lines: &[StatementLineRow],
    ) -> Result<Result<(), PeriodState>, StoreError> {
        self.write_draft(period, Some((actor, now)), None, statements, lines)
            .await
    }

    /// Replaces the statements and lines of `people` in an existing draft (the at-once update),
    /// leaving everyone else's as the last run wrote them. `Err(Locked)` when the period is
    /// locked, `Err(NotRun)` when it has no draft; nothing is written then.
    pub async fn replace_commission_people(
        &self,
        period: &str,
        people: &[String],
        statements: &[StatementRow],
        lines: &[StatementLineRow],
    ) -> Result<Result<(), PeriodState>, StoreError> {
        self.write_draft(period, None, Some(people), statements, lines).await
    }

    /// The draft write: the period's row checked (and, for a whole run, stamped), the old
    /// statements of everyone (or of `people`) deleted, the new ones inserted; one transaction.
    async fn write_draft(
        &self,
        period: &str,
        run: Option<(&str, i64)>,
        people: Option<&[String]>,
        statements: &[StatementRow],
        lines: &[StatementLineRow],
    ) -> Result<Result<(), PeriodState>, StoreError> {
        let mut tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_write().await?),
            Pool::Pg(p) => Tx::Pg(p.begin_write().await?),
        };
        // PostgreSQL: the period's row stays locked until commit, so a lock cannot slip in between
        // this check and the rewrite (SQLite's BEGIN IMMEDIATE already serialises writers).
        let check = match tx {
            Tx::Pg(_) => "SELECT status FROM commission_periods WHERE period = $1 FOR UPDATE",
            Tx::Sqlite(_) => "SELECT status FROM commission_periods WHERE period = $1",
        };
        let status: Option<String> = on_tx_impl!(&mut tx, |c| {
            sqlx::query_scalar(check).bind(period).fetch_optional(&mut *c).await?
        });
        match status.as_deref() {
            Some("locked") => return Ok(Err(PeriodState::Locked)),
            None if run.is_none() => return Ok(Err(PeriodState::NotRun)),
            _ => {}
        }
        for table in ["commission_lines", "commission_statements"] {
            let mut q = Sql::new(&format!("DELETE FROM {table} WHERE period = "));
            let ph = q.arg(Arg::Text(Some(period.to_string())));
            q.push(&ph);
            if let Some(nos) = people {
                if nos.is_empty() {
                    q.push(" AND 1 = 0");
                } else {
                    let ph: Vec<String> = nos.iter().map(|n| q.arg(Arg::Text(Some(n.clone())))).collect();
                    q.push(&format!(" AND employee_no IN ({})", ph.join(", ")));
                }
            }
            on_tx_impl!(&mut tx, |c| {
                bind_args!(sqlx::query(AssertSqlSafe(q.text.clone())), &q.args)
                    .execute(&mut *c)
                    .await?;
            });
        }
        if let Some((actor, now)) = run {
            on_tx_impl!(&mut tx, |c| {
                sqlx::query(
                    "INSERT INTO commission_periods (period, status, run_ts, run_by) VALUES ($1, 'draft', $2, $3) \
                     ON CONFLICT (period) DO UPDATE SET run_ts = excluded.run_ts, run_by = excluded.run_by",
                )
                .bind(period)
                .bind(now)
                .bind(actor)
                .execute(&mut *c)
                .await?;
            });
        }
        use ColType::{Int as I, Text as T};
        let mut values = Vec::with_capacity(statements.len() * 10);
        for s in statements {
            values.extend([
                Value::from(s.period.as_str()),
                s.employee_no.as_str().into(),
                s.plan_id.as_str().into(),
                s.plan_effective_from.as_str().into(),
                s.credited_fen.into(),
                s.target_fen.into(),
                s.attainment.clone().into(),
                s.commission_fen.into(),
                s.adjustments_fen.into(),
                s.payable_fen.into(),
            ]);
        }
        let cols = [
            ("period", T),
            ("employee_no", T),
            ("plan_id", T),
            ("plan_effective_from", T),
            ("credited_fen", I),
            ("target_fen", I),
            ("attainment", T),
            ("commission_fen", I),
            ("adjustments_fen", I),
            ("payable_fen", I),
        ];
        bulk_insert(&mut tx, "commission_statements", &cols, values).await?;
        let mut values = Vec::with_capacity(lines.len() * 14);
        for l in lines {
            values.extend([
                Value::from(l.period.as_str()),
                l.employee_no.as_str().into(),
                l.seq.into(),
                l.kind.as_str().into(),
                l.opportunity_id.clone().into(),
                l.credited_fen.into(),
                l.rate.as_str().into(),
                l.multiplier.as_str().into(),
                l.pay_fen.into(),
                l.rate_value.clone().into(),
                l.parts.as_str().into(),
                l.adjusts_period.clone().into(),
                l.detail.clone().into(),
                l.close_date.clone().into(),
            ]);
        }
        let cols = [
            ("period", T),
            ("employee_no", T),
            ("seq", I),
            ("kind", T),
            ("opportunity_id", T),
            ("credited_fen", I),
            ("rate", T),
            ("multiplier", T),
            ("pay_fen", I),
            ("rate_value", T),
            ("parts", T),
            ("adjusts_period", T),
            ("detail", T),
            ("close_date", T),
        ];
        bulk_insert(&mut tx, "commission_lines", &cols, values).await?;
        match tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(Ok(()))
    }

    /// Locks a period's draft. `Err(NotRun)` when it has no draft, `Err(Locked)` when already locked.
    pub async fn lock_commission_period(
        &self,
        period: &str,
        actor: &str,
        now: i64,
    ) -> Result<Result<(), PeriodState>, StoreError> {
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM commission_periods WHERE period = $1")
                .bind(period)
                .fetch_optional(&mut *tx)
                .await?;
            match status.as_deref() {
                None => Err(PeriodState::NotRun),
                Some("locked") => Err(PeriodState::Locked),
                Some(_) => {
                    sqlx::query(
                        "UPDATE commission_periods SET status = 'locked', locked_ts = $2, locked_by = $3 \
                         WHERE period = $1 AND status = 'draft'",
                    )
                    .bind(period)
                    .bind(now)
                    .bind(actor)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }
            }
        }))
    }

    /// A period's statements of the people in `scope` (and, `employee_no` given, that person only),
    /// by employee number.
    pub async fn commission_statements(
        &self,
        period: &str,
        scope: &Scope,
        employee_no: Option<&str>,
    ) -> Result<Vec<StatementRow>, StoreError> {
        let mut q = Sql::new(
            "SELECT s.period, s.employee_no, s.plan_id, s.plan_effective_from, s.credited_fen, s.target_fen, \
               s.attainment, s.commission_fen, s.adjustments_fen, s.payable_fen, e.name AS name \
             FROM commission_statements s LEFT JOIN employees e ON e.employee_no = s.employee_no \
             LEFT JOIN departments d ON d.id = e.department_id WHERE s.period = ",
        );
        let ph = q.arg(Arg::Text(Some(period.to_string())));
        q.push(&ph);
        scoped(&mut q, "s", scope, employee_no);
        q.push(" ORDER BY s.employee_no");
        Ok(on_pool!(self, |p| bind_args!(
            sqlx::query_as::<_, StatementRow>(AssertSqlSafe(q.text.clone())),
            &q.args
        )
        .fetch_all(p)
        .await?))
    }

    /// Σ of the adjustment lines correcting `period` that were carried into locked periods other
    /// than `except` (the period being run), per employee number.
    pub async fn commission_carried(&self, period: &str, except: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT l.employee_no, CAST(SUM(l.pay_fen) AS BIGINT) FROM commission_lines l \
            JOIN commission_periods p ON p.period = l.period AND p.status = 'locked' \
            WHERE l.kind = 'adjustment' AND l.adjusts_period = $1 AND l.period <> $2 GROUP BY l.employee_no";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(period)
            .bind(except)
            .fetch_all(p)
            .await?))
    }

    /// The payable of every statement of these periods that are locked, by period and person.
    pub async fn locked_payables(&self, periods: &[String]) -> Result<Vec<(String, String, i64)>, StoreError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(
            "SELECT s.employee_no, s.period, s.payable_fen FROM commission_statements s \
             JOIN commission_periods p ON p.period = s.period AND p.status = 'locked' WHERE s.period IN (",
        );
        let ph: Vec<String> = periods.iter().map(|p| q.arg(Arg::Text(Some(p.clone())))).collect();
        q.push(&ph.join(", "));
        q.push(") ORDER BY s.employee_no, s.period");
        self.fetch_all_as(&q).await
    }

    /// Where a payable stands in a period: (how many statements pay more, how many there are).
    pub async fn commission_standing(&self, period: &str, payable_fen: i64) -> Result<(i64, i64), StoreError> {
        let sql = "SELECT CAST(COALESCE(SUM(CASE WHEN payable_fen > $2 THEN 1 ELSE 0 END), 0) AS BIGINT), COUNT(*) \
            FROM commission_statements WHERE period = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(period)
            .bind(payable_fen)
            .fetch_one(p)
            .await?))
    }

    /// One person's statements of every period run, newest first (the caller checks the scope).
    pub async fn commission_history(&self, employee_no: &str) -> Result<Vec<StatementRow>, StoreError> {
        let sql = "SELECT period, employee_no, plan_id, plan_effective_from, credited_fen, target_fen, attainment, \
            commission_fen, adjustments_fen, payable_fen FROM commission_statements WHERE employee_no = $1 \
            ORDER BY period DESC";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(employee_no)
            .fetch_all(p)
            .await?))
    }

    /// A period's lines of the people in `scope` (and `employee_no` given, of that person), by
    /// employee number and line.
    pub async fn commission_lines(
        &self,
        period: &str,
        scope: &Scope,
        employee_no: Option<&str>,
    ) -> Result<Vec<StatementLineRow>, StoreError> {
        let mut q = Sql::new(
            "SELECT l.period, l.employee_no, l.seq, l.kind, l.opportunity_id, l.credited_fen, l.rate, l.multiplier, \
               l.pay_fen, l.rate_value, l.parts, l.adjusts_period, l.detail, l.close_date \
             FROM commission_lines l LEFT JOIN employees e ON e.employee_no = l.employee_no \
             LEFT JOIN departments d ON d.id = e.department_id WHERE l.period = ",
        );
        let ph = q.arg(Arg::Text(Some(period.to_string())));
        q.push(&ph);
        scoped(&mut q, "l", scope, employee_no);
        q.push(" ORDER BY l.employee_no, l.seq");
        Ok(on_pool!(self, |p| bind_args!(
            sqlx::query_as::<_, StatementLineRow>(AssertSqlSafe(q.text.clone())),
            &q.args
        )
        .fetch_all(p)
        .await?))
    }
}

/// Limits rows of table alias `t` to the scope (through the roster) and to one person.
fn scoped(q: &mut Sql, t: &str, scope: &Scope, employee_no: Option<&str>) {
    q.scope(scope);
    if let Some(no) = employee_no {
        let ph = q.arg(Arg::Text(Some(no.to_string())));
        q.push(&format!(" AND {t}.employee_no = {ph}"));
    }
}
