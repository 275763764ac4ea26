//! Tests of `cadence`.

#[test]
fn the_rules_read_stage_by_stage() {
    let zh = CadenceRules::default().describe(Lang::Zh);
    assert!(zh.contains("意向客户每 7 天跟进 3 次"), "{zh}");
    assert!(zh.contains("（进入该阶段后 90 天内）"), "{zh}");
    assert_eq!(zh.matches('；').count(), 2, "three stages: {zh}");
    let en = CadenceRules::default().describe(Lang::En);
    assert!(en.contains(": 3 every 7 days") && !en.contains('；'), "{en}");
}

use super::*;

const T0: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC

fn lead(id: &str, emp: i64, created: i64, status: &str, converted: Option<i64>) -> LeadCadenceFacts {
    LeadCadenceFacts {
        id: id.into(),
        employee_id: emp,
        status: Some(status.into()),
        created_ts: created,
        converted_ts: converted,
        last_followup_ts: None,
    }
}

fn months() -> Vec<(i32, i64, i64)> {
    // January and February 2026 in UTC.
    vec![(202601, T0, T0 + 31 * DAY), (202602, T0 + 31 * DAY, T0 + 59 * DAY)]
}

#[test]
fn stages_follow_the_mapping_with_sensible_defaults() {
    let mut rules = CadenceRules::default();
    assert_eq!(rules.lead_stage(Some("Working - Contacted")), Some(Stage::Potential));
    assert_eq!(rules.lead_stage(Some("Closed - Not Converted")), None);
    assert_eq!(rules.lead_stage(Some("无效线索")), None);
    assert_eq!(rules.lead_stage(None), Some(Stage::Potential));
    assert_eq!(rules.opportunity_stage("Negotiation/Review"), Some(Stage::Intent));
    rules.lead_status.insert("Qualified".into(), "意向".into());
    rules.opportunity_stage.insert("Prospecting".into(), "potential".into());
    rules.opportunity_stage.insert("On hold".into(), "none".into());
    assert_eq!(rules.lead_stage(Some("Qualified")), Some(Stage::Intent));
    assert_eq!(rules.opportunity_stage("Prospecting"), Some(Stage::Potential));
    assert_eq!(rules.opportunity_stage("On hold"), None);
}

#[test]
fn rules_round_trip_through_toml_and_bad_values_name_their_key() {
    let mut rules = CadenceRules::default();
    rules.lead_status.insert("Closed - Not Converted".into(), "none".into());
    let text = rules.to_toml();
    assert_eq!(CadenceRules::from_toml(&text, Lang::En).unwrap(), rules);
    let bad = text.replace("follow_ups = 3", "follow_ups = 0");
    let err = CadenceRules::from_toml(&bad, Lang::Zh).unwrap_err().to_string();
    assert!(err.starts_with("intent.follow_ups"), "{err}");
    assert!(err.contains("1 到 31"), "{err}");
    let mut r2 = CadenceRules::default();
    r2.opportunity_stage.insert("Proposal".into(), "hot".into());
    let err = CadenceRules::from_toml(&r2.to_toml(), Lang::En)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("opportunity_stage.\"Proposal\"") && err.contains("\"hot\""),
        "{err}"
    );
    assert!(matches!(
        CadenceRules::from_toml("[potential]\nfollow_ups = 1", Lang::En),
        Err(CadenceError::Syntax(_))
    ));
}

