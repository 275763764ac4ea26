//! Crash semantics of an import (issue 16, finding 3): an import killed at any point is all or
//! nothing — its rows and its history row together — and a server started afterwards repairs the
//! metric months it left pending, to the very table an uncrashed import gives.
//!
//! The exact moments come from failpoints (`UPLIFT_FAILPOINT`, see `uplift_app::failpoint`);
//! timed `kill -9`s at fractions of a measured import add the moments nobody named.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use uplift_store::{AffectedMonths, Store};
use uplift_testkit::{TestDb, test_db};

use crate::{text, uplift};

fn import(db: &TestDb, src: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_uplift"));
    c.arg("--data-dir")
        .arg(db.dir())
        .args(["--database-url", &db.url, "import", "dir"])
        .arg(src)
        .env("LANG", "en_US.UTF-8")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn metrics_csv(db: &TestDb) -> String {
    let out = uplift(db.dir(), &db.url, &["metrics", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

async fn leads(store: &Store) -> i64 {
    let counts = store.counts().await.unwrap();
    counts.iter().find(|(t, _)| *t == "leads").unwrap().1
}

/// Starts `uplift serve`, waits until no metric month is pending, and kills it.
async fn serve_until_repaired(db: &TestDb) {
    let mut server: Child = Command::new(env!("CARGO_BIN_EXE_uplift"))
        .arg("--data-dir")
        .arg(db.dir())
        .args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while db.store.pending_months().await.unwrap() != AffectedMonths::None {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server did not repair in 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

/// What the database holds after a crash: nothing of the import, or all of it with its history.
async fn all_or_nothing(db: &TestDb, full: i64, files: usize) -> bool {
    let n = leads(&db.store).await;
    let history = db.store.import_history(100).await.unwrap();
    let committed = history.iter().filter(|h| h.status == "committed").count();
    if n == 0 {
        assert_eq!(committed, 0, "history rows without data");
        false
    } else {
        assert_eq!(n, full, "a partial import");
        assert_eq!(committed, files, "data without its history rows");
        true
    }
}

#[tokio::test]
async fn an_import_killed_anywhere_is_all_or_nothing_and_the_server_repairs_it() {
    let reference = test_db().await;
    let src = reference.dir().join("src");
    let out = uplift(
        reference.dir(),
        &reference.url,
        &[
            "bench",
            "generate",
            "--out",
            src.to_str().unwrap(),
            "--employees",
            "150",
            "--months",
            "15",
            "--leads",
            "8000",
            "--opportunities",
            "2500",
            "--tasks",
            "15000",
            "--seed",
            "7",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files = std::fs::read_dir(&src).unwrap().count();
    let t = Instant::now();
    let out = import(&reference, &src).output().unwrap();
    let took = t.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let full = leads(&reference.store).await;
    assert_eq!(full, 8000);
    let expected = metrics_csv(&reference);
    assert!(expected.lines().count() > 150 * 12, "{}", expected.lines().count());

    use uplift_app::failpoint::*;
    for (point, commits) in [
        (IMPORT_BEFORE_COMMIT, false),
        (IMPORT_AFTER_COMMIT, true),
        (RECOMPUTE_AFTER_FIRST_CHUNK, true),
    ] {
        let db = test_db().await;
        let out = import(&db, &src).env("UPLIFT_FAILPOINT", point).output().unwrap();
        assert_eq!(out.status.code(), Some(137), "{point}: {}", text(&out.stderr));
        assert_eq!(all_or_nothing(&db, full, files).await, commits, "{point}");
        if commits {
            assert_ne!(
                db.store.pending_months().await.unwrap(),
                AffectedMonths::None,
                "{point}"
            );
        }
        serve_until_repaired(&db).await;
        if !commits {
            let out = import(&db, &src).output().unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        assert_eq!(metrics_csv(&db), expected, "{point}");
    }

    // kill -9 at fractions of the import's own duration.
    for fraction in [0.25, 0.5, 0.7, 0.85, 0.95] {
        let db = test_db().await;
        let mut child = import(&db, &src).spawn().unwrap();
        tokio::time::sleep(took.mul_f64(fraction)).await;
        let _ = child.kill();
        child.wait().unwrap();
        let committed = all_or_nothing(&db, full, files).await;
        serve_until_repaired(&db).await;
        if !committed {
            let out = import(&db, &src).output().unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        assert_eq!(metrics_csv(&db), expected, "killed at {fraction} of {took:?}");
    }
}
