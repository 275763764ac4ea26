//! The feature table of driver analysis: one row per person-month from the metric table, the
//! candidate drivers, the targets, and which features are the target in disguise.

use uplift_domain::Lang;
use uplift_domain::metric_data::EmployeeMonthMetrics;

use crate::drivers::{Driver, DriverInput, FeatureInfo, Layer, Observation};

/// A person-month of the metric table with who it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonMonth {
    pub employee_no: String,
    pub department: Option<String>,
    pub metrics: EmployeeMonthMetrics,
    /// Features beyond the metric table, by id (see [`extra_label`]): attributes (`age`,
    /// `attr:学历=硕士`, `city:杭州`), lead mix (`source:Web`, `industry:制造业`,
    /// `industry_match_rate`), skills trained (`skill:negotiation`). Absent = missing. In any
    /// order; ids should be shared (`Arc`) across the rows, which makes building the table fast.
    pub extra: Vec<(std::sync::Arc<str>, f64)>,
}

/// Targets a driver analysis can explain.
pub const TARGETS: [&str; 5] = [
    "contribution",
    "per_capita_contribution",
    "quota_attainment",
    "lead_conversion_rate",
    "win_rate",
];

/// A candidate driver: how to read it, and the step an explanation speaks of.
struct Candidate {
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    value: fn(&EmployeeMonthMetrics) -> Option<f64>,
    /// The change an explanation describes ("1 more follow-up a week", "10 points more").
    step: f64,
    step_zh: &'static str,
    step_en: &'static str,
}

const CANDIDATES: &[Candidate] = &[
    Candidate {
        id: "followups_per_week",
        zh: "周均跟进次数",
        en: "follow-ups per week",
        value: |m| m.followups_per_week,
        step: 1.0,
        step_zh: "每周多跟进1次",
        step_en: "one more follow-up a week",
    },
    Candidate {
        id: "first_response_hours",
        zh: "首次响应时长",
        en: "first response time",
        value: |m| m.first_response_hours,
        step: 1.0,
        step_zh: "首次响应每慢1小时",
        step_en: "each hour slower to first contact",
    },
    Candidate {
        id: "contacted_within_24h_rate",
        zh: "24小时触达率",
        en: "contacted within 24h",
        value: |m| m.contacted_within_24h_rate,
        step: 0.1,
        step_zh: "24小时触达率提高10个百分点",
        step_en: "10 points more leads contacted within 24h",
    },
    // The pre-sale stages only: the care of won customers grows with a rep's past wins, so the
    // all-stage `cadence_compliance` measures how many customers a rep carries as much as
    // discipline (on the demo it came out negative for contribution, a result read backwards).
    Candidate {
        id: "presale_cadence_compliance",
        zh: "售前跟进节奏达标率",
        en: "pre-sale cadence compliance",
        value: |m| m.presale_cadence_compliance,
        step: 0.1,
        step_zh: "售前跟进节奏达标率提高10个百分点",
        step_en: "10 points higher pre-sale cadence compliance",
    },
    Candidate {
        id: "lead_conversion_rate",
        zh: "线索转化率",
        en: "lead conversion rate",
        value: |m| m.lead_conversion_rate,
        step: 0.1,
        step_zh: "线索转化率提高10个百分点",
        step_en: "10 points higher lead conversion",
    },
    Candidate {
        id: "win_rate",
        zh: "赢单率",
        en: "win rate",
        value: |m| m.win_rate,
        step: 0.1,
        step_zh: "赢单率提高10个百分点",
        step_en: "10 points higher win rate",
    },
    Candidate {
        id: "avg_deal_size",
        zh: "客单价",
        en: "average deal size",
        value: |m| m.avg_deal_size,
        step: 10_000.0,
        step_zh: "客单价高1万元",
        step_en: "¥10,000 larger deals",
    },
    Candidate {
        id: "leads_received",
        zh: "分配线索数",
        en: "leads received",
        value: |m| Some(m.leads_received as f64),
        step: 10.0,
        step_zh: "每月多分配10条线索",
        step_en: "10 more leads a month",
    },
    Candidate {
        id: "pipeline_value",
        zh: "在手商机金额",
        en: "open pipeline",
        value: |m| Some(m.pipeline_fen as f64 / 100.0),
        step: 100_000.0,
        step_zh: "在手商机多10万元",
        step_en: "¥100,000 more open pipeline",
    },
    Candidate {
        id: "training_completion_rate",
        zh: "培训完成率",
        en: "training completion rate",
        value: |m| m.training_completion_rate,
        step: 0.1,
        step_zh: "培训完成率提高10个百分点",
        step_en: "10 points higher training completion",
    },
    Candidate {
        id: "trainings_done_to_date",
        zh: "累计完成课程数",
        en: "courses completed to date",
        value: |m| Some(m.trainings_done_to_date as f64),
        step: 1.0,
        step_zh: "多完成1门课程",
        step_en: "one more course completed",
    },
    Candidate {
        id: "appraisal_score",
        zh: "绩效得分",
        en: "appraisal score",
        value: |m| m.appraisal_score,
        step: 1.0,
        step_zh: "绩效得分高1分",
        step_en: "one point higher appraisal",
    },
];

