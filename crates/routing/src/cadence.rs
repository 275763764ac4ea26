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
mod tests;
