//! The import page and API: preview every problem before anything is written, then commit.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use uplift_app::access::{NewUser, add_user, create_token};
use uplift_domain::Lang;
use uplift_domain::access::Role;
use uplift_testkit::{TestApp, golden_dir, spawn_app};

use crate::support::{client, csrf_of, get};

fn gbk_roster(bad_hire_date_on_line_4: bool) -> Vec<u8> {
    let mut text = std::fs::read_to_string(golden_dir().join("roster.csv")).unwrap();
    if bad_hire_date_on_line_4 {
        text = text.replacen("2022-10-11", "2022-02-30", 1);
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    assert!(std::str::from_utf8(&gbk).is_err(), "the file really is GBK");
    gbk.into_owned()
}

async fn app_with_admin() -> (TestApp, reqwest::Client) {
    let app = spawn_app().await;
    let u = NewUser {
        username: "boss".into(),
        password: "a-long-password".into(),
        role: Role::Admin,
        employee_no: None,
        department_path: None,
    };
    add_user(&app.db.store, &u, "test", Lang::Zh).await.unwrap();
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "boss"), ("password", "a-long-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    (app, c)
}

fn upload(csrf: &str, kind: &str, name: &str, bytes: Vec<u8>) -> Form {
    Form::new()
        .text("_csrf", csrf.to_string())
        .text("kind", kind.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()))
}

