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
    /// The period's payments (when asked for), each as its deal with the payment's date in
    /// `close_date` and its amount in `amount_fen`.
    pub payments: Vec<WonDealRow>,
    /// Every share of the deals paid in the period.
    pub payment_splits: Vec<SplitShare>,
    /// Σ of the monthly targets over the period, per employee number.
    pub targets: Vec<(String, i64)>,
}

/// What a period's run reads: its months (keys, `Month::to_key`) and days (`YYYY-MM-DD`), both
/// inclusive; the opportunity fields plans pick rates by; the people to narrow to; whether
/// payments are read (a plan with `basis = "collected"` exists).
#[derive(Debug, Clone, Copy)]
pub struct CreditQuery<'a> {
    pub first_month: i64,
    pub last_month: i64,
    pub first_day: &'a str,
    pub last_day: &'a str,
    pub rate_fields: &'a [&'a str],
    pub only: Option<&'a [String]>,
    pub payments: bool,
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
    ///
    /// `only` narrows everything to what those people's statements need: them and their direct
    /// reports (the override base), the deals any of them owns or shares in (with every share of
    /// those deals), and their targets. Owners and split owners outside that set come back as
    /// linked to no one.
    pub async fn commission_inputs(&self, q: &CreditQuery<'_>) -> Result<CommissionInputs, StoreError> {
        let CreditQuery {
            first_month,
            last_month,
            first_day,
            last_day,
            rate_fields,
            only,
            payments: with_payments,
        } = *q;
        // ` AND <column> IN (the people concerned)`, or nothing for everyone.
        let concerned = |q: &mut Sql, column: &str, with_reports: bool| {
            let Some(nos) = only else { return };
            if nos.is_empty() {
                q.push(" AND 1 = 0");
                return;
            }
            let ph: Vec<String> = nos.iter().map(|n| q.arg(Arg::Text(Some(n.clone())))).collect();
            let list = ph.join(", ");
            let cond = if with_reports {
                format!(
                    " AND {column} IN (SELECT ce.id FROM employees ce WHERE ce.employee_no IN ({list}) \
                     OR ce.manager_no IN ({list}))"
                )
            } else {
                format!(" AND {column} IN ({list})")
            };
            q.push(&cond);
        };
        // People who left before the period began have no statement.
        let mut people = Sql::new(
            "SELECT e.id AS id, e.employee_no AS employee_no, d.path AS department, e.manager_no AS manager_no \
             FROM employees e LEFT JOIN departments d ON d.id = e.department_id WHERE (e.leave_date IS NULL OR e.leave_date >= ",
        );
        let ph = people.arg(Arg::Text(Some(first_day.to_string())));
        people.push(&format!("{ph})"));
        concerned(&mut people, "e.id", true);
        let col = |field: &str, column: &str, null: &str| {
            if rate_fields.contains(&field) {
                format!("o.{column} AS {column}")
            } else {
                format!("{null} AS {column}")
            }
        };
        // The period's won deals (close_month narrows by index, close_date keeps the exact days),
        // or its payments (by payment month and date).
        let in_period = |q: &mut Sql, paid: bool| {
            let a = q.arg(Arg::Int(Some(first_month)));
            let b = q.arg(Arg::Int(Some(last_month)));
            let c = q.arg(Arg::Text(Some(first_day.to_string())));
            let d = q.arg(Arg::Text(Some(last_day.to_string())));
            q.push(&if paid {
                format!(" WHERE p.payment_month BETWEEN {a} AND {b} AND p.payment_date BETWEEN {c} AND {d}")
            } else {
                format!(
                    " WHERE o.state = 'won' AND o.amount_fen IS NOT NULL AND o.close_month BETWEEN {a} AND {b} \
                     AND o.close_date BETWEEN {c} AND {d}"
                )
            });
        };
        // The period's won deals (everyone), or (narrowed) those the people concerned own, then
        // UNION ALL those shared with them that they do not own: two branches rather than an OR,
        // so that each is searched by its own index (owner and month; split owner).
        let select_won = |q: &mut Sql, head: &str, paid: bool| {
            q.push(head);
            in_period(q, paid);
            let Some(_) = only else { return };
            let owners = |q: &mut Sql| {
                q.push("(SELECT cu.source_id FROM crm_users cu WHERE 1 = 1");
                concerned(q, "cu.employee_id", true);
                q.push(")");
            };
            q.push(" AND o.owner_id IN ");
            owners(q);
            q.push(" UNION ALL ");
            q.push(head);
            in_period(q, paid);
            q.push(
                " AND o.source_id IN (SELECT cs.opportunity_id FROM opportunity_splits cs \
                 JOIN crm_users cu ON cu.source_id = cs.owner_id WHERE 1 = 1",
            );
            concerned(q, "cu.employee_id", true);
            q.push(") AND (o.owner_id IS NULL OR o.owner_id NOT IN ");
            owners(q);
            q.push(")");
        };
        // Deals whose owner is linked to no employee come back with no owner. The owner's employee
        // number is looked up here from the roster, not joined per deal.
        let fields = format!(
            "u.employee_id AS owner_id, {}, {}, {}, {}",
            col("Type", "opportunity_type", "NULL"),
            col("LeadSource", "lead_source", "NULL"),
            col("Name", "name", "NULL"),
            col("StageName", "stage_name", "''"),
        );
        let mut deals = Sql::new("");
        select_won(
            &mut deals,
            &format!(
                "SELECT o.source_id AS opportunity_id, o.close_date AS close_date, o.amount_fen AS amount_fen, {fields} \
                 FROM opportunities o LEFT JOIN crm_users u ON u.source_id = o.owner_id"
            ),
            false,
        );
        let mut splits = Sql::new("");
        select_won(
            &mut splits,
            "SELECT s.opportunity_id, u.employee_id, s.percentage FROM opportunity_splits s \
             JOIN opportunities o ON o.source_id = s.opportunity_id LEFT JOIN crm_users u ON u.source_id = s.owner_id",
            false,
        );
        // Payments, read only when a plan is paid on them: each as its deal with the payment's
        // date and amount; and every share of the deals paid in the period (not narrowed).
        let mut payments = Sql::new("");
        let mut payment_splits = Sql::new("");
        if with_payments {
            select_won(
                &mut payments,
                &format!(
                    "SELECT o.source_id AS opportunity_id, p.payment_date AS close_date, p.amount_fen AS amount_fen, {fields} \
                     FROM payments p JOIN opportunities o ON o.source_id = p.opportunity_id \
                     LEFT JOIN crm_users u ON u.source_id = o.owner_id"
                ),
                true,
            );
            payment_splits.push(
                "SELECT s.opportunity_id, u.employee_id, s.percentage FROM opportunity_splits s \
                 LEFT JOIN crm_users u ON u.source_id = s.owner_id WHERE s.opportunity_id IN (SELECT p.opportunity_id FROM payments p",
            );
            in_period(&mut payment_splits, true);
            payment_splits.push(")");
        }
        let mut targets = Sql::new(
            "SELECT e.employee_no, CAST(SUM(t.amount_fen) AS BIGINT) FROM targets t JOIN employees e ON e.id = t.employee_id \
             WHERE t.month BETWEEN ",
        );
        let a = targets.arg(Arg::Int(Some(first_month)));
        let b = targets.arg(Arg::Int(Some(last_month)));
        targets.push(&format!("{a} AND {b}"));
        concerned(&mut targets, "e.employee_no", false);
        targets.push(" GROUP BY e.employee_no");
        let (payments, payment_splits) = if with_payments {
            on_pool!(self, |p| {
                tokio::try_join!(
                    bind_args!(
                        sqlx::query_as::<_, DealRead>(AssertSqlSafe(payments.text.clone())),
                        &payments.args
                    )
                    .fetch_all(p),
                    bind_args!(
                        sqlx::query_as::<_, (String, Option<i64>, String)>(AssertSqlSafe(payment_splits.text.clone())),
                        &payment_splits.args
                    )
                    .fetch_all(p),
                )?
            })
        } else {
            (Vec::new(), Vec::new())
        };
        let (people, deals, splits, targets) = on_pool!(self, |p| {
            tokio::try_join!(
                bind_args!(
                    sqlx::query_as::<_, PersonRead>(AssertSqlSafe(people.text.clone())),
                    &people.args
                )
                .fetch_all(p),
                bind_args!(
                    sqlx::query_as::<_, DealRead>(AssertSqlSafe(deals.text.clone())),
                    &deals.args
                )
                .fetch_all(p),
                bind_args!(
                    sqlx::query_as::<_, (String, Option<i64>, String)>(AssertSqlSafe(splits.text.clone())),
                    &splits.args
                )
                .fetch_all(p),
                bind_args!(
                    sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(targets.text.clone())),
                    &targets.args
                )
                .fetch_all(p),
            )?
        });
        let number_of: std::collections::HashMap<i64, &str> =
            people.iter().map(|p| (p.id, p.employee_no.as_str())).collect();
        let number = |id: Option<i64>| id.and_then(|id| number_of.get(&id)).map(|n| n.to_string());
        let shares = |rows: Vec<(String, Option<i64>, String)>| -> Vec<SplitShare> {
            rows.into_iter()
                .map(|(opportunity_id, owner, percentage)| SplitShare {
                    opportunity_id,
                    owner_no: number(owner),
                    percentage,
                })
                .collect()
        };
        let rows = |rows: Vec<DealRead>| -> Vec<WonDealRow> {
            rows.into_iter()
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
                .collect()
        };
        let (splits, payment_splits) = (shares(splits), shares(payment_splits));
        let (deals, payments) = (rows(deals), rows(payments));
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
            payments,
            payment_splits,
            targets,
        })
    }

    /// Who these deals credit (their owners and split owners linked to employees) and those
    /// people's managers, by employee number; and the deals' close dates (`YYYY-MM-DD`).
    pub async fn commission_people_of_deals(
        &self,
        opportunity_ids: &[String],
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        if opportunity_ids.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut people = Sql::new("");
        let ph: Vec<String> = opportunity_ids
            .iter()
            .map(|id| people.arg(Arg::Text(Some(id.clone()))))
            .collect();
        let list = ph.join(", ");
        people.push(&format!(
            "SELECT e.employee_no, e.manager_no FROM opportunities o JOIN crm_users u ON u.source_id = o.owner_id \
             JOIN employees e ON e.id = u.employee_id WHERE o.source_id IN ({list}) \
             UNION SELECT e.employee_no, e.manager_no FROM opportunity_splits s JOIN crm_users u ON u.source_id = s.owner_id \
             JOIN employees e ON e.id = u.employee_id WHERE s.opportunity_id IN ({list})"
        ));
        let dates = format!(
            "SELECT DISTINCT close_date FROM opportunities WHERE close_date IS NOT NULL AND source_id IN ({list})"
        );
        let (rows, dates) = on_pool!(self, |p| {
            tokio::try_join!(
                bind_args!(
                    sqlx::query_as::<_, (String, Option<String>)>(AssertSqlSafe(people.text.clone())),
                    &people.args
                )
                .fetch_all(p),
                bind_args!(
                    sqlx::query_scalar::<_, String>(AssertSqlSafe(dates.clone())),
                    &people.args
                )
                .fetch_all(p),
            )?
        });
        let mut nos: Vec<String> = rows
            .into_iter()
            .flat_map(|(no, manager)| std::iter::once(no).chain(manager.filter(|m| !m.is_empty())))
            .collect();
        nos.sort();
        nos.dedup();
        Ok((nos, dates))
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
        let mut values = Vec::with_capacity(lines.len() * 13);
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

    /// A person's open deals with an amount (the estimator's candidates), largest first, at most
    /// `limit`. `close_date` is the expected close date, empty when the CRM has none.
    pub async fn open_deals_of(&self, employee_no: &str, limit: i64) -> Result<Vec<WonDealRow>, StoreError> {
        let sql = "SELECT o.source_id AS opportunity_id, COALESCE(o.close_date, '') AS close_date, o.amount_fen AS amount_fen, \
              u.employee_id AS owner_id, o.opportunity_type AS opportunity_type, o.lead_source AS lead_source, \
              o.name AS name, o.stage_name AS stage_name \
            FROM opportunities o JOIN crm_users u ON u.source_id = o.owner_id JOIN employees e ON e.id = u.employee_id \
            WHERE e.employee_no = $1 AND o.state = 'open' AND o.amount_fen IS NOT NULL AND o.amount_fen > 0 \
            ORDER BY o.amount_fen DESC, o.source_id LIMIT $2";
        let rows: Vec<DealRead> = on_pool!(self, |p| sqlx::query_as(sql)
            .bind(employee_no)
            .bind(limit)
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .map(|d| WonDealRow {
                owner_no: Some(employee_no.to_string()),
                opportunity_id: d.opportunity_id,
                close_date: d.close_date,
                amount_fen: d.amount_fen,
                opportunity_type: d.opportunity_type,
                lead_source: d.lead_source,
                name: d.name,
                stage_name: d.stage_name,
            })
            .collect())
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

    /// The state (`won`, `lost`, `open`) and close date of these deals, by id.
    pub async fn deal_states(&self, opportunity_ids: &[String]) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut out = Vec::with_capacity(opportunity_ids.len());
        // Within every dialect's limit of bound values per statement.
        for chunk in opportunity_ids.chunks(5_000) {
            let mut q = Sql::new("SELECT source_id, state, close_date FROM opportunities WHERE source_id IN (");
            let ph: Vec<String> = chunk.iter().map(|id| q.arg(Arg::Text(Some(id.clone())))).collect();
            q.push(&ph.join(", "));
            q.push(")");
            let rows: Vec<(String, String, String)> = on_pool!(self, |p| bind_args!(
                sqlx::query_as::<_, (String, String, String)>(AssertSqlSafe(q.text.clone())),
                &q.args
            )
            .fetch_all(p)
            .await?);
            out.extend(rows);
        }
        Ok(out)
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
               l.pay_fen, l.rate_value, l.parts, l.adjusts_period, l.detail \
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
