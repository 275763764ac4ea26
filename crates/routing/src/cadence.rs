//! Follow-up cadence: how often each customer must be touched in each lifecycle stage, which
//! follow-ups are due or overdue today, and the `cadence_compliance` metric (the share of required
//! follow-ups a rep made in a month).
//!
//! Stages: **potential** (an open lead), **intent** (an open opportunity), **won** (a customer
//! with a won deal, for after-sales care). Each stage has a rule "`follow_ups` every
//! `every_days` days, for `for_days` days after entering the stage". Lead statuses and
//! opportunity stages map to lifecycle stages through a configurable table.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uplift_domain::Lang;
use uplift_domain::metric_data::CadenceDays;
pub use uplift_domain::records::DealState;

const DAY: i64 = 86_400;

/// A lifecycle stage with a follow-up rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Potential,
    Intent,
    Won,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Potential, Stage::Intent, Stage::Won];

    pub fn id(self) -> &'static str {
        match self {
            Stage::Potential => "potential",
            Stage::Intent => "intent",
            Stage::Won => "won",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Stage::Potential => lang.pick("潜在客户", "Potential"),
            Stage::Intent => lang.pick("意向客户", "Intent"),
            Stage::Won => lang.pick("成交客户关怀", "Won-customer care"),
        }
    }

    /// Reads a mapping value: a stage id or Chinese label, or `none` (no cadence).
    /// `Some(None)` is "none"; `None` is not understood.
    pub fn parse_mapped(s: &str) -> Option<Option<Stage>> {
        match s.trim().to_lowercase().as_str() {
            "potential" | "潜在" | "潜在客户" => Some(Some(Stage::Potential)),
            "intent" | "意向" | "意向客户" => Some(Some(Stage::Intent)),
            "won" | "成交" | "成交客户" | "成交客户关怀" => Some(Some(Stage::Won)),
            "none" | "无" | "不跟进" => Some(None),
            _ => None,
        }
    }
}

/// How often a stage's customers must be followed up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageRule {
    /// Follow-ups required …
    pub follow_ups: u32,
    /// … every this many days.
    pub every_days: u32,
    /// The rule applies for this many days after the stage began (absent: while in the stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_days: Option<u32>,
}

impl StageRule {
    /// Days between two follow-ups.
    pub fn interval_secs(&self) -> i64 {
        (self.every_days as i64 * DAY) / self.follow_ups.max(1) as i64
    }
}

/// The cadence settings: one rule per stage and the mapping of CRM values to stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CadenceRules {
    pub potential: StageRule,
    pub intent: StageRule,
    pub won: StageRule,
    /// Lead status → stage id or `none`. Unlisted statuses of unconverted leads are potential,
    /// except closed ones (`Closed…`, 关闭, 无效), which have no cadence.
    #[serde(default)]
    pub lead_status: BTreeMap<String, String>,
    /// Open opportunity stage → stage id or `none`. Unlisted stages are intent.
    #[serde(default)]
    pub opportunity_stage: BTreeMap<String, String>,
}

impl Default for CadenceRules {
    /// Potential leads weekly for 90 days, open opportunities three times a week, won customers
    /// monthly for a year.
    fn default() -> CadenceRules {
        CadenceRules {
            potential: StageRule {
                follow_ups: 1,
                every_days: 7,
                for_days: Some(90),
            },
            intent: StageRule {
                follow_ups: 3,
                every_days: 7,
                for_days: None,
            },
            won: StageRule {
                follow_ups: 1,
                every_days: 30,
                for_days: Some(365),
            },
            lead_status: BTreeMap::new(),
            opportunity_stage: BTreeMap::new(),
        }
    }
}

/// A setting that cannot be used, named by its key.
#[derive(Debug, Error, PartialEq)]
pub enum CadenceError {
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error("cadence rules: {0}")]
    Syntax(String),
}

