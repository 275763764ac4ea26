//! China's working-day calendar: weekends, statutory holidays and make-up workdays (调休), as a
//! data table per year (docs/reference/payroll-cn.md §5.3). Years without a table fall back to
//! Monday–Friday.

use chrono::{Datelike, NaiveDate, Weekday};

/// (month, day).
type MonthDay = (u32, u32);

/// 2026, 国办发明电〔2025〕7号: days off (inclusive ranges) and make-up workdays.
const OFF_2026: &[(MonthDay, MonthDay)] = &[
    ((1, 1), (1, 3)),
    ((2, 15), (2, 23)),
    ((4, 4), (4, 6)),
    ((5, 1), (5, 5)),
    ((6, 19), (6, 21)),
    ((9, 25), (9, 27)),
    ((10, 1), (10, 7)),
];
const WORK_2026: &[MonthDay] = &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)];

/// Whether the year has an official table here.
pub fn has_calendar(year: i32) -> bool {
    year == 2026
}

/// Whether `day` is a working day in mainland China.
pub fn is_workday(day: NaiveDate) -> bool {
    let md = (day.month(), day.day());
    if day.year() == 2026 {
        if WORK_2026.contains(&md) {
            return true;
        }
        if OFF_2026.iter().any(|&(from, to)| md >= from && md <= to) {
            return false;
        }
    }
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn holidays_and_make_up_days_of_2026() {
        assert!(!is_workday(d(10, 5)), "国庆 is off");
        assert!(is_workday(d(10, 10)), "Saturday Oct 10 is a make-up workday");
        assert!(is_workday(d(2, 14)), "Saturday Feb 14 is a make-up workday");
        assert!(!is_workday(d(2, 18)), "春节");
        assert!(!is_workday(d(11, 28)), "an ordinary Saturday");
        assert!(is_workday(d(11, 27)), "an ordinary Friday");
        // 248 working days in 2026.
        let n = d(1, 1)
            .iter_days()
            .take_while(|x| x.year() == 2026)
            .filter(|x| is_workday(*x))
            .count();
        assert_eq!(n, 248);
    }
}
