//! Writing imported records in one transaction: bulk staging (COPY on PostgreSQL, multi-row
//! INSERT on SQLite) and a single upsert by source id for CRM objects; keyed upserts for HR files.

use chrono_tz::Tz;
use sqlx::{AssertSqlSafe, Postgres, Sqlite, Transaction};
use std::collections::{BTreeSet, HashMap};

use crate::StoreError;
use crate::conn::{Pool, Store};
use crate::value::{ColType, Value, bind_sqlite, copy_text};
use uplift_domain::Month;
use uplift_domain::records::*;
use uplift_domain::time::local_month;

/// Which metric months an import changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AffectedMonths {
    #[default]
    None,
    /// These months (keys `yyyymm`).
    Set(BTreeSet<i32>),
    /// This month and every later one.
    From(i32),
    /// Every month.
    All,
}

impl AffectedMonths {
    /// Combines two sets of affected months.
    pub fn union(self, other: AffectedMonths) -> AffectedMonths {
        use AffectedMonths::*;
        match (self, other) {
            (All, _) | (_, All) => All,
            (None, x) | (x, None) => x,
            (From(a), From(b)) => From(a.min(b)),
            (From(a), Set(s)) | (Set(s), From(a)) => From(s.iter().copied().min().map_or(a, |m| m.min(a))),
            (Set(mut a), Set(b)) => {
                a.extend(b);
                Set(a)
            }
        }
    }

    /// A compact text form, stored while a recompute is pending: `all`, `from:202503`,
    /// `set:202501,202502`, or empty for none.
    pub fn encode(&self) -> String {
        match self {
            AffectedMonths::None => String::new(),
            AffectedMonths::All => "all".into(),
            AffectedMonths::From(m) => format!("from:{m}"),
            AffectedMonths::Set(s) => format!("set:{}", s.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(",")),
        }
    }

    /// Reads [`AffectedMonths::encode`]'s form; anything unreadable means all months.
    pub fn decode(s: &str) -> AffectedMonths {
        let s = s.trim();
        if s.is_empty() {
            return AffectedMonths::None;
        }
        if let Some(m) = s.strip_prefix("from:").and_then(|m| m.parse().ok()) {
            return AffectedMonths::From(m);
        }
        if let Some(list) = s.strip_prefix("set:") {
            let parsed: Result<BTreeSet<i32>, _> = list.split(',').filter(|x| !x.is_empty()).map(str::parse).collect();
            if let Ok(set) = parsed {
                return AffectedMonths::Set(set);
            }
        }
        AffectedMonths::All
    }

    /// The affected months within `range` (inclusive keys).
    pub fn within(&self, range: (i32, i32)) -> Vec<i32> {
        let all: Vec<i32> = match (Month::from_key(range.0), Month::from_key(range.1)) {
            (Some(a), Some(b)) => a.through(b).into_iter().map(Month::to_key).collect(),
            _ => return Vec::new(),
        };
        match self {
            AffectedMonths::None => Vec::new(),
            AffectedMonths::All => all,
            AffectedMonths::From(m) => all.into_iter().filter(|k| k >= m).collect(),
            AffectedMonths::Set(s) => all.into_iter().filter(|k| s.contains(k)).collect(),
        }
    }
}

/// Rows inserted and updated by one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub affected: AffectedMonths,
}

pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

macro_rules! on_tx_impl {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx_impl;

struct StageSpec {
    main: &'static str,
    stage: &'static str,
    cols: &'static [(&'static str, ColType)],
    /// For each column, the import fields it is read from: on re-import a column is updated only
    /// when the file has one of them (empty: always), so a narrower export never wipes data.
    sources: &'static [&'static [&'static str]],
}

use ColType::{Bool as B, Int as I, Real as R, Text as T};