impl CadenceRules {
    /// The rules in a sentence, stage by stage, for every page and command that states them.
    pub fn describe(&self, l: Lang) -> String {
        Stage::ALL
            .iter()
            .map(|s| {
                let x = self.rule(*s);
                let window = x.for_days.map_or(String::new(), |d| match l {
                    Lang::Zh => format!("（进入该阶段后 {d} 天内）"),
                    Lang::En => format!(" (for {d} days after entering the stage)"),
                });
                match l {
                    Lang::Zh => format!("{}每 {} 天跟进 {} 次{window}", s.label(l), x.every_days, x.follow_ups),
                    Lang::En => format!("{}: {} every {} days{window}", s.label(l), x.follow_ups, x.every_days),
                }
            })
            .collect::<Vec<_>>()
            .join(l.pick("；", "; "))
    }

    pub fn rule(&self, stage: Stage) -> &StageRule {
        match stage {
            Stage::Potential => &self.potential,
            Stage::Intent => &self.intent,
            Stage::Won => &self.won,
        }
    }

    /// Checks ranges and mapping values; errors name the key and say why in `lang`.
    pub fn validate(&self, lang: Lang) -> Result<(), CadenceError> {
        for stage in Stage::ALL {
            let r = self.rule(stage);
            let bad = |field: &str, reason: &str| CadenceError::Invalid {
                key: format!("{}.{field}", stage.id()),
                reason: reason.to_string(),
            };
            if !(1..=31).contains(&r.follow_ups) {
                return Err(bad("follow_ups", lang.pick("须在 1 到 31 之间", "must be 1 to 31")));
            }
            if !(1..=366).contains(&r.every_days) {
                return Err(bad("every_days", lang.pick("须在 1 到 366 之间", "must be 1 to 366")));
            }
            if r.for_days.is_some_and(|d| !(1..=3660).contains(&d)) {
                return Err(bad("for_days", lang.pick("须在 1 到 3660 之间", "must be 1 to 3660")));
            }
        }
        for (table, map) in [
            ("lead_status", &self.lead_status),
            ("opportunity_stage", &self.opportunity_stage),
        ] {
            for (k, v) in map {
                if Stage::parse_mapped(v).is_none() {
                    return Err(CadenceError::Invalid {
                        key: format!("{table}.\"{k}\""),
                        reason: format!(
                            "{} \"{v}\"",
                            lang.pick(
                                "应为 potential、intent、won 或 none，而不是",
                                "must be potential, intent, won or none, not"
                            )
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Reads rules written as TOML (the format of `uplift leads cadence --set-rules`).
    pub fn from_toml(text: &str, lang: Lang) -> Result<CadenceRules, CadenceError> {
        let rules: CadenceRules = toml::from_str(text).map_err(|e| CadenceError::Syntax(e.to_string()))?;
        rules.validate(lang)?;
        Ok(rules)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// The stage of an unconverted lead with this status, `None` when it has no cadence.
    pub fn lead_stage(&self, status: Option<&str>) -> Option<Stage> {
        let s = status.map(str::trim).unwrap_or("");
        if let Some(v) = self.lead_status.get(s) {
            return Stage::parse_mapped(v).flatten();
        }
        let closed = s.starts_with("Closed") || s.contains("关闭") || s.contains("无效");
        (!closed).then_some(Stage::Potential)
    }

    /// The stage of an open opportunity at this sales stage, `None` when it has no cadence.
    pub fn opportunity_stage(&self, stage_name: &str) -> Option<Stage> {
        match self.opportunity_stage.get(stage_name.trim()) {
            Some(v) => Stage::parse_mapped(v).flatten(),
            None => Some(Stage::Intent),
        }
    }
}

/// What a cadence record is about: follow-ups count for it when their WhoId (leads) or WhatId
/// (opportunities, accounts) names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Lead,
    Opportunity,
    Account,
}

/// One customer in one stage for one rep: the unit that is followed up.
#[derive(Debug, Clone, PartialEq)]
pub struct CadenceRecord {
    pub kind: RecordKind,
    pub id: String,
    pub employee_id: i64,
    pub stage: Stage,
    /// When the stage began (epoch seconds).
    pub start: i64,
    /// When it ended; `None` while the record is still in the stage.
    pub end: Option<i64>,
    /// Where the rule's `for_days` are counted from (the stage start).
    pub window_from: i64,
}

impl CadenceRecord {
    /// The end of the time the rule applies, capped at `now`.
    pub fn rule_end(&self, rules: &CadenceRules, now: i64) -> i64 {
        let mut end = self.end.unwrap_or(now).min(now);
        if let Some(d) = rules.rule(self.stage).for_days {
            end = end.min(self.window_from.saturating_add(d as i64 * DAY));
        }
        end
    }
}

/// An unconverted or converted lead as the cadence needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadCadenceFacts {
    pub id: String,
    pub employee_id: i64,
    pub status: Option<String>,
    pub created_ts: i64,
    /// Start of the conversion day, for converted leads.
    pub converted_ts: Option<i64>,
    /// The last follow-up on the lead (WhoId), used as the end of a closed lead's stage.
    pub last_followup_ts: Option<i64>,
}

/// An opportunity as the cadence needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityCadenceFacts {
    pub id: String,
    pub employee_id: i64,
    pub account_id: Option<String>,
    pub stage_name: String,
    pub state: DealState,
    pub created_ts: Option<i64>,
    /// Start of the close day.
    pub close_ts: i64,
}

/// Builds the cadence records of leads and opportunities: a lead is potential until converted
/// (a closed lead until just after its last follow-up, as the CRM does not say when it was
/// closed); an opportunity is in its mapped stage from creation until closed; each won deal makes
/// its account (or the deal itself, without an account) a won customer of that deal's owner from
/// the win until the account's next win, the care window counted from the win.
pub fn build_records(
    rules: &CadenceRules,
    leads: &[LeadCadenceFacts],
    opportunities: &[OpportunityCadenceFacts],
) -> Vec<CadenceRecord> {
    let mut out = Vec::with_capacity(leads.len() + opportunities.len());
    for l in leads {
        let (stage, end) = match l.converted_ts {
            Some(c) => (Stage::Potential, Some(c)),
            None => match rules.lead_stage(l.status.as_deref()) {
                Some(s) => (s, None),
                // A closed lead was potential until its last touch (which still counts).
                None => (
                    Stage::Potential,
                    Some(l.last_followup_ts.map_or(l.created_ts, |t| t.saturating_add(1))),
                ),
            },
        };
        if end.is_some_and(|e| e <= l.created_ts) {
            continue;
        }
        out.push(CadenceRecord {
            kind: RecordKind::Lead,
            id: l.id.clone(),
            employee_id: l.employee_id,
            stage,
            start: l.created_ts,
            end,
            window_from: l.created_ts,
        });
    }
    for o in opportunities {
        let Some(created) = o.created_ts else { continue };
        let stage = match o.state {
            DealState::Open => rules.opportunity_stage(&o.stage_name),
            DealState::Won | DealState::Lost => Some(Stage::Intent),
        };
        let end = (o.state != DealState::Open).then_some(o.close_ts);
        if let Some(stage) = stage
            && end.is_none_or(|e| e > created)
        {
            out.push(CadenceRecord {
                kind: RecordKind::Opportunity,
                id: o.id.clone(),
                employee_id: o.employee_id,
                stage,
                start: created,
                end,
                window_from: created,
            });
        }
    }
    // Won customers: each win, per account in time order, until the account's next win.
    let mut wins: Vec<(&str, i64, &str, i64)> = opportunities
        .iter()
        .filter(|o| o.state == DealState::Won)
        .map(|o| {
            (
                o.account_id.as_deref().unwrap_or(o.id.as_str()),
                o.close_ts,
                o.id.as_str(),
                o.employee_id,
            )
        })
        .collect();
    wins.sort_unstable();
    for (k, &(account, close, _, employee_id)) in wins.iter().enumerate() {
        let next = wins.get(k + 1).filter(|w| w.0 == account);
        // Two wins on one day: the later record (by deal id) takes the care.
        if next.is_some_and(|w| w.1 == close) {
            continue;
        }
        out.push(CadenceRecord {
            kind: RecordKind::Account,
            id: account.to_string(),
            employee_id,
            stage: Stage::Won,
            start: close,
            end: next.map(|w| w.1),
            window_from: close,
        });
    }
    out
}

/// Finds which record a follow-up counts for: the lead it names (WhoId), else the opportunity or
/// account it names (WhatId) whose stage covers its time.
pub struct FollowupIndex<'a> {
    records: &'a [CadenceRecord],
    by_lead: FxHashMap<&'a str, usize>,
    by_what: FxHashMap<&'a str, Vec<usize>>,
}

impl<'a> FollowupIndex<'a> {
    /// `won_deals` lists (opportunity id, account id) of won deals, so that follow-ups logged on a
    /// won deal count as care of its account.
    pub fn new(records: &'a [CadenceRecord], won_deals: &'a [(String, Option<String>)]) -> FollowupIndex<'a> {
        let mut by_lead = FxHashMap::default();
        let mut by_what: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut account_records: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, r) in records.iter().enumerate() {
            match r.kind {
                RecordKind::Lead => {
                    by_lead.insert(r.id.as_str(), i);
                }
                RecordKind::Opportunity => by_what.entry(r.id.as_str()).or_default().push(i),
                RecordKind::Account => {
                    by_what.entry(r.id.as_str()).or_default().push(i);
                    account_records.entry(r.id.as_str()).or_default().push(i);
                }
            }
        }
        for (opp, account) in won_deals {
            let key = account.as_deref().unwrap_or(opp.as_str());
            if key != opp.as_str()
                && let Some(v) = account_records.get(key)
            {
                by_what.entry(opp.as_str()).or_default().extend(v.iter().copied());
            }
        }
        FollowupIndex {
            records,
            by_lead,
            by_what,
        }
    }

    /// The record a follow-up at `ts` on `who`/`what` counts for.
    pub fn record_of(&self, who: Option<&str>, what: Option<&str>, ts: i64) -> Option<usize> {
        let covers = |i: usize| {
            let r = &self.records[i];
            ts >= r.start && r.end.is_none_or(|e| ts < e)
        };
        if let Some(&i) = who.and_then(|w| self.by_lead.get(w))
            && covers(i)
        {
            return Some(i);
        }
        what.and_then(|w| self.by_what.get(w))
            .and_then(|v| v.iter().copied().find(|&i| covers(i)))
    }
}

/// Seconds of `[a, b)` inside the union of `[start, start + interval)` (nothing is due in the first
/// interval) and `[t, t + interval)` for each touch `t` (sorted).
fn covered_secs(start: i64, interval: i64, touches: &[i64], a: i64, b: i64) -> i64 {
    let overlap = |lo: i64, hi: i64| (hi.min(b) - lo.max(a)).max(0);
    let (mut lo, mut hi) = (start, start.saturating_add(interval));
    let mut total = 0;
    for &t in touches {
        if t <= hi {
            hi = hi.max(t.saturating_add(interval));
        } else {
            total += overlap(lo, hi);
            (lo, hi) = (t, t.saturating_add(interval));
        }
    }
    total + overlap(lo, hi)
}

/// `cadence_compliance` inputs per employee and month: for every customer, the time in the month
/// it was under its stage's rule once its first follow-up fell due (up to `now`), and the part of
/// it when its next follow-up was not overdue — the Today page's "overdue", measured over the
/// month. A customer counts from one interval after entering the stage (before that nothing is
/// due: counting that grace as "on time" would tie the metric to the month's new leads and wins,
/// which is what driver analysis must not see), and is on time for one interval after each
/// follow-up. `followups` must reach one interval (the longest of the rules) before the first
/// month, so a customer's standing at the start of the month is known. `months` are (key, start,
/// end) in epoch seconds.
pub fn monthly_compliance(
    rules: &CadenceRules,
    records: &[CadenceRecord],
    index: &FollowupIndex<'_>,
    followups: &[(Option<String>, Option<String>, i64)],
    months: &[(i32, i64, i64)],
    now: i64,
) -> Vec<CadenceDays> {
    let mut touches: Vec<Vec<i64>> = vec![Vec::new(); records.len()];
    for (who, what, ts) in followups {
        if *ts >= now {
            continue;
        }
        // Only follow-ups while the rule applies count.
        if let Some(r) = index.record_of(who.as_deref(), what.as_deref(), *ts)
            && *ts < records[r].rule_end(rules, now)
        {
            touches[r].push(*ts);
        }
    }
    let mut out: FxHashMap<(i64, usize), CadenceDays> = FxHashMap::default();
    for (ri, r) in records.iter().enumerate() {
        let end = r.rule_end(rules, now);
        if end <= r.start {
            continue;
        }
        let interval = rules.rule(r.stage).interval_secs();
        let first_due = r.start.saturating_add(interval);
        let t = &mut touches[ri];
        t.sort_unstable();
        for (mi, &(key, ms, me)) in months.iter().enumerate() {
            let (a, b) = (first_due.max(ms), end.min(me));
            if b <= a {
                continue;
            }
            let c = out.entry((r.employee_id, mi)).or_insert(CadenceDays {
                employee_id: r.employee_id,
                month: key,
                ..Default::default()
            });
            let (days, on_time) = (
                (b - a) as f64 / DAY as f64,
                covered_secs(r.start, interval, t, a, b) as f64 / DAY as f64,
            );
            c.days += days;
            c.on_time += on_time;
            if r.stage != Stage::Won {
                c.presale_days += days;
                c.presale_on_time += on_time;
            }
        }
    }
    let mut v: Vec<CadenceDays> = out.into_values().collect();
    v.sort_by_key(|c| (c.employee_id, c.month));
    v
}

/// The longest interval between two follow-ups of any stage (how far back the compliance of a
/// month must look for the last follow-up before it).
pub fn longest_interval_secs(rules: &CadenceRules) -> i64 {
    Stage::ALL
        .iter()
        .map(|s| rules.rule(*s).interval_secs())
        .max()
        .unwrap_or(0)
}

/// Where a record stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// The next follow-up's day has passed.
    Overdue,
    /// The next follow-up is due today.
    DueToday,
    /// Not due yet.
    Upcoming,
}

/// When the record's next follow-up is due and where that stands on the day
/// `[day_start, day_end)`; `None` when the rule no longer applies (window over, stage ended).
/// `last_followup` is the latest follow-up on the record in this stage.
pub fn next_due(
    rules: &CadenceRules,
    record: &CadenceRecord,
    last_followup: Option<i64>,
    now: i64,
    day_start: i64,
    day_end: i64,
) -> Option<(i64, DueState)> {
    if record.end.is_some_and(|e| e <= now) {
        return None;
    }
    let rule = rules.rule(record.stage);
    let window_end = rule.for_days.map(|d| record.window_from.saturating_add(d as i64 * DAY));
    if window_end.is_some_and(|w| w <= now) {
        return None;
    }
    let from = last_followup.map_or(record.start, |l| l.max(record.start));
    let due = from.saturating_add(rule.interval_secs());
    let state = if due < day_start {
        DueState::Overdue
    } else if due < day_end {
        DueState::DueToday
    } else {
        DueState::Upcoming
    };
    Some((due, state))
}

#[cfg(test)]
mod tests {

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
}
