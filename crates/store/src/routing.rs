//! What lead routing reads (reps, lead history, leads waiting for an owner, leads received this
//! month) and writes (assignments, and new owners for leads already in the database).

use crate::conn::BeginWrite;
use sqlx::FromRow;

use crate::StoreError;
use crate::conn::{Store, on_pool};

/// Writes one assignment row ($1…$11: lead, employee, time, month, strategy, origin, expected
/// conversion and value, reason, previous owner, by); the two forms differ in what a second
/// decision on the same lead does.
macro_rules! insert_assignment {
    () => {
        "INSERT INTO lead_assignments (lead_id, employee_id, assigned_ts, month, strategy, origin, \
         expected_conversion, expected_value, reason, previous_owner, assigned_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (lead_id) "
    };
}
/// Keeps the first decision.
const KEEP_ASSIGNMENT: &str = concat!(insert_assignment!(), "DO NOTHING");
/// Replaces the decision (reassignment, re-routing a departed rep's lead).
const REPLACE_ASSIGNMENT: &str = concat!(
    insert_assignment!(),
    "DO UPDATE SET employee_id = excluded.employee_id, assigned_ts = excluded.assigned_ts, \
     month = excluded.month, strategy = excluded.strategy, origin = excluded.origin, \
     expected_conversion = excluded.expected_conversion, expected_value = excluded.expected_value, \
     reason = excluded.reason, previous_owner = excluded.previous_owner, assigned_by = excluded.assigned_by"
);

/// A person who may receive leads, with what routing needs.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RoutingRep {
    pub id: i64,
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub role_family: Option<String>,
    pub hire_date: String,
    pub leave_date: Option<String>,
    /// The rep's CRM user id (owner id written on routed leads), an active one if any.
    pub crm_user_id: Option<String>,
    /// Whether that CRM user is active (a rep without one cannot receive leads).
    pub crm_active: bool,
    pub industry_experience: Option<String>,
    pub capacity: Option<i64>,
    pub manager_no: Option<String>,
    /// Leave periods as "start end" ISO dates, `;`-separated (empty when none).
    pub leaves: String,
}

/// A past lead of an employee with its outcome.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RoutingLead {
    pub employee_id: i64,
    pub created_month: i64,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub rating: Option<String>,
    pub number_of_employees: Option<i64>,
    pub is_converted: bool,
    /// State of the opportunity the lead became: -1 none, 0 open, 1 won, 2 lost.
    pub opportunity_state: i16,
    pub won_fen: Option<i64>,
}

/// A lead in the database that has no working owner.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PendingLead {
    pub source_id: String,
    pub owner_id: String,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub rating: Option<String>,
    pub company: Option<String>,
    pub city: Option<String>,
    pub number_of_employees: Option<i64>,
}

/// One routing decision to record.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct AssignmentRow {
    pub lead_id: String,
    pub employee_id: i64,
    pub assigned_ts: i64,
    pub month: i64,
    pub strategy: String,
    pub origin: String,
    pub expected_conversion: f64,
    pub expected_value: f64,
    pub reason: String,
    pub previous_owner: Option<String>,
    pub assigned_by: String,
}

/// A lead that arrived through the API, as recorded with its first owner.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLeadRow {
    pub source_id: String,
    pub owner_id: String,
    pub created_ts: i64,
    pub created_month: i64,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub rating: Option<String>,
    pub company: Option<String>,
    pub city: Option<String>,
    pub number_of_employees: Option<i64>,
}

/// An open lead not yet contacted, with its owner (for the first-contact SLA).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AwaitingContact {
    pub lead_id: String,
    pub employee_id: i64,
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub manager_no: Option<String>,
    pub created_ts: i64,
    /// When Uplift routed it (the clock starts at the later of this and creation).
    pub assigned_ts: Option<i64>,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub company: Option<String>,
}

