//! The contract's golden example: the Salesforce exports plus Chinese HR files must produce the
//! expected metric table cell for cell.

use std::collections::HashMap;

use crate::support::*;
use uplift_testkit::test_db;

fn assert_matches_golden(csv_text: &str) {
    let expected = std::fs::read_to_string(golden_dir().join("expected_metrics.csv")).expect("expected_metrics.csv");
    let (eh, erows) = parse_csv(&expected);
    let (gh, grows) = parse_csv(csv_text);
    let got: HashMap<(String, String), &Vec<String>> =
        grows.iter().map(|r| ((r[0].clone(), r[1].clone()), r)).collect();
    assert_eq!(got.len(), erows.len(), "one row per employee and month employed");
    let mut checked = 0;
    for row in &erows {
        let g = got
            .get(&(row[0].clone(), row[1].clone()))
            .unwrap_or_else(|| panic!("missing row {} {}", row[0], row[1]));
        for (i, col) in eh.iter().enumerate().skip(2) {
            let gi = gh
                .iter()
                .position(|h| h == col)
                .unwrap_or_else(|| panic!("output lacks column {col}"));
            let (want, have) = (&row[i], &g[gi]);
            if want.is_empty() || have.is_empty() {
                assert_eq!(want, have, "{} {} {col}: null must stay null", row[0], row[1]);
            } else {
                let (w, h): (f64, f64) = (want.parse().expect("number"), have.parse().expect("number"));
                assert!(
                    (w - h).abs() <= 1e-4 * w.abs().max(1.0),
                    "{} {} {col}: want {want}, got {have}",
                    row[0],
                    row[1]
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, erows.len() * (eh.len() - 2));
}

#[tokio::test]
async fn golden_folder_reproduces_the_expected_metric_table() {
    let db = test_db().await;
    let report = import_dir(&db.store, &golden_dir()).await;
    assert!(report.committed, "{:?}", report.issue_lines(uplift_domain::Lang::En));
    assert_eq!(report.skipped_files, vec!["README.md", "expected_metrics.csv"]);
    assert!(
        report.unmatched_crm_users.is_empty(),
        "CRM users match employees by email"
    );
    assert!(report.employees_without_crm_user.is_empty());
    assert_eq!(
        report.recomputed_months.len(),
        7,
        "2025-03 … 2025-09 (Shanghai time pushes late-August UTC events into September)"
    );
    assert_matches_golden(&metrics_csv(&db.store).await);
}

#[tokio::test]
async fn reimporting_is_idempotent_and_updates_in_place() {
    let db = test_db().await;
    let first = import_dir(&db.store, &golden_dir()).await;
    let before = db.store.counts().await.unwrap();
    let metrics_before = metrics_csv(&db.store).await;
    let second = import_dir(&db.store, &golden_dir()).await;
    assert!(second.committed);
    for (a, b) in first.files.iter().zip(&second.files) {
        assert_eq!(b.inserted, 0, "{}: nothing new the second time", b.file);
        assert_eq!(b.updated, a.inserted, "{}: every row updated in place", b.file);
    }
    assert_eq!(db.store.counts().await.unwrap(), before);
    assert_eq!(metrics_csv(&db.store).await, metrics_before);
}

#[tokio::test]
async fn an_updated_opportunity_moves_contribution_between_months() {
    let db = test_db().await;
    let dir = db.dir().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    copy_golden(&dir);
    import_dir(&db.store, &dir).await;
    // E2001 won 144,300.00 in 2025-04 from two deals; move one of them to 2025-05.
    let opp = std::fs::read_to_string(dir.join("Opportunity.csv")).unwrap();
    let (h, rows) = parse_csv(&opp);
    let owner_col = h.iter().position(|c| c == "OwnerId").unwrap();
    let close_col = h.iter().position(|c| c == "CloseDate").unwrap();
    let won_col = h.iter().position(|c| c == "IsWon").unwrap();
    let amount_col = h.iter().position(|c| c == "Amount").unwrap();
    let target = rows
        .iter()
        .find(|r| r[owner_col] == "005000000000001001" && r[close_col].starts_with("2025-04") && r[won_col] == "true")
        .expect("an April win of E2001")
        .clone();
    let mut moved = target.clone();
    moved[close_col] = "2025-05-10".into();
    let mut w = csv::Writer::from_path(dir.join("Opportunity.csv")).unwrap();
    w.write_record(&h).unwrap();
    w.write_record(&moved).unwrap();
    w.flush().unwrap();
    let report = import_one(
        &db.store,
        &dir.join("Opportunity.csv"),
        uplift_domain::records::ImportKind::Opportunity,
        false,
    )
    .await;
    assert_eq!((report.files[0].inserted, report.files[0].updated), (0, 1));
    assert!(report.recomputed_months.contains(&202504) && report.recomputed_months.contains(&202505));
    let (gh, grows) = parse_csv(&metrics_csv(&db.store).await);
    let c = gh.iter().position(|x| x == "contribution").unwrap();
    let get = |m: &str| {
        grows.iter().find(|r| r[0] == "E2001" && r[1] == m).unwrap()[c]
            .parse::<f64>()
            .unwrap()
    };
    let amount: f64 = target[amount_col].parse().unwrap();
    assert!((get("2025-04") - (144_300.0 - amount)).abs() < 0.005);
    assert!((get("2025-05") - (53_900.0 + amount)).abs() < 0.005);
}

#[tokio::test]
async fn months_that_lose_their_data_lose_their_metric_rows() {
    let db = test_db().await;
    let d = db.dir();
    std::fs::write(d.join("User.csv"), "Id,Name,Email\n005A,张三,a@x.cn\n").unwrap();
    std::fs::write(
        d.join("roster.csv"),
        "工号,姓名,入职日期,邮箱\nE1,张三,2020-01-01,a@x.cn\n",
    )
    .unwrap();
    std::fs::write(
        d.join("Lead.csv"),
        "Id,OwnerId,CreatedDate\nL1,005A,2026-01-10\nL2,005A,2026-02-10\n",
    )
    .unwrap();
    let r = import_dir(&db.store, d).await;
    assert!(r.committed);
    let months = |rows: &[uplift_store::EmployeeMetricRow]| rows.iter().map(|r| r.metrics.month).collect::<Vec<_>>();
    let all = uplift_store::MetricFilter::default();
    assert_eq!(
        months(&db.store.employee_metrics(&all).await.unwrap()),
        vec![202601, 202602]
    );
    // The January lead was really created in February: January has no data any more.
    std::fs::write(d.join("Lead.csv"), "Id,OwnerId,CreatedDate\nL1,005A,2026-02-11\n").unwrap();
    import_one(
        &db.store,
        &d.join("Lead.csv"),
        uplift_domain::records::ImportKind::Lead,
        false,
    )
    .await;
    let rows = db.store.employee_metrics(&all).await.unwrap();
    assert_eq!(months(&rows), vec![202602]);
    assert_eq!(rows[0].metrics.leads_received, 2);
}

#[tokio::test]
async fn a_narrower_re_import_keeps_what_it_does_not_mention() {
    let db = test_db().await;
    let d = db.dir();
    std::fs::write(d.join("User.csv"), "Id,Name,Email\n005A,张三,a@x.cn\n").unwrap();
    std::fs::write(
        d.join("roster.csv"),
        "工号,姓名,部门,入职日期,邮箱,学历\nE1,张三,销售一部,2020-01-01,a@x.cn,本科\n",
    )
    .unwrap();
    std::fs::write(
        d.join("Lead.csv"),
        "Id,OwnerId,CreatedDate,IsConverted,LeadSource\nL1,005A,2026-01-10,true,Web\n",
    )
    .unwrap();
    assert!(import_dir(&db.store, d).await.committed);
    // A roster update with only the required columns, and a lead export without IsConverted.
    std::fs::write(d.join("roster.csv"), "工号,姓名,入职日期\nE1,张三丰,2020-01-01\n").unwrap();
    std::fs::write(
        d.join("Lead.csv"),
        "Id,OwnerId,CreatedDate,LeadSource\nL1,005A,2026-01-10,Partner\n",
    )
    .unwrap();
    let r = import_dir(&db.store, d).await;
    assert!(r.committed);
    let e = &db.store.employee_keys().await.unwrap()[0];
    assert_eq!(
        (e.name.as_str(), e.email.as_deref()),
        ("张三丰", Some("a@x.cn")),
        "name updated, email kept"
    );
    let rows = db
        .store
        .employee_metrics(&uplift_store::MetricFilter::default())
        .await
        .unwrap();
    assert_eq!(rows[0].department.as_deref(), Some("销售一部"), "department kept");
    assert_eq!(
        rows[0].metrics.lead_conversion_rate,
        Some(1.0),
        "conversion kept, CRM link kept"
    );
}
