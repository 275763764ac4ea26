//! Cell value parsers for the forms the import contract accepts.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Years a business date can have. Anything else (0001-01-01, 9999-12-31 placeholders) is an
/// error: one such value would stretch the metric table over millennia.
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::str::FromStr;
use uplift_domain::Money;
use uplift_domain::time::from_local;

/// Parses `2026-03-01`, `2026/3/1`, `2026.3.1`, `2026年3月1日`, `20260301`, and the date part of a
/// date-time. `extra` holds chrono formats from a mapping file, tried first.
pub fn parse_date(s: &str, extra: &[String]) -> Option<NaiveDate> {
    parse_date_any(s, extra).filter(|d| PLAUSIBLE_YEARS.contains(&d.year()))
}

fn parse_date_any(s: &str, extra: &[String]) -> Option<NaiveDate> {
    let t = s.trim();
    for f in extra {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d);
        }
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::from_ymd_opt(t[..4].parse().ok()?, t[4..6].parse().ok()?, t[6..].parse().ok()?);
    }
    // Cut a time part off ("2026-03-01T09:00:00Z", "2026/3/1 9:00").
    let date_part = t.split(['T', ' ']).next().unwrap_or(t);
    let mut nums = date_part
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty());
    let y: i32 = nums.next()?.parse().ok()?;
    let m: u32 = nums.next()?.parse().ok()?;
    let d: u32 = nums.next()?.parse().ok()?;
    if nums.next().is_some() || !(1000..=9999).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, d| a * 10 + (d - b'0') as u32))
}

/// Parses an ISO 8601 date-time: `2026-03-01T09:14:03.000+0000`, `…Z`, `…+08:00`, or without an
/// offset (then in the company zone `tz`), with `T` or a space; a bare date means local midnight.
pub fn parse_datetime(s: &str, tz: Tz, extra: &[String]) -> Option<DateTime<Utc>> {
    parse_datetime_any(s, tz, extra).filter(|t| PLAUSIBLE_YEARS.contains(&t.year()))
}

fn parse_datetime_any(s: &str, tz: Tz, extra: &[String]) -> Option<DateTime<Utc>> {
    let t = s.trim();
    for f in extra {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(from_local(n, tz));
        }
    }
    let b = t.as_bytes();
    // Fast path for the fixed ISO layout (Salesforce exports millions of these).
    if b.len() >= 16 && b[4] == b'-' && b[7] == b'-' && (b[10] == b'T' || b[10] == b' ') && b[13] == b':' {
        let date = NaiveDate::from_ymd_opt(digits(&b[0..4])? as i32, digits(&b[5..7])?, digits(&b[8..10])?)?;
        let hh = digits(&b[11..13])?;
        let mm = digits(&b[14..16])?;
        let mut i = 16;
        let mut ss = 0;
        let mut nanos = 0u32;
        if b.len() >= 19 && b[16] == b':' {
            ss = digits(&b[17..19])?;
            i = 19;
            if b.len() > i && (b[i] == b'.' || b[i] == b',') {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                let frac = &b[start..end.min(start + 9)];
                let v = digits(frac)?;
                nanos = v * 10u32.pow(9 - frac.len() as u32);
                i = end;
            }
        }
        let time = NaiveTime::from_hms_nano_opt(hh, mm, ss, nanos)?;
        let naive = date.and_time(time);
        let rest = &b[i..];
        return match rest {
            [] => Some(from_local(naive, tz)),
            [b'Z'] | [b'z'] => Some(naive.and_utc()),
            [sign @ (b'+' | b'-'), tail @ ..] => {
                let (oh, om) = match tail {
                    [h1, h2] => (digits(&[*h1, *h2])?, 0),
                    [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                    [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                    _ => return None,
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                let offset = (oh * 3600 + om * 60) as i64;
                let utc = naive.and_utc().timestamp() - if *sign == b'+' { offset } else { -offset };
                DateTime::from_timestamp(utc, nanos)
            }
            _ => None,
        };
    }
    // A bare date, or a date with a short time such as "2026/3/1 9:05".
    let (d, time) = match t.split_once(' ') {
        Some((d, time)) => (d, Some(time.trim())),
        None => (t, None),
    };
    let date = parse_date(d, &[])?;
    let time = match time {
        None => NaiveTime::MIN,
        Some(x) => NaiveTime::parse_from_str(x, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(x, "%H:%M"))
            .ok()?,
    };
    Some(from_local(date.and_time(time), tz))
}

/// `true/false`, `1/0`, `yes/no`, `y/n`, `是/否`, `t/f`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" | "是" | "真" => Some(true),
        "false" | "0" | "no" | "n" | "f" | "否" | "假" => Some(false),
        _ => None,
    }
}