/// A candidate driver's value in a person-month.
pub fn candidate_value(id: &str, m: &EmployeeMonthMetrics) -> Option<f64> {
    CANDIDATES.iter().find(|c| c.id == id).and_then(|c| (c.value)(m))
}

/// A candidate driver's name in the user's language (the id when unknown).
pub fn feature_label(id: &str, lang: Lang) -> String {
    match CANDIDATES.iter().find(|c| c.id == id) {
        Some(c) => lang.pick(c.zh, c.en).to_string(),
        None if is_extra(id) => extra_label(id, lang),
        None => uplift_domain::MetricId::parse(id)
            .map(|m| m.label(lang).to_string())
            .unwrap_or_else(|| id.to_string()),
    }
}

fn is_extra(id: &str) -> bool {
    id == "age" || id == "industry_match_rate" || id.contains(':')
}

/// The name of an extra feature (see [`PersonMonth::extra`]).
pub fn extra_label(id: &str, lang: Lang) -> String {
    let (kind, value) = id.split_once(':').unwrap_or((id, ""));
    match (kind, lang) {
        ("age", _) => lang.pick("年龄", "age").into(),
        ("industry_match_rate", _) => lang.pick("线索行业与经验匹配率", "leads in own industry").into(),
        ("source", Lang::Zh) => format!("线索来源占比·{value}"),
        ("source", Lang::En) => format!("share of leads from {value}"),
        ("industry", Lang::Zh) => format!("线索行业占比·{value}"),
        ("industry", Lang::En) => format!("share of {value} leads"),
        ("skill", Lang::Zh) => format!("已完成培训·{value}"),
        ("skill", Lang::En) => format!("trained in {value}"),
        ("gender", Lang::Zh) => format!("性别·{value}"),
        ("gender", Lang::En) => format!("gender {value}"),
        ("education", Lang::Zh) => format!("学历·{value}"),
        ("education", Lang::En) => format!("education {value}"),
        ("city", Lang::Zh) => format!("城市·{value}"),
        ("city", Lang::En) => format!("based in {value}"),
        // A roster column of the customer's own: `attr:出勤率`, or one value of it `attr:学历=硕士`.
        ("attr", Lang::Zh) => value.replacen('=', "·", 1),
        ("attr", Lang::En) => value.replacen('=', " ", 1),
        _ => id.to_string(),
    }
}

