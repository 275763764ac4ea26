//! Test support: a fresh database per test — a temporary SQLite file, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server, a new database created on it and dropped after.

pub mod fakes;

use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection};
use std::path::{Path, PathBuf};
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
    uplift_app::install_crypto();
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

/// The repository root (tests run with the crate folder as working directory).
pub fn repo_root() -> PathBuf {
    let mut p = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !p.join("Cargo.lock").exists() && !p.join(".git").exists() {
        if !p.pop() {
            break;
        }
    }
    p
}

/// The golden company of the metric contract (`docs/spec/metrics.md`): its CRM and HR files and
/// `expected_metrics.csv`, copied into the test kit so the repository stands alone.
pub fn golden_dir() -> PathBuf {
    repo_root().join("crates/testkit/data/golden")
}

/// A running Uplift server on a free port, over its own database.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// `http://127.0.0.1:port` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Starts the web application on 127.0.0.1 (a free port) over a fresh test database.
pub async fn spawn_app() -> TestApp {
    let db = test_db().await;
    spawn_app_on(db).await
}

/// Starts the web application over an existing test database.
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let uploads = db.dir().join("uploads");
    std::fs::create_dir_all(&uploads).expect("upload dir");
    let state = uplift_web::AppState::new(db.store.clone(), uploads, false);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        uplift_web::serve(state, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    TestApp {
        addr,
        db,
        stop: Some(tx),
        task: Some(task),
    }
}