/// `1234.5`, `1,234.50`, `¥1,234.50`, `￥1234`, `-12`, `1234元` → exact money.
pub fn parse_amount(s: &str) -> Option<Money> {
    let t = s.trim();
    let t = t.strip_suffix('元').unwrap_or(t);
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | '¥' | '￥' | ' ' | '\u{a0}'))
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let d = Decimal::from_str(&cleaned)
        .or_else(|_| Decimal::from_scientific(&cleaned))
        .ok()?;
    Money::from_decimal(d)
}

/// A finite number; thousands separators and a trailing `%` (→ fraction) are accepted.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let (t, pct) = match t.strip_suffix('%') {
        Some(x) => (x, true),
        None => (t, false),
    };
    let cleaned: String = t.chars().filter(|c| *c != ',').collect();
    let v: f64 = cleaned.parse().ok()?;
    v.is_finite().then_some(if pct { v / 100.0 } else { v })
}

/// A whole number; `12.0` is accepted (Excel writes integers as floats).
pub fn parse_int(s: &str) -> Option<i64> {
    let v = parse_number(s)?;
    (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uplift_domain::time::DEFAULT_TZ;

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        for s in [
            "2026-03-01",
            "2026/3/1",
            "2026年3月1日",
            "2026.3.1",
            "20260301",
            "2026-03-01T10:00:00Z",
            "2026/3/1 9:05",
        ] {
            assert_eq!(parse_date(s, &[]), Some(d), "{s}");
        }
        assert_eq!(parse_date("03/01/2026", &["%m/%d/%Y".into()]), Some(d));
        for s in [
            "2026-02-30",
            "2026-13-01",
            "yesterday",
            "",
            "3/1",
            "00010101",
            "0001-01-01",
            "9999-12-31",
        ] {
            assert_eq!(parse_date(s, &[]), None, "{s}");
        }
    }

    #[test]
    fn datetimes() {
        let want = DateTime::parse_from_rfc3339("2026-03-01T09:14:03Z")
            .unwrap()
            .with_timezone(&Utc);
        for s in [
            "2026-03-01T09:14:03.000+0000",
            "2026-03-01T09:14:03Z",
            "2026-03-01T17:14:03+08:00",
            "2026-03-01 17:14:03",
            "2026-03-01T17:14:03",
            "2026-03-01T04:14:03-05",
        ] {
            assert_eq!(parse_datetime(s, DEFAULT_TZ, &[]), Some(want), "{s}");
        }
        let midnight = parse_datetime("2026/3/1", DEFAULT_TZ, &[]).unwrap();
        assert_eq!(midnight.to_rfc3339(), "2026-02-28T16:00:00+00:00");
        assert_eq!(parse_datetime("2026-03-01T25:00:00Z", DEFAULT_TZ, &[]), None);
        assert_eq!(parse_datetime("0001-01-01T00:00:00Z", DEFAULT_TZ, &[]), None);
        assert_eq!(parse_datetime("2026-03-01T10:00:00+0x00", DEFAULT_TZ, &[]), None);
        let ms = parse_datetime("2026-03-01T09:14:03.250Z", DEFAULT_TZ, &[]).unwrap();
        assert_eq!(ms.timestamp_subsec_millis(), 250);
    }

    #[test]
    fn bools_amounts_numbers() {
        assert_eq!(parse_bool("是"), Some(true));
        assert_eq!(parse_bool("No"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_amount("¥1,234.50"), Some(Money(123450)));
        assert_eq!(parse_amount("￥1234"), Some(Money(123400)));
        assert_eq!(parse_amount("1234.5"), Some(Money(123450)));
        assert_eq!(parse_amount("12abc"), None);
        assert_eq!(
            parse_amount("1000000000000000000000000000"),
            None,
            "too large: an error, not a panic"
        );
        assert!((parse_number("96.7%").unwrap() - 0.967).abs() < 1e-12);
        assert_eq!(parse_int("12.0"), Some(12));
        assert_eq!(parse_int("12.5"), None);
        assert_eq!(parse_number("NaN"), None);
    }
}
