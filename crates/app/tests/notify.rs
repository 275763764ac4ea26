//! The first-contact SLA, the scheduler and notifications end to end: a lead routed now, a
//! reminder before its deadline (inbox and email to a local SMTP sink), a breach to the manager and
//! to signed DingTalk/Feishu/WeCom robots (local fakes that check signatures), retries with
//! back-off, reassignment, and jobs that run once per slot even with two workers.

use chrono::{Duration, Utc};
use uplift_app::demo::{DemoConfig, create_demo};
use uplift_app::jobs::tick;
use uplift_app::routing::{IncomingLead, OnlineRouter};
use uplift_domain::access::Scope;
use uplift_domain::{Lang, Month};
use uplift_store::ChannelRow;
use uplift_testkit::fakes::{FakeRobot, SmtpSink};
use uplift_testkit::test_db;

use crate::support::no_progress;

/// The Subject header of a message, RFC 2047 encoded words decoded.
fn subject(data: &str) -> String {
    use base64::Engine;
    let mut lines = data.split("\r\n");
    let mut raw = String::new();
    while let Some(l) = lines.next() {
        if let Some(v) = l.strip_prefix("Subject: ") {
            raw.push_str(v);
            for more in lines.by_ref() {
                match more.strip_prefix(' ') {
                    Some(m) => {
                        raw.push(' ');
                        raw.push_str(m);
                    }
                    None => break,
                }
            }
            break;
        }
    }
    raw.split(' ')
        .map(
            |w| match w.strip_prefix("=?utf-8?b?").and_then(|x| x.strip_suffix("?=")) {
                Some(b) => String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap_or_default())
                    .unwrap_or_default(),
                None => format!(" {w} "),
            },
        )
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn robot(name: &str, kind: &str, url: String, secret: Option<&str>) -> ChannelRow {
    ChannelRow {
        id: 0,
        name: name.into(),
        kind: kind.into(),
        url,
        secret: secret.map(str::to_string),
        department_path: None,
        enabled: true,
    }
}

