//! Sessions, CSRF, sign-in limits, the audit log, and bad requests that must not hurt the server.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{MONTH, client, csrf_of, demo, get, signed_in};
use uplift_app::demo::DEMO_PASSWORD;
use uplift_store::AuditQuery;

#[tokio::test]
async fn sessions_are_http_only_cookies_and_sign_out_ends_them() {
    let d = demo().await;
    let app = &d.app;
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "hr"), ("password", DEMO_PASSWORD), ("next", "/audit")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/audit", "back to the page asked for");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("uplift_session="));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // The session id is not stored: only its hash.
    let sid = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("uplift_session=")
        .to_string();
    assert_eq!(sid.len(), 64);
    assert_eq!(get(&c, &app.url("/audit")).await.0, StatusCode::OK);
    // Pages, API answers and exports with people's data are never cached (Back after signing out
    // must show nothing); static assets are.
    for path in [
        "/audit",
        "/team?month=2026-10",
        "/team/export.xlsx?month=2026-10",
        "/api/v1/me",
    ] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    let r = c.get(app.url("/static/app.css")).send().await.unwrap();
    assert!(r.headers()["cache-control"].to_str().unwrap().starts_with("public"));

    // An open redirect to another host is ignored.
    let r = client()
        .post(app.url("/login"))
        .form(&[
            ("username", "hr"),
            ("password", DEMO_PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");

    // A sign-in form posted from another site (or a sandboxed frame) is refused.
    for (h, v) in [
        ("origin", "null"),
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = client()
            .post(app.url("/login"))
            .header(h, v)
            .form(&[("username", "hr"), ("password", DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{h}: {v}");
    }

    // Sign-out needs the CSRF token, then the session is gone.
    let r = c
        .post(app.url("/logout"))
        .form(&[("_csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let token = csrf_of(&c, &app.url("/leaderboard")).await;
    let r = c
        .post(app.url("/logout"))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stolen = client();
    let r = stolen
        .get(app.url("/audit"))
        .header("cookie", format!("uplift_session={sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the old session id no longer works");
}

#[tokio::test]
async fn changes_need_the_csrf_token_and_are_audited() {
    let d = demo().await;
    let app = &d.app;
    let admin = signed_in(app, "admin").await;
    let form = |csrf: &str| {
        vec![
            ("_csrf", csrf.to_string()),
            ("username", "newhr".to_string()),
            ("password", "longenough1".to_string()),
            ("role", "hr".to_string()),
            ("employee_no", String::new()),
            ("department", String::new()),
        ]
    };
    let r = admin
        .post(app.url("/settings/users"))
        .form(&form("forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.db.store.user_by_name("newhr").await.unwrap().is_none(),
        "nothing changed"
    );
    let token = csrf_of(&admin, &app.url("/settings")).await;
    let r = admin
        .post(app.url("/settings/users"))
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.db.store.user_by_name("newhr").await.unwrap().is_some());
    let log = app
        .db
        .store
        .audit(&AuditQuery {
            action: Some("user.add".into()),
            target: Some("newhr".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "admin");
    // The audit page finds an action by its family ("user" → user.add) and names it in Chinese.
    let (s, html) = get(&admin, &app.url("/audit?action=user")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("新增用户") && html.contains("newhr"), "{html}");
    let (_, html) = get(&admin, &app.url("/audit?action=use")).await;
    assert!(!html.contains("newhr"), "a family is a whole word before the dot");

    // Weak passwords and unknown employees are refused with a message.
    let mut f = form(&token);
    f[1].1 = "weak".into();
    f[2].1 = "short".into();
    let r = admin.post(app.url("/settings/users")).form(&f).send().await.unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/settings?err="), "{to}");
    assert!(app.db.store.user_by_name("weak").await.unwrap().is_none());
    // An unknown employee number is an error, shown as one, with what was typed kept (issue 15).
    let mut f = form(&token);
    f[1].1 = "li.rep".into();
    f[3].1 = "employee".into();
    f[4].1 = "E404404".into();
    let r = admin.post(app.url("/settings/users")).form(&f).send().await.unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = get(&admin, &app.url(&to)).await;
    assert!(html.contains("id=\"settings-error\""), "{html}");
    assert!(!html.contains("id=\"settings-message\""));
    assert!(
        html.contains("value=\"li.rep\"") && html.contains("value=\"E404404\""),
        "{html}"
    );
    assert!(app.db.store.user_by_name("li.rep").await.unwrap().is_none());
    // A fresh form offers the least right, not administrator.
    let (_, html) = get(&admin, &app.url("/settings")).await;
    assert!(html.contains("<option value=\"employee\" selected>"), "{html}");
    // A bad time zone saves nothing else of the same form (the currency) and audits nothing.
    let audited = |action: &'static str| {
        let store = app.db.store.clone();
        async move {
            store
                .audit(&uplift_store::AuditQuery {
                    action: Some(action.into()),
                    limit: 100,
                    ..Default::default()
                })
                .await
                .unwrap()
                .len()
        }
    };
    let before = audited("settings.currency").await;
    let r = admin
        .post(app.url("/settings/company"))
        .form(&[
            ("_csrf", token.as_str()),
            ("timezone", "Mars/Olympus"),
            ("currency", "USD"),
        ])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/settings?err="), "{to}");
    let (_, html) = get(&admin, &app.url(&to)).await;
    assert!(
        html.contains("未知时区") && html.contains("id=\"settings-error\""),
        "{html}"
    );
    assert_eq!(audited("settings.currency").await, before);
    assert_eq!(
        uplift_app::settings::company_currency(&app.db.store).await.unwrap(),
        "CNY"
    );

    // Disabling a user ends their sessions at once.
    let rep = signed_in(app, "rep").await;
    assert_eq!(get(&rep, &app.url("/leaderboard")).await.0, StatusCode::OK);
    let r = admin
        .post(app.url("/settings/users/state"))
        .form(&[("_csrf", token.as_str()), ("username", "rep"), ("disabled", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&rep, &app.url("/leaderboard")).await.0, StatusCode::SEE_OTHER);
    let r = client()
        .post(app.url("/login"))
        .form(&[("username", "rep"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a disabled account cannot sign in"
    );
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_failures_are_audited() {
    let d = demo().await;
    let app = &d.app;
    let c = client();
    for _ in 0..10 {
        let r = c
            .post(app.url("/login"))
            .form(&[("username", "admin"), ("password", "guess")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the limit holds.
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let failed = app
        .db
        .store
        .audit(&AuditQuery {
            action: Some("signin.failed".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 10);
    assert_eq!(failed[0].ip.as_deref(), Some("127.0.0.1"));
    // Unknown user names get the same answer as wrong passwords.
    let other = client();
    let body = other
        .post(app.url("/login"))
        .form(&[("username", "no-such-user"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        body.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "same client address, still limited"
    );
}

#[tokio::test]
async fn appraisal_reads_are_audited_and_hidden_from_roles_without_the_right() {
    let d = demo().await;
    let app = &d.app;
    let store = &app.db.store;
    let count = |actor: &'static str| async move {
        store
            .audit(&AuditQuery {
                actor: Some(actor.into()),
                action: Some("read.appraisal".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .len()
    };
    let hr = signed_in(app, "hr").await;
    let (s, html) = get(&hr, &app.url(&format!("/people/{}", d.rep_no))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"appraisals\""));
    assert_eq!(count("hr").await, 1);
    let log = store
        .audit(&AuditQuery {
            actor: Some("hr".into()),
            action: Some("read.appraisal".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log[0].target.as_deref(), Some(d.rep_no.as_str()));

    // Payroll sees the person but not appraisal results, and nothing is logged as read.
    let payroll = signed_in(app, "payroll").await;
    let (s, html) = get(&payroll, &app.url(&format!("/people/{}", d.rep_no))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("id=\"appraisals\""));
    assert_eq!(count("payroll").await, 0);
    let v: Value = payroll
        .get(app.url(&format!("/api/v1/metrics?month={MONTH}&per_page=500")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["values"].get("appraisal_score").is_none())
    );

    // HR reading metrics with appraisal scores through the API is logged too, with the rows read.
    let v: Value = hr
        .get(app.url(&format!("/api/v1/metrics?month={MONTH}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count("hr").await, 2);
    let log = store
        .audit(&AuditQuery {
            actor: Some("hr".into()),
            action: Some("read.appraisal".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let rows = v["data"].as_array().unwrap().len();
    assert_eq!(
        (log[0].target.as_deref(), log[0].detail.clone(), log[0].role.as_deref()),
        (Some("api/v1/metrics"), Some(format!("rows={rows}")), Some("hr"))
    );
    // Without the appraisal score among the metrics asked for, nothing is logged.
    let _ = hr
        .get(app.url(&format!("/api/v1/metrics?month={MONTH}&metric=contribution")))
        .send()
        .await
        .unwrap();
    assert_eq!(count("hr").await, 2);

    // A rep reads their own appraisal score through the API, and that is logged as well.
    let rep = signed_in(app, "rep").await;
    let v: Value = rep
        .get(app.url(&format!("/api/v1/metrics?month={MONTH}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert!(data[0]["values"].get("appraisal_score").is_some(), "{v}");
    assert_eq!(count("rep").await, 1);

    // A department's average can be one person's score: payroll does not see it there either.
    let v: Value = payroll
        .get(app.url(&format!("/api/v1/metrics?month={MONTH}&level=department")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = v["data"].as_array().unwrap();
    assert!(!data.is_empty());
    assert!(data.iter().all(|r| r["values"].get("appraisal_score").is_none()));
    assert_eq!(count("payroll").await, 0);
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_the_server_keeps_serving() {
    let d = demo().await;
    let app = &d.app;
    let admin = signed_in(app, "admin").await;
    let cases = [
        ("/api/v1/metrics?month=2026-13", 400, "month"),
        ("/api/v1/metrics?from=yesterday", 400, "from"),
        ("/api/v1/metrics?metric=happiness", 400, "metric"),
        ("/api/v1/metrics?level=galaxy", 400, "level"),
        ("/api/v1/employees?per_page=100000", 400, "per_page"),
        ("/api/v1/employees?page=0", 400, "page"),
        ("/api/v1/employees?active_on=31/12/2026", 400, "active_on"),
        ("/api/v1/leads?page=abc", 400, ""),
        ("/api/v1/imports/not-a-number", 400, ""),
        ("/api/v1/nothing-here", 404, ""),
    ];
    for (path, status, field) in cases {
        let r = admin.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let text = r.text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: JSON error body, got {text}"));
        assert!(!v["error"]["message"].as_str().unwrap().is_empty(), "{path}");
        if field.is_empty() {
            assert!(v["error"]["field"].is_null(), "{path}");
        } else {
            assert_eq!(v["error"]["field"], field, "{path}");
        }
    }
    let (s, html) = get(&admin, &app.url("/team?month=13-2026")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("2026-03"), "the page says what a month looks like");
    let (s, _) = get(&admin, &app.url("/people/%00%FF")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "not UTF-8");
    let (s, html) = get(&admin, &app.url("/people/%E4%B8%8D%E5%AD%98%E5%9C%A8")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("不存在"), "the unknown id is named");
    // The request's language reaches errors raised anywhere below the handler (handlers use a plain
    // `?`; no language is passed around by hand).
    let (s, html) = get(&admin, &app.url("/people/E404404?lang=en")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("lang=\"en\"") && html.contains("Not found"), "{html}");
    assert!(!html.contains("页面不存在"), "{html}");
    let (s, html) = get(&admin, &app.url("/team?month=13-2026&lang=en")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("Bad request"), "{html}");
    // A name already taken is a conflict, shown where the admin is, not a server error.
    let csrf = csrf_of(&admin, &app.url("/settings")).await;
    let r = admin
        .post(app.url("/settings/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", "hr"),
            ("password", "longenough1"),
            ("role", "hr"),
            ("employee_no", ""),
            ("department", ""),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/settings"), "{to}");

    // Broken multipart and oversized uploads.
    let token = csrf_of(&admin, &app.url("/import")).await;
    let r = admin
        .post(app.url("/import/preview"))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nlead\r\n--XY")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let big = vec![b'a'; uplift_web::MAX_UPLOAD_BYTES + 1024];
    let part = reqwest::multipart::Part::bytes(big).file_name("big.csv");
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token.clone())
        .text("kind", "lead")
        .part("file", part);
    let r = admin.post(app.url("/import/preview")).multipart(form).send().await;
    // The server refuses the body (413) or closes the connection; it must not die.
    if let Ok(r) = r {
        assert!(matches!(r.status().as_u16(), 400 | 413), "{}", r.status());
    }
    assert_eq!(get(&client(), &app.url("/healthz")).await.0, StatusCode::OK);
}

/// Behind a reverse proxy every request comes from the proxy's address. With the proxy trusted,
/// the limiter and the audit log see each client's own address (from X-Forwarded-For), so one
/// person's bad passwords do not lock everyone out.
#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_limited_on_its_own() {
    let db = uplift_testkit::test_db().await;
    for name in ["boss", "li"] {
        uplift_app::access::add_user(
            &db.store,
            &uplift_app::access::NewUser {
                username: name.into(),
                password: "longenough1".into(),
                role: uplift_domain::access::Role::Admin,
                employee_no: None,
                department_path: None,
            },
            "test",
            uplift_domain::Lang::Zh,
        )
        .await
        .unwrap();
    }
    let loopback: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let app = uplift_testkit::spawn_app_with(db, |s| s.with_trusted_proxies(vec![loopback])).await;
    let sign_in = |from: &'static str, user: &'static str, password: &'static str| {
        let url = app.url("/login");
        async move {
            client()
                .post(url)
                .header("x-forwarded-for", from)
                .form(&[("username", user), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for _ in 0..10 {
        assert_eq!(sign_in("203.0.113.1", "boss", "guess").await, StatusCode::UNAUTHORIZED);
    }
    // That address is blocked, for any account (the guessed account is blocked from anywhere).
    assert_eq!(
        sign_in("203.0.113.1", "li", "longenough1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another person behind the same proxy signs in.
    assert!(sign_in("203.0.113.2", "li", "longenough1").await.is_redirection());
    let failed = app
        .db
        .store
        .audit(&AuditQuery {
            action: Some("signin.failed".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 10);
    assert!(
        failed.iter().all(|e| e.ip.as_deref() == Some("203.0.113.1")),
        "{failed:?}"
    );
}
