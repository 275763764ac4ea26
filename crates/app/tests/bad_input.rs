//! Bad files give located, readable errors and never half-write.

use uplift_domain::Lang;
use uplift_domain::records::ImportKind;
use uplift_io::Problem;

use crate::support::*;
use uplift_testkit::test_db;

const USERS: &str = "Id,Name,Email\n005A,张三,zs@a.cn\n005B,李四,ls@a.cn\n";

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn a_bad_date_is_reported_with_line_and_column_and_nothing_is_written() {
    let db = test_db().await;
    let users = write(db.dir(), "User.csv", USERS);
    import_one(&db.store, &users, ImportKind::User, false).await;
    let leads = write(
        db.dir(),
        "Lead.csv",
        "Id,OwnerId,CreatedDate,LeadSource\n00Q1,005A,2026-03-01T09:00:00Z,Web\n00Q2,005B,2026-13-01,Web\n00Q3,005B,2026-03-02T10:00:00Z,Web\n",
    );
    let r = import_one(&db.store, &leads, ImportKind::Lead, false).await;
    assert!(!r.committed);
    assert_eq!(r.files[0].issue_count, 1);
    let issue = &r.files[0].issues[0];
    assert_eq!((issue.line, issue.column), (Some(3), Some(3)));
    assert_eq!(
        issue.render(Lang::En),
        "Lead.csv:3:3: CreatedDate \"2026-13-01\" is not a date-time (e.g. 2026-03-01T09:14:03.000+0000)"
    );
    assert!(
        issue
            .render(Lang::Zh)
            .starts_with("Lead.csv:3:3: CreatedDate「2026-13-01」不是有效的日期时间")
    );
    assert_eq!(count(&db.store, "leads").await, 0, "one bad row writes nothing");
    let history = db.store.import_history(5).await.unwrap();
    assert_eq!(history[0].status, "rejected");
}

#[tokio::test]
async fn unknown_owners_and_duplicate_ids_are_rejected() {
    let db = test_db().await;
    import_one(&db.store, &write(db.dir(), "User.csv", USERS), ImportKind::User, false).await;
    let leads = write(
        db.dir(),
        "Lead.csv",
        "Id,OwnerId,CreatedDate\n00Q1,005A,2026-03-01\n00Q2,005X,2026-03-01\n00Q1,005B,2026-03-02\n",
    );
    let r = import_one(&db.store, &leads, ImportKind::Lead, false).await;
    let problems: Vec<&Problem> = r.files[0].issues.iter().map(|i| &i.problem).collect();
    assert!(
        matches!(problems[0], Problem::UnknownOwner { value, .. } if value == "005X"),
        "{problems:?}"
    );
    assert_eq!(r.files[0].issues[0].column, Some(2));
    assert!(
        matches!(problems[1], Problem::DuplicateId { id, first_line: 2 } if id == "00Q1"),
        "{problems:?}"
    );
    assert_eq!(count(&db.store, "leads").await, 0);
}

#[tokio::test]
async fn skip_invalid_writes_good_rows_and_a_rejects_file() {
    let db = test_db().await;
    import_one(&db.store, &write(db.dir(), "User.csv", USERS), ImportKind::User, false).await;
    let leads = write(
        db.dir(),
        "Lead.csv",
        "Id,OwnerId,CreatedDate\n00Q1,005A,2026-03-01\n00Q2,005X,2026-03-01\n00Q3,005B,yesterday\n00Q4,005B,2026/3/5\n",
    );
    let r = import_one(&db.store, &leads, ImportKind::Lead, true).await;
    assert!(r.committed);
    assert_eq!((r.files[0].inserted, r.files[0].rejected), (2, 2));
    assert_eq!(count(&db.store, "leads").await, 2);
    let rejects = r.files[0].rejects_file.clone().expect("rejects file");
    assert_eq!(rejects, db.dir().join("Lead.rejects.csv"));
    let text = std::fs::read_to_string(rejects).unwrap();
    let (h, rows) = parse_csv(text.trim_start_matches('\u{feff}'));
    assert_eq!(h, vec!["line", "Id", "OwnerId", "CreatedDate", "error"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0..2], ["3".to_string(), "00Q2".to_string()]);
    assert!(rows[1][4].contains("yesterday"));
}

