//! Which metric months wait for a recompute: [`AffectedMonths`] and its stored form.

use uplift_domain::records::ImportKind;
use uplift_store::AffectedMonths;
use uplift_testdb::test_db;

#[test]
fn affected_month_sets_combine() {
    use AffectedMonths::*;
    let s = |v: &[i32]| Set(v.iter().copied().collect());
    assert_eq!(s(&[202603]).union(s(&[202605])), s(&[202603, 202605]));
    assert_eq!(s(&[202603]).union(From(202605)), From(202603));
    assert_eq!(None.union(From(202605)), From(202605));
    assert_eq!(From(202601).union(All), All);
    assert_eq!(
        From(202611).within((202610, 202702)),
        vec![202611, 202612, 202701, 202702]
    );
    assert_eq!(s(&[202501, 202611]).within((202610, 202612)), vec![202611]);
}

#[test]
fn affected_months_encode_and_decode_round_trip() {
    use AffectedMonths::*;
    for months in [
        None,
        All,
        From(202603),
        Set([202601, 202602].into()),
        Set([202612].into()),
    ] {
        assert_eq!(AffectedMonths::decode(&months.encode()), months, "{months:?}");
    }
    assert_eq!(None.encode(), "");
    assert_eq!(From(202603).encode(), "from:202603");
    assert_eq!(Set([202602, 202601].into()).encode(), "set:202601,202602");
    // Anything unreadable means every month: recomputing too much is safe, too little is not.
    for text in ["garbage", "from:", "from:x", "set:2026a", "ALL"] {
        assert_eq!(AffectedMonths::decode(text), All, "{text:?}");
    }
    assert_eq!(AffectedMonths::decode("  from:202603 "), From(202603));
}

/// Pending months are stored with the import that caused them (and not without it), add up, and
/// are cleared only as they were when a recompute read them.
#[tokio::test]
async fn pending_months_are_written_with_the_import_and_cleared_as_seen() {
    let db = test_db().await;
    assert_eq!(db.store.pending_months().await.unwrap(), AffectedMonths::None);
    // Rolled back: nothing pending.
    let mut tx = db.store.begin_import(uplift_domain::time::DEFAULT_TZ).await.unwrap();
    tx.start_kind(ImportKind::Course, &["course_id", "course_name"])
        .await
        .unwrap();
    tx.mark_pending(&AffectedMonths::All).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(db.store.pending_months().await.unwrap(), AffectedMonths::None);
    // Committed: the union of what was marked.
    let mut tx = db.store.begin_import(uplift_domain::time::DEFAULT_TZ).await.unwrap();
    tx.start_kind(ImportKind::Course, &["course_id", "course_name"])
        .await
        .unwrap();
    tx.mark_pending(&AffectedMonths::Set([202604].into())).await.unwrap();
    tx.mark_pending(&AffectedMonths::Set([202602].into())).await.unwrap();
    tx.commit().await.unwrap();
    let seen = db.store.pending_months().await.unwrap();
    assert_eq!(seen, AffectedMonths::Set([202602, 202604].into()));
    // Marked outside an import, while a recompute of `seen` runs: that recompute does not clear it.
    db.store
        .mark_metrics_pending(&AffectedMonths::From(202605))
        .await
        .unwrap();
    db.store.clear_pending_months(&seen).await.unwrap();
    let now = db.store.pending_months().await.unwrap();
    assert_eq!(now, AffectedMonths::From(202602));
    db.store.clear_pending_months(&now).await.unwrap();
    assert_eq!(db.store.pending_months().await.unwrap(), AffectedMonths::None);
}
