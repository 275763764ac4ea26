//! Follow-up cadence on a small CRM whose answer is worked out by hand: the `cadence_compliance`
//! metric in the metric table, each rep's due and overdue follow-ups, the daily reminders, the
//! rules setting (validated, recomputing the metric) and the one-click log on an opportunity.

use chrono::{DateTime, TimeZone, Utc};
use uplift_app::cadence::{CadenceRules, DueState, RecordKind, Stage};
use uplift_domain::Lang;
use uplift_domain::access::{Role, Scope};
use uplift_testkit::test_db;

use crate::support::*;

const REP: &str = "005000000000001005"; // E2005 in the golden roster
const IDLE: &str = "005000000000001004"; // E2004: no customers

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A Shanghai wall-clock time of June 2025 as Salesforce writes it (UTC).
fn sf(day: u32, hour: u32) -> String {
    shanghai(day, hour).format("%Y-%m-%dT%H:%M:%S.000+0000").to_string()
}

fn shanghai(day: u32, hour: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2025, 6, day, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// June 2025, in Shanghai time:
/// - lead L1 (potential, weekly) open all month, touched on the 3rd, 10th and 17th;
/// - deal O1 (intent, three a week) open from the 16th, touched daily from the 16th to the 22nd;
/// - deal O2 created on the 5th, won on the 10th (5 days of intent, never touched), its account A2
///   then under monthly care, visited once on the 25th.
fn write_crm(dir: &std::path::Path) {
    for f in ["roster.csv", "User.csv"] {
        std::fs::copy(golden_dir().join(f), dir.join(f)).unwrap();
    }
    write(
        dir,
        "Lead.csv",
        &format!(
            "Id,OwnerId,LastName,Company,Industry,LeadSource,Status,IsConverted,ConvertedDate,ConvertedOpportunityId,CreatedDate\n\
             L1,{REP},张,潜在客户一,Retail,Web,Working - Contacted,false,,,{}\n",
            sf(1, 0)
        ),
    );
    write(
        dir,
        "Account.csv",
        &format!("Id,Name,Industry,OwnerId\nA1,意向客户一,Retail,{REP}\nA2,老客户二,Retail,{REP}\n"),
    );
    write(
        dir,
        "Opportunity.csv",
        &format!(
            "Id,OwnerId,AccountId,Name,Amount,StageName,IsClosed,IsWon,CloseDate,CreatedDate,LeadSource,Type\n\
             O1,{REP},A1,商机一,50000.00,Negotiation/Review,false,false,2025-07-31,{},Web,New Business\n\
             O2,{REP},A2,商机二,80000.00,Closed Won,true,true,2025-06-10,{},Web,New Business\n",
            sf(16, 0),
            sf(5, 0)
        ),
    );
    let mut tasks = String::from("Id,OwnerId,WhoId,WhatId,Subject,TaskSubtype,Status,ActivityDate,CreatedDate\n");
    let mut n = 0;
    let mut task = |who: &str, what: &str, day: u32, hour: u32| {
        n += 1;
        tasks.push_str(&format!(
            "T{n},{REP},{who},{what},跟进,Call,Completed,2025-06-{day:02},{}\n",
            sf(day, hour)
        ));
    };
    for d in [3, 10, 17] {
        task("L1", "", d, 10);
    }
    for d in 16..=22 {
        task("", "O1", d, 10);
    }
    task("", "A2", 25, 15);
    // A call of another rep in July, so July is in the data's range.
    tasks.push_str(&format!(
        "T99,{IDLE},,,内部会议,Call,Completed,2025-07-05,2025-07-05T02:00:00.000+0000\n"
    ));
    write(dir, "Task.csv", &tasks);
}

/// June's customer-days under a cadence and on time, by hand. Each customer counts from its
/// first due time (one interval after it began).
fn june_expected() -> (f64, f64) {
    let h = 1.0 / 24.0;
    // L1 (weekly) from the 8th, on time until a week after the touch of the 17th at 10:00: 16 d
    // 10 h of 23 d. O1 (every 56 h) from the 18th 08:00, on time until 56 h after the touch of
    // the 22nd at 10:00: 6 d 10 h of 12 d 16 h. O2 intent from the 7th 08:00 to the win on the
    // 10th, never touched: 0 of 2 d 16 h. A2's care is not due before 10 July.
    let days = 23.0 + (12.0 + 16.0 * h) + (2.0 + 16.0 * h);
    let on_time = (16.0 + 10.0 * h) + (6.0 + 10.0 * h);
    (days, on_time)
}

#[tokio::test]
async fn cadence_compliance_joins_the_metric_table_and_due_follow_ups_are_found() {
    let db = test_db().await;
    write_crm(db.dir());
    let report = import_dir(&db.store, db.dir()).await;
    assert!(report.committed, "{:?}", report.issue_lines(Lang::En));

    let csv = metrics_csv(&db.store).await;
    let (h, rows) = parse_csv(&csv);
    let col = h
        .iter()
        .position(|c| c == "cadence_compliance")
        .expect("cadence_compliance column");
    let june = rows
        .iter()
        .find(|r| r[0] == "E2005" && r[1] == "2025-06")
        .expect("E2005 June");
    let (days, on_time) = june_expected();
    let got: f64 = june[col].parse().unwrap();
    assert!(
        (got - on_time / days).abs() < 1e-4,
        "compliance {got}, want {}",
        on_time / days
    );
    let idle = rows.iter().find(|r| r[0] == "E2004" && r[1] == "2025-06").unwrap();
    assert_eq!(idle[col], "", "no customer under a cadence: empty, never zero");
    let stored = db
        .store
        .employee_metrics(&uplift_store::MetricFilter::default())
        .await
        .unwrap();
    let m = &stored
        .iter()
        .find(|r| r.employee_no == "E2005" && r.metrics.month == 202506)
        .unwrap()
        .metrics;
    assert!((m.cadence_days - days).abs() < 1e-6 && (m.cadence_days_on_time - on_time).abs() < 1e-6);
    // No care was due in June: pre-sale is all of it.
    assert!((m.presale_cadence_days - days).abs() < 1e-6, "{m:?}");
    assert!((m.presale_cadence_days_on_time - on_time).abs() < 1e-6, "{m:?}");
    // July: L1 and O1 overdue all month; A2 due from 10 July, on time until a month after the
    // visit of 25 June 15:00.
    let july = &stored
        .iter()
        .find(|r| r.employee_no == "E2005" && r.metrics.month == 202507)
        .unwrap()
        .metrics;
    assert!((july.cadence_days - 84.0).abs() < 1e-6, "{july:?}");
    assert!(
        (july.cadence_days_on_time - (15.0 + 15.0 / 24.0)).abs() < 1e-6,
        "{july:?}"
    );
    // Pre-sale alone (L1 and O1, not A2's care): 62 days, none on time.
    assert!((july.presale_cadence_days - 62.0).abs() < 1e-6, "{july:?}");
    assert_eq!(july.presale_cadence_days_on_time, 0.0, "{july:?}");
    assert_eq!(july.presale_cadence_compliance, Some(0.0), "{july:?}");
    // The company roll-up adds up customer-days.
    let units = db
        .store
        .unit_metrics(&uplift_store::MetricFilter::default())
        .await
        .unwrap();
    let company = units
        .iter()
        .find(|u| u.department.is_none() && u.metrics.month == 202506)
        .unwrap();
    assert!((company.metrics.cadence_compliance.unwrap() - on_time / days).abs() < 1e-6);
    let company_july = units
        .iter()
        .find(|u| u.department.is_none() && u.metrics.month == 202507)
        .unwrap();
    assert_eq!(company_july.metrics.presale_cadence_compliance, Some(0.0));

    // On 1 July at noon: L1 last touched on 17 June → due 24 June → overdue; O1 last touched
    // 22 June 10:00 → due 56 hours later → overdue; A2 visited 25 June → care due 25 July.
    let now = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2025, 7, 1, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let rules = uplift_app::cadence::rules(&db.store).await.unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let due = uplift_app::cadence::due_followups(&db.store, &rules, None, now, tz)
        .await
        .unwrap();
    let find = |id: &str| {
        due.iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| panic!("{id} in {due:?}"))
    };
    assert_eq!(
        (find("L1").stage, find("L1").state),
        (Stage::Potential, DueState::Overdue)
    );
    assert_eq!(find("L1").due, shanghai(24, 10));
    assert_eq!(
        (find("O1").kind, find("O1").state),
        (RecordKind::Opportunity, DueState::Overdue)
    );
    assert_eq!(find("O1").due, shanghai(22, 10) + chrono::Duration::hours(56));
    let a2 = find("A2");
    assert_eq!(
        (a2.kind, a2.stage, a2.state),
        (RecordKind::Account, Stage::Won, DueState::Upcoming)
    );
    assert_eq!(a2.title.as_deref(), Some("老客户二"));
    assert_eq!(due.len(), 3, "the won deal's own intent stage is over: {due:?}");

    // The daily reminders: one inbox message for the rep with overdue follow-ups, once a day.
    let run = uplift_app::cadence::reminders(&db.store, &due, "2025-07-01", now)
        .await
        .unwrap();
    assert_eq!(
        (run.customers, run.due_today, run.overdue, run.reps_reminded),
        (3, 0, 2, 1)
    );
    let again = uplift_app::cadence::reminders(&db.store, &due, "2025-07-01", now)
        .await
        .unwrap();
    assert_eq!(again.queued, 0, "deduplicated per rep and day");
    let inbox = db.store.inbox("E2005", 10).await.unwrap();
    assert!(
        inbox
            .iter()
            .any(|n| n.kind == "cadence" && n.title.contains("已逾期 2 位")),
        "{inbox:?}"
    );
    assert!(db.store.inbox("E2004", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn rules_are_validated_saved_audited_and_recompute_the_metric() {
    let db = test_db().await;
    write_crm(db.dir());
    assert!(import_dir(&db.store, db.dir()).await.committed);
    let mut bad = CadenceRules::default();
    bad.intent.every_days = 0;
    let err = uplift_app::metrics::change_cadence_rules(&db.store, &bad, "admin", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(err.contains("intent.every_days") && err.contains("1 到 366"), "{err}");

    // Open deals at this stage get no cadence, and care is every 60 days instead of 30.
    let mut rules = CadenceRules::default();
    rules
        .opportunity_stage
        .insert("Negotiation/Review".into(), "none".into());
    rules.won.every_days = 60;
    uplift_app::metrics::change_cadence_rules(&db.store, &rules, "admin", Lang::Zh)
        .await
        .unwrap();
    assert_eq!(uplift_app::cadence::rules(&db.store).await.unwrap(), rules);
    let stored = db
        .store
        .employee_metrics(&uplift_store::MetricFilter::default())
        .await
        .unwrap();
    let june = &stored
        .iter()
        .find(|r| r.employee_no == "E2005" && r.metrics.month == 202506)
        .unwrap()
        .metrics;
    // O1 off; O2's intent days stay (a won deal was intent until its win); care every 60 days is
    // not due in June.
    let days = 23.0 + (2.0 + 16.0 / 24.0);
    let on_time = 16.0 + 10.0 / 24.0;
    assert!((june.cadence_days - days).abs() < 1e-6, "{june:?}");
    assert!((june.cadence_days_on_time - on_time).abs() < 1e-6, "{june:?}");
    let audit = db
        .store
        .audit(&uplift_store::AuditQuery {
            action: Some("settings.cadence".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
}

#[tokio::test]
async fn a_rep_logs_a_follow_up_on_their_own_deal_only() {
    let db = test_db().await;
    write_crm(db.dir());
    assert!(import_dir(&db.store, db.dir()).await.committed);
    let rep = uplift_app::access::Principal {
        actor: "jiang".into(),
        role: Role::Employee,
        employee_no: Some("E2005".into()),
        scope: Scope::Employees(vec!["E2005".into()]),
    };
    let other = uplift_app::access::Principal {
        actor: "zou".into(),
        employee_no: Some("E2004".into()),
        scope: Scope::Employees(vec!["E2004".into()]),
        ..rep.clone()
    };
    let due = uplift_app::cadence::my_due(&db.store, "E2005", Utc::now())
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|d| (d.id.as_str(), d.state)).collect::<Vec<_>>(),
        vec![("O1", DueState::Overdue)],
        "the lead's 90 days and the care year are over; the open deal is not"
    );
    let before = count(&db.store, "activities").await;
    let err = uplift_app::cadence::log_followup(&db.store, &other, "opportunity", "O1", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(err.contains("只能记录自己名下客户"), "{err}");
    let err = uplift_app::cadence::log_followup(&db.store, &rep, "opportunity", "NOPE", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(
        err.contains("只能记录自己名下客户"),
        "no such deal reads the same: {err}"
    );
    assert_eq!(count(&db.store, "activities").await, before);
    uplift_app::cadence::log_followup(&db.store, &rep, "opportunity", "O1", Lang::Zh)
        .await
        .unwrap();
    uplift_app::cadence::log_followup(&db.store, &rep, "account", "A2", Lang::Zh)
        .await
        .unwrap();
    assert_eq!(count(&db.store, "activities").await, before + 2);
    // Logged now: nothing is due any more.
    let due = uplift_app::cadence::my_due(&db.store, "E2005", Utc::now())
        .await
        .unwrap();
    assert!(due.is_empty(), "{due:?}");
}

/// (employee or department, month, the four stored day sums, the two rates)
type CadenceSnapshot = (String, i32, [f64; 4], [Option<f64>; 2]);

/// The daily job refreshes only the cadence columns; they must equal a full recompute's.
#[tokio::test]
async fn the_daily_refresh_matches_a_full_recompute() {
    let db = test_db().await;
    write_crm(db.dir());
    assert!(import_dir(&db.store, db.dir()).await.committed);
    let now = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2025, 7, 1, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let snapshot = |store: uplift_store::Store| async move {
        let f = uplift_store::MetricFilter::default();
        let mut v: Vec<CadenceSnapshot> = store
            .employee_metrics(&f)
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                let m = r.metrics;
                (
                    r.employee_no,
                    m.month,
                    [
                        m.cadence_days,
                        m.cadence_days_on_time,
                        m.presale_cadence_days,
                        m.presale_cadence_days_on_time,
                    ],
                    [m.cadence_compliance, m.presale_cadence_compliance],
                )
            })
            .collect();
        v.extend(store.unit_metrics(&f).await.unwrap().into_iter().map(|u| {
            (
                u.department.unwrap_or_default(),
                u.metrics.month,
                [0.0; 4],
                [u.metrics.cadence_compliance, u.metrics.presale_cadence_compliance],
            )
        }));
        v
    };
    let imported = snapshot(db.store.clone()).await;
    let run = uplift_app::cadence::daily(&db.store, "2025-07-01", now).await.unwrap();
    assert_eq!(run.overdue, 2);
    let refreshed = snapshot(db.store.clone()).await;
    uplift_app::metrics::recompute_at(&db.store, &uplift_store::AffectedMonths::All, now)
        .await
        .unwrap();
    let full = snapshot(db.store.clone()).await;
    assert_eq!(refreshed.len(), full.len());
    for (a, b) in refreshed.iter().zip(&full) {
        assert_eq!((&a.0, a.1), (&b.0, b.1));
        for (x, y) in a.2.iter().zip(&b.2) {
            assert!((x - y).abs() < 1e-9, "{a:?} vs {b:?}");
        }
        for (x, y) in a.3.iter().zip(&b.3) {
            match (x, y) {
                (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{a:?} vs {b:?}"),
                (x, y) => assert_eq!(x, y, "{a:?} vs {b:?}"),
            }
        }
    }
    // July as of 1 July noon needs far less than the whole of July the import counted.
    let july = |v: &[CadenceSnapshot]| {
        v.iter()
            .find(|r| r.0 == "E2005" && r.1 == 202507)
            .map(|r| r.2[0])
            .unwrap()
    };
    assert!(july(&refreshed) < july(&imported) / 10.0);
}
