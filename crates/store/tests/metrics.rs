//! Storing and reading the materialised metric rows.

use uplift_domain::Month;
use uplift_domain::metric_data::{EmployeeMonthMetrics, UnitMonthMetrics};
use uplift_store::MetricFilter;
use uplift_testdb::test_db;

use crate::support::{employee_ids, write_roster};

#[tokio::test]
async fn metric_rows_round_trip_with_nulls_and_filters() {
    let db = test_db().await;
    write_roster(
        &db.store,
        &[
            ("E1", "甲", Some("中心/一部")),
            ("E2", "乙", Some("中心")),
            ("E3", "丙", Some("中心二")),
            ("E4", "丁", Some("a_b")),
            ("E5", "戊", Some("aXb/c")),
        ],
    )
    .await;
    let ids = employee_ids(&db.store).await;
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

/// Every field set, none of them zero or null, each distinct, so a value read into the wrong
/// field shows.
fn distinct_row(employee_id: i64, month: i32) -> EmployeeMonthMetrics {
    EmployeeMonthMetrics {
        employee_id,
        month,
        days_employed: 28,
        fte: 0.75,
        contribution_fen: 1_000_001,
        orders_won: 2,
        per_capita_contribution: Some(10_000.01),
        avg_deal_size: Some(5_000.5),
        target_fen: Some(900_003),
        quota_attainment: Some(1.11),
        pipeline_fen: 700_004,
        leads_received: 5,
        leads_converted: 4,
        lead_conversion_rate: Some(0.8),
        deals_lost: 6,
        win_rate: Some(0.25),
        followups: 7,
        followups_per_week: Some(1.75),
        first_response_hours: Some(2.5),
        leads_contacted_24h: 3,
        contacted_within_24h_rate: Some(0.6),
        tenure_months: Some(17),
        trainings_assigned_to_date: 9,
        trainings_done_to_date: 8,
        training_completion_rate: Some(0.89),
        trainings_completed: 1,
        appraisal_score: Some(4.2),
        cadence_days: 19.0,
        cadence_days_on_time: 18.0,
        cadence_compliance: Some(0.95),
        presale_cadence_days: 11.0,
        presale_cadence_days_on_time: 10.0,
        presale_cadence_compliance: Some(0.91),
    }
}

/// The analysis read returns its subset of the columns, each in its own field, the others at
/// zero / `None` and no name; with the same order and filters as the full read.
#[tokio::test]
async fn analysis_read_returns_its_columns_in_their_fields() {
    let db = test_db().await;
    write_roster(&db.store, &[("E1", "甲", Some("中心/一部")), ("E2", "乙", None)]).await;
    let ids = employee_ids(&db.store).await;
    let rows = vec![
        distinct_row(ids[1], 202603),
        distinct_row(ids[0], 202604),
        distinct_row(ids[0], 202603),
    ];
    db.store.replace_metrics(&[202603, 202604], &rows, &[]).await.unwrap();
    assert!(
        db.store
            .employee_metrics_for_analysis(&MetricFilter {
                from: Month::new(2027, 1),
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
    let read = db
        .store
        .employee_metrics_for_analysis(&MetricFilter::default())
        .await
        .unwrap();
    let keys: Vec<(&str, i32)> = read.iter().map(|r| (r.employee_no.as_str(), r.metrics.month)).collect();
    assert_eq!(keys, vec![("E1", 202603), ("E1", 202604), ("E2", 202603)]);
    let full = distinct_row(ids[0], 202603);
    let expected = EmployeeMonthMetrics {
        employee_id: full.employee_id,
        month: full.month,
        fte: full.fte,
        tenure_months: full.tenure_months,
        contribution_fen: full.contribution_fen,
        per_capita_contribution: full.per_capita_contribution,
        quota_attainment: full.quota_attainment,
        pipeline_fen: full.pipeline_fen,
        leads_received: full.leads_received,
        lead_conversion_rate: full.lead_conversion_rate,
        win_rate: full.win_rate,
        followups_per_week: full.followups_per_week,
        first_response_hours: full.first_response_hours,
        contacted_within_24h_rate: full.contacted_within_24h_rate,
        trainings_done_to_date: full.trainings_done_to_date,
        training_completion_rate: full.training_completion_rate,
        appraisal_score: full.appraisal_score,
        presale_cadence_compliance: full.presale_cadence_compliance,
        orders_won: full.orders_won,
        deals_lost: full.deals_lost,
        avg_deal_size: full.avg_deal_size,
        ..Default::default()
    };
    assert_eq!(read[0].metrics, expected);
    assert_eq!(read[0].name, "");
    assert_eq!(read[0].department.as_deref(), Some("中心/一部"));
    assert_eq!(read[2].department, None);
    // The full read of the same rows gives every field back.
    let all = db.store.employee_metrics(&MetricFilter::default()).await.unwrap();
    assert_eq!(all[0].metrics, full);
    assert_eq!(all[0].name, "甲");
    // Filters and pages apply as to the full read.
    let e2 = MetricFilter {
        employee_no: Some("E2".into()),
        ..Default::default()
    };
    let one = db.store.employee_metrics_for_analysis(&e2).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].metrics.employee_id, ids[1]);
    let second = MetricFilter {
        page: Some((1, 1)),
        ..Default::default()
    };
    let paged = db.store.employee_metrics_for_analysis(&second).await.unwrap();
    assert_eq!(paged[0].metrics.month, 202604);
    assert_eq!(db.store.count_metric_rows(&second, true).await.unwrap(), 3);
}

/// Reads of an empty metric table give no rows (the column positions come from a first row).
#[tokio::test]
async fn metric_reads_of_an_empty_table_are_empty() {
    let db = test_db().await;
    let all = MetricFilter::default();
    assert!(db.store.employee_metrics(&all).await.unwrap().is_empty());
    assert!(db.store.employee_metrics_for_analysis(&all).await.unwrap().is_empty());
    assert!(db.store.unit_metrics(&all).await.unwrap().is_empty());
    assert_eq!(db.store.metric_month_range().await.unwrap(), None);
}
