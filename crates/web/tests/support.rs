use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use uplift_app::demo::{DEMO_PASSWORD, DemoConfig, create_demo, ensure_demo_accounts};
use uplift_domain::Month;
use uplift_domain::access::Scope;
use uplift_testkit::{TestApp, spawn_app};

/// A served demo company (small, fixed) with one account per role.
pub struct Demo {
    pub app: TestApp,
    /// The rep account's employee number and a teammate's (same manager).
    pub rep_no: String,
    pub teammate_no: String,
    pub manager_no: String,
    /// Someone outside 销售中心 (customer success).
    pub outsider_no: String,
    pub outsider_name: String,
}

pub const MONTH: &str = "2026-10";

pub async fn demo() -> Demo {
    let app = spawn_app().await;
    let store = &app.db.store;
    let cfg = DemoConfig {
        seed: 11,
        staff: 40,
        months: 4,
        end: Month::parse(MONTH).ok(),
    };
    create_demo(store, &cfg, &app.db.dir().join("demo-source"), &|_, _| {})
        .await
        .expect("demo company");
    let accounts = ensure_demo_accounts(store).await.expect("demo accounts");
    let rep_no = accounts
        .iter()
        .find(|a| a.username == "rep")
        .unwrap()
        .employee_no
        .clone()
        .unwrap();
    let manager_no = accounts
        .iter()
        .find(|a| a.username == "manager")
        .unwrap()
        .employee_no
        .clone()
        .unwrap();
    let team = store.reports_of(&manager_no).await.unwrap();
    let teammate_no = team.iter().find(|n| **n != rep_no).expect("a teammate").clone();
    let (outsiders, _) = store
        .employee_records(&Scope::Departments(vec!["客户成功部".into()]), None, None, None, 10, 0)
        .await
        .unwrap();
    let outsider = outsiders.first().expect("someone in 客户成功部");
    Demo {
        rep_no,
        teammate_no,
        manager_no,
        outsider_no: outsider.employee_no.clone(),
        outsider_name: outsider.name.clone(),
        app,
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
pub fn client() -> Client {
    uplift_app::install_crypto();
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// Signs in and returns the client holding the session.
pub async fn signed_in(app: &TestApp, user: &str) -> Client {
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", user), ("password", DEMO_PASSWORD), ("next", "")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {user} should redirect");
    c
}

/// The CSRF token in a page's forms.
pub async fn csrf_of(c: &Client, url: &str) -> String {
    let html = c.get(url).send().await.unwrap().text().await.unwrap();
    let at = html.find("name=\"_csrf\" value=\"").expect("page has a CSRF field") + 20;
    html[at..at + 64].to_string()
}

pub async fn get(c: &Client, url: &str) -> (StatusCode, String) {
    let r = c.get(url).send().await.expect("request");
    let s = r.status();
    (s, r.text().await.unwrap_or_default())
}

pub async fn api_get(token: &str, url: &str) -> (StatusCode, serde_json::Value) {
    let r = client().get(url).bearer_auth(token).send().await.expect("request");
    let s = r.status();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}
