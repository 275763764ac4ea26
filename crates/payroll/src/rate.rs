//! Integer arithmetic for money and rates. A whole year of a 100,000-person company is 1.2 million
//! person-months, so the engine works on integers: money in fen, rates in parts per million,
//! days in hundredths. Amounts are bounded by [`MAX_FEN`] so every product fits an `i64`.

use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

/// The largest amount the engine takes in one item: 1 billion yuan. A year's cumulative figures
/// stay below 20 × `MAX_FEN`, and that × 1,000,000 (a rate in ppm) still fits an `i64`.
pub const MAX_FEN: i64 = 100_000_000_000;

/// A rate in parts per million: 8% is `Rate(80_000)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Rate(pub i64);

impl Rate {
    pub const ZERO: Rate = Rate(0);

    /// `0.08`, `8%` → 80,000 ppm. `None` when the value is not a number, is negative, above 1,
    /// or finer than one part per million.
    pub fn parse(text: &str) -> Option<Rate> {
        let t = text.trim();
        let d = match t.strip_suffix('%') {
            Some(p) => Decimal::from_str(p.trim()).ok()? / Decimal::from(100),
            None => Decimal::from_str(t).ok()?,
        };
        Rate::from_decimal(d)
    }

    pub fn from_decimal(d: Decimal) -> Option<Rate> {
        if d.is_sign_negative() || d > Decimal::ONE {
            return None;
        }
        let ppm = d.checked_mul(Decimal::from(1_000_000))?;
        if ppm.fract() != Decimal::ZERO {
            return None;
        }
        i64::try_from(ppm).ok().map(Rate)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 6).normalize()
    }

    /// `8%`, `0.2%`, `9.8%`.
    pub fn percent(self) -> String {
        format!("{}%", (Decimal::new(self.0, 4)).normalize())
    }
}

/// How an amount is rounded (reference §4.1): to the fen, jiao or yuan, half up or (jiao) up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    HalfUpFen,
    CeilJiao,
    HalfUpJiao,
    HalfUpYuan,
}

impl Rounding {
    /// `amount_fen × rate`, rounded. `amount_fen` is non-negative and at most [`MAX_FEN`].
    pub fn apply(self, amount_fen: i64, rate: Rate) -> i64 {
        let n = amount_fen * rate.0;
        // Literal divisors: the compiler turns them into multiplications (a payroll run does
        // eleven of these per person and month).
        match self {
            Rounding::HalfUpFen => (n + 500_000) / 1_000_000,
            Rounding::CeilJiao => (n + 9_999_999) / 10_000_000 * 10,
            Rounding::HalfUpJiao => (n + 5_000_000) / 10_000_000 * 10,
            Rounding::HalfUpYuan => (n + 50_000_000) / 100_000_000 * 100,
        }
    }

    pub fn label(self, lang: uplift_domain::Lang) -> &'static str {
        use uplift_domain::Lang::*;
        match (self, lang) {
            (Rounding::HalfUpFen, Zh) => "四舍五入到分",
            (Rounding::CeilJiao, Zh) => "见分进角",
            (Rounding::HalfUpJiao, Zh) => "四舍五入到角",
            (Rounding::HalfUpYuan, Zh) => "四舍五入到元",
            (Rounding::HalfUpFen, En) => "half up to the fen",
            (Rounding::CeilJiao, En) => "up to the jiao",
            (Rounding::HalfUpJiao, En) => "half up to the jiao",
            (Rounding::HalfUpYuan, En) => "half up to the yuan",
        }
    }
}

/// `amount_fen × rate` rounded half up to the fen; `amount_fen` may be negative (half away from 0).
pub fn mul_fen(amount_fen: i64, rate: Rate) -> i64 {
    let n = amount_fen * rate.0;
    let q = (n.abs() + 500_000) / 1_000_000;
    if n < 0 { -q } else { q }
}

/// Yuan as an exact decimal → fen. `None` when finer than a fen or beyond [`MAX_FEN`].
pub fn fen_of(d: Decimal) -> Option<i64> {
    let f = d.checked_mul(Decimal::from(100))?;
    if f.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(f).ok().filter(|v| v.abs() <= MAX_FEN)
}

/// Yuan the way a payslip writes them: `55,500`, `1,203.3`, `-0.01`.
pub fn yuan(fen: i64) -> String {
    let neg = fen < 0;
    let abs = fen.unsigned_abs();
    let whole = abs / 100;
    let cents = abs % 100;
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = match cents {
        0 => String::new(),
        c if c % 10 == 0 => format!(".{}", c / 10),
        c => format!(".{c:02}"),
    };
    format!("{}{grouped}{frac}", if neg { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_fractions_or_percentages() {
        assert_eq!(Rate::parse("0.08"), Some(Rate(80_000)));
        assert_eq!(Rate::parse("9.8%"), Some(Rate(98_000)));
        assert_eq!(Rate::parse("0.002"), Some(Rate(2_000)));
        assert_eq!(Rate::parse("1.5"), None);
        assert_eq!(Rate::parse("-0.01"), None);
        assert_eq!(Rate::parse("0.0000001"), None);
        assert_eq!(Rate(98_000).percent(), "9.8%");
    }

    #[test]
    fn rounding_modes_follow_the_reference() {
        // Shanghai HF: 21,750 × 7% = 1,522.50 → 1,523 yuan.
        assert_eq!(Rounding::HalfUpYuan.apply(2_175_000, Rate(70_000)), 152_300);
        // 7,460 × 0.5% = 37.30 exactly; 7,461 × 0.5% = 37.305 → 37.31 (fen) / 37.4 (ceil jiao).
        assert_eq!(Rounding::HalfUpFen.apply(746_000, Rate(5_000)), 3_730);
        assert_eq!(Rounding::HalfUpFen.apply(746_100, Rate(5_000)), 3_731);
        assert_eq!(Rounding::CeilJiao.apply(746_100, Rate(5_000)), 3_740);
        assert_eq!(Rounding::HalfUpJiao.apply(746_100, Rate(5_000)), 3_730);
        assert_eq!(Rounding::CeilJiao.apply(746_000, Rate(5_000)), 3_730);
    }

    #[test]
    fn yuan_is_written_with_separators_and_no_empty_cents() {
        assert_eq!(yuan(5_550_000), "55,500");
        assert_eq!(yuan(120_330), "1,203.3");
        assert_eq!(yuan(-1), "-0.01");
        assert_eq!(yuan(0), "0");
        assert_eq!(mul_fen(-1_001, Rate(500_000)), -501);
    }
}
