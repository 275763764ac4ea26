//! The store's contract where it takes the application's use cases (importing files, recomputing
//! metrics); the tests of the store alone are in `crates/store/tests`.

use uplift_domain::records::ImportKind;
use uplift_store::AffectedMonths;

use crate::support::*;
use uplift_testkit::test_db;

#[tokio::test]
async fn identity_links_follow_roster_changes() {
    let db = test_db().await;
    let d = db.dir();
    std::fs::write(
        d.join("User.csv"),
        "Id,Name,Email\n005A,张三,a@x.cn\n005B,李四,\n005C,王五,\n",
    )
    .unwrap();
    std::fs::write(d.join("roster.csv"), "工号,姓名,入职日期,邮箱,CRM用户ID\nE1,张三,2020-01-01,A@X.CN,\nE2,李四,2020-01-01,,\nE3,赵六,2020-01-01,,005C\n").unwrap();
    import_one(&db.store, &d.join("User.csv"), ImportKind::User, false).await;
    let r = import_one(&db.store, &d.join("roster.csv"), ImportKind::Roster, false).await;
    assert_eq!(r.name_matches, vec![("005B".to_string(), "E2".to_string())]);
    let links = db.store.link_candidates().await.unwrap();
    let how: Vec<Option<&str>> = links.iter().map(|l| l.match_method.as_deref()).collect();
    assert_eq!(how, vec![Some("email"), Some("name"), Some("crm_user_id")]);
}

#[tokio::test]
async fn pending_months_survive_until_a_recompute_succeeds() {
    use uplift_domain::records::ImportKind;
    let db = test_db().await;
    // An import whose recompute never ran (as if the process died after the commit).
    let mut tx = db.store.begin_import(uplift_domain::time::DEFAULT_TZ).await.unwrap();
    tx.start_kind(ImportKind::Course, &["course_id", "course_name"])
        .await
        .unwrap();
    tx.mark_pending(&AffectedMonths::From(202603)).await.unwrap();
    tx.mark_pending(&AffectedMonths::Set([202601].into())).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.store.pending_months().await.unwrap(), AffectedMonths::From(202601));
    uplift_app::metrics::recompute(&db.store, &AffectedMonths::None)
        .await
        .unwrap();
    assert_eq!(db.store.pending_months().await.unwrap(), AffectedMonths::None);
    // A normal import leaves nothing pending.
    std::fs::write(db.dir().join("courses.csv"), "课程编号,课程名称\nC1,谈判\n").unwrap();
    import_one(&db.store, &db.dir().join("courses.csv"), ImportKind::Course, false).await;
    assert_eq!(db.store.pending_months().await.unwrap(), AffectedMonths::None);
}
/// A unique-constraint violation from either database becomes a conflict the user can resolve
/// (409 on the web), naming what clashed; other store failures stay internal.
#[tokio::test]
async fn a_unique_violation_becomes_a_conflict_on_both_databases() {
    use sqlx::Connection;
    let db = test_db().await;
    let create = "CREATE TABLE clash (name TEXT NOT NULL UNIQUE)";
    let insert = "INSERT INTO clash (name) VALUES ('li')";
    let err = if db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(create).execute(&mut c).await.unwrap();
        sqlx::query(insert).execute(&mut c).await.unwrap();
        sqlx::query(insert).execute(&mut c).await.unwrap_err()
    } else {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.url))
            .await
            .unwrap();
        sqlx::query(create).execute(&mut c).await.unwrap();
        sqlx::query(insert).execute(&mut c).await.unwrap();
        sqlx::query(insert).execute(&mut c).await.unwrap_err()
    };
    let store_error = uplift_store::StoreError::Db(err);
    let what = store_error.unique_violation().expect("a unique violation");
    assert!(what.contains("clash"), "{what}");
    match uplift_app::AppError::from(store_error) {
        uplift_app::AppError::Conflict(u) => {
            assert_eq!(u.key, "duplicate");
            let zh = uplift_app::AppError::Conflict(u).render(uplift_domain::Lang::Zh);
            assert!(zh.starts_with("与已有记录重复: "), "{zh}");
        }
        other => panic!("not a conflict: {other:?}"),
    }
    let other = uplift_store::StoreError::Corrupt("x".into());
    assert!(other.unique_violation().is_none());
    assert!(!uplift_app::AppError::from(other).is_user_error());
}
