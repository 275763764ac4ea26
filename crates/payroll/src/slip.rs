//! One person, one month (contract "One person, one month"): gross, 五险一金, IIT on wages, the
//! annual bonus, net. Plain integers in, plain integers out: the run pays 100,000 people × 12
//! months in milliseconds, and [`crate::explain`] writes the formulas only for the payslip a
//! person opens.

use crate::iit::{self, BasicRule, Cumulative, WageMonth};
use crate::policy::{CityPolicy, TaxPolicy};
use crate::rate::{MAX_FEN, Rate};
use crate::si::{Contributions, RateOutOfRange, contributions};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxStatus {
    #[default]
    Resident,
    NonResident,
}

/// 单独计税 or 并入综合所得.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BonusMethod {
    #[default]
    Separate,
    Merged,
}

/// Everything the month's pay depends on, in fen (days in hundredths).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PayInput {
    /// 1 = January.
    pub month: u32,
    pub base_pay: i64,
    pub allowance: i64,
    pub overtime_pay: i64,
    pub performance_bonus: i64,
    pub commission: i64,
    pub other_pay: i64,
    /// Unpaid leave plus working days not employed (joiners, leavers), in hundredths of a day.
    pub absence_days_h: i64,
    /// 依法确定的其他扣除 of the month (enterprise annuity, health insurance …).
    pub other_pretax_deduction: i64,
    pub post_tax_deduction: i64,
    pub annual_bonus: i64,
    pub bonus_method: BonusMethod,
    /// Whether separate taxation is still in force for the pay date.
    pub bonus_separate_allowed: bool,
    pub si_base: i64,
    pub hf_base: i64,
    pub hf_rate: Option<Rate>,
    /// Re-employed pensioners pay no 五险一金.
    pub contributes: bool,
    pub tax_status: TaxStatus,
    pub basic_rule: BasicRule,
    /// Cumulative special additional entitlement through this month.
    pub special_additional_cum: i64,
    /// 五险一金补差 of earlier months the employee pays now (negative: refunded). Its tax effect is
    /// already in the prior position's 专项扣除, so here it only moves the net.
    pub si_backpay: i64,
    /// The employer's side of the same 补差 (cost only).
    pub si_backpay_employer: i64,
}

/// The month's pay, every figure in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Payslip {
    pub absence_deduction: i64,
    /// 应发: pay items less the absence deduction; the annual bonus is apart.
    pub gross: i64,
    pub contributions: Contributions,
    pub cum: Cumulative,
    /// Tax withheld on wages this month (without a merged bonus's share).
    pub iit_withheld: i64,
    /// The bonus method applied (merged when separate taxation has ended).
    pub bonus_method: BonusMethod,
    /// Tax on the annual bonus by the method applied.
    pub bonus_iit: i64,
    /// What the other method would have cost this month, to compare.
    pub bonus_iit_other: i64,
    /// The "more bonus, less pay" zone a separately taxed bonus lies in.
    pub bonus_zone: Option<(i64, i64)>,
    pub net: i64,
}

impl Payslip {
    pub fn iit_total(&self) -> i64 {
        self.iit_withheld + self.bonus_iit
    }
}

/// Why a month cannot be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    #[error(transparent)]
    HousingFundRate(#[from] RateOutOfRange),
    #[error("an amount is negative or beyond 1 billion yuan (a cumulative one beyond 12 billion)")]
    AmountOutOfRange,
    #[error("net pay would be negative ({net} fen)")]
    NegativeNet { net: i64 },
    #[error("the annual bonus of a non-resident is not computed here; pay it through pay_input other_pay")]
    NonResidentBonus,
    #[error("month {0} is not 1–12")]
    BadMonth(u32),
}

