//! Display rules: money with the company currency's symbol, Chinese month labels, escaping.

use chrono::TimeZone;
use uplift_domain::{Lang, Money, Month};

/// Escapes text for HTML (templates escape by themselves; this is for hand-built bodies).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The symbol shown before amounts of a currency.
pub fn currency_symbol(code: &str) -> &'static str {
    match code {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "JP¥",
        "HKD" => "HK$",
        _ => "¥",
    }
}

/// `¥1,234.50` from fen; grouping by thousands as Chinese finance writes it.
pub fn money_fen(fen: i64, symbol: &str) -> String {
    Money(fen).display_cny().replacen('¥', symbol, 1)
}

/// Money from yuan (metric values are stored in yuan as floats).
pub fn money_yuan(v: Option<f64>, symbol: &str) -> String {
    match v {
        Some(x) if x.is_finite() => money_fen((x * 100.0).round() as i64, symbol),
        _ => "—".into(),
    }
}

pub fn percent(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.1}%", x * 100.0),
        _ => "—".into(),
    }
}

pub fn number(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.decimals$}"),
        _ => "—".into(),
    }
}

/// `2026年3月` in Chinese, `2026-03` in English.
pub fn month_label(m: Month, lang: Lang) -> String {
    match lang {
        Lang::Zh => m.label_zh(),
        Lang::En => m.to_string(),
    }
}

/// A Unix time as a local date and time in the company zone.
pub fn datetime(ts: i64, tz: chrono_tz::Tz) -> String {
    match tz.timestamp_opt(ts, 0).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_labels_follow_chinese_conventions() {
        assert_eq!(money_fen(123456789, "¥"), "¥1,234,567.89");
        assert_eq!(money_yuan(Some(-1500.0), "$"), "-$1,500.00");
        assert_eq!(money_yuan(None, "¥"), "—");
        assert_eq!(month_label(Month::new(2026, 3).unwrap(), Lang::Zh), "2026年3月");
        assert_eq!(month_label(Month::new(2026, 3).unwrap(), Lang::En), "2026-03");
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(url_encode("/people/E 1?x"), "/people/E%201%3Fx");
        assert_eq!(percent(Some(0.1234)), "12.3%");
    }
}
