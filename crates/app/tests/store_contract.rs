//! The store's contract, the same on SQLite and PostgreSQL.

use uplift_domain::Month;
use uplift_domain::metric_data::{EmployeeMonthMetrics, UnitMonthMetrics};
use uplift_domain::records::ImportKind;
use uplift_store::{AffectedMonths, MetricFilter, Store};

use crate::support::*;
use uplift_testkit::test_db;

#[tokio::test]
async fn migrations_run_again_safely_and_settings_round_trip() {
    let db = test_db().await;
    db.store.migrate().await.unwrap();
    let again = Store::connect(&db.url).await.unwrap();
    again.migrate().await.unwrap();
    assert_eq!(db.store.setting("timezone").await.unwrap(), None);
    db.store.set_setting("timezone", "Asia/Shanghai").await.unwrap();
    db.store.set_setting("timezone", "Asia/Urumqi").await.unwrap();
    assert_eq!(again.setting("timezone").await.unwrap().as_deref(), Some("Asia/Urumqi"));
    again.close().await;
}

#[tokio::test]
async fn metric_rows_round_trip_with_nulls_and_filters() {
    let db = test_db().await;
    std::fs::write(
        db.dir().join("roster.csv"),
        "工号,姓名,部门,入职日期\nE1,甲,中心/一部,2020-01-01\nE2,乙,中心,2020-01-01\nE3,丙,中心二,2020-01-01\nE4,丁,a_b,2020-01-01\nE5,戊,aXb/c,2020-01-01\n",
    )
    .unwrap();
    import_one(&db.store, &db.dir().join("roster.csv"), ImportKind::Roster, false).await;
    let ids: Vec<i64> = db.store.employee_keys().await.unwrap().iter().map(|e| e.id).collect();
    let full = EmployeeMonthMetrics {
        employee_id: ids[0],
        month: 202603,
        days_employed: 31,
        fte: 1.0,
        contribution_fen: 12_345_678,
        orders_won: 3,
        per_capita_contribution: Some(123_456.78),
        avg_deal_size: Some(41_152.26),
        target_fen: Some(10_000_000),
        quota_attainment: Some(1.2345678),
        pipeline_fen: 500,
        leads_received: 10,
        leads_converted: 2,
        lead_conversion_rate: Some(0.2),
        deals_lost: 1,
        win_rate: Some(0.75),
        followups: 40,
        followups_per_week: Some(9.032258),
        first_response_hours: Some(3.25),
        leads_contacted_24h: 9,
        contacted_within_24h_rate: Some(0.9),
        tenure_months: Some(74),
        trainings_assigned_to_date: 2,
        trainings_done_to_date: 1,
        training_completion_rate: Some(0.5),
        trainings_completed: 1,
        appraisal_score: Some(3.7),
        cadence_days: 12.5,
        cadence_days_on_time: 10.0,
        cadence_compliance: Some(0.8),
        presale_cadence_days: 4.0,
        presale_cadence_days_on_time: 1.0,
        presale_cadence_compliance: Some(0.25),
    };
    let empty = EmployeeMonthMetrics {
        employee_id: ids[1],
        month: 202603,
        days_employed: 15,
        fte: 0.5,
        ..Default::default()
    };
    let third = EmployeeMonthMetrics {
        employee_id: ids[2],
        month: 202604,
        days_employed: 30,
        fte: 1.0,
        ..Default::default()
    };
    let unit = UnitMonthMetrics {
        department_id: None,
        month: 202603,
        headcount_avg: 1.5,
        members: 2,
        win_rate: Some(0.5),
        cadence_compliance: Some(0.25),
        presale_cadence_compliance: Some(0.125),
        ..Default::default()
    };
    db.store
        .replace_metrics(
            &[202603, 202604],
            &[full.clone(), empty.clone(), third.clone()],
            std::slice::from_ref(&unit),
        )
        .await
        .unwrap();
    let all = db.store.employee_metrics(&MetricFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.metrics.clone()).collect::<Vec<_>>(),
        vec![full.clone(), empty.clone(), third]
    );
    assert_eq!(all[0].department.as_deref(), Some("中心/一部"));
    // A department includes its sub-departments, and only them ("中心二" is not under "中心").
    let centre = db
        .store
        .employee_metrics(&MetricFilter {
            department: Some("中心".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        centre.iter().map(|r| r.employee_no.as_str()).collect::<Vec<_>>(),
        vec!["E1", "E2"]
    );
    let april = db
        .store
        .employee_metrics(&MetricFilter {
            from: Month::new(2026, 4),
            to: Month::new(2026, 4),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(april.len(), 1);
    let one = db
        .store
        .employee_metrics(&MetricFilter {
            employee_no: Some("E2".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(one[0].metrics, empty);
    let units = db.store.unit_metrics(&MetricFilter::default()).await.unwrap();
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].metrics, unit);
    assert_eq!(units[0].department, None);
    // Replacing a month removes its old rows.
    db.store.replace_metrics(&[202603], &[], &[]).await.unwrap();
    assert_eq!(
        db.store.employee_metrics(&MetricFilter::default()).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn affected_month_sets_combine() {
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
    assert_eq!(
        AffectedMonths::decode(&AffectedMonths::From(202603).encode()),
        AffectedMonths::From(202603)
    );
    let set = AffectedMonths::Set([202601, 202602].into());
    assert_eq!(AffectedMonths::decode(&set.encode()), set);
    assert_eq!(AffectedMonths::decode("garbage"), AffectedMonths::All);
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

/// Every table and column, as `table.column`, sorted: what the migrations built.
async fn columns_of(url: &str) -> Vec<String> {
    use sqlx::Connection;
    let mut out: Vec<String> = if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        rows.into_iter().map(|(t, c)| format!("{t}.{c}")).collect()
    } else {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{url}"))
            .await
            .unwrap();
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        rows.into_iter().map(|(t, c)| format!("{t}.{c}")).collect()
    };
    out.sort();
    out
}

/// The two migration folders build the same tables with the same columns (names; types differ by
/// dialect on purpose). Needs both databases, so it runs in the PostgreSQL pass of the suite.
#[tokio::test]
async fn sqlite_and_postgres_migrations_build_the_same_tables_and_columns() {
    let pg = test_db().await;
    if !pg.is_postgres() {
        eprintln!("skipped: compares with PostgreSQL, set TEST_DATABASE_URL");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = dir.path().join("schema.db").display().to_string();
    Store::connect(&sqlite_url).await.unwrap().close().await;
    let (sqlite, postgres) = (columns_of(&sqlite_url).await, columns_of(&pg.url).await);
    assert!(
        sqlite
            .iter()
            .any(|c| c == "employee_metrics.presale_cadence_compliance"),
        "{sqlite:?}"
    );
    let only_sqlite: Vec<_> = sqlite.iter().filter(|c| !postgres.contains(c)).collect();
    let only_postgres: Vec<_> = postgres.iter().filter(|c| !sqlite.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only on SQLite: {only_sqlite:?}\nonly on PostgreSQL: {only_postgres:?}"
    );
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
