//! Looking ahead from a statement: the next band and what it takes to reach it, and what one more
//! deal would pay if won in the period (the estimator). Both are the engine run again, so they can
//! never disagree with the statement the run will write.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use uplift_domain::Lang;

use crate::engine::{CreditLine, LineKind, PersonInput, compute};
use crate::plan::{Plan, Tier, Tiering};

/// The band above the person's attainment and the credit still missing to enter it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextTier {
    pub from: Decimal,
    pub multiplier: Decimal,
    /// Credit (fen) still needed: `from × target − credited`, rounded up to the fen.
    pub needed_fen: i64,
}

/// The next band with a higher start than the credited amount reaches; `None` without a target,
/// without tiers, or in the top band.
pub fn next_tier(plan: &Plan, credited_fen: i64, target_fen: Option<i64>) -> Option<NextTier> {
    let target = Decimal::from(target_fen.filter(|t| *t > 0)?);
    let credited = Decimal::from(credited_fen);
    plan.tiers
        .iter()
        .find(|t| t.from * target > credited)
        .map(|t| NextTier {
            from: t.from,
            multiplier: t.multiplier,
            needed_fen: (t.from * target - credited).ceil().to_i64().unwrap_or(i64::MAX),
        })
}

/// What one more deal would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// Commission after − before (after the cap), fen.
    pub added_fen: i64,
    pub attainment_before: Option<Decimal>,
    pub attainment_after: Option<Decimal>,
    /// The band the period's attainment lies in after the deal, when it is another than before.
    pub new_band: Option<Tier>,
    /// The cap holds the commission back.
    pub capped: bool,
}

/// What `deal` would add to the person's commission if won in the period as it stands.
pub fn estimate(plan: &Plan, input: &PersonInput, deal: CreditLine) -> Estimate {
    let before = compute(plan, input, LineKind::Deal);
    let mut with = input.clone();
    with.credits.push(deal);
    let after = compute(plan, &with, LineKind::Deal);
    let band = |a: Option<Decimal>| a.and_then(|a| plan.tier_of(a)).cloned();
    let (was, now) = (band(before.attainment), band(after.attainment));
    Estimate {
        added_fen: after.commission_fen - before.commission_fen,
        attainment_before: before.attainment,
        attainment_after: after.attainment,
        new_band: if now != was { now } else { None },
        capped: after.uncapped_fen > after.commission_fen,
    }
}

/// One point of a plan's tier curve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurvePoint {
    pub attainment: Decimal,
    /// The multiplier of the band holding this attainment.
    pub multiplier: Decimal,
    /// What the whole credit up to this attainment earns on average: the band's multiplier under
    /// whole tiering, the credit-weighted mean of the bands passed under marginal tiering.
    pub average: Decimal,
}

/// The tier curve from 0 to `until` attainment in steps of `step` (both > 0), for drawing.
pub fn curve(plan: &Plan, step: Decimal, until: Decimal) -> Vec<CurvePoint> {
    let mut out = Vec::new();
    if step <= Decimal::ZERO || plan.tiers.is_empty() {
        return out;
    }
    let last = plan.tiers.len() - 1;
    let mut a = Decimal::ZERO;
    while a <= until {
        let m = plan.tier_of(a).map_or(Decimal::ONE, |t| t.multiplier);
        let average = match plan.tiering {
            Tiering::Whole => m,
            Tiering::Marginal if a.is_zero() => m,
            Tiering::Marginal => {
                let earned: Decimal = plan
                    .tiers
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let hi = if i == last { a } else { t.to.map_or(a, |to| to.min(a)) };
                        (hi - t.from).max(Decimal::ZERO) * t.multiplier
                    })
                    .sum();
                (earned / a).round_dp(4)
            }
        };
        out.push(CurvePoint {
            attainment: a,
            multiplier: m,
            average,
        });
        a += step;
    }
    out
}

fn pct(d: Decimal) -> String {
    format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(0).normalize())
}

fn band_words(t: &Tier, lang: Lang) -> String {
    let range = match t.to {
        Some(to) => format!("{}–{}", pct(t.from), pct(to)),
        None => format!("≥{}", pct(t.from)),
    };
    let m = t.multiplier.normalize();
    match lang {
        Lang::Zh if t.multiplier > Decimal::ONE => format!("进入加速档（{range}，×{m}）"),
        Lang::Zh => format!("进入 {range} 档（×{m}）"),
        Lang::En if t.multiplier > Decimal::ONE => format!("enters the accelerator ({range}, ×{m})"),
        Lang::En => format!("enters the {range} band (×{m})"),
    }
}

impl Estimate {
    /// "赢下此单：+¥6,300，达成率升至 104%，进入加速档（≥100%，×1.4）".
    pub fn explain(&self, lang: Lang) -> String {
        let money = uplift_domain::Money(self.added_fen).display_cny();
        let mut s = match lang {
            Lang::Zh => format!("赢下此单：+{money}"),
            Lang::En => format!("If won: +{money}"),
        };
        if let Some(a) = self.attainment_after {
            s.push_str(&match lang {
                Lang::Zh => format!("，达成率升至 {}", pct(a)),
                Lang::En => format!(", attainment rises to {}", pct(a)),
            });
        }
        if let Some(t) = &self.new_band {
            s.push_str(lang.pick("，", ", "));
            s.push_str(&band_words(t, lang));
        }
        if self.attainment_after.is_none() {
            s.push_str(lang.pick("（本期没有目标，不分档）", " (no target this period: no bands)"));
        }
        if self.capped {
            s.push_str(lang.pick("（已达封顶）", " (at the cap)"));
        }
        s
    }
}

