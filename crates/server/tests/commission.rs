//! `uplift commission` as a user runs it: the example plan, a bad plan, run, export, lock.

use crate::{text, uplift};
use uplift_testkit::{golden_dir, repo_root, test_db};

#[tokio::test]
async fn commission_plan_run_export_and_lock_from_the_command_line() {
    let db = test_db().await;
    let golden = golden_dir();
    assert!(
        uplift(db.dir(), &db.url, &["import", "dir", golden.to_str().unwrap()])
            .status
            .success()
    );

    // The shipped example plan, retargeted at the golden company's sales teams and its months.
    let example = std::fs::read_to_string(repo_root().join("examples/commission/sales-2026.toml")).unwrap();
    let plan = example
        .replace(
            "departments = [\"销售中心\"]",
            "departments = [\"销售一部\", \"销售二部\"]",
        )
        .replace("2026-01-01", "2025-01-01")
        .replace("2026-12-31", "2025-12-31");
    let plan_path = db.dir().join("plan.toml");
    std::fs::write(&plan_path, &plan).unwrap();

    // A bad plan first: refused with the file, line and field, non-zero exit, nothing saved.
    let bad_path = db.dir().join("bad.toml");
    std::fs::write(&bad_path, plan.replace("default_rate = 0.03", "default_rate = 3")).unwrap();
    let out = uplift(
        db.dir(),
        &db.url,
        &["commission", "plan", "import", bad_path.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let line = plan.lines().position(|l| l.starts_with("default_rate")).unwrap() + 1;
    assert!(
        text(&out.stderr).contains(&format!("bad.toml: 第 {line} 行，default_rate：比例必须在 0 到 1 之间")),
        "{}",
        text(&out.stderr)
    );
    let out = uplift(db.dir(), &db.url, &["commission", "plan", "list"]);
    assert!(text(&out.stdout).contains("还没有提成方案"), "{}", text(&out.stdout));

    let out = uplift(
        db.dir(),
        &db.url,
        &["commission", "plan", "import", plan_path.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("已导入 sales-2026 2025-01-01"),
        "{}",
        text(&out.stdout)
    );

    let out = uplift(db.dir(), &db.url, &["commission", "plan", "list"]);
    assert!(
        text(&out.stdout).contains("sales-2026\t2025-01-01\t2025-12-31\t月\t签约\t超额累进\t销售提成方案 2026"),
        "{}",
        text(&out.stdout)
    );
    let out = uplift(db.dir(), &db.url, &["commission", "run", "--period", "2025-06"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("2025-06 草稿：8 人"),
        "{}",
        text(&out.stdout)
    );

    // The same plan with whole tiering, simulated over the quarter: a table per period and team,
    // never more than marginal (whole pays every line at the top band reached).
    let whole_path = db.dir().join("whole.toml");
    std::fs::write(
        &whole_path,
        plan.replace("tiering = \"marginal\"", "tiering = \"whole\""),
    )
    .unwrap();
    let out = uplift(
        db.dir(),
        &db.url,
        &[
            "commission",
            "simulate",
            "--plan",
            whole_path.to_str().unwrap(),
            "--from",
            "2025-04",
            "--to",
            "2025-06",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let money = |s: &str| -> f64 { s.trim_start_matches('¥').replace(',', "").parse().unwrap() };
    let months: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.starts_with("2025-0"))
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(months.len(), 3, "{table}");
    assert!(months.iter().all(|m| money(m[2]) >= money(m[1])), "{table}");
    assert!(table.contains("现提成率"), "{table}");

    // The export: one row per person of the two sales teams, the contract's columns; the
    // commission of each is what its lines pay (the cap is far above these amounts).
    let out = uplift(db.dir(), &db.url, &["commission", "export", "--period", "2025-06"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv_text = text(&out.stdout);
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "employee_no",
            "period",
            "plan_id",
            "credited_amount",
            "target_amount",
            "attainment",
            "commission",
            "adjustments",
            "payable",
            "status"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    let out = uplift(
        db.dir(),
        &db.url,
        &[
            "commission",
            "export",
            "--period",
            "2025-06",
            "--lines",
            "--format",
            "json",
        ],
    );
    let lines: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cents = |s: &str| -> i64 { (s.parse::<f64>().unwrap() * 100.0).round() as i64 };
    for row in &rows {
        let paid: i64 = lines
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["employee_no"] == row[0])
            .map(|l| cents(l["pay"].as_str().unwrap()))
            .sum();
        assert_eq!(cents(&row[6]), paid, "{}", &row[0]);
        assert_eq!(&row[9], "draft");
    }
    assert!(rows.iter().any(|r| cents(&r[6]) > 0));

    // xlsx needs a file; with one it writes a workbook.
    let out = uplift(
        db.dir(),
        &db.url,
        &["commission", "export", "--period", "2025-06", "--format", "xlsx"],
    );
    assert!(!out.status.success() && text(&out.stderr).contains("--output"));
    let book = db.dir().join("c.xlsx");
    let out = uplift(
        db.dir(),
        &db.url,
        &[
            "commission",
            "export",
            "--period",
            "2025-06",
            "--format",
            "xlsx",
            "-o",
            book.to_str().unwrap(),
        ],
    );
    assert!(out.status.success() && std::fs::read(&book).unwrap().starts_with(b"PK"));

    // Lock, then a re-run is refused and the export says locked.
    assert!(
        uplift(db.dir(), &db.url, &["commission", "lock", "--period", "2025-06"])
            .status
            .success()
    );
    let out = uplift(db.dir(), &db.url, &["commission", "run", "--period", "2025-06"]);
    assert!(
        !out.status.success() && text(&out.stderr).contains("已锁定"),
        "{}",
        text(&out.stderr)
    );
    let out = uplift(db.dir(), &db.url, &["commission", "export", "--period", "2025-06"]);
    assert!(text(&out.stdout).lines().skip(1).all(|l| l.ends_with(",locked")));
}