#[test]
fn records_cover_each_stage_of_a_customer() {
    let rules = CadenceRules::default();
    let leads = vec![
        lead("L1", 1, T0, "Working - Contacted", None),
        lead("L2", 1, T0, "Closed - Converted", Some(T0 + 5 * DAY)),
        LeadCadenceFacts {
            last_followup_ts: Some(T0 + 3 * DAY),
            ..lead("L3", 2, T0, "Closed - Not Converted", None)
        },
        lead("L4", 2, T0, "Closed - Not Converted", None), // never touched: no cadence
    ];
    let opps = vec![
        OpportunityCadenceFacts {
            id: "O1".into(),
            employee_id: 1,
            account_id: Some("A1".into()),
            stage_name: "Closed Won".into(),
            state: DealState::Won,
            created_ts: Some(T0 + 5 * DAY),
            close_ts: T0 + 20 * DAY,
        },
        OpportunityCadenceFacts {
            id: "O2".into(),
            employee_id: 2,
            account_id: Some("A1".into()),
            stage_name: "Closed Won".into(),
            state: DealState::Won,
            created_ts: Some(T0 + 30 * DAY),
            close_ts: T0 + 40 * DAY,
        },
    ];
    let r = build_records(&rules, &leads, &opps);
    let find = |id: &str| r.iter().find(|x| x.id == id).unwrap();
    assert_eq!(find("L1").end, None);
    assert_eq!(find("L2").end, Some(T0 + 5 * DAY));
    assert_eq!(find("L3").end, Some(T0 + 3 * DAY + 1), "its last touch still counts");
    assert!(r.iter().all(|x| x.id != "L4"));
    assert_eq!((find("O1").stage, find("O1").end), (Stage::Intent, Some(T0 + 20 * DAY)));
    // Each win is its owner's care until the account's next win.
    let care: Vec<_> = r.iter().filter(|x| x.id == "A1").collect();
    assert_eq!(care.len(), 2);
    assert_eq!(
        (care[0].employee_id, care[0].start, care[0].end),
        (1, T0 + 20 * DAY, Some(T0 + 40 * DAY))
    );
    assert_eq!(
        (care[1].employee_id, care[1].start, care[1].end),
        (2, T0 + 40 * DAY, None)
    );
    assert_eq!(care[1].window_from, T0 + 40 * DAY);
}

#[test]
fn compliance_is_the_share_of_customer_days_not_overdue() {
    let rules = CadenceRules::default();
    // Weekly potential leads. L1 open all January, touched on days 3 and 20: counted from day
    // 7 (its first due day), on time [7, 10) and [20, 27): 10 of 24 days. L2 converted on day
    // 14, touched daily: 7 of 7 days; a touch after the conversion and a follow-up on an
    // unknown lead do not count.
    let leads = vec![
        lead("L1", 1, T0, "Working - Contacted", None),
        lead("L2", 1, T0, "Closed - Converted", Some(T0 + 14 * DAY)),
    ];
    let records = build_records(&rules, &leads, &[]);
    let index = FollowupIndex::new(&records, &[]);
    let mut fu: Vec<(Option<String>, Option<String>, i64)> = [3, 20]
        .iter()
        .map(|d| (Some("L1".to_string()), None, T0 + d * DAY))
        .collect();
    fu.extend((0..10).map(|k| (Some("L2".to_string()), None, T0 + k * DAY + 100)));
    fu.push((Some("L2".to_string()), None, T0 + 20 * DAY));
    fu.push((Some("nobody".to_string()), None, T0 + DAY));
    let now = T0 + 31 * DAY; // the end of January
    let c = monthly_compliance(&rules, &records, &index, &fu, &months(), now);
    assert_eq!(c.len(), 1, "February is after now");
    assert!((c[0].days - 31.0).abs() < 1e-9, "{:?}", c[0]);
    assert!((c[0].on_time - 17.0).abs() < 1e-9, "10 + 7: {:?}", c[0]);
}

#[test]
fn a_month_starts_from_the_last_touch_before_it() {
    let rules = CadenceRules::default();
    // Created 40 days before February, last touched 3 days before it: on time for the first
    // 4 days of February and overdue for the rest.
    let created = T0 + 31 * DAY - 40 * DAY;
    let records = build_records(&rules, &[lead("L1", 1, created, "Open", None)], &[]);
    let index = FollowupIndex::new(&records, &[]);
    let fu = vec![(Some("L1".to_string()), None, T0 + 28 * DAY)];
    let c = monthly_compliance(&rules, &records, &index, &fu, &months(), T0 + 59 * DAY);
    let feb = c.iter().find(|x| x.month == 202602).unwrap();
    assert!(
        (feb.days - 28.0).abs() < 1e-9 && (feb.on_time - 4.0).abs() < 1e-9,
        "{feb:?}"
    );
}