#[tokio::test]
async fn a_missed_first_contact_reminds_alerts_reassigns_and_every_message_arrives_once() {
    let db = test_db().await;
    let store = &db.store;
    create_demo(
        store,
        &DemoConfig {
            seed: 5,
            staff: 30,
            months: 6,
            end: Month::new(2026, 6),
        },
        &db.dir().join("demo-source"),
        &no_progress,
    )
    .await
    .expect("demo");
    let fake = FakeRobot::start("SEC-123").await;
    let sink = SmtpSink::start().await;
    for c in [
        robot(
            "钉钉销售群",
            "dingtalk",
            format!("{}/dingtalk?access_token=T", fake.base),
            Some("SEC-123"),
        ),
        robot("飞书销售群", "feishu", format!("{}/feishu", fake.base), Some("SEC-123")),
        robot("企微销售群", "wecom", format!("{}/wecom?key=K", fake.base), None),
    ] {
        uplift_app::notify::save_channel(store, &c, "tester", Lang::Zh)
            .await
            .expect("robot");
    }
    store.set_setting("smtp.url", &sink.url).await.unwrap();
    store
        .set_setting("smtp.from", "Uplift <uplift@example.com>")
        .await
        .unwrap();

    // A lead arrives now and is routed.
    let online = OnlineRouter::default();
    let lead = IncomingLead {
        id: "LIVE-1".into(),
        source: Some("Web".into()),
        industry: Some("Retail".into()),
        company: Some("杭州测试公司".into()),
        ..Default::default()
    };
    let routed = online
        .route(store, &lead, "tester", Some("admin"), Lang::Zh)
        .await
        .expect("route");
    let rep = routed.employee_no.clone();
    let t0 = Utc::now();
    let waiting = uplift_app::sla::waiting_leads(store, &Scope::All, Some(&rep), t0)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(
        (waiting[0].seconds_left - 24 * 3600).abs() < 120,
        "{}",
        waiting[0].seconds_left
    );

    // 23 hours later: a reminder to the rep, in the inbox and by email.
    let t = tick(store, "w1", t0 + Duration::hours(23)).await.expect("tick");
    assert!(t.ran.iter().any(|(k, _, r)| k == "sla" && r.is_ok()), "{:?}", t.ran);
    let inbox = store.inbox(&rep, 10).await.unwrap();
    assert!(
        inbox
            .iter()
            .any(|n| n.kind == "sla.reminder" && n.title.contains("杭州测试公司")),
        "{inbox:?}"
    );
    let rep_email = store.email_of(&rep).await.unwrap().expect("demo reps have email");
    let mails = sink.mails();
    assert!(
        mails.iter().any(|m| m.to.iter().any(|t| t.contains(&rep_email))),
        "{mails:?}"
    );
    let breach = |h: &uplift_testkit::fakes::RobotHit| h.body.to_string().contains("首次联系超时");
    assert!(!fake.hits().iter().any(breach), "no breach before the deadline");

    // 25 hours: the breach goes to the manager and to all three robots, signed.
    let manager = store
        .routing_reps()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.employee_no == rep)
        .and_then(|r| r.manager_no);
    tick(store, "w1", t0 + Duration::hours(25)).await.expect("tick");
    let hits = fake.hits();
    // Every robot call was signed correctly (the daily alerts may have gone out too).
    assert!(hits.iter().all(|h| h.signed_ok), "{hits:?}");
    for path in ["/dingtalk", "/feishu", "/wecom"] {
        let h: Vec<_> = hits.iter().filter(|h| h.path == path && breach(h)).collect();
        assert_eq!(h.len(), 1, "{path}: {hits:?}");
    }
    let before_again = hits.len();
    if let Some(m) = &manager {
        assert!(store.inbox(m, 10).await.unwrap().iter().any(|n| n.kind == "sla.breach"));
    }
    // The breach is emailed too (to the rep, and the manager when there is one) via the SMTP sink.
    let subjects_to = |who: &str| -> Vec<String> {
        sink.mails()
            .iter()
            .filter(|x| x.to.iter().any(|t| t.contains(who)))
            .map(|x| subject(&x.data))
            .collect()
    };
    let rep_subjects = subjects_to(&rep_email);
    assert!(
        rep_subjects.iter().any(|s| s.starts_with("新线索待首次联系")),
        "{rep_subjects:?}"
    );
    assert!(
        rep_subjects.iter().any(|s| s.starts_with("线索已超时未联系")),
        "{rep_subjects:?}"
    );
    if let Some(m) = &manager
        && let Some(e) = store.email_of(m).await.unwrap()
    {
        let s = subjects_to(&e);
        assert!(s.iter().any(|s| s.starts_with("首次联系超时")), "{s:?}");
    }
    // The same slot again, and another worker: nothing runs or arrives twice.
    let again = tick(store, "w2", t0 + Duration::hours(25)).await.expect("tick");
    assert!(again.ran.iter().all(|(k, _, _)| k != "sla"), "{:?}", again.ran);
    assert_eq!(fake.hits().len(), before_again);

    // A robot that fails once is retried after a minute and then succeeds.
    *fake.fail_first.lock().unwrap() = 1;
    uplift_app::notify::test_channel(store, "企微销售群", Lang::Zh)
        .await
        .unwrap();
    let t1 = t0 + Duration::hours(25) + Duration::minutes(1);
    let d = uplift_app::notify::deliver_due(store, t1.timestamp()).await.unwrap();
    assert_eq!((d.sent, d.retrying), (0, 1));
    let d = uplift_app::notify::deliver_due(store, (t1 + Duration::seconds(30)).timestamp())
        .await
        .unwrap();
    assert_eq!(d.sent + d.retrying, 0, "not before its back-off");
    let d = uplift_app::notify::deliver_due(store, (t1 + Duration::seconds(61)).timestamp())
        .await
        .unwrap();
    assert_eq!(d.sent, 1);

    // A robot whose secret is wrong is rejected by the vendor; after 5 attempts it is failed and
    // the error is visible in the outbox.
    uplift_app::notify::save_channel(
        store,
        &robot(
            "坏的群",
            "dingtalk",
            format!("{}/dingtalk?access_token=X", fake.base),
            Some("WRONG"),
        ),
        "tester",
        Lang::Zh,
    )
    .await
    .unwrap();
    uplift_app::notify::test_channel(store, "坏的群", Lang::Zh)
        .await
        .unwrap();
    let mut at = t1 + Duration::minutes(5);
    for _ in 0..5 {
        uplift_app::notify::deliver_due(store, at.timestamp()).await.unwrap();
        at += Duration::minutes(20);
    }
    let out = store.outbox(50).await.unwrap();
    let bad = out.iter().find(|n| n.recipient == "坏的群").unwrap();
    assert_eq!((bad.status.as_str(), bad.attempts), ("failed", 5));
    assert!(bad.last_error.as_deref().unwrap_or("").contains("310000"), "{bad:?}");

    // Reassignment after a further 2 hours: the lead goes to someone else, audited, and they are told.
    store.set_setting("sla.reassign_hours", "2").await.unwrap();
    tick(store, "w1", t0 + Duration::hours(27)).await.expect("tick");
    let assigned = store.assignments_of(&["LIVE-1".into()]).await.unwrap();
    assert_eq!(assigned[0].origin, "sla-reassign");
    assert_eq!(assigned[0].previous_owner.as_deref(), Some(rep.as_str()));
    let new_rep = store
        .routing_reps()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == assigned[0].employee_id)
        .unwrap();
    assert_ne!(new_rep.employee_no, rep);
    assert!(
        store
            .inbox(&new_rep.employee_no, 10)
            .await
            .unwrap()
            .iter()
            .any(|n| n.kind == "sla.reassigned")
    );

    // The new owner logs a call: the lead no longer waits.
    store
        .log_followup(
            "uplift-test-1",
            new_rep.crm_user_id.as_deref().unwrap(),
            Some("LIVE-1"),
            None,
            "电话",
            Utc::now().timestamp(),
            202611,
        )
        .await
        .unwrap();
    assert!(
        uplift_app::sla::waiting_leads(store, &Scope::All, None, t0 + Duration::hours(28))
            .await
            .unwrap()
            .iter()
            .all(|w| w.lead_id != "LIVE-1")
    );
}

