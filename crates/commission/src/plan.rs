//! The plan file (TOML) of the contract, parsed and checked. Every error names the line and the
//! field, in Chinese and English, and a plan with any error is not used at all.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;
use std::str::FromStr;
use toml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
}

/// `signed`: won deals by close date; `collected`: payments by payment date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Signed,
    Collected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tiering {
    Marginal,
    Whole,
}

/// A band of attainment `[from, to)`; `to` `None` is open-ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tier {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub multiplier: Decimal,
}

/// One version of a plan, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub period: PeriodKind,
    pub basis: Basis,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub departments: Vec<String>,
    pub employees: Vec<String>,
    pub default_rate: Decimal,
    pub rate_field: Option<String>,
    pub rates: BTreeMap<String, Decimal>,
    pub tiering: Tiering,
    /// Sorted by `from`, contiguous from 0.
    pub tiers: Vec<Tier>,
    /// In fen.
    pub cap_fen: Option<i64>,
    pub override_rate: Option<Decimal>,
    pub clawback_days: u32,
}

/// What is wrong with a plan file: where, which field, why (both languages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, {field}: {en}")]
pub struct PlanError {
    /// 1-based line of the file.
    pub line: usize,
    pub field: String,
    pub zh: String,
    pub en: String,
}

impl PlanError {
    pub fn message(&self, lang: uplift_domain::Lang) -> String {
        match lang {
            uplift_domain::Lang::Zh => format!("第 {} 行，{}：{}", self.line, self.field, self.zh),
            uplift_domain::Lang::En => self.to_string(),
        }
    }
}

/// The file as written. Numbers are read as TOML numbers and turned into exact decimals through
/// their shortest decimal form (`0.03` stays `0.03`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default = "month")]
    period: PeriodKind,
    #[serde(default = "signed")]
    basis: Basis,
    effective_from: Spanned<String>,
    effective_to: Option<Spanned<String>>,
    #[serde(default)]
    departments: Vec<Spanned<String>>,
    #[serde(default)]
    employees: Vec<Spanned<String>>,
    default_rate: Spanned<f64>,
    rate_field: Option<Spanned<String>>,
    /// Numbers, except `tiering` (see [`Plan::parse`]).
    #[serde(default)]
    rates: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    tiering: Option<Spanned<String>>,
    #[serde(default)]
    tiers: Vec<Spanned<TierFile>>,
    cap: Option<Spanned<f64>>,
    override_rate: Option<Spanned<f64>>,
    clawback_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierFile {
    from: Spanned<f64>,
    to: Option<Spanned<f64>>,
    multiplier: Spanned<f64>,
    // Plan-level keys written after the last `[[tiers]]` header land here (see `Plan::parse`).
    cap: Option<Spanned<f64>>,
    override_rate: Option<Spanned<f64>>,
    clawback_days: Option<Spanned<i64>>,
}

fn month() -> PeriodKind {
    PeriodKind::Month
}
fn signed() -> Basis {
    Basis::Signed
}

/// The fields a plan's `rate_field` may name: the opportunity fields Uplift keeps.
pub const RATE_FIELDS: [&str; 4] = ["Type", "LeadSource", "Name", "StageName"];

