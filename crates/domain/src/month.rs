//! Calendar months, the unit every metric is computed for.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month such as 2026-03. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    year: i32,
    month: u32,
}

/// A month string that is not `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a month (expected YYYY-MM): {0}")]
pub struct BadMonth(pub String);

impl Month {
    /// Builds a month; `month` must be 1..=12.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1000..=9999).contains(&year)).then_some(Month { year, month })
    }

    /// The last complete month before the one `now` falls in, in zone `tz` (where a history that
    /// ends "last month" ends).
    pub fn last_complete(now: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> Month {
        Month::of(now.with_timezone(&tz).date_naive()).prev()
    }

    /// The month a date falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Parses `2026-03`, `2026/3`, `202603` or `2026年3月`.
    pub fn parse(s: &str) -> Result<Month, BadMonth> {
        let t = s.trim();
        let bad = || BadMonth(s.to_string());
        let t2 = t.trim_end_matches('月');
        let (y, m) = if let Some((y, m)) = t2.split_once(['-', '/', '年', '.']) {
            (y, m)
        } else if t2.len() == 6 && t2.bytes().all(|b| b.is_ascii_digit()) {
            t2.split_at(4)
        } else {
            return Err(bad());
        };
        let y: i32 = y.trim().parse().map_err(|_| bad())?;
        let m: u32 = m.trim().parse().map_err(|_| bad())?;
        Month::new(y, m).ok_or_else(bad)
    }

    /// `yyyymm` as an integer, the form months are stored in (e.g. 202603).
    pub fn to_key(self) -> i32 {
        self.year * 100 + self.month as i32
    }

    /// Inverse of [`Month::to_key`].
    pub fn from_key(key: i32) -> Option<Month> {
        Month::new(key / 100, (key % 100) as u32)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid date")
    }

    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The first month of a span of `len` months ending with `self` (`len` 0 counts as 1).
    pub fn span_start(self, len: u32) -> Month {
        (1..len.max(1)).fold(self, |m, _| m.prev())
    }

    /// Every month from `self` to `to`, both included; empty when `to` is earlier.
    pub fn through(self, to: Month) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = self;
        while m <= to {
            out.push(m);
            m = m.next();
        }
        out
    }

    /// Adds whole months to a date, clamping the 29th–31st to the target month's last day.
    pub fn add_months_clamped(date: NaiveDate, k: u32) -> NaiveDate {
        date.checked_add_months(Months::new(k)).unwrap_or(NaiveDate::MAX)
    }

    /// Chinese label, e.g. `2026年3月`.
    pub fn label_zh(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = BadMonth;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Month::parse(s)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_last_complete_month_is_taken_in_the_company_zone() {
        use chrono::TimeZone;
        let shanghai = chrono_tz::Asia::Shanghai;
        // 2026-12-01 00:30 in Shanghai is still November in UTC: November is not complete yet.
        let early = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap();
        assert_eq!(Month::last_complete(early, shanghai).to_string(), "2026-11");
        assert_eq!(Month::last_complete(early, chrono_tz::UTC).to_string(), "2026-10");
        let january = chrono::Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0).unwrap();
        assert_eq!(Month::last_complete(january, shanghai).to_string(), "2026-12");
    }

    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        for s in ["2026-03", "2026/3", "202603", "2026年3月", " 2026-3 "] {
            assert_eq!(Month::parse(s).unwrap(), Month::new(2026, 3).unwrap(), "{s}");
        }
        assert!(Month::parse("2026-13").is_err());
        assert!(Month::parse("March").is_err());
    }

    #[test]
    fn key_days_and_ranges() {
        let feb = Month::new(2024, 2).unwrap();
        assert_eq!(feb.days(), 29);
        assert_eq!(Month::from_key(feb.to_key()), Some(feb));
        let dec = Month::new(2025, 12).unwrap();
        assert_eq!(dec.next(), Month::new(2026, 1).unwrap());
        assert_eq!(dec.through(Month::new(2026, 2).unwrap()).len(), 3);
        assert_eq!(dec.label_zh(), "2025年12月");
        assert_eq!(dec.span_start(24), Month::new(2024, 1).unwrap());
        assert_eq!(dec.span_start(0), dec);
        assert_eq!(dec.to_string(), "2025-12");
    }

    #[test]
    fn month_addition_clamps_to_month_end() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        assert_eq!(
            Month::add_months_clamped(d, 1),
            NaiveDate::from_ymd_opt(2025, 2, 28).unwrap()
        );
    }
}