const USERS: StageSpec = StageSpec {
    main: "crm_users",
    stage: "stage_crm_users",
    cols: &[
        ("source_id", T),
        ("name", T),
        ("email", T),
        ("is_active", B),
        ("role_id", T),
        ("manager_id", T),
    ],
    sources: &[
        &[],
        &["Name"],
        &["Email"],
        &["IsActive"],
        &["UserRoleId"],
        &["ManagerId"],
    ],
};
const ACCOUNTS: StageSpec = StageSpec {
    main: "accounts",
    stage: "stage_accounts",
    cols: &[
        ("source_id", T),
        ("name", T),
        ("industry", T),
        ("owner_id", T),
        ("created_ts", I),
    ],
    sources: &[&[], &["Name"], &["Industry"], &["OwnerId"], &["CreatedDate"]],
};
const LEADS: StageSpec = StageSpec {
    main: "leads",
    stage: "stage_leads",
    cols: &[
        ("source_id", T),
        ("owner_id", T),
        ("created_ts", I),
        ("created_month", I),
        ("lead_source", T),
        ("industry", T),
        ("status", T),
        ("rating", T),
        ("is_converted", B),
        ("converted_date", T),
        ("converted_opportunity_id", T),
        ("converted_account_id", T),
        ("company", T),
        ("name", T),
        ("city", T),
        ("annual_revenue_fen", I),
        ("number_of_employees", I),
    ],
    sources: &[
        &[],
        &["OwnerId"],
        &["CreatedDate"],
        &["CreatedDate"],
        &["LeadSource"],
        &["Industry"],
        &["Status"],
        &["Rating"],
        &["IsConverted", "ConvertedDate", "ConvertedOpportunityId"],
        &["ConvertedDate"],
        &["ConvertedOpportunityId"],
        &["ConvertedAccountId"],
        &["Company"],
        &["LastName", "FirstName"],
        &["City"],
        &["AnnualRevenue"],
        &["NumberOfEmployees"],
    ],
};
const OPPORTUNITIES: StageSpec = StageSpec {
    main: "opportunities",
    stage: "stage_opportunities",
    cols: &[
        ("source_id", T),
        ("owner_id", T),
        ("close_date", T),
        ("close_month", I),
        ("stage_name", T),
        ("amount_fen", I),
        ("currency", T),
        ("state", T),
        ("probability", R),
        ("account_id", T),
        ("created_ts", I),
        ("created_month", I),
        ("lead_source", T),
        ("opportunity_type", T),
        ("name", T),
    ],
    sources: &[
        &[],
        &["OwnerId"],
        &["CloseDate"],
        &["CloseDate"],
        &["StageName"],
        &["Amount"],
        &["CurrencyIsoCode"],
        &[],
        &["Probability"],
        &["AccountId"],
        &["CreatedDate"],
        &["CreatedDate"],
        &["LeadSource"],
        &["Type"],
        &["Name"],
    ],
};
const ACTIVITIES: StageSpec = StageSpec {
    main: "activities",
    stage: "stage_activities",
    cols: &[
        ("source_id", T),
        ("kind", T),
        ("owner_id", T),
        ("who_id", T),
        ("what_id", T),
        ("subject", T),
        ("subtype", T),
        ("status", T),
        ("ts", I),
        ("month", I),
        ("is_followup", B),
        ("call_seconds", I),
    ],
    sources: &[
        &[],
        &[],
        &["OwnerId"],
        &["WhoId"],
        &["WhatId"],
        &["Subject"],
        &["TaskSubtype", "Type"],
        &["Status"],
        &[],
        &[],
        &[],
        &["CallDurationInSeconds"],
    ],
};

/// `col = excluded.col` for the columns whose import field the file has (`employee_no`-style keys
/// always keep their row; the required fields are always present).
fn set_clause(pairs: &[(&str, &str)], present: &[String]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, field)| present.iter().any(|p| p == field))
        .map(|(col, _)| format!("{col} = excluded.{col}"))
        .collect();
    if parts.is_empty() {
        "DO NOTHING".into()
    } else {
        format!("DO UPDATE SET {}", parts.join(", "))
    }
}

/// Secondary indexes of the big tables, as in the migrations (kept in step with them).
fn secondary_indexes(table: &str) -> &'static [(&'static str, &'static str)] {
    match table {
        "leads" => &[
            ("leads_month_owner", "leads(created_month, owner_id)"),
            ("leads_owner", "leads(owner_id)"),
            ("leads_created", "leads(created_ts)"),
        ],
        "opportunities" => &[
            ("opportunities_close", "opportunities(close_month, state)"),
            ("opportunities_owner", "opportunities(owner_id)"),
        ],
        "activities" => &[
            ("activities_month_owner", "activities(month, is_followup, owner_id)"),
            ("activities_who", "activities(who_id, is_followup, ts)"),
            ("activities_what", "activities(what_id, is_followup, ts)"),
        ],
        _ => &[],
    }
}

fn stage_spec(kind: ImportKind) -> Option<&'static StageSpec> {
    match kind {
        ImportKind::User => Some(&USERS),
        ImportKind::Account => Some(&ACCOUNTS),
        ImportKind::Lead => Some(&LEADS),
        ImportKind::Opportunity => Some(&OPPORTUNITIES),
        ImportKind::Task | ImportKind::Event => Some(&ACTIVITIES),
        _ => None,
    }
}

fn month_key(d: chrono::NaiveDate) -> i64 {
    Month::of(d).to_key() as i64
}

