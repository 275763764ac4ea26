//! The commission API on the demo company: scope, refusals, explanations.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{MONTH, api_get, csrf_of, demo, get, signed_in};

#[tokio::test]
async fn commission_statements_over_the_api_keep_to_the_callers_scope() {
    use uplift_app::access::create_token;
    use uplift_domain::Lang;
    use uplift_domain::access::Role;
    let d = demo().await;
    let app = &d.app;
    let store = &app.db.store;
    let token = |role, no: Option<String>| async move {
        create_token(store, "t", role, no.as_deref(), None, "test", Lang::En)
            .await
            .unwrap()
            .1
    };
    let rep = token(Role::Employee, Some(d.rep_no.clone())).await;
    let manager = token(Role::Manager, Some(d.manager_no.clone())).await;
    let payroll = token(Role::Payroll, None).await;
    let url = |q: &str| app.url(&format!("/api/v1/commission/statements?period={MONTH}{q}"));

    // The demo's default plan ran its last month: payroll sees every statement.
    let (s, all) = api_get(&payroll, &url("")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(all["status"], "draft");
    let everyone: Vec<&str> = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["employee_no"].as_str().unwrap())
        .collect();
    assert!(
        everyone.len() > 5 && everyone.contains(&d.rep_no.as_str()),
        "{everyone:?}"
    );
    // The rep: their own row only; the manager: their team, with the rep, without outsiders.
    let (_, mine) = api_get(&rep, &url("")).await;
    let mine = mine["rows"].as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["employee_no"], Value::String(d.rep_no.clone()));
    let (_, team) = api_get(&manager, &url("")).await;
    let team: Vec<&str> = team["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["employee_no"].as_str().unwrap())
        .collect();
    assert!(
        team.contains(&d.rep_no.as_str()) && team.len() < everyone.len(),
        "{team:?}"
    );
    // Another person's statement is refused to the rep.
    let (s, _) = api_get(&rep, &url(&format!("&employee_no={}", d.teammate_no))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Lines explain themselves in the language asked for, and pay what the statement says.
    let (s, lines) = api_get(
        &rep,
        &app.url(&format!("/api/v1/commission/lines?period={MONTH}&lang=en")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let lines = lines.as_array().unwrap();
    let paid: i64 = lines.iter().map(|l| l["pay_fen"].as_i64().unwrap()).sum();
    assert_eq!(mine[0]["commission_fen"].as_i64().unwrap(), paid.min(5_000_000));
    assert!(!lines.is_empty(), "the demo rep has won deals in {MONTH}");
    assert!(lines.iter().all(|l| l["explanation"].as_str().unwrap().contains(" = ")));
    // A bad period is a 400 naming the field.
    let (s, v) = api_get(&rep, &app.url("/api/v1/commission/statements?period=2026-13")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "period", "{v}");
}

#[tokio::test]
async fn the_statement_page_shows_a_rep_their_own_and_a_manager_the_team() {
    let d = demo().await;
    let app = &d.app;
    let rep = signed_in(app, "rep").await;
    let (s, body) = get(&rep, &app.url(&format!("/commission?period={MONTH}"))).await;
    assert_eq!(s, 200);
    // Their statement: standing in the bands, every line explained, the workbook link; no team.
    assert!(body.contains("id=\"my-statement\""), "{body}");
    assert!(body.contains(&d.rep_no), "{body}");
    assert!(body.contains("达成率") || body.contains("无目标"), "{body}");
    assert!(body.contains(" = "), "lines explain themselves: {body}");
    assert!(!body.contains("id=\"team-statements\""));
    assert!(!body.contains(&d.teammate_no), "{body}");
    let x = rep
        .get(app.url(&format!("/commission/statement.xlsx?period={MONTH}")))
        .send()
        .await
        .unwrap();
    assert_eq!(x.status(), 200);
    assert!(
        x.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("commission-{MONTH}-{}.xlsx", d.rep_no))
    );
    assert_eq!(&x.bytes().await.unwrap()[..2], b"PK");

    // The manager: the team table with the rep and the teammate, without outsiders.
    let manager = signed_in(app, "manager").await;
    let (_, body) = get(&manager, &app.url(&format!("/commission?period={MONTH}"))).await;
    assert!(body.contains("id=\"team-table\""), "{body}");
    assert!(body.contains(&d.rep_no) && body.contains(&d.teammate_no), "{body}");
    assert!(!body.contains(&d.outsider_no), "{body}");
    // English, and a period nobody ran says so.
    let (_, body) = get(&rep, &app.url("/commission?period=2025-01&lang=en")).await;
    assert!(
        body.contains("No commission has been computed for this period yet."),
        "{body}"
    );
}

#[tokio::test]
async fn a_rep_disputes_a_line_and_payroll_answers_it() {
    let d = demo().await;
    let app = &d.app;
    let store = &app.db.store;
    let rep = signed_in(app, "rep").await;
    let page = app.url(&format!("/commission?period={MONTH}"));
    let csrf = csrf_of(&rep, &page).await;
    let (_, body) = get(&rep, &page).await;
    assert!(
        body.contains("dispute-form"),
        "the rep's own lines can be disputed: {body}"
    );
    let post = |c: &reqwest::Client, url: &str, form: Vec<(&str, String)>| {
        let req = c.post(app.url(url)).form(&form);
        async move { req.send().await.unwrap() }
    };
    let form = |no: &str, reason: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("period", MONTH.to_string()),
            ("employee", no.to_string()),
            ("seq", "1".to_string()),
            ("reason", reason.to_string()),
        ]
    };
    // No reason, someone else's line, no CSRF token: refused, nothing recorded.
    assert_eq!(
        post(&rep, "/commission/dispute", form(&d.rep_no, "  ")).await.status(),
        400
    );
    assert_eq!(
        post(&rep, "/commission/dispute", form(&d.teammate_no, "不对"))
            .await
            .status(),
        403
    );
    let mut no_token = form(&d.rep_no, "不对");
    no_token.remove(0);
    assert_eq!(post(&rep, "/commission/dispute", no_token).await.status(), 403);
    assert!(
        store
            .disputes(None, &uplift_domain::access::Scope::All)
            .await
            .unwrap()
            .is_empty()
    );

    let r = post(
        &rep,
        "/commission/dispute",
        form(&d.rep_no, "这单是和同事一起签的，应该分成"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, body) = get(&rep, &app.url(r.headers()["location"].to_str().unwrap())).await;
    assert!(
        body.contains("id=\"commission-notice\"") && body.contains("待处理"),
        "{body}"
    );
    let raised = store.disputes(None, &uplift_domain::access::Scope::All).await.unwrap();
    assert_eq!((raised.len(), raised[0].state.as_str()), (1, "open"));
    // Payroll hears of it in the inbox.
    let inbox = store.inbox("user:payroll", 20).await.unwrap();
    assert!(
        inbox
            .iter()
            .any(|n| n.kind == "commission.dispute" && n.body.contains("应该分成")),
        "{inbox:?}"
    );

    // A rep cannot answer; payroll can, once.
    let answer = |verdict: &str, csrf: &str| {
        vec![
            ("_csrf", csrf.to_string()),
            ("id", raised[0].id.to_string()),
            ("period", MONTH.to_string()),
            ("verdict", verdict.to_string()),
            ("answer", "已按 50% 分成更正，下月调整".to_string()),
        ]
    };
    assert_eq!(
        post(&rep, "/commission/dispute/answer", answer("resolved", &csrf))
            .await
            .status(),
        403
    );
    let payroll = signed_in(app, "payroll").await;
    let pcsrf = csrf_of(&payroll, &page).await;
    let (_, body) = get(&payroll, &page).await;
    assert!(body.contains("/commission/dispute/answer"), "{body}");
    let r = post(&payroll, "/commission/dispute/answer", answer("resolved", &pcsrf)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        post(&payroll, "/commission/dispute/answer", answer("rejected", &pcsrf))
            .await
            .status(),
        409
    );
    let done = store.disputes(None, &uplift_domain::access::Scope::All).await.unwrap();
    assert_eq!(done[0].state, "resolved");
    let rep_inbox = store.inbox(&d.rep_no, 50).await.unwrap();
    assert!(
        rep_inbox
            .iter()
            .any(|n| n.kind == "commission.dispute.answer" && n.title.contains("已采纳")),
        "{rep_inbox:?}"
    );
    // Both steps are audited.
    let audited = store
        .audit(&uplift_store::AuditQuery {
            action: Some("commission.dispute".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audited.iter().map(|a| a.action.as_str()).collect();
    assert!(
        actions.contains(&"commission.dispute") && actions.contains(&"commission.dispute.answer"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_plan_page_draws_the_tiers_and_keeps_a_bad_file_with_its_error() {
    let d = demo().await;
    let app = &d.app;
    let payroll = signed_in(app, "payroll").await;
    let url = app.url("/commission/plans");
    let (s, body) = get(&payroll, &url).await;
    assert_eq!(s, 200);
    // The demo's plan, its bands and a curve to draw; the editor for payroll.
    assert!(body.contains("sales-default") && body.contains("tier-curve"), "{body}");
    assert!(body.contains("超额累进") && body.contains("×1.4"), "{body}");
    assert!(body.contains("id=\"plan-save\""), "{body}");
    let csrf = csrf_of(&payroll, &url).await;
    let source =
        std::fs::read_to_string(uplift_testkit::repo_root().join("examples/commission/sales-2026.toml")).unwrap();
    // A rate of 3 instead of 0.03: refused, the file kept in the editor, the line and field named.
    let bad = source.replacen("default_rate = 0.03", "default_rate = 3", 1);
    let line = bad.lines().position(|l| l.starts_with("default_rate")).unwrap() + 1;
    let r = payroll
        .post(&url)
        .form(&[("_csrf", csrf.as_str()), ("source", bad.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "plan.toml: 第 {line} 行，default_rate：比例必须在 0 到 1 之间"
        )),
        "{body}"
    );
    assert!(
        body.contains("aria-invalid=\"true\"") && body.contains("default_rate = 3"),
        "{body}"
    );
    assert!(!body.contains("sales-2026 · "), "nothing was saved: {body}");
    // Modelling the whole-tiering variant over the demo's last month: tables, nothing saved.
    let demo_plan = std::fs::read_to_string(app.db.dir().join("demo-source/commission-plan.toml")).unwrap();
    let whole = demo_plan.replacen("tiering = \"marginal\"", "tiering = \"whole\"", 1);
    assert_ne!(whole, demo_plan);
    let simulate = |c: &reqwest::Client, csrf: &str| {
        let req = c.post(app.url("/commission/plans/simulate")).form(&[
            ("_csrf", csrf),
            ("source", whole.as_str()),
            ("from", MONTH),
            ("to", MONTH),
        ]);
        async move { req.send().await.unwrap() }
    };
    let r = simulate(&payroll, &csrf).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(
        status,
        200,
        "{}",
        body.split("id=\"plan-error\">")
            .nth(1)
            .and_then(|t| t.split("</p>").next())
            .unwrap_or("")
    );
    assert!(
        body.contains("id=\"simulation-teams\"") && body.contains(&format!("<td>{MONTH}</td>")),
        "{body}"
    );
    let stored = uplift_app::commission::plans(
        &app.db.store,
        &uplift_app::access::Principal {
            actor: "t".into(),
            role: uplift_domain::access::Role::Payroll,
            employee_no: None,
            scope: uplift_domain::access::Scope::All,
        },
    )
    .await
    .unwrap();
    assert!(
        stored
            .iter()
            .all(|v| v.plan.tiering.label(uplift_domain::Lang::En) == "marginal")
    );
    // A rep may not model plans.
    let rep = signed_in(app, "rep").await;
    let rcsrf = csrf_of(&rep, &app.url("/leaderboard")).await;
    assert_eq!(simulate(&rep, &rcsrf).await.status(), 403);
    // The good file is saved and shown.
    let r = payroll
        .post(&url)
        .form(&[("_csrf", csrf.as_str()), ("source", source.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, body) = get(&payroll, &app.url(r.headers()["location"].to_str().unwrap())).await;
    assert!(
        body.contains("sales-2026 · 2026-01-01") && body.contains("id=\"plan-notice\""),
        "{body}"
    );
    // A director reads plans and may model one, but has no save button and may not save.
    let director = signed_in(app, "director").await;
    let (_, body) = get(&director, &url).await;
    assert!(
        body.contains("sales-2026") && body.contains("id=\"plan-simulate\"") && !body.contains("id=\"plan-save\""),
        "{body}"
    );
    let dcsrf = csrf_of(&director, &app.url("/leaderboard")).await;
    let r = director
        .post(&url)
        .form(&[("_csrf", dcsrf.as_str()), ("source", source.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn payroll_sets_the_pay_month_on_the_plan_page() {
    let d = demo().await;
    let app = &d.app;
    let store = &app.db.store;
    let payroll = signed_in(app, "payroll").await;
    let url = app.url("/commission/plans");
    let (_, body) = get(&payroll, &url).await;
    assert!(
        body.contains("id=\"pay-month-select\"") && body.contains("value=\"next\" selected"),
        "{body}"
    );
    let csrf = csrf_of(&payroll, &url).await;
    let post = |c: &reqwest::Client, csrf: &str, v: &str| {
        let req = c
            .post(app.url("/commission/pay-month"))
            .form(&[("_csrf", csrf.to_string()), ("pay_month", v.to_string())]);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(post(&payroll, &csrf, "later").await, 400);
    assert_eq!(post(&payroll, &csrf, "same").await, 303);
    let (_, body) = get(&payroll, &app.url("/commission/plans?saved=pay-month-same")).await;
    assert!(
        body.contains("已保存提成发放月份") && body.contains("value=\"same\" selected"),
        "{body}"
    );
    assert_eq!(
        uplift_app::commission::pay_month_rule(store).await.unwrap(),
        uplift_app::commission::PayMonth::Same
    );
    // A director reads the rule but may not change it.
    let director = signed_in(app, "director").await;
    let (_, body) = get(&director, &url).await;
    assert!(
        body.contains("id=\"pay-month-rule\"") && body.contains("当月发放"),
        "{body}"
    );
    let dcsrf = csrf_of(&director, &app.url("/leaderboard")).await;
    assert_eq!(post(&director, &dcsrf, "next").await, 403);
}
