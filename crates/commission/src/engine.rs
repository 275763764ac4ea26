//! One person, one period (the contract's steps 1–6): credit lines → rate → attainment →
//! tiering (whole or marginal) → override → cap. Adjustments are added by the caller.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use uplift_domain::{Lang, Money};

use crate::plan::{Plan, Tiering};

/// A credited deal (or payment) of one person in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditLine {
    pub opportunity_id: String,
    /// Close date (basis `signed`) or payment date (`collected`).
    pub date: NaiveDate,
    /// `amount × share`, in fen.
    pub credited_fen: i64,
    /// The deal's value of the plan's `rate_field`, if any.
    pub rate_value: Option<String>,
}

/// What one person brings to a period.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub credits: Vec<CreditLine>,
    /// The period's target in fen; `None` or 0: no tiers apply.
    pub target_fen: Option<i64>,
    /// Σ credited of the person's direct reports in the period (for the override).
    pub reports_credited_fen: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Deal,
    Payment,
    Override,
    Adjustment,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Deal => "deal",
            LineKind::Payment => "payment",
            LineKind::Override => "override",
            LineKind::Adjustment => "adjustment",
        }
    }
}

/// One part of a line lying in one band (marginal tiering), or the whole line (whole tiering).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BandPart {
    pub amount_fen: Decimal,
    pub multiplier: Decimal,
    pub band_from: Decimal,
    pub band_to: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayLine {
    pub kind: LineKind,
    pub opportunity_id: Option<String>,
    pub date: Option<NaiveDate>,
    pub credited_fen: i64,
    pub rate: Decimal,
    /// The line's effective multiplier: pay ÷ (credited × rate), 4 places (the parts say more).
    pub multiplier: Decimal,
    pub parts: Vec<BandPart>,
    /// Rounded half away from zero to the fen.
    pub pay_fen: i64,
    pub rate_value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub credited_fen: i64,
    pub target_fen: Option<i64>,
    /// Σ credited ÷ target, 4 places; `None` without a target.
    pub attainment: Option<Decimal>,
    pub lines: Vec<PayLine>,
    /// Σ line pay + override, before the cap.
    pub uncapped_fen: i64,
    /// After the cap, before adjustments.
    pub commission_fen: i64,
}

fn fen(d: Decimal) -> i64 {
    d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(if d.is_sign_negative() { i64::MIN } else { i64::MAX })
}