impl Plan {
    /// Parses and checks a plan file. The first error found is returned.
    ///
    /// The contract's own example writes `tiering` after the `[rates]` header and `cap`,
    /// `override_rate`, `clawback_days` after the last `[[tiers]]` header, where TOML reads them
    /// as a rate named "tiering" and as fields of the last band. They are read as the plan-level
    /// keys they are meant to be (given twice: an error), so that the contract's file imports.
    pub fn parse(text: &str) -> Result<Plan, PlanError> {
        let line_of = |span: Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
        let file: PlanFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(&line_of).unwrap_or(1);
            let msg = e.message().to_string();
            PlanError {
                line,
                field: field_in_message(&msg).unwrap_or_else(|| "plan".into()),
                zh: format!("无法读取：{msg}"),
                en: format!("cannot be read: {msg}"),
            }
        })?;
        let err = |span: Range<usize>, field: &str, zh: String, en: String| PlanError {
            line: line_of(span),
            field: field.to_string(),
            zh,
            en,
        };
        let rate = |v: &Spanned<f64>, field: &str| -> Result<Decimal, PlanError> {
            let x = *v.get_ref();
            if !(0.0..=1.0).contains(&x) {
                return Err(err(
                    v.span(),
                    field,
                    format!("比例必须在 0 到 1 之间（如 0.03 表示 3%），实际为 {x}"),
                    format!("a rate must lie between 0 and 1 (0.03 is 3%), not {x}"),
                ));
            }
            Ok(exact(x))
        };
        let date = |v: &Spanned<String>, field: &str| -> Result<NaiveDate, PlanError> {
            NaiveDate::parse_from_str(v.get_ref().trim(), "%Y-%m-%d").map_err(|_| {
                err(
                    v.span(),
                    field,
                    format!("日期应为 YYYY-MM-DD，实际为 {:?}", v.get_ref()),
                    format!("a date must be YYYY-MM-DD, not {:?}", v.get_ref()),
                )
            })
        };

        let id = file.id.get_ref().trim().to_string();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(err(
                file.id.span(),
                "id",
                "方案编号不能为空，也不能含空格".into(),
                "the plan id must be non-empty and have no spaces".into(),
            ));
        }
        let effective_from = date(&file.effective_from, "effective_from")?;
        let effective_to = file
            .effective_to
            .as_ref()
            .map(|d| date(d, "effective_to"))
            .transpose()?;
        if let (Some(to), Some(span)) = (effective_to, file.effective_to.as_ref().map(Spanned::span))
            && to < effective_from
        {
            return Err(err(
                span,
                "effective_to",
                "结束日期早于生效日期".into(),
                "ends before it takes effect (effective_from)".into(),
            ));
        }
        let departments: Vec<String> = file
            .departments
            .iter()
            .map(|d| d.get_ref().trim().trim_end_matches('/').to_string())
            .collect();
        let employees: Vec<String> = file.employees.iter().map(|e| e.get_ref().trim().to_string()).collect();
        if let Some(d) = file.departments.iter().find(|d| d.get_ref().trim().is_empty()) {
            return Err(err(
                d.span(),
                "departments",
                "部门不能为空".into(),
                "a department is empty".into(),
            ));
        }
        if departments.is_empty() && employees.is_empty() {
            return Err(err(
                file.id.span(),
                "departments",
                "方案没有适用对象：请填写 departments（部门路径前缀）或 employees（工号）".into(),
                "the plan applies to no one: give departments (path prefixes) or employees (employee numbers)".into(),
            ));
        }
        let default_rate = rate(&file.default_rate, "default_rate")?;
        let mut rates = BTreeMap::new();
        let mut tiering = file.tiering.clone();
        for (k, v) in &file.rates {
            let field = format!("rates.{}", k.get_ref());
            let x = match v.get_ref() {
                toml::Value::String(t) if k.get_ref() == "tiering" => {
                    if tiering.is_some() {
                        return Err(twice(err(v.span(), "tiering", String::new(), String::new())));
                    }
                    tiering = Some(Spanned::new(v.span(), t.clone()));
                    continue;
                }
                toml::Value::Float(x) => *x,
                toml::Value::Integer(i) => *i as f64,
                other => {
                    return Err(err(
                        v.span(),
                        &field,
                        format!("比例应为数字，实际为 {other}"),
                        format!("a rate must be a number, not {other}"),
                    ));
                }
            };
            rates.insert(
                k.get_ref().trim().to_string(),
                rate(&Spanned::new(v.span(), x), &field)?,
            );
        }
        let tiering = match &tiering {
            None => Tiering::Marginal,
            Some(t) => match t.get_ref().trim() {
                "marginal" => Tiering::Marginal,
                "whole" => Tiering::Whole,
                other => {
                    return Err(err(
                        t.span(),
                        "tiering",
                        format!("应为 marginal（超额累进）或 whole（全额），实际为 {other:?}"),
                        format!("must be marginal or whole, not {other:?}"),
                    ));
                }
            },
        };
        // Only after the last `[[tiers]]` header can a plan-level key land in a band by accident.
        let n_tiers = file.tiers.len();
        for (i, t) in file.tiers.iter().enumerate().take(n_tiers.saturating_sub(1)) {
            let t = t.get_ref();
            let stray = [
                (t.cap.as_ref().map(Spanned::span), "cap"),
                (t.override_rate.as_ref().map(Spanned::span), "override_rate"),
                (t.clawback_days.as_ref().map(Spanned::span), "clawback_days"),
            ];
            if let Some((Some(span), key)) = stray.into_iter().find(|(s, _)| s.is_some()) {
                return Err(err(
                    span,
                    &format!("tiers[{}].{key}", i + 1),
                    format!("{key} 属于整个方案，不属于第 {} 档：请写在 [[tiers]] 之前", i + 1),
                    format!(
                        "{key} belongs to the plan, not to band {}: write it before the [[tiers]]",
                        i + 1
                    ),
                ));
            }
        }
        let hoisted = |pick: &dyn Fn(&TierFile) -> bool| file.tiers.last().filter(|t| pick(t.get_ref()));
        let mut cap_v = file.cap.clone();
        let mut override_v = file.override_rate.clone();
        let mut clawback_v = file.clawback_days.clone();
        if let Some(last) = hoisted(&|t| t.cap.is_some() || t.override_rate.is_some() || t.clawback_days.is_some()) {
            let t = last.get_ref();
            for (inner, outer, name) in [
                (t.cap.as_ref().map(Spanned::span), &mut cap_v, "cap"),
                (
                    t.override_rate.as_ref().map(Spanned::span),
                    &mut override_v,
                    "override_rate",
                ),
            ] {
                if let Some(span) = inner {
                    if outer.is_some() {
                        return Err(twice(err(span, name, String::new(), String::new())));
                    }
                    let value = if name == "cap" {
                        t.cap.clone()
                    } else {
                        t.override_rate.clone()
                    };
                    *outer = value;
                }
            }
            if let Some(d) = &t.clawback_days {
                if clawback_v.is_some() {
                    return Err(twice(err(d.span(), "clawback_days", String::new(), String::new())));
                }
                clawback_v = Some(d.clone());
            }
        }
        let rate_field = file.rate_field.as_ref().map(|f| f.get_ref().trim().to_string());
        if let Some(f) = &file.rate_field
            && !RATE_FIELDS.contains(&f.get_ref().trim())
        {
            return Err(err(
                f.span(),
                "rate_field",
                format!("未知的商机字段 {:?}；可用：{}", f.get_ref(), RATE_FIELDS.join("、")),
                format!(
                    "unknown opportunity field {:?}; known: {}",
                    f.get_ref(),
                    RATE_FIELDS.join(", ")
                ),
            ));
        }
        if rate_field.is_none()
            && let Some((k, _)) = file.rates.iter().next()
        {
            return Err(err(
                k.span(),
                "rates",
                "有 [rates] 却没有 rate_field：请说明按哪个商机字段取比例".into(),
                "[rates] without rate_field: say which opportunity field picks the rate".into(),
            ));
        }
        let tiers = tiers(&file.tiers, &err)?;
        let cap_fen = match &cap_v {
            None => None,
            Some(c) if *c.get_ref() >= 0.0 && *c.get_ref() <= 1e12 => Some(
                uplift_domain::Money::from_decimal(exact(*c.get_ref()))
                    .map(|m| m.fen())
                    .ok_or_else(|| err(c.span(), "cap", "金额过大".into(), "too large".into()))?,
            ),
            Some(c) => {
                return Err(err(
                    c.span(),
                    "cap",
                    "封顶金额应在 0 到 1,000,000,000,000 之间".into(),
                    "the cap must lie between 0 and 1,000,000,000,000".into(),
                ));
            }
        };
        let override_rate = override_v.as_ref().map(|r| rate(r, "override_rate")).transpose()?;
        let clawback_days = match &clawback_v {
            None => 0,
            Some(d) => u32::try_from(*d.get_ref()).map_err(|_| {
                err(
                    d.span(),
                    "clawback_days",
                    "追回期（天）必须是不小于 0 的整数".into(),
                    "clawback_days must be a whole number of days, 0 or more".into(),
                )
            })?,
        };
        Ok(Plan {
            id,
            name: file.name.into_inner().trim().to_string(),
            period: file.period,
            basis: file.basis,
            effective_from,
            effective_to,
            departments,
            employees,
            default_rate,
            rate_field,
            rates,
            tiering,
            tiers,
            cap_fen,
            override_rate,
            clawback_days,
        })
    }

    /// Whether this version is in effect on `day`.
    pub fn in_effect(&self, day: NaiveDate) -> bool {
        self.effective_from <= day && self.effective_to.is_none_or(|to| day <= to)
    }

    /// The rate of a deal whose `rate_field` value is `value`.
    pub fn rate_for(&self, value: Option<&str>) -> Decimal {
        value
            .and_then(|v| self.rates.get(v.trim()))
            .copied()
            .unwrap_or(self.default_rate)
    }

    /// The band of attainment `a`: the last band above the last `to`, the first below 0 (a net
    /// reversal). `None` only without tiers.
    pub fn tier_of(&self, a: Decimal) -> Option<&Tier> {
        self.tiers
            .iter()
            .find(|t| t.from <= a && t.to.is_none_or(|to| a < to))
            .or_else(|| match self.tiers.first() {
                Some(first) if a < first.from => Some(first),
                _ => self.tiers.last(),
            })
    }
}