/// Email copies with no SMTP server set cannot succeed by waiting: failed at the first round, with
/// the reason in the outbox, never retried (the demo logged 536 warnings in 13 minutes).
#[tokio::test]
async fn email_without_an_smtp_server_fails_once_and_is_not_retried() {
    let db = uplift_testkit::test_db().await;
    let store = &db.store;
    let now = 1_800_000_000;
    let note = |key: &str| uplift_store::NewNotification {
        recipient: "E1001".into(),
        channel: "email".into(),
        kind: "sla".into(),
        title: "线索已超时未联系".into(),
        body: "…".into(),
        link: None,
        dedupe_key: key.into(),
    };
    store.enqueue_notifications(&[note("a"), note("b")], now).await.unwrap();
    let d = uplift_app::notify::deliver_due(store, now).await.unwrap();
    assert_eq!((d.sent, d.retrying, d.failed), (0, 0, 2));
    let later = uplift_app::notify::deliver_due(store, now + 3_600).await.unwrap();
    assert_eq!(
        (later.sent, later.retrying, later.failed),
        (0, 0, 0),
        "nothing left to retry"
    );
    let out = store.outbox(10).await.unwrap();
    assert_eq!(out.len(), 2);
    for n in &out {
        assert_eq!((n.status.as_str(), n.attempts), ("failed", 1), "{n:?}");
        assert!(n.last_error.as_deref().unwrap_or("").contains("SMTP"), "{n:?}");
    }
}
