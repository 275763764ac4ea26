//! Test support: a fresh database per test — a temporary SQLite file, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server, a new database created on it and dropped after
//! (from `uplift-testdb`, re-exported here) — and a running application over one, fakes of the
//! outside services, and the golden company's files.

pub mod fakes;
pub mod hostile;

use std::path::PathBuf;
pub use uplift_testdb::{TestDb, postgres_url, test_db, with_database};

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
    spawn_app_with(db, |state| state).await
}

/// Starts the web application over an existing test database, its state adjusted first (e.g.
/// trusted proxies).
pub async fn spawn_app_with(db: TestDb, adjust: impl FnOnce(uplift_web::AppState) -> uplift_web::AppState) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let uploads = db.dir().join("uploads");
    std::fs::create_dir_all(&uploads).expect("upload dir");
    let state = adjust(uplift_web::AppState::new(db.store.clone(), uploads, false));
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
