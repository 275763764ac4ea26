//! Commissions end to end on a real database: the contract's worked example imported as CSV files,
//! the override from the roster's managers, plan errors, plan ties, the lock, re-runs and scope.

use std::path::Path;

use uplift_app::AppError;
use uplift_app::access::Principal;
use uplift_app::commission::{self, STATEMENT_COLUMNS};
use uplift_domain::Lang;
use uplift_domain::access::{Role, Scope};
use uplift_store::{AuditQuery, Store};
use uplift_testkit::test_db;

use uplift_domain::records::ImportKind;

use crate::support::{import_dir, import_one};

pub(crate) const PLAN: &str = include_str!("../../../examples/commission/sales-2026.toml");

pub(crate) fn payroll() -> Principal {
    Principal {
        actor: "pay".into(),
        role: Role::Payroll,
        employee_no: None,
        scope: Scope::All,
    }
}

pub(crate) fn rep(no: &str) -> Principal {
    Principal {
        actor: format!("rep-{no}"),
        role: Role::Employee,
        employee_no: Some(no.into()),
        scope: Scope::Employees(vec![no.into()]),
    }
}

/// M1 leads 销售中心/华东 with E1 and E2 reporting to them; X1 works outside 销售中心. E1 has the
/// contract's worked example in 2026-08 (target 200,000; 80,000 Renewal, 90,000 New Customer,
/// 70,000 Renewal); E2 one 50,000 deal and no target; X1 a deal no plan pays; an owner linked to
/// no one a deal nobody is credited.
/// The example plan under another id, naming one person instead of 销售中心.
pub(crate) fn plan_naming(id: &str, employee_no: &str) -> String {
    PLAN.replacen("id = \"sales-2026\"", &format!("id = \"{id}\""), 1)
        .replacen("employees = []", &format!("employees = [\"{employee_no}\"]"), 1)
        .replacen("departments = [\"销售中心\"]", "departments = []", 1)
}

pub(crate) fn company(dir: &Path, e1_third_deal: &str) {
    std::fs::write(
        dir.join("roster.csv"),
        "工号,姓名,部门,岗位,入职日期,直属上级工号\n\
         M1,王经理,销售中心/华东,销售经理,2020-01-01,\n\
         E1,李一,销售中心/华东,销售代表,2021-01-01,M1\n\
         E2,张二,销售中心/华东,销售代表,2022-01-01,M1\n\
         X1,赵五,市场部,市场专员,2022-01-01,\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("User.csv"),
        "Id,Name,Email,IsActive\nU1,李一,,true\nU2,张二,,true\nU9,赵五,,true\nU0,外包,,true\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Opportunity.csv"),
        format!(
            "Id,OwnerId,Name,Amount,StageName,IsClosed,IsWon,CloseDate,CreatedDate,Type\n\
             O1,U1,甲,80000,Closed Won,true,true,2026-08-03,2026-07-01T00:00:00Z,Renewal\n\
             O2,U1,乙,90000,Closed Won,true,true,2026-08-10,2026-07-01T00:00:00Z,New Customer\n\
             {e1_third_deal}\n\
             O4,U2,丁,50000,Closed Won,true,true,2026-08-12,2026-07-01T00:00:00Z,Renewal\n\
             O5,U2,戊,99999,Closed Lost,true,false,2026-08-12,2026-07-01T00:00:00Z,Renewal\n\
             O6,U1,己,11111,Closed Won,true,true,2026-09-01,2026-07-01T00:00:00Z,Renewal\n\
             O7,U9,庚,30000,Closed Won,true,true,2026-08-15,2026-07-01T00:00:00Z,Renewal\n\
             O8,U0,辛,40000,Closed Won,true,true,2026-08-15,2026-07-01T00:00:00Z,Renewal\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("targets.csv"),
        "工号,月份,目标金额\nE1,2026-08,200000\nM1,2026-08,0\n",
    )
    .unwrap();
}

