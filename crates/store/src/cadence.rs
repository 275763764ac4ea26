//! What the follow-up cadence reads: leads and opportunities with their owners and last
//! follow-ups, and the follow-ups of a set of months with the record they name.

use crate::conn::BeginWrite;
use sqlx::{AssertSqlSafe, FromRow};

use uplift_domain::metric_data::CadenceDays;

use crate::StoreError;
use crate::conn::{Pool, Store, on_pool};
use crate::import::{Tx, on_tx_impl};

/// A lead as the cadence needs it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CadenceLeadRow {
    pub id: String,
    pub employee_id: i64,
    pub title: Option<String>,
    pub status: Option<String>,
    pub created_ts: i64,
    /// The conversion date (ISO) of a converted lead.
    pub converted_date: Option<String>,
    /// The last follow-up on the lead (WhoId) at or after its creation.
    pub last_ts: Option<i64>,
}

/// An opportunity as the cadence needs it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CadenceOpportunityRow {
    pub id: String,
    pub employee_id: i64,
    pub title: Option<String>,
    pub account_id: Option<String>,
    pub stage_name: String,
    /// `open`, `won` or `lost`.
    pub state: String,
    pub created_ts: Option<i64>,
    pub close_date: String,
    /// The last follow-up logged on the opportunity (WhatId).
    pub last_ts: Option<i64>,
    /// For won deals: the last follow-up logged on the account (WhatId).
    pub account_last_ts: Option<i64>,
}

/// Which leads and opportunities to read.
#[derive(Debug, Clone, Default)]
pub struct CadenceQuery<'a> {
    /// Leads created in `[from, to)` (epoch seconds; `None`: no lower bound).
    pub leads_created_from: Option<i64>,
    pub leads_created_to: i64,
    /// Unconverted leads only.
    pub open_leads_only: bool,
    /// Opportunities created before this time.
    pub opportunities_created_to: i64,
    /// Won deals closed on or after this date (ISO); `None`: none.
    pub won_since: Option<String>,
    /// Lost deals closed on or after this date (ISO); `None`: none.
    pub lost_since: Option<String>,
    /// Only these employees (`None`: everyone).
    pub employees: Option<&'a [i64]>,
    /// Read customer names (for lists people read; the metric does not need them).
    pub with_titles: bool,
}

fn employee_filter(employees: Option<&[i64]>) -> String {
    match employees {
        None => String::new(),
        Some([]) => " AND 1 = 0".into(),
        Some(ids) => format!(
            " AND u.employee_id IN ({})",
            ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        ),
    }
}

