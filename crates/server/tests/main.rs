//! The `uplift` binary, run as a user would. Uses `TEST_DATABASE_URL` (PostgreSQL) when set.

mod commission;
mod crash;
mod payroll;
mod repository;

use std::path::Path;
use std::process::{Command, Output};

use uplift_testkit::{golden_dir, repo_root, test_db};

fn uplift(data_dir: &Path, db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uplift"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(db_url)
        .args(args)
        .env_remove("UPLIFT_LANG")
        .env("LANG", "zh_CN.UTF-8")
        .env("NO_COLOR", "1")
        .output()
        .expect("run uplift")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn import_dir_then_metrics_csv_matches_the_golden_table() {
    let db = test_db().await;
    let golden = golden_dir();
    let out = uplift(db.dir(), &db.url, &["import", "dir", golden.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("导入完成"), "{}", text(&out.stdout));
    // The import is in the audit log, a row per file, as web imports are.
    let log = db
        .store
        .audit(&uplift_store::AuditQuery {
            action: Some("import".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 11, "{log:?}");
    assert!(
        log.iter()
            .all(|e| e.actor.starts_with("cli:") && e.role.as_deref() == Some("cli"))
    );
    let roster = log
        .iter()
        .find(|e| e.target.as_deref() == Some("roster.csv"))
        .expect("roster.csv");
    assert!(
        roster
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("kind=roster committed=true inserted=12 ")),
        "{roster:?}"
    );
    let out = uplift(db.dir(), &db.url, &["metrics", "--format", "csv"]);
    assert!(out.status.success());
    let csv = text(&out.stdout);
    let expected = std::fs::read_to_string(golden.join("expected_metrics.csv")).unwrap();
    let mut exp = csv::Reader::from_reader(expected.as_bytes());
    let mut got = csv::Reader::from_reader(csv.as_bytes());
    let eh = exp.headers().unwrap().clone();
    let gh = got.headers().unwrap().clone();
    assert_eq!((&gh[0], &gh[1]), ("employee_no", "month"));
    let got_rows: Vec<csv::StringRecord> = got.records().map(Result::unwrap).collect();
    let mut n = 0;
    for (e, g) in exp.records().map(Result::unwrap).zip(&got_rows) {
        for (i, col) in eh.iter().enumerate() {
            let gi = gh.iter().position(|h| h == col).unwrap();
            if i < 2 || e[i].is_empty() {
                assert_eq!(&e[i], &g[gi], "{col}");
            } else {
                let (a, b): (f64, f64) = (e[i].parse().unwrap(), g[gi].parse().unwrap());
                assert!(
                    (a - b).abs() <= 1e-4 * a.abs().max(1.0),
                    "{} {} {col}: {a} vs {b}",
                    &e[0],
                    &e[1]
                );
            }
        }
        n += 1;
    }
    assert_eq!(n, got_rows.len());
    assert_eq!(n, 84);

    // JSON uses the same identifiers, null for empty.
    let out = uplift(
        db.dir(),
        &db.url,
        &[
            "metrics",
            "--format",
            "json",
            "--employee",
            "E2001",
            "--month",
            "2025-03",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["employee_no"], "E2001");
    assert_eq!(v[0]["month"], "2025-03");
    assert_eq!(v[0]["leads_received"], 14.0);
    assert!(v[0]["win_rate"].is_null());

    // Department roll-ups and an XLSX export.
    let xlsx = db.dir().join("team.xlsx");
    let out = uplift(
        db.dir(),
        &db.url,
        &["metrics", "--level", "department", "--output", xlsx.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(&xlsx).unwrap();
    let range = wb.worksheet_range("metrics").unwrap();
    assert_eq!(range.get((0, 0)).unwrap().to_string(), "department");
    assert_eq!(range.height(), 1 + 7 * 4, "company + 3 departments, 7 months each");

    // The human table speaks Chinese: months as 2025年3月, money with ¥.
    let out = uplift(
        db.dir(),
        &db.url,
        &["metrics", "--employee", "E2001", "--month", "2025-04"],
    );
    let t = text(&out.stdout);
    assert!(t.contains("2025年4月") && t.contains("¥144,300.00"), "{t}");
}

/// A department named like a formula is written as text for spreadsheets (a leading `'` in CSV; an
/// XLSX text cell as it is), and `--output x.csv` writes CSV, not the terminal table.
#[tokio::test]
async fn csv_is_formula_safe_and_the_output_file_extension_chooses_the_format() {
    let db = test_db().await;
    let golden = golden_dir();
    let out = uplift(db.dir(), &db.url, &["import", "dir", golden.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Move one rep of 销售一部 into a department whose name is a formula.
    let roster = std::fs::read_to_string(golden.join("roster.csv")).unwrap();
    let mut lines = roster.lines();
    let header = lines.next().unwrap();
    let e2000 = lines
        .find(|l| l.starts_with("E2000,"))
        .unwrap()
        .replace(",销售一部,", ",=1+2,");
    let moved = db.dir().join("roster.csv");
    std::fs::write(&moved, format!("{header}\n{e2000}\n")).unwrap();
    let out = uplift(db.dir(), &db.url, &["import", "roster", moved.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));

    let out = uplift(
        db.dir(),
        &db.url,
        &["metrics", "--level", "department", "--format", "csv"],
    );
    let csv_text = text(&out.stdout);
    assert!(csv_text.contains("\n'=1+2,"), "{csv_text}");
    assert!(!csv_text.contains("\n=1+2,"), "{csv_text}");

    let file = db.dir().join("metrics.csv");
    let out = uplift(db.dir(), &db.url, &["metrics", "--output", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&file).unwrap();
    let mut rdr = csv::Reader::from_reader(written.as_bytes());
    assert_eq!(&rdr.headers().unwrap()[0], "employee_no", "{written}");
    assert_eq!(rdr.records().count(), 84);
    let json = db.dir().join("metrics.json");
    let out = uplift(db.dir(), &db.url, &["metrics", "--output", json.to_str().unwrap()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(84));
    // An explicit --format still wins over the extension.
    let out = uplift(
        db.dir(),
        &db.url,
        &["metrics", "--format", "table", "--output", file.to_str().unwrap()],
    );
    assert!(out.status.success());
    assert!(!std::fs::read_to_string(&file).unwrap().starts_with("employee_no,"));

    let xlsx = db.dir().join("departments.xlsx");
    let out = uplift(
        db.dir(),
        &db.url,
        &["metrics", "--level", "department", "--output", xlsx.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(&xlsx).unwrap();
    let range = wb.worksheet_range("metrics").unwrap();
    let names: Vec<String> = (1..range.height())
        .map(|r| range.get((r, 0)).unwrap().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "=1+2"), "{names:?}");
}

#[tokio::test]
async fn a_bad_file_exits_non_zero_with_located_errors_in_the_users_language() {
    let db = test_db().await;
    let f = db.dir().join("targets.csv");
    std::fs::write(&f, "工号,月份,目标金额\nE1,2026-03,abc\n").unwrap();
    let out = uplift(db.dir(), &db.url, &["import", "roster", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("targets.csv:1: 缺少必需列 name"), "{err}");
    assert!(
        err.contains("没有写入任何数据") || err.contains("未写入任何数据"),
        "{err}"
    );
    let out = uplift(
        db.dir(),
        &db.url,
        &["--lang", "en", "import", "nonsense", f.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: unknown import kind \"nonsense\""),
        "{}",
        text(&out.stderr)
    );
    let out = uplift(db.dir(), &db.url, &["--lang", "en", "history"]);
    assert!(
        text(&out.stdout).contains("targets.csv [roster] rejected"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("targets.csv:1: 缺少必需列 name"),
        "the stored report keeps the problems"
    );
    let out = uplift(db.dir(), &db.url, &["--lang", "en", "metrics"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("No metric rows match"),
        "{}",
        text(&out.stderr)
    );
    let out = uplift(db.dir(), &db.url, &["--lang", "en", "metrics", "--month", "March"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected a month such as 2026-03"));
}

#[test]
fn the_readme_names_two_commands_that_exist() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains("cargo run --release -- demo"),
        "first command: run the demo"
    );
    assert!(readme.contains("cargo test --workspace"), "second command: all tests");
}

#[tokio::test]
async fn a_reader_that_stops_early_is_not_a_crash() {
    use std::io::Read;
    let db = test_db().await;
    let manifest = repo_root().join("examples/maven-crm/manifest.toml");
    assert!(
        uplift(db.dir(), &db.url, &["import", "manifest", manifest.to_str().unwrap()])
            .status
            .success()
    );
    // Like `uplift metrics | head -c 100`, with far more output than a pipe buffers (64 KiB): the pipe closes long before the table is written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_uplift"))
        .args(["--database-url", &db.url, "metrics", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    assert!(out.status.success());
}

/// `uplift serve` on a free port: answers, logs one JSON line per request when asked, and stops
/// gracefully on SIGTERM with exit code 0.
#[tokio::test]
async fn serve_answers_logs_json_and_stops_gracefully() {
    use std::io::{BufRead, BufReader, Read, Write};
    let db = test_db().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_uplift"))
        .arg("--data-dir")
        .arg(db.dir())
        .args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"])
        .env("UPLIFT_LOG", "info")
        .env("UPLIFT_LOG_FORMAT", "json")
        .env("LANG", "en_US.UTF-8")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve printed no address");
        if let Some(at) = line.find("http://") {
            let rest = &line[at + 7..];
            break rest[..rest.find('/').unwrap()].to_string();
        }
    };
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    assert!(answer.ends_with("ok"));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "graceful stop exits 0: {:?}", out.status);
    let err = text(&out.stderr);
    let json_lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert!(
        json_lines.iter().any(|v| v.to_string().contains("/healthz")),
        "a log line for the request: {err}"
    );
    assert!(err.contains("stopped"), "{err}");
}

#[tokio::test]
async fn forecast_backtest_and_effect_from_the_command_line() {
    let db = test_db().await;
    // Before any import the analyses refuse in words (naming the database and the way out)
    // instead of printing a forecast of zeros or "too few rows".
    for args in [
        &["forecast"][..],
        &["forecast", "backtest", "--months", "2"],
        &["alerts"],
        &["insights", "drivers"],
    ] {
        let out = uplift(db.dir(), &db.url, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.contains("还没有指标数据") && err.contains("uplift import dir"),
            "{args:?}: {err}"
        );
        // The way to the demo names this data folder's demo.db, not a fixed path.
        let demo = db.dir().join("demo.db").display().to_string();
        assert!(err.contains(&format!("--database-url {demo}")), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
    }
    let golden = golden_dir();
    let out = uplift(db.dir(), &db.url, &["import", "dir", golden.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));

    let out = uplift(db.dir(), &db.url, &["forecast", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("employee_no,month,forecast,low,high,method"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty(), "{csv}");
    for r in &rows {
        let f: Vec<&str> = r.split(',').collect();
        let (v, lo, hi): (f64, f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap(), f[4].parse().unwrap());
        assert!(lo <= v && v <= hi && lo >= 0.0, "{r}");
        assert!(f[5].starts_with("pipeline+"), "{r}");
    }

    let out = uplift(
        db.dir(),
        &db.url,
        &["forecast", "backtest", "--months", "2", "--format", "json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let methods: Vec<&str> = v["accuracy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["uplift", "last_month", "mean_3"]);
    assert_eq!(v["months"].as_array().unwrap().len(), 2);

    let out = uplift(db.dir(), &db.url, &["forecast", "--month", "2026-13"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--month 2026-13"), "{}", text(&out.stderr));
    // Months without data before them, and departments that do not exist, are refused in words.
    let out = uplift(db.dir(), &db.url, &["forecast", "--month", "2030-01"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("最多只能预测"), "{}", text(&out.stderr));
    let out = uplift(db.dir(), &db.url, &["forecast", "--department", "火星分部"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("火星分部"), "{}", text(&out.stderr));

    // Alerts on a company too small for a driver analysis: still made, with the reason why not.
    let out = uplift(db.dir(), &db.url, &["alerts", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["checked"].as_u64().unwrap() as usize, rows.len());
    assert!(v["note"].as_str().is_some_and(|n| n.contains("样本太少")), "{v}");

    let out = uplift(db.dir(), &db.url, &["insights", "effect", "--list"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("还没有保存的干预"), "{}", text(&out.stdout));
    let out = uplift(
        db.dir(),
        &db.url,
        &[
            "insights",
            "effect",
            "--name",
            "试点",
            "--treated",
            "不存在的部门",
            "--start",
            "2026-03-01",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("未知的部门或工号: 不存在的部门"),
        "{}",
        text(&out.stderr)
    );
    let out = uplift(
        db.dir(),
        &db.url,
        &["insights", "effect", "--name", "试点", "--start", "2026-03-01"],
    );
    assert!(!out.status.success(), "--start without --treated is refused");
}

#[tokio::test]
async fn leads_are_routed_from_the_command_line_with_reasons_and_a_csv() {
    let db = test_db().await;
    let golden = golden_dir();
    let out = uplift(db.dir(), &db.url, &["import", "dir", golden.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let input = db.dir().join("new.csv");
    std::fs::write(
        &input,
        "Id,LeadSource,Industry\nN1,Web,Retail\nN2,Partner Referral,Finance\nN3,Cold Call,\n",
    )
    .unwrap();
    let output = db.dir().join("out.csv");
    let args = [
        "leads",
        "assign",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
        "--dry-run",
    ];
    let out = uplift(db.dir(), &db.url, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("试运行"), "{}", text(&out.stdout));
    let csv = std::fs::read_to_string(&output).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("lead_id,employee_no,owner_id,expected_conversion,expected_value,reason")
    );
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    for r in &rows {
        let p: f64 = r[3].parse().unwrap();
        assert!(p > 0.0 && p < 1.0, "{r:?}");
        assert!(r[1].starts_with('E') && !r[2].is_empty(), "{r:?}");
        assert!(r[5].contains("本月剩余容量"), "{r:?}");
    }

    let out = uplift(
        db.dir(),
        &db.url,
        &["--lang", "en", "leads", "simulate", "--format", "json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["current", "round-robin", "load-balanced", "optimal"]);

    let out = uplift(db.dir(), &db.url, &["leads", "model", "--report"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.trim_start().starts_with(char::is_numeric))
            .count(),
        10,
        "ten deciles: {}",
        text(&out.stdout)
    );

    let out = uplift(
        db.dir(),
        &db.url,
        &[
            "leads",
            "assign",
            "--input",
            input.to_str().unwrap(),
            "--strategy",
            "fastest",
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("round-robin"), "{}", text(&out.stderr));
    let out = uplift(db.dir(), &db.url, &["leads", "assign"]);
    assert!(!out.status.success(), "--input or --pending is required");
}

#[tokio::test]
async fn the_follow_up_cadence_from_the_command_line() {
    let db = test_db().await;
    let golden = golden_dir();
    let out = uplift(db.dir(), &db.url, &["import", "dir", golden.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    // The metric is in `uplift metrics`, with values for the golden reps.
    let out = uplift(db.dir(), &db.url, &["metrics", "--format", "csv"]);
    let csv = text(&out.stdout);
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "cadence_compliance")
        .expect("cadence_compliance in uplift metrics");
    let values: Vec<f64> = r.records().filter_map(|x| x.unwrap()[col].parse().ok()).collect();
    assert!(
        values.len() > 40 && values.iter().all(|v| (0.0..=1.0).contains(v)),
        "{values:?}"
    );

    // The rules as TOML, changed from a file; a bad file names itself and the key.
    let out = uplift(db.dir(), &db.url, &["leads", "cadence", "--rules"]);
    let rules = text(&out.stdout);
    assert!(
        rules.contains("[intent]") && rules.contains("every_days = 7"),
        "{rules}"
    );
    let bad = db.dir().join("bad.toml");
    std::fs::write(&bad, rules.replace("follow_ups = 3", "follow_ups = 40")).unwrap();
    let out = uplift(
        db.dir(),
        &db.url,
        &["leads", "cadence", "--set-rules", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("intent.follow_ups"), "{err}");
    let good = db.dir().join("good.toml");
    std::fs::write(&good, rules.replace("follow_ups = 3", "follow_ups = 2")).unwrap();
    let out = uplift(
        db.dir(),
        &db.url,
        &["leads", "cadence", "--set-rules", good.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("意向客户每 7 天跟进 2 次"),
        "{}",
        text(&out.stdout)
    );
    let out = uplift(db.dir(), &db.url, &["leads", "cadence", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rules"]["intent"]["follow_ups"], 2);
    assert!(v["reps"].as_array().is_some_and(|a| !a.is_empty()), "{v}");
    // The daily job by hand.
    let out = uplift(db.dir(), &db.url, &["--lang", "en", "leads", "cadence", "--run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("reps reminded"), "{}", text(&out.stdout));
}

/// Files that are not what they seem are refused with words that say what they are, and nothing
/// is written: UTF-16, Big5 with ASCII headers (which GB18030 would "decode" into mojibake), a NUL
/// byte, a folder, a device.
#[tokio::test]
async fn odd_files_are_refused_by_what_they_are_and_nothing_is_written() {
    let db = test_db().await;
    let dir = db.dir();
    let roster = "employee_no,name,department\r\nE1001,陳美玲,台北業務部\r\nE1002,林志豪,高雄業務部\r\nE1003,黃淑芬,台中業務部\r\n";
    let (big5, _, _) = encoding_rs::BIG5.encode(roster);
    std::fs::write(dir.join("big5.csv"), &big5).unwrap();
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(roster.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(dir.join("utf16.csv"), utf16).unwrap();
    std::fs::write(dir.join("nul.csv"), "工号,姓名,部门\nE1,甲,一部\nE2,乙\0,一部\n").unwrap();
    let cases = [
        ("big5.csv", "Big5"),
        ("utf16.csv", "UTF-16 LE"),
        ("nul.csv", "第 3 行含有空字符"),
    ];
    for (file, says) in cases {
        let path = dir.join(file);
        let out = uplift(dir, &db.url, &["import", "roster", path.to_str().unwrap()]);
        assert!(!out.status.success(), "{file}");
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(all.contains(says), "{file}: {all}");
    }
    let out = uplift(dir, &db.url, &["import", "roster", dir.to_str().unwrap()]);
    assert!(text(&out.stderr).contains("是文件夹"), "{}", text(&out.stderr));
    let out = uplift(dir, &db.url, &["import", "roster", "/dev/zero"]);
    assert!(text(&out.stderr).contains("不是普通文件"), "{}", text(&out.stderr));
    assert!(
        db.store.employee_keys().await.unwrap().is_empty(),
        "nothing was written"
    );
}

/// Workbooks built to exhaust memory are refused, or read in bounded memory, and nothing is
/// written for a refused one: a zip bomb (issue 16, finding 4) by its inflated size before it is
/// inflated, and a sheet whose one far cell (XFD1048576) would make a dense range of seventeen
/// billion cells. The limit is a setting an admin can lower or raise.
#[tokio::test]
async fn hostile_workbooks_are_refused_or_read_in_bounded_memory() {
    let db = test_db().await;
    let dir = db.dir();
    let bomb = uplift_testkit::hostile::xlsx_bomb(40);
    assert!(bomb.len() < 200_000, "the bomb is small on disk: {}", bomb.len());
    std::fs::write(dir.join("bomb.xlsx"), &bomb).unwrap();
    let out = uplift(
        dir,
        &db.url,
        &["import", "roster", dir.join("bomb.xlsx").to_str().unwrap()],
    );
    assert!(!out.status.success());
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("工作簿解压后有 41 MB") && all.contains("压缩炸弹"),
        "{all}"
    );

    std::fs::write(dir.join("sparse.xlsx"), uplift_testkit::hostile::sparse_roster_xlsx()).unwrap();
    let out = uplift(
        dir,
        &db.url,
        &["import", "roster", dir.join("sparse.xlsx").to_str().unwrap()],
    );
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(db.store.employee_keys().await.unwrap().len(), 1);

    // Lowered below an honest 2 MB workbook's size, the limit refuses it, naming the limit.
    let out = uplift(dir, &db.url, &["config", "limit", "xlsx_inflated_mb", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let honest = uplift_testkit::hostile::xlsx_bomb(2);
    std::fs::write(dir.join("honest.xlsx"), &honest).unwrap();
    let out = uplift(
        dir,
        &db.url,
        &["import", "roster", dir.join("honest.xlsx").to_str().unwrap()],
    );
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success() && all.contains("上限（1 MB"), "{all}");
    let out = uplift(dir, &db.url, &["config", "limit", "xlsx_inflated_mb"]);
    assert!(
        text(&out.stdout).split_whitespace().nth(1) == Some("1"),
        "{}",
        text(&out.stdout)
    );
    let changes = db
        .store
        .audit(&uplift_store::AuditQuery {
            action: Some("settings.limit".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].detail.as_deref(), Some("xlsx_inflated_mb=1"));
}
