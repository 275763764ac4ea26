//! Headcount and tenure rules from the metric contract (`docs/spec/metrics.md`).

use chrono::{Datelike, NaiveDate};

use crate::Month;

/// Days of month `m` between the hire date (included) and the leave date (excluded).
pub fn days_employed(hire: NaiveDate, leave: Option<NaiveDate>, m: Month) -> u32 {
    let start = hire.max(m.first_day());
    let end_excl = m.next().first_day();
    let end_excl = match leave {
        Some(l) => l.min(end_excl),
        None => end_excl,
    };
    if end_excl <= start {
        0
    } else {
        (end_excl - start).num_days() as u32
    }
}

/// Full-time equivalent of month `m`: days employed over days in the month.
pub fn fte(hire: NaiveDate, leave: Option<NaiveDate>, m: Month) -> f64 {
    days_employed(hire, leave, m) as f64 / m.days() as f64
}

/// Whole months from the hire date to the last day of `m`: the largest k with
/// hire + k months ≤ that day (adding months clamps to the month's end). `None` before hire.
pub fn tenure_months(hire: NaiveDate, m: Month) -> Option<u32> {
    let end = m.last_day();
    if hire > end {
        return None;
    }
    // Start from the calendar difference, then step back while it overshoots.
    let approx = (m.year() - hire.year()) * 12 + m.month() as i32 - hire.month() as i32;
    let mut k = approx.max(0) as u32;
    while k > 0 && Month::add_months_clamped(hire, k) > end {
        k -= 1;
    }
    Some(k)
}

/// Whole months from `from` to `to` (0 when `to` is earlier): the largest k with `from` + k months
/// ≤ `to`, with the contract's month-end clamping (hired 31 January → 1 month on 28 February).
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let approx = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let mut k = approx.max(0) as u32;
    while k > 0 && Month::add_months_clamped(from, k) > to {
        k -= 1;
    }
    k
}

/// Tenure bands used by routing and analysis.
pub fn tenure_band(months: u32) -> &'static str {
    match months {
        0..=5 => "0-6m",
        6..=11 => "6-12m",
        12..=35 => "1-3y",
        _ => "3y+",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_months_count_the_day_of_month() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(whole_months(d("2026-01-20"), d("2026-03-19")), 1, "not yet two months");
        assert_eq!(whole_months(d("2026-01-20"), d("2026-03-20")), 2);
        assert_eq!(whole_months(d("2026-01-31"), d("2026-02-28")), 1, "month-end clamping");
        assert_eq!(whole_months(d("2026-03-01"), d("2026-02-01")), 0);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn mo(y: i32, m: u32) -> Month {
        Month::new(y, m).unwrap()
    }

    #[test]
    fn days_employed_excludes_leave_date() {
        assert_eq!(days_employed(d(2025, 3, 10), None, mo(2025, 3)), 22);
        assert_eq!(days_employed(d(2020, 1, 1), Some(d(2025, 3, 11)), mo(2025, 3)), 10);
        assert_eq!(days_employed(d(2020, 1, 1), Some(d(2025, 3, 1)), mo(2025, 3)), 0);
        assert_eq!(days_employed(d(2025, 4, 1), None, mo(2025, 3)), 0);
        assert!((fte(d(2025, 3, 17), None, mo(2025, 3)) - 15.0 / 31.0).abs() < 1e-12);
    }

    #[test]
    fn tenure_clamps_month_ends() {
        assert_eq!(tenure_months(d(2025, 1, 31), mo(2025, 2)), Some(1));
        assert_eq!(tenure_months(d(2025, 1, 31), mo(2025, 1)), Some(0));
        assert_eq!(tenure_months(d(2024, 10, 28), mo(2025, 3)), Some(5));
        assert_eq!(tenure_months(d(2021, 1, 12), mo(2025, 3)), Some(50));
        assert_eq!(tenure_months(d(2025, 4, 1), mo(2025, 3)), None);
    }
}
