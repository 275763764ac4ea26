//! Reading a policy file: the TOML as written, each value checked with its line and field.

use super::{
    Band, Calendar, CityPolicy, HousingFund, Policy, PolicyError, Quality, Scheme, SpecialAdditionalPolicy, Table,
    TaxPolicy,
};
use crate::rate::{Rate, Rounding, fen_of};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::ops::Range;
use std::str::FromStr;
use toml::Spanned;

/// Reads a policy file; its `kind` says which.
pub(super) fn parse(text: &str) -> Result<Policy, PolicyError> {
    let r = Reader { text };
    let value: Spanned<toml::Table> = toml::from_str(text).map_err(|e| r.toml_error(e))?;
    let kind = value.get_ref().get("kind").and_then(|k| k.as_str()).unwrap_or("");
    match kind {
        "city" => r
            .file::<CityFile>()
            .and_then(|f| f.check(&r))
            .map(|c| Policy::City(Box::new(c))),
        "tax" => r.file::<TaxFile>().and_then(|f| f.check(&r)).map(Policy::Tax),
        "special_additional" => r
            .file::<SadFile>()
            .and_then(|f| f.check(&r))
            .map(Policy::SpecialAdditional),
        "calendar" => r.file::<CalendarFile>().and_then(|f| f.check(&r)).map(Policy::Calendar),
        other => Err(PolicyError {
            line: 1,
            field: "kind".into(),
            zh: format!("kind 应为 city、tax、special_additional 或 calendar，实际为 {other:?}"),
            en: format!("kind must be city, tax, special_additional or calendar, not {other:?}"),
        }),
    }
}

type Num = Spanned<toml::Value>;
type Text = Spanned<String>;

struct Reader<'a> {
    text: &'a str,
}