#[tokio::test]
async fn gbk_files_are_detected_and_read() {
    let db = test_db().await;
    let roster = std::fs::read_to_string(golden_dir().join("roster.csv")).unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(&roster);
    let path = db.dir().join("花名册.csv");
    std::fs::write(&path, &gbk).unwrap();
    assert!(std::str::from_utf8(&gbk).is_err(), "the file really is GBK");
    let r = import_one(&db.store, &path, ImportKind::Roster, false).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    assert_eq!(r.files[0].encoding.as_deref(), Some("GBK/GB18030"));
    let emps = db.store.employee_keys().await.unwrap();
    assert_eq!(emps.len(), 12);
    assert_eq!(emps[0].name, "段建");
    assert_eq!(
        db.store
            .departments()
            .await
            .unwrap()
            .iter()
            .map(|d| d.path.as_str())
            .collect::<Vec<_>>(),
        vec!["商务拓展部", "销售一部", "销售二部"]
    );
}

#[tokio::test]
async fn xlsx_with_excel_dates_and_numbers_is_read() {
    use rust_xlsxwriter::{Format, Workbook};
    let db = test_db().await;
    let path = db.dir().join("roster.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in ["工号", "姓名", "部门", "入职日期", "年龄"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_number(1, 0, 1001.0).unwrap(); // a numeric employee number as Excel stores it
    ws.write_string(1, 1, "王芳").unwrap();
    ws.write_string(1, 2, "销售中心 / 华东大区").unwrap();
    ws.write_number_with_format(1, 3, 45717.0, &date).unwrap(); // Excel serial of 2025-03-01
    ws.write_number(1, 4, 31.0).unwrap();
    wb.save(&path).unwrap();
    let r = import_one(&db.store, &path, ImportKind::Roster, false).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let depts = db.store.departments().await.unwrap();
    assert_eq!(
        depts.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(),
        vec!["销售中心", "销售中心/华东大区"]
    );
    assert_eq!(depts[1].parent_id, Some(depts[0].id), "sub-department under its parent");
    let emps = db.store.employee_keys().await.unwrap();
    assert_eq!(emps[0].employee_no, "1001");
    // hire date 2025-03-01 → days employed in March = 31, visible once there is data; check via tenure on metrics below
    let facts = db
        .store
        .load_metric_inputs(&[202503], uplift_domain::time::DEFAULT_TZ)
        .await
        .unwrap();
    assert_eq!(facts.employees[0].hire_date.to_string(), "2025-03-01");
}

#[tokio::test]
async fn whole_file_problems_are_clear() {
    let db = test_db().await;
    let cases: Vec<(&str, Vec<u8>, ImportKind)> = vec![
        ("empty.csv", Vec::new(), ImportKind::Lead),
        (
            "binary.csv",
            vec![0xff, 0xfe, 0x00, 0x81, 0x00, 0x01, 0xc0],
            ImportKind::Lead,
        ),
        ("garbage.csv", vec![0x80, 0xff, 0x80, 0xff], ImportKind::Lead),
        (
            "Lead.csv",
            b"Id,OwnerId,CreatedDate\n00Q1,005A,2026-03-01\n".to_vec(),
            ImportKind::Roster,
        ),
        (
            "broken.xlsx",
            b"PK\x03\x04 not really a zip".to_vec(),
            ImportKind::Roster,
        ),
    ];
    let mut messages = Vec::new();
    for (name, bytes, kind) in cases {
        let p = db.dir().join(name);
        std::fs::write(&p, bytes).unwrap();
        let r = import_one(&db.store, &p, kind, false).await;
        assert!(!r.committed, "{name}");
        messages.push((
            name,
            r.files[0].issues[0].problem.clone(),
            r.files[0].issues[0].render(Lang::En),
        ));
    }
    assert_eq!(messages[0].1, Problem::EmptyFile);
    // A binary file: its first NUL byte is named (a BOM-like start does not make it UTF-16).
    assert_eq!(messages[1].1, Problem::NulByte { line: 1 });
    let garbage = messages.remove(2);
    assert_eq!(garbage.1, Problem::NotText);
    assert!(
        matches!(&messages[2].1, Problem::MissingColumn { field, .. } if field == "employee_no"),
        "{:?}",
        messages[2]
    );
    assert!(
        messages[2].2.contains("is this the right kind of file?"),
        "{}",
        messages[2].2
    );
    assert!(matches!(&messages[3].1, Problem::WrongFormat(_)), "{:?}", messages[3]);
    assert_eq!(db.store.counts().await.unwrap().iter().map(|(_, n)| n).sum::<i64>(), 0);
}

#[tokio::test]
async fn a_header_only_file_imports_nothing_and_says_so() {
    let db = test_db().await;
    let p = write(db.dir(), "User.csv", "\u{feff}Id,Name,Email\n");
    let r = import_one(&db.store, &p, ImportKind::User, false).await;
    assert!(r.committed);
    assert_eq!(r.files[0].rows_read, 0);
    assert!(r.files[0].warnings[0].contains("header only"));
}

#[tokio::test]
async fn ragged_rows_and_unclosed_quotes_are_located() {
    let db = test_db().await;
    // Line 3 opens a quote that never closes: it swallows the rest of the file into one cell,
    // which shows up as a short row on the line where the quote opened.
    let p = write(
        db.dir(),
        "User.csv",
        "Id,Name,Email\n005A,张三\n005B,\"李四,ls@a.cn\n005C,王五,w@a.cn\n",
    );
    let r = import_one(&db.store, &p, ImportKind::User, false).await;
    assert!(!r.committed);
    let located: Vec<(Option<u64>, Problem)> = r.files[0].issues.iter().map(|i| (i.line, i.problem.clone())).collect();
    assert_eq!(
        located,
        vec![
            (Some(2), Problem::RaggedRow { expected: 3, found: 2 }),
            (Some(3), Problem::RaggedRow { expected: 3, found: 2 })
        ]
    );
    assert_eq!(count(&db.store, "crm_users").await, 0);
}

#[tokio::test]
async fn a_folder_is_one_transaction() {
    let db = test_db().await;
    let dir = db.dir().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    copy_golden(&dir);
    let indexes = db.store.index_names().await.unwrap();
    assert!(indexes.contains(&"activities_who".to_string()), "{indexes:?}");
    // Break the last Task row: the leads, users and roster before it must not be written either.
    let mut task = std::fs::read_to_string(dir.join("Task.csv")).unwrap();
    task.push_str("00T999,005000000000001001,,,x,Call,Completed,2025-03-01,not-a-time\n");
    std::fs::write(dir.join("Task.csv"), task).unwrap();
    let r = import_dir(&db.store, &dir).await;
    assert!(!r.committed);
    assert_eq!(r.total_issues(), 1);
    assert!(
        r.issue_lines(Lang::En)[0].starts_with("Task.csv:3578:9: CreatedDate"),
        "{:?}",
        r.issue_lines(Lang::En)
    );
    assert_eq!(db.store.counts().await.unwrap().iter().map(|(_, n)| n).sum::<i64>(), 0);
}

#[tokio::test]
async fn hr_files_must_name_known_employees_and_courses() {
    let db = test_db().await;
    import_one(
        &db.store,
        &write(db.dir(), "roster.csv", "工号,姓名,入职日期\nE1,甲,2025-01-01\n"),
        ImportKind::Roster,
        false,
    )
    .await;
    let t = import_one(
        &db.store,
        &write(
            db.dir(),
            "targets.csv",
            "工号,月份,目标金额\nE1,2025-03,\"¥80,000\"\nE9,2025-03,1\nE1,2025-13,5\n",
        ),
        ImportKind::Target,
        false,
    )
    .await;
    let probs: Vec<String> = t.files[0].issues.iter().map(|i| i.render(Lang::En)).collect();
    assert_eq!(
        probs,
        vec![
            "targets.csv:3:1: 工号 \"E9\" is not on the roster; import the roster first",
            "targets.csv:4:2: 月份 \"2025-13\" is not a month (e.g. 2026-03)",
        ]
    );
    let e = import_one(
        &db.store,
        &write(
            db.dir(),
            "enrollments.csv",
            "工号,课程编号,分配日期\nE1,C9,2025-03-01\n",
        ),
        ImportKind::Enrollment,
        false,
    )
    .await;
    assert!(matches!(&e.files[0].issues[0].problem, Problem::UnknownCourse { value } if value == "C9"));
    let a = import_one(
        &db.store,
        &write(db.dir(), "appraisals.csv", "工号,期间,绩效得分\nE1,2025-Q5,3\n"),
        ImportKind::Appraisal,
        false,
    )
    .await;
    assert!(matches!(&a.files[0].issues[0].problem, Problem::BadPeriod { .. }));
}

#[tokio::test]
async fn a_task_export_imported_as_leads_is_caught_by_its_ids() {
    let db = test_db().await;
    import_one(
        &db.store,
        &write(db.dir(), "User.csv", "Id,Name\n005000000000001,张三\n"),
        ImportKind::User,
        false,
    )
    .await;
    let tasks = write(
        db.dir(),
        "Task.csv",
        "Id,OwnerId,WhoId,Status,CreatedDate\n00T000000000001,005000000000001,00Q000000000001,Completed,2026-03-01T09:00:00Z\n",
    );
    let r = import_one(&db.store, &tasks, ImportKind::Lead, false).await;
    assert!(!r.committed);
    assert_eq!(
        r.files[0].issues[0].render(Lang::En),
        "Task.csv:2:1: id 00T000000000001 is a Salesforce Task id, not a Lead id; is this the right kind of file?"
    );
    // Ids that are not Salesforce ids are not judged (exports from other systems).
    let other = write(
        db.dir(),
        "leads2.csv",
        "Id,OwnerId,CreatedDate\nL-1,005000000000001,2026-03-01\n",
    );
    assert!(import_one(&db.store, &other, ImportKind::Lead, false).await.committed);
}

/// Department paths that cannot be departments are refused where they stand (file, line, column),
/// and nothing of the file is written: no name, `..` levels, 2,000 levels, an overlong name.
#[tokio::test]
async fn impossible_department_paths_are_refused_by_line() {
    let db = test_db().await;
    let deep = "部/".repeat(2000);
    let long = "部".repeat(65);
    let text = format!(
        "工号,姓名,部门,入职日期\nE1,甲,销售中心/一部,2024-01-01\nE2,乙,///,2024-01-01\nE3,丙,../../etc/passwd,2024-01-01\nE4,丁,{deep},2024-01-01\nE5,戊,{long},2024-01-01\n"
    );
    let p = db.dir().join("roster.csv");
    std::fs::write(&p, text).unwrap();
    let r = import_one(&db.store, &p, ImportKind::Roster, false).await;
    assert!(!r.committed);
    let lines: Vec<String> = r.issue_lines(Lang::Zh);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0].starts_with("roster.csv:3:3:") && lines[0].contains("没有部门名称"),
        "{lines:?}"
    );
    assert!(lines[1].contains("「.」或「..」"), "{lines:?}");
    assert!(lines[2].contains("层级超过 12 级") && lines[2].len() < 300, "{lines:?}");
    assert!(lines[3].contains("超过 64 个字符"), "{lines:?}");
    assert!(db.store.employee_keys().await.unwrap().is_empty());
    assert!(db.store.departments().await.unwrap().is_empty());
}