/// The step an explanation speaks of for an extra feature: shares by 10 points, yes/no features
/// by having it, age by a year.
fn extra_step(id: &str, lang: Lang) -> (f64, String, bool) {
    let name = extra_label(id, lang);
    let (kind, value) = id.split_once(':').unwrap_or((id, ""));
    match (kind, lang) {
        ("age", _) => (1.0, lang.pick("年长1岁", "one year older").into(), false),
        ("source" | "industry" | "industry_match_rate", Lang::Zh) => (0.1, format!("{name}提高10个百分点"), true),
        ("source" | "industry" | "industry_match_rate", Lang::En) => (0.1, format!("10 points more {name}"), true),
        ("skill", Lang::Zh) => (1.0, format!("完成过「{value}」相关培训"), false),
        ("skill", Lang::En) => (1.0, format!("having been trained in {value}"), false),
        ("attr", _) if !value.contains('=') && (value.contains('率') || value.to_lowercase().contains("rate")) => (
            0.1,
            match lang {
                Lang::Zh => format!("{name}提高10个百分点"),
                Lang::En => format!("10 points higher {name}"),
            },
            true,
        ),
        ("attr", _) if !value.contains('=') => (
            1.0,
            match lang {
                Lang::Zh => format!("{name}每高1"),
                Lang::En => format!("one unit more {name}"),
            },
            false,
        ),
        (_, Lang::Zh) => (1.0, format!("{name}（相对其他）"), false),
        (_, Lang::En) => (1.0, format!("{name} (against the others)"), false),
    }
}

/// Where a feature sits on the causal path to the target (docs/insight.md, "Causal layout"):
/// levers a person or manager can change, circumstances a person is given or is, and the funnel
/// outcomes the target is made of. A new metric or feature must be placed here; anything not
/// named is a circumstance (lead mix, roster attributes, age, city).
pub fn layer_of(id: &str) -> Layer {
    match id {
        "followups_per_week"
        | "first_response_hours"
        | "contacted_within_24h_rate"
        | "cadence_compliance"
        | "presale_cadence_compliance"
        | "training_completion_rate"
        | "trainings_done_to_date" => Layer::Lever,
        "lead_conversion_rate"
        | "win_rate"
        | "pipeline_value"
        | "avg_deal_size"
        | "orders_won"
        | "leads_converted"
        | "deals_lost"
        | "contribution"
        | "per_capita_contribution"
        | "quota_attainment" => Layer::Outcome,
        f if f.starts_with("skill:") => Layer::Lever,
        _ => Layer::Circumstance,
    }
}

/// The behaviour a lever measures (see [`FeatureInfo::family`]): first-response time and the
/// 24-hour contact rate are one behaviour measured twice; follow-ups a week are the means of
/// cadence compliance; a course's skill is one of the courses training volume counts. Empty for
/// features that are not levers.
pub fn lever_family(id: &str) -> String {
    match id {
        "first_response_hours" | "contacted_within_24h_rate" => "first_contact".into(),
        "followups_per_week" | "cadence_compliance" | "presale_cadence_compliance" => "follow_up".into(),
        "training_completion_rate" | "trainings_done_to_date" => "training".into(),
        f => match f.strip_prefix("skill:") {
            Some(skill) => format!("training/{skill}"),
            None => String::new(),
        },
    }
}

fn feature_info(id: &str, zh: String, en: String) -> FeatureInfo {
    FeatureInfo {
        id: id.to_string(),
        zh,
        en,
        layer: layer_of(id),
        family: lever_family(id),
    }
}

/// Whether `confounded_by` names a control (rather than another driver).
pub fn is_control(name: &str) -> bool {
    matches!(name, "tenure" | "department" | "month")
}

/// The target's value of a person-month.
fn target_value(target: &str, m: &EmployeeMonthMetrics) -> Option<f64> {
    match target {
        "contribution" => Some(m.contribution_fen as f64 / 100.0),
        "per_capita_contribution" => m.per_capita_contribution,
        "quota_attainment" => m.quota_attainment,
        "lead_conversion_rate" => m.lead_conversion_rate,
        "win_rate" => m.win_rate,
        _ => None,
    }
}

/// Features left out for a target because they contain it, with the reason.
pub fn excluded_for(target: &str) -> Vec<(String, String)> {
    let contains = "contains the target (the same deals counted another way)";
    let result = "follows from the target (converted leads become this pipeline)";
    let list: &[(&str, &str)] = match target {
        // Win rate and deal size stay in the table as funnel outcomes (never ranked: the paths).
        "contribution" | "per_capita_contribution" | "quota_attainment" => &[
            ("orders_won", contains),
            ("per_capita_contribution", contains),
            ("quota_attainment", contains),
            ("contribution", contains),
        ],
        "lead_conversion_rate" => &[("leads_converted", contains), ("pipeline_value", result)],
        "win_rate" => &[("orders_won", contains), ("deals_lost", contains)],
        _ => &[],
    };
    let mut out: Vec<(String, String)> = list
        .iter()
        .filter(|(f, _)| *f != target)
        .map(|(f, r)| (f.to_string(), r.to_string()))
        .collect();
    // Appraisals are written with the month's results in view: ranked as a driver they came
    // first on every company tried, with the arrow pointing from result to rating. Not a lever.
    out.push(("appraisal_score".into(), RATING_OF_RESULTS.into()));
    out.push((target.to_string(), "the target itself".into()));
    out
}

