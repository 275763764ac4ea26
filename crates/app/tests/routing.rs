//! Lead routing on the demo company: the model is calibrated, optimal routing beats round
//! robin in the simulator, files of new leads are routed with reasons (all-or-nothing,
//! idempotent, within capacity), and leads left by people who quit are handed on.

use chrono::NaiveDate;
use uplift_app::demo::{DemoConfig, create_demo};
use uplift_app::routing::{AssignOptions, assign_file, assign_pending, model_report, simulate, to_csv};
use uplift_domain::{Lang, Month};
use uplift_routing::{Limits, Strategy};
use uplift_store::AuditQuery;
use uplift_testkit::test_db;

use crate::support::no_progress;

fn options(dry_run: bool) -> AssignOptions {
    AssignOptions {
        strategy: Strategy::Optimal,
        limits: Limits::default(),
        capacity_file: None,
        dry_run,
        as_of: NaiveDate::from_ymd_opt(2026, 7, 1),
        by: "tester".into(),
        role: Some("admin".into()),
        lang: Lang::Zh,
    }
}

/// A GBK file with Chinese headers, as Excel on a Chinese Windows writes it.
fn write_gbk(path: &std::path::Path, text: &str) {
    let (bytes, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    std::fs::write(path, bytes).unwrap();
}

fn new_leads_csv(n: usize) -> String {
    let sources = ["Partner Referral", "Web", "Trade Show", "Cold Call", "Purchased List"];
    let industries = ["Manufacturing", "Retail", "Finance", "Healthcare", "Technology"];
    let mut t = String::from("线索ID,线索来源,行业,评级,公司名称,员工人数\n");
    for i in 0..n {
        t.push_str(&format!(
            "NEW-{i:04},{},{},{},测试客户{i},{}\n",
            sources[i % 5],
            industries[(i / 5) % 5],
            ["Hot", "Warm", "Cold"][i % 3],
            20 + i * 7
        ));
    }
    t
}

#[tokio::test]
async fn demo_routing_is_calibrated_beats_round_robin_and_routes_files_and_pending_leads() {
    let db = test_db().await;
    let cfg = DemoConfig {
        seed: 2026,
        staff: 60,
        months: 12,
        end: Month::new(2026, 6),
    };
    create_demo(&db.store, &cfg, &db.dir().join("demo-source"), &no_progress)
        .await
        .expect("demo");
    let store = &db.store;

    // The model, checked on months it did not learn from.
    let m = model_report(store, Lang::Zh).await.expect("model report");
    let r = &m.reliability;
    assert_eq!((m.tested_from.as_str(), m.tested_to.as_str()), ("2026-03", "2026-05"));
    assert!(r.brier < r.baseline_brier, "Brier {} vs {}", r.brier, r.baseline_brier);
    assert!(
        (r.predicted_conversions / r.actual_conversions - 1.0).abs() < 0.15,
        "predicted {} vs actual {}",
        r.predicted_conversions,
        r.actual_conversions
    );
    assert!(r.bins[9].actual > 2.0 * r.bins[0].actual.max(0.01), "{:?}", r.bins);
    assert!(
        m.experience_lift > 1.05,
        "the demo plants an industry-experience effect: {}",
        m.experience_lift
    );

    // The simulator: optimal beats round robin and current practice clearly; the judge's
    // estimate of current practice is close to what actually happened.
    let sim = simulate(store, 3, Limits::default(), Lang::Zh).await.expect("simulate");
    let value = |s: &str| sim.outcome(s).expect(s).expected_value;
    assert!(value("optimal") > 1.15 * value("round-robin"), "{:#?}", sim.outcomes);
    assert!(value("optimal") > 1.15 * value("current"));
    let current = sim.outcome("current").unwrap().expected_conversions;
    assert!(
        (current / sim.actual_conversions as f64 - 1.0).abs() < 0.15,
        "{current} vs {}",
        sim.actual_conversions
    );

    // A GBK file of new leads: a dry run records nothing.
    let input = db.dir().join("新线索.csv");
    write_gbk(&input, &new_leads_csv(40));
    let dry = assign_file(store, &input, &options(true)).await.expect("dry run");
    assert_eq!((dry.lines.len(), dry.recorded), (40, 0));
    assert!(store.recent_assignments(100).await.unwrap().is_empty());

    // The rep who would get the most goes on leave that day (a leave import): they get none.
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for l in &dry.lines {
        *counts.entry(l.employee_no.as_str()).or_default() += 1;
    }
    let busiest = counts
        .iter()
        .max_by_key(|(no, n)| (**n, std::cmp::Reverse(**no)))
        .unwrap()
        .0
        .to_string();
    let leave = db.dir().join("请假记录.csv");
    write_gbk(
        &leave,
        &format!("工号,开始日期,结束日期,类型\n{busiest},2026-06-29,2026-07-03,年假\n"),
    );
    let rep = crate::support::import_one(store, &leave, uplift_domain::records::ImportKind::Leave, false).await;
    assert_eq!(rep.files[0].inserted, 1, "{:?}", rep.files[0].issues);

    let run = assign_file(store, &input, &options(false)).await.expect("assign");
    assert!(
        run.lines.iter().all(|l| l.employee_no != busiest),
        "{busiest} is on leave"
    );
    assert_eq!((run.lines.len(), run.recorded, run.unassigned.len()), (40, 40, 0));
    assert!(
        run.expected_value > run.round_robin_value,
        "{} vs {}",
        run.expected_value,
        run.round_robin_value
    );
    // Reasons in words, the contract's CSV columns, real owners.
    assert!(
        run.lines.iter().all(|l| l.reason.contains("本月剩余容量")),
        "{:?}",
        run.lines[0]
    );
    assert!(run.lines.iter().any(|l| l.reason.contains("同类线索历史转化率")));
    let csv = to_csv(&run).unwrap();
    assert!(csv.starts_with("lead_id,employee_no,owner_id,expected_conversion,expected_value,reason\n"));
    assert_eq!(csv.lines().count(), 41);
    // Nobody who has left (or not yet joined) on the day gets a lead.
    let roster = store.routing_reps().await.unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    for l in &run.lines {
        let r = roster.iter().find(|r| r.employee_no == l.employee_no).unwrap();
        assert!(
            r.leave_date
                .as_deref()
                .is_none_or(|d| d.parse::<NaiveDate>().unwrap() > day),
            "{} has left",
            r.employee_no
        );
        assert!(r.hire_date.parse::<NaiveDate>().unwrap() <= day);
        assert_eq!(Some(l.owner_id.clone()), r.crm_user_id);
    }
    let audit = store
        .audit(&AuditQuery {
            action: Some("leads.assign".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);

    // Running the same file again changes nothing.
    let again = assign_file(store, &input, &options(false)).await.expect("re-run");
    assert_eq!(again.recorded, 0);
    assert!(again.lines.iter().all(|l| l.kept));
    let owners =
        |r: &uplift_app::routing::AssignResult| r.lines.iter().map(|l| l.employee_no.clone()).collect::<Vec<_>>();
    assert_eq!(owners(&again), owners(&run));

    // Capacity from a file: only two reps have room (5 each).
    let reps: Vec<&str> = roster
        .iter()
        .filter(|r| r.crm_user_id.is_some() && r.leave_date.is_none() && r.employee_no != busiest)
        .map(|r| r.employee_no.as_str())
        .collect();
    let mut cap = String::from("工号,每月线索上限\n");
    for (i, no) in reps.iter().enumerate() {
        cap.push_str(&format!("{no},{}\n", if i < 2 { 5 } else { 0 }));
    }
    let cap_file = db.dir().join("capacity.csv");
    std::fs::write(&cap_file, cap).unwrap();
    let more = db.dir().join("more.csv");
    write_gbk(
        &more,
        &new_leads_csv(70)
            .lines()
            .enumerate()
            .filter(|(i, _)| *i == 0 || *i > 40)
            .map(|(_, l)| format!("{l}\n"))
            .collect::<String>(),
    );
    let mut opts = options(true);
    opts.capacity_file = Some(cap_file.clone());
    let capped = assign_file(store, &more, &opts).await.expect("capped");
    // Capacity is net of what each already received this month (the 40 leads above).
    let room: usize = reps[..2]
        .iter()
        .map(|no| 5usize.saturating_sub(run.lines.iter().filter(|l| l.employee_no == *no).count()))
        .sum();
    assert!(room > 0, "the test needs room left");
    assert_eq!((capped.lines.len(), capped.unassigned.len()), (room, 30 - room));
    assert!(capped.lines.iter().all(|l| reps[..2].contains(&l.employee_no.as_str())));

    // Leads of people who left are handed to people who are here, and their owner changes.
    let before = store
        .pending_leads("2026-07-01", Month::new(2026, 2).unwrap().to_key())
        .await
        .unwrap();
    assert!(!before.is_empty(), "the demo has leavers with open leads");
    let pending = assign_pending(store, &options(false)).await.expect("pending");
    assert_eq!(pending.recorded, before.len());
    let after = store
        .pending_leads("2026-07-01", Month::new(2026, 2).unwrap().to_key())
        .await
        .unwrap();
    assert!(after.is_empty(), "{} still pending", after.len());

    // One of those new owners leaves too: their leads are pending again and go to someone else
    // (the earlier decision is replaced, not kept).
    let gone = pending.lines[0].employee_no.clone();
    let gone_row = roster.iter().find(|r| r.employee_no == gone).unwrap();
    let quit = db.dir().join("roster-update.csv");
    std::fs::write(
        &quit,
        format!(
            "工号,姓名,入职日期,离职日期\n{gone},{},{},2026-06-30\n",
            gone_row.name, gone_row.hire_date
        ),
    )
    .unwrap();
    let r = crate::support::import_one(store, &quit, uplift_domain::records::ImportKind::Roster, false).await;
    assert_eq!(r.files[0].updated, 1, "{:?}", r.files[0].issues);
    let again = assign_pending(store, &options(false)).await.expect("pending again");
    // Their handed-on leads come back (with the leads they owned themselves).
    let theirs: Vec<&str> = pending
        .lines
        .iter()
        .filter(|l| l.employee_no == gone)
        .map(|l| l.lead_id.as_str())
        .collect();
    assert!(again.recorded >= theirs.len(), "{:?}", again.lines);
    assert!(theirs.iter().all(|id| again.lines.iter().any(|l| l.lead_id == *id)));
    assert!(again.lines.iter().all(|l| l.employee_no != gone && !l.kept));
    let now = store.assignments_of(&[pending.lines[0].lead_id.clone()]).await.unwrap();
    assert_ne!(now[0].employee_id, gone_row.id);
}

#[tokio::test]
async fn bad_files_of_new_leads_are_refused_whole_with_file_line_and_column() {
    let db = test_db().await;
    create_demo(
        &db.store,
        &DemoConfig {
            seed: 3,
            staff: 20,
            months: 6,
            end: Month::new(2026, 6),
        },
        &db.dir().join("demo-source"),
        &no_progress,
    )
    .await
    .expect("demo");
    let store = &db.store;
    let path = db.dir().join("leads.csv");
    let cases = [
        ("LeadSource,Industry\nWeb,Retail\n", "Id"),
        (
            "Id,LeadSource,NumberOfEmployees\nA1,Web,12\nA2,Web,很多\n",
            "leads.csv:3",
        ),
        ("Id,LeadSource\nA1,Web\nA1,Retail\n", "leads.csv:3"),
        ("Id,LeadSource\n", "没有数据行"),
    ];
    for (text, expect) in cases {
        std::fs::write(&path, text).unwrap();
        let e = assign_file(store, &path, &options(false)).await.expect_err(text);
        let msg = e.render(Lang::Zh);
        assert!(msg.contains(expect), "{text:?}: {msg}");
    }
    // Bad numbers name the column too.
    std::fs::write(&path, "Id,LeadSource,NumberOfEmployees\nA1,Web,很多\n").unwrap();
    let msg = assign_file(store, &path, &options(false))
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(msg.contains(":2:3"), "{msg}");
    assert!(
        store.recent_assignments(10).await.unwrap().is_empty(),
        "nothing recorded"
    );
    // A capacity file naming someone not on the roster is refused.
    std::fs::write(&path, "Id\nA1\n").unwrap();
    let cap = db.dir().join("cap.csv");
    std::fs::write(&cap, "工号,每月线索上限\nNOBODY,5\n").unwrap();
    let mut o = options(false);
    o.capacity_file = Some(cap);
    let msg = assign_file(store, &path, &o).await.unwrap_err().render(Lang::Zh);
    assert!(msg.contains("NOBODY"), "{msg}");
}

#[tokio::test]
async fn a_demo_of_today_has_new_leads_waiting_for_their_first_contact() {
    let db = test_db().await;
    create_demo(
        &db.store,
        &DemoConfig {
            seed: 9,
            staff: 20,
            months: 4,
            end: None,
        },
        &db.dir().join("demo-source"),
        &no_progress,
    )
    .await
    .expect("demo");
    // Early in a month the history's last uncontacted leads are still inside the SLA look-back:
    // only the leads routed now are counted.
    let history: std::collections::HashSet<String> =
        uplift_app::sla::waiting_leads(&db.store, &uplift_domain::access::Scope::All, None, chrono::Utc::now())
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.lead_id)
            .collect();
    let n = uplift_app::demo::route_live_leads(&db.store, 12, 9)
        .await
        .expect("live leads");
    assert_eq!(n, 12);
    let now = chrono::Utc::now();
    let waiting: Vec<_> = uplift_app::sla::waiting_leads(&db.store, &uplift_domain::access::Scope::All, None, now)
        .await
        .unwrap()
        .into_iter()
        .filter(|w| !history.contains(&w.lead_id))
        .collect();
    assert_eq!(waiting.len(), 12);
    // Spread over the last 30 hours: every lead is within its first day and a half.
    assert!(
        waiting
            .iter()
            .all(|w| w.seconds_left > -6 * 3600 - 60 && w.seconds_left <= 24 * 3600)
    );
    // Each went to someone at work today, with a reason.
    let recent = db.store.recent_assignments(20).await.unwrap();
    assert!(recent.iter().all(|a| a.reason.contains("本月剩余容量")), "{recent:?}");
    // The demo's rep account always has one to look at (added once, labelled as such).
    let idle = db
        .store
        .routing_reps()
        .await
        .unwrap()
        .into_iter()
        .find(|r| {
            r.crm_user_id.is_some() && r.leave_date.is_none() && waiting.iter().all(|w| w.employee_no != r.employee_no)
        })
        .expect("someone without a live lead");
    assert!(
        uplift_app::demo::ensure_rep_has_live_lead(&db.store, &idle.employee_no)
            .await
            .unwrap()
    );
    assert!(
        !uplift_app::demo::ensure_rep_has_live_lead(&db.store, &idle.employee_no)
            .await
            .unwrap()
    );
    let mine = uplift_app::sla::waiting_leads(
        &db.store,
        &uplift_domain::access::Scope::All,
        Some(&idle.employee_no),
        now,
    )
    .await
    .unwrap();
    assert_eq!(mine.iter().filter(|w| !history.contains(&w.lead_id)).count(), 1);
}