impl Reader<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())].matches('\n').count() + 1
    }

    fn toml_error(&self, e: toml::de::Error) -> PolicyError {
        let msg = e.message().to_string();
        let field = msg
            .find('`')
            .and_then(|s| msg[s + 1..].find('`').map(|e2| msg[s + 1..s + 1 + e2].to_string()))
            .unwrap_or_else(|| "policy".into());
        PolicyError {
            line: e.span().map(|s| self.line(s)).unwrap_or(1),
            field,
            zh: format!("无法读取：{msg}"),
            en: format!("cannot be read: {msg}"),
        }
    }

    fn file<T: serde::de::DeserializeOwned>(&self) -> Result<T, PolicyError> {
        toml::from_str(self.text).map_err(|e| self.toml_error(e))
    }

    fn err(&self, span: Range<usize>, field: &str, zh: String, en: String) -> PolicyError {
        PolicyError {
            line: self.line(span),
            field: field.into(),
            zh,
            en,
        }
    }

    fn decimal(&self, v: &Num, field: &str) -> Result<Decimal, PolicyError> {
        let d = match v.get_ref() {
            toml::Value::Integer(i) => Some(Decimal::from(*i)),
            toml::Value::Float(f) => Decimal::from_str(&format!("{f}")).ok(),
            toml::Value::String(s) => Decimal::from_str(s.trim()).ok(),
            _ => None,
        };
        d.ok_or_else(|| {
            self.err(
                v.span(),
                field,
                format!("应为数字，实际为 {}", v.get_ref()),
                format!("must be a number, not {}", v.get_ref()),
            )
        })
    }

    /// An amount in yuan → fen; at most two decimals, not negative.
    fn money(&self, v: &Num, field: &str) -> Result<i64, PolicyError> {
        let d = self.decimal(v, field)?;
        fen_of(d).filter(|f| *f >= 0).ok_or_else(|| {
            self.err(
                v.span(),
                field,
                format!("金额应为不小于 0 的元数，最多两位小数，实际为 {d}"),
                format!("an amount must be non-negative yuan with at most two decimals, not {d}"),
            )
        })
    }

    fn rate(&self, v: &Num, field: &str) -> Result<Rate, PolicyError> {
        let parsed = match v.get_ref() {
            toml::Value::String(s) => Rate::parse(s),
            _ => self.decimal(v, field).ok().and_then(Rate::from_decimal),
        };
        parsed.ok_or_else(|| {
            self.err(
                v.span(),
                field,
                format!("比例应在 0 到 1 之间（0.08 或 \"8%\"），实际为 {}", v.get_ref()),
                format!("a rate must lie between 0 and 1 (0.08 or \"8%\"), not {}", v.get_ref()),
            )
        })
    }

    /// A multiple such as 1.5 → hundredths.
    fn hundredths(&self, v: &Num, field: &str) -> Result<i64, PolicyError> {
        let d = self.decimal(v, field)?;
        fen_of(d).filter(|h| *h > 0).ok_or_else(|| {
            self.err(
                v.span(),
                field,
                format!("应为大于 0 的数，最多两位小数，实际为 {d}"),
                format!("must be a positive number with at most two decimals, not {d}"),
            )
        })
    }

    fn date(&self, v: &Text, field: &str) -> Result<NaiveDate, PolicyError> {
        NaiveDate::parse_from_str(v.get_ref().trim(), "%Y-%m-%d").map_err(|_| {
            self.err(
                v.span(),
                field,
                format!("日期应为 YYYY-MM-DD，实际为 {:?}", v.get_ref()),
                format!("a date must be YYYY-MM-DD, not {:?}", v.get_ref()),
            )
        })
    }

    fn period(&self, from: &Text, to: &Option<Text>) -> Result<(NaiveDate, Option<NaiveDate>), PolicyError> {
        let f = self.date(from, "effective_from")?;
        let t = to.as_ref().map(|t| self.date(t, "effective_to")).transpose()?;
        if let (Some(t), Some(span)) = (t, to.as_ref().map(Spanned::span))
            && t < f
        {
            return Err(self.err(
                span,
                "effective_to",
                format!("截止日期 {t} 早于生效日期 {f}"),
                format!("effective_to {t} is before effective_from {f}"),
            ));
        }
        Ok((f, t))
    }

    fn table(&self, rows: &Spanned<Vec<BandFile>>, field: &str) -> Result<Table, PolicyError> {
        if rows.get_ref().is_empty() {
            return Err(self.err(
                rows.span(),
                field,
                "税率表不能为空".into(),
                "a table needs bands".into(),
            ));
        }
        let mut bands: Vec<Band> = Vec::new();
        let n = rows.get_ref().len();
        for (i, row) in rows.get_ref().iter().enumerate() {
            let up_to = row.up_to.as_ref().map(|u| self.money(u, field)).transpose()?;
            let band = Band {
                up_to,
                rate: self.rate(&row.rate, field)?,
                quick_deduction: self.money(&row.quick_deduction, field)?,
            };
            let last = i + 1 == n;
            let ordered = bands.last().is_none_or(|p| match (p.up_to, up_to) {
                (Some(a), Some(b)) => b > a,
                (Some(_), None) => true,
                _ => false,
            });
            if (up_to.is_none() != last) || !ordered {
                return Err(self.err(
                    row.rate.span(),
                    field,
                    "各档上限须递增，只有最后一档不写 up_to".into(),
                    "band limits must increase and only the last band omits up_to".into(),
                ));
            }
            bands.push(band);
        }
        Ok(Table(bands))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandFile {
    up_to: Option<Num>,
    rate: Num,
    quick_deduction: Num,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeFile {
    floor: Num,
    cap: Num,
    #[serde(default)]
    employer_rate: Option<Num>,
    #[serde(default)]
    employee_rate: Option<Num>,
    #[serde(default)]
    employee_fixed: Option<Num>,
    rounding: Option<Spanned<Rounding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HousingFundFile {
    floor: Num,
    cap: Num,
    rate_min: Num,
    rate_max: Num,
    default_rate: Num,
    rounding: Option<Spanned<Rounding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CityFile {
    #[allow(dead_code)]
    kind: String,
    city: Text,
    name_zh: Text,
    name_en: Text,
    effective_from: Text,
    effective_to: Option<Text>,
    quality: Quality,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    note: String,
    pension: SchemeFile,
    medical: SchemeFile,
    unemployment: SchemeFile,
    injury: SchemeFile,
    maternity: Option<SchemeFile>,
    housing_fund: HousingFundFile,
}

impl CityFile {
    fn check(self, r: &Reader) -> Result<CityPolicy, PolicyError> {
        let (effective_from, effective_to) = r.period(&self.effective_from, &self.effective_to)?;
        let key = self.city.get_ref().trim().to_lowercase();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(r.err(
                self.city.span(),
                "city",
                "城市键应为小写英文字母、数字或连字符，如 shanghai".into(),
                "the city key must be lower-case letters, digits or hyphens, e.g. shanghai".into(),
            ));
        }
        let scheme = |s: &SchemeFile, name: &str| -> Result<Scheme, PolicyError> {
            let field = |f: &str| format!("{name}.{f}");
            let floor = r.money(&s.floor, &field("floor"))?;
            let cap = r.money(&s.cap, &field("cap"))?;
            if cap < floor {
                return Err(r.err(
                    s.cap.span(),
                    &field("cap"),
                    "基数上限低于下限".into(),
                    "the cap is below the floor".into(),
                ));
            }
            let opt_rate = |v: &Option<Num>, f: &str| v.as_ref().map(|v| r.rate(v, &field(f))).transpose();
            Ok(Scheme {
                floor,
                cap,
                employer_rate: opt_rate(&s.employer_rate, "employer_rate")?.unwrap_or_default(),
                employee_rate: opt_rate(&s.employee_rate, "employee_rate")?.unwrap_or_default(),
                employee_fixed: s
                    .employee_fixed
                    .as_ref()
                    .map(|v| r.money(v, &field("employee_fixed")))
                    .transpose()?
                    .unwrap_or(0),
                rounding: s.rounding.as_ref().map(|x| *x.get_ref()).unwrap_or(Rounding::HalfUpFen),
            })
        };
        let h = &self.housing_fund;
        let hf_floor = r.money(&h.floor, "housing_fund.floor")?;
        let hf_cap = r.money(&h.cap, "housing_fund.cap")?;
        let rate_min = r.rate(&h.rate_min, "housing_fund.rate_min")?;
        let rate_max = r.rate(&h.rate_max, "housing_fund.rate_max")?;
        let default_rate = r.rate(&h.default_rate, "housing_fund.default_rate")?;
        if hf_cap < hf_floor || rate_max < rate_min || default_rate < rate_min || default_rate > rate_max {
            return Err(r.err(
                h.default_rate.span(),
                "housing_fund",
                "公积金基数上限不得低于下限，默认比例须在比例范围内".into(),
                "the fund's cap must not be below its floor, and the default rate must lie in the range".into(),
            ));
        }
        Ok(CityPolicy {
            city: key,
            name_zh: self.name_zh.get_ref().trim().to_string(),
            name_en: self.name_en.get_ref().trim().to_string(),
            effective_from,
            effective_to,
            quality: self.quality,
            sources: self.sources,
            note: self.note,
            schemes: [
                Some(scheme(&self.pension, "pension")?),
                Some(scheme(&self.medical, "medical")?),
                Some(scheme(&self.unemployment, "unemployment")?),
                Some(scheme(&self.injury, "injury")?),
                self.maternity.as_ref().map(|m| scheme(m, "maternity")).transpose()?,
            ],
            housing_fund: HousingFund {
                floor: hf_floor,
                cap: hf_cap,
                rate_min,
                rate_max,
                default_rate,
                rounding: h.rounding.as_ref().map(|x| *x.get_ref()).unwrap_or(Rounding::HalfUpFen),
            },
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxFile {
    #[allow(dead_code)]
    kind: String,
    effective_from: Text,
    effective_to: Option<Text>,
    basic_deduction_monthly: Num,
    annual_table: Spanned<Vec<BandFile>>,
    monthly_table: Spanned<Vec<BandFile>>,
    labour_table: Spanned<Vec<BandFile>>,
    labour_small_threshold: Num,
    labour_small_deduction: Num,
    labour_ratio: Num,
    bonus_separate_until: Text,
    pay_days_per_month: Num,
    hours_per_day: Num,
    overtime_weekday: Num,
    overtime_rest_day: Num,
    overtime_holiday: Num,
    unused_leave_extra: Num,
}

impl TaxFile {
    fn check(self, r: &Reader) -> Result<TaxPolicy, PolicyError> {
        let (effective_from, effective_to) = r.period(&self.effective_from, &self.effective_to)?;
        let hours = r.hundredths(&self.hours_per_day, "hours_per_day")?;
        if hours % 100 != 0 {
            return Err(r.err(
                self.hours_per_day.span(),
                "hours_per_day",
                "每日工时应为整数".into(),
                "hours per day must be whole".into(),
            ));
        }
        Ok(TaxPolicy {
            effective_from,
            effective_to,
            basic_deduction_monthly: r.money(&self.basic_deduction_monthly, "basic_deduction_monthly")?,
            annual_table: r.table(&self.annual_table, "annual_table")?,
            monthly_table: r.table(&self.monthly_table, "monthly_table")?,
            labour_table: r.table(&self.labour_table, "labour_table")?,
            labour_small_threshold: r.money(&self.labour_small_threshold, "labour_small_threshold")?,
            labour_small_deduction: r.money(&self.labour_small_deduction, "labour_small_deduction")?,
            labour_ratio: r.rate(&self.labour_ratio, "labour_ratio")?,
            bonus_separate_until: r.date(&self.bonus_separate_until, "bonus_separate_until")?,
            pay_days_per_month_h: r.hundredths(&self.pay_days_per_month, "pay_days_per_month")?,
            hours_per_day: hours / 100,
            overtime_weekday_h: r.hundredths(&self.overtime_weekday, "overtime_weekday")?,
            overtime_rest_day_h: r.hundredths(&self.overtime_rest_day, "overtime_rest_day")?,
            overtime_holiday_h: r.hundredths(&self.overtime_holiday, "overtime_holiday")?,
            unused_leave_extra_h: r.hundredths(&self.unused_leave_extra, "unused_leave_extra")?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SadFile {
    #[allow(dead_code)]
    kind: String,
    effective_from: Text,
    effective_to: Option<Text>,
    child_education_per_child: Num,
    infant_care_per_child: Num,
    elderly_support: Num,
    continuing_education: Num,
    mortgage_interest: Num,
    rent: Num,
}

impl SadFile {
    fn check(self, r: &Reader) -> Result<SpecialAdditionalPolicy, PolicyError> {
        let (effective_from, effective_to) = r.period(&self.effective_from, &self.effective_to)?;
        Ok(SpecialAdditionalPolicy {
            effective_from,
            effective_to,
            child_education_per_child: r.money(&self.child_education_per_child, "child_education_per_child")?,
            infant_care_per_child: r.money(&self.infant_care_per_child, "infant_care_per_child")?,
            elderly_support: r.money(&self.elderly_support, "elderly_support")?,
            continuing_education: r.money(&self.continuing_education, "continuing_education")?,
            mortgage_interest: r.money(&self.mortgage_interest, "mortgage_interest")?,
            rent: r.money(&self.rent, "rent")?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[allow(dead_code)]
    kind: String,
    year: Spanned<i64>,
    days_off: Vec<Text>,
    statutory: Vec<Text>,
    #[serde(default)]
    makeup_workdays: Vec<Text>,
}

impl CalendarFile {
    fn check(self, r: &Reader) -> Result<Calendar, PolicyError> {
        let year = i32::try_from(*self.year.get_ref())
            .ok()
            .filter(|y| (1990..=2200).contains(y))
            .ok_or_else(|| r.err(self.year.span(), "year", "年份无效".into(), "not a valid year".into()))?;
        let dates = |v: &[Text], field: &str| -> Result<Vec<NaiveDate>, PolicyError> {
            let mut out = Vec::with_capacity(v.len());
            for t in v {
                let d = r.date(t, field)?;
                if d.year() != year {
                    return Err(r.err(
                        t.span(),
                        field,
                        format!("{d} 不在 {year} 年"),
                        format!("{d} is not in {year}"),
                    ));
                }
                out.push(d);
            }
            out.sort();
            out.dedup();
            Ok(out)
        };
        let days_off = dates(&self.days_off, "days_off")?;
        let statutory = dates(&self.statutory, "statutory")?;
        if let Some(d) = statutory.iter().find(|d| days_off.binary_search(d).is_err()) {
            return Err(r.err(
                self.statutory[0].span(),
                "statutory",
                format!("法定节假日 {d} 不在放假日期 days_off 中"),
                format!("statutory holiday {d} is not among days_off"),
            ));
        }
        Ok(Calendar {
            year,
            days_off,
            statutory,
            makeup_workdays: dates(&self.makeup_workdays, "makeup_workdays")?,
        })
    }
}
