//! The role matrix: every page and API endpoint, for every role and for no one signed in; and
//! every change, for every role.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{MONTH, api_get, client, demo, get, signed_in};

const ROLES: [&str; 6] = ["admin", "hr", "payroll", "director", "manager", "rep"];

/// Expected status per role, in the order of [`ROLES`]; `None` = anonymous.
struct Case {
    path: String,
    expect: [u16; 6],
    anonymous: u16,
}

fn case(path: impl Into<String>, expect: [u16; 6], anonymous: u16) -> Case {
    Case {
        path: path.into(),
        expect,
        anonymous,
    }
}

#[tokio::test]
async fn every_handler_allows_forbids_and_requires_sign_in_by_role() {
    let d = demo().await;
    let app = &d.app;
    let rep = d.rep_no.as_str();
    let mate = d.teammate_no.as_str();
    let out = d.outsider_no.as_str();
    let cases = vec![
        //                                           admin hr  payroll director manager rep
        case("/", [200, 200, 200, 200, 303, 303], 303),
        case(format!("/team?month={MONTH}"), [200; 6], 303),
        case(format!("/team/export.xlsx?month={MONTH}"), [200; 6], 303),
        case(format!("/people/{rep}"), [200; 6], 303),
        case("/people/me", [404, 404, 404, 404, 303, 303], 303),
        case(format!("/people/{mate}"), [200, 200, 200, 200, 200, 403], 303),
        case(format!("/people/{out}"), [200, 200, 200, 403, 403, 403], 303),
        case("/people/NOPE-404", [404; 6], 303),
        case(format!("/people/{rep}/why?month={MONTH}"), [200; 6], 303),
        case(
            format!("/people/{mate}/why?month={MONTH}"),
            [200, 200, 200, 200, 200, 403],
            303,
        ),
        case("/leaderboard", [200; 6], 303),
        case("/insights/drivers", [200, 200, 200, 200, 403, 403], 303),
        case("/forecast", [200, 200, 200, 200, 200, 403], 303),
        case("/forecast/alerts", [200, 200, 200, 200, 200, 403], 303),
        case("/forecast/quality", [200, 200, 200, 200, 200, 403], 303),
        case("/forecast/export.xlsx", [200, 200, 200, 200, 200, 403], 303),
        case("/insights/effects", [200, 200, 200, 200, 403, 403], 303),
        case("/insights/effects/summary", [200, 200, 200, 200, 403, 403], 303),
        case("/today", [200; 6], 303),
        case("/inbox", [200; 6], 303),
        case("/leads/sla", [200, 200, 403, 200, 200, 403], 303),
        case("/leads/sla/cadence.xlsx", [200, 200, 403, 200, 200, 403], 303),
        case("/leads/routing", [200, 403, 403, 200, 403, 403], 303),
        case("/leads/routing/simulation", [200, 403, 403, 403, 403, 403], 303),
        case("/import", [200, 200, 403, 403, 403, 403], 303),
        case("/settings", [200, 403, 403, 403, 403, 403], 303),
        case("/audit", [200, 200, 403, 403, 403, 403], 303),
        case(
            "/team?department=%E5%AE%A2%E6%88%B7%E6%88%90%E5%8A%9F%E9%83%A8",
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case("/api/v1/me", [200; 6], 401),
        case(format!("/api/v1/employees/{rep}"), [200; 6], 401),
        case(format!("/api/v1/employees/{mate}"), [200, 200, 200, 200, 200, 403], 401),
        case(format!("/api/v1/employees/{out}"), [200, 200, 200, 403, 403, 403], 401),
        case("/api/v1/employees", [200; 6], 401),
        case("/api/v1/departments", [200; 6], 401),
        case(format!("/api/v1/metrics?month={MONTH}"), [200; 6], 401),
        case(
            format!("/api/v1/metrics?month={MONTH}&level=department"),
            [200, 200, 200, 200, 403, 403],
            401,
        ),
        // A filter outside the scope is refused for every scope (issue 16, finding 10), a
        // director's departments as a team's or a rep's people.
        case(
            format!("/api/v1/metrics?month={MONTH}&department=%E5%AE%A2%E6%88%B7%E6%88%90%E5%8A%9F%E9%83%A8"),
            [200, 200, 200, 403, 403, 403],
            401,
        ),
        case("/api/v1/leaderboard", [200; 6], 401),
        case(format!("/commission?period={MONTH}"), [200; 6], 303),
        case("/commission/plans", [200, 200, 200, 200, 403, 403], 303),
        case(
            format!("/commission?period={MONTH}&employee={mate}"),
            [200, 200, 200, 200, 200, 403],
            303,
        ),
        case(
            format!("/commission?period={MONTH}&employee={out}"),
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case("/commission?period=2026-13", [400; 6], 303),
        case(
            format!("/commission/statement.xlsx?period={MONTH}&employee={rep}"),
            [200; 6],
            303,
        ),
        case(
            format!("/commission/statement.xlsx?period={MONTH}&employee={out}"),
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case(format!("/commission/statements.xlsx?period={MONTH}"), [200; 6], 303),
        // Individual pay: the person themselves, payroll, HR and admins; never managers or directors.
        case(
            format!("/payslip?employee={rep}&month={MONTH}"),
            [200, 200, 200, 403, 403, 200],
            303,
        ),
        case(
            format!("/payslip?employee={mate}&month={MONTH}"),
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case(format!("/payroll?month={MONTH}"), [200, 200, 200, 403, 403, 403], 303),
        case(
            format!("/payroll/sheet.xlsx?month={MONTH}"),
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case(
            format!("/payroll/bank.csv?month={MONTH}"),
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case(
            format!("/payroll/declaration.csv?month={MONTH}"),
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case(
            format!("/payroll/export.xlsx?month={MONTH}"),
            [200, 200, 200, 403, 403, 403],
            303,
        ),
        case(format!("/api/v1/commission/statements?period={MONTH}"), [200; 6], 401),
        case(
            format!("/api/v1/commission/statements?period={MONTH}&employee_no={mate}"),
            [200, 200, 200, 200, 200, 403],
            401,
        ),
        case(
            format!("/api/v1/commission/lines?period={MONTH}&employee_no={out}"),
            [200, 200, 200, 403, 403, 403],
            401,
        ),
        case(
            format!("/api/v1/commission/lines?period={MONTH}&employee_no={rep}"),
            [200; 6],
            401,
        ),
        case("/api/v1/insights/drivers", [200, 200, 200, 200, 403, 403], 401),
        case("/api/v1/forecast", [200, 200, 200, 200, 200, 403], 401),
        // An out-of-scope department's forecast (and its model-wide accuracy) is refused.
        case(
            "/api/v1/forecast?department=%E5%AE%A2%E6%88%B7%E6%88%90%E5%8A%9F%E9%83%A8",
            [200, 200, 200, 403, 403, 403],
            401,
        ),
        case(
            "/api/v1/forecast/backtest?months=2",
            [200, 200, 200, 200, 200, 403],
            401,
        ),
        case("/api/v1/alerts", [200, 200, 200, 200, 200, 403], 401),
        case("/api/v1/interventions", [200, 200, 200, 200, 403, 403], 401),
        case("/api/v1/leads?per_page=5", [200; 6], 401),
        case(
            format!("/api/v1/leads?employee={out}"),
            [200, 200, 200, 403, 403, 403],
            401,
        ),
        case("/api/v1/opportunities?per_page=5", [200; 6], 401),
        case(
            format!("/api/v1/opportunities?employee={out}"),
            [200, 200, 200, 403, 403, 403],
            401,
        ),
        case("/api/v1/followups?per_page=5", [200; 6], 401),
        case(
            format!("/api/v1/followups?employee={out}"),
            [200, 200, 200, 403, 403, 403],
            401,
        ),
        case("/api/v1/imports", [200, 200, 403, 403, 403, 403], 401),
        case("/api/v1/imports/999999", [404, 404, 403, 403, 403, 403], 401),
        // Open to everyone: sign-in (signed in, it sends you home), the API's description, the
        // health check and the assets.
        case("/login", [303; 6], 200),
        case("/api/docs", [200; 6], 200),
        case("/api/openapi.json", [200; 6], 200),
        case("/healthz", [200; 6], 200),
        case("/static/app.css", [200; 6], 200),
        case("/favicon.ico", [204; 6], 204),
    ];
    let mut failures = Vec::new();
    let anon = client();
    for c in &cases {
        let (s, body) = get(&anon, &app.url(&c.path)).await;
        if s.as_u16() != c.anonymous {
            failures.push(format!("anonymous {} → {s}", c.path));
        }
        if c.anonymous == 303 {
            // Not signed in: redirected to sign-in, and nothing of the page leaks.
            assert!(!body.contains(&d.outsider_name));
        }
    }
    for (i, role) in ROLES.iter().enumerate() {
        let http = signed_in(app, role).await;
        for c in &cases {
            let (s, body) = get(&http, &app.url(&c.path)).await;
            if s.as_u16() != c.expect[i] {
                failures.push(format!("{role} {} → {s} (expected {})", c.path, c.expect[i]));
            }
            if s == StatusCode::FORBIDDEN {
                // Forbidden means no data, not a page with parts hidden.
                assert!(
                    !body.contains(&d.outsider_name),
                    "{role} {}: 403 body leaks a name",
                    c.path
                );
            }
        }
    }
    assert!(failures.is_empty(), "role matrix failures:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn each_scope_sees_exactly_its_people() {
    let d = demo().await;
    let app = &d.app;
    let store = &app.db.store;
    let rows_of = |v: &Value| -> Vec<(String, String)> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["employee_no"].as_str().unwrap_or("").to_string(),
                    r["department"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let url = app.url(&format!("/api/v1/metrics?month={MONTH}&per_page=500"));

    // A rep: only themselves.
    let rep = signed_in(app, "rep").await;
    // Their "why" panel opens with the funnel decomposition, then the gaps in levers.
    let (s, why) = get(&rep, &app.url(&format!("/people/{}/why?month={MONTH}", d.rep_no))).await;
    assert_eq!(s, reqwest::StatusCode::OK);
    assert!(
        why.contains("id=\"why-funnel\"") && why.contains("线索量") && why.contains("赢单率"),
        "{why}"
    );
    let v: Value = rep.get(&url).send().await.unwrap().json().await.unwrap();
    let rows = rows_of(&v);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|(no, _)| *no == d.rep_no), "rep sees {rows:?}");

    // A manager: themselves and everyone reporting to them, nobody else.
    let mut team = store.reports_of(&d.manager_no).await.unwrap();
    team.push(d.manager_no.clone());
    let mgr = signed_in(app, "manager").await;
    let v: Value = mgr.get(&url).send().await.unwrap().json().await.unwrap();
    let rows = rows_of(&v);
    assert!(rows.len() >= 2);
    assert!(rows.iter().all(|(no, _)| team.contains(no)), "manager sees {rows:?}");

    // The director of 销售中心: everyone below it, and all of them.
    let dir = signed_in(app, "director").await;
    let v: Value = dir.get(&url).send().await.unwrap().json().await.unwrap();
    let rows = rows_of(&v);
    assert!(
        rows.iter().all(|(_, dep)| dep.starts_with("销售中心/")),
        "director sees {rows:?}"
    );
    let admin = signed_in(app, "admin").await;
    let all: Value = admin.get(&url).send().await.unwrap().json().await.unwrap();
    let all_rows = rows_of(&all);
    let expected = all_rows.iter().filter(|(_, dep)| dep.starts_with("销售中心/")).count();
    assert_eq!(rows.len(), expected);
    assert!(all_rows.len() > rows.len(), "admin sees more than the director");
    assert_eq!(all["total"].as_i64().unwrap() as usize, all_rows.len());

    // The rep's team page lists one person; the director's league covers 销售中心 only.
    let (_, html) = get(&rep, &app.url(&format!("/team?month={MONTH}"))).await;
    assert_eq!(
        html.matches("<td><a href=\"/people/").count(),
        1,
        "rep's team page lists only the rep"
    );
    // Pages open on the newest month with results.
    let (_, html) = get(&dir, &app.url("/")).await;
    assert!(
        html.contains(&format!("value=\"{MONTH}\" selected")),
        "overview opens on {MONTH}"
    );
    let (_, html) = get(&dir, &app.url(&format!("/?month={MONTH}"))).await;
    assert!(html.contains("销售中心/华东大区"));
    assert!(
        !html.contains("客户成功部"),
        "the director's overview shows other departments"
    );

    // Leads of the rep's API: all owned by the rep's CRM user.
    let rep_leads: Value = rep
        .get(app.url("/api/v1/leads?per_page=500"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let leads = rep_leads["data"].as_array().unwrap();
    assert!(!leads.is_empty());
    assert!(
        leads
            .iter()
            .all(|l| l["owner_employee_no"] == Value::String(d.rep_no.clone()))
    );
    let admin_leads: Value = admin
        .get(app.url("/api/v1/leads?per_page=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(admin_leads["total"].as_i64().unwrap() > rep_leads["total"].as_i64().unwrap());
}

#[tokio::test]
async fn tokens_bound_to_an_employee_get_that_persons_scope() {
    let d = demo().await;
    let app = &d.app;
    let store = &app.db.store;
    use uplift_app::access::create_token;
    use uplift_domain::Lang;
    use uplift_domain::access::Role;
    let (_, rep_token) = create_token(store, "t", Role::Employee, Some(&d.rep_no), None, "test", Lang::En)
        .await
        .unwrap();
    let (_, mgr_token) = create_token(store, "t", Role::Manager, Some(&d.manager_no), None, "test", Lang::En)
        .await
        .unwrap();
    // An employee token must be bound to someone.
    assert!(
        create_token(store, "t", Role::Employee, None, None, "test", Lang::En)
            .await
            .is_err()
    );
    assert!(
        create_token(store, "t", Role::Employee, Some("NOBODY"), None, "test", Lang::En)
            .await
            .is_err()
    );

    let (s, v) = api_get(
        &rep_token,
        &app.url(&format!("/api/v1/metrics?month={MONTH}&metric=contribution")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let rows = v["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["employee_no"], Value::String(d.rep_no.clone()));
    assert_eq!(
        rows[0]["values"].as_object().unwrap().len(),
        1,
        "only the metric asked for"
    );
    let (s, _) = api_get(&rep_token, &app.url(&format!("/api/v1/employees/{}", d.teammate_no))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api_get(&mgr_token, &app.url(&format!("/api/v1/employees/{}", d.teammate_no))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = api_get(&mgr_token, &app.url(&format!("/api/v1/employees/{}", d.outsider_no))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["code"], "forbidden");
    assert!(v.to_string().find(&d.outsider_name).is_none());

    // A wrong or revoked token is 401 with the error body.
    let (s, v) = api_get("upl_nonsense", &app.url("/api/v1/me")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "unauthenticated");
    let id = store.tokens().await.unwrap()[0].id;
    uplift_app::access::revoke_token(store, id, "test").await.unwrap();
    let (s, _) = api_get(&rep_token, &app.url("/api/v1/me")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_change_is_allowed_or_forbidden_by_role() {
    use reqwest::multipart::{Form, Part};
    let d = demo().await;
    let app = &d.app;
    let roster = "工号,姓名,部门,入职日期\nX9001,测试员,销售中心/华东大区/销售一部,2026-01-05\n";
    // (role, status of: add user, company settings, import preview, API import dry run,
    // evaluate an intervention (page), the same through the API, delete the evaluation, disable
    // the user added, commit an upload that is not there, save the SLA, save the cadence rules,
    // route a lead (API), the lead webhook, mark messages read, message preferences, log a
    // follow-up on a lead that is not there (accounts that are not an employee have no leads),
    // dispute a commission line of someone outside 销售中心 that does not exist, answer a
    // dispute that does not exist, sign out)
    let expected: [(&str, [u16; 19]); 6] = [
        (
            "admin",
            [
                303, 303, 200, 200, 303, 200, 303, 303, 404, 303, 303, 200, 200, 303, 303, 403, 400, 404, 303,
            ],
        ),
        (
            "hr",
            [
                403, 403, 200, 200, 303, 200, 303, 403, 404, 403, 403, 403, 403, 303, 303, 403, 400, 404, 303,
            ],
        ),
        (
            "payroll",
            [
                403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 303, 403, 400, 404, 303,
            ],
        ),
        (
            "director",
            [
                403, 403, 403, 403, 303, 200, 303, 403, 403, 403, 403, 403, 403, 303, 303, 403, 403, 403, 303,
            ],
        ),
        (
            "manager",
            [
                403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 303, 400, 403, 403, 303,
            ],
        ),
        (
            "rep",
            [
                403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 303, 400, 403, 403, 303,
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (role, want) in expected {
        let http = crate::support::signed_in(app, role).await;
        let csrf = crate::support::csrf_of(&http, &app.url("/leaderboard")).await;
        let got = [
            http.post(app.url("/settings/users"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("username", &format!("u-{role}")),
                    ("password", "long-enough-1"),
                    ("role", "hr"),
                ])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/settings/company"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("timezone", "Asia/Shanghai"),
                    ("currency", "CNY"),
                ])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/import/preview"))
                .multipart(
                    Form::new()
                        .text("_csrf", csrf.clone())
                        .text("kind", "roster")
                        .part("file", Part::bytes(roster.as_bytes().to_vec()).file_name("r.csv")),
                )
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/api/v1/imports?kind=roster&dry_run=true"))
                .header("x-csrf-token", csrf.as_str())
                .multipart(Form::new().part("file", Part::bytes(roster.as_bytes().to_vec()).file_name("r.csv")))
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/insights/effects"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("name", &format!("试点-{role}")),
                    ("treated", "销售中心/华东大区/销售一部"),
                    ("start", "2026-09-01"),
                    ("metric", "followups_per_week"),
                ])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/api/v1/interventions"))
                .header("x-csrf-token", csrf.as_str())
                .json(&serde_json::json!({
                    "name": format!("api-{role}"),
                    "treated": "销售中心/华东大区/销售一部",
                    "start": "2026-09-01",
                    "metric": "followups_per_week",
                }))
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/insights/effects/delete"))
                .form(&[("_csrf", csrf.as_str()), ("name", &format!("试点-{role}"))])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/settings/users/state"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("username", &format!("u-{role}")),
                    ("disabled", "true"),
                ])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/import/commit"))
                .form(&[("_csrf", csrf.as_str()), ("upload", &"0".repeat(64))])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/leads/routing/sla"))
                .form(&[("_csrf", csrf.as_str()), ("hours", "8"), ("reassign", "")])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/leads/routing/cadence"))
                .form(&cadence_form(&csrf))
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/api/v1/leads/route"))
                .header("x-csrf-token", csrf.as_str())
                .json(&serde_json::json!({"id": format!("ROLE-{role}"), "source": "Web"}))
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/api/v1/webhooks/leads"))
                .header("x-csrf-token", csrf.as_str())
                .json(&serde_json::json!([{"Id": format!("HOOK-{role}"), "LeadSource": "Web"}]))
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/inbox/read"))
                .form(&[("_csrf", csrf.as_str())])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/inbox/prefs"))
                .form(&[("_csrf", csrf.as_str()), ("email", "1")])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/today/followup"))
                .form(&[("_csrf", csrf.as_str()), ("lead_id", "NO-SUCH-LEAD")])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/commission/dispute"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("period", MONTH),
                    ("employee", d.outsider_no.as_str()),
                    ("seq", "9999"),
                    ("reason", "不对"),
                ])
                .send()
                .await
                .unwrap()
                .status(),
            http.post(app.url("/commission/dispute/answer"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("id", "999999"),
                    ("period", MONTH),
                    ("verdict", "rejected"),
                    ("answer", "no"),
                ])
                .send()
                .await
                .unwrap()
                .status(),
            // Last: it ends the session.
            http.post(app.url("/logout"))
                .form(&[("_csrf", csrf.as_str())])
                .send()
                .await
                .unwrap()
                .status(),
        ];
        for (i, g) in got.iter().enumerate() {
            if g.as_u16() != want[i] {
                failures.push(format!("{role} change #{i} → {g} (expected {})", want[i]));
            }
        }
    }
    // Nobody signed in: pages redirect to sign-in, the API answers 401.
    let anon = client();
    let r = anon
        .post(app.url("/settings/users"))
        .form(&[("username", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = anon
        .post(app.url("/api/v1/imports?kind=roster"))
        .multipart(Form::new().part("file", Part::bytes(roster.as_bytes().to_vec()).file_name("r.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The session-cookie API import without the CSRF header is refused even for admin.
    let admin = crate::support::signed_in(app, "admin").await;
    let r = admin
        .post(app.url("/api/v1/imports?kind=roster&dry_run=true"))
        .multipart(Form::new().part("file", Part::bytes(roster.as_bytes().to_vec()).file_name("r.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        app.db
            .store
            .employee_record("X9001", &uplift_domain::access::Scope::All)
            .await
            .unwrap()
            .is_none(),
        "previews and dry runs write nothing"
    );
}

/// A valid cadence rules form.
fn cadence_form(csrf: &str) -> Vec<(&'static str, String)> {
    [
        ("_csrf", csrf),
        ("potential_n", "1"),
        ("potential_every", "7"),
        ("potential_for", ""),
        ("intent_n", "3"),
        ("intent_every", "7"),
        ("intent_for", ""),
        ("won_n", "1"),
        ("won_every", "30"),
        ("won_for", ""),
        ("lead_map", ""),
        ("opp_map", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}