/// Whether more of a lever is meant to raise output: more and faster follow-up, better cadence,
/// more training. `None` for features that are not levers of that kind (lead mix, attributes…).
pub fn lever_raises_output(feature: &str) -> Option<bool> {
    match feature {
        "followups_per_week"
        | "contacted_within_24h_rate"
        | "cadence_compliance"
        | "presale_cadence_compliance"
        | "training_completion_rate"
        | "trainings_done_to_date" => Some(true),
        "first_response_hours" => Some(false),
        f if f.starts_with("skill:") => Some(true),
        _ => None,
    }
}

/// A lever whose association runs against its purpose (better cadence, lower output) is an
/// association of another kind — workload, or training given to the weaker — not advice:
/// alerts and "why is this person low" do not turn it into an action or a priced gap.
pub fn reads_backwards(feature: &str, positive: bool) -> bool {
    lever_raises_output(feature).is_some_and(|up| up != positive)
}

/// Whether a driver is a clear, unconfounded lever whose association runs against its purpose.
pub fn is_backwards_lever(d: &Driver) -> bool {
    d.layer == Layer::Lever
        && d.direction != "unclear"
        && d.confounded_by.is_none()
        && reads_backwards(&d.feature, d.direction == "positive")
}

/// Moves the clear levers that read backwards (more training, lower output: who is given the
/// lever, not what it does) after the clear levers that read as meant, keeping every other place,
/// and renumbers the ranks.
pub fn rank_backwards_levers_after(drivers: &mut [Driver]) {
    let key = |d: &Driver| {
        if is_backwards_lever(d) {
            1
        } else if d.layer == Layer::Lever && d.direction != "unclear" && d.confounded_by.is_none() {
            0
        } else {
            2
        }
    };
    drivers.sort_by_key(key);
    for (i, d) in drivers.iter_mut().enumerate() {
        d.rank = i + 1;
    }
}

/// A feature's value as people read it: rates and compliance shares (0–1) as percentages, the
/// pipeline in whole yuan, the rest with one decimal.
pub fn shown_value(feature: &str, v: f64) -> String {
    if feature.ends_with("_rate") || feature.ends_with("_compliance") {
        format!("{:.0}%", v * 100.0)
    } else if feature == "pipeline_value" {
        format!("¥{}", uplift_domain::money::whole_with_separators(v))
    } else {
        format!("{v:.1}")
    }
}

/// The name of a control the analysis holds fixed (`confounded_by` = tenure, department, month);
/// `None` for a feature id (see [`feature_label`]).
pub fn control_label(control: &str, lang: Lang) -> Option<&'static str> {
    match control {
        "tenure" => Some(lang.pick("司龄", "tenure")),
        "department" => Some(lang.pick("部门", "department")),
        "month" => Some(lang.pick("月份", "the month")),
        _ => None,
    }
}

const RATING_OF_RESULTS: &str = "a rating of the results, written with them in view: not a lever";

