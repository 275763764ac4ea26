//! "Did it work?": a difference-in-differences evaluation of an intervention (a course, a new
//! follow-up rule, a routing change) on one metric, saved by name so its running result can be
//! listed and re-checked as months come in.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use uplift_domain::access::{Scope, path_within};
use uplift_domain::metric::MetricId;
use uplift_domain::{Lang, Month};
use uplift_insight::effect::{
    EffectError, EffectInput, EffectReport, PanelRow, SpacePlacebo, Verdict, evaluate_effect, space_placebo,
};
use uplift_insight::forecast::{month_index, month_of_index};
use uplift_store::{ForecastPerson, InterventionRow, MetricFilter, Store};

use crate::AppError;

/// What to evaluate. Without `treated` and `start`, the saved intervention of that name is re-run.
#[derive(Debug, Clone, Default)]
pub struct EffectQuery {
    pub name: String,
    /// Department paths and/or employee numbers, comma-separated.
    pub treated: Option<String>,
    /// The comparison group, written the same way; default everyone else in scope.
    pub control: Option<String>,
    pub start: Option<NaiveDate>,
    /// Default `contribution`.
    pub metric: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EffectResult {
    pub name: String,
    pub metric: String,
    pub metric_label: String,
    pub start: String,
    pub treated: String,
    pub control: Option<String>,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    /// `improved`, `worsened` or `inconclusive`.
    pub verdict: String,
    pub verdict_label: String,
    pub treated_n: usize,
    pub control_n: usize,
    pub from: String,
    pub to: String,
    pub report: EffectReport,
    /// For programmes given to whole departments: the same evaluation for each other department.
    pub space_placebo: Option<SpacePlacebo>,
    /// (month, treated mean, control mean) for charts.
    pub series: Vec<(String, f64, f64)>,
    /// The finding in one plain sentence.
    pub summary: String,
}

/// Who a group spec names: every employee number it covers (in `roster` order).
fn resolve_group(spec: &str, roster: &[ForecastPerson], lang: Lang) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for token in spec.split([',', '，', ';']).map(str::trim).filter(|t| !t.is_empty()) {
        let in_dept: Vec<&ForecastPerson> = roster
            .iter()
            .filter(|r| r.department.as_deref().is_some_and(|d| path_within(d, token)))
            .collect();
        if !in_dept.is_empty() {
            out.extend(in_dept.iter().map(|r| r.employee_no.clone()));
        } else if roster.iter().any(|r| r.employee_no == token) {
            out.push(token.to_string());
        } else {
            return Err(AppError::invalid(format!(
                "{}: {token}",
                lang.pick("未知的部门或工号", "unknown department or employee number")
            )));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn metric_of(id: &str, lang: Lang) -> Result<MetricId, AppError> {
    MetricId::parse(id).ok_or_else(|| AppError::invalid(format!("{}: {id}", lang.pick("未知的指标", "unknown metric"))))
}

/// Evaluates (and saves, by name) an intervention for the people in `scope`.
pub async fn evaluate(
    store: &Store,
    scope: &Scope,
    q: &EffectQuery,
    actor: &str,
    lang: Lang,
) -> Result<EffectResult, AppError> {
    let name = q.name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            lang.pick("请给干预起个名字（--name）", "give the intervention a --name")
                .into(),
        ));
    }
    let saved = store.intervention(name).await?;
    let roster = store.forecast_people().await?;
    let row = match (&q.treated, q.start, &saved) {
        (Some(treated), Some(start), _) => {
            let metric = q.metric.clone().unwrap_or_else(|| "contribution".into());
            // Appraisals are read under their own rule and audit trail; group means of them are
            // not published through saved interventions.
            if metric_of(&metric, lang)? == MetricId::AppraisalScore {
                return Err(AppError::invalid(
                    lang.pick(
                        "绩效得分不能用作干预评估指标",
                        "appraisal scores cannot be the metric of an intervention",
                    )
                    .into(),
                ));
            }
            // A name already taken by an intervention the caller may not see is not theirs to replace.
            if let Some(existing) = saved.as_ref()
                && !visible(scope, existing, &roster, lang).unwrap_or(false)
            {
                return Err(AppError::Forbidden);
            }
            // Without a named control, a director compares with the rest of their own
            // departments: the saved groups then mean the same thing to everyone who reads them.
            let control = match (q.control.as_deref().map(normalise).filter(|c| !c.is_empty()), scope) {
                (Some(c), _) => Some(c),
                (None, Scope::Departments(paths)) => Some(paths.join(", ")),
                (None, _) => None,
            };
            let row = InterventionRow {
                id: 0,
                name: name.to_string(),
                treated: normalise(treated),
                control,
                start_date: start.to_string(),
                metric,
                created_by: actor.to_string(),
                updated_ts: chrono::Utc::now().timestamp(),
            };
            if !visible(scope, &row, &roster, lang)? {
                return Err(AppError::Forbidden);
            }
            // Checked before it is saved: a saved intervention must evaluate.
            let result = run(store, &row, &roster, lang).await?;
            store.save_intervention(&row).await?;
            crate::access::audit(
                store,
                actor,
                None,
                "intervention.save",
                Some(name),
                Some(&row.treated),
                None,
            )
            .await?;
            return Ok(result);
        }
        (None, None, Some(saved)) if visible(scope, saved, &roster, lang)? => saved.clone(),
        (None, None, Some(_)) => return Err(AppError::Forbidden),
        (None, None, None) => {
            return Err(AppError::NotFound(format!(
                "{} {name:?}{}",
                lang.pick("干预", "intervention"),
                lang.pick(
                    "（新干预需要 --treated 和 --start）",
                    " (a new one needs --treated and --start)"
                )
            )));
        }
        _ => {
            return Err(AppError::invalid(
                lang.pick(
                    "干预对象（--treated）和开始日期（--start）需要一起给出",
                    "the treated group (--treated) and the start date (--start) go together",
                )
                .into(),
            ));
        }
    };
    run(store, &row, &roster, lang).await
}

