//! Payroll against a real database: the commission test company paid for September 2026 from
//! opening balances as of August (Uplift started mid-year), with the locked August commission
//! as 提成; bad payroll files refused at their cell; refusals that name people; rights; re-runs
//! byte-identical; a locked month never rewritten.
// Amounts in fen are written yuan_fen: 20_000_00 is ¥20,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::Path;

use uplift_app::access::Principal;
use uplift_app::error::AppError;
use uplift_app::{commission, payroll as pr};
use uplift_domain::Lang;
use uplift_domain::access::{Role, Scope};
use uplift_domain::records::ImportKind;
use uplift_store::{AuditQuery, Store};
use uplift_testkit::test_db;

use crate::commission::{payroll, rep, setup};
use crate::support::import_one;

const SALARY: &str = "工号,生效日期,基本工资,社保城市,公积金比例\n\
    M1,2020-01-01,30000,上海,7%\n\
    E1,2021-01-01,20000,Shanghai,0.07\n\
    E2,2022-01-01,12000,北京,12%\n\
    X1,2022-01-01,9000,,\n";

/// Eight months at this employer before Uplift: E1 earned 20,000 a month, paid 3,500 of 五险一金
/// and had 6,680 withheld (92,000 × 10% − 2,520).
const OPENING: &str = "工号,截至月份,累计收入,累计减除费用,累计专项扣除,累计专项附加扣除,累计已预缴税额\n\
    M1,2026-08,240000,40000,40000,0,0\n\
    E1,2026-08,160000,40000,28000,0,6680\n\
    E2,2026-08,96000,40000,16000,8000,0\n\
    X1,2026-08,72000,40000,12000,0,0\n";

async fn import_text(
    store: &Store,
    dir: &Path,
    name: &str,
    kind: ImportKind,
    text: &str,
) -> uplift_app::import::ImportReport {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    import_one(store, &path, kind, false).await
}

fn manager() -> Principal {
    Principal {
        actor: "m1".into(),
        role: Role::Manager,
        employee_no: Some("M1".into()),
        scope: Scope::Employees(vec!["M1".into(), "E1".into(), "E2".into()]),
    }
}

