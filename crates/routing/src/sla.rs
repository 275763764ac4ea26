//! First-contact SLA: when a new lead must have been contacted, and where each lead stands.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use uplift_domain::calendar::is_workday;

/// The SLA's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SlaRule {
    /// Hours allowed for the first contact (default 24).
    pub hours: f64,
    /// Count only business hours (09:00–18:00 on working days of the official calendar).
    pub business_hours: bool,
    /// Hours after the deadline when the lead is reassigned (None: never).
    pub reassign_after_hours: Option<f64>,
}

impl SlaRule {
    /// The rule in a sentence, for every page and command that states it.
    pub fn describe(&self, l: uplift_domain::Lang) -> String {
        use uplift_domain::Lang;
        match l {
            Lang::Zh => format!(
                "新线索须在 {} 小时内首次联系{}；{}",
                self.hours,
                if self.business_hours {
                    "（按工作时间计，含法定节假日与调休）"
                } else {
                    ""
                },
                self.reassign_after_hours
                    .map_or("超时不自动改派".to_string(), |h| format!(
                        "超时 {h} 小时后自动改派"
                    ))
            ),
            Lang::En => format!(
                "New leads must be contacted within {} hours{}; {}",
                self.hours,
                if self.business_hours {
                    " (business hours, official holidays)"
                } else {
                    ""
                },
                self.reassign_after_hours
                    .map_or("no automatic reassignment".to_string(), |h| format!(
                        "reassigned {h} h after a miss"
                    ))
            ),
        }
    }
}

impl Default for SlaRule {
    fn default() -> SlaRule {
        SlaRule {
            hours: 24.0,
            business_hours: false,
            reassign_after_hours: None,
        }
    }
}

const OPEN: (u32, u32) = (9, 0);
const CLOSE: (u32, u32) = (18, 0);

/// The moment `hours` of (business) time have passed since `start`.
pub fn deadline(start: DateTime<Utc>, rule: &SlaRule, tz: Tz) -> DateTime<Utc> {
    // Hours are clamped to a year: no setting can overflow a date.
    let total = Duration::seconds((rule.hours.clamp(0.0, 8760.0) * 3600.0).round() as i64);
    if !rule.business_hours {
        return start + total;
    }
    let open = NaiveTime::from_hms_opt(OPEN.0, OPEN.1, 0).unwrap_or_default();
    let close = NaiveTime::from_hms_opt(CLOSE.0, CLOSE.1, 0).unwrap_or_default();
    let mut left = total;
    let mut t = start.with_timezone(&tz);
    // At most a few years of days: a guard against a zero-length business day.
    for _ in 0..3660 {
        let day = t.date_naive();
        if is_workday(day) {
            let day_open = tz.from_local_datetime(&day.and_time(open)).earliest();
            let day_close = tz.from_local_datetime(&day.and_time(close)).earliest();
            if let (Some(o), Some(c)) = (day_open, day_close) {
                let from = if t < o { o } else { t };
                if from < c {
                    let avail = c - from;
                    if left <= avail {
                        return (from + left).with_timezone(&Utc);
                    }
                    left -= avail;
                }
            }
        }
        let next = day.succ_opt().unwrap_or(day);
        t = match tz.from_local_datetime(&next.and_time(NaiveTime::MIN)).earliest() {
            Some(x) => x,
            None => return start + total,
        };
    }
    start + total
}

/// Where a lead stands against its first-contact deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Time left.
    Open,
    /// Less than a quarter of the allowance (at most 4 hours) left: remind the rep.
    DueSoon,
    /// Past the deadline: tell the manager.
    Breached,
    /// Past the deadline by the reassignment delay: hand the lead to someone else.
    Reassign,
}