impl Store {
    /// Leads of people with an employee record, with their last follow-up (found through the
    /// (who_id, is_followup, ts) index).
    pub async fn cadence_leads(&self, q: &CadenceQuery<'_>) -> Result<Vec<CadenceLeadRow>, StoreError> {
        // Everyone's leads of a period: leads are mostly stored in creation order, so the scan
        // starts at the first lead of the period and reads on in row order (an index range over
        // creation time would fetch rows in random order: 6× slower at 1M leads on SQLite).
        let window = if q.employees.is_none() {
            "l.id >= (SELECT COALESCE(MIN(f.id), 0) FROM leads f WHERE f.created_ts >= $1) \
             AND +l.created_ts >= $1 AND +l.created_ts < $2"
        } else {
            "l.created_ts >= $1 AND l.created_ts < $2"
        };
        let sql = format!(
            "SELECT l.source_id AS id, u.employee_id, {} AS title, l.status, l.created_ts, \
               CASE WHEN l.is_converted THEN COALESCE(l.converted_date, '') END AS converted_date, \
               (SELECT MAX(a.ts) FROM activities a WHERE a.who_id = l.source_id AND a.is_followup = TRUE \
                  AND a.ts >= l.created_ts) AS last_ts \
             FROM leads l JOIN crm_users u ON u.source_id = l.owner_id \
             WHERE u.employee_id IS NOT NULL AND {window}{}{} ORDER BY l.id",
            if q.with_titles {
                "COALESCE(l.company, l.name)"
            } else {
                "CAST(NULL AS TEXT)"
            },
            if q.open_leads_only {
                " AND NOT l.is_converted"
            } else {
                ""
            },
            employee_filter(q.employees)
        );
        Ok(on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(sql))
            .bind(q.leads_created_from.unwrap_or(i64::MIN))
            .bind(q.leads_created_to)
            .fetch_all(p)
            .await?))
    }

    /// Open opportunities, and won and lost ones closed since the given dates, with the last
    /// follow-ups on them and on won deals' accounts (through the (what_id, is_followup, ts) index).
    /// With an employee filter, won deals of others on the same accounts come too: a later win by
    /// someone else ends a rep's care of that customer.
    pub async fn cadence_opportunities(&self, q: &CadenceQuery<'_>) -> Result<Vec<CadenceOpportunityRow>, StoreError> {
        // Dates are bound; which branches exist depends only on whether a date is given.
        let mut states = vec!["o.state = 'open'".to_string()];
        if q.won_since.is_some() {
            states.push("(o.state = 'won' AND o.close_date >= $2)".into());
        }
        if q.lost_since.is_some() {
            states.push("(o.state = 'lost' AND o.close_date >= $3)".into());
        }
        let owners = match q.employees {
            None => String::new(),
            Some(_) => {
                let mine = employee_filter(q.employees);
                format!(
                    " AND (1 = 1{mine} OR (o.state = 'won' AND o.account_id IN ( \
                       SELECT o2.account_id FROM opportunities o2 JOIN crm_users u2 ON u2.source_id = o2.owner_id \
                       WHERE o2.state = 'won' AND o2.account_id IS NOT NULL{})))",
                    mine.replace("u.employee_id", "u2.employee_id")
                )
            }
        };
        let sql = format!(
            "SELECT o.source_id AS id, u.employee_id, {} AS title, \
               o.account_id, o.stage_name, o.state, o.created_ts, o.close_date, \
               (SELECT MAX(a.ts) FROM activities a WHERE a.what_id = o.source_id AND a.is_followup = TRUE) AS last_ts, \
               CASE WHEN o.state = 'won' AND o.account_id IS NOT NULL THEN \
                 (SELECT MAX(a.ts) FROM activities a WHERE a.what_id = o.account_id AND a.is_followup = TRUE) END AS account_last_ts \
             FROM opportunities o JOIN crm_users u ON u.source_id = o.owner_id \
             WHERE u.employee_id IS NOT NULL AND (o.created_ts IS NULL OR o.created_ts < $1) \
               AND ({}){owners} ORDER BY o.id",
            if q.with_titles {
                "CASE WHEN o.state = 'won' THEN COALESCE((SELECT ac.name FROM accounts ac WHERE ac.source_id = o.account_id), o.name) \
                 ELSE o.name END"
            } else {
                "CAST(NULL AS TEXT)"
            },
            states.join(" OR ")
        );
        let none = String::new();
        Ok(on_pool!(self, |p| {
            let mut query = sqlx::query_as(AssertSqlSafe(sql)).bind(q.opportunities_created_to);
            // Unused placeholders are not sent: PostgreSQL refuses parameters it cannot type.
            if q.won_since.is_some() || q.lost_since.is_some() {
                query = query.bind(q.won_since.as_ref().unwrap_or(&none));
            }
            if q.lost_since.is_some() {
                query = query.bind(q.lost_since.as_ref().unwrap_or(&none));
            }
            query.fetch_all(p).await?
        }))
    }

    /// The follow-ups timed in these months that name a lead, opportunity or account:
    /// (WhoId, WhatId, time).
    pub async fn cadence_followups(
        &self,
        months: &[i32],
    ) -> Result<Vec<(Option<String>, Option<String>, i64)>, StoreError> {
        if months.is_empty() {
            return Ok(Vec::new());
        }
        let list = months.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT who_id, what_id, ts FROM activities WHERE is_followup = TRUE AND month IN ({list}) \
             AND (who_id IS NOT NULL OR what_id IS NOT NULL)"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(p)
            .await?))
    }

    /// The CRM owner id of a lead, opportunity or won account when that owner is one of this
    /// employee's CRM users (`kind`: lead, opportunity, account).
    pub async fn cadence_owner_of(
        &self,
        kind: &str,
        id: &str,
        employee_no: &str,
    ) -> Result<Option<String>, StoreError> {
        let from = match kind {
            "lead" => "leads r JOIN crm_users u ON u.source_id = r.owner_id WHERE r.source_id = $1",
            "opportunity" => "opportunities r JOIN crm_users u ON u.source_id = r.owner_id WHERE r.source_id = $1",
            // A won customer is cared for by the owner of a deal won with it.
            "account" => {
                "opportunities r JOIN crm_users u ON u.source_id = r.owner_id \
                 WHERE r.state = 'won' AND (r.account_id = $1 OR (r.account_id IS NULL AND r.source_id = $1))"
            }
            _ => return Ok(None),
        };
        let sql = format!(
            "SELECT u.source_id FROM {from} AND u.employee_id = (SELECT id FROM employees WHERE employee_no = $2) LIMIT 1"
        );
        Ok(on_pool!(self, |p| sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(id)
            .bind(employee_no)
            .fetch_optional(p)
            .await?))
    }

    /// Stored `cadence_compliance` of these employees in these months: (employee, month, value).
    pub async fn cadence_compliance_of(
        &self,
        employees: &[i64],
        months: &[i32],
    ) -> Result<Vec<(i64, i64, Option<f64>)>, StoreError> {
        if employees.is_empty() || months.is_empty() {
            return Ok(Vec::new());
        }
        let list = |v: Vec<String>| v.join(",");
        let sql = format!(
            "SELECT employee_id, month, cadence_compliance FROM employee_metrics WHERE month IN ({}) AND employee_id IN ({})",
            list(months.iter().map(|m| m.to_string()).collect()),
            list(employees.iter().map(|e| e.to_string()).collect())
        );
        Ok(on_pool!(self, |p| sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(p)
            .await?))
    }

    /// The id of the employee with this number.
    pub async fn employee_id_of(&self, employee_no: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_scalar(
            "SELECT id FROM employees WHERE employee_no = $1"
        )
        .bind(employee_no)
        .fetch_optional(p)
        .await?))
    }

    /// Replaces the stored cadence figures of these months (`rows`: customer-days under a cadence
    /// and of them on time, all stages and pre-sale alone) and rolls them up to departments and the company, in one transaction: the daily
    /// cadence job's refresh without recomputing the rest of the metric table. Ratios follow the
    /// metric table's rule (empty below 0.01 customer-days).
    pub async fn write_cadence_compliance(&self, months: &[i32], rows: &[CadenceDays]) -> Result<(), StoreError> {
        if months.is_empty() {
            return Ok(());
        }
        let list = months.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(",");
        let reset = format!(
            "UPDATE employee_metrics SET cadence_days = 0, cadence_days_on_time = 0, cadence_compliance = NULL, \
             presale_cadence_days = 0, presale_cadence_days_on_time = 0, presale_cadence_compliance = NULL WHERE month IN ({list})"
        );
        // Computed numbers only (never user text), written in Rust's round-trip form so the stored
        // doubles are exactly the computed ones.
        let lit = |x: f64| if x.is_finite() { format!("{x:?}") } else { "0.0".into() };
        let updates: Vec<String> = rows
            .chunks(500)
            .map(|chunk| {
                let values: Vec<String> = chunk
                    .iter()
                    .map(|c| {
                        let ratio = |days: f64, on_time: f64| {
                            if days >= 0.01 {
                                lit(on_time / days)
                            } else {
                                "NULL".into()
                            }
                        };
                        format!(
                            "({}, {}, {}, {}, {}, {}, {}, {})",
                            c.employee_id,
                            c.month,
                            lit(c.days),
                            lit(c.on_time),
                            ratio(c.days, c.on_time),
                            lit(c.presale_days),
                            lit(c.presale_on_time),
                            ratio(c.presale_days, c.presale_on_time)
                        )
                    })
                    .collect();
                format!(
                    // Cast: on PostgreSQL a column of NULLs only would otherwise be text.
                    "UPDATE employee_metrics SET cadence_days = CAST(v.column3 AS DOUBLE PRECISION), \
                     cadence_days_on_time = CAST(v.column4 AS DOUBLE PRECISION), \
                     cadence_compliance = CAST(v.column5 AS DOUBLE PRECISION), \
                     presale_cadence_days = CAST(v.column6 AS DOUBLE PRECISION), \
                     presale_cadence_days_on_time = CAST(v.column7 AS DOUBLE PRECISION), \
                     presale_cadence_compliance = CAST(v.column8 AS DOUBLE PRECISION) FROM (VALUES {}) AS v \
                     WHERE employee_metrics.employee_id = v.column1 AND employee_metrics.month = v.column2",
                    values.join(", ")
                )
            })
            .collect();
        // A department includes its sub-departments (by path); department 0 is the company.
        let roll_up = format!(
            "UPDATE department_metrics SET (cadence_compliance, presale_cadence_compliance) = ( \
               SELECT CASE WHEN SUM(m.cadence_days) >= 0.01 THEN SUM(m.cadence_days_on_time) / SUM(m.cadence_days) END, \
                 CASE WHEN SUM(m.presale_cadence_days) >= 0.01 \
                   THEN SUM(m.presale_cadence_days_on_time) / SUM(m.presale_cadence_days) END \
               FROM employee_metrics m JOIN employees e ON e.id = m.employee_id \
               LEFT JOIN departments de ON de.id = e.department_id \
               LEFT JOIN departments d ON d.id = department_metrics.department_id \
               WHERE m.month = department_metrics.month AND (department_metrics.department_id = 0 \
                 OR de.path = d.path OR substr(de.path, 1, length(d.path) + 1) = d.path || '/')) \
             WHERE month IN ({list})"
        );
        let mut tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_write().await?),
            Pool::Pg(p) => Tx::Pg(p.begin_write().await?),
        };
        on_tx_impl!(&mut tx, |c| {
            sqlx::query(AssertSqlSafe(reset)).execute(&mut *c).await?;
            for u in updates {
                sqlx::query(AssertSqlSafe(u)).execute(&mut *c).await?;
            }
            sqlx::query(AssertSqlSafe(roll_up)).execute(&mut *c).await?;
        });
        match tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }
}
