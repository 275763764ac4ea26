//! Writers side by side (issue 16, findings 1, 2 and 11): an import transaction and other writes
//! (audit entries) at the same time, on a real database file.

use std::time::Duration;

use uplift_domain::records::{Course, ImportKind, Record};
use uplift_store::{AuditEntry, AuditQuery};
use uplift_testdb::test_db;

fn course(i: usize) -> Record {
    Record::Course(Course {
        course_id: format!("C{i:05}"),
        name: format!("课程 {i}"),
        skills: Vec::new(),
        format: None,
        hours: None,
    })
}

fn read_entry(i: i64) -> AuditEntry {
    AuditEntry {
        ts: 1_790_000_000 + i,
        actor: "director".into(),
        role: Some("director".into()),
        action: "read.appraisal".into(),
        target: Some("api/v1/metrics".into()),
        detail: Some(format!("rows={i}")),
        ip: None,
    }
}

/// An import whose first statements only read (it probes the target table and stages rows in a
/// temporary table) must still commit when someone else writes meanwhile. On SQLite a deferred
/// transaction fails here at its first real write with `SQLITE_BUSY_SNAPSHOT` (517) whatever the
/// busy timeout; the import's transaction takes the write lock at its start instead, and the
/// other writer waits for it.
#[tokio::test]
async fn an_import_commits_while_others_write() {
    let db = test_db().await;
    let store = db.store.clone();
    // A first file makes the table non-empty, so the next import stages into a temporary table.
    let mut tx = store.begin_import(uplift_domain::time::DEFAULT_TZ).await.unwrap();
    tx.start_kind(ImportKind::Course, &["course_id", "course_name"])
        .await
        .unwrap();
    tx.write(vec![course(0)]).await.unwrap();
    tx.finish_kind().await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_import(uplift_domain::time::DEFAULT_TZ).await.unwrap();
    tx.start_kind(ImportKind::Course, &["course_id", "course_name"])
        .await
        .unwrap();
    // Another connection writes while the import is open: a change (audited synchronously) and
    // a burst of read audits through the queue.
    let other = store.clone();
    let change = tokio::spawn(async move {
        other
            .insert_audit(
                1_790_000_000,
                "hr",
                Some("hr"),
                "settings.currency",
                None,
                Some("CNY"),
                None,
            )
            .await
    });
    for i in 0..50 {
        store.queue_audit(read_entry(i)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.write((1..2_000).map(course).collect()).await.unwrap();
    tx.finish_kind().await.unwrap();
    tx.commit()
        .await
        .expect("the import commits although others wrote meanwhile");
    change.await.unwrap().expect("the other writer waited and then wrote");

    let courses = store
        .counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(t, _)| *t == "courses")
        .unwrap()
        .1;
    assert_eq!(courses, 2_000);
    // Every queued read audit is there once a search flushes the queue.
    let reads = store
        .audit(&AuditQuery {
            action: Some("read".into()),
            limit: 1_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(reads.len(), 50);
    let mut details: Vec<_> = reads.iter().filter_map(|r| r.detail.clone()).collect();
    details.sort();
    details.dedup();
    assert_eq!(details.len(), 50);
    let changes = store
        .audit(&AuditQuery {
            action: Some("settings".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
}

/// Audit entries queued in a burst are written in batches, all of them, and a close writes what
/// is still queued.
#[tokio::test]
async fn queued_audit_entries_survive_a_close() {
    let db = test_db().await;
    for i in 0..1_200 {
        db.store.queue_audit(read_entry(i)).await.unwrap();
    }
    db.store.close().await;
    let again = uplift_store::Store::connect(&db.url).await.unwrap();
    let all = again
        .audit(&AuditQuery {
            limit: 5_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1_200);
    assert_eq!(all[0].detail.as_deref(), Some("rows=1199"));
    again.close().await;
}