/// Ids are compared as people read them: a zero-width space or full-width digits do not make a
/// second employee, and an id too long to be one is refused where it stands.
#[tokio::test]
async fn look_alike_ids_are_one_id_and_overlong_ids_are_refused() {
    let db = test_db().await;
    let p = db.dir().join("roster.csv");
    std::fs::write(&p, "工号,姓名,部门,入职日期\nE1002,甲,一部,2024-01-01\n").unwrap();
    assert!(import_one(&db.store, &p, ImportKind::Roster, false).await.committed);
    // The same person again, once with a zero-width space and once in full-width characters.
    std::fs::write(&p, "工号,姓名,部门,入职日期\nE1002\u{200B},甲,二部,2024-01-01\n").unwrap();
    assert!(import_one(&db.store, &p, ImportKind::Roster, false).await.committed);
    let targets = db.dir().join("targets.csv");
    std::fs::write(&targets, "工号,月份,目标金额\nＥ１００２,2024-03,100000\n").unwrap();
    let r = import_one(&db.store, &targets, ImportKind::Target, false).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    let keys = db.store.employee_keys().await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].employee_no, "E1002");

    let long = "E".repeat(100);
    std::fs::write(&p, format!("工号,姓名,部门,入职日期\n{long},乙,一部,2024-01-01\n")).unwrap();
    let r = import_one(&db.store, &p, ImportKind::Roster, false).await;
    assert!(!r.committed);
    let lines = r.issue_lines(Lang::Zh);
    assert!(
        lines[0].starts_with("roster.csv:2:1:") && lines[0].contains("超过 64 个字符"),
        "{lines:?}"
    );
    assert_eq!(db.store.employee_keys().await.unwrap().len(), 1);
}