#[test]
fn new_customers_count_once_something_is_due_and_care_follows_a_win() {
    let rules = CadenceRules::default();
    // A potential lead created 80 days before February: its 90-day window ends on 11 February.
    let created = T0 + 31 * DAY - 80 * DAY;
    let records = build_records(&rules, &[lead("L1", 1, created, "Open", None)], &[]);
    let index = FollowupIndex::new(&records, &[]);
    let c = monthly_compliance(&rules, &records, &index, &[], &months(), T0 + 59 * DAY);
    let feb = c.iter().find(|x| x.month == 202602).unwrap();
    assert!((feb.days - 10.0).abs() < 1e-9, "{feb:?}");
    assert_eq!(feb.on_time, 0.0, "never touched: overdue since its first week");

    // Rep 3 won a deal on 1 January: its account is under monthly care, counted from 31
    // January (nothing is due in the first month), on time after a visit logged on the deal
    // on day 40: January 0 of 1 day, February 19 of 28. Rep 4's deal opened on 1 January
    // (three a week: every 56 hours), touched on day 2: counted from 56 hours on, on time
    // until 56 hours after the touch — 2 of 28⅔ days; overdue all February.
    let opps = vec![
        OpportunityCadenceFacts {
            id: "O1".into(),
            employee_id: 3,
            account_id: Some("A".into()),
            stage_name: "Closed Won".into(),
            state: DealState::Won,
            created_ts: Some(T0 - 10 * DAY),
            close_ts: T0,
        },
        OpportunityCadenceFacts {
            id: "O2".into(),
            employee_id: 4,
            account_id: None,
            stage_name: "Proposal".into(),
            state: DealState::Open,
            created_ts: Some(T0),
            close_ts: T0 + 90 * DAY,
        },
    ];
    let records = build_records(&rules, &[], &opps);
    let won = vec![("O1".to_string(), Some("A".to_string()))];
    let index = FollowupIndex::new(&records, &won);
    let fu = vec![
        (None, Some("O1".to_string()), T0 + 40 * DAY),
        (None, Some("O2".to_string()), T0 + 2 * DAY),
    ];
    let c = monthly_compliance(&rules, &records, &index, &fu, &months(), T0 + 59 * DAY);
    let get = |e: i64, m: i32| *c.iter().find(|x| x.employee_id == e && x.month == m).unwrap();
    let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
    let (care_jan, care_feb) = (get(3, 202601), get(3, 202602));
    assert!(
        close(care_jan.days, 1.0) && close(care_jan.on_time, 0.0),
        "{care_jan:?}"
    );
    assert!(
        close(care_feb.days, 28.0) && close(care_feb.on_time, 19.0),
        "{care_feb:?}"
    );
    let (deal_jan, deal_feb) = (get(4, 202601), get(4, 202602));
    assert!(
        close(deal_jan.days, 31.0 - 7.0 / 3.0) && close(deal_jan.on_time, 2.0),
        "{deal_jan:?}"
    );
    assert!(
        close(deal_feb.days, 28.0) && close(deal_feb.on_time, 0.0),
        "{deal_feb:?}"
    );
    // Pre-sale alone: the open deal is all of rep 4's, the care none of rep 3's.
    assert!(close(deal_jan.presale_days, deal_jan.days) && close(deal_jan.presale_on_time, 2.0));
    assert_eq!((care_feb.presale_days, care_feb.presale_on_time), (0.0, 0.0));
}

#[test]
fn due_and_overdue_follow_the_interval_since_the_last_touch() {
    let rules = CadenceRules::default();
    let r = &build_records(&rules, &[lead("L1", 1, T0, "Open", None)], &[])[0];
    let day = |d: i64| (T0 + d * DAY, T0 + (d + 1) * DAY);
    let (s, e) = day(10);
    let now = s + 3600;
    // Last touch on day 2 → due on day 9 → overdue on day 10.
    assert_eq!(
        next_due(&rules, r, Some(T0 + 2 * DAY), now, s, e).unwrap().1,
        DueState::Overdue
    );
    // Last touch on day 3 at noon → due day 10 at noon → due today.
    let d = next_due(&rules, r, Some(T0 + 3 * DAY + DAY / 2), now, s, e).unwrap();
    assert_eq!(d, (T0 + 10 * DAY + DAY / 2, DueState::DueToday));
    assert_eq!(
        next_due(&rules, r, Some(T0 + 9 * DAY), now, s, e).unwrap().1,
        DueState::Upcoming
    );
    // Never touched: counted from creation.
    assert_eq!(next_due(&rules, r, None, now, s, e).unwrap().1, DueState::Overdue);
    // After the 90-day window, no cadence.
    let (s, e) = day(95);
    assert_eq!(next_due(&rules, r, None, s, s, e), None);
    // Intent: three a week → every 56 hours.
    let mut o = r.clone();
    o.stage = Stage::Intent;
    assert_eq!(
        next_due(&rules, &o, Some(T0), T0, T0, T0 + DAY).unwrap().0,
        T0 + 7 * DAY / 3
    );
}