/// The state at `now` of a lead whose clock started at `start`.
pub fn state(start: DateTime<Utc>, now: DateTime<Utc>, rule: &SlaRule, tz: Tz) -> (SlaState, DateTime<Utc>) {
    let due = deadline(start, rule, tz);
    let warn = Duration::seconds(((rule.hours.clamp(0.0, 8760.0) * 3600.0) / 4.0).min(4.0 * 3600.0) as i64);
    let s = if now >= due {
        // The further delay counts the same kind of hours as the allowance (business hours when
        // those are set), so a miss at Friday 18:00 is not reassigned in the night.
        let reassign_at = rule
            .reassign_after_hours
            .map(|h| deadline(due, &SlaRule { hours: h, ..*rule }, tz));
        match reassign_at {
            Some(at) if now >= at => SlaState::Reassign,
            _ => SlaState::Breached,
        }
    } else if due - now <= warn {
        SlaState::DueSoon
    } else {
        SlaState::Open
    };
    (s, due)
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_rule_reads_the_same_wherever_it_is_stated() {
        use uplift_domain::Lang;
        let r = SlaRule {
            hours: 4.0,
            business_hours: true,
            reassign_after_hours: Some(2.0),
        };
        assert_eq!(
            r.describe(Lang::Zh),
            "新线索须在 4 小时内首次联系（按工作时间计，含法定节假日与调休）；超时 2 小时后自动改派"
        );
        assert_eq!(
            SlaRule::default().describe(Lang::En),
            "New leads must be contacted within 24 hours; no automatic reassignment"
        );
    }

    use super::*;

    fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn clock_hours_and_business_hours() {
        let tz = chrono_tz::Asia::Shanghai;
        let rule = SlaRule::default();
        assert_eq!(deadline(sh(2026, 11, 27, 20, 0), &rule, tz), sh(2026, 11, 28, 20, 0));
        // Friday 20:00, 24 business hours: Mon 9–18 (9h), Tue (9h), Wed 9:00+6h = 15:00.
        let b = SlaRule {
            business_hours: true,
            ..rule
        };
        assert_eq!(deadline(sh(2026, 11, 27, 20, 0), &b, tz), sh(2026, 12, 2, 15, 0));
        // 国庆: a lead on Sep 30 at 17:00 with 2 business hours waits past Oct 1–7: 1 h on
        // Sep 30, 1 h on Thursday Oct 8 → 10:00.
        let two = SlaRule {
            hours: 2.0,
            business_hours: true,
            reassign_after_hours: None,
        };
        assert_eq!(deadline(sh(2026, 9, 30, 17, 0), &two, tz), sh(2026, 10, 8, 10, 0));
        // Friday Oct 9 at 17:30 with 2 hours: 0.5 h, then Saturday Oct 10 (make-up day) 9:00 + 1.5 h.
        assert_eq!(deadline(sh(2026, 10, 9, 17, 30), &two, tz), sh(2026, 10, 10, 10, 30));
    }

    #[test]
    fn states_over_time() {
        let tz = chrono_tz::Asia::Shanghai;
        let rule = SlaRule {
            hours: 24.0,
            business_hours: false,
            reassign_after_hours: Some(8.0),
        };
        let start = sh(2026, 11, 27, 9, 0);
        assert_eq!(state(start, sh(2026, 11, 27, 10, 0), &rule, tz).0, SlaState::Open);
        assert_eq!(state(start, sh(2026, 11, 28, 6, 0), &rule, tz).0, SlaState::DueSoon);
        assert_eq!(state(start, sh(2026, 11, 28, 9, 30), &rule, tz).0, SlaState::Breached);
        assert_eq!(state(start, sh(2026, 11, 28, 17, 0), &rule, tz).0, SlaState::Reassign);
        // With business hours the delay counts business hours too: a lead of Thursday 10:00 with
        // 8 h is due Thursday 18:00; reassignment 2 business hours later is Friday 11:00, not
        // Thursday 20:00.
        let b = SlaRule {
            hours: 8.0,
            business_hours: true,
            reassign_after_hours: Some(2.0),
        };
        let thu = sh(2026, 11, 26, 10, 0);
        assert_eq!(
            state(thu, sh(2026, 11, 26, 18, 0), &b, tz),
            (SlaState::Breached, sh(2026, 11, 26, 18, 0))
        );
        assert_eq!(state(thu, sh(2026, 11, 26, 21, 0), &b, tz).0, SlaState::Breached);
        assert_eq!(state(thu, sh(2026, 11, 27, 10, 59), &b, tz).0, SlaState::Breached);
        assert_eq!(state(thu, sh(2026, 11, 27, 11, 0), &b, tz).0, SlaState::Reassign);
    }
}
