//! A fresh database per test, for crates that need only the store: a temporary SQLite file, or,
//! when `TEST_DATABASE_URL` names a PostgreSQL server, a new database created on it and dropped
//! after. `uplift-testkit` re-exports all of it beside its application helpers.

use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection};
use std::path::Path;
use uplift_store::Store;

/// A store on its own database; the database is removed when this is dropped.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Where test files can be written.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Whether this test runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

/// The server URL tests use for PostgreSQL, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// Opens a fresh, migrated store.
pub async fn test_db() -> TestDb {
    install_crypto();
    let dir = tempfile::tempdir().expect("temp dir");
    match postgres_url() {
        None => {
            let url = dir.path().join("test.db").display().to_string();
            let store = Store::connect(&url).await.expect("open sqlite");
            TestDb {
                store,
                url,
                _dir: dir,
                pg: None,
            }
        }
        Some(server) => {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                ^ ((std::process::id() as u64) << 32);
            let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
            let name = format!("uplift_test_{:016x}", rng.random::<u64>());
            let mut admin = PgConnection::connect(&server)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
            admin.close().await.ok();
            let url = with_database(&server, &name);
            let store = Store::connect(&url).await.expect("open postgres");
            TestDb {
                store,
                url,
                _dir: dir,
                pg: Some((server, name)),
            }
        }
    }
}

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.pg.take() {
            // Dropping runs outside the test's runtime, on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut admin) = PgConnection::connect(&server).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut admin)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Installs the process-wide TLS crypto provider (ring), as `uplift_app::install_crypto` does:
/// sqlx's PostgreSQL connections use rustls. Installing twice is harmless.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
