//! Commissions at once: an imported won deal moves the open draft and tells the rep; one deal
//! recomputes only its people, exactly as a whole run would; the statement's next band; the
//! estimator agrees with what the run then pays.
// Amounts in fen are written yuan_fen: 10_000_00 is ¥10,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::Path;

use uplift_app::commission;
use uplift_domain::Lang;
use uplift_domain::records::ImportKind;
use uplift_store::Store;
use uplift_testkit::test_db;

use crate::commission::{PLAN, company, payroll, plan_naming, rep, setup};
use crate::support::import_one;

fn inbox_titles(rows: &[uplift_store::NotificationRow]) -> Vec<String> {
    rows.iter()
        .filter(|n| n.kind == "commission.won")
        .map(|n| n.title.clone())
        .collect()
}

async fn import_deals(store: &Store, dir: &Path, rows: &str) -> uplift_app::import::ImportReport {
    let path = dir.join("Opportunity-new.csv");
    std::fs::write(
        &path,
        format!("Id,OwnerId,Name,Amount,StageName,IsClosed,IsWon,CloseDate,CreatedDate,Type\n{rows}\n"),
    )
    .unwrap();
    let r = import_one(store, &path, ImportKind::Opportunity, false).await;
    assert!(r.committed, "{:?}", r.issue_lines(Lang::En));
    r
}

#[tokio::test]
async fn an_imported_won_deal_moves_the_draft_and_tells_the_rep_once() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();

    // E1 sits at 240,000 of 200,000 (6,080.00): another 10,000 Renewal pays 10,000 × 3% × 1.4.
    let r = import_deals(
        store,
        dir.path(),
        "O9,U1,壬,10000,Closed Won,true,true,2026-08-25,2026-07-01T00:00:00Z,Renewal",
    )
    .await;
    assert_eq!(r.commission_error, None);
    let moved: Vec<(&str, i64, i64, usize, usize)> = r
        .commission_moved
        .iter()
        .map(|m| {
            (
                m.employee_no.as_str(),
                m.credited_added_fen,
                m.payable_added_fen,
                m.rank,
                m.of,
            )
        })
        .collect();
    // M1's override rises too (+40), but M1 was credited nothing: only E1 hears of it.
    assert_eq!(moved, [("E1", 10_000_00, 420_00, 1, 3)]);
    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    let payable: Vec<(&str, i64)> = s.rows.iter().map(|r| (r.employee_no.as_str(), r.payable_fen)).collect();
    assert_eq!(payable, [("E1", 6_500_00), ("E2", 1_500_00), ("M1", 1_200_00)]);
    assert_eq!(s.status.as_deref(), Some("draft"));

    let inbox = store.inbox("E1", 50).await.unwrap();
    assert_eq!(
        inbox_titles(&inbox),
        ["签单 ¥10,000.00，本月提成 +¥420.00，目前第 1 名"]
    );
    assert_eq!(inbox[0].link.as_deref(), Some("/commission?period=2026-08"));

    // The update is what a whole run writes.
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let rerun = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(rerun.rows, s.rows);

    // The same file again changes nothing and says nothing.
    let again = import_deals(
        store,
        dir.path(),
        "O9,U1,壬,10000,Closed Won,true,true,2026-08-25,2026-07-01T00:00:00Z,Renewal",
    )
    .await;
    assert!(again.commission_moved.is_empty(), "{:?}", again.commission_moved);
    assert_eq!(inbox_titles(&store.inbox("E1", 50).await.unwrap()).len(), 1);

    // A locked period is never touched: the deal's later change waits for an adjustment.
    commission::lock(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let after_lock = import_deals(
        store,
        dir.path(),
        "O9,U1,壬,20000,Closed Won,true,true,2026-08-25,2026-07-01T00:00:00Z,Renewal",
    )
    .await;
    assert!(after_lock.commission_moved.is_empty());
    let locked = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(locked.rows, s.rows);
}

