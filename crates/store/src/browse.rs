//! Reads for pages and the API: people, their HR record, their CRM records, leaderboards.
//! Every list takes a [`Scope`] that becomes part of the SQL, so a caller never receives rows
//! outside it (filtering after the fact would leak counts and cost time).

use sqlx::{AssertSqlSafe, FromRow};
use uplift_domain::access::Scope;

use crate::StoreError;
use crate::conn::{Pool, Store};

/// A bind value of a query built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

/// SQL text with its binds, numbered `$1…` as they are added.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Adds a bind and returns its placeholder.
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// Appends ` AND <condition limiting employee alias `e` / department alias `d` to the scope>`.
    pub fn scope(&mut self, scope: &Scope) -> &mut Sql {
        match scope {
            Scope::All => {}
            Scope::Departments(paths) if paths.is_empty() => {
                self.push(" AND 1 = 0");
            }
            Scope::Departments(paths) => {
                let mut parts = Vec::new();
                for p in paths {
                    let exact = self.arg(Arg::Text(Some(p.clone())));
                    let prefix = self.arg(Arg::Text(Some(format!("{p}/"))));
                    // A path prefix, not LIKE, whose case and escape rules differ by dialect.
                    parts.push(format!(
                        "d.path = {exact} OR substr(d.path, 1, length({prefix})) = {prefix}"
                    ));
                }
                let cond = format!(" AND ({})", parts.join(" OR "));
                self.push(&cond);
            }
            Scope::Employees(nos) if nos.is_empty() => {
                self.push(" AND 1 = 0");
            }
            Scope::Employees(nos) => {
                let ph: Vec<String> = nos.iter().map(|n| self.arg(Arg::Text(Some(n.clone())))).collect();
                let cond = format!(" AND e.employee_no IN ({})", ph.join(", "));
                self.push(&cond);
            }
        }
        self
    }

    /// Appends ` AND <column> IN (CRM user ids of employees in scope)`.
    pub fn owner_scope(&mut self, column: &str, scope: &Scope) -> &mut Sql {
        if *scope == Scope::All {
            return self;
        }
        let head = format!(
            " AND {column} IN (SELECT cu.source_id FROM crm_users cu JOIN employees e ON e.id = cu.employee_id \
             LEFT JOIN departments d ON d.id = e.department_id WHERE 1 = 1"
        );
        self.push(&head);
        self.scope(scope);
        self.push(")")
    }
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

impl Store {
    pub(crate) async fn fetch_all_as<T>(&self, sql: &Sql) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                bind_args!(sqlx::query_as::<_, T>(AssertSqlSafe(sql.text.clone())), &sql.args)
                    .fetch_all(p)
                    .await?
            }
            Pool::Pg(p) => {
                bind_args!(sqlx::query_as::<_, T>(AssertSqlSafe(sql.text.clone())), &sql.args)
                    .fetch_all(p)
                    .await?
            }
        })
    }

    pub(crate) async fn fetch_count(&self, sql: &Sql) -> Result<i64, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                bind_args!(sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql.text.clone())), &sql.args)
                    .fetch_one(p)
                    .await?
            }
            Pool::Pg(p) => {
                bind_args!(sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql.text.clone())), &sql.args)
                    .fetch_one(p)
                    .await?
            }
        })
    }
}

/// An employee's HR record as pages and the API show it.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct EmployeeRecord {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub position: Option<String>,
    pub role_family: Option<String>,
    pub hire_date: String,
    pub leave_date: Option<String>,
    pub manager_no: Option<String>,
    pub manager_name: Option<String>,
    pub email: Option<String>,
    pub city: Option<String>,
}

/// A course assignment of one employee.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct TrainingRecord {
    pub course_id: String,
    pub course_name: String,
    pub assigned_date: String,
    pub completed_date: Option<String>,
    pub score: Option<f64>,
}

/// An appraisal result.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct AppraisalRecord {
    pub period: String,
    pub period_end: String,
    pub score: f64,
    pub grade: Option<String>,
}