impl Store {
    /// Open leads created at `since_ts` or later that nobody has followed up yet, owned by
    /// employees (one employee's when `employee_no` is given), oldest first.
    pub async fn awaiting_first_contact(
        &self,
        since_ts: i64,
        employee_no: Option<&str>,
    ) -> Result<Vec<AwaitingContact>, StoreError> {
        let sql = "SELECT l.source_id AS lead_id, e.id AS employee_id, e.employee_no, e.name, d.path AS department, \
            e.manager_no, l.created_ts, a.assigned_ts, l.lead_source, l.industry, l.company \
            FROM leads l JOIN crm_users u ON u.source_id = l.owner_id JOIN employees e ON e.id = u.employee_id \
            LEFT JOIN departments d ON d.id = e.department_id LEFT JOIN lead_assignments a ON a.lead_id = l.source_id \
            WHERE l.created_ts >= $1 AND NOT l.is_converted AND (l.status IS NULL OR l.status NOT LIKE 'Closed%') \
            AND ($2 IS NULL OR e.employee_no = $2) \
            AND NOT EXISTS (SELECT 1 FROM activities t WHERE t.who_id = l.source_id AND t.is_followup) \
            ORDER BY l.created_ts, l.source_id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(since_ts)
            .bind(employee_no)
            .fetch_all(p)
            .await?))
    }

    /// Records a follow-up logged in Uplift (the rep's one-click log) as a completed task on a lead
    /// (`who_id`) or an opportunity or account (`what_id`).
    #[allow(clippy::too_many_arguments)]
    pub async fn log_followup(
        &self,
        source_id: &str,
        owner_id: &str,
        who_id: Option<&str>,
        what_id: Option<&str>,
        subject: &str,
        ts: i64,
        month: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO activities (source_id, kind, owner_id, who_id, what_id, subject, subtype, status, ts, month, is_followup) \
            VALUES ($1, 'task', $2, $3, $4, $5, 'Call', 'Completed', $6, $7, TRUE)";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(source_id)
                .bind(owner_id)
                .bind(who_id)
                .bind(what_id)
                .bind(subject)
                .bind(ts)
                .bind(month)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Moves a lead to another rep after a missed first contact: the new owner id, and the
    /// assignment row rewritten (the audit log keeps the old one).
    pub async fn reassign_lead(&self, a: &AssignmentRow, owner_id: &str) -> Result<(), StoreError> {
        let upsert = REPLACE_ASSIGNMENT;
        on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(upsert)
                .bind(&a.lead_id)
                .bind(a.employee_id)
                .bind(a.assigned_ts)
                .bind(a.month)
                .bind(&a.strategy)
                .bind(&a.origin)
                .bind(a.expected_conversion)
                .bind(a.expected_value)
                .bind(&a.reason)
                .bind(&a.previous_owner)
                .bind(&a.assigned_by)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE leads SET owner_id = $1 WHERE source_id = $2")
                .bind(owner_id)
                .bind(&a.lead_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Everyone on the roster with a CRM user or a capacity, by employee number.
    pub async fn routing_reps(&self) -> Result<Vec<RoutingRep>, StoreError> {
        let agg = match self.dialect() {
            crate::conn::Dialect::Sqlite => "group_concat(v.start_date || ' ' || v.end_date, ';')",
            crate::conn::Dialect::Postgres => "string_agg(v.start_date || ' ' || v.end_date, ';')",
        };
        let sql = format!(
            "SELECT e.id, e.employee_no, e.name, d.path AS department, e.role_family, e.hire_date, e.leave_date, \
            COALESCE((SELECT MIN(u.source_id) FROM crm_users u WHERE u.employee_id = e.id AND u.is_active), \
            (SELECT MIN(u.source_id) FROM crm_users u WHERE u.employee_id = e.id)) AS crm_user_id, \
            EXISTS (SELECT 1 FROM crm_users u WHERE u.employee_id = e.id AND u.is_active) AS crm_active, \
            e.industry_experience, c.max_leads_per_month AS capacity, e.manager_no, \
            COALESCE((SELECT {agg} FROM employee_leaves v WHERE v.employee_id = e.id), '') AS leaves \
            FROM employees e LEFT JOIN departments d ON d.id = e.department_id \
            LEFT JOIN capacities c ON c.employee_id = e.id ORDER BY e.employee_no"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(p)
            .await?))
    }

    /// The newest month (key) with any lead.
    pub async fn newest_lead_month(&self) -> Result<Option<i64>, StoreError> {
        let sql = "SELECT MAX(created_month) FROM leads";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_one(p).await?))
    }

    /// Leads created in months `from..=to` (keys) owned by employees, with the outcome of the
    /// opportunity each became.
    pub async fn routing_history(&self, from: i32, to: i32) -> Result<Vec<RoutingLead>, StoreError> {
        let sql = "SELECT u.employee_id, l.created_month, l.lead_source, l.industry, l.rating, l.number_of_employees, \
            l.is_converted, CAST(CASE o.state WHEN 'open' THEN 0 WHEN 'won' THEN 1 WHEN 'lost' THEN 2 ELSE -1 END AS SMALLINT) \
            AS opportunity_state, CASE WHEN o.state = 'won' THEN o.amount_fen END AS won_fen \
            FROM leads l JOIN crm_users u ON u.source_id = l.owner_id \
            LEFT JOIN opportunities o ON o.source_id = l.converted_opportunity_id \
            WHERE u.employee_id IS NOT NULL AND l.created_month >= $1 AND l.created_month <= $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(from as i64)
            .bind(to as i64)
            .fetch_all(p)
            .await?))
    }

    /// Open leads created in `since` (a month key) or later without a working owner: owned by a
    /// queue or an unknown id, by an inactive CRM user, or by someone who left on or before
    /// `today` (ISO date). Oldest first.
    pub async fn pending_leads(&self, today: &str, since: i32) -> Result<Vec<PendingLead>, StoreError> {
        let sql = "SELECT l.source_id, l.owner_id, l.lead_source, l.industry, l.rating, l.company, l.city, \
            l.number_of_employees FROM leads l \
            LEFT JOIN crm_users u ON u.source_id = l.owner_id \
            LEFT JOIN employees e ON e.id = u.employee_id \
            WHERE NOT l.is_converted AND (l.status IS NULL OR l.status NOT LIKE 'Closed%') AND l.created_month >= $2 \
            AND (u.id IS NULL OR NOT u.is_active OR (e.leave_date IS NOT NULL AND e.leave_date <= $1)) \
            ORDER BY l.created_ts, l.source_id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(today)
            .bind(since as i64)
            .fetch_all(p)
            .await?))
    }

    /// Leads each employee received in `month` (key): leads created that month that they own, not
    /// routed by Uplift, plus the leads Uplift routed to them that month.
    pub async fn leads_received(&self, month: i32) -> Result<Vec<(i64, i64)>, StoreError> {
        let sql = "SELECT employee_id, CAST(SUM(n) AS BIGINT) FROM ( \
            SELECT u.employee_id AS employee_id, COUNT(*) AS n FROM leads l JOIN crm_users u ON u.source_id = l.owner_id \
            WHERE l.created_month = $1 AND u.employee_id IS NOT NULL \
            AND NOT EXISTS (SELECT 1 FROM lead_assignments a WHERE a.lead_id = l.source_id) GROUP BY u.employee_id \
            UNION ALL SELECT employee_id, COUNT(*) AS n FROM lead_assignments WHERE month = $1 GROUP BY employee_id \
            ) t GROUP BY employee_id";
        let rows: Vec<(i64, i64)> = on_pool!(self, |p| sqlx::query_as(sql).bind(month as i64).fetch_all(p).await?);
        Ok(rows)
    }

    /// Earlier decisions for these lead ids (re-running an assignment keeps them).
    pub async fn assignments_of(&self, lead_ids: &[String]) -> Result<Vec<AssignmentRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in lead_ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT lead_id, employee_id, assigned_ts, month, strategy, origin, expected_conversion, expected_value, \
                 reason, previous_owner, assigned_by FROM lead_assignments WHERE lead_id IN ({})",
                marks.join(",")
            );
            let rows: Vec<AssignmentRow> = on_pool!(self, |p| {
                // Only numbered placeholders are formatted in; the ids are bound.
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Records decisions in one transaction; with `owners`, also sets each lead's owner id (leads
    /// already in the database). Leads already decided are left as they were.
    pub async fn record_assignments(
        &self,
        rows: &[AssignmentRow],
        owners: &[(String, String)],
    ) -> Result<usize, StoreError> {
        // With owners (leads in the database handed on), an earlier decision is replaced: the lead
        // is re-routed because its rep is gone.
        let insert = if owners.is_empty() {
            KEEP_ASSIGNMENT
        } else {
            REPLACE_ASSIGNMENT
        };
        let update = "UPDATE leads SET owner_id = $1 WHERE source_id = $2";
        let n = on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let mut n = 0usize;
            for r in rows {
                n += sqlx::query(insert)
                    .bind(&r.lead_id)
                    .bind(r.employee_id)
                    .bind(r.assigned_ts)
                    .bind(r.month)
                    .bind(&r.strategy)
                    .bind(&r.origin)
                    .bind(r.expected_conversion)
                    .bind(r.expected_value)
                    .bind(&r.reason)
                    .bind(&r.previous_owner)
                    .bind(&r.assigned_by)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected() as usize;
            }
            for (lead, owner) in owners {
                sqlx::query(update).bind(owner).bind(lead).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    /// Records one online decision and the lead: a lead already in the database gets the new
    /// owner; an unknown one is added as open and not yet contacted (so its first-contact clock
    /// runs). One transaction.
    pub async fn record_routed_lead(&self, a: &AssignmentRow, lead: &NewLeadRow) -> Result<bool, StoreError> {
        let insert_assignment = KEEP_ASSIGNMENT;
        let upsert_lead = "INSERT INTO leads (source_id, owner_id, created_ts, created_month, lead_source, industry, status, \
            rating, is_converted, company, city, number_of_employees) \
            VALUES ($1, $2, $3, $4, $5, $6, 'Open - Not Contacted', $7, FALSE, $8, $9, $10) \
            ON CONFLICT (source_id) DO UPDATE SET owner_id = excluded.owner_id";
        let inserted = on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(insert_assignment)
                .bind(&a.lead_id)
                .bind(a.employee_id)
                .bind(a.assigned_ts)
                .bind(a.month)
                .bind(&a.strategy)
                .bind(&a.origin)
                .bind(a.expected_conversion)
                .bind(a.expected_value)
                .bind(&a.reason)
                .bind(&a.previous_owner)
                .bind(&a.assigned_by)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Routed meanwhile by another request: its decision stands and the lead is not touched.
            if n == 0 {
                tx.rollback().await?;
                false
            } else {
                sqlx::query(upsert_lead)
                    .bind(&lead.source_id)
                    .bind(&lead.owner_id)
                    .bind(lead.created_ts)
                    .bind(lead.created_month)
                    .bind(&lead.lead_source)
                    .bind(&lead.industry)
                    .bind(&lead.rating)
                    .bind(&lead.company)
                    .bind(&lead.city)
                    .bind(lead.number_of_employees)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                true
            }
        });
        Ok(inserted)
    }

    /// Moves a routed lead's creation and assignment to `ts` (the demo's leads of the last hours).
    pub async fn backdate_lead(&self, lead_id: &str, ts: i64, month: i64) -> Result<(), StoreError> {
        on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query("UPDATE leads SET created_ts = $1, created_month = $2 WHERE source_id = $3")
                .bind(ts)
                .bind(month)
                .bind(lead_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE lead_assignments SET assigned_ts = $1, month = $2 WHERE lead_id = $3")
                .bind(ts)
                .bind(month)
                .bind(lead_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The latest decisions, newest first (for the routing page).
    pub async fn recent_assignments(&self, limit: i64) -> Result<Vec<AssignmentRow>, StoreError> {
        let sql = "SELECT lead_id, employee_id, assigned_ts, month, strategy, origin, expected_conversion, expected_value, \
            reason, previous_owner, assigned_by FROM lead_assignments ORDER BY assigned_ts DESC, id DESC LIMIT $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(limit).fetch_all(p).await?))
    }
}
