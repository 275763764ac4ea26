//! The wider feature table of driver analysis: people's attributes (age, city, the roster's own
//! columns such as 学历 or 出勤率 — never pay, identity, contact or protected attributes such as
//! gender), the mix of leads they received (by source, by
//! industry, and how much of it is in their own industry) and the skills they have been trained
//! in, per person-month. Categorical values become yes/no columns against the most common value
//! (which is left out, so the columns are not collinear); at most [`MAX_LEVELS`] per attribute.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use uplift_domain::Month;

use crate::{AppError, Store};

/// Values per categorical attribute or lead dimension turned into columns (besides the reference).
const MAX_LEVELS: usize = 6;

/// Roster columns never used as drivers: pay (a result of output, and confidential), identity
/// numbers and contact details, and attributes it is unlawful to judge people by (gender, ethnicity,
/// marital or pregnancy status, religion, health, household registration — 就业促进法, 妇女权益保障法).
fn is_sensitive(column: &str) -> bool {
    const WORDS: [&str; 24] = [
        "薪",
        "工资",
        "奖金",
        "salary",
        "pay",
        "wage",
        "bonus",
        "身份证",
        "证件",
        "手机",
        "电话",
        "邮箱",
        "mobile",
        "phone",
        "email",
        "性别",
        "gender",
        "民族",
        "婚",
        "孕",
        "宗教",
        "健康",
        "户籍",
        "户口",
    ];
    let c = column.to_lowercase();
    WORDS.iter().any(|w| c.contains(w))
}

/// Per person: the features that do not change by month, and what does.
#[derive(Default)]
struct Person {
    birth: Option<NaiveDate>,
    fixed: Vec<(Arc<str>, f64)>,
    experience: Option<String>,
    /// (completed date, skill)
    skills: Vec<(NaiveDate, Arc<str>)>,
}

/// One person-month's leads: in all, in their own industry of experience, per listed source and
/// per listed industry.
type MonthLeads = (i64, i64, Vec<i64>, Vec<i64>);

/// Extra features by person and month.
pub struct Extras {
    people: FxHashMap<String, Person>,
    /// employee → month key → the month's lead counts.
    leads: FxHashMap<String, FxHashMap<i32, MonthLeads>>,
    /// Feature ids of the listed sources and industries, in the order of the counts; the first
    /// (most common) of each is the reference and has no column.
    sources: Vec<Arc<str>>,
    industries: Vec<Arc<str>>,
    /// (skill, feature id)
    skills: Vec<(Arc<str>, Arc<str>)>,
    age_id: Arc<str>,
    match_id: Arc<str>,
    ids: FxHashMap<String, Arc<str>>,
}

/// The most common values after the first (the reference), at most `MAX_LEVELS`.
fn levels<'a>(counts: impl Iterator<Item = (&'a str, i64)>) -> Vec<String> {
    let mut by: BTreeMap<&str, i64> = BTreeMap::new();
    for (v, n) in counts {
        if !v.trim().is_empty() {
            *by.entry(v).or_default() += n;
        }
    }
    let mut v: Vec<(&str, i64)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .skip(1)
        .take(MAX_LEVELS)
        .map(|(k, _)| k.to_string())
        .collect()
}

impl Extras {
    fn id(&mut self, s: String) -> Arc<str> {
        self.ids
            .entry(s.clone())
            .or_insert_with(|| Arc::from(s.as_str()))
            .clone()
    }