/// A reason a feature was left out (from [`excluded_for`] or the driver analysis' screens), in
/// the user's language. Reasons are produced in English by the engines; unknown ones stay as they are.
pub fn reason_label(reason: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return reason.to_string();
    }
    let fixed = match reason {
        "contains the target (the same deals counted another way)" => Some("包含目标本身（同一批成交换一种算法）"),
        crate::drivers::OUTCOME_REASON => {
            Some("漏斗结果：是目标的组成部分，处在行为到目标的路径上（见各因素的作用路径）")
        }
        "follows from the target (converted leads become this pipeline)" => {
            Some("是目标的结果（转化的线索变成这些商机）")
        }
        "the target itself" => Some("目标本身"),
        RATING_OF_RESULTS => Some("绩效评分是看着结果打的：是结果的评价，不是可以拉动的因素"),
        "missing in more than half the rows" => Some("超过一半的人月缺少该值"),
        "constant" => Some("没有变化"),
        "no variation within departments and months" => Some("在同一部门、同一月份内没有差异"),
        "collinear with other drivers and the controls" => Some("可由其他因素和控制变量完全解释"),
        "too few person-months for the wider feature table (attributes, lead mix, skills)" => {
            Some("人月数不足以分析扩展因素（人员属性、线索结构、技能）")
        }
        _ => None,
    };
    if let Some(t) = fixed {
        return t.to_string();
    }
    match reason.strip_prefix("collinear with ") {
        Some(other) => format!("与「{}」完全共线", feature_label(other, lang)),
        None => reason.to_string(),
    }
}

/// The driver input for `target` from person-months: months worked below half time (fte < 0.5)
/// are left out; the target itself is not a candidate.
pub fn driver_input(target: &str, rows: &[PersonMonth]) -> DriverInput {
    let excluded = excluded_for(target);
    let candidates: Vec<&Candidate> = CANDIDATES
        .iter()
        .filter(|c| !excluded.iter().any(|(f, _)| f == c.id))
        .collect();
    // The extra features present anywhere, in a stable order. Rows share their ids (`Arc`s), and
    // most rows list the same ids as the row before: both are checked by pointer, so placing a
    // row's extras costs no string comparison (this is per person-month × feature).
    let ptr = |k: &std::sync::Arc<str>| std::sync::Arc::as_ptr(k) as *const u8 as usize;
    let mut by_ptr: std::collections::HashMap<usize, std::sync::Arc<str>> = std::collections::HashMap::new();
    let mut last: Vec<usize> = Vec::new();
    for r in rows {
        if r.extra.len() == last.len() && r.extra.iter().zip(&last).all(|((k, _), p)| ptr(k) == *p) {
            continue;
        }
        last = r.extra.iter().map(|(k, _)| ptr(k)).collect();
        for (k, _) in &r.extra {
            by_ptr.entry(ptr(k)).or_insert_with(|| k.clone());
        }
    }
    let extra_ids: Vec<String> = by_ptr
        .values()
        .map(|k| k.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let base = candidates.len();
    let column: std::collections::HashMap<usize, usize> = by_ptr
        .iter()
        .filter_map(|(p, k)| Some((*p, base + extra_ids.binary_search_by(|id| id.as_str().cmp(k)).ok()?)))
        .collect();
    let mut last: Vec<(usize, usize)> = Vec::new(); // (pointer, column) of the row before
    let observations = rows
        .iter()
        .filter(|r| r.metrics.fte >= 0.5)
        .map(|r| {
            let mut features: Vec<Option<f64>> = candidates.iter().map(|c| (c.value)(&r.metrics)).collect();
            features.resize(base + extra_ids.len(), None);
            let same = r.extra.len() == last.len() && r.extra.iter().zip(&last).all(|((k, _), (p, _))| ptr(k) == *p);
            if !same {
                last = r.extra.iter().map(|(k, _)| (ptr(k), column[&ptr(k)])).collect();
            }
            for ((_, v), (_, col)) in r.extra.iter().zip(&last) {
                features[*col] = Some(*v);
            }
            Observation {
                employee: r.employee_no.clone(),
                department: r.department.clone(),
                month: r.metrics.month,
                tenure_months: r.metrics.tenure_months.map(|t| t as f64),
                target: target_value(target, &r.metrics),
                features,
            }
        })
        .collect();
    let mut features: Vec<FeatureInfo> = candidates
        .iter()
        .map(|c| feature_info(c.id, c.zh.into(), c.en.into()))
        .collect();
    features.extend(
        extra_ids
            .iter()
            .map(|id| feature_info(id, extra_label(id, Lang::Zh), extra_label(id, Lang::En))),
    );
    DriverInput {
        target: target.to_string(),
        features,
        rows: observations,
    }
}

mod explain;
pub use explain::{explain, explain_path, layer_label};

#[cfg(test)]
mod tests;
