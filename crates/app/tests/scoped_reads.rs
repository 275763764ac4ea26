//! The reads the pages and the API make through `app`: limited to the caller's scope, refused
//! where the role has no right, appraisal scores only where they may be read, and audited.

use uplift_app::AppError;
use uplift_app::access::{Principal, principal_of_user};
use uplift_app::demo::{DemoConfig, create_demo, ensure_demo_accounts};
use uplift_app::metrics::{Level, MetricQuery, metric_rows};
use uplift_app::records::{RecordQuery, leads};
use uplift_app::{import_history, inbox, routing, views};
use uplift_domain::{MetricId, Month};
use uplift_store::{AuditQuery, Store};
use uplift_testkit::test_db;

async fn principal(store: &Store, username: &str) -> Principal {
    let user = store.user_by_name(username).await.unwrap().expect("demo account");
    principal_of_user(store, &user).await.unwrap()
}

async fn appraisal_reads(store: &Store, actor: &str) -> Vec<uplift_store::AuditRow> {
    store
        .audit(&AuditQuery {
            actor: Some(actor.into()),
            action: Some("read.appraisal".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
}

fn month_query(level: Level) -> MetricQuery {
    let month = Month::new(2026, 6);
    MetricQuery {
        from: month,
        to: month,
        department: None,
        employee_no: None,
        metrics: MetricId::ALL.to_vec(),
        level,
        limit: 500,
        offset: 0,
    }
}

#[tokio::test]
async fn reads_are_scoped_refused_and_audited_by_role() {
    let db = test_db().await;
    let store = &db.store;
    let cfg = DemoConfig {
        seed: 5,
        staff: 30,
        months: 3,
        end: Month::new(2026, 6),
    };
    create_demo(store, &cfg, &db.dir().join("demo"), &|_, _| {})
        .await
        .unwrap();
    ensure_demo_accounts(store).await.unwrap();
    let admin = principal(store, "admin").await;
    let hr = principal(store, "hr").await;
    let payroll = principal(store, "payroll").await;
    let director = principal(store, "director").await;
    let manager = principal(store, "manager").await;
    let rep = principal(store, "rep").await;
    let rep_no = rep.employee_no.clone().unwrap();

    // The metric table: a rep gets their own row, with their own appraisal score, audited.
    let (rows, total) = metric_rows(store, &rep, &month_query(Level::Employee), Some("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (1, 1));
    assert_eq!(rows[0].employee_no.as_deref(), Some(rep_no.as_str()));
    assert!(rows[0].values.iter().any(|(m, _)| *m == MetricId::AppraisalScore));
    let log = appraisal_reads(store, "rep").await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].target.as_deref(), log[0].detail.as_deref(), log[0].ip.as_deref()),
        (Some("api/v1/metrics"), Some("rows=1"), Some("10.0.0.1"))
    );
    // Payroll sees everyone but no appraisal score, at either level, and nothing is audited.
    for level in [Level::Employee, Level::Department] {
        let (rows, total) = metric_rows(store, &payroll, &month_query(level), None).await.unwrap();
        assert!(!rows.is_empty() && total >= rows.len() as i64);
        assert!(
            rows.iter()
                .all(|r| r.values.iter().all(|(m, _)| *m != MetricId::AppraisalScore))
        );
    }
    assert!(appraisal_reads(store, "payroll").await.is_empty());
    let (all, _) = metric_rows(store, &admin, &month_query(Level::Employee), None)
        .await
        .unwrap();
    let (mine, _) = metric_rows(store, &director, &month_query(Level::Employee), None)
        .await
        .unwrap();
    assert!(mine.len() < all.len());
    assert!(
        mine.iter()
            .all(|r| r.department.as_deref().is_some_and(|d| d.starts_with("销售中心/")))
    );
    // A department outside the scope is refused to every scope (issue 16, finding 10), a department
    // where the manager's people work is not.
    let outside = MetricQuery {
        department: Some("客户成功部".into()),
        ..month_query(Level::Employee)
    };
    for who in [&director, &manager, &rep] {
        assert!(matches!(
            metric_rows(store, who, &outside, None).await,
            Err(AppError::Forbidden)
        ));
    }
    let rep_department = views::employee(store, &rep, &rep_no).await.unwrap().department.unwrap();
    let theirs = MetricQuery {
        department: Some(rep_department.clone()),
        ..month_query(Level::Employee)
    };
    let (rows, _) = metric_rows(store, &manager, &theirs, None).await.unwrap();
    assert!(!rows.is_empty());
    // Department rows are refused to a scope of people.
    assert!(matches!(
        metric_rows(store, &manager, &month_query(Level::Department), None).await,
        Err(AppError::Forbidden)
    ));

    // CRM records: naming someone outside is refused to a team and to a director alike; a number
    // that names nobody gives an empty list.
    let outsider = views::employees(
        store,
        &admin,
        &views::EmployeeQuery {
            department: Some("客户成功部".into()),
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .0
    .remove(0)
    .employee_no;
    let q = RecordQuery {
        employee_no: Some(outsider),
        limit: 10,
        ..Default::default()
    };
    assert!(matches!(leads(store, &manager, &q).await, Err(AppError::Forbidden)));
    assert!(matches!(leads(store, &director, &q).await, Err(AppError::Forbidden)));
    let nobody = RecordQuery {
        employee_no: Some("NOBODY-1".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(leads(store, &director, &nobody).await.unwrap(), (Vec::new(), 0));
    // The metric table's owner filter follows the same rule.
    let someone_outside = MetricQuery {
        employee_no: q.employee_no.clone(),
        ..month_query(Level::Employee)
    };
    assert!(matches!(
        metric_rows(store, &director, &someone_outside, None).await,
        Err(AppError::Forbidden)
    ));
    let (own, total) = leads(
        store,
        &rep,
        &RecordQuery {
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        total > 0
            && own
                .iter()
                .all(|l| l.owner_employee_no.as_deref() == Some(rep_no.as_str()))
    );

    // Departments: a rep sees theirs only; admin sees them all.
    let theirs = views::departments(store, &rep).await.unwrap();
    let mine = views::employee(store, &rep, &rep_no).await.unwrap().department;
    assert_eq!(theirs.into_iter().map(|d| Some(d.path)).collect::<Vec<_>>(), vec![mine]);
    assert!(views::departments(store, &admin).await.unwrap().len() > 1);

    // Rights checked by the use cases themselves.
    assert!(import_history::recent(store, &hr, 10).await.is_ok());
    assert!(matches!(
        import_history::recent(store, &payroll, 10).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        import_history::by_id(store, &director, 1).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        import_history::by_id(store, &admin, 999_999).await,
        Err(AppError::NotFound(w)) if w == "import 999999"
    ));
    assert!(routing::recent_assignments(store, &director, 50).await.is_ok());
    assert!(matches!(
        routing::recent_assignments(store, &hr, 50).await,
        Err(AppError::Forbidden)
    ));
    assert!(uplift_app::access::users(store, &admin).await.unwrap().len() >= 6);
    assert!(matches!(
        uplift_app::access::users(store, &hr).await,
        Err(AppError::Forbidden)
    ));

    // The inbox is the caller's own: by employee number, or by user name without one.
    assert_eq!(inbox::recipient(&rep), rep_no);
    assert_eq!(inbox::recipient(&admin), "user:admin");
    inbox::set_preferences(store, &admin, false, true, None).await.unwrap();
    assert_eq!(inbox::preferences(store, &admin).await.unwrap(), (false, true));
    assert_eq!(inbox::preferences(store, &hr).await.unwrap(), (true, false));
    uplift_app::health::check_database(store).await.unwrap();
}
