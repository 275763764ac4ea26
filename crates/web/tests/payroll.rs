//! Payroll pages on the demo company (its year paid, the last month open): a rep's own payslip
//! and nobody else's; managers see no individual pay; payroll's month page with the changes,
//! the downloads, run and lock behind CSRF.

use reqwest::StatusCode;
use uplift_domain::Lang;

use crate::support::{MONTH, csrf_of, demo, get, signed_in};

#[tokio::test]
async fn a_rep_reads_their_payslip_and_payroll_runs_the_month() {
    let d = demo().await;
    let app = &d.app;
    let store = &app.db.store;

    let rep = signed_in(app, "rep").await;
    let (s, html) = get(&rep, &app.url("/payslip")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("href=\"/payslip\""), "the menu offers the payslip");
    assert!(!html.contains("href=\"/payroll\""), "reps do not run payroll");
    assert!(html.contains(&d.rep_no) && html.contains("id=\"lines-pay\""), "{html}");
    assert!(html.contains("2026年10月"), "the newest month, in Chinese: {html}");
    // The 提成 line is the commission locked for September and paid with October's salary.
    let payroll_p = uplift_app::access::Principal {
        actor: "t".into(),
        role: uplift_domain::access::Role::Payroll,
        employee_no: None,
        scope: uplift_domain::access::Scope::All,
    };
    let payable = uplift_app::commission::payable_for_pay_month(store, &payroll_p, MONTH, Lang::Zh)
        .await
        .unwrap();
    assert!(
        payable.iter().any(|c| c.payable_fen > 0),
        "someone is paid commission in {MONTH}"
    );
    let mut not_paid = Vec::new();
    for c in &payable {
        match uplift_app::payroll::payslip(store, &payroll_p, &c.employee_no, MONTH, Lang::Zh).await {
            Ok(slip) => {
                let line = slip
                    .lines
                    .iter()
                    .find(|l| l.key == "commission")
                    .map_or(0, |l| l.amount);
                assert_eq!(line, c.payable_fen, "{}", c.employee_no);
            }
            // Left in September: their last commission is not lost but said by the run.
            Err(uplift_app::error::AppError::NotFound(_)) => not_paid.push(c.employee_no.clone()),
            Err(e) => panic!("{e:?}"),
        }
    }
    if !not_paid.is_empty() {
        let report = uplift_app::payroll::run(store, &payroll_p, MONTH, Lang::Zh)
            .await
            .unwrap();
        let said = report.warnings.join(" ");
        assert!(
            not_paid.iter().all(|no| said.contains(no.as_str())),
            "{said} / {not_paid:?}"
        );
    }
    let own = uplift_app::payroll::payslip(store, &payroll_p, &d.rep_no, MONTH, Lang::Zh)
        .await
        .unwrap();
    assert!(
        html.contains(&uplift_domain::Money(own.net_fen).display_cny()),
        "{html}"
    );
    // Someone else's payslip: refused to the rep and to their manager.
    let (s, _) = get(&rep, &app.url(&format!("/payslip?employee={}", d.teammate_no))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let manager = signed_in(app, "manager").await;
    let (s, _) = get(&manager, &app.url(&format!("/payslip?employee={}", d.rep_no))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = get(&manager, &app.url("/payroll")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = get(&manager, &app.url(&format!("/payroll/sheet.xlsx?month={MONTH}"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let payroll = signed_in(app, "payroll").await;
    let (s, html) = get(&payroll, &app.url("/payroll")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("2026年10月") && html.contains("id=\"slips-table\""),
        "{html}"
    );
    assert!(
        html.contains("id=\"changes-table\""),
        "October differs from September: {html}"
    );
    assert!(
        html.contains("id=\"departments-table\"") && html.contains("人工成本占比"),
        "{html}"
    );
    assert!(html.contains(&d.rep_no));
    for (href, starts) in [
        ("/payroll/sheet.xlsx", &b"PK"[..]),
        ("/payroll/export.xlsx", &b"PK"[..]),
        (
            "/payroll/bank.csv",
            "\u{feff}收款账号,收款户名,金额,开户行,用途".as_bytes(),
        ),
        (
            "/payroll/declaration.csv",
            "\u{feff}工号,姓名,证件类型,证件号码,本期收入".as_bytes(),
        ),
    ] {
        let r = payroll
            .get(app.url(&format!("{href}?month={MONTH}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{href}");
        let body = r.bytes().await.unwrap();
        assert!(body.starts_with(starts), "{href}: {:?}", &body[..body.len().min(80)]);
    }

    // The 工资表: the groups over their columns, a subtotal per department, and the total of the
    // net column is the run's net.
    let bytes = payroll
        .get(app.url(&format!("/payroll/sheet.xlsx?month={MONTH}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let path = app.db.dir().join("sheet.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(&path).unwrap();
    let sheet = wb.worksheet_range("工资表").unwrap();
    let cell = |r: u32, c: u32| sheet.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert_eq!(cell(0, 0), "2026年10月 工资表");
    let groups: Vec<String> = (0..sheet.width() as u32)
        .map(|c| cell(1, c))
        .filter(|v| !v.is_empty())
        .collect();
    assert_eq!(groups, ["基本信息", "应发", "扣款", "实发", "单位承担"]);
    let net_col = (0..sheet.width() as u32).find(|c| cell(2, *c) == "实发工资").unwrap();
    let last = sheet.height() as u32 - 1;
    assert_eq!(cell(last, 2), "合计");
    let run = store.payroll_run(202610).await.unwrap().unwrap();
    let total: f64 = cell(last, net_col).parse().unwrap();
    assert_eq!((total * 100.0).round() as i64, run.net_fen);
    let subtotals = (3..last).filter(|r| cell(*r, 2).ends_with(" 小计")).count();
    assert!(subtotals >= 3, "a subtotal per department");

    // Run and lock need the form's CSRF token; once locked, the month is never run again.
    let page = app.url(&format!("/payroll?month={MONTH}"));
    let r = payroll
        .post(app.url("/payroll/run"))
        .form(&[("month", MONTH)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let csrf = csrf_of(&payroll, &page).await;
    let r = payroll
        .post(app.url("/payroll/run"))
        .form(&[("_csrf", csrf.as_str()), ("month", MONTH)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = payroll
        .post(app.url("/payroll/lock"))
        .form(&[("_csrf", csrf.as_str()), ("month", MONTH)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&payroll, &format!("{page}&done=locked")).await;
    assert!(
        html.contains("id=\"payroll-notice\"") && !html.contains("id=\"run-form\""),
        "{html}"
    );
    let r = payroll
        .post(app.url("/payroll/run"))
        .form(&[("_csrf", csrf.as_str()), ("month", MONTH)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (_, html) = get(&rep, &app.url("/payslip")).await;
    assert!(html.contains("已锁定"), "{html}");

    let audited = store
        .audit(&uplift_store::AuditQuery {
            action: Some("read.payslip".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audited.iter().any(|a| a.actor == "rep"), "{audited:?}");
}