#[tokio::test]
async fn a_gbk_roster_is_previewed_with_its_bad_row_then_committed_when_fixed() {
    let (app, c) = app_with_admin().await;
    let store = &app.db.store;
    let csrf = csrf_of(&c, &app.url("/import")).await;

    // An empty file is named as such, not "choose a file".
    let r = c
        .post(app.url("/import/preview"))
        .multipart(upload(&csrf, "roster", "空.csv", Vec::new()))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("空.csv") && html.contains("id=\"issues\""), "{html}");
    assert!(!html.contains("commit-button"));

    // A bad row: shown with file, line and column (named as the file names it); nothing written.
    let r = c
        .post(app.url("/import/preview"))
        .multipart(upload(&csrf, "roster", "花名册.csv", gbk_roster(true)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"issues\""), "{html}");
    assert!(
        html.contains("花名册.csv:4:5"),
        "the error names file, line and column: {html}"
    );
    assert!(
        html.contains("2022-02-30") && html.contains("入职日期"),
        "the column as the file calls it"
    );
    assert!(!html.contains("commit-button"));
    assert!(store.employee_keys().await.unwrap().is_empty(), "nothing written");
    assert!(
        store.import_history(10).await.unwrap().is_empty(),
        "a preview is not an import"
    );

    // The fixed file: decoded from GBK, counted, previewed, then committed.
    let r = c
        .post(app.url("/import/preview"))
        .multipart(upload(&csrf, "roster", "花名册.csv", gbk_roster(false)))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("GBK/GB18030"), "{html}");
    assert!(html.contains("段建"), "rows shown as they will be read");
    assert!(html.contains("12"), "12 rows would be inserted");
    assert!(store.employee_keys().await.unwrap().is_empty(), "still nothing written");
    let at = html.find("name=\"upload\" value=\"").expect("commit form") + 21;
    let upload_id = html[at..at + 64].to_string();

    // Another user cannot commit someone else's upload; a made-up id is refused without touching files.
    let r = c
        .post(app.url("/import/commit"))
        .form(&[("_csrf", csrf.as_str()), ("upload", "../../etc")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c
        .post(app.url("/import/commit"))
        .form(&[("_csrf", "bad"), ("upload", upload_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "commit needs the CSRF token");

    let r = c
        .post(app.url("/import/commit"))
        .form(&[("_csrf", csrf.as_str()), ("upload", upload_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("commit-result") && html.contains("notice"), "{html}");
    let emps = store.employee_keys().await.unwrap();
    assert_eq!(emps.len(), 12);
    assert_eq!(emps[0].name, "段建");
    let (_, page) = get(&c, &app.url("/import")).await;
    assert!(
        page.contains("花名册.csv") && page.contains("已导入"),
        "history lists it"
    );
    let log = store
        .audit(&uplift_store::AuditQuery {
            action: Some("import".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "boss");
    // Committing the same upload twice is not possible: it is gone.
    let r = c
        .post(app.url("/import/commit"))
        .form(&[("_csrf", csrf.as_str()), ("upload", upload_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_import_api_checks_commits_and_reports_with_a_bearer_token() {
    let (app, _) = app_with_admin().await;
    let store = &app.db.store;
    let (_, token) = create_token(store, "hris", Role::Hr, None, None, "test", Lang::En)
        .await
        .unwrap();
    let (_, rep_like) = create_token(store, "x", Role::Payroll, None, None, "test", Lang::En)
        .await
        .unwrap();
    let send = |tok: String, q: &'static str, bytes: Vec<u8>| {
        let url = app.url(&format!("/api/v1/imports?{q}"));
        async move {
            let form = Form::new().part("file", Part::bytes(bytes).file_name("花名册.csv"));
            let r = client()
                .post(url)
                .bearer_auth(tok)
                .multipart(form)
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = send(rep_like, "kind=roster", gbk_roster(false)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["code"], "forbidden");

    let (s, v) = send(token.clone(), "kind=roster&dry_run=true", gbk_roster(false)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["files"][0]["inserted"], 12);
    assert!(store.employee_keys().await.unwrap().is_empty());

    let (s, v) = send(token.clone(), "kind=roster", gbk_roster(true)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["committed"], false);
    assert!(v["files"][0]["issues"][0].as_str().unwrap().contains(":4:5"), "{v}");

    let (s, v) = send(token.clone(), "kind=roster", gbk_roster(false)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["committed"], true);
    assert_eq!(store.employee_keys().await.unwrap().len(), 12);
    // Re-running is idempotent: nothing new, nothing lost.
    let (s, v) = send(token.clone(), "kind=roster", gbk_roster(false)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["files"][0]["inserted"], 0);
    assert_eq!(store.employee_keys().await.unwrap().len(), 12);

    let (s, v) = send(token.clone(), "kind=payslips", gbk_roster(false)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "kind");

    // Status of an import by id.
    let list: Value = client()
        .get(app.url("/api/v1/imports"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &list[0];
    let id = first["id"].as_i64().unwrap();
    let one: Value = client()
        .get(app.url(&format!("/api/v1/imports/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["status"], "committed");
    assert_eq!(one["file_name"], "花名册.csv");
}

/// A zip bomb uploaded as a roster (issue 16, finding 4) is refused by its declared inflated size
/// before anything is inflated: a located 422 naming the limit, nothing written.
#[tokio::test]
async fn an_xlsx_bomb_upload_is_refused_before_it_is_inflated() {
    let (app, _) = app_with_admin().await;
    let store = &app.db.store;
    let (_, token) = create_token(store, "hris", Role::Hr, None, None, "test", Lang::En)
        .await
        .unwrap();
    let bomb = uplift_testkit::hostile::xlsx_bomb(300);
    assert!(bomb.len() < 1_000_000, "{}", bomb.len());
    let form = Form::new().part("file", Part::bytes(bomb).file_name("花名册.xlsx"));
    let r = client()
        .post(app.url("/api/v1/imports?kind=roster"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    let issue = v["files"][0]["issues"][0].as_str().unwrap_or_default().to_string();
    assert!(
        issue.contains("花名册.xlsx") && issue.contains("301 MB") && issue.contains("zip bomb"),
        "{v}"
    );
    assert!(store.employee_keys().await.unwrap().is_empty());
}

/// While an import's metric months wait for their recompute (or a crashed import left them),
/// every page says the numbers are being redone, and stops saying so once they are.
#[tokio::test]
async fn pages_say_metrics_are_being_recomputed_while_months_are_pending() {
    let (app, c) = app_with_admin().await;
    let store = &app.db.store;
    let (_, page) = get(&c, &app.url("/settings")).await;
    assert!(!page.contains("id=\"metrics-pending\""));
    store
        .mark_metrics_pending(&uplift_store::AffectedMonths::All)
        .await
        .unwrap();
    for path in ["/settings", "/import", "/audit"] {
        let (_, page) = get(&c, &app.url(path)).await;
        assert!(
            page.contains("id=\"metrics-pending\"") && page.contains("指标正在重算"),
            "{path}"
        );
    }
    uplift_app::metrics::recompute(store, &uplift_store::AffectedMonths::None)
        .await
        .unwrap();
    let (_, page) = get(&c, &app.url("/settings")).await;
    assert!(!page.contains("id=\"metrics-pending\""));
}
