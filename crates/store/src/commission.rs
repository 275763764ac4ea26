//! Commission plans, the inputs of a period's run (won deals with their owner's employee number,
//! targets, the roster's departments and managers), and the statements a run writes.

use sqlx::{AssertSqlSafe, FromRow};

use crate::StoreError;
use crate::browse::{Arg, Sql, bind_args};
use crate::conn::{BeginWrite, Pool, Store, on_pool};
use crate::import::{Tx, bulk_insert, on_tx_impl};
use crate::value::{ColType, Value};
use uplift_domain::access::Scope;

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

/// A person of the roster as plans see them.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionPerson {
    pub employee_no: String,
    pub department: Option<String>,
    pub manager_no: Option<String>,
}

/// A won deal of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct WonDealRow {
    pub opportunity_id: String,
    /// `YYYY-MM-DD`.
    pub close_date: String,
    pub amount_fen: i64,
    /// `None`: the owner is linked to no employee.
    pub owner_no: Option<String>,
    pub opportunity_type: Option<String>,
    pub lead_source: Option<String>,
    pub name: Option<String>,
    pub stage_name: String,
}

/// A won deal as read, its owner possibly linked to no one.
#[derive(FromRow)]
struct DealRead {
    opportunity_id: String,
    close_date: String,
    amount_fen: i64,
    owner_id: Option<i64>,
    opportunity_type: Option<String>,
    lead_source: Option<String>,
    name: Option<String>,
    stage_name: String,
}

#[derive(FromRow)]
struct PersonRead {
    id: i64,
    employee_no: String,
    department: Option<String>,
    manager_no: Option<String>,
}

/// What a period's run reads.
#[derive(Debug, Clone, Default)]
pub struct CommissionInputs {
    pub people: Vec<CommissionPerson>,
    pub deals: Vec<WonDealRow>,
    /// The split shares of those deals.
    pub splits: Vec<SplitShare>,
    /// Σ of the monthly targets over the period, per employee number.
    pub targets: Vec<(String, i64)>,
}

/// One share of a won deal (Salesforce OpportunitySplit).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitShare {
    pub opportunity_id: String,
    /// `None`: the split owner is linked to no employee.
    pub owner_no: Option<String>,
    /// Percent, exact decimal text (`33.33`).
    pub percentage: String,
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

    /// The roster, the period's won deals by owner and the period's targets. Months are keys
    /// (`Month::to_key`), days `YYYY-MM-DD`; both bounds inclusive. Of the opportunity fields a
    /// plan may pick its rate by (`Type`, `LeadSource`, `Name`, `StageName`), only those in
    /// `rate_fields` are read; the others come back empty.
    pub async fn commission_inputs(
        &self,
        first_month: i64,
        last_month: i64,
        first_day: &str,
        last_day: &str,
        rate_fields: &[&str],
    ) -> Result<CommissionInputs, StoreError> {
        // People who left before the period began have no statement.
        let people = "SELECT e.id AS id, e.employee_no AS employee_no, d.path AS department, e.manager_no AS manager_no \
            FROM employees e LEFT JOIN departments d ON d.id = e.department_id \
            WHERE e.leave_date IS NULL OR e.leave_date >= $1";
        let col = |field: &str, column: &str, null: &str| {
            if rate_fields.contains(&field) {
                format!("o.{column} AS {column}")
            } else {
                format!("{null} AS {column}")
            }
        };
        // One pass over the period's won deals: close_month narrows by index, close_date keeps the
        // exact days; deals whose owner is linked to no employee come back with no owner. The
        // owner's employee number is looked up here from the roster, not joined per deal.
        let deals = format!(
            "SELECT o.source_id AS opportunity_id, o.close_date AS close_date, o.amount_fen AS amount_fen, \
               u.employee_id AS owner_id, {}, {}, {}, {} \
             FROM opportunities o LEFT JOIN crm_users u ON u.source_id = o.owner_id \
             WHERE o.state = 'won' AND o.amount_fen IS NOT NULL AND o.close_month BETWEEN $1 AND $2 \
               AND o.close_date BETWEEN $3 AND $4",
            col("Type", "opportunity_type", "NULL"),
            col("LeadSource", "lead_source", "NULL"),
            col("Name", "name", "NULL"),
            col("StageName", "stage_name", "''"),
        );
        let splits = "SELECT s.opportunity_id, u.employee_id, s.percentage FROM opportunity_splits s \
            JOIN opportunities o ON o.source_id = s.opportunity_id LEFT JOIN crm_users u ON u.source_id = s.owner_id \
            WHERE o.state = 'won' AND o.amount_fen IS NOT NULL AND o.close_month BETWEEN $1 AND $2 \
              AND o.close_date BETWEEN $3 AND $4";
        let targets = "SELECT e.employee_no, CAST(SUM(t.amount_fen) AS BIGINT) FROM targets t JOIN employees e ON e.id = t.employee_id \
            WHERE t.month BETWEEN $1 AND $2 GROUP BY e.employee_no";
        let (people, deals, splits, targets) = on_pool!(self, |p| {
            tokio::try_join!(
                sqlx::query_as::<_, PersonRead>(people).bind(first_day).fetch_all(p),
                sqlx::query_as::<_, DealRead>(AssertSqlSafe(deals))
                    .bind(first_month)
                    .bind(last_month)
                    .bind(first_day)
                    .bind(last_day)
                    .fetch_all(p),
                sqlx::query_as::<_, (String, Option<i64>, String)>(splits)
                    .bind(first_month)
                    .bind(last_month)
                    .bind(first_day)
                    .bind(last_day)
                    .fetch_all(p),
                sqlx::query_as::<_, (String, i64)>(targets)
                    .bind(first_month)
                    .bind(last_month)
                    .fetch_all(p),
            )?
        });
        let number_of: std::collections::HashMap<i64, &str> =
            people.iter().map(|p| (p.id, p.employee_no.as_str())).collect();
        let number = |id: Option<i64>| id.and_then(|id| number_of.get(&id)).map(|n| n.to_string());
        let splits = splits
            .into_iter()
            .map(|(opportunity_id, owner, percentage)| SplitShare {
                opportunity_id,
                owner_no: number(owner),
                percentage,
            })
            .collect();
        let deals = deals
            .into_iter()
            .map(|d| WonDealRow {
                owner_no: number(d.owner_id),
                opportunity_id: d.opportunity_id,
                close_date: d.close_date,
                amount_fen: d.amount_fen,
                opportunity_type: d.opportunity_type,
                lead_source: d.lead_source,
                name: d.name,
                stage_name: d.stage_name,
            })
            .collect();
        let people = people
            .into_iter()
            .map(|p| CommissionPerson {
                employee_no: p.employee_no,
                department: p.department,
                manager_no: p.manager_no,
            })
            .collect();
        Ok(CommissionInputs {
            people,
            deals,
            splits,
            targets,
        })
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
        if status.as_deref() == Some("locked") {
            return Ok(Err(PeriodState::Locked));
        }
        on_tx_impl!(&mut tx, |c| {
            sqlx::query("DELETE FROM commission_lines WHERE period = $1")
                .bind(period)
                .execute(&mut *c)
                .await?;
            sqlx::query("DELETE FROM commission_statements WHERE period = $1")
                .bind(period)
                .execute(&mut *c)
                .await?;
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
        let mut values = Vec::with_capacity(lines.len() * 11);
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
               s.attainment, s.commission_fen, s.adjustments_fen, s.payable_fen \
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
               l.pay_fen, l.rate_value, l.parts \
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
