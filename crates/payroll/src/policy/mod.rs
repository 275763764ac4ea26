//! Payroll policies as data (reference §8): city 五险一金 tables, the IIT tables, the special
//! additional deduction amounts and the holiday calendar, each a TOML file with effective dates.
//! Uplift ships the reference's tables in `crates/payroll/policies/`; a user imports next year's bounds
//! the same way. Every error names the line and the field, in Chinese and English.

mod file;
mod set;

pub use set::{PolicySet, SetError};

use crate::rate::{Rate, Rounding};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// What is wrong with a policy file: where, which field, why (both languages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, {field}: {en}")]
pub struct PolicyError {
    pub line: usize,
    pub field: String,
    pub zh: String,
    pub en: String,
}

impl PolicyError {
    pub fn message(&self, lang: uplift_domain::Lang) -> String {
        match lang {
            uplift_domain::Lang::Zh => format!("第 {} 行，{}：{}", self.line, self.field, self.zh),
            uplift_domain::Lang::En => self.to_string(),
        }
    }
}

/// The insurances of 五险 in a fixed order, so amounts are arrays indexed by `as usize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Insurance {
    Pension,
    Medical,
    Unemployment,
    Injury,
    Maternity,
}

impl Insurance {
    pub const ALL: [Insurance; 5] = [
        Insurance::Pension,
        Insurance::Medical,
        Insurance::Unemployment,
        Insurance::Injury,
        Insurance::Maternity,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Insurance::Pension => "pension",
            Insurance::Medical => "medical",
            Insurance::Unemployment => "unemployment",
            Insurance::Injury => "injury",
            Insurance::Maternity => "maternity",
        }
    }

    pub fn label(self, lang: uplift_domain::Lang) -> &'static str {
        use uplift_domain::Lang::*;
        match (self, lang) {
            (Insurance::Pension, Zh) => "养老保险",
            (Insurance::Medical, Zh) => "医疗保险",
            (Insurance::Unemployment, Zh) => "失业保险",
            (Insurance::Injury, Zh) => "工伤保险",
            (Insurance::Maternity, Zh) => "生育保险",
            (Insurance::Pension, En) => "pension",
            (Insurance::Medical, En) => "medical",
            (Insurance::Unemployment, En) => "unemployment",
            (Insurance::Injury, En) => "work injury",
            (Insurance::Maternity, En) => "maternity",
        }
    }
}

/// One insurance of a city: the base is clamped to `[floor, cap]`; each side pays base × rate,
/// rounded; the employee may also pay a fixed amount (Beijing's medical +3 yuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scheme {
    pub floor: i64,
    pub cap: i64,
    pub employer_rate: Rate,
    pub employee_rate: Rate,
    pub employee_fixed: i64,
    pub rounding: Rounding,
}

/// 住房公积金: its own bounds; each side pays the person's rate, which lies in `[rate_min, rate_max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HousingFund {
    pub floor: i64,
    pub cap: i64,
    pub rate_min: Rate,
    pub rate_max: Rate,
    pub default_rate: Rate,
    pub rounding: Rounding,
}

/// How far a table can be trusted (reference §4.2): A an official notice, B open-source data
/// without the official text, C unconfirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quality {
    A,
    B,
    C,
}

impl Quality {
    pub fn verified(self) -> bool {
        self != Quality::C
    }

    pub fn label(self, lang: uplift_domain::Lang) -> &'static str {
        use uplift_domain::Lang::*;
        match (self, lang) {
            (Quality::A, Zh) => "已核实（官方通知）",
            (Quality::B, Zh) => "开源数据，未见官方原文",
            (Quality::C, Zh) => "未核实，上线前须按官方通知更新",
            (Quality::A, En) => "verified (official notice)",
            (Quality::B, En) => "open-source data, official text not seen",
            (Quality::C, En) => "unverified: update from the official notice before go-live",
        }
    }
}

/// A city's 五险一金 for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CityPolicy {
    /// `shanghai`: the key files and salary records use (with the names below).
    pub city: String,
    pub name_zh: String,
    pub name_en: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub quality: Quality,
    pub sources: Vec<String>,
    pub note: String,
    /// Indexed by [`Insurance`]; `None` where the city has no separate scheme (maternity).
    pub schemes: [Option<Scheme>; 5],
    pub housing_fund: HousingFund,
}

impl CityPolicy {
    /// Whether `name` names this city: its key, Chinese or English name, with or without 市.
    pub fn answers_to(&self, name: &str) -> bool {
        let n = name.trim();
        let n = n.strip_suffix('市').unwrap_or(n);
        n.eq_ignore_ascii_case(&self.city) || n == self.name_zh || n.eq_ignore_ascii_case(&self.name_en)
    }
}

