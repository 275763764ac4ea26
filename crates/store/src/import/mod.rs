//! Writing imported records in one transaction: bulk staging (COPY on PostgreSQL, multi-row
//! INSERT on SQLite) and a single upsert by source id for CRM objects; keyed upserts for HR files.

mod affected;
mod bulk;
mod keyed;
mod stage;

use crate::conn::BeginWrite;
use chrono_tz::Tz;
use sqlx::{AssertSqlSafe, Postgres, Sqlite, Transaction};
use std::collections::HashMap;

use crate::StoreError;
use crate::conn::{Pool, Store};
use crate::value::Value;
use uplift_domain::records::*;

pub use affected::{AffectedMonths, ImportCounts};
pub(crate) use bulk::bulk_insert;
use stage::{secondary_indexes, stage_row, stage_spec};

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
    /// Deals whose stored splits this import has replaced, with the split ids they had: a deal's
    /// shares come whole from the file that names it.
    split_deals: HashMap<String, std::collections::HashSet<String>>,
}

impl Store {
    /// Starts an import transaction; month keys of date-times are taken in zone `tz`. Several files
    /// (kinds) can be written one after another with [`ImportTx::start_kind`] and
    /// [`ImportTx::finish_kind`], and are committed together.
    pub async fn begin_import(&self, tz: Tz) -> Result<ImportTx, StoreError> {
        let tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_write().await?),
            Pool::Pg(p) => Tx::Pg(p.begin_write().await?),
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
            split_deals: HashMap::new(),
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

    fn count(&mut self, existed: bool) {
        if existed { self.updated += 1 } else { self.inserted += 1 }
    }

    fn touch(&mut self, a: AffectedMonths) {
        self.affected = std::mem::take(&mut self.affected).union(a);
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

    /// Records a file of this import in the history, inside the transaction: the history row
    /// exists exactly when the data does.
    pub async fn record_import(&mut self, r: &crate::NewImportRecord) -> Result<i64, StoreError> {
        Ok(on_tx_impl!(&mut self.tx, |c| crate::people::insert_import_record!(r)
            .fetch_one(c)
            .await?))
    }

    /// Commits everything written.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
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