/// A lead, as the API lists it.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct LeadRecord {
    pub id: String,
    pub owner_id: String,
    pub owner_employee_no: Option<String>,
    pub created_ts: i64,
    pub lead_source: Option<String>,
    pub industry: Option<String>,
    pub status: Option<String>,
    pub is_converted: bool,
    pub company: Option<String>,
    pub city: Option<String>,
}

/// An opportunity (deal).
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct OpportunityRecord {
    pub id: String,
    pub name: Option<String>,
    pub owner_id: String,
    pub owner_employee_no: Option<String>,
    pub stage_name: String,
    pub state: String,
    pub close_date: String,
    pub amount_fen: Option<i64>,
    pub currency: String,
    pub probability: Option<f64>,
    pub account_id: Option<String>,
}

/// A follow-up (a task or event on a lead or contact).
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct FollowupRecord {
    pub id: String,
    pub kind: String,
    pub owner_id: String,
    pub owner_employee_no: Option<String>,
    pub who_id: Option<String>,
    pub subject: Option<String>,
    pub subtype: Option<String>,
    pub ts: i64,
}

/// One line of a leaderboard over a period.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct LeaderboardLine {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub contribution_fen: i64,
    pub target_fen: Option<i64>,
    pub orders_won: i64,
}

/// Filters of the CRM record lists.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    /// Only records owned by this employee's CRM users.
    pub employee_no: Option<String>,
    /// Month keys (`yyyymm`), inclusive.
    pub from_month: Option<i32>,
    pub to_month: Option<i32>,
    /// Only these months (keys): equality on the month column lets the (month, …, owner)
    /// indexes find one person's rows among millions.
    pub in_months: Vec<i32>,
    /// Lead status / opportunity state (`open`, `won`, `lost`).
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

const EMPLOYEE_SELECT: &str = "SELECT e.employee_no, e.name, d.path AS department, e.position, e.role_family, e.hire_date, \
    e.leave_date, e.manager_no, m.name AS manager_name, e.email, e.city \
    FROM employees e LEFT JOIN departments d ON d.id = e.department_id \
    LEFT JOIN employees m ON m.employee_no = e.manager_no WHERE 1 = 1";

/// Owner's employee number for a CRM owner id column.
const OWNER_EMPLOYEE: &str = "(SELECT e2.employee_no FROM crm_users cu2 JOIN employees e2 ON e2.id = cu2.employee_id \
    WHERE cu2.source_id = {col}) AS owner_employee_no";

impl Store {
    /// One employee's record, if it exists and is inside `scope`.
    pub async fn employee_record(
        &self,
        employee_no: &str,
        scope: &Scope,
    ) -> Result<Option<EmployeeRecord>, StoreError> {
        let mut q = Sql::new(EMPLOYEE_SELECT);
        let ph = q.arg(Arg::Text(Some(employee_no.to_string())));
        q.push(&format!(" AND e.employee_no = {ph}")).scope(scope);
        Ok(self.fetch_all_as(&q).await?.into_iter().next())
    }

    /// Employees inside `scope`, optionally below a department and matching a name or number
    /// fragment; with the total before paging.
    pub async fn employee_records(
        &self,
        scope: &Scope,
        department: Option<&str>,
        search: Option<&str>,
        active_on: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EmployeeRecord>, i64), StoreError> {
        let mut q = Sql::new(EMPLOYEE_SELECT);
        q.scope(scope);
        if let Some(dep) = department {
            q.scope(&Scope::Departments(vec![dep.to_string()]));
        }
        if let Some(s) = search.filter(|s| !s.trim().is_empty()) {
            let exact = q.arg(Arg::Text(Some(s.trim().to_string())));
            let frag = q.arg(Arg::Text(Some(s.trim().to_string())));
            let find = match self.dialect() {
                crate::Dialect::Sqlite => "instr",
                crate::Dialect::Postgres => "strpos",
            };
            q.push(&format!(" AND (e.employee_no = {exact} OR {find}(e.name, {frag}) > 0)"));
        }
        if let Some(day) = active_on {
            let a = q.arg(Arg::Text(Some(day.to_string())));
            let b = q.arg(Arg::Text(Some(day.to_string())));
            q.push(&format!(
                " AND e.hire_date <= {a} AND (e.leave_date IS NULL OR e.leave_date >= {b})"
            ));
        }
        let count_sql = Sql {
            text: format!("SELECT COUNT(*) FROM ({}) t", q.text),
            args: q.args.clone(),
        };
        let total = self.fetch_count(&count_sql).await?;
        let l = q.arg(Arg::Int(Some(limit)));
        let o = q.arg(Arg::Int(Some(offset)));
        q.push(&format!(" ORDER BY e.employee_no LIMIT {l} OFFSET {o}"));
        Ok((self.fetch_all_as(&q).await?, total))
    }

