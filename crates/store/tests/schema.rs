//! Migrations and settings.

use uplift_store::Store;
use uplift_testdb::test_db;

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
