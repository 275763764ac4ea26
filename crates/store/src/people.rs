//! Reference data for validating imports, CRM user ↔ employee links, and the import history.

use crate::conn::BeginWrite;
use sqlx::FromRow;

use crate::StoreError;
use crate::conn::{Store, on_pool};

/// A CRM user as owner matching needs it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CrmUserKey {
    pub source_id: String,
    pub name: String,
    pub email: Option<String>,
}

/// An employee as reference checks and identity matching need it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct EmployeeKey {
    pub id: i64,
    pub employee_no: String,
    pub name: String,
    pub email: Option<String>,
    pub crm_user_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub hire_date: String,
}

/// A CRM user with its current link.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LinkCandidate {
    pub id: i64,
    pub source_id: String,
    pub name: String,
    pub email: Option<String>,
    pub employee_id: Option<i64>,
    pub match_method: Option<String>,
}

/// One past import.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct ImportHistory {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub started_ts: i64,
    pub finished_ts: Option<i64>,
    pub status: String,
    pub rows_read: i64,
    pub inserted: i64,
    pub updated: i64,
    pub rejected: i64,
    pub report: String,
}

/// The insert of a [`NewImportRecord`] `$r`, returning the row's id, for either dialect (a macro
/// because the same binds serve a pool and a transaction of two database types).
macro_rules! insert_import_record {
    ($r:expr) => {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO imports (kind, file_name, started_ts, finished_ts, status, rows_read, inserted, updated, \
             rejected, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&$r.kind)
        .bind(&$r.file_name)
        .bind($r.started_ts)
        .bind($r.finished_ts)
        .bind(&$r.status)
        .bind($r.rows_read)
        .bind($r.inserted)
        .bind($r.updated)
        .bind($r.rejected)
        .bind(&$r.report_json)
    };
}
pub(crate) use insert_import_record;

impl Store {
    pub async fn crm_user_keys(&self) -> Result<Vec<CrmUserKey>, StoreError> {
        let sql = "SELECT source_id, name, email FROM crm_users";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    pub async fn employee_keys(&self) -> Result<Vec<EmployeeKey>, StoreError> {
        let sql = "SELECT id, employee_no, name, email, crm_user_id, hire_date FROM employees ORDER BY employee_no";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Every opportunity id (payments and splits are checked against them).
    pub async fn opportunity_ids(&self) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT source_id FROM opportunities";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_all(p).await?))
    }

    pub async fn course_ids(&self) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT course_id FROM courses";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_all(p).await?))
    }

    pub async fn link_candidates(&self) -> Result<Vec<LinkCandidate>, StoreError> {
        let sql = "SELECT id, source_id, name, email, employee_id, match_method FROM crm_users ORDER BY source_id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Sets CRM user → employee links: (crm user row id, employee id, how it was matched).
    pub async fn set_links(&self, links: &[(i64, Option<i64>, Option<String>)]) -> Result<(), StoreError> {
        let sql = "UPDATE crm_users SET employee_id = $2, match_method = $3 WHERE id = $1";
        on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            for (id, emp, how) in links {
                sqlx::query(sql).bind(id).bind(emp).bind(how).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records a rejected or rolled-back import in the history (a committed one is recorded inside
    /// its transaction, [`crate::ImportTx::record_import`]).
    pub async fn record_import(&self, r: &NewImportRecord) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |p| insert_import_record!(r).fetch_one(p).await?))
    }

    /// The newest imports first.
    pub async fn import_history(&self, limit: i64) -> Result<Vec<ImportHistory>, StoreError> {
        let sql = "SELECT id, kind, file_name, started_ts, finished_ts, status, rows_read, inserted, updated, rejected, report \
            FROM imports ORDER BY id DESC LIMIT $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(limit).fetch_all(p).await?))
    }

    /// One import by id.
    pub async fn import_by_id(&self, id: i64) -> Result<Option<ImportHistory>, StoreError> {
        let sql = "SELECT id, kind, file_name, started_ts, finished_ts, status, rows_read, inserted, updated, rejected, report \
            FROM imports WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await?))
    }
}

/// One file's line of the import history.
#[derive(Debug, Clone)]
pub struct NewImportRecord {
    pub kind: String,
    pub file_name: String,
    pub started_ts: i64,
    pub finished_ts: i64,
    /// `committed`, `rejected` or `rolled_back`.
    pub status: String,
    pub rows_read: i64,
    pub inserted: i64,
    pub updated: i64,
    pub rejected: i64,
    /// Problems and unknown columns, as JSON.
    pub report_json: String,
}