/// One band of a tax table: up to `up_to` (inclusive; `None` open), `rate`, quick deduction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Band {
    pub up_to: Option<i64>,
    pub rate: Rate,
    pub quick_deduction: i64,
}

/// A progressive table, bands in order; the last is open-ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table(pub Vec<Band>);

impl Table {
    /// The band holding `x` (bands are upper-inclusive, "不超过").
    pub fn band(&self, x: i64) -> &Band {
        self.0
            .iter()
            .find(|b| b.up_to.is_none_or(|u| x <= u))
            .unwrap_or_else(|| self.0.last().expect("a checked table has bands"))
    }

    /// `round(x × rate) − quick deduction`, never below 0.
    pub fn tax(&self, x: i64) -> i64 {
        if x <= 0 {
            return 0;
        }
        let b = self.band(x);
        (crate::rate::mul_fen(x, b.rate) - b.quick_deduction).max(0)
    }
}

/// The national IIT rules for a period (reference §1–§3, §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxPolicy {
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub basic_deduction_monthly: i64,
    /// 预扣率表一, on cumulative taxable income.
    pub annual_table: Table,
    /// 按月换算后的综合所得税率表: annual bonus (on bonus / 12) and non-residents.
    pub monthly_table: Table,
    /// 预扣率表二: labour remuneration of residents, on the income amount.
    pub labour_table: Table,
    pub labour_small_threshold: i64,
    pub labour_small_deduction: i64,
    pub labour_ratio: Rate,
    /// The last day a bonus may be taxed separately (财政部 税务总局公告2023年第30号).
    pub bonus_separate_until: NaiveDate,
    /// 计薪天数 in hundredths of a day: 2175.
    pub pay_days_per_month_h: i64,
    pub hours_per_day: i64,
    /// Overtime multiples in hundredths: 150, 200, 300.
    pub overtime_weekday_h: i64,
    pub overtime_rest_day_h: i64,
    pub overtime_holiday_h: i64,
    /// Unused annual leave is paid at 300% of the daily wage, the normal 100% already paid: 200.
    pub unused_leave_extra_h: i64,
}

/// The monthly ceilings of the special additional deductions (专项附加扣除).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecialAdditionalPolicy {
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// Per child; a parent claims 100% or 50% of it.
    pub child_education_per_child: i64,
    pub infant_care_per_child: i64,
    pub elderly_support: i64,
    pub continuing_education: i64,
    pub mortgage_interest: i64,
    /// The highest rent tier (municipalities and provincial capitals).
    pub rent: i64,
}

/// One year's working calendar (reference §5.3): days off, of which statutory holidays (300%),
/// and weekend days that are working days (调休上班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Calendar {
    pub year: i32,
    pub days_off: Vec<NaiveDate>,
    pub statutory: Vec<NaiveDate>,
    pub makeup_workdays: Vec<NaiveDate>,
}

impl Calendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.makeup_workdays.binary_search(&d).is_ok() {
            return true;
        }
        if self.days_off.binary_search(&d).is_ok() {
            return false;
        }
        d.weekday().num_days_from_monday() < 5
    }

    /// Working days in `[from, to]`.
    pub fn working_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as i64
    }
}

/// A parsed policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Policy {
    City(Box<CityPolicy>),
    Tax(TaxPolicy),
    SpecialAdditional(SpecialAdditionalPolicy),
    Calendar(Calendar),
}

impl Policy {
    pub fn kind(&self) -> &'static str {
        match self {
            Policy::City(_) => "city",
            Policy::Tax(_) => "tax",
            Policy::SpecialAdditional(_) => "special_additional",
            Policy::Calendar(_) => "calendar",
        }
    }

    /// What identifies the policy among its kind: the city, or "national", or the year.
    pub fn key(&self) -> String {
        match self {
            Policy::City(c) => c.city.clone(),
            Policy::Tax(_) | Policy::SpecialAdditional(_) => "national".into(),
            Policy::Calendar(c) => c.year.to_string(),
        }
    }

    pub fn effective(&self) -> (NaiveDate, Option<NaiveDate>) {
        match self {
            Policy::City(c) => (c.effective_from, c.effective_to),
            Policy::Tax(t) => (t.effective_from, t.effective_to),
            Policy::SpecialAdditional(s) => (s.effective_from, s.effective_to),
            Policy::Calendar(c) => (
                NaiveDate::from_ymd_opt(c.year, 1, 1).expect("valid year"),
                NaiveDate::from_ymd_opt(c.year, 12, 31),
            ),
        }
    }
    /// Reads a policy file; its `kind` says which.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        file::parse(text)
    }
}