    /// Loads what months `from..=to` need.
    // Long on purpose: reads each extra of the feature table (attributes, lead mix, skills) in one
    // place, so the months and people they cover stay the same.
    pub async fn load(store: &Store, from: Month, to: Month) -> Result<Extras, AppError> {
        let mut x = Extras {
            people: FxHashMap::default(),
            leads: FxHashMap::default(),
            sources: Vec::new(),
            industries: Vec::new(),
            skills: Vec::new(),
            age_id: Arc::from("age"),
            match_id: Arc::from("industry_match_rate"),
            ids: FxHashMap::default(),
        };
        let attrs = store.person_attributes().await?;
        // Categorical levels over the roster.
        let cities = levels(attrs.iter().filter_map(|a| a.city.as_deref()).map(|c| (c, 1)));
        let parsed: Vec<BTreeMap<String, String>> = attrs
            .iter()
            .map(|a| serde_json::from_str(&a.attributes).unwrap_or_default())
            .collect();
        let keys: BTreeSet<&String> = parsed.iter().flat_map(|m| m.keys()).collect();
        // A roster column is numeric when every value it has parses as a number.
        let mut numeric: BTreeSet<String> = BTreeSet::new();
        let mut categorical: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for k in keys.into_iter().filter(|k| !is_sensitive(k)) {
            let vals: Vec<&str> = parsed
                .iter()
                .filter_map(|m| m.get(k))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            if vals.is_empty() {
                continue;
            }
            if vals.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)) {
                numeric.insert(k.clone());
            } else {
                categorical.insert(k.clone(), levels(vals.iter().map(|v| (*v, 1))));
            }
        }
        for (a, map) in attrs.iter().zip(&parsed) {
            let mut fixed = Vec::new();
            if let Some(c) = a.city.as_deref().filter(|c| !c.trim().is_empty()) {
                for level in &cities {
                    let id = x.id(format!("city:{level}"));
                    fixed.push((id, f64::from(u8::from(c == level))));
                }
            }
            for k in &numeric {
                if let Some(v) = map.get(k).and_then(|v| v.trim().parse::<f64>().ok()) {
                    let id = x.id(format!("attr:{k}"));
                    fixed.push((id, v));
                }
            }
            for (k, lv) in &categorical {
                if let Some(v) = map.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                    for level in lv {
                        let id = x.id(format!("attr:{k}={level}"));
                        fixed.push((id, f64::from(u8::from(v == level))));
                    }
                }
            }
            x.people.insert(
                a.employee_no.clone(),
                Person {
                    birth: a.birth_date.as_deref().and_then(|d| d.parse().ok()),
                    fixed,
                    experience: a.industry_experience.clone().filter(|e| !e.trim().is_empty()),
                    skills: Vec::new(),
                },
            );
        }

        // The stored mix: counted once without copying its text, the most common values listed
        // (the first is the reference), then each person-month's counts placed by value.
        let mix = store.lead_mix(from.to_key(), to.to_key()).await?;
        fn lines(text: &str) -> impl Iterator<Item = (&str, &str, i64)> {
            text.lines().filter_map(|line| {
                let mut parts = line.split('\t');
                let (kind, value, n) = (parts.next()?, parts.next()?, parts.next()?);
                Some((kind, value, n.trim().parse::<i64>().ok()?))
            })
        }
        let (mut by_source, mut by_industry): (FxHashMap<&str, i64>, FxHashMap<&str, i64>) = Default::default();
        for r in &mix {
            for (kind, value, n) in lines(&r.mix) {
                match kind {
                    "s" => *by_source.entry(value).or_default() += n,
                    "i" => *by_industry.entry(value).or_default() += n,
                    _ => {}
                }
            }
        }
        let top = |m: &FxHashMap<&str, i64>| {
            let mut v: Vec<(&str, i64)> = m
                .iter()
                .map(|(k, n)| (*k, *n))
                .filter(|(k, _)| !k.trim().is_empty())
                .collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            v.into_iter()
                .take(MAX_LEVELS + 1)
                .map(|(k, _)| k.to_string())
                .collect::<Vec<_>>()
        };
        let (sources, industries) = (top(&by_source), top(&by_industry));
        let position = |listed: &[String]| -> FxHashMap<String, usize> {
            listed.iter().enumerate().map(|(i, v)| (v.clone(), i)).collect()
        };
        let (source_at, industry_at) = (position(&sources), position(&industries));
        x.sources = sources.iter().map(|v| x.id(format!("source:{v}"))).collect();
        x.industries = industries.iter().map(|v| x.id(format!("industry:{v}"))).collect();
        for r in &mix {
            let (mut total, mut own) = (0, 0);
            let (mut s, mut i) = (vec![0; sources.len()], vec![0; industries.len()]);
            for (kind, value, n) in lines(&r.mix) {
                match kind {
                    "s" => {
                        total += n;
                        if let Some(&k) = source_at.get(value) {
                            s[k] += n;
                        }
                    }
                    "i" => {
                        if let Some(&k) = industry_at.get(value) {
                            i[k] += n;
                        }
                    }
                    _ => own += n,
                }
            }
            x.leads
                .entry(r.employee_no.clone())
                .or_default()
                .insert(r.month as i32, (total, own, s, i));
        }

        let mut skills = BTreeSet::new();
        for c in store.completed_courses(&to.last_day().to_string()).await? {
            let Ok(done) = c.completed_date.parse::<NaiveDate>() else {
                continue;
            };
            for skill in c
                .skills
                .split([';', ',', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let id = x.id(skill.to_string());
                skills.insert(id.clone());
                if let Some(p) = x.people.get_mut(&c.employee_no) {
                    p.skills.push((done, id));
                }
            }
        }
        x.skills = skills
            .into_iter()
            .map(|s: Arc<str>| {
                let id = x.id(format!("skill:{s}"));
                (s, id)
            })
            .collect();
        Ok(x)
    }

    /// The extra features of one person-month, in the same order for every row (by kind).
    pub fn of(&self, employee_no: &str, month: i32) -> Vec<(Arc<str>, f64)> {
        let mut out = Vec::new();
        let Some(m) = Month::from_key(month) else { return out };
        let person = self.people.get(employee_no);
        if let Some(p) = person {
            out.extend(p.fixed.iter().cloned());
            if let Some(b) = p.birth {
                let end = m.last_day();
                let mut age = end.year() - b.year();
                if (end.month(), end.day()) < (b.month(), b.day()) {
                    age -= 1;
                }
                out.push((self.age_id.clone(), f64::from(age)));
            }
            let end = m.last_day();
            for (skill, id) in &self.skills {
                // Skills are interned (`Extras::id`): the same skill is the same pointer.
                let done = p.skills.iter().any(|(d, s)| *d <= end && Arc::ptr_eq(s, skill));
                out.push((id.clone(), f64::from(u8::from(done))));
            }
        }
        if let Some((total, own, by_source, by_industry)) = self.leads.get(employee_no).and_then(|m| m.get(&month))
            && *total > 0
        {
            let total = *total as f64;
            // The most common source and industry are the reference: shares of all would add up to one.
            for (id, n) in self.sources.iter().zip(by_source).skip(1) {
                out.push((id.clone(), *n as f64 / total));
            }
            for (id, n) in self.industries.iter().zip(by_industry).skip(1) {
                out.push((id.clone(), *n as f64 / total));
            }
            if person.is_some_and(|p| p.experience.is_some()) {
                out.push((self.match_id.clone(), *own as f64 / total));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pay_identity_and_protected_columns_are_never_drivers() {
        for c in [
            "月薪",
            "基本工资",
            "Salary",
            "身份证号",
            "手机号",
            "性别",
            "婚姻状况",
            "民族",
            "户籍",
        ] {
            assert!(super::is_sensitive(c), "{c}");
        }
        for c in ["学历", "出勤率", "职级", "城市"] {
            assert!(!super::is_sensitive(c), "{c}");
        }
    }
}