#[tokio::test]
async fn one_won_deal_recomputes_its_people_exactly_as_a_whole_run() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    // O7 belongs to X1 (outside 销售中心, nobody's report) and is shared half with E1: E1's
    // update must find it by the split owner, not by the owner.
    let splits = dir.path().join("OpportunitySplit.csv");
    std::fs::write(&splits, "商机ID,分成人,分成比例\nO7,U9,50%\nO7,U1,50%\n").unwrap();
    assert!(
        import_one(store, &splits, ImportKind::OpportunitySplit, false)
            .await
            .committed
    );
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    let whole = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    let lines = commission::statement_lines(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();

    // E1's and M1's statements taken out of the draft: only `after_deals` can put them back.
    store
        .replace_commission_people("2026-08", &["E1".to_string(), "M1".to_string()], &[], &[])
        .await
        .unwrap()
        .unwrap();
    let moved = commission::after_deals(store, &["O3".to_string()]).await.unwrap();
    assert_eq!(moved.iter().map(|m| m.employee_no.as_str()).collect::<Vec<_>>(), ["E1"]);
    // E1 (the owner) and M1 (the manager, whose override reads E2's deals too) are as a whole
    // run computes them; E2 was not recomputed and did not change.
    let repaired = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(repaired.rows, whole.rows);
    let e1 = repaired.rows.iter().find(|r| r.employee_no == "E1").unwrap();
    assert_eq!(e1.credited_fen, 255_000_00, "240,000 own and half of O7's 30,000");
    let repaired_lines = commission::statement_lines(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(repaired_lines, lines);
    // A deal nobody is linked to changes nothing.
    assert!(
        commission::after_deals(store, &["O8".to_string()])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_statement_shows_the_next_band_and_the_estimate_is_what_the_run_pays() {
    let db = test_db().await;
    let store = &db.store;
    // The current month in the company's zone (Asia/Shanghai), since the estimator looks at now.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let month = today.format("%Y-%m").to_string();
    let first = format!("{month}-01");
    let dir = tempfile::tempdir().unwrap();
    let open_o3 = format!("O3,U1,丙,70000,Negotiation,false,false,{today},2026-07-01T00:00:00Z,Renewal");
    company(dir.path(), &open_o3);
    // The worked example moved into this month: O1 and O2 won on the 1st, O3 still open.
    let opps = std::fs::read_to_string(dir.path().join("Opportunity.csv"))
        .unwrap()
        .replace("2026-08-03", &first)
        .replace("2026-08-10", &first);
    std::fs::write(dir.path().join("Opportunity.csv"), opps).unwrap();
    std::fs::write(
        dir.path().join("targets.csv"),
        format!("工号,月份,目标金额\nE1,{month},200000\n"),
    )
    .unwrap();
    crate::support::import_dir(store, dir.path()).await;
    // A plan without an end, so the test holds in any year.
    let plan = PLAN
        .replace("effective_from = \"2026-01-01\"", "effective_from = \"2020-01-01\"")
        .replace("effective_to = \"2026-12-31\"\n", "");
    commission::import_plan(store, &payroll(), "plan.toml", &plan, Lang::Zh)
        .await
        .unwrap();
    commission::run(store, &payroll(), &month, Lang::Zh).await.unwrap();

    let st = commission::person_statement(store, &rep("E1"), &month, "E1", Lang::Zh)
        .await
        .unwrap();
    let row = st.statement.as_ref().unwrap();
    assert_eq!((row.credited_fen, row.payable_fen), (170_000_00, 3_500_00));
    assert_eq!(st.standing.as_deref(), Some("达成率 85%，处于 50%–100% 档"));
    assert_eq!(
        st.next_tier.as_deref(),
        Some("再签 ¥30,000.00 进入加速档（≥100%，×1.4）")
    );
    assert_eq!(st.year_to_date_fen, 3_500_00);
    assert_eq!(st.lines.len(), 2);
    // A rep reads no one else's statement.
    assert!(matches!(
        commission::person_statement(store, &rep("E1"), &month, "E2", Lang::Zh).await,
        Err(uplift_app::AppError::Forbidden)
    ));
    let workbook = commission::statement_xlsx(&st, Lang::Zh).unwrap();
    assert_eq!(&workbook[..2], b"PK");

    // The estimator: O3 as won today pays 30,000 × 3% + 40,000 × 3% × 1.4 = 2,580.
    let est = commission::estimates(store, &rep("E1"), "E1", Lang::Zh).await.unwrap();
    assert_eq!(est.len(), 1);
    assert_eq!((est[0].opportunity_id.as_str(), est[0].added_fen), ("O3", 2_580_00));
    assert_eq!(
        est[0].text,
        "赢下此单：+¥2,580.00，达成率升至 120%，进入加速档（≥100%，×1.4）"
    );
    assert!(matches!(
        commission::estimates(store, &rep("E1"), "E2", Lang::Zh).await,
        Err(uplift_app::AppError::Forbidden)
    ));

    // Won today: the draft moves by exactly the estimate.
    let r = import_deals(
        store,
        dir.path(),
        &format!("O3,U1,丙,70000,Closed Won,true,true,{today},2026-07-01T00:00:00Z,Renewal"),
    )
    .await;
    assert_eq!(r.commission_moved.len(), 1);
    assert_eq!(r.commission_moved[0].payable_added_fen, 2_580_00);
    let after = commission::person_statement(store, &rep("E1"), &month, "E1", Lang::Zh)
        .await
        .unwrap();
    assert_eq!(after.statement.unwrap().payable_fen, 6_080_00);
    assert_eq!(after.next_tier, None);
    assert!(
        commission::estimates(store, &rep("E1"), "E1", Lang::Zh)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_import_opens_this_months_draft_when_none_exists() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let month = today.format("%Y-%m").to_string();
    let plan = PLAN
        .replace("id = \"sales-2026\"", "id = \"open-ended\"")
        .replace("effective_from = \"2026-01-01\"", "effective_from = \"2020-01-01\"")
        .replace("effective_to = \"2026-12-31\"\n", "")
        .replace("departments = [\"销售中心\"]", "departments = []\nemployees = [\"E2\"]")
        .replace("employees = []\n", "");
    commission::import_plan(store, &payroll(), "plan.toml", &plan, Lang::Zh)
        .await
        .unwrap();
    assert!(store.commission_period(&month).await.unwrap().is_none());
    let r = import_deals(
        store,
        dir.path(),
        &format!("O10,U2,癸,40000,Closed Won,true,true,{today},2026-07-01T00:00:00Z,Renewal"),
    )
    .await;
    // No target this month: 40,000 × 3%, in a draft the import created.
    assert_eq!(r.commission_moved.len(), 1, "{:?}", r.commission_moved);
    assert_eq!(
        (
            r.commission_moved[0].employee_no.as_str(),
            r.commission_moved[0].payable_added_fen
        ),
        ("E2", 1_200_00)
    );
    let period = store.commission_period(&month).await.unwrap().unwrap();
    assert_eq!(
        (period.status.as_str(), period.run_by.as_str()),
        ("draft", "system:commission")
    );
}

#[tokio::test]
async fn payments_pay_collected_plans_by_payment_date_and_share() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    // E2 is paid on payments; E1 stays on the signed plan.
    let collected = plan_naming("collected", "E2").replacen("basis = \"signed\"", "basis = \"collected\"", 1);
    commission::import_plan(store, &payroll(), "c.toml", &collected, Lang::Zh)
        .await
        .unwrap();
    // O4 (E2's 50,000) is shared 60/40 with E1.
    let splits = dir.path().join("OpportunitySplit.csv");
    std::fs::write(&splits, "商机ID,分成人,分成比例\nO4,U2,60%\nO4,U1,40%\n").unwrap();
    assert!(
        import_one(store, &splits, ImportKind::OpportunitySplit, false)
            .await
            .committed
    );

    // A payment on a deal never imported is refused at its cell, and nothing is written.
    let payments = dir.path().join("回款记录.csv");
    std::fs::write(
        &payments,
        "回款编号,商机ID,回款日期,回款金额\nP1,O4,2026-08-20,20000\nP9,O404,2026-08-21,1000\n",
    )
    .unwrap();
    let r = import_one(store, &payments, ImportKind::Payment, false).await;
    assert!(!r.committed);
    assert_eq!(
        r.issue_lines(Lang::Zh),
        ["回款记录.csv:3:2: 商机ID「O404」不是已导入的商机，请先导入 Opportunity"]
    );

    // Two payments on O4, in August and September; one on E1's O1 (E1's plan is not collected).
    std::fs::write(
        &payments,
        "回款编号,商机ID,回款日期,回款金额\nP1,O4,2026-08-20,20000\nP2,O4,2026-09-05,30000\nP3,O1,2026-08-21,10000\n",
    )
    .unwrap();
    assert!(import_one(store, &payments, ImportKind::Payment, false).await.committed);
    let r = commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    assert_eq!(r.payments, 2);
    let lines = commission::statement_lines(store, &payroll(), "2026-08", Some("E2"), Lang::Zh)
        .await
        .unwrap();
    // 60% of the August payment, no target: 12,000 × 3% = 360.
    let got: Vec<(&str, Option<&str>, i64, i64)> = lines
        .iter()
        .map(|l| {
            (
                l.row.kind.as_str(),
                l.row.opportunity_id.as_deref(),
                l.row.credited_fen,
                l.row.pay_fen,
            )
        })
        .collect();
    assert_eq!(got, [("payment", Some("O4"), 12_000_00, 360_00)]);
    let s = commission::statements(store, &payroll(), "2026-08", None, Lang::En)
        .await
        .unwrap();
    // E1 is still paid on signed deals, payments aside: the worked example plus 40% of O4
    // (20,000 × 3% × 1.4 = 840); M1's signed override is on the reports' signed credit.
    assert_eq!(
        s.rows
            .iter()
            .map(|r| (r.employee_no.as_str(), r.payable_fen))
            .collect::<Vec<_>>(),
        [("E1", 6_920_00), ("E2", 360_00), ("M1", 1_160_00)]
    );

    // A further August payment moves the open draft at once, and E2 hears of it as a payment.
    std::fs::write(&payments, "回款编号,商机ID,回款日期,回款金额\nP4,O4,2026-08-25,10000\n").unwrap();
    let r = import_one(store, &payments, ImportKind::Payment, false).await;
    assert_eq!(r.commission_error, None);
    let e2: Vec<_> = r.commission_moved.iter().filter(|m| m.employee_no == "E2").collect();
    assert_eq!(e2.len(), 1, "{:?}", r.commission_moved);
    assert_eq!((e2[0].credited_added_fen, e2[0].payable_added_fen), (6_000_00, 180_00));
    let inbox = store.inbox("E2", 10).await.unwrap();
    assert!(
        inbox_titles(&inbox)
            .iter()
            .any(|t| t.starts_with("回款 ¥6,000.00，本月提成 +¥180.00")),
        "{:?}",
        inbox_titles(&inbox)
    );
    // The same payment again: updated in place (its stored month read back), nothing moves.
    let again = import_one(store, &payments, ImportKind::Payment, false).await;
    assert!(
        again.committed && again.files[0].updated == 1,
        "{:?}",
        again.issue_lines(Lang::En)
    );
    assert!(again.commission_moved.is_empty());
    // September: 60% of 30,000.
    commission::run(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    let sep = commission::statements(store, &payroll(), "2026-09", Some("E2"), Lang::En)
        .await
        .unwrap();
    assert_eq!(sep.rows[0].credited_fen, 18_000_00);
}

#[tokio::test]
async fn a_locked_period_is_corrected_by_adjustments_inside_the_clawback_window() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    commission::lock(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();

    // O3 (70,000, credited as closed 2026-08-20) is lost after the lock; the CRM moves its close
    // date to the day of the loss. The window is judged from the credited date: September's last
    // day is 41 days later, inside the plan's 90 days, so the deal is clawed back in September.
    import_deals(
        store,
        dir.path(),
        "O3,U1,丙,70000,Closed Lost,true,false,2026-12-01,2026-07-01T00:00:00Z,Renewal",
    )
    .await;
    let r = commission::run(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    assert_eq!(r.adjusted_people, 2);
    let sep = commission::statements(store, &payroll(), "2026-09", None, Lang::En)
        .await
        .unwrap();
    let row = |s: &commission::Statements, no: &str| {
        let r = s.rows.iter().find(|r| r.employee_no == no).unwrap();
        (r.commission_fen, r.adjustments_fen, r.payable_fen)
    };
    // E1: September's O6 (11,111 × 3%, no target) and 3,500 − 6,080 for August.
    assert_eq!(row(&sep, "E1"), (333_33, -2_580_00, -2_246_67));
    // M1: the override on 220,000 instead of 290,000 (880 − 1,160), and September's own.
    assert_eq!(row(&sep, "M1").1, -280_00);
    let lines = commission::statement_lines(store, &payroll(), "2026-09", Some("E1"), Lang::Zh)
        .await
        .unwrap();
    let adj = lines.iter().find(|l| l.row.kind == "adjustment").unwrap();
    assert_eq!(adj.row.adjusts_period.as_deref(), Some("2026-08"));
    assert_eq!(adj.explanation, "2026-08 更正（变动商机：O3）：-¥2,580.00");
    // The locked period itself is untouched.
    let aug = commission::statements(store, &payroll(), "2026-08", Some("E1"), Lang::En)
        .await
        .unwrap();
    assert_eq!(aug.rows[0].payable_fen, 6_080_00);
    // A re-run of the draft carries the same adjustment once, not twice.
    commission::run(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    let again = commission::statements(store, &payroll(), "2026-09", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(again.rows, sep.rows);
    // The one-deal update of E1's September deal (E1 and M1 recomputed) carries the same.
    commission::after_deals(store, &["O6".to_string()]).await.unwrap();
    let narrowed = commission::statements(store, &payroll(), "2026-09", None, Lang::En)
        .await
        .unwrap();
    assert_eq!(narrowed.rows, sep.rows);

    // Once September is locked, October owes nothing more for August: the correction was carried.
    commission::lock(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    let r = commission::run(store, &payroll(), "2026-10", Lang::Zh).await.unwrap();
    assert_eq!(r.adjusted_people, 0);

    // The contract, followed exactly: recomputed from a period whose last day is more than 90 days
    // after the credited close (2026-08-20; the CRM's 2026-12-01 would be inside), the lost deal
    // "still counts as won" again, which pays the clawback back (docs/commissions.md flags this).
    let r = commission::run(store, &payroll(), "2027-01", Lang::Zh).await.unwrap();
    assert_eq!(r.adjusted_people, 2);
    let jan = commission::statements(store, &payroll(), "2027-01", Some("E1"), Lang::En)
        .await
        .unwrap();
    assert_eq!(jan.rows[0].adjustments_fen, 2_580_00);
}

#[tokio::test]
async fn a_transfer_after_the_lock_does_not_reprice_the_locked_period() {
    let db = test_db().await;
    let store = &db.store;
    let dir = setup(store).await;
    commission::run(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    commission::lock(store, &payroll(), "2026-08", Lang::Zh).await.unwrap();
    // E2 moves to 市场部, which no plan covers: August stays priced under the plan it was locked
    // with (no clawback of E2's 1,500), and September pays E2 nothing new.
    let roster = dir.path().join("roster-moved.csv");
    std::fs::write(
        &roster,
        "工号,姓名,部门,岗位,入职日期,直属上级工号\nE2,张二,市场部,市场专员,2022-01-01,M1\n",
    )
    .unwrap();
    assert!(import_one(store, &roster, ImportKind::Roster, false).await.committed);
    let r = commission::run(store, &payroll(), "2026-09", Lang::Zh).await.unwrap();
    assert_eq!(r.adjusted_people, 0);
    let sep = commission::statements(store, &payroll(), "2026-09", None, Lang::En)
        .await
        .unwrap();
    assert!(
        sep.rows.iter().all(|s| s.employee_no != "E2" && s.adjustments_fen == 0),
        "{:?}",
        sep.rows
    );
}