    /// Everyone who reports to `manager_no`, directly or through others (not the manager).
    pub async fn reports_of(&self, manager_no: &str) -> Result<Vec<String>, StoreError> {
        // UNION (not UNION ALL) stops a reporting cycle in the roster from recursing forever.
        let mut q = Sql::new("WITH RECURSIVE team(no) AS (SELECT employee_no FROM employees WHERE manager_no = ");
        let ph = q.arg(Arg::Text(Some(manager_no.to_string())));
        q.push(&ph).push(
            " UNION SELECT e.employee_no FROM employees e JOIN team t ON e.manager_no = t.no) \
             SELECT no AS employee_no FROM team ORDER BY no",
        );
        #[derive(FromRow)]
        struct No {
            employee_no: String,
        }
        let rows: Vec<No> = self.fetch_all_as(&q).await?;
        Ok(rows
            .into_iter()
            .map(|r| r.employee_no)
            .filter(|n| n != manager_no)
            .collect())
    }

    pub async fn trainings_of(&self, employee_no: &str) -> Result<Vec<TrainingRecord>, StoreError> {
        let mut q = Sql::new(
            "SELECT x.course_id, c.name AS course_name, x.assigned_date, x.completed_date, x.score \
             FROM enrollments x JOIN employees e ON e.id = x.employee_id JOIN courses c ON c.course_id = x.course_id \
             WHERE e.employee_no = ",
        );
        let ph = q.arg(Arg::Text(Some(employee_no.to_string())));
        q.push(&ph).push(" ORDER BY x.assigned_date DESC, x.course_id");
        self.fetch_all_as(&q).await
    }

    pub async fn appraisals_of(&self, employee_no: &str) -> Result<Vec<AppraisalRecord>, StoreError> {
        let mut q = Sql::new(
            "SELECT a.period, a.period_end, a.score, a.grade FROM appraisals a JOIN employees e ON e.id = a.employee_id \
             WHERE e.employee_no = ",
        );
        let ph = q.arg(Arg::Text(Some(employee_no.to_string())));
        q.push(&ph).push(" ORDER BY a.period_end DESC");
        self.fetch_all_as(&q).await
    }