/// Deletes a saved intervention the caller may see; `false` when there is none of that name.
pub async fn delete(store: &Store, scope: &Scope, name: &str, actor: &str, lang: Lang) -> Result<bool, AppError> {
    let Some(row) = store.intervention(name.trim()).await? else {
        return Ok(false);
    };
    let roster = store.forecast_people().await?;
    if !visible(scope, &row, &roster, lang).unwrap_or(matches!(scope, Scope::All)) {
        return Err(AppError::Forbidden);
    }
    let gone = store.delete_intervention(&row.name).await?;
    crate::access::audit(store, actor, None, "intervention.delete", Some(&row.name), None, None).await?;
    Ok(gone)
}

/// The groups as the user wrote them, tidied: tokens trimmed, one separator.
fn normalise(spec: &str) -> String {
    spec.split([',', '，', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether everyone an intervention compares lies inside `scope` (a company-wide comparison only
/// for company-wide roles).
fn visible(scope: &Scope, row: &InterventionRow, roster: &[ForecastPerson], lang: Lang) -> Result<bool, AppError> {
    if matches!(scope, Scope::All) {
        return Ok(true);
    }
    let Some(control) = &row.control else { return Ok(false) };
    let inside = |nos: Vec<String>| {
        nos.iter().all(|no| {
            roster
                .iter()
                .find(|r| &r.employee_no == no)
                .is_some_and(|r| scope.contains(no, r.department.as_deref()))
        })
    };
    Ok(inside(resolve_group(&row.treated, roster, lang)?) && inside(resolve_group(control, roster, lang)?))
}

/// Every saved intervention with its result on today's data (or why it cannot be evaluated).
pub async fn running(
    store: &Store,
    scope: &Scope,
    lang: Lang,
) -> Result<Vec<(InterventionRow, Result<EffectResult, String>)>, AppError> {
    let mut out = Vec::new();
    // The roster is read once for the whole list.
    let roster = store.forecast_people().await?;
    for row in store.interventions().await? {
        // An intervention whose groups cannot be resolved any more is listed company-wide only.
        if !visible(scope, &row, &roster, lang).unwrap_or(matches!(scope, Scope::All)) {
            continue;
        }
        let r = run(store, &row, &roster, lang).await.map_err(|e| e.render(lang));
        out.push((row, r));
    }
    Ok(out)
}

/// Evaluates a saved (or about to be saved) intervention: the same groups and numbers whoever asks.
// Long on purpose: groups, months and checks of one evaluation in the order the method defines them
// (see docs/insight.md); each step is commented.
async fn run(
    store: &Store,
    row: &InterventionRow,
    roster: &[ForecastPerson],
    lang: Lang,
) -> Result<EffectResult, AppError> {
    let metric = metric_of(&row.metric, lang)?;
    let start: NaiveDate = row.start_date.parse().map_err(|_| {
        AppError::invalid(format!(
            "{}: {}",
            lang.pick("日期格式应为 2026-03-01", "expected a date like 2026-03-01"),
            row.start_date
        ))
    })?;
    let treated = resolve_group(&row.treated, roster, lang)?;
    let control = match &row.control {
        Some(spec) => resolve_group(spec, roster, lang)?,
        None => roster
            .iter()
            .filter(|r| treated.binary_search(&r.employee_no).is_err())
            .map(|r| r.employee_no.clone())
            .collect(),
    };
    // The control never includes the treated (a department control may contain the treated team).
    let control: Vec<String> = control
        .into_iter()
        .filter(|c| treated.binary_search(c).is_err())
        .collect();
    // A start after the 1st leaves its month half treated: that month is left out.
    let first = Month::of(start);
    let first_treated = if start.day0() == 0 { first } else { first.next() };
    let last = crate::views::latest_month(store).await?;
    let from = Month::of(start).span_start(13);
    let rows = store
        .employee_metrics(&MetricFilter {
            from: Some(from),
            to: Some(last),
            ..Default::default()
        })
        .await?;
    let mut panel = Vec::new();
    for r in rows {
        let m = &r.metrics;
        let Some(month) = Month::from_key(m.month) else {
            continue;
        };
        if m.fte < 0.5 || (month >= first && month < first_treated) {
            continue;
        }
        let is_treated = treated.binary_search(&r.employee_no).is_ok();
        if !is_treated && control.binary_search(&r.employee_no).is_err() {
            continue;
        }
        let Some(value) = crate::metrics::employee_value(m, metric) else {
            continue;
        };
        panel.push(PanelRow {
            unit: r.employee_no,
            month: month_index(month),
            value,
            treated: is_treated,
        });
    }
    let start_index = month_index(first_treated);
    let control_rows: Vec<PanelRow> = panel.iter().filter(|r| !r.treated).cloned().collect();
    let mut report = evaluate_effect(&EffectInput {
        rows: panel,
        start: start_index,
    })
    .map_err(|e| AppError::invalid(effect_error(&e, lang)))?;
    // A programme given to whole departments must stand out from what other departments did.
    let whole_departments = row
        .treated
        .split([',', '，', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|t| {
            roster
                .iter()
                .any(|r| r.department.as_deref().is_some_and(|d| path_within(d, t)))
        });
    let space = if whole_departments {
        let dept: std::collections::HashMap<&str, &str> = roster
            .iter()
            .filter_map(|r| Some((r.employee_no.as_str(), r.department.as_deref()?)))
            .collect();
        space_placebo(
            &control_rows,
            &|unit: &str| dept.get(unit).map(|d| d.to_string()),
            start_index,
            report.estimate,
        )
    } else {
        None
    };
    if space.as_ref().is_some_and(|sp| !sp.passed) {
        report.verdict = Verdict::Inconclusive;
    }
    let label = metric.label(lang).to_string();
    let verdict_label = match lang {
        Lang::Zh => report.verdict.label_zh(),
        Lang::En => report.verdict.label_en(),
    }
    .to_string();
    let mut summary = summary(&report, metric, lang);
    if let Some(sp) = space.as_ref().filter(|sp| !sp.passed) {
        summary.push_str(&match lang {
            Lang::Zh => format!(
                "其他 {} 个部门中有 {} 个同期变化同样大，不能归因于这项干预。",
                sp.departments, sp.as_large
            ),
            Lang::En => format!(
                " {} of {} other departments changed as much over the same months: it cannot be credited to the intervention.",
                sp.as_large, sp.departments
            ),
        });
    }
    Ok(EffectResult {
        name: row.name.clone(),
        metric: row.metric.clone(),
        metric_label: label,
        start: row.start_date.clone(),
        treated: row.treated.clone(),
        control: row.control.clone(),
        estimate: report.estimate,
        ci_low: report.ci_low,
        ci_high: report.ci_high,
        p_value: report.p_value,
        verdict: serde_json::to_value(report.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        verdict_label,
        treated_n: report.treated_n,
        control_n: report.control_n,
        from: from.to_string(),
        to: last.to_string(),
        series: report
            .series
            .iter()
            .map(|&(m, t, c)| (month_of_index(m).to_string(), t, c))
            .collect(),
        report,
        space_placebo: space,
        summary,
    })
}

fn effect_error(e: &EffectError, lang: Lang) -> String {
    match (e, lang) {
        (_, Lang::En) => format!("cannot evaluate: {e}"),
        (EffectError::NoTreated, _) => "干预组在这段时间没有可用数据".into(),
        (EffectError::NoControl, _) => "对照组在这段时间没有可用数据".into(),
        (EffectError::NoPrePeriod, _) => "干预组或对照组在开始日期之前没有数据，无法比较前后变化".into(),
        (EffectError::NoPostPeriod, _) => "开始日期之后还没有数据，请等下个月的数据导入后再评估".into(),
        (EffectError::TooFewUnits { treated, control }, _) => {
            format!("人数太少：干预组 {treated} 人、对照组 {control} 人（每组至少 2 人）")
        }
        (EffectError::NotIdentified, _) => "干预组没有人同时有开始前后的数据，无法区分效果与人员变化".into(),
    }
}

/// A difference in `metric`'s own unit: money whole, rates in percentage points, counts with a decimal.
pub fn amount(metric: MetricId, v: f64, lang: Lang) -> String {
    use uplift_domain::metric::MetricUnit;
    match metric.unit() {
        MetricUnit::Money => {
            let s = uplift_domain::money::whole_with_separators(v.abs());
            let _ = lang;
            format!("{}¥{s}", if v < 0.0 { "-" } else { "" })
        }
        MetricUnit::Rate => format!("{:.1}{}", v * 100.0, lang.pick(" 个百分点", " pp")),
        _ => format!("{v:.1}"),
    }
}

fn summary(r: &EffectReport, id: MetricId, lang: Lang) -> String {
    let metric = match lang {
        Lang::Zh => id.label(lang).to_string(),
        Lang::En => id.label(lang).to_lowercase(),
    };
    let p = if r.p_value < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={:.3}", r.p_value)
    };
    let n = |v: f64| amount(id, v, lang);
    let checks = match (lang, r.pre_trend.parallel, r.placebo.as_ref().map(|p| p.passed)) {
        (Lang::Zh, true, Some(false)) => "；安慰剂检验未通过（开始前就出现了“效果”），结论不可靠",
        (Lang::Zh, false, _) => "；开始前两组走势就不平行，结论不可靠",
        (Lang::En, true, Some(false)) => {
            "; the placebo test failed (an \"effect\" before the start), so this is not reliable"
        }
        (Lang::En, false, _) => "; the groups were not moving in parallel before the start, so this is not reliable",
        _ => "",
    };
    match lang {
        Lang::Zh => format!(
            "相对对照组，干预组{metric}（人月平均）{}{}（95% 区间 {} 至 {}，{p}，干预组 {} 人、对照组 {} 人）{checks}。",
            if r.estimate >= 0.0 { "高 " } else { "低 " },
            n(r.estimate.abs()),
            n(r.ci_low),
            n(r.ci_high),
            r.treated_n,
            r.control_n
        ),
        Lang::En => format!(
            "Against the control group, the treated group's {metric} changed by {} per person-month (95% interval {} to {}, {p}, {} treated, {} control){checks}.",
            n(r.estimate),
            n(r.ci_low),
            n(r.ci_high),
            r.treated_n,
            r.control_n
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(no: &str, dept: &str) -> ForecastPerson {
        ForecastPerson {
            id: 0,
            employee_no: no.into(),
            name: no.into(),
            department: Some(dept.into()),
            hire_date: "2024-01-01".into(),
            leave_date: None,
        }
    }

    #[test]
    fn groups_resolve_departments_and_numbers() {
        let roster = vec![
            person("E1", "销售中心/一部"),
            person("E2", "销售中心/二部"),
            person("E3", "客户成功部"),
        ];
        assert_eq!(resolve_group("销售中心", &roster, Lang::Zh).unwrap(), vec!["E1", "E2"]);
        assert_eq!(
            resolve_group("E3，销售中心/二部", &roster, Lang::Zh).unwrap(),
            vec!["E2", "E3"]
        );
        let err = resolve_group("E9", &roster, Lang::Zh).unwrap_err().render(Lang::Zh);
        assert!(err.contains("未知的部门或工号: E9"), "{err}");
    }
}
