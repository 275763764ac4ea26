//! Individual income tax (reference §1–§3): cumulative withholding on wages, the annual one-off
//! bonus taxed separately, labour remuneration, non-residents.

use crate::policy::{Band, TaxPolicy};
use crate::rate::mul_fen;
use serde::Serialize;

/// What has accumulated this tax year at this employer, up to and including a month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cumulative {
    pub income: i64,
    pub basic: i64,
    /// 专项扣除: the employee's 三险一金.
    pub special: i64,
    pub special_additional: i64,
    pub other: i64,
    /// Tax due on the cumulative taxable income (rounded to the fen each month).
    pub tax: i64,
    /// Tax actually withheld (never refunded within the year).
    pub withheld: i64,
}

impl Cumulative {
    /// 累计应纳税所得额 (may be negative).
    pub fn taxable(&self) -> i64 {
        self.income - self.basic - self.special - self.special_additional - self.other
    }
}

/// How the basic deduction accumulates (reference §1.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BasicRule {
    /// 5,000 per month employed here this year.
    #[default]
    Monthly,
    /// First job of the year (2020 No.13): 5,000 × calendar month.
    FirstJobThisYear,
    /// Prior year ≤ 60,000 at this employer (2020 No.19): 60,000 from January.
    SixtyThousand,
}

/// One month's wage figures entering the cumulative computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WageMonth {
    /// 1 = January.
    pub month: u32,
    pub income: i64,
    pub special: i64,
    /// The cumulative entitlement through this month (late declarations catch up).
    pub special_additional_cum: i64,
    pub other: i64,
    pub basic_rule: BasicRule,
}

/// The month's result: the new cumulative figures, the band applied, the amount withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WageTax {
    pub cum: Cumulative,
    pub band: Band,
    pub withheld: i64,
}

/// 累计预扣法 (61号 art.6): tax on the cumulative taxable income, less what was withheld before,
/// never negative.
#[inline]
pub fn cumulative_withholding(policy: &TaxPolicy, prior: &Cumulative, m: WageMonth) -> WageTax {
    let basic = match m.basic_rule {
        BasicRule::Monthly => prior.basic + policy.basic_deduction_monthly,
        BasicRule::FirstJobThisYear => {
            (policy.basic_deduction_monthly * i64::from(m.month)).max(prior.basic + policy.basic_deduction_monthly)
        }
        BasicRule::SixtyThousand => (policy.basic_deduction_monthly * 12).max(prior.basic),
    };
    let mut cum = Cumulative {
        income: prior.income + m.income,
        basic,
        special: prior.special + m.special,
        special_additional: m.special_additional_cum,
        other: prior.other + m.other,
        tax: 0,
        withheld: 0,
    };
    let taxable = cum.taxable();
    let band = *policy.annual_table.band(taxable.max(0));
    cum.tax = if taxable > 0 {
        (mul_fen(taxable, band.rate) - band.quick_deduction).max(0)
    } else {
        0
    };
    let withheld = (cum.tax - prior.withheld).max(0);
    cum.withheld = prior.withheld + withheld;
    WageTax { cum, band, withheld }
}

/// Non-residents: the monthly table on wage − 5,000, no cumulation, no SI relief.
pub fn non_resident_wage_tax(policy: &TaxPolicy, gross: i64) -> (i64, Band) {
    let taxable = gross - policy.basic_deduction_monthly;
    (
        policy.monthly_table.tax(taxable),
        *policy.monthly_table.band(taxable.max(0)),
    )
}

/// The band an annual bonus falls in when taxed separately: chosen by bonus / 12.
pub fn bonus_band(policy: &TaxPolicy, bonus: i64) -> Band {
    // bonus / 12 ≤ limit  ⇔  bonus ≤ 12 × limit; no division, so no rounding at the seams.
    *policy
        .monthly_table
        .0
        .iter()
        .find(|b| b.up_to.is_none_or(|u| bonus <= 12 * u))
        .unwrap_or_else(|| policy.monthly_table.0.last().expect("checked table"))
}

/// 全年一次性奖金单独计税: bonus × rate − quick deduction, the deduction taken once.
pub fn bonus_separate_tax(policy: &TaxPolicy, bonus: i64) -> i64 {
    if bonus <= 0 {
        return 0;
    }
    let b = bonus_band(policy, bonus);
    (mul_fen(bonus, b.rate) - b.quick_deduction).max(0)
}

/// The "more bonus, less pay" zones (盲区) of separate taxation: `(from, to]` in fen, where a
/// bonus nets less than one of `from`. Computed from the table, so a new table moves them.
pub fn bonus_zones(policy: &TaxPolicy) -> Vec<(i64, i64)> {
    zones(policy).collect()
}

fn zones(policy: &TaxPolicy) -> impl Iterator<Item = (i64, i64)> + '_ {
    policy.monthly_table.0.windows(2).filter_map(|w| {
        let from = 12 * w[0].up_to?;
        let net_at_seam = from - bonus_separate_tax(policy, from);
        // y − (y × r − qd) = net  ⇔  y = (net − qd) / (1 − r), to the nearest fen.
        let num = i128::from(net_at_seam - w[1].quick_deduction) * 1_000_000;
        let den = i128::from(1_000_000 - w[1].rate.0);
        Some((from, ((2 * num + den) / (2 * den)) as i64))
    })
}

/// The zone a separately taxed bonus lies in, if any.
pub fn bonus_zone(policy: &TaxPolicy, bonus: i64) -> Option<(i64, i64)> {
    zones(policy).find(|(from, to)| bonus > *from && bonus <= *to)
}

/// 劳务报酬 withheld per payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LabourTax {
    /// 应纳税所得额 (收入额 after the 800 / 20% reduction).
    pub income_amount: i64,
    pub band: Band,
    pub tax: i64,
}

/// Residents (61号 table 2): income amount = gross − 800 up to 4,000, else gross × 80%.
pub fn labour_tax_resident(policy: &TaxPolicy, gross: i64) -> LabourTax {
    let income_amount = if gross <= policy.labour_small_threshold {
        (gross - policy.labour_small_deduction).max(0)
    } else {
        mul_fen(gross, policy.labour_ratio)
    };
    LabourTax {
        income_amount,
        band: *policy.labour_table.band(income_amount),
        tax: policy.labour_table.tax(income_amount),
    }
}

/// Non-residents: gross × 80% on the monthly table, final.
pub fn labour_tax_non_resident(policy: &TaxPolicy, gross: i64) -> LabourTax {
    let income_amount = mul_fen(gross, policy.labour_ratio);
    LabourTax {
        income_amount,
        band: *policy.monthly_table.band(income_amount),
        tax: policy.monthly_table.tax(income_amount),
    }
}