/// Computes one person's statement for a period under `plan`. Lines are taken in close (payment)
/// date order, then deal id, whatever order they arrive in, so the result never depends on the
/// order deals were imported in.
pub fn compute(plan: &Plan, input: &PersonInput, kind: LineKind) -> Statement {
    let mut credits: Vec<&CreditLine> = input.credits.iter().collect();
    credits.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| a.opportunity_id.cmp(&b.opportunity_id))
    });
    // Saturating: amounts come from files; a sum past i64 is nonsense, not a crash.
    let credited_fen: i64 = credits.iter().fold(0i64, |s, c| s.saturating_add(c.credited_fen));
    let target_fen = input.target_fen.filter(|t| *t > 0);
    let attainment = target_fen.map(|t| Decimal::from(credited_fen) / Decimal::from(t));
    // No target or no tiers: multiplier 1 for everything (step 3).
    let tiered = target_fen.filter(|_| !plan.tiers.is_empty());

    // Whole tiering: one band for every line, the one holding the period's attainment.
    let whole_band = tiered.and(attainment).and_then(|a| plan.tier_of(a));
    let mut lines = Vec::with_capacity(credits.len() + 1);
    let mut running = Decimal::ZERO;
    for c in credits {
        let rate = plan.rate_for(c.rate_value.as_deref());
        let amount = Decimal::from(c.credited_fen);
        let parts = match (tiered, plan.tiering) {
            (None, _) => vec![BandPart {
                amount_fen: amount,
                multiplier: Decimal::ONE,
                band_from: Decimal::ZERO,
                band_to: None,
            }],
            (Some(_), Tiering::Whole) => {
                let t = whole_band.expect("tiers and a target give a band");
                vec![BandPart {
                    amount_fen: amount,
                    multiplier: t.multiplier,
                    band_from: t.from,
                    band_to: t.to,
                }]
            }
            (Some(target), Tiering::Marginal) => marginal_parts(plan, Decimal::from(target), running, amount),
        };
        running += amount;
        // Checked: a line beyond Decimal's range pays the most it can rather than panicking.
        let exact: Decimal = parts
            .iter()
            .map(|p| {
                p.amount_fen
                    .checked_mul(rate)
                    .and_then(|x| x.checked_mul(p.multiplier))
                    .unwrap_or(Decimal::MAX)
            })
            .fold(Decimal::ZERO, |s, x| s.checked_add(x).unwrap_or(Decimal::MAX));
        let pay_fen = fen(exact);
        let base = amount * rate;
        let multiplier = if base.is_zero() {
            parts.first().map_or(Decimal::ONE, |p| p.multiplier)
        } else {
            (exact / base).round_dp(4)
        };
        lines.push(PayLine {
            kind,
            opportunity_id: Some(c.opportunity_id.clone()),
            date: Some(c.date),
            credited_fen: c.credited_fen,
            rate,
            multiplier,
            parts,
            pay_fen,
            rate_value: c.rate_value.clone(),
        });
    }
    if let Some(r) = plan.override_rate.filter(|r| !r.is_zero())
        && input.reports_credited_fen != 0
    {
        lines.push(PayLine {
            kind: LineKind::Override,
            opportunity_id: None,
            date: None,
            credited_fen: input.reports_credited_fen,
            rate: r,
            multiplier: Decimal::ONE,
            parts: Vec::new(),
            pay_fen: fen(Decimal::from(input.reports_credited_fen) * r),
            rate_value: None,
        });
    }
    let uncapped_fen: i64 = lines.iter().fold(0i64, |s, l| s.saturating_add(l.pay_fen));
    let commission_fen = plan.cap_fen.map_or(uncapped_fen, |cap| uncapped_fen.min(cap));
    Statement {
        credited_fen,
        target_fen,
        attainment: attainment.map(|a| a.round_dp(4)),
        lines,
        uncapped_fen,
        commission_fen,
    }
}

/// The parts of the amount interval `[start, start + amount)` in each band `[from × target,
/// to × target)`. A negative amount (a reversal) walks back down the bands, negatively.
fn marginal_parts(plan: &Plan, target: Decimal, start: Decimal, amount: Decimal) -> Vec<BandPart> {
    let (lo, hi, sign) = if amount >= Decimal::ZERO {
        (start, start + amount, Decimal::ONE)
    } else {
        (start + amount, start, -Decimal::ONE)
    };
    let last = plan.tiers.len() - 1;
    let mut parts = Vec::new();
    for (i, t) in plan.tiers.iter().enumerate() {
        let band_lo = t.from * target;
        // Above the last band's end its multiplier goes on (see `Plan::tier_of`).
        let band_hi = if i == last { None } else { t.to.map(|to| to * target) };
        let from = lo.max(band_lo);
        let to = band_hi.map_or(hi, |b| hi.min(b));
        if to > from {
            parts.push(BandPart {
                amount_fen: (to - from) * sign,
                multiplier: t.multiplier,
                band_from: t.from,
                band_to: t.to,
            });
        }
    }
    if parts.is_empty() {
        parts.push(BandPart {
            amount_fen: Decimal::ZERO,
            multiplier: Decimal::ZERO,
            band_from: Decimal::ZERO,
            band_to: None,
        });
    }
    parts
}

impl BandPart {
    /// Parts as compact text for storage: `amount*multiplier@from-to` joined by `;` (`to` empty
    /// when open-ended), e.g. `2000000*0@0-0.5;7000000*1@0.5-1`.
    pub fn encode(parts: &[BandPart]) -> String {
        let mut out = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(&format!(
                "{}*{}@{}-{}",
                p.amount_fen.normalize(),
                p.multiplier.normalize(),
                p.band_from.normalize(),
                p.band_to.map(|t| t.normalize().to_string()).unwrap_or_default()
            ));
        }
        out
    }

    /// The parts back from [`BandPart::encode`]; `None` when the text is not such a list.
    pub fn decode(text: &str) -> Option<Vec<BandPart>> {
        if text.is_empty() {
            return Some(Vec::new());
        }
        text.split(';')
            .map(|part| {
                let (amount, rest) = part.split_once('*')?;
                let (multiplier, band) = rest.split_once('@')?;
                let (from, to) = band.split_once('-')?;
                Some(BandPart {
                    amount_fen: amount.parse().ok()?,
                    multiplier: multiplier.parse().ok()?,
                    band_from: from.parse().ok()?,
                    band_to: if to.is_empty() { None } else { Some(to.parse().ok()?) },
                })
            })
            .collect()
    }
}

