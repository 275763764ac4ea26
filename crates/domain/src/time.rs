//! Company time zone handling. Every metric month is a calendar month in the company's zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::Month;

/// The default company time zone.
pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Shanghai;

/// The calendar month, in zone `tz`, of an instant.
pub fn local_month(ts: DateTime<Utc>, tz: Tz) -> Month {
    Month::of(ts.with_timezone(&tz).date_naive())
}

/// The calendar date, in zone `tz`, of an instant.
pub fn local_date(ts: DateTime<Utc>, tz: Tz) -> NaiveDate {
    ts.with_timezone(&tz).date_naive()
}

/// Interprets a wall-clock time in zone `tz`. Ambiguous times (DST) take the earlier instant;
/// times that do not exist (skipped by DST) are shifted forward an hour.
pub fn from_local(naive: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => from_local(naive + chrono::Duration::hours(1), tz),
    }
}

/// The first instant after the end of month `m` in zone `tz` (start of the next month).
pub fn month_end_exclusive(m: Month, tz: Tz) -> DateTime<Utc> {
    from_local(m.next().first_day().and_hms_opt(0, 0, 0).expect("midnight"), tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_evening_falls_in_next_shanghai_month() {
        let ts = DateTime::parse_from_rfc3339("2025-08-31T19:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_month(ts, DEFAULT_TZ).to_string(), "2025-09");
        assert_eq!(local_month(ts, chrono_tz::UTC).to_string(), "2025-08");
    }
}