impl PeriodKind {
    /// 月 / month.
    pub fn label(self, lang: uplift_domain::Lang) -> &'static str {
        match self {
            PeriodKind::Month => lang.pick("月", "month"),
            PeriodKind::Quarter => lang.pick("季度", "quarter"),
        }
    }
}

impl Basis {
    /// 签约 / signed.
    pub fn label(self, lang: uplift_domain::Lang) -> &'static str {
        match self {
            Basis::Signed => lang.pick("签约", "signed"),
            Basis::Collected => lang.pick("回款", "collected"),
        }
    }
}

impl Tiering {
    /// 超额累进 / marginal.
    pub fn label(self, lang: uplift_domain::Lang) -> &'static str {
        match self {
            Tiering::Marginal => lang.pick("超额累进", "marginal"),
            Tiering::Whole => lang.pick("全额", "whole"),
        }
    }
}

type ErrFn<'a> = dyn Fn(Range<usize>, &str, String, String) -> PlanError + 'a;

/// Tiers must start at 0, be in order, neither overlap nor leave gaps; only the last may be open.
fn tiers(file: &[Spanned<TierFile>], err: &ErrFn<'_>) -> Result<Vec<Tier>, PlanError> {
    let mut out: Vec<Tier> = Vec::with_capacity(file.len());
    for (i, t) in file.iter().enumerate() {
        let t = t.get_ref();
        let field = |f: &str| format!("tiers[{}].{f}", i + 1);
        let (from, mult) = (*t.from.get_ref(), *t.multiplier.get_ref());
        if !from.is_finite() || from < 0.0 {
            return Err(err(
                t.from.span(),
                &field("from"),
                "不能为负".into(),
                "cannot be negative".into(),
            ));
        }
        if !mult.is_finite() || !(0.0..=100.0).contains(&mult) {
            return Err(err(
                t.multiplier.span(),
                &field("multiplier"),
                "系数应在 0 到 100 之间".into(),
                "a multiplier must lie between 0 and 100".into(),
            ));
        }
        if from > 1000.0 || t.to.as_ref().is_some_and(|to| *to.get_ref() > 1000.0) {
            return Err(err(
                t.from.span(),
                &field("from"),
                "达成率档位不能超过 1000（即 100000%）".into(),
                "a band of attainment cannot go beyond 1000 (100,000%)".into(),
            ));
        }
        let to = match &t.to {
            Some(to) if *to.get_ref() <= from => {
                return Err(err(
                    to.span(),
                    &field("to"),
                    format!("档位上限 {} 必须大于下限 {from}", to.get_ref()),
                    format!("the band's end {} must be above its start {from}", to.get_ref()),
                ));
            }
            Some(to) => Some(exact(*to.get_ref())),
            None => None,
        };
        let from = exact(from);
        match out.last() {
            None if from != Decimal::ZERO => {
                return Err(err(
                    t.from.span(),
                    &field("from"),
                    "第一档必须从 0 开始".into(),
                    "the first band must start at 0".into(),
                ));
            }
            Some(prev) => match prev.to {
                None => {
                    return Err(err(
                        t.from.span(),
                        &field("from"),
                        format!("第 {i} 档没有上限（to），之后不能再有档位"),
                        format!("band {i} has no end (to), so no band may follow it"),
                    ));
                }
                Some(end) if from < end => {
                    return Err(err(
                        t.from.span(),
                        &field("from"),
                        format!("与第 {i} 档重叠（第 {i} 档到 {end} 为止）"),
                        format!("overlaps band {i} (which runs to {end})"),
                    ));
                }
                Some(end) if from > end => {
                    return Err(err(
                        t.from.span(),
                        &field("from"),
                        format!("与第 {i} 档之间有空档（{end} 到 {from}）"),
                        format!("leaves a gap after band {i} ({end} to {from})"),
                    ));
                }
                Some(_) => {}
            },
            None => {}
        }
        out.push(Tier {
            from,
            to,
            multiplier: exact(mult),
        });
    }
    Ok(out)
}

fn twice(mut e: PlanError) -> PlanError {
    e.zh = "重复给出".into();
    e.en = "given twice".into();
    e
}

/// A TOML float as the exact decimal it was written as (its shortest round-trip form).
fn exact(x: f64) -> Decimal {
    Decimal::from_str(&format!("{x}"))
        .or_else(|_| Decimal::from_scientific(&format!("{x:e}")))
        .unwrap_or(Decimal::ZERO)
}

/// `unknown field `foo`, expected …` → `foo`.
fn field_in_message(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let end = start + msg[start..].find('`')?;
    Some(msg[start..end].to_string())
}

#[cfg(test)]
pub(crate) mod tests;