/// Pays one person for one month. `prior` is the cumulative position at the end of last month
/// (zero in January or at a new employer; the opening balance when Uplift starts mid-year).
pub fn pay(city: &CityPolicy, tax: &TaxPolicy, input: &PayInput, prior: &Cumulative) -> Result<Payslip, PayError> {
    if !(1..=12).contains(&input.month) {
        return Err(PayError::BadMonth(input.month));
    }
    let amounts = [
        input.base_pay,
        input.allowance,
        input.overtime_pay,
        input.performance_bonus,
        input.commission,
        input.other_pay,
        input.other_pretax_deduction,
        input.post_tax_deduction,
        input.annual_bonus,
        input.si_base,
        input.hf_base,
        input.special_additional_cum,
    ];
    let cumulative = [
        prior.income,
        prior.basic,
        prior.special,
        prior.special_additional,
        prior.other,
        prior.tax,
        prior.withheld,
    ];
    // As unsigned, a negative amount is huge: one comparison per value, no branches to vectorise.
    let largest = |v: &[i64]| v.iter().map(|a| *a as u64).max().unwrap_or(0);
    if largest(&amounts) > MAX_FEN as u64
        || largest(&cumulative) > 12 * MAX_FEN as u64
        || input.absence_days_h as u64 > 3100
        || input.si_backpay.unsigned_abs() > MAX_FEN as u64
        || input.si_backpay_employer.unsigned_abs() > MAX_FEN as u64
    {
        return Err(PayError::AmountOutOfRange);
    }
    let absence_deduction = absence_deduction(tax, input.base_pay + input.allowance, input.absence_days_h);
    let gross = input.base_pay
        + input.allowance
        + input.overtime_pay
        + input.performance_bonus
        + input.commission
        + input.other_pay
        - absence_deduction;
    let contributions = if input.contributes {
        contributions(city, input.si_base, input.hf_base, input.hf_rate)?
    } else {
        Contributions::default()
    };

    let (bonus_method, separate_tax) = match (input.bonus_method, input.bonus_separate_allowed) {
        _ if input.annual_bonus == 0 => (input.bonus_method, 0),
        (BonusMethod::Separate, true) => (BonusMethod::Separate, iit::bonus_separate_tax(tax, input.annual_bonus)),
        (_, allowed) => (
            BonusMethod::Merged,
            if allowed {
                iit::bonus_separate_tax(tax, input.annual_bonus)
            } else {
                0
            },
        ),
    };

    let (cum, iit_withheld, bonus_iit, bonus_iit_other) = match input.tax_status {
        TaxStatus::NonResident => {
            if input.annual_bonus > 0 {
                return Err(PayError::NonResidentBonus);
            }
            let (withheld, _) = iit::non_resident_wage_tax(tax, gross);
            let cum = Cumulative {
                income: prior.income + gross,
                tax: prior.tax + withheld,
                withheld: prior.withheld + withheld,
                ..*prior
            };
            (cum, withheld, 0, 0)
        }
        TaxStatus::Resident => {
            let month = |income| WageMonth {
                month: input.month,
                income,
                special: contributions.employee_total(),
                special_additional_cum: input.special_additional_cum,
                other: input.other_pretax_deduction,
                basic_rule: input.basic_rule,
            };
            let wages = iit::cumulative_withholding(tax, prior, month(gross));
            if input.annual_bonus == 0 {
                (wages.cum, wages.withheld, 0, 0)
            } else {
                let merged = iit::cumulative_withholding(tax, prior, month(gross + input.annual_bonus));
                let merged_cost = merged.withheld - wages.withheld;
                match bonus_method {
                    BonusMethod::Merged => (merged.cum, wages.withheld, merged_cost, separate_tax),
                    BonusMethod::Separate => (wages.cum, wages.withheld, separate_tax, merged_cost),
                }
            }
        }
    };
    let net = gross + input.annual_bonus
        - contributions.employee_total()
        - iit_withheld
        - bonus_iit
        - input.post_tax_deduction;
    if net < 0 {
        return Err(PayError::NegativeNet { net });
    }
    Ok(Payslip {
        absence_deduction,
        gross,
        contributions,
        cum,
        iit_withheld,
        bonus_method,
        bonus_iit,
        bonus_iit_other,
        bonus_zone: (bonus_method == BonusMethod::Separate && input.annual_bonus > 0)
            .then(|| iit::bonus_zone(tax, input.annual_bonus))
            .flatten(),
        net,
    })
}

/// One person's month in a batch: their city's and the month's tax policy, inputs, prior position.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub city: &'a CityPolicy,
    pub tax: &'a TaxPolicy,
    pub input: &'a PayInput,
    pub prior: &'a Cumulative,
}

/// Pays a batch (one month of a company) into `out` (one slot per job, reused across months so
/// a run does not fault in fresh pages), split over the machine's cores: people are independent,
/// so the result is the same as paying them one by one. Returns the jobs that failed, in order.
pub fn pay_all(jobs: &[Job<'_>], out: &mut [Payslip]) -> Vec<(usize, PayError)> {
    assert_eq!(jobs.len(), out.len(), "one payslip slot per job");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pay_part = |offset: usize, part: &[Job<'_>], slots: &mut [Payslip]| {
        let mut failed = Vec::new();
        for (i, (j, slot)) in part.iter().zip(slots).enumerate() {
            match pay(j.city, j.tax, j.input, j.prior) {
                Ok(slip) => *slot = slip,
                Err(e) => failed.push((offset + i, e)),
            }
        }
        failed
    };
    if threads == 1 || jobs.len() < 4_096 {
        return pay_part(0, jobs, out);
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .zip(out.chunks_mut(chunk))
            .enumerate()
            .map(|(k, (part, slots))| scope.spawn(move || pay_part(k * chunk, part, slots)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("paying is pure and does not panic"))
            .collect()
    })
}

/// `(base + allowance) × days ÷ 21.75`, rounded half up, never more than the month's pay.
pub fn absence_deduction(tax: &TaxPolicy, monthly: i64, days_h: i64) -> i64 {
    if days_h <= 0 {
        return 0;
    }
    let d = tax.pay_days_per_month_h;
    ((monthly * days_h + d / 2) / d).min(monthly)
}
