//! Money as integer fen (1/100 yuan). Never floating point for amounts that are paid or totalled.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in fen (分). `Money(123456)` is ¥1,234.56.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Money(pub i64);

impl Money {
    /// Converts an exact decimal amount of yuan, rounding half away from zero to the fen.
    /// `None` when the amount does not fit.
    pub fn from_decimal(yuan: Decimal) -> Option<Money> {
        // checked: rust_decimal panics on overflow, and amounts come from user files.
        let fen = yuan.checked_mul(Decimal::from(100))?;
        fen.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .map(Money)
    }

    /// The amount in yuan as an exact decimal.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Yuan as `f64`, for statistics only.
    pub fn yuan_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// Chinese display with the yuan sign and thousands separators: `¥1,234.56`.
    pub fn display_cny(self) -> String {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        format!(
            "{}¥{}.{:02}",
            if neg { "-" } else { "" },
            group_thousands(abs / 100),
            abs % 100
        )
    }
}

/// A whole number with thousands separators: 1234567 → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// A figure in whole units, rounded, with thousands separators and a sign: -1500.4 → `-1,500`.
pub fn whole_with_separators(v: f64) -> String {
    let r = v.round();
    let s = group_thousands(r.abs() as u64);
    if r < 0.0 { format!("-{s}") } else { s }
}

impl fmt::Display for Money {
    /// Plain yuan with two decimals, `1234.56`, the form used in CSV and JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn converts_and_displays() {
        let m = Money::from_decimal(Decimal::from_str("1234.565").unwrap()).unwrap();
        assert_eq!(m, Money(123457));
        assert_eq!(m.to_string(), "1234.57");
        assert_eq!(Money(123456789).display_cny(), "¥1,234,567.89");
        assert_eq!(Money(-5).display_cny(), "-¥0.05");
        assert_eq!(Money(7820000).to_string(), "78200.00");
        assert_eq!(
            Money::from_decimal(Decimal::from_str("79228162514264337593543950335").unwrap()),
            None,
            "no panic"
        );
        assert_eq!(
            Money::from_decimal(Decimal::from_str("1e20").unwrap()),
            None,
            "beyond i64 fen"
        );
    }
}
