//! The commission API on the demo company: scope, refusals, explanations.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{MONTH, api_get, demo, get, signed_in};

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
