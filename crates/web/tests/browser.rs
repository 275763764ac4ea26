//! Browser tests: Debian's Chromium driven through chromedriver (WebDriver), against a served demo.
//! Without chromedriver they are skipped with a notice, unless `UPLIFT_REQUIRE_BROWSER=1` (set by
//! `.ci/run`), which makes a missing browser a failure.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{MONTH, demo};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("UPLIFT_REQUIRE_BROWSER").is_err(),
            "UPLIFT_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing (apt install chromium chromium-driver)"
        );
        eprintln!("SKIPPED browser test: install chromium and chromium-driver to run it");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Driver { child, port })
}

async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .expect("WebDriver session")
}

async fn wait_for(b: &Client, css: &str) -> fantoccini::elements::Element {
    b.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

async fn sign_in(b: &Client, base: &str, user: &str) {
    b.goto(&format!("{base}/login")).await.unwrap();
    wait_for(b, "#username").await.send_keys(user).await.unwrap();
    b.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(uplift_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    b.find(Locator::Css("#signin")).await.unwrap().click().await.unwrap();
    wait_for(b, "#whoami").await;
}

async fn sign_out(b: &Client) {
    b.find(Locator::Css("#signout")).await.unwrap().click().await.unwrap();
    wait_for(b, "#username").await;
}

/// The element's text; found again when htmx replaced it between finding and reading.
async fn text(b: &Client, css: &str) -> String {
    for _ in 0..50 {
        match wait_for(b, css).await.text().await {
            Ok(t) => return t,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("{css} kept being replaced while read")
}

#[tokio::test]
async fn people_use_the_pages_in_a_real_browser() {
    let Some(driver) = start_driver() else { return };
    let d = demo().await;
    let base = d.app.url("");
    let b = browser(&driver).await;

    // Not signed in: the overview sends us to sign in, then back.
    b.goto(&format!("{base}/?month={MONTH}")).await.unwrap();
    wait_for(&b, "#username").await;
    assert!(b.current_url().await.unwrap().path().starts_with("/login"));
    wait_for(&b, "#username").await.send_keys("director").await.unwrap();
    b.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(uplift_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    b.find(Locator::Css("#signin")).await.unwrap().click().await.unwrap();
    wait_for(&b, "#league").await;
    assert!(text(&b, "h1").await.contains("人效总览"));
    // ECharts drew the trend (as SVG) from the page's data: nothing came from the internet.
    wait_for(&b, ".chart svg").await;
    let league_rows = b.find_all(Locator::Css("#league tbody tr")).await.unwrap();
    assert!(league_rows.len() >= 2, "the director's league lists departments");
    assert!(text(&b, "#league").await.contains("销售中心/华东大区"));

    // The month picker submits by itself (from app.js: inline handlers are blocked by the CSP).
    b.find(Locator::Css("#month-select"))
        .await
        .unwrap()
        .select_by_value("2026-09")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while b
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap_or("")
        .contains(&format!("month={MONTH}"))
    {
        assert!(Instant::now() < deadline, "choosing a month did not reload the page");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&b, "#league").await;

    // Drill down: league → that team's page; up to the top through the breadcrumb and down again
    // through a sub-department chip (both htmx swaps, the URL kept) → a person.
    let team = b.find(Locator::Css("#league tbody tr a")).await.unwrap();
    let team_path = team.text().await.unwrap();
    team.click().await.unwrap();
    wait_for(&b, "#members").await;
    let team_name = team_path.rsplit('/').next().unwrap().to_string();
    assert!(
        text(&b, "#crumbs").await.contains(&team_name),
        "the team page of {team_path}"
    );
    b.find(Locator::Css("#crumbs a")).await.unwrap().click().await.unwrap();
    let chip = wait_for(&b, "#subdepartments a").await;
    let name = chip.text().await.unwrap();
    let name = name.split_whitespace().next().unwrap_or("").to_string();
    chip.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text(&b, "#crumbs").await.contains(&name) {
        assert!(Instant::now() < deadline, "drill-down to {name} did not happen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("department="),
        "the drill-down is in the URL"
    );
    let rows = b.find_all(Locator::Css("#members tbody tr")).await.unwrap();
    assert!(!rows.is_empty(), "members are listed");
    b.find(Locator::Css("#members tbody tr a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "#person-name").await;
    wait_for(&b, "#hr-record").await;
    assert!(text(&b, "#hr-record").await.contains("销售中心"));
    wait_for(&b, ".chart svg").await;

    // The overview's alert panel fills in after the page (htmx), as does the forecast page's.
    let person_url = b.current_url().await.unwrap();
    b.goto(&format!("{base}/")).await.unwrap();
    assert!(
        text(&b, "#overview-alerts #alerts-summary")
            .await
            .contains("人预计未达标")
    );
    b.goto(&format!("{base}/forecast")).await.unwrap();
    wait_for(&b, "#forecast-cards").await;
    assert!(text(&b, "h1").await.contains("下月预测"));
    assert!(text(&b, "#alerts-summary").await.contains("人预计未达标"));
    // The backtest table compares with both naive baselines, and its chart draws.
    let quality = text(&b, "#quality").await;
    assert!(quality.contains("上月值") && quality.contains("近3月均值"), "{quality}");
    wait_for(&b, "#quality-chart svg").await;
    let people = b.find_all(Locator::Css("#forecast-people tbody tr")).await.unwrap();
    assert!(!people.is_empty(), "people are forecast");
    // A team link narrows the forecast to that department.
    b.find(Locator::Css("#forecast-teams tbody a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap_or("")
        .contains("department=")
    {
        assert!(Instant::now() < deadline, "the team link did not narrow the forecast");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&b, "#forecast-cards").await;
    b.goto(person_url.as_str()).await.unwrap();
    wait_for(&b, "#hr-record").await;

    // English switch.
    b.find(Locator::Css("#lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "#hr-record").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text(&b, "#hr-record").await.contains("Department") {
        assert!(Instant::now() < deadline, "the page did not switch to English");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sign_out(&b).await;

    // A rep asking for a teammate's page is refused.
    sign_in(&b, &base, "rep").await;
    assert!(
        b.current_url().await.unwrap().path().starts_with("/people/"),
        "a rep lands on their own page"
    );
    b.goto(&format!("{base}/people/{}", d.teammate_no)).await.unwrap();
    let title = text(&b, "#error-title").await;
    assert!(title.starts_with("403"), "{title}");
    b.goto(&format!("{base}/leaderboard")).await.unwrap();
    wait_for(&b, "#leaderboard tr.me").await;
    b.goto(&format!("{base}/people/me")).await.unwrap();
    wait_for(&b, "#person-name").await;
    sign_out(&b).await;

    // The import page shows a bad GBK roster's row and column before anything is written.
    sign_in(&b, &base, "admin").await;
    b.goto(&format!("{base}/import")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("花名册.csv");
    let text_utf8 = std::fs::read_to_string(uplift_testkit::golden_dir().join("roster.csv"))
        .unwrap()
        .replacen("2022-10-11", "2022-02-30", 1);
    std::fs::write(&path, encoding_rs::GBK.encode(&text_utf8).0).unwrap();
    let before = d.app.db.store.employee_keys().await.unwrap().len();
    wait_for(&b, "#kind").await;
    b.find(Locator::Css("#kind option[value=\"roster\"]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    b.find(Locator::Css("#preview-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let issues = text(&b, "#issues").await;
    assert!(issues.contains("花名册.csv:4:5"), "{issues}");
    assert!(
        b.find(Locator::Css("#commit-button")).await.is_err(),
        "no commit for a bad file"
    );
    assert_eq!(
        d.app.db.store.employee_keys().await.unwrap().len(),
        before,
        "nothing written"
    );

    // On a phone: the menu folds away and the page does not scroll sideways.
    b.set_window_size(390, 844).await.unwrap();
    b.goto(&format!("{base}/team?month={MONTH}")).await.unwrap();
    wait_for(&b, "#members").await;
    assert!(
        b.find(Locator::Css(".menu-button"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    let overflow = b
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(overflow.as_i64().unwrap_or(0) <= 1, "horizontal overflow {overflow}");
    b.close().await.unwrap();
}

#[tokio::test]
async fn a_rep_works_today_and_a_director_sees_the_routing_page_in_a_real_browser() {
    let Some(driver) = start_driver() else { return };
    let d = demo().await;
    let base = d.app.url("");
    let store = &d.app.db.store;
    // A lead routed to the rep 23.5 hours ago: due soon.
    let rep = store
        .routing_reps()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.employee_no == d.rep_no)
        .unwrap();
    let at = chrono::Utc::now().timestamp() - 23 * 3600 - 1800;
    store
        .record_routed_lead(
            &uplift_store::AssignmentRow {
                lead_id: "BROWSER-1".into(),
                employee_id: rep.id,
                assigned_ts: at,
                month: 202611,
                strategy: "optimal".into(),
                origin: "online".into(),
                expected_conversion: 0.3,
                expected_value: 9000.0,
                reason: "测试".into(),
                previous_owner: None,
                assigned_by: "test".into(),
            },
            &uplift_store::NewLeadRow {
                source_id: "BROWSER-1".into(),
                owner_id: rep.crm_user_id.clone().unwrap(),
                created_ts: at,
                created_month: 202611,
                lead_source: Some("Web".into()),
                industry: Some("Retail".into()),
                rating: None,
                company: Some("浏览器测试公司".into()),
                city: None,
                number_of_employees: None,
            },
        )
        .await
        .unwrap();
    let b = browser(&driver).await;
    sign_in(&b, &base, "rep").await;
    b.goto(&format!("{base}/today")).await.unwrap();
    wait_for(&b, "td.countdown").await;
    // app.js keeps the countdown current: about half an hour left, marked due soon.
    let left = text(&b, "td.countdown").await;
    assert!(left.contains("剩余") && left.contains("分"), "{left}");
    let class = b
        .find(Locator::Css("#new-leads tbody tr"))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(class.contains("sla-soon"), "{class}");
    // One click logs the contact; the lead leaves the list.
    b.find(Locator::Css("button.log-followup"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "#today-message").await;
    assert!(text(&b, "#new-leads").await.contains("没有待联系的新线索"));
    sign_out(&b).await;

    // The admin's routing page loads the simulator (or says why it cannot) after the page.
    sign_in(&b, &base, "admin").await;
    b.goto(&format!("{base}/leads/routing")).await.unwrap();
    let t = text(&b, "#simulation-table, #simulation-error").await;
    assert!(t.contains("最优分配") || t.contains("太少"), "{t}");
    assert!(text(&b, "#assignments").await.contains("BROWSER-1"));
    b.close().await.unwrap();
}

#[tokio::test]
async fn a_rep_reads_their_commission_statement_on_a_phone_and_a_manager_the_team() {
    let Some(driver) = start_driver() else { return };
    let d = demo().await;
    let base = d.app.url("");
    let b = browser(&driver).await;
    b.set_window_size(390, 844).await.unwrap();
    sign_in(&b, &base, "rep").await;
    // From the phone's menu (☰), as a rep would find it.
    b.goto(&format!("{base}/today")).await.unwrap();
    wait_for(&b, "label.menu-button").await.click().await.unwrap();
    wait_for(&b, "#nav-commission").await.click().await.unwrap();
    wait_for(&b, "#my-statement").await;
    assert!(
        text(&b, "h1")
            .await
            .contains(&format!("2026年{}月", &MONTH[5..].trim_start_matches('0')))
    );
    assert!(text(&b, "#my-statement h2").await.contains(&d.rep_no));
    let standing = text(&b, "#st-standing").await;
    assert!(standing.contains("达成率") || standing.contains("无目标"), "{standing}");
    // Lines as cards on a phone, each with its explanation; nothing wider than the screen.
    // The demo rep won deals in the month shown (the API test checks the same lines).
    assert!(text(&b, "#st-lines").await.contains(" = "));
    let overflow = b
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(0) <= 0,
        "the page is wider than the phone: {overflow}"
    );
    assert!(
        b.find(Locator::Css("#team-statements")).await.is_err(),
        "a rep sees no team table"
    );
    b.set_window_size(1280, 900).await.unwrap();
    sign_out(&b).await;

    // The manager: the team table; a click opens the rep's statement.
    sign_in(&b, &base, "manager").await;
    b.goto(&format!("{base}/commission?period={MONTH}")).await.unwrap();
    let table = text(&b, "#team-table").await;
    assert!(table.contains(&d.rep_no) && table.contains(&d.teammate_no), "{table}");
    b.find(Locator::Css(&format!("#team-table a[href*='employee={}']", d.rep_no)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "#my-statement").await;
    assert!(text(&b, "#my-statement h2").await.contains(&d.rep_no));
    sign_out(&b).await;

    // Payroll opens the plans from the statement page: ECharts draws the tier curve.
    sign_in(&b, &base, "payroll").await;
    b.goto(&format!("{base}/commission?period={MONTH}")).await.unwrap();
    wait_for(&b, "#plans-link").await.click().await.unwrap();
    wait_for(&b, ".tier-curve svg").await;
    assert!(text(&b, ".plan-card h2").await.contains("sales-default"));
    b.close().await.unwrap();
}

#[tokio::test]
async fn a_rep_reads_their_payslip_on_a_phone_and_payroll_runs_the_month() {
    let Some(driver) = start_driver() else { return };
    let d = demo().await;
    let base = d.app.url("");
    let b = browser(&driver).await;
    b.set_window_size(390, 844).await.unwrap();
    sign_in(&b, &base, "rep").await;
    b.goto(&format!("{base}/today")).await.unwrap();
    wait_for(&b, "label.menu-button").await.click().await.unwrap();
    wait_for(&b, "#nav-payslip").await.click().await.unwrap();
    wait_for(&b, "#payslip").await;
    assert!(text(&b, "#payslip-who").await.contains(&d.rep_no));
    assert!(text(&b, "#payslip-net").await.starts_with('¥'));
    // Every line explains itself; the tax line shows the cumulative arithmetic.
    let deductions = text(&b, "#lines-deduction").await;
    assert!(deductions.contains("累计应纳税所得额"), "{deductions}");
    assert!(b.find(Locator::Css("#print-payslip")).await.is_ok());
    let overflow = b
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(0) <= 0,
        "the payslip is wider than the phone: {overflow}"
    );
    // The rep's first month from the picker (it submits on change).
    let first = b
        .execute(
            "var s = document.getElementById('month-select'); var o = s.options[s.options.length - 1]; \
             s.value = o.value; s.dispatchEvent(new Event('change')); return o.text;",
            vec![],
        )
        .await
        .unwrap();
    let first = first.as_str().unwrap_or_default().to_string();
    assert!(first.starts_with("2026年") && !first.ends_with("10月"), "{first}");
    wait_for(&b, "#payslip").await;
    let h1 = text(&b, "h1").await;
    assert!(h1.ends_with(&first), "{h1} / {first}");
    b.set_window_size(1280, 900).await.unwrap();
    sign_out(&b).await;

    // Payroll re-runs the open month from its page and sees the notice and the changes.
    sign_in(&b, &base, "payroll").await;
    b.goto(&format!("{base}/payroll?month={MONTH}")).await.unwrap();
    wait_for(&b, "#run-form button").await.click().await.unwrap();
    wait_for(&b, "#payroll-notice").await;
    assert!(text(&b, "#payroll-status").await.contains("未锁定"));
    assert!(text(&b, "#slips-table").await.contains(&d.rep_no));
    b.close().await.unwrap();
}