pub(crate) const O3: &str = "O3,U1,丙,70000,Closed Won,true,true,2026-08-20,2026-07-01T00:00:00Z,Renewal";

pub(crate) async fn setup(store: &Store) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    company(dir.path(), O3);
    let r = import_dir(store, dir.path()).await;
    assert!(r.files.iter().all(|f| f.rejected == 0), "{r:?}");
    // The owners are linked by name; U0 (外包) matches no one.
    commission::import_plan(store, &payroll(), "sales-2026.toml", PLAN, Lang::Zh)
        .await
        .unwrap();
    dir
}

fn row(s: &commission::Statements, no: &str) -> Vec<String> {
    let table = s.table();
    let i = s
        .rows
        .iter()
        .position(|r| r.employee_no == no)
        .unwrap_or_else(|| panic!("{no}"));
    table[i].clone()
}

#[tokio::test]
async fn the_worked_example_runs_locks_and_exports() {
    let db = test_db().await;
    let store = &db.store;
    let _dir = setup(store).await;

    let r = commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    // M1, E1, E2 under 销售中心; X1 has no plan (O7); O8's owner is linked to no one.
    assert_eq!(
        (r.people, r.deals, r.deals_without_plan, r.unlinked_deals),
        (3, 6, 1, 1)
    );

    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(s.status.as_deref(), Some("draft"));
    assert_eq!(s.rows.len(), 3);
    // The contract: 6,080.00 at attainment 1.2.
    assert_eq!(
        row(&s, "E1"),
        [
            "E1",
            "2026-08",
            "sales-2026",
            "240000.00",
            "200000.00",
            "1.2",
            "6080.00",
            "0.00",
            "6080.00",
            "draft"
        ]
    );
    // No target: multiplier 1, 50,000 × 3%.
    assert_eq!(row(&s, "E2")[3..9], ["50000.00", "", "", "1500.00", "0.00", "1500.00"]);
    // The override: 0.4% of the direct reports' 290,000 (a target of 0 is no target).
    assert_eq!(row(&s, "M1")[3..9], ["0.00", "", "", "1160.00", "0.00", "1160.00"]);

    let lines = commission::statement_lines(store, &payroll(), "2026-08", Some("E1"), Lang::Zh)
        .await
        .unwrap();
    let pays: Vec<(&str, i64)> = lines
        .iter()
        .map(|l| (l.row.opportunity_id.as_deref().unwrap(), l.row.pay_fen))
        .collect();
    assert_eq!(pays, [("O1", 0), ("O2", 350_000), ("O3", 258_000)]);
    assert!(
        lines[2].explanation.contains("× 1.4［≥100%档］"),
        "{}",
        lines[2].explanation
    );

    // The export formats carry the contract's columns.
    let csv = commission::csv(&STATEMENT_COLUMNS, &s.table()).unwrap();
    assert!(csv.starts_with(
        "employee_no,period,plan_id,credited_amount,target_amount,attainment,commission,adjustments,payable,status\n"
    ));
    let json = commission::json(&STATEMENT_COLUMNS, &s.table());
    assert_eq!(json[0]["payable"], "6080.00");
    let xlsx = s.xlsx().unwrap();
    assert_eq!(&xlsx[..2], b"PK");

    // Re-running without data changes writes the same statements and lines.
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let again = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(again.rows, s.rows);
    let lines_again = commission::statement_lines(store, &payroll(), "2026-08", Some("E1"), Lang::Zh)
        .await
        .unwrap();
    assert_eq!(lines_again, lines);

    // Lock: audited; the period is then never rewritten, even when the data change.
    commission::lock(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    company(dir2.path(), &O3.replace("70000", "170000"));
    import_dir(store, dir2.path()).await;
    let e = commission::run(store, &payroll(), "2026-08", Lang::Zh)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    assert!(e.render(Lang::Zh).contains("已锁定"), "{}", e.render(Lang::Zh));
    let locked = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(locked.status.as_deref(), Some("locked"));
    assert_eq!(
        locked.rows.iter().map(|r| r.payable_fen).collect::<Vec<_>>(),
        s.rows.iter().map(|r| r.payable_fen).collect::<Vec<_>>()
    );
    assert!(matches!(
        commission::lock(store, &payroll(), "2026-08", Lang::Zh).await,
        Err(AppError::Conflict(_))
    ));
    let audited = store
        .audit(&AuditQuery {
            action: Some("commission".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audited.iter().map(|a| a.action.as_str()).collect();
    assert!(
        actions.contains(&"commission.lock") && actions.contains(&"commission.run"),
        "{actions:?}"
    );
    assert!(actions.contains(&"commission.plan.import"), "{actions:?}");

    // A period never run cannot be locked.
    let e = commission::lock(store, &payroll(), "2026-07", Lang::En)
        .await
        .unwrap_err();
    assert!(e.render(Lang::En).contains("run first"), "{}", e.render(Lang::En));
}

#[tokio::test]
async fn reps_see_their_own_statement_and_only_payroll_runs() {
    let db = test_db().await;
    let store = &db.store;
    let _dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();

    let mine = commission::statements(store, &rep("E2"), "2026-08", None, Lang::Zh)
        .await
        .unwrap();
    assert_eq!(
        mine.rows.iter().map(|r| r.employee_no.as_str()).collect::<Vec<_>>(),
        ["E2"]
    );
    // Someone else's statement or lines: refused, not an empty answer.
    let theirs = commission::statements(store, &rep("E2"), "2026-08", Some("E1"), Lang::Zh).await;
    assert!(matches!(theirs, Err(AppError::Forbidden)), "{theirs:?}");
    let theirs = commission::statement_lines(store, &rep("E2"), "2026-08", Some("E1"), Lang::Zh).await;
    assert!(matches!(theirs, Err(AppError::Forbidden)), "{theirs:?}");
    let lines = commission::statement_lines(store, &rep("E2"), "2026-08", None, Lang::Zh)
        .await
        .unwrap();
    assert!(lines.iter().all(|l| l.row.employee_no == "E2") && !lines.is_empty());

    for (role, may_run, may_lock) in [
        (Role::Employee, false, false),
        (Role::Manager, false, false),
        (Role::Director, false, false),
        (Role::Hr, true, false),
    ] {
        let p = Principal { role, ..rep("E1") };
        let ran = commission::run(store, &p, "2026-08", Lang::Zh).await;
        assert_eq!(!matches!(ran, Err(AppError::Forbidden)), may_run, "{role:?} run");
        let locked = commission::lock(store, &p, "2026-08", Lang::Zh).await;
        assert_eq!(!matches!(locked, Err(AppError::Forbidden)), may_lock, "{role:?} lock");
        let imported = commission::import_plan(store, &p, "p.toml", PLAN, Lang::Zh).await;
        assert_eq!(
            !matches!(imported, Err(AppError::Forbidden)),
            may_run,
            "{role:?} import"
        );
    }
}

#[tokio::test]
async fn bad_plans_and_plan_ties_change_nothing() {
    let db = test_db().await;
    let store = &db.store;
    let _dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let before = commission::statements(store, &payroll(), "2026-08", None, Lang::Zh)
        .await
        .unwrap();

    // Overlapping tiers: refused with the file, the line and the field; nothing saved.
    let overlapping = PLAN.replacen("from = 0.5\nto = 1.0", "from = 0.4\nto = 1.0", 1);
    let line = overlapping.lines().position(|l| l == "from = 0.4").unwrap() + 1;
    let e = commission::import_plan(store, &payroll(), "new.toml", &overlapping, Lang::Zh)
        .await
        .unwrap_err();
    assert_eq!(
        e.render(Lang::Zh),
        format!("new.toml: 第 {line} 行，tiers[2].from：与第 1 档重叠（第 1 档到 0.5 为止）")
    );
    assert_eq!(commission::plans(store, &payroll()).await.unwrap().len(), 1);

    // A second plan as specific as the first for the same people: the run names them and the
    // draft stays as it was.
    let twin = PLAN.replacen("id = \"sales-2026\"", "id = \"twin\"", 1);
    commission::import_plan(store, &payroll(), "twin.toml", &twin, Lang::Zh)
        .await
        .unwrap();
    let e = commission::run(store, &payroll(), "2026-08", Lang::En)
        .await
        .unwrap_err();
    let text = e.render(Lang::En);
    assert!(
        text.contains("E1（sales-2026 / twin）") && text.contains("M1"),
        "{text}"
    );
    let after = commission::statements(store, &payroll(), "2026-08", None, Lang::Zh)
        .await
        .unwrap();
    assert_eq!(after.rows, before.rows);

    // A later version of a plan takes over from its effective date; re-importing it replaces it.
    let v2 = PLAN
        .replacen("effective_from = \"2026-01-01\"", "effective_from = \"2026-08-01\"", 1)
        .replacen("default_rate = 0.03", "default_rate = 0.02", 1)
        .replacen("departments = [\"销售中心\"]", "departments = [\"销售中心/华东\"]", 1);
    let r = commission::import_plan(store, &payroll(), "v2.toml", &v2, Lang::Zh)
        .await
        .unwrap();
    assert!(!r.replaced);
    // The twin (销售中心) is now less specific than sales-2026's new version (销售中心/华东).
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::Zh)
        .await
        .unwrap();
    let e2 = s.rows.iter().find(|r| r.employee_no == "E2").unwrap();
    assert_eq!(
        (e2.plan_effective_from.as_str(), e2.commission_fen),
        ("2026-08-01", 100_000)
    );
    let r = commission::import_plan(store, &payroll(), "v2.toml", &v2, Lang::Zh)
        .await
        .unwrap();
    assert!(r.replaced);

    // A bad period is refused by name.
    let e = commission::run(store, &payroll(), "2026-13", Lang::En)
        .await
        .unwrap_err();
    assert!(e.render(Lang::En).contains("YYYY-MM"), "{}", e.render(Lang::En));
}

#[tokio::test]
async fn split_deals_credit_each_share_and_bad_splits_are_refused() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;

    // Shares that do not add up to 100: the file is refused at the deal's first row, in the
    // percentage column, and nothing of it is written.
    let bad = dir.path().join("OpportunitySplit.csv");
    std::fs::write(
        &bad,
        "Id,OpportunityId,SplitOwnerId,SplitPercentage\nS1,O4,U2,60\nS2,O4,U1,40\nS3,O1,U1,50\nS4,O1,U2,40\n",
    )
    .unwrap();
    let r = import_one(store, &bad, ImportKind::OpportunitySplit, false).await;
    assert!(!r.committed);
    let lines = r.issue_lines(Lang::Zh);
    assert!(
        lines
            .iter()
            .any(|l| l == "OpportunitySplit.csv:4:4: 商机 O1 的分成比例合计 90%，应为 100%"),
        "{lines:?}"
    );
    // An unknown split owner is named too.
    std::fs::write(&bad, "OpportunityId,SplitOwnerId,SplitPercentage\nO4,U7,100\n").unwrap();
    let r = import_one(store, &bad, ImportKind::OpportunitySplit, false).await;
    assert!(
        !r.committed && r.issue_lines(Lang::En).iter().any(|l| l.contains("U7")),
        "{:?}",
        r.issue_lines(Lang::En)
    );
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(row(&s, "E1")[6], "6080.00", "no split was written");

    // 60% of O4 (50,000) to its owner E2, 40% to E1 (Chinese headers, a percent sign).
    std::fs::write(&bad, "商机ID,分成人,分成比例\nO4,U2,60%\nO4,U1,40%\n").unwrap();
    let r = import_one(store, &bad, ImportKind::OpportunitySplit, false).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::Zh));
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    // E1: 80,000 → 0; 90,000 → 3,500; O4's 20,000 (170–190k) → 600; 70,000 → 300 + 2,520.
    assert_eq!(row(&s, "E1")[3..7], ["260000.00", "200000.00", "1.3", "6920.00"]);
    assert_eq!(row(&s, "E2")[3..7], ["30000.00", "", "", "900.00"]);
    // The override still sees the whole 290,000 of the direct reports.
    assert_eq!(row(&s, "M1")[6], "1160.00");
    // Re-importing the same splits changes nothing.
    let r = import_one(store, &bad, ImportKind::OpportunitySplit, false).await;
    assert!(
        r.committed && r.files[0].updated == 2 && r.files[0].inserted == 0,
        "{r:?}"
    );

    // A corrected file replaces the deal's shares: no 40% left behind for E1 (which would make 140%).
    std::fs::write(&bad, "商机ID,分成人,分成比例\nO4,U2,100\n").unwrap();
    assert!(
        import_one(store, &bad, ImportKind::OpportunitySplit, false)
            .await
            .committed
    );
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(row(&s, "E1")[6], "6080.00");
    assert_eq!(row(&s, "E2")[3], "50000.00");
}

