//! `uplift payroll` as a user runs it: a bad and a corrected policy file, a month run, a payslip,
//! the export in each format, the lock.

use crate::{text, uplift};
use uplift_testkit::{repo_root, test_db};

#[tokio::test]
async fn payroll_policy_run_payslip_export_and_lock_from_the_command_line() {
    let db = test_db().await;
    let dir = db.dir();
    std::fs::write(
        dir.join("roster.csv"),
        "工号,姓名,部门,入职日期\nP1,钱一,销售中心,2024-03-01\nP2,孙二,销售中心,2026-01-12\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("薪资档案.csv"),
        "工号,生效日期,基本工资,社保城市,公积金比例,银行账号\nP1,2024-03-01,20000,上海,7%,6222000000000001\nP2,2026-01-12,10000,北京,12%,\n",
    )
    .unwrap();
    let out = uplift(dir, &db.url, &["import", "dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // A policy file with a rate of 80 (meant 8%): refused at its line, nothing saved.
    let shanghai = std::fs::read_to_string(repo_root().join("crates/payroll/policies/shanghai-2025-07.toml")).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        shanghai.replacen("employee_rate = \"8%\"", "employee_rate = \"80\"", 1),
    )
    .unwrap();
    let out = uplift(dir, &db.url, &["payroll", "policy", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let line = shanghai
        .lines()
        .position(|l| l.contains("employee_rate = \"8%\""))
        .unwrap()
        + 1;
    assert!(
        text(&out.stderr).contains(&format!(
            "bad.toml: 第 {line} 行，pension.employee_rate：比例应在 0 到 1 之间"
        )),
        "{}",
        text(&out.stderr)
    );
    // A correction of Shanghai 2025-07 (a higher floor) replaces the shipped table.
    let corrected = dir.join("shanghai.toml");
    std::fs::write(&corrected, shanghai.replace("floor = 7460", "floor = 21000")).unwrap();
    let out = uplift(
        dir,
        &db.url,
        &["payroll", "policy", "import", corrected.to_str().unwrap()],
    );
    assert!(
        text(&out.stdout).starts_with("已替换 city shanghai 2025-07-01"),
        "{}",
        text(&out.stdout)
    );
    let out = uplift(dir, &db.url, &["payroll", "policy", "list"]);
    let list = text(&out.stdout);
    assert!(
        list.contains("city\tshanghai\t上海\t2025-07-01\t2026-06-30\timported\tA"),
        "{list}"
    );
    assert!(
        list.contains("city\tshenzhen\t深圳\t2025-07-01\t—\tshipped\tC 未核实"),
        "{list}"
    );

    // The company's city and its bank's columns are settings, checked.
    let out = uplift(dir, &db.url, &["payroll", "default-city"]);
    assert_eq!(text(&out.stdout), "shanghai\n");
    let out = uplift(dir, &db.url, &["payroll", "default-city", "拉萨"]);
    assert!(
        !out.status.success() && text(&out.stderr).contains("没有这个城市"),
        "{}",
        text(&out.stderr)
    );
    let out = uplift(dir, &db.url, &["payroll", "bank-columns", "account,amount,iban"]);
    assert!(
        !out.status.success() && text(&out.stderr).contains("account, name, amount"),
        "{}",
        text(&out.stderr)
    );
    let out = uplift(
        dir,
        &db.url,
        &["payroll", "bank-columns", "employee_no, account, amount"],
    );
    assert_eq!(text(&out.stdout), "employee_no,account,amount\n");

    let out = uplift(dir, &db.url, &["payroll", "run", "--month", "2026-01"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("2026-01：2 人"), "{}", text(&out.stdout));
    // P1's pension on the corrected floor: 21,000 × 8% = 1,680.
    let out = uplift(
        dir,
        &db.url,
        &["payroll", "payslip", "--employee", "P1", "--month", "2026-01"],
    );
    let slip = text(&out.stdout);
    assert!(slip.contains("养老保险（个人）\t1680.00\t21,000 × 8%"), "{slip}");
    // P2 joined on Monday the 12th: 6 of January's 21 working days missed.
    let out = uplift(
        dir,
        &db.url,
        &[
            "--lang",
            "en",
            "payroll",
            "payslip",
            "--employee",
            "P2",
            "--month",
            "2026-01",
        ],
    );
    let slip = text(&out.stdout);
    assert!(
        slip.contains("absence deduction\t-2758.62\t10,000 × 6 days ÷ 21.75"),
        "{slip}"
    );

    let out = uplift(dir, &db.url, &["payroll", "export", "--month", "2026-01"]);
    let csv = text(&out.stdout);
    assert!(
        csv.starts_with("employee_no,month,gross,si_employee,hf_employee"),
        "{csv}"
    );
    assert!(csv.lines().nth(1).unwrap().starts_with("P1,2026-01,20000.00,"), "{csv}");
    let xlsx = dir.join("payroll.xlsx");
    let out = uplift(
        dir,
        &db.url,
        &[
            "payroll",
            "export",
            "--month",
            "2026-01",
            "--format",
            "xlsx",
            "--output",
            xlsx.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    let out = uplift(dir, &db.url, &["payroll", "lock", "--month", "2026-01"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = uplift(dir, &db.url, &["payroll", "run", "--month", "2026-01"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("该月工资已锁定"), "{}", text(&out.stderr));
    // The table in force was already used: a rerun finds no difference to pay in February.
    let out = uplift(dir, &db.url, &["payroll", "rerun-from", "2026-01"]);
    assert!(
        text(&out.stdout).starts_with("已按现行标准重算 2026-01–2026-01：0 人有补差"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = uplift(dir, &db.url, &["payroll", "run", "--month", "2026-1x"]);
    assert!(text(&out.stderr).contains("月份应为 YYYY-MM"), "{}", text(&out.stderr));
}