#[tokio::test]
async fn september_from_openings_with_the_locked_commission() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    commission::lock(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();

    // Nobody has a salary record yet: the run names them all and writes nothing.
    let e = pr::run(store, &payroll(), "2026-09", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(
        e.contains("没有薪资档案") && e.contains("李一（E1）") && e.contains("赵五（X1）"),
        "{e}"
    );
    assert!(store.payroll_runs().await.unwrap().is_empty());

    let r = import_text(store, dir.path(), "salary.csv", ImportKind::Salary, SALARY).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    // September is not January and August was not run here: openings as of August are needed.
    let e = pr::run(store, &payroll(), "2026-09", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(e.contains("iit_opening") && e.contains("李一（E1）"), "{e}");

    let r = import_text(store, dir.path(), "opening.csv", ImportKind::IitOpening, OPENING).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    // E2 declared 1,000 a month (8,000 to August in the opening) and a new declaration from
    // September; X1 gets a separately taxed bonus in September.
    let r = import_text(
        store,
        dir.path(),
        "decl.csv",
        ImportKind::IitDeduction,
        "工号,起始月份,子女教育,继续教育,住房贷款利息,住房租金,赡养老人,婴幼儿照护\nE2,2026-09,0,0,0,0,1000,0\n",
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let r = import_text(
        store,
        dir.path(),
        "bonus.csv",
        ImportKind::PayInput,
        "工号,月份,全年一次性奖金\nX1,2026-09,12000\n",
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let report = pr::run(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    assert_eq!(report.people, 4);
    assert_eq!(report.commission_fen, 6_080_00 + 1_500_00 + 1_160_00);

    // E1: 20,000 + the locked 6,080 of August; Shanghai's 2026-07 table (20,000 lies inside it):
    // 1,600 + 400 + 100 + 1,400 = 3,500. Cumulative 186,080 − 45,000 − 31,500 = 109,580
    // × 10% − 2,520 = 8,438, less the 6,680 withheld = 1,758. Net 26,080 − 3,500 − 1,758.
    let slip = pr::payslip(store, &rep("E1"), "E1", "2026-09", Lang::Zh).await.unwrap();
    let line = |key: &str| {
        slip.lines
            .iter()
            .find(|l| l.key == key)
            .unwrap_or_else(|| panic!("{key}"))
    };
    assert_eq!(line("commission").amount, 6_080_00);
    assert_eq!(line("gross").amount, 26_080_00);
    assert_eq!(line("iit").amount, 1_758_00);
    assert_eq!(
        line("iit").formula,
        "累计应纳税所得额 109,580 × 10% − 2,520 − 已预缴 6,680 = 1,758"
    );
    assert_eq!(line("hf_employee").formula, "20,000 × 7%（四舍五入到元）");
    assert_eq!(slip.net_fen, 26_080_00 - 3_500_00 - 1_758_00);
    assert_eq!(slip.status, "open");
    // Beijing: 12% each side and the 3 yuan on medical (12,000 × 2% + 3).
    let e2 = pr::payslip(store, &payroll(), "E2", "2026-09", Lang::En).await.unwrap();
    let e2_line = |key: &str| e2.lines.iter().find(|l| l.key == key).unwrap().amount;
    assert_eq!(
        (e2_line("hf_employee"), e2_line("si_employee_medical")),
        (1_440_00, 243_00)
    );
    // X1 names no city: the company's default, Shanghai (9,000 × 8% pension).
    let x1 = pr::payslip(store, &payroll(), "X1", "2026-09", Lang::Zh).await.unwrap();
    assert_eq!(x1.city, "上海");
    assert_eq!(
        x1.lines.iter().find(|l| l.key == "si_employee_pension").unwrap().amount,
        720_00
    );

    // Rights: a rep reads only their own; a manager never reads individual pay.
    for (who, whose) in [(rep("E2"), "E1"), (manager(), "E1"), (manager(), "E2")] {
        assert!(matches!(
            pr::payslip(store, &who, whose, "2026-09", Lang::Zh).await,
            Err(AppError::Forbidden)
        ));
    }
    assert!(matches!(
        pr::run(store, &manager(), "2026-09", Lang::Zh).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        pr::export_rows(store, &rep("E1"), "2026-09", Lang::Zh).await,
        Err(AppError::Forbidden)
    ));
    let audited = store
        .audit(&AuditQuery {
            action: Some("read.payslip".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audited.iter().any(|a| a.target.as_deref() == Some("E1 2026-09")),
        "{audited:?}"
    );

    // A re-run with the same inputs writes the same month, byte for byte.
    let export = || async { pr::export_rows(store, &payroll(), "2026-09", Lang::Zh).await.unwrap() };
    let first = export().await;
    assert_eq!(first.len(), 4);
    let e1_row = first.iter().find(|r| r[0] == "E1").unwrap();
    assert_eq!(e1_row[2..4], ["26080.00".to_string(), "2100.00".to_string()]);
    assert_eq!(e1_row[11], "1758.00");
    pr::run(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    assert_eq!(export().await, first);

    // Employer cost against contribution per department: 销售中心/华东 won O6 (11,111) in September.
    let view = pr::month_view(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    let east = view
        .departments
        .iter()
        .find(|d| d.department.as_deref() == Some("销售中心/华东"))
        .unwrap();
    assert_eq!((east.people, east.contribution_fen), (3, 11_111_00));
    assert_eq!(east.commission_fen, 6_080_00 + 1_500_00 + 1_160_00);
    let expected_cost: i64 = view
        .slips
        .iter()
        .filter(|s| s.department.as_deref() == Some("销售中心/华东"))
        .map(|s| {
            s.get("gross")
                + s.get("annual_bonus")
                + s.get("hf_employer")
                + s.get("si_employer_pension")
                + s.get("si_employer_medical")
                + s.get("si_employer_unemployment")
                + s.get("si_employer_injury")
                + s.get("si_employer_maternity")
        })
        .sum();
    assert_eq!(east.employer_cost_fen, expected_cost);
    assert!((east.cost_ratio.unwrap() - expected_cost as f64 / 11_111_00.0).abs() < 1e-12);
    let market = view
        .departments
        .iter()
        .find(|d| d.department.as_deref() == Some("市场部"))
        .unwrap();
    assert_eq!((market.contribution_fen, market.cost_ratio), (0, None));

    // The bank file needs everyone's account; the declaration lists the month's figures.
    let e = pr::bank_csv(store, &payroll(), "2026-09", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(e.contains("没有银行账号") && e.contains("李一（E1）"), "{e}");
    let declaration = pr::declaration_csv(store, &payroll(), "2026-09", Lang::Zh)
        .await
        .unwrap();
    let e1 = declaration.lines().find(|l| l.starts_with("E1,")).unwrap();
    assert!(
        e1.starts_with("E1,李一,居民身份证,,26080.00,0.00,1600.00,400.00,100.00,1400.00,0.00,"),
        "{e1}"
    );

    // October continues from September only once September is locked; then September is final.
    let e = pr::run(store, &payroll(), "2026-10", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(e.contains("请先锁定 2026-09"), "{e}");
    assert!(matches!(
        pr::lock(store, &rep("E1"), "2026-09", Lang::Zh).await,
        Err(AppError::Forbidden)
    ));
    pr::lock(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    assert!(matches!(
        pr::run(store, &payroll(), "2026-09", Lang::Zh).await,
        Err(AppError::Conflict(_))
    ));
    // October: someone hired in 2024 but new to the roster needs an opening (their tax year must
    // not restart), and X1's second separate bonus of the year is refused; both named at once.
    let r = import_text(
        store,
        dir.path(),
        "roster-n1.csv",
        ImportKind::Roster,
        "工号,姓名,部门,入职日期\nN1,孙新,市场部,2024-01-01\n",
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let r = import_text(
        store,
        dir.path(),
        "salary-n1.csv",
        ImportKind::Salary,
        "工号,生效日期,基本工资\nN1,2024-01-01,10000\n",
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let bonus = |method: &str| format!("工号,月份,全年一次性奖金,年终奖计税方式\nX1,2026-10,1000,{method}\n");
    let r = import_text(
        store,
        dir.path(),
        "bonus-oct.csv",
        ImportKind::PayInput,
        &bonus("单独计税"),
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let e = pr::run(store, &payroll(), "2026-10", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(e.contains("孙新（N1）") && e.contains("iit_opening"), "{e}");
    assert!(
        e.contains("本年已有一次单独计税的年终奖") && e.contains("赵五（X1）"),
        "{e}"
    );
    let r = import_text(
        store,
        dir.path(),
        "opening-n1.csv",
        ImportKind::IitOpening,
        "工号,截至月份,累计收入,累计减除费用,累计专项扣除,累计专项附加扣除,累计已预缴税额\nN1,2026-09,90000,45000,0,0,1200\n",
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let r = import_text(
        store,
        dir.path(),
        "bonus-oct.csv",
        ImportKind::PayInput,
        &bonus("merged"),
    )
    .await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    pr::run(store, &payroll(), "2026-10", Lang::Zh).await.unwrap();
    // E2's deduction carries the opening's 8,000 on: 8,000 + September + October.
    let e2_oct = store.payslips_of("E2").await.unwrap();
    assert_eq!(e2_oct[0].get("cum_special_additional"), 10_000_00);
    // The merged bonus is wage income in the declaration file.
    let declaration = pr::declaration_csv(store, &payroll(), "2026-10", Lang::Zh)
        .await
        .unwrap();
    let x1 = declaration.lines().find(|l| l.starts_with("X1,")).unwrap();
    assert!(x1.starts_with("X1,赵五,居民身份证,,10000.00,"), "{x1}");
    // A month before one already run is never run again.
    let e = pr::run(store, &payroll(), "2026-08", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(e.contains("须按顺序计算"), "{e}");
    let oct = pr::payslip(store, &payroll(), "E1", "2026-10", Lang::Zh).await.unwrap();
    // What changed: August's commission was paid in September; nothing is locked for October.
    let view = pr::month_view(store, &payroll(), "2026-10", Lang::Zh).await.unwrap();
    let e1_change = view.changes.iter().find(|c| c.employee_no == "E1").unwrap();
    assert_eq!(e1_change.reasons[0], "提成 -¥6,080.00", "{e1_change:?}");
    assert!(
        e1_change.reasons.iter().any(|r| r.starts_with("个税 ")),
        "{e1_change:?}"
    );
    // 206,080 − 50,000 − 35,000 = 121,080 × 10% − 2,520 = 9,588 − 8,438 withheld = 1,150.
    assert_eq!(oct.lines.iter().find(|l| l.key == "iit").unwrap().amount, 1_150_00);
    let locked = export().await;
    assert!(locked.iter().all(|r| r[15] == "locked"));
    let figures = |rows: &[Vec<String>]| rows.iter().map(|r| r[..15].to_vec()).collect::<Vec<_>>();
    assert_eq!(
        figures(&locked),
        figures(&first),
        "October's run leaves September as it was"
    );
}

#[tokio::test]
async fn bad_payroll_files_are_refused_at_their_cell_and_write_nothing() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    let cases: [(&str, ImportKind, &str, &str); 5] = [
        (
            "salary-before-hire.csv",
            ImportKind::Salary,
            "工号,生效日期,基本工资\nE1,2026-01-01,20000\nE2,2021-06-01,12000\n",
            "salary-before-hire.csv:3:2",
        ),
        (
            "negative-base.csv",
            ImportKind::Salary,
            "工号,生效日期,基本工资\nE1,2026-01-01,-1\n",
            "negative-base.csv:2:3",
        ),
        (
            "rent-and-mortgage.csv",
            ImportKind::IitDeduction,
            "工号,起始月份,子女教育,继续教育,住房贷款利息,住房租金,赡养老人,婴幼儿照护\nE1,2026-01,2000,0,1000,1500,0,0\n",
            "rent-and-mortgage.csv:2:6",
        ),
        (
            "elderly-over-cap.csv",
            ImportKind::IitDeduction,
            "工号,起始月份,子女教育,继续教育,住房贷款利息,住房租金,赡养老人,婴幼儿照护\nE1,2026-01,0,0,0,0,3500,0\n",
            "elderly-over-cap.csv:2:7",
        ),
        (
            "bad-month.csv",
            ImportKind::PayInput,
            "工号,月份,加班费\nE1,2026-13,100\n",
            "bad-month.csv:2:2",
        ),
    ];
    for (name, kind, text, at) in cases {
        let r = import_text(store, dir.path(), name, kind, text).await;
        assert!(!r.committed, "{name}");
        let lines = r.issue_lines(Lang::Zh);
        assert!(lines.iter().any(|l| l.starts_with(at)), "{name}: {lines:?}");
    }
    // Nothing was written: the run still finds no salary at all.
    let e = pr::run(store, &payroll(), "2026-09", Lang::En)
        .await
        .unwrap_err()
        .render(Lang::En);
    assert!(e.contains("no salary record"), "{e}");
}

/// Shanghai publishes higher 2026 floors after July–September were locked: the months are
/// recomputed, not rewritten, and X1 (below the floor) pays the difference in October.
#[tokio::test]
async fn a_late_city_table_is_paid_as_back_pay_in_the_open_month() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    let salary = SALARY.replace("X1,2022-01-01,9000,,", "X1,2022-01-01,7000,,");
    let r = import_text(store, dir.path(), "salary.csv", ImportKind::Salary, &salary).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let opening = OPENING.replace("2026-08", "2026-06");
    let r = import_text(store, dir.path(), "opening.csv", ImportKind::IitOpening, &opening).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    for m in ["2026-07", "2026-08", "2026-09"] {
        pr::run(store, &payroll(), m, Lang::Zh).await.unwrap();
        pr::lock(store, &payroll(), m, Lang::Zh).await.unwrap();
    }
    pr::run(store, &payroll(), "2026-10", Lang::Zh).await.unwrap();
    let september = pr::export_rows(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    let x1_pension = |slip: &pr::PayslipView| {
        slip.lines
            .iter()
            .find(|l| l.key == "si_employee_pension")
            .unwrap()
            .amount
    };
    let before = pr::payslip(store, &payroll(), "X1", "2026-09", Lang::Zh).await.unwrap();
    assert_eq!(x1_pension(&before), 603_68, "7,546 × 8%");

    // Nothing to redo before the correction arrives... and then the corrected table.
    let shanghai = include_str!("../../payroll/policies/shanghai-2026-07.toml").replace("floor = 7546", "floor = 8000");
    let imported = pr::import_policy(store, &payroll(), "shanghai-2026-07.toml", &shanghai, Lang::Zh)
        .await
        .unwrap();
    assert!(imported.replaced);
    assert!(matches!(
        pr::rerun_from(store, &rep("X1"), "2026-07", Lang::Zh).await,
        Err(AppError::Forbidden)
    ));
    let e = pr::rerun_from(store, &payroll(), "2026-11", Lang::Zh)
        .await
        .unwrap_err()
        .render(Lang::Zh);
    assert!(e.contains("没有已锁定的月份"), "{e}");
    let r = pr::rerun_from(store, &payroll(), "2026-07", Lang::Zh).await.unwrap();
    // Per month 454 × (8% + 2% + 0.5%) = 47.67 from X1, and 72.64 + 40.86 + 2.27 + 0.91 = 116.68
    // from the employer, three months each; nobody else is below 8,000.
    assert_eq!(
        (
            r.target.as_str(),
            r.through.as_str(),
            r.people,
            r.employee_fen,
            r.employer_fen
        ),
        ("2026-10", "2026-09", 1, 143_01, 350_04)
    );
    // October run again: the back-pay line, the new floor, and the tax position corrected.
    pr::run(store, &payroll(), "2026-10", Lang::Zh).await.unwrap();
    let oct = pr::payslip(store, &payroll(), "X1", "2026-10", Lang::Zh).await.unwrap();
    let line = |key: &str| {
        oct.lines
            .iter()
            .find(|l| l.key == key)
            .map(|l| (l.amount, l.formula.clone()))
    };
    let (backpay, why) = line("si_backpay").unwrap();
    assert_eq!(backpay, 143_01);
    assert!(why.contains("rerun-from"), "{why}");
    assert_eq!(line("si_backpay_employer").unwrap().0, 350_04);
    assert_eq!(x1_pension(&oct), 640_00, "8,000 × 8%");
    let rows = store.payslips_of("X1").await.unwrap();
    let (oct_row, sep_row) = (&rows[0], &rows[1]);
    assert_eq!(oct_row.get("prior_special"), sep_row.get("cum_special") + 143_01);
    // September stays as it was paid.
    assert_eq!(
        pr::export_rows(store, &payroll(), "2026-09", Lang::Zh).await.unwrap(),
        september
    );
    assert_eq!(
        x1_pension(&pr::payslip(store, &payroll(), "X1", "2026-09", Lang::Zh).await.unwrap()),
        603_68
    );
}