/// The staging row of a CRM record, in the order of its [`StageSpec`].
/// Appends the staging row of a CRM record to `out`, in the order of its [`StageSpec`]; false for
/// records that are not staged.
fn stage_row(r: Record, tz: Tz, out: &mut Vec<Value>) -> bool {
    match r {
        Record::User(u) => out.extend([
            u.source_id.into(),
            u.name.into(),
            u.email.into(),
            u.is_active.into(),
            u.role_id.into(),
            u.manager_id.into(),
        ]),
        Record::Account(a) => {
            out.extend([
                a.source_id.into(),
                a.name.into(),
                a.industry.into(),
                a.owner_id.into(),
                a.created_at.map(|t| t.timestamp()).into(),
            ]);
        }
        Record::Lead(l) => out.extend([
            l.source_id.into(),
            l.owner_id.into(),
            l.created_at.timestamp().into(),
            (local_month(l.created_at, tz).to_key() as i64).into(),
            l.lead_source.into(),
            l.industry.into(),
            l.status.into(),
            l.rating.into(),
            l.is_converted.into(),
            l.converted_date.map(|d| d.to_string()).into(),
            l.converted_opportunity_id.into(),
            l.converted_account_id.into(),
            l.company.into(),
            l.name.into(),
            l.city.into(),
            l.annual_revenue.map(|m| m.fen()).into(),
            l.number_of_employees.into(),
        ]),
        Record::Opportunity(o) => out.extend([
            o.source_id.into(),
            o.owner_id.into(),
            o.close_date.to_string().into(),
            month_key(o.close_date).into(),
            o.stage_name.into(),
            o.amount.map(|m| m.fen()).into(),
            o.currency.into(),
            o.state.as_str().into(),
            o.probability.into(),
            o.account_id.into(),
            o.created_at.map(|t| t.timestamp()).into(),
            o.created_at.map(|t| local_month(t, tz).to_key() as i64).into(),
            o.lead_source.into(),
            o.opportunity_type.into(),
            o.name.into(),
        ]),
        Record::Activity(a) => out.extend([
            a.source_id.into(),
            match a.kind {
                ActivityKind::Task => "task",
                ActivityKind::Event => "event",
            }
            .into(),
            a.owner_id.into(),
            a.who_id.into(),
            a.what_id.into(),
            a.subject.into(),
            a.subtype.into(),
            a.status.into(),
            a.at.timestamp().into(),
            (local_month(a.at, tz).to_key() as i64).into(),
            a.is_followup.into(),
            a.call_seconds.into(),
        ]),
        _ => return false,
    }
    true
}

/// An import in progress: everything written here is one transaction, committed by
/// [`ImportTx::commit`] and rolled back when dropped.
pub struct ImportTx {
    tx: Tx,
    kind: ImportKind,
    tz: Tz,
    staged: u64,
    inserted: u64,
    updated: u64,
    affected: AffectedMonths,
    departments: HashMap<String, i64>,
    employee_ids: HashMap<String, i64>,
    /// The target table was empty when this kind started: nothing can be replaced, so the merge
    /// skips the joins against old rows and rebuilds secondary indexes after a large load.
    was_empty: bool,
    /// Import fields the current file provides.
    present: Vec<String>,
}

impl Store {
    /// Starts an import transaction; month keys of date-times are taken in zone `tz`. Several files
    /// (kinds) can be written one after another with [`ImportTx::start_kind`] and
    /// [`ImportTx::finish_kind`], and are committed together.
    pub async fn begin_import(&self, tz: Tz) -> Result<ImportTx, StoreError> {
        let tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Pg(p) => Tx::Pg(p.begin().await?),
        };
        Ok(ImportTx {
            tx,
            kind: ImportKind::Roster,
            tz,
            staged: 0,
            inserted: 0,
            updated: 0,
            affected: AffectedMonths::None,
            departments: HashMap::new(),
            employee_ids: HashMap::new(),
            was_empty: false,
            present: Vec::new(),
        })
    }
}