impl NextTier {
    /// "再签 ¥30,000 进入加速档（≥100%，×1.4）".
    pub fn explain(&self, lang: Lang) -> String {
        let money = uplift_domain::Money(self.needed_fen).display_cny();
        let t = Tier {
            from: self.from,
            to: None,
            multiplier: self.multiplier,
        };
        let band = band_words(&t, lang);
        match lang {
            Lang::Zh => format!("再签 {money} {band}"),
            Lang::En => format!("{money} more {band}"),
        }
    }
}

#[cfg(test)]
// Amounts in fen are written yuan_fen: 30_000_00 is ¥30,000.00.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    // The contract's plan (its worked example's bands, rates and cap).
    use crate::plan::tests::CONTRACT_PLAN as PLAN;

    fn line(id: &str, day: u32, yuan: i64, ty: &str) -> CreditLine {
        CreditLine {
            opportunity_id: id.into(),
            date: NaiveDate::from_ymd_opt(2026, 8, day).unwrap(),
            credited_fen: yuan * 100,
            rate_value: Some(ty.into()),
        }
    }

    fn person(lines: Vec<CreditLine>) -> PersonInput {
        PersonInput {
            credits: lines,
            target_fen: Some(200_000_00),
            reports_credited_fen: 0,
        }
    }

    #[test]
    fn the_worked_examples_third_deal_is_estimated_as_the_run_pays_it() {
        // Worked example: after 80,000 and 90,000 (commission 3,500), the 70,000 Renewal adds
        // 900 + 1,680 = 2,580 and takes attainment from 85% to 120%, into the ×1.4 band.
        let plan = Plan::parse(PLAN).unwrap();
        let p = person(vec![
            line("A", 3, 80_000, "Renewal"),
            line("B", 10, 90_000, "New Customer"),
        ]);
        let e = estimate(&plan, &p, line("C", 20, 70_000, "Renewal"));
        assert_eq!(e.added_fen, 2_580_00);
        assert_eq!(e.attainment_before, Some("0.85".parse().unwrap()));
        assert_eq!(e.attainment_after, Some("1.2".parse().unwrap()));
        assert_eq!(e.new_band.as_ref().map(|t| t.multiplier), Some("1.4".parse().unwrap()));
        assert!(!e.capped);
        assert_eq!(
            e.explain(Lang::Zh),
            "赢下此单：+¥2,580.00，达成率升至 120%，进入加速档（≥100%，×1.4）"
        );
        // A small deal that stays in the band says nothing of bands.
        let small = estimate(&plan, &p, line("D", 21, 1_000, "Renewal"));
        assert_eq!(small.added_fen, 30_00);
        assert_eq!(small.new_band, None);
    }

    #[test]
    fn an_estimate_is_held_back_by_the_cap() {
        let plan = Plan::parse(PLAN).unwrap();
        // 2,000,000 New Customer: far past the 50,000 cap.
        let p = person(vec![line("A", 3, 2_000_000, "New Customer")]);
        let e = estimate(&plan, &p, line("B", 4, 100_000, "New Customer"));
        assert_eq!(e.added_fen, 0);
        assert!(e.capped);
        assert!(e.explain(Lang::En).ends_with("(at the cap)"), "{}", e.explain(Lang::En));
    }

    #[test]
    fn the_tier_curve_averages_the_bands_passed_under_marginal_tiering() {
        let plan = Plan::parse(PLAN).unwrap();
        let pts = curve(&plan, "0.5".parse().unwrap(), "1.5".parse().unwrap());
        let got: Vec<(String, String, String)> = pts
            .iter()
            .map(|p| {
                (
                    p.attainment.normalize().to_string(),
                    p.multiplier.normalize().to_string(),
                    p.average.normalize().to_string(),
                )
            })
            .collect();
        // At 150%: 50% at ×0, 50% at ×1, 50% at ×1.4 → 2.4 / 1.5 = 1.6 / … = 0.8.
        let want = [
            ("0", "0", "0"),
            ("0.5", "1", "0"),
            ("1", "1.4", "0.5"),
            ("1.5", "1.4", "0.8"),
        ];
        assert_eq!(got, want.map(|(a, m, v)| (a.to_string(), m.to_string(), v.to_string())));
        let whole = Plan::parse(&PLAN.replace("tiering = \"marginal\"", "tiering = \"whole\"")).unwrap();
        let w = curve(&whole, "0.5".parse().unwrap(), "1.5".parse().unwrap());
        assert!(w.iter().all(|p| p.average == p.multiplier));
    }

    #[test]
    fn the_next_band_and_what_it_takes() {
        let plan = Plan::parse(PLAN).unwrap();
        // 170,000 of 200,000: 30,000 to the accelerator.
        let n = next_tier(&plan, 170_000_00, Some(200_000_00)).unwrap();
        assert_eq!(n.needed_fen, 30_000_00);
        assert_eq!(n.multiplier, "1.4".parse().unwrap());
        assert_eq!(n.explain(Lang::Zh), "再签 ¥30,000.00 进入加速档（≥100%，×1.4）");
        // Below the threshold the next band is the one that starts paying.
        let n = next_tier(&plan, 0, Some(200_000_00)).unwrap();
        assert_eq!((n.needed_fen, n.from), (100_000_00, "0.5".parse().unwrap()));
        // In the top band, or without a target, there is none.
        assert_eq!(next_tier(&plan, 250_000_00, Some(200_000_00)), None);
        assert_eq!(next_tier(&plan, 100, None), None);
        // Not a whole fen away: rounded up, so reaching it really does enter the band.
        let n = next_tier(&plan, 0, Some(3)).unwrap();
        assert_eq!(n.needed_fen, 2);
    }
}