#[tokio::test]
async fn collected_plans_pay_nothing_until_payments_exist_and_each_person_has_one_plan() {
    let db = test_db().await;
    let store = &db.store;
    let _dir = setup(store).await;
    // E2 named by a collected plan: that plan is E2's only plan, and it credits no won deal.
    let collected = plan_naming("collected", "E2").replacen("basis = \"signed\"", "basis = \"collected\"", 1);
    commission::import_plan(store, &payroll(), "c.toml", &collected, Lang::Zh)
        .await
        .unwrap();
    // M1 named by a quarterly plan: no statement in a month run (not paid under the month plan too).
    let quarterly = plan_naming("quarterly", "M1").replacen("period = \"month\"", "period = \"quarter\"", 1);
    commission::import_plan(store, &payroll(), "q.toml", &quarterly, Lang::Zh)
        .await
        .unwrap();
    let r = commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    assert_eq!(r.people, 2);
    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(
        s.rows.iter().map(|r| r.employee_no.as_str()).collect::<Vec<_>>(),
        ["E1", "E2"]
    );
    assert_eq!(row(&s, "E2")[2..7], ["collected", "0.00", "", "", "0.00"]);
    assert_eq!(row(&s, "E1")[6], "6080.00");
    // The quarter run pays M1 the override on the quarter's credit of the direct reports.
    commission::run(store, &payroll(), "2026-Q3", Lang::Zh).await.unwrap();
    let q = commission::statements(store, &payroll(), "2026-Q3", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(q.rows.len(), 1);
    // 0.4% × (E1: 240,000 + 11,111 in September; E2: 50,000) = 1,204.44.
    assert_eq!(row(&q, "M1")[2..7], ["quarterly", "0.00", "", "", "1204.44"]);
}

#[tokio::test]
async fn a_draft_plan_is_simulated_against_the_plans_in_force_and_nothing_is_saved() {
    let db = test_db().await;
    let store = &db.store;
    let _dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let before = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();

    // The same plan with whole tiering: the contract's 12,600.00 instead of 6,080.00 for E1.
    let whole = PLAN.replacen("tiering = \"marginal\"", "tiering = \"whole\"", 1);
    let sim = commission::simulate(store, &payroll(), "whole.toml", &whole, "2026-08", "2026-09", Lang::Zh)
        .await
        .unwrap();
    // August: E1 6,080 → 12,600, E2 1,500, M1 1,160; September: O6 (11,111 × 3%) and M1's 0.4%.
    assert_eq!(
        sim.periods,
        [
            ("2026-08".to_string(), 874_000, 1_526_000),
            ("2026-09".to_string(), 37_777, 37_777)
        ]
    );
    let e1 = sim.people.iter().find(|p| p.employee_no == "E1").unwrap();
    assert_eq!(
        (e1.credited_fen, e1.current_fen, e1.draft_fen),
        (25_111_100, 641_333, 1_293_333)
    );
    let east = sim.teams.iter().find(|t| t.department == "销售中心/华东").unwrap();
    assert_eq!(
        (east.credited_fen, east.current_fen, east.draft_fen),
        (30_111_100, 911_777, 1_563_777)
    );
    let (now, then) = east.cost_of_sales();
    assert!((now.unwrap() - 911_777.0 / 30_111_100.0).abs() < 1e-12);
    assert!((then.unwrap() - 1_563_777.0 / 30_111_100.0).abs() < 1e-12);
    // Someone with credit and no plan is in the team's contribution, paid nothing either way.
    let market = sim.teams.iter().find(|t| t.department == "市场部").unwrap();
    assert_eq!(
        (market.credited_fen, market.current_fen, market.draft_fen),
        (3_000_000, 0, 0)
    );

    // Nothing saved: the plan list and the statements are as they were.
    assert_eq!(commission::plans(store, &payroll()).await.unwrap().len(), 1);
    let after = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(after.rows, before.rows);
    // A rep may not model plans; a bad draft names its file and line.
    assert!(matches!(
        commission::simulate(store, &rep("E1"), "whole.toml", &whole, "2026-08", "2026-08", Lang::Zh).await,
        Err(AppError::Forbidden)
    ));
    let bad = whole.replacen("default_rate = 0.03", "default_rate = 3", 1);
    let e = commission::simulate(store, &payroll(), "bad.toml", &bad, "2026-08", "2026-08", Lang::En)
        .await
        .unwrap_err();
    assert!(
        e.render(Lang::En).starts_with("bad.toml: line "),
        "{}",
        e.render(Lang::En)
    );
}

#[tokio::test]
async fn payroll_takes_locked_payable_in_the_pay_month_the_setting_names() {
    let db = test_db().await;
    let store = &db.store;
    let _dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    // A draft is never paid.
    assert!(
        commission::payable_for_pay_month(store, &payroll(), "2026-09", Lang::Zh)
            .await
            .unwrap()
            .is_empty()
    );
    commission::lock(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    // Default: the month after.
    assert_eq!(
        commission::pay_month_rule(store).await.unwrap(),
        commission::PayMonth::Next
    );
    let paid = |rows: Vec<commission::PayrollCommission>| -> Vec<(String, i64)> {
        rows.into_iter().map(|r| (r.employee_no, r.payable_fen)).collect()
    };
    let sep = commission::payable_for_pay_month(store, &payroll(), "2026-09", Lang::Zh)
        .await
        .unwrap();
    assert_eq!(
        paid(sep),
        [("E1".into(), 608_000), ("E2".into(), 150_000), ("M1".into(), 116_000)]
    );
    assert!(
        commission::payable_for_pay_month(store, &payroll(), "2026-08", Lang::Zh)
            .await
            .unwrap()
            .is_empty()
    );
    // Same month: August's salary carries August's commission.
    commission::set_pay_month_rule(store, &payroll(), "same", Lang::Zh)
        .await
        .unwrap();
    assert_eq!(
        commission::payable_for_pay_month(store, &payroll(), "2026-08", Lang::Zh)
            .await
            .unwrap()
            .len(),
        3
    );
    // A rep may neither read payroll's list nor change the rule; a bad rule is named.
    assert!(matches!(
        commission::payable_for_pay_month(store, &rep("E1"), "2026-08", Lang::Zh).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        commission::set_pay_month_rule(store, &rep("E1"), "next", Lang::Zh).await,
        Err(AppError::Forbidden)
    ));
    let e = commission::set_pay_month_rule(store, &payroll(), "later", Lang::En)
        .await
        .unwrap_err();
    assert!(e.render(Lang::En).contains("expected same"), "{}", e.render(Lang::En));
}
