//! Commission periods: a month (`2026-08`) or a quarter (`2026-Q3`).

use chrono::NaiveDate;
use std::fmt;
use uplift_domain::Month;

use crate::plan::PeriodKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month(Month),
    Quarter { year: i32, quarter: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad period {0:?}: expected YYYY-MM or YYYY-Qn (2026-08, 2026-Q3)")]
pub struct BadPeriod(pub String);

impl Period {
    /// `2026-08`, `2026-Q3` (also `2026Q3`, `2026-q3`).
    pub fn parse(s: &str) -> Result<Period, BadPeriod> {
        let t = s.trim();
        let bad = || BadPeriod(s.to_string());
        if let Some(i) = t.find(['Q', 'q']) {
            let year: i32 = t[..i].trim_end_matches('-').parse().map_err(|_| bad())?;
            let quarter: u32 = t[i + 1..].parse().map_err(|_| bad())?;
            if !(1..=4).contains(&quarter) || !(1900..=9999).contains(&year) {
                return Err(bad());
            }
            return Ok(Period::Quarter { year, quarter });
        }
        Month::parse(t).map(Period::Month).map_err(|_| bad())
    }

    /// The quarter a month falls in.
    pub fn quarter_of(m: Month) -> Period {
        Period::Quarter {
            year: m.year(),
            quarter: (m.month() - 1) / 3 + 1,
        }
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Month(_) => PeriodKind::Month,
            Period::Quarter { .. } => PeriodKind::Quarter,
        }
    }

    /// The months the period covers, in order.
    pub fn months(self) -> Vec<Month> {
        match self {
            Period::Month(m) => vec![m],
            Period::Quarter { year, quarter } => {
                let first = Month::new(year, quarter * 3 - 2).expect("quarter 1..=4");
                first.through(Month::new(year, quarter * 3).expect("quarter 1..=4"))
            }
        }
    }

    pub fn first_day(self) -> NaiveDate {
        self.months()[0].first_day()
    }

    pub fn last_day(self) -> NaiveDate {
        self.months().last().expect("a period has months").last_day()
    }

    /// The period after this one, of the same kind.
    pub fn next(self) -> Period {
        match self {
            Period::Month(m) => Period::Month(m.next()),
            Period::Quarter { year, quarter: 4 } => Period::Quarter {
                year: year + 1,
                quarter: 1,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter + 1,
            },
        }
    }

    /// `2026年8月`, `2026年第3季度`.
    pub fn label_zh(self) -> String {
        match self {
            Period::Month(m) => m.label_zh(),
            Period::Quarter { year, quarter } => format!("{year}年第{quarter}季度"),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(m) => write!(f, "{m}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = BadPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_quarters_parse_and_cover_their_days() {
        let q = Period::parse("2026-Q3").unwrap();
        assert_eq!(q.to_string(), "2026-Q3");
        assert_eq!(q.months().len(), 3);
        assert_eq!(q.first_day(), NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        assert_eq!(q.last_day(), NaiveDate::from_ymd_opt(2026, 9, 30).unwrap());
        assert_eq!(q.next().to_string(), "2026-Q4");
        assert_eq!(Period::parse("2026q4").unwrap().next().to_string(), "2027-Q1");
        let m = Period::parse("2026-08").unwrap();
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 8, 31).unwrap());
        assert_eq!(m.label_zh(), "2026年8月");
        for bad in ["2026-Q5", "2026-13", "Q3", "", "2026-Qx"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }
}