impl ImportTx {
    /// Starts writing records of `kind`.
    /// Starts writing records of `kind`; `present` names the import fields the file provides.
    pub async fn start_kind(&mut self, kind: ImportKind, present: &[&str]) -> Result<(), StoreError> {
        self.kind = kind;
        self.present = present.iter().map(|f| f.to_string()).collect();
        self.staged = 0;
        self.inserted = 0;
        self.updated = 0;
        self.affected = AffectedMonths::None;
        self.was_empty = false;
        if let Some(spec) = stage_spec(kind) {
            // A first load into an empty table needs no staging: nothing can be replaced.
            let probe = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT 1) t", spec.main);
            let any: i64 = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(probe))
                .fetch_one(c)
                .await?);
            self.was_empty = any == 0;
            if self.was_empty {
                // A first load goes straight into the table, its secondary indexes dropped and
                // rebuilt at the end (one sort each instead of a million random inserts).
                for (name, _) in secondary_indexes(spec.main) {
                    let sql = format!("DROP INDEX IF EXISTS {name}");
                    on_tx_impl!(&mut self.tx, |c| {
                        sqlx::query(AssertSqlSafe(sql)).execute(c).await?;
                    });
                }
                return Ok(());
            }
            let pg = matches!(self.tx, Tx::Pg(_));
            let cols: Vec<String> = spec.cols.iter().map(|(n, t)| format!("{n} {}", t.sql(pg))).collect();
            let drop = format!("DROP TABLE IF EXISTS {}", spec.stage);
            let create = format!(
                "CREATE TEMP TABLE {} ({}){}",
                spec.stage,
                cols.join(", "),
                if pg { " ON COMMIT DROP" } else { "" }
            );
            on_tx_impl!(&mut self.tx, |c| {
                sqlx::query(AssertSqlSafe(drop)).execute(&mut *c).await?;
                sqlx::query(AssertSqlSafe(create)).execute(&mut *c).await?;
            });
        }
        Ok(())
    }

    /// Moves staged rows of the current kind into place; returns what was inserted, updated and
    /// which metric months changed.
    pub async fn finish_kind(&mut self) -> Result<ImportCounts, StoreError> {
        if let Some(spec) = stage_spec(self.kind)
            && self.was_empty
        {
            let main = spec.main;
            for (name, def) in secondary_indexes(main) {
                let sql = format!("CREATE INDEX IF NOT EXISTS {name} ON {def}");
                on_tx_impl!(&mut self.tx, |c| {
                    sqlx::query(AssertSqlSafe(sql)).execute(c).await?;
                });
            }
            self.inserted = self.staged;
            // The table holds only this load's rows, so they alone decide the affected months.
            let affected = match self.kind {
                // A lead is under a follow-up cadence for months after its creation, so the months
                // from its creation on can change.
                ImportKind::Lead => {
                    let sql = format!("SELECT MIN(created_month) FROM {main}");
                    let min: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                        .fetch_one(c)
                        .await?);
                    min.map_or(AffectedMonths::None, |m| AffectedMonths::From(m as i32))
                }
                ImportKind::Opportunity => {
                    let sql = format!(
                        "SELECT MIN(CASE WHEN created_month IS NULL THEN 0 WHEN created_month < close_month THEN created_month ELSE close_month END) FROM {main}"
                    );
                    // An opportunity without a creation date is pipeline in every month before it closes,
                    // so it affects the months from the start (month key 0).
                    let min: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                        .fetch_one(c)
                        .await?);
                    min.map_or(AffectedMonths::None, |m| AffectedMonths::From(m as i32))
                }
                // No lead had a follow-up before: every month's first responses can change.
                ImportKind::Task | ImportKind::Event | ImportKind::User => AffectedMonths::All,
                _ => AffectedMonths::None,
            };
            self.touch(affected);
        } else if let Some(spec) = stage_spec(self.kind) {
            let affected = self.merge_stage(spec).await?;
            self.touch(affected);
        }
        Ok(ImportCounts {
            inserted: self.inserted,
            updated: self.updated,
            affected: std::mem::take(&mut self.affected),
        })
    }

    /// Writes a batch of valid records of this import's kind.
    pub async fn write(&mut self, records: Vec<Record>) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        if let Some(spec) = stage_spec(self.kind) {
            let mut rows: Vec<Value> = Vec::with_capacity(records.len() * spec.cols.len());
            for r in records {
                if stage_row(r, self.tz, &mut rows) {
                    self.staged += 1;
                }
            }
            let table = if self.was_empty { spec.main } else { spec.stage };
            return bulk_insert(&mut self.tx, table, spec.cols, rows).await;
        }
        for r in &records {
            self.write_keyed(r).await?;
        }
        Ok(())
    }

    async fn employee_id(&mut self, no: &str) -> Result<Option<i64>, StoreError> {
        if let Some(id) = self.employee_ids.get(no) {
            return Ok(Some(*id));
        }
        let sql = "SELECT id FROM employees WHERE employee_no = $1";
        let id: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(sql)
            .bind(no)
            .fetch_optional(c)
            .await?);
        if let Some(id) = id {
            self.employee_ids.insert(no.to_string(), id);
        }
        Ok(id)
    }

    async fn department_id(&mut self, path: &str) -> Result<i64, StoreError> {
        if let Some(id) = self.departments.get(path) {
            return Ok(*id);
        }
        let mut parent: Option<i64> = None;
        let mut prefix = String::new();
        for part in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if let Some(id) = self.departments.get(&prefix) {
                parent = Some(*id);
                continue;
            }
            let ins =
                "INSERT INTO departments (path, name, parent_id) VALUES ($1, $2, $3) ON CONFLICT (path) DO NOTHING";
            let sel = "SELECT id FROM departments WHERE path = $1";
            let id: i64 = on_tx_impl!(&mut self.tx, |c| {
                sqlx::query(ins)
                    .bind(prefix.as_str())
                    .bind(part)
                    .bind(parent)
                    .execute(&mut *c)
                    .await?;
                sqlx::query_scalar(sel).bind(prefix.as_str()).fetch_one(&mut *c).await?
            });
            self.departments.insert(prefix.clone(), id);
            parent = Some(id);
        }
        parent.ok_or_else(|| StoreError::Corrupt(format!("empty department path {path:?}")))
    }

    fn count(&mut self, existed: bool) {
        if existed { self.updated += 1 } else { self.inserted += 1 }
    }

    fn touch(&mut self, a: AffectedMonths) {
        self.affected = std::mem::take(&mut self.affected).union(a);
    }

    /// Upserts one HR record keyed by employee number (callers check that the employee exists).
    async fn write_keyed(&mut self, r: &Record) -> Result<(), StoreError> {
        match r {
            Record::Employee(e) => {
                let dept = match &e.department {
                    Some(d) => Some(self.department_id(d).await?),
                    None => None,
                };
                let existed = self.employee_id(&e.employee_no).await?.is_some();
                let attrs = serde_json::to_string(&e.attributes).unwrap_or_else(|_| "{}".into());
                let sql = format!(
                    "INSERT INTO employees (employee_no, name, department_id, position, role_family, hire_date, leave_date, \
                    manager_no, email, mobile, city, crm_user_id, industry_experience, birth_date, gender, attributes) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                    ON CONFLICT (employee_no) {}",
                    set_clause(
                        &[
                            ("name", "name"),
                            ("department_id", "department"),
                            ("position", "position"),
                            ("role_family", "role_family"),
                            ("hire_date", "hire_date"),
                            ("leave_date", "leave_date"),
                            ("manager_no", "manager_no"),
                            ("email", "email"),
                            ("mobile", "mobile"),
                            ("city", "city"),
                            ("crm_user_id", "crm_user_id"),
                            ("industry_experience", "industry_experience"),
                            ("birth_date", "birth_date"),
                            ("gender", "gender"),
                            ("attributes", "attributes"),
                        ],
                        &self.present,
                    )
                );
                on_tx_impl!(&mut self.tx, |c| {
                    sqlx::query(AssertSqlSafe(sql.clone()))
                        .bind(&e.employee_no)
                        .bind(&e.name)
                        .bind(dept)
                        .bind(&e.position)
                        .bind(&e.role_family)
                        .bind(e.hire_date.to_string())
                        .bind(e.leave_date.map(|d| d.to_string()))
                        .bind(&e.manager_no)
                        .bind(&e.email)
                        .bind(&e.mobile)
                        .bind(&e.city)
                        .bind(&e.crm_user_id)
                        .bind(&e.industry_experience)
                        .bind(e.birth_date.map(|d| d.to_string()))
                        .bind(&e.gender)
                        .bind(&attrs)
                        .execute(c)
                        .await?;
                });
                self.count(existed);
                self.touch(AffectedMonths::All);
            }
            Record::Target(t) => {
                let Some(emp) = self.employee_id(&t.employee_no).await? else {
                    return Ok(());
                };
                let month = t.month.to_key() as i64;
                let exists = "SELECT COUNT(*) FROM targets WHERE employee_id = $1 AND month = $2";
                let sql = "INSERT INTO targets (employee_id, month, amount_fen) VALUES ($1, $2, $3) \
                    ON CONFLICT (employee_id, month) DO UPDATE SET amount_fen = excluded.amount_fen";
                let n: i64 = on_tx_impl!(&mut self.tx, |c| {
                    let n: i64 = sqlx::query_scalar(exists)
                        .bind(emp)
                        .bind(month)
                        .fetch_one(&mut *c)
                        .await?;
                    sqlx::query(sql)
                        .bind(emp)
                        .bind(month)
                        .bind(t.amount.fen())
                        .execute(&mut *c)
                        .await?;
                    n
                });
                self.count(n > 0);
                self.touch(AffectedMonths::Set([t.month.to_key()].into()));
            }
            Record::Course(k) => {
                let exists = "SELECT COUNT(*) FROM courses WHERE course_id = $1";
                let sql = format!(
                    "INSERT INTO courses (course_id, name, skills, format, hours) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (course_id) {}",
                    set_clause(
                        &[
                            ("name", "course_name"),
                            ("skills", "skill"),
                            ("format", "format"),
                            ("hours", "hours")
                        ],
                        &self.present
                    )
                );
                let n: i64 = on_tx_impl!(&mut self.tx, |c| {
                    let n: i64 = sqlx::query_scalar(exists).bind(&k.course_id).fetch_one(&mut *c).await?;
                    sqlx::query(AssertSqlSafe(sql.clone()))
                        .bind(&k.course_id)
                        .bind(&k.name)
                        .bind(k.skills.join(";"))
                        .bind(&k.format)
                        .bind(k.hours)
                        .execute(&mut *c)
                        .await?;
                    n
                });
                self.count(n > 0);
            }
            Record::Enrollment(en) => {
                let Some(emp) = self.employee_id(&en.employee_no).await? else {
                    return Ok(());
                };
                let assigned = en.assigned_date.to_string();
                let exists =
                    "SELECT COUNT(*) FROM enrollments WHERE employee_id = $1 AND course_id = $2 AND assigned_date = $3";
                let sql = format!(
                    "INSERT INTO enrollments (employee_id, course_id, assigned_date, completed_date, score) VALUES ($1, $2, $3, $4, $5) \
                    ON CONFLICT (employee_id, course_id, assigned_date) {}",
                    set_clause(
                        &[("completed_date", "completed_date"), ("score", "score")],
                        &self.present
                    )
                );
                let n: i64 = on_tx_impl!(&mut self.tx, |c| {
                    let n: i64 = sqlx::query_scalar(exists)
                        .bind(emp)
                        .bind(&en.course_id)
                        .bind(&assigned)
                        .fetch_one(&mut *c)
                        .await?;
                    sqlx::query(AssertSqlSafe(sql.clone()))
                        .bind(emp)
                        .bind(&en.course_id)
                        .bind(&assigned)
                        .bind(en.completed_date.map(|d| d.to_string()))
                        .bind(en.score)
                        .execute(&mut *c)
                        .await?;
                    n
                });
                self.count(n > 0);
                self.touch(AffectedMonths::From(Month::of(en.assigned_date).to_key()));
            }
            Record::Appraisal(a) => {
                let Some(emp) = self.employee_id(&a.employee_no).await? else {
                    return Ok(());
                };
                let exists = "SELECT COUNT(*) FROM appraisals WHERE employee_id = $1 AND period = $2";
                let sql = format!(
                    "INSERT INTO appraisals (employee_id, period, period_end, score, grade, reviewer_no) VALUES ($1, $2, $3, $4, $5, $6) \
                    ON CONFLICT (employee_id, period) {}",
                    set_clause(
                        &[
                            ("period_end", "period"),
                            ("score", "score"),
                            ("grade", "grade"),
                            ("reviewer_no", "reviewer_no")
                        ],
                        &self.present
                    )
                );
                let n: i64 = on_tx_impl!(&mut self.tx, |c| {
                    let n: i64 = sqlx::query_scalar(exists)
                        .bind(emp)
                        .bind(&a.period)
                        .fetch_one(&mut *c)
                        .await?;
                    sqlx::query(AssertSqlSafe(sql.clone()))
                        .bind(emp)
                        .bind(&a.period)
                        .bind(a.period_end.to_string())
                        .bind(a.score)
                        .bind(&a.grade)
                        .bind(&a.reviewer_no)
                        .execute(&mut *c)
                        .await?;
                    n
                });
                self.count(n > 0);
                self.touch(AffectedMonths::From(Month::of(a.period_end).to_key()));
            }
            Record::Leave(l) => {
                let Some(emp) = self.employee_id(&l.employee_no).await? else {
                    return Ok(());
                };
                let exists = "SELECT COUNT(*) FROM employee_leaves WHERE employee_id = $1 AND start_date = $2";
                let sql = "INSERT INTO employee_leaves (employee_id, start_date, end_date, leave_type) VALUES ($1, $2, $3, $4) \
                    ON CONFLICT (employee_id, start_date) DO UPDATE SET end_date = excluded.end_date, leave_type = excluded.leave_type";
                let n: i64 = on_tx_impl!(&mut self.tx, |c| {
                    let n: i64 = sqlx::query_scalar(exists)
                        .bind(emp)
                        .bind(l.start_date.to_string())
                        .fetch_one(&mut *c)
                        .await?;
                    sqlx::query(sql)
                        .bind(emp)
                        .bind(l.start_date.to_string())
                        .bind(l.end_date.to_string())
                        .bind(&l.leave_type)
                        .execute(&mut *c)
                        .await?;
                    n
                });
                self.count(n > 0);
            }
            Record::Capacity(k) => {
                let Some(emp) = self.employee_id(&k.employee_no).await? else {
                    return Ok(());
                };
                let exists = "SELECT COUNT(*) FROM capacities WHERE employee_id = $1";
                let sql = "INSERT INTO capacities (employee_id, max_leads_per_month) VALUES ($1, $2) \
                    ON CONFLICT (employee_id) DO UPDATE SET max_leads_per_month = excluded.max_leads_per_month";
                let n: i64 = on_tx_impl!(&mut self.tx, |c| {
                    let n: i64 = sqlx::query_scalar(exists).bind(emp).fetch_one(&mut *c).await?;
                    sqlx::query(sql)
                        .bind(emp)
                        .bind(k.max_leads_per_month)
                        .execute(&mut *c)
                        .await?;
                    n
                });
                self.count(n > 0);
            }
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "record of the wrong kind for a {} import",
                    self.kind.as_str()
                )));
            }
        }
        Ok(())
    }

    /// Records, inside this transaction, that these metric months need recomputing. Cleared by
    /// [`Store::clear_pending_months`] once a recompute succeeds, so a crash in between loses nothing.
    pub async fn mark_pending(&mut self, months: &AffectedMonths) -> Result<(), StoreError> {
        let read = "SELECT value FROM settings WHERE key = 'metrics_pending'";
        let old: Option<String> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(read).fetch_optional(c).await?);
        let merged = old
            .map(|o| AffectedMonths::decode(&o))
            .unwrap_or_default()
            .union(months.clone());
        let write = "INSERT INTO settings (key, value) VALUES ('metrics_pending', $1) \
            ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        let text = merged.encode();
        on_tx_impl!(&mut self.tx, |c| {
            sqlx::query(write).bind(&text).execute(c).await?;
        });
        Ok(())
    }

    /// Commits everything written.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    async fn merge_stage(&mut self, spec: &StageSpec) -> Result<AffectedMonths, StoreError> {
        let (main, stage) = (spec.main, spec.stage);
        let t = std::time::Instant::now();
        let existing_sql = if self.was_empty {
            "SELECT 0".to_string()
        } else {
            format!("SELECT COUNT(*) FROM {stage} s JOIN {main} m ON m.source_id = s.source_id")
        };
        let existing: i64 = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(existing_sql))
            .fetch_one(c)
            .await?);
        self.updated += existing as u64;
        self.inserted += self.staged - existing as u64;

        // Months touched by the new rows and by the rows they replace.
        // Rows being replaced add their old months; when none are replaced those joins are skipped.
        let replaced = existing > 0;
        tracing::debug!(
            table = main,
            existing,
            secs = t.elapsed().as_secs_f64(),
            "counted rows to replace"
        );
        let months_sql: Option<String> = match self.kind {
            ImportKind::Task | ImportKind::Event if !replaced => Some(format!(
                "SELECT month FROM {stage} UNION SELECT l.created_month FROM leads l JOIN {stage} s ON s.who_id = l.source_id"
            )),
            ImportKind::Task | ImportKind::Event => Some(format!(
                "SELECT month FROM {stage} \
                 UNION SELECT m.month FROM {main} m JOIN {stage} s ON s.source_id = m.source_id \
                 UNION SELECT l.created_month FROM leads l JOIN {stage} s ON s.who_id = l.source_id \
                 UNION SELECT l.created_month FROM leads l JOIN {main} m ON m.who_id = l.source_id JOIN {stage} s ON s.source_id = m.source_id"
            )),
            _ => None,
        };
        let affected = match self.kind {
            // Before this load no lead had a follow-up: every month's first responses can change.
            ImportKind::Task | ImportKind::Event if self.was_empty => AffectedMonths::All,
            ImportKind::User => AffectedMonths::All,
            ImportKind::Account => AffectedMonths::None,
            // A lead's follow-up cadence runs on after its creation month: from there on.
            ImportKind::Lead => {
                let sql = if replaced {
                    format!(
                        "SELECT MIN(x) FROM (SELECT created_month AS x FROM {stage} \
                         UNION ALL SELECT m.created_month FROM {main} m JOIN {stage} s ON s.source_id = m.source_id) t"
                    )
                } else {
                    format!("SELECT MIN(created_month) FROM {stage}")
                };
                let min: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?);
                min.map_or(AffectedMonths::None, |m| AffectedMonths::From(m as i32))
            }
            ImportKind::Opportunity => {
                let sql = format!(
                    "SELECT MIN(x) FROM (SELECT CASE WHEN created_month IS NULL THEN 0 WHEN created_month < close_month THEN created_month ELSE close_month END AS x FROM {stage} \
                     UNION ALL SELECT CASE WHEN m.created_month IS NULL THEN 0 WHEN m.created_month < m.close_month THEN m.created_month ELSE m.close_month END FROM {main} m JOIN {stage} s ON s.source_id = m.source_id) t"
                );
                let min: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?);
                min.map_or(AffectedMonths::None, |m| AffectedMonths::From(m as i32))
            }
            _ => {
                let sql = months_sql.unwrap_or_default();
                let months: Vec<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_all(c)
                    .await?);
                AffectedMonths::Set(months.into_iter().map(|m| m as i32).collect())
            }
        };

        tracing::debug!(
            table = main,
            ?affected,
            secs = t.elapsed().as_secs_f64(),
            "found affected months"
        );
        let cols: Vec<&str> = spec.cols.iter().map(|(n, _)| *n).collect();
        let updates: Vec<String> = cols
            .iter()
            .zip(spec.sources)
            .skip(1)
            .filter(|(_, from)| from.is_empty() || from.iter().any(|f| self.present.iter().any(|p| p == f)))
            .map(|(c, _)| format!("{c} = excluded.{c}"))
            .collect();
        let on_conflict = if updates.is_empty() {
            "DO NOTHING".to_string()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        let upsert = format!(
            "INSERT INTO {main} ({cols}) SELECT {cols} FROM {stage} WHERE true ON CONFLICT (source_id) {on_conflict}",
            cols = cols.join(", "),
        );
        let drop = format!("DROP TABLE IF EXISTS {stage}");
        // Secondary indexes are kept during merges into a non-empty table: rebuilding them re-sorts
        // the whole table, measured slower than maintaining them even for 1M rows into 1M–9M.
        on_tx_impl!(&mut self.tx, |c| {
            sqlx::query(AssertSqlSafe(upsert)).execute(&mut *c).await?;
            sqlx::query(AssertSqlSafe(drop)).execute(&mut *c).await?;
        });
        tracing::debug!(table = main, secs = t.elapsed().as_secs_f64(), "merged staged rows");
        Ok(affected)
    }

    /// Abandons the import; nothing it wrote stays.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// Loads rows into a table: COPY on PostgreSQL, multi-row INSERTs on SQLite.