fn pct(d: Decimal) -> String {
    let p = (d * Decimal::ONE_HUNDRED).round_dp(2).normalize();
    format!("{p}%")
}

/// An amount in fen as yuan with separators and no sign: `90,000`, `1,234.5`.
fn yuan(fen_amount: Decimal) -> String {
    let v = (fen_amount / Decimal::ONE_HUNDRED).round_dp(2);
    let shown = Money::from_decimal(v)
        .map(|m| m.display_cny())
        .unwrap_or_else(|| v.to_string());
    shown.replace('¥', "").trim_end_matches(".00").to_string()
}

fn band(from: Decimal, to: Option<Decimal>) -> String {
    match to {
        Some(to) => format!("{}–{}", pct(from), pct(to)),
        None => format!("≥{}", pct(from)),
    }
}

impl PayLine {
    /// The line in words: "90,000 × 5%（New Customer）× 1.0 = 4,500", per band part for marginal
    /// lines, with the band each part lies in.
    pub fn explain(&self, lang: Lang) -> String {
        if self.kind == LineKind::Override {
            let (lhs, what) = match lang {
                Lang::Zh => (yuan(Decimal::from(self.credited_fen)), "直属下级业绩 × 管理提成比例"),
                Lang::En => (
                    yuan(Decimal::from(self.credited_fen)),
                    "direct reports' credit × override rate",
                ),
            };
            return format!(
                "{lhs} × {} = {}（{what}）",
                pct(self.rate),
                yuan(Decimal::from(self.pay_fen))
            );
        }
        let label = self
            .rate_value
            .as_deref()
            .map(|v| match lang {
                Lang::Zh => format!("（{v}）"),
                Lang::En => format!(" ({v})"),
            })
            .unwrap_or_default();
        let terms: Vec<String> = self
            .parts
            .iter()
            .map(|p| {
                let band = if p.band_to.is_none() && p.band_from.is_zero() {
                    String::new()
                } else {
                    match lang {
                        Lang::Zh => format!("［{}档］", band(p.band_from, p.band_to)),
                        Lang::En => format!(" [band {}]", band(p.band_from, p.band_to)),
                    }
                };
                format!(
                    "{} × {}{label} × {}{band}",
                    yuan(p.amount_fen),
                    pct(self.rate),
                    p.multiplier.normalize()
                )
            })
            .collect();
        format!("{} = {}", terms.join(" + "), yuan(Decimal::from(self.pay_fen)))
    }
}

impl Statement {
    /// "达成率 85%，处于 50%–100% 档" / "attainment 85%, in the 50%–100% band"; no target: says so.
    pub fn explain_attainment(&self, plan: &Plan, lang: Lang) -> String {
        standing(plan, self.attainment, lang)
    }
}

/// Where an attainment stands in a plan's bands, in words (see [`Statement::explain_attainment`]).
pub fn standing(plan: &Plan, attainment: Option<Decimal>, lang: Lang) -> String {
    match (attainment, lang) {
        (None, Lang::Zh) => "无目标：不分档，系数 1".into(),
        (None, Lang::En) => "no target: no bands, multiplier 1".into(),
        (Some(a), _) => {
            let b = plan.tier_of(a).map(|t| band(t.from, t.to)).unwrap_or_default();
            match lang {
                Lang::Zh if b.is_empty() => format!("达成率 {}", pct(a)),
                Lang::Zh => format!("达成率 {}，处于 {b} 档", pct(a)),
                Lang::En if b.is_empty() => format!("attainment {}", pct(a)),
                Lang::En => format!("attainment {}, in the {b} band", pct(a)),
            }
        }
    }
}

#[cfg(test)]
mod tests;
