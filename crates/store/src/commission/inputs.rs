//! What a period's run reads: the roster, the won deals and payments with their shares, the
//! targets; narrowed to a few people for the at-once update and the estimator.

use sqlx::{AssertSqlSafe, FromRow};

use crate::StoreError;
use crate::browse::{Arg, Sql, bind_args};
use crate::conn::{Store, on_pool};

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

impl Store {
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
        type Share = (String, Option<i64>, String);
        let (payments, payment_splits) = if with_payments {
            tokio::try_join!(
                self.fetch_all_as::<DealRead>(&payments),
                self.fetch_all_as::<Share>(&payment_splits)
            )?
        } else {
            (Vec::new(), Vec::new())
        };
        let (people, deals, splits, targets) = tokio::try_join!(
            self.fetch_all_as::<PersonRead>(&people),
            self.fetch_all_as::<DealRead>(&deals),
            self.fetch_all_as::<Share>(&splits),
            self.fetch_all_as::<(String, i64)>(&targets),
        )?;
        let number_of: std::collections::HashMap<i64, &str> =
            people.iter().map(|p| (p.id, p.employee_no.as_str())).collect();
        let number = |id: Option<i64>| id.and_then(|id| number_of.get(&id)).map(|n| n.to_string());
        let shares = |rows: Vec<Share>| -> Vec<SplitShare> {
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
}
