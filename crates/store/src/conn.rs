//! Connecting, migrating and dispatching one SQL text to either dialect.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crate::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// The Uplift database.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) audit_queue: crate::audit_queue::AuditQueue,
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
/// at the start, waiting (busy timeout) for another writer, instead of upgrading a read snapshot on
/// the first write — which fails at once with `SQLITE_BUSY_SNAPSHOT` (517) whenever anyone else
/// committed meanwhile, however long the busy timeout.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

/// Runs the same block against whichever pool (or transaction) is in use. The block is compiled
/// once per dialect, so binds must be types both dialects encode (i64, f64, bool, text).
macro_rules! on_pool {
    ($store:expr, |$c:ident| $body:expr) => {
        match &$store.pool {
            $crate::conn::Pool::Sqlite($c) => $body,
            $crate::conn::Pool::Pg($c) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Opens (creating if needed) the database at `url` and runs pending migrations.
    /// `url` is `postgres://…`, `sqlite://path`, `sqlite::memory:` or a plain file path.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(url.into()))?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Store {
                pool: Pool::Pg(pool),
                audit_queue: Default::default(),
            }
        } else {
            let opts = if url.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(url.into()))?
            } else {
                if let Some(dir) = Path::new(url).parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
                }
                SqliteConnectOptions::new().filename(url)
            };
            let opts = opts
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                .pragma("page_size", "16384")
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-262144")
                // sqlx hands rows from its worker thread over a channel of this many; the default
                // (50) makes the two threads take turns every 50 rows on the large analysis reads.
                .row_buffer_size(4096);
            let memory = url.contains(":memory:");
            let pool = SqlitePoolOptions::new()
                .max_connections(if memory { 1 } else { 4 })
                .connect_with(opts)
                .await?;
            Store {
                pool: Pool::Sqlite(pool),
                audit_queue: Default::default(),
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations of this dialect. Safe to run again.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Pg(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Pg(_) => Dialect::Postgres,
        }
    }

    /// Writes queued audit entries, then closes all connections (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        self.flush_audit().await;
        on_pool!(self, |p| p.close().await)
    }

    /// Reads a setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT value FROM settings WHERE key = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, String>(sql)
            .bind(key)
            .fetch_optional(p)
            .await?))
    }

    /// Writes a setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let sql =
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        on_pool!(self, |p| {
            sqlx::query(sql).bind(key).bind(value).execute(p).await?;
        });
        Ok(())
    }

    /// Names of the indexes Uplift created (not the automatic ones), sorted.
    pub async fn index_names(&self) -> Result<Vec<String>, StoreError> {
        let sql = match self.pool {
            Pool::Sqlite(_) => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Pool::Pg(_) => {
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY indexname"
            }
        };
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_all(p).await?))
    }

    /// Metric months an import changed that have not been recomputed yet.
    pub async fn pending_months(&self) -> Result<crate::AffectedMonths, StoreError> {
        Ok(self
            .setting("metrics_pending")
            .await?
            .map(|s| crate::AffectedMonths::decode(&s))
            .unwrap_or_default())
    }

    /// Adds months to those waiting for a recompute (outside an import).
    pub async fn mark_metrics_pending(&self, months: &crate::AffectedMonths) -> Result<(), StoreError> {
        let merged = self.pending_months().await?.union(months.clone());
        self.set_setting("metrics_pending", &merged.encode()).await
    }

    /// Forgets pending months after a successful recompute of them. Only the value read before
    /// the recompute is cleared, so an import committed meanwhile keeps its months.
    pub async fn clear_pending_months(&self, seen: &crate::AffectedMonths) -> Result<(), StoreError> {
        let sql = "DELETE FROM settings WHERE key = 'metrics_pending' AND value = $1";
        on_pool!(self, |p| {
            sqlx::query(sql).bind(seen.encode()).execute(p).await?;
        });
        Ok(())
    }

    /// Row counts of the main tables, for summaries and tests.
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        let tables = [
            "departments",
            "employees",
            "crm_users",
            "accounts",
            "leads",
            "opportunities",
            "activities",
            "targets",
            "courses",
            "enrollments",
            "appraisals",
            "capacities",
            "employee_metrics",
            "department_metrics",
        ];
        let mut out = Vec::new();
        for t in tables {
            let sql = format!("SELECT COUNT(*) FROM {t}");
            let n: i64 = on_pool!(self, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_one(p)
                .await?);
            out.push((t, n));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

    /// Both dialects carry the same migrations, version by version and name by name, so a database
    /// moved from one to the other (or a fix written for one) never finds a step missing.
    #[test]
    fn both_dialects_have_the_same_migration_files() {
        let names = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|m| format!("{:04}_{}", m.version, m.description))
                .collect::<Vec<_>>()
        };
        let (sqlite, postgres) = (names(&SQLITE_MIGRATIONS), names(&POSTGRES_MIGRATIONS));
        assert!(sqlite.len() >= 9, "{sqlite:?}");
        assert_eq!(sqlite, postgres);
    }
}