    /// Leads inside `scope`, newest first, with the total before paging.
    pub async fn lead_records(&self, scope: &Scope, f: &RecordFilter) -> Result<(Vec<LeadRecord>, i64), StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT l.source_id AS id, l.owner_id, {}, l.created_ts, l.lead_source, l.industry, l.status, \
             l.is_converted, l.company, l.city FROM leads l WHERE 1 = 1",
            OWNER_EMPLOYEE.replace("{col}", "l.owner_id")
        ));
        q.owner_scope("l.owner_id", scope);
        record_filters(&mut q, f, "l.owner_id", "l.created_month", "l.status");
        self.page(q, "l.created_ts DESC, l.source_id", f).await
    }

    /// Opportunities inside `scope`, latest close date first.
    pub async fn opportunity_records(
        &self,
        scope: &Scope,
        f: &RecordFilter,
    ) -> Result<(Vec<OpportunityRecord>, i64), StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT o.source_id AS id, o.name, o.owner_id, {}, o.stage_name, o.state, o.close_date, o.amount_fen, \
             o.currency, o.probability, o.account_id FROM opportunities o WHERE 1 = 1",
            OWNER_EMPLOYEE.replace("{col}", "o.owner_id")
        ));
        q.owner_scope("o.owner_id", scope);
        record_filters(&mut q, f, "o.owner_id", "o.close_month", "o.state");
        self.page(q, "o.close_date DESC, o.source_id", f).await
    }

    /// Follow-ups inside `scope`, newest first.
    pub async fn followup_records(
        &self,
        scope: &Scope,
        f: &RecordFilter,
    ) -> Result<(Vec<FollowupRecord>, i64), StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT a.source_id AS id, a.kind, a.owner_id, {}, a.who_id, a.subject, a.subtype, a.ts \
             FROM activities a WHERE a.is_followup = TRUE",
            OWNER_EMPLOYEE.replace("{col}", "a.owner_id")
        ));
        q.owner_scope("a.owner_id", scope);
        record_filters(&mut q, f, "a.owner_id", "a.month", "a.status");
        self.page(q, "a.ts DESC, a.source_id", f).await
    }

    async fn page<T>(&self, mut q: Sql, order: &str, f: &RecordFilter) -> Result<(Vec<T>, i64), StoreError>
    where
        T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let count_sql = Sql {
            text: format!("SELECT COUNT(*) FROM ({}) t", q.text),
            args: q.args.clone(),
        };
        let total = self.fetch_count(&count_sql).await?;
        let l = q.arg(Arg::Int(Some(f.limit)));
        let o = q.arg(Arg::Int(Some(f.offset)));
        q.push(&format!(" ORDER BY {order} LIMIT {l} OFFSET {o}"));
        Ok((self.fetch_all_as(&q).await?, total))
    }

    /// Contribution and target summed over `from..=to` (month keys) per employee inside `scope`,
    /// highest contribution first.
    pub async fn leaderboard(
        &self,
        scope: &Scope,
        from: i32,
        to: i32,
        limit: i64,
    ) -> Result<Vec<LeaderboardLine>, StoreError> {
        let mut q = Sql::new(
            "SELECT e.employee_no, e.name, d.path AS department, CAST(SUM(m.contribution_fen) AS BIGINT) AS contribution_fen, \
             CAST(SUM(m.target_fen) AS BIGINT) AS target_fen, CAST(SUM(m.orders_won) AS BIGINT) AS orders_won \
             FROM employee_metrics m JOIN employees e ON e.id = m.employee_id LEFT JOIN departments d ON d.id = e.department_id \
             WHERE m.month >= ",
        );
        let a = q.arg(Arg::Int(Some(from as i64)));
        let b = q.arg(Arg::Int(Some(to as i64)));
        q.push(&format!("{a} AND m.month <= {b}")).scope(scope);
        let l = q.arg(Arg::Int(Some(limit)));
        q.push(&format!(
            " GROUP BY e.employee_no, e.name, d.path ORDER BY contribution_fen DESC, e.employee_no LIMIT {l}"
        ));
        self.fetch_all_as(&q).await
    }
}

fn record_filters(q: &mut Sql, f: &RecordFilter, owner_col: &str, month_col: &str, status_col: &str) {
    if let Some(no) = &f.employee_no {
        q.owner_scope(owner_col, &Scope::Employees(vec![no.clone()]));
    }
    if let Some(m) = f.from_month {
        let ph = q.arg(Arg::Int(Some(m as i64)));
        q.push(&format!(" AND {month_col} >= {ph}"));
    }
    if let Some(m) = f.to_month {
        let ph = q.arg(Arg::Int(Some(m as i64)));
        q.push(&format!(" AND {month_col} <= {ph}"));
    }
    if !f.in_months.is_empty() {
        let ph: Vec<String> = f.in_months.iter().map(|m| q.arg(Arg::Int(Some(*m as i64)))).collect();
        q.push(&format!(" AND {month_col} IN ({})", ph.join(", ")));
    }
    if let Some(s) = &f.status {
        let ph = q.arg(Arg::Text(Some(s.clone())));
        q.push(&format!(" AND {status_col} = {ph}"));
    }
}