pub(crate) async fn bulk_insert(
    tx: &mut Tx,
    table: &str,
    spec_cols: &[(&str, ColType)],
    values: Vec<Value>,
) -> Result<(), StoreError> {
    // `values` holds the rows one after another, `spec_cols.len()` values each (no per-row Vec).
    let width = spec_cols.len();
    if values.is_empty() || width == 0 {
        return Ok(());
    }
    let cols: Vec<&str> = spec_cols.iter().map(|(n, _)| *n).collect();
    match tx {
        Tx::Pg(t) => {
            let mut buf = Vec::with_capacity(values.len() * 12);
            for row in values.chunks(width) {
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        buf.push(b'\t');
                    }
                    copy_text(&mut buf, v);
                }
                buf.push(b'\n');
            }
            let stmt = format!("COPY {} ({}) FROM STDIN", table, cols.join(", "));
            let mut copy = t.copy_in_raw(&stmt).await?;
            copy.send(buf).await?;
            copy.finish().await?;
        }
        Tx::Sqlite(t) => {
            // SQLite allows 32766 parameters per statement.
            let per = (30_000 / cols.len()).clamp(1, 1000);
            let mut values = values.into_iter().peekable();
            while values.peek().is_some() {
                // Owned values: strings are moved into the driver instead of copied.
                let chunk: Vec<Value> = values.by_ref().take(per * width).collect();
                let n_rows = chunk.len() / width;
                // OR FAIL: a failing row aborts without undoing the statement's earlier rows, so
                // SQLite keeps no statement journal (costly for multi-row inserts into indexed
                // tables); the whole transaction is rolled back on any error anyway.
                let mut sql = format!("INSERT OR FAIL INTO {} ({}) VALUES ", table, cols.join(", "));
                // Plain `?` here: SQLite looks `$N` names up linearly, quadratic for big statements.
                for r in 0..n_rows {
                    if r > 0 {
                        sql.push(',');
                    }
                    sql.push('(');
                    for c in 0..cols.len() {
                        if c > 0 {
                            sql.push(',');
                        }
                        sql.push('?');
                    }
                    sql.push(')');
                }
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (i, v) in chunk.into_iter().enumerate() {
                    q = bind_sqlite(q, v, spec_cols[i % width].1);
                }
                q.execute(&mut **t).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_staged_column_names_its_sources() {
        for spec in [&USERS, &ACCOUNTS, &LEADS, &OPPORTUNITIES, &ACTIVITIES] {
            assert_eq!(spec.cols.len(), spec.sources.len(), "{}", spec.main);
            assert_eq!(spec.cols[0].0, "source_id");
        }
    }

    #[test]
    fn set_clause_updates_only_present_fields() {
        let present = vec!["email".to_string()];
        assert_eq!(
            set_clause(&[("email", "email"), ("city", "city")], &present),
            "DO UPDATE SET email = excluded.email"
        );
        assert_eq!(set_clause(&[("city", "city")], &present), "DO NOTHING");
    }
}
