//! Mapping files: the shipped Maven CRM example imports the real public dataset.

use std::collections::HashMap;

use uplift_app::import::{files_in_manifest, import_files};
use uplift_domain::Month;
use uplift_store::MetricFilter;

use crate::support::*;
use uplift_testkit::{repo_root, test_db};

#[tokio::test]
async fn maven_crm_example_imports_and_gives_per_agent_monthly_contribution() {
    let db = test_db().await;
    let files = files_in_manifest(&repo_root().join("examples/maven-crm/manifest.toml")).expect("manifest");
    let r = import_files(&db.store, files, Vec::new(), false, &no_progress)
        .await
        .expect("import");
    assert!(r.committed, "{:?}", r.issue_lines(uplift_domain::Lang::En));
    assert_eq!(count(&db.store, "employees").await, 35);
    assert_eq!(count(&db.store, "opportunities").await, 8800);
    assert!(r.unmatched_crm_users.is_empty());

    // Truth straight from the dataset: Σ close_value of Won deals per agent and close month.
    let text = std::fs::read_to_string(repo_root().join("examples/maven-crm/data/sales_pipeline.csv")).unwrap();
    let (h, rows) = parse_csv(&text);
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let mut truth: HashMap<(String, Month), f64> = HashMap::new();
    for r in &rows {
        if r[col("deal_stage")] == "Won" {
            let m = Month::parse(&r[col("close_date")][..7]).unwrap();
            *truth.entry((r[col("sales_agent")].clone(), m)).or_default() +=
                r[col("close_value")].parse::<f64>().unwrap();
        }
    }
    let stored = db.store.employee_metrics(&MetricFilter::default()).await.unwrap();
    let mut total = 0.0;
    for row in &stored {
        let m = Month::from_key(row.metrics.month).unwrap();
        let want = truth.get(&(row.employee_no.clone(), m)).copied().unwrap_or(0.0);
        assert!(
            (row.metrics.contribution_fen as f64 / 100.0 - want).abs() < 0.005,
            "{} {m}",
            row.employee_no
        );
        total += want;
    }
    assert_eq!(total, 10_005_534.0, "the README's won total");
    let central = db
        .store
        .unit_metrics(&MetricFilter {
            department: Some("Central".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!central.is_empty() && central.iter().all(|u| u.department.as_deref() == Some("Central")));

    // The insight engine on the same real data: a forecast for every agent of the month after the
    // data, a backtest that beats "same as last month", drivers led by the pipeline, alerts
    // against each agent's own average (no targets in this dataset), an effect evaluation.
    use uplift_domain::access::Scope;
    let all = Scope::All;
    let f = uplift_app::forecast::forecast(&db.store, &all, &Default::default())
        .await
        .expect("forecast");
    assert_eq!((f.month.as_str(), f.people.len()), ("2018-01", 35));
    assert!(f.total.forecast > 100_000.0, "{}", f.total.forecast);
    let b = uplift_app::forecast::backtest(&db.store, &all, 6)
        .await
        .expect("backtest");
    assert!(b.accuracy[0].mae < b.accuracy[1].mae, "{:?}", b.accuracy);
    assert!(b.accuracy[0].bias.abs() < 0.2 * b.accuracy[0].mae, "{:?}", b.accuracy);
    let q = uplift_app::insights::DriversQuery {
        target: "contribution".into(),
        from: None,
        to: None,
        department: None,
    };
    let d = uplift_app::insights::drivers(&db.store, &all, &q, uplift_domain::Lang::En)
        .await
        .expect("drivers");
    // The pipeline led this ranking until issue 17: an outcome, now never ranked, only a path.
    assert!(
        d.drivers
            .iter()
            .all(|x| x.layer != uplift_app::insights::Layer::Outcome)
    );
    for outcome in ["pipeline_value", "lead_conversion_rate", "win_rate", "avg_deal_size"] {
        assert!(
            d.drivers.iter().all(|x| x.feature != outcome),
            "{outcome}: {:#?}",
            d.drivers
        );
    }
    assert!(d.excluded.iter().any(|e| e.feature == "pipeline_value"));
    let a = uplift_app::alerts::alerts(&db.store, &all, &Default::default(), uplift_domain::Lang::En)
        .await
        .expect("alerts");
    assert!(!a.alerts.is_empty() && a.alerts.iter().all(|x| x.reference_kind == "own_average"));
    let e = uplift_app::effect::evaluate(
        &db.store,
        &all,
        &uplift_app::effect::EffectQuery {
            name: "Central pilot".into(),
            treated: Some("Central".into()),
            start: Some("2017-07-01".parse().unwrap()),
            ..Default::default()
        },
        "test",
        uplift_domain::Lang::En,
    )
    .await
    .expect("effect");
    // Nothing was done to Central in July 2017: nothing may be claimed.
    assert_eq!(e.verdict, "inconclusive", "{}", e.summary);
    assert_eq!((e.treated_n, e.control_n), (11, 24));
}

#[tokio::test]
async fn a_mapping_with_owner_matching_by_email_and_value_tables() {
    let db = test_db().await;
    let dir = db.dir();
    std::fs::write(dir.join("User.csv"), "Id,Name,Email\n005A,张三,zs@a.cn\n").unwrap();
    import_one(
        &db.store,
        &dir.join("User.csv"),
        uplift_domain::records::ImportKind::User,
        false,
    )
    .await;
    std::fs::write(
        dir.join("deals.csv"),
        "编号,负责人邮箱,成交日,状态,金额\nD1,ZS@A.CN,2026/3/5,赢单了,\"¥12,000.50\"\nD2,zs@a.cn,2026/3/6,跟进中,100\n",
    )
    .unwrap();
    let mapping = uplift_io::Mapping::parse(
        r#"kind = "opportunity"
owner_match = "email"
[columns]
Id = "编号"
OwnerId = "负责人邮箱"
CloseDate = "成交日"
StageName = "状态"
Amount = "金额"
[values.StageName]
"赢单了" = "Closed Won""#,
        None,
    )
    .unwrap();
    let r = import_one_mapped(
        &db.store,
        &dir.join("deals.csv"),
        uplift_domain::records::ImportKind::Opportunity,
        Some(mapping.clone()),
        false,
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(uplift_domain::Lang::En));
    // Running users and deals again in one go (as a manifest re-run does) must still match by email.
    use uplift_app::import::ImportFile;
    use uplift_domain::records::ImportKind;
    let files = vec![
        ImportFile {
            path: dir.join("User.csv"),
            kind: ImportKind::User,
            mapping: None,
            sheet: None,
        },
        ImportFile {
            path: dir.join("deals.csv"),
            kind: ImportKind::Opportunity,
            mapping: Some(mapping),
            sheet: None,
        },
    ];
    let again = uplift_app::import::import_files(&db.store, files, Vec::new(), false, &no_progress)
        .await
        .unwrap();
    assert!(again.committed, "{:?}", again.issue_lines(uplift_domain::Lang::En));
    let csv = metrics_csv(&db.store).await;
    assert!(
        csv.is_empty() || parse_csv(&csv).1.is_empty(),
        "no employees yet, so no metric rows"
    );
    let inputs = db
        .store
        .load_metric_inputs(&[202603], uplift_domain::time::DEFAULT_TZ)
        .await
        .unwrap();
    assert!(
        inputs.closed_deals.is_empty(),
        "the owner is not linked to an employee yet"
    );
    std::fs::write(
        dir.join("roster.csv"),
        "工号,姓名,入职日期,邮箱\nE1,张三,2025-01-01,zs@a.cn\n",
    )
    .unwrap();
    import_one(
        &db.store,
        &dir.join("roster.csv"),
        uplift_domain::records::ImportKind::Roster,
        false,
    )
    .await;
    let rows = db.store.employee_metrics(&MetricFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].metrics.contribution_fen, 1_200_050);
    assert_eq!(
        rows[0].metrics.pipeline_fen, 10_000,
        "the open deal is pipeline at the end of March"
    );
}

#[tokio::test]
async fn maven_crm_example_pays_each_agent_a_rate_per_product() {
    use rust_decimal::prelude::ToPrimitive;
    use rust_decimal::{Decimal, RoundingStrategy};
    use uplift_app::access::Principal;
    use uplift_domain::Lang;
    use uplift_domain::access::{Role, Scope};

    let db = test_db().await;
    let store = &db.store;
    let files = files_in_manifest(&repo_root().join("examples/maven-crm/manifest.toml")).expect("manifest");
    let r = import_files(store, files, Vec::new(), false, &no_progress)
        .await
        .expect("import");
    assert!(r.committed);
    let payroll = Principal {
        actor: "pay".into(),
        role: Role::Payroll,
        employee_no: None,
        scope: Scope::All,
    };
    let plan_text = std::fs::read_to_string(repo_root().join("examples/maven-crm/commission-plan.toml")).unwrap();
    uplift_app::commission::import_plan(store, &payroll, "commission-plan.toml", &plan_text, Lang::En)
        .await
        .expect("the example plan imports");

    // Truth straight from the dataset and the plan's rates: Σ per agent of close_value × rate of
    // the product, each deal rounded half up to the fen, for the deals won in 2017-06.
    let rates: HashMap<&str, Decimal> = [
        ("GTK 500", "0.02"),
        ("GTX Plus Pro", "0.04"),
        ("GTXPro", "0.04"),
        ("MG Advanced", "0.05"),
        ("GTX Plus Basic", "0.06"),
        ("GTX Basic", "0.07"),
        ("MG Special", "0.10"),
    ]
    .into_iter()
    .map(|(p, r)| (p, r.parse().unwrap()))
    .collect();
    let text = std::fs::read_to_string(repo_root().join("examples/maven-crm/data/sales_pipeline.csv")).unwrap();
    let (h, rows) = parse_csv(&text);
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let mut truth: HashMap<String, i64> = HashMap::new();
    for r in &rows {
        if r[col("deal_stage")] == "Won" && r[col("close_date")].starts_with("2017-06") {
            let value: Decimal = r[col("close_value")].parse().unwrap();
            let pay = (value * Decimal::ONE_HUNDRED * rates[r[col("product")].as_str()])
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                .to_i64()
                .unwrap();
            *truth.entry(r[col("sales_agent")].clone()).or_default() += pay;
        }
    }
    assert!(truth.len() > 20, "most agents won deals in 2017-06");

    let run = uplift_app::commission::run(store, &payroll, "2017-06", Lang::En)
        .await
        .unwrap();
    assert_eq!((run.people, run.unlinked_deals, run.deals_without_plan), (35, 0, 0));
    let s = uplift_app::commission::statements(store, &payroll, "2017-06", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(s.rows.len(), 35);
    for row in &s.rows {
        let want = truth.get(&row.employee_no).copied().unwrap_or(0);
        assert_eq!(row.commission_fen, want, "{}", row.employee_no);
        // No targets in this dataset: no attainment, nothing in bands.
        assert_eq!(row.attainment, None);
    }
    assert_eq!(run.commission_fen, truth.values().sum::<i64>());
    // A line names the product its rate came from.
    let lines = uplift_app::commission::statement_lines(store, &payroll, "2017-06", None, Lang::En)
        .await
        .unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.row.rate_value.as_deref() == Some("MG Special") && l.explanation.contains("10% (MG Special)")),
        "{:?}",
        lines.first()
    );
}
