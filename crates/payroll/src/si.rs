//! 五险一金 of one person in one month (contract step 2, reference §4).

use crate::policy::{CityPolicy, Insurance};
use crate::rate::Rate;
use serde::Serialize;

/// Both sides of every insurance and of the housing fund, with the clamped bases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Contributions {
    /// Indexed by [`Insurance`]; 0 where the city has no such scheme.
    pub base: [i64; 5],
    pub employee: [i64; 5],
    pub employer: [i64; 5],
    pub hf_base: i64,
    pub hf_rate: Rate,
    pub hf_employee: i64,
    pub hf_employer: i64,
}

impl Contributions {
    pub fn si_employee(&self) -> i64 {
        self.employee.iter().sum()
    }
    pub fn si_employer(&self) -> i64 {
        self.employer.iter().sum()
    }
    /// 专项扣除: what the employee pays, which the tax deducts.
    pub fn employee_total(&self) -> i64 {
        self.si_employee() + self.hf_employee
    }
    pub fn employer_total(&self) -> i64 {
        self.si_employer() + self.hf_employer
    }
}

/// The person's housing-fund rate lies outside the city's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("housing fund rate {} is outside {}–{}", .rate.percent(), .min.percent(), .max.percent())]
pub struct RateOutOfRange {
    pub rate: Rate,
    pub min: Rate,
    pub max: Rate,
}

/// Each insurance: base clamped to the scheme's bounds, × rate, rounded the city's way.
/// `hf_rate` `None` takes the city's default.
#[inline]
pub fn contributions(
    city: &CityPolicy,
    si_base: i64,
    hf_base: i64,
    hf_rate: Option<Rate>,
) -> Result<Contributions, RateOutOfRange> {
    let mut c = Contributions::default();
    for (i, scheme) in city.schemes.iter().enumerate() {
        if let Some(s) = scheme {
            let base = si_base.clamp(s.floor, s.cap);
            c.base[i] = base;
            c.employee[i] = s.rounding.apply(base, s.employee_rate) + s.employee_fixed;
            c.employer[i] = s.rounding.apply(base, s.employer_rate);
        }
    }
    let hf = &city.housing_fund;
    let rate = hf_rate.unwrap_or(hf.default_rate);
    if rate < hf.rate_min || rate > hf.rate_max {
        return Err(RateOutOfRange {
            rate,
            min: hf.rate_min,
            max: hf.rate_max,
        });
    }
    c.hf_base = hf_base.clamp(hf.floor, hf.cap);
    c.hf_rate = rate;
    c.hf_employee = hf.rounding.apply(c.hf_base, rate);
    c.hf_employer = c.hf_employee;
    Ok(c)
}

/// The insurance at `i` of [`Contributions`]' arrays.
pub fn insurance(i: usize) -> Insurance {
    Insurance::ALL[i]
}
