//! Metric months an import left pending — a crash between its commit and its recompute (issue 16,
//! finding 3) — are recomputed by the server's repair loop, at start-up and while it runs, to the
//! same table a full recompute gives.

use std::time::Duration;

use uplift_app::metrics::{RepairTiming, keep_metrics_current, recompute_pending};
use uplift_store::{AffectedMonths, Store};
use uplift_testkit::test_db;

use crate::support::{golden_dir, import_dir, metrics_csv};

async fn wait_until_current(store: &Store) {
    for _ in 0..600 {
        if !recompute_pending(store).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("metric months still pending after a minute");
}

/// What a crash after the import's commit leaves: the rows stale (here: gone), the months pending.
async fn crash_after_commit(store: &Store) {
    store.delete_metrics_outside(None).await.unwrap();
    store.mark_metrics_pending(&AffectedMonths::All).await.unwrap();
    assert!(recompute_pending(store).await.unwrap());
}

#[tokio::test]
async fn months_left_pending_are_recomputed_at_start_and_while_running() {
    let db = test_db().await;
    import_dir(&db.store, &golden_dir()).await;
    let expected = metrics_csv(&db.store).await;
    assert!(expected.lines().count() > 10);

    crash_after_commit(&db.store).await;
    assert_ne!(metrics_csv(&db.store).await, expected);
    let timing = RepairTiming {
        check_every: Duration::from_millis(20),
        abandoned_after: Duration::from_millis(200),
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let repair = tokio::spawn(keep_metrics_current(db.store.clone(), timing, stop_rx));
    wait_until_current(&db.store).await;
    assert_eq!(metrics_csv(&db.store).await, expected, "repaired at start-up");

    crash_after_commit(&db.store).await;
    wait_until_current(&db.store).await;
    assert_eq!(metrics_csv(&db.store).await, expected, "repaired while running");

    stop.send(true).unwrap();
    repair.await.unwrap();
}
