//! Insight use cases: load the person-months in scope and run the engines of `uplift_insight`.

use serde::Serialize;
use uplift_domain::access::Scope;
use uplift_domain::{Lang, Month};
pub use uplift_insight::drivers::Layer;
use uplift_insight::drivers::{DriverError, analyse_drivers};
use uplift_insight::features::{
    PersonMonth, TARGETS, driver_input, excluded_for, explain, explain_path, feature_label, is_backwards_lever,
    layer_label, rank_backwards_levers_after, reason_label,
};
use uplift_store::{MetricFilter, Store};

use crate::AppError;

pub use uplift_insight::features::is_control;

/// What to analyse.
#[derive(Debug, Clone)]
pub struct DriversQuery {
    pub target: String,
    /// Default: the twelve months ending with the newest month with results.
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// A department path (with its sub-departments).
    pub department: Option<String>,
}

/// One ranked driver with its explanation.
#[derive(Debug, Clone, Serialize)]
pub struct DriverLine {
    pub feature: String,
    /// The feature's name in the user's language.
    pub label: String,
    pub rank: usize,
    /// Combined score 0–1 (regression |t| and forest permutation importance, each scaled to its
    /// largest value, averaged).
    pub importance: f64,
    pub linear_importance: f64,
    pub tree_importance: f64,
    pub nonlinear: bool,
    pub effect_per_unit: f64,
    pub effect_per_sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    pub direction: String,
    pub raw_effect_per_sd: f64,
    pub confounded_by: Option<String>,
    pub missing_share: f64,
    pub explanation: String,
    /// `lever` (something a person or manager can change) or `circumstance` (what a person is
    /// given or is); funnel outcomes are never drivers.
    pub layer: Layer,
    pub layer_label: &'static str,
    /// A clear lever associated against its purpose (more training, lower output): ranked after
    /// the levers that read as meant, never an alert or a priced gap.
    pub reads_backwards: bool,
    /// For a lever: the funnel stage it moves, one line per outcome.
    pub paths: Vec<PathLine>,
}

/// A lever's effect on one funnel outcome (per unit of the lever; rates as shares).
#[derive(Debug, Clone, Serialize)]
pub struct PathLine {
    pub outcome: String,
    pub label: String,
    pub effect_per_unit: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    pub direction: String,
    pub explanation: String,
}

/// A feature left out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    pub feature: String,
    pub label: String,
    pub reason: String,
}

/// The result of `uplift insights drivers`, also its JSON.
#[derive(Debug, Clone, Serialize)]
pub struct DriversResult {
    pub target: String,
    pub rows: usize,
    pub employees: usize,
    pub from: String,
    pub to: String,
    pub r_squared: f64,
    pub method: &'static str,
    pub drivers: Vec<DriverLine>,
    pub excluded: Vec<Excluded>,
    /// The last month's contribution gap split by funnel stage: the department against the whole
    /// scope, or the scope against its three months before (outcomes explain gaps here; they are
    /// never drivers).
    pub funnel: Option<FunnelGap>,
}

/// The metric table's person-months of `from..=to` in scope (and below a department).
async fn person_months(
    store: &Store,
    scope: &Scope,
    from: Month,
    to: Month,
    department: Option<String>,
    with_extras: bool,
) -> Result<Vec<PersonMonth>, AppError> {
    // The extras and the metric rows are read at the same time (two connections).
    let t = std::time::Instant::now();
    let filter = MetricFilter {
        from: Some(from),
        to: Some(to),
        department,
        employee_no: None,
        scope: scope.clone(),
        page: None,
    };
    let (extras, rows) = tokio::join!(
        async {
            if with_extras {
                let x = crate::features::Extras::load(store, from, to).await.map(Some);
                tracing::debug!(elapsed = ?t.elapsed(), "extras read");
                x
            } else {
                Ok(None)
            }
        },
        async {
            let rows = store.employee_metrics_for_analysis(&filter).await;
            tracing::debug!(elapsed = ?t.elapsed(), "metric rows read");
            rows
        }
    );
    let (extras, rows) = (extras?, rows?);
    let out: Vec<PersonMonth> = rows
        .into_iter()
        .map(|r| PersonMonth {
            extra: extras
                .as_ref()
                .map(|x| x.of(&r.employee_no, r.metrics.month))
                .unwrap_or_default(),
            employee_no: r.employee_no,
            department: r.department,
            metrics: r.metrics,
        })
        .collect();
    tracing::debug!(elapsed = ?t.elapsed(), "person-months and extras loaded");
    Ok(out)
}

/// Ranks what drives the target for the people in `scope`.
pub async fn drivers(store: &Store, scope: &Scope, q: &DriversQuery, lang: Lang) -> Result<DriversResult, AppError> {
    if !TARGETS.contains(&q.target.as_str()) {
        return Err(AppError::invalid(format!(
            "{} {:?} ({})",
            lang.pick("不支持的目标指标", "unsupported target"),
            q.target,
            TARGETS.join(", ")
        )));
    }
    let to = match q.to {
        Some(m) => m,
        None => crate::views::latest_month(store).await?,
    };
    let from = q.from.unwrap_or_else(|| to.span_start(12));
    if from > to {
        return Err(AppError::invalid(
            lang.pick("起始月份晚于结束月份", "from is after to").into(),
        ));
    }
    let started = std::time::Instant::now();
    let people = person_months(store, scope, from, to, q.department.clone(), true).await?;
    let loaded = started.elapsed();
    let funnel = funnel_gap(store, scope, q.department.as_deref(), to, &people, lang).await?;
    let target = q.target.clone();
    let (report, skipped) = crate::heavy(move || {
        let input = driver_input(&target, &people);
        let mut report = analyse_drivers(&input);
        // A small company or department cannot carry the wider feature table: the metric-table
        // drivers alone, and the rest listed as left out for that reason.
        let mut skipped: Vec<String> = Vec::new();
        if matches!(report, Err(DriverError::TooFewRows { .. })) && people.iter().any(|p| !p.extra.is_empty()) {
            let basic: Vec<PersonMonth> = people
                .iter()
                .map(|p| PersonMonth {
                    extra: Vec::new(),
                    ..p.clone()
                })
                .collect();
            let narrow = driver_input(&target, &basic);
            skipped = input
                .features
                .iter()
                .filter(|f| !narrow.features.iter().any(|g| g.id == f.id))
                .map(|f| f.id.clone())
                .collect();
            report = analyse_drivers(&narrow);
        }
        (report, skipped)
    })
    .await?;
    tracing::debug!(?loaded, analysed = ?started.elapsed(), "driver analysis");
    let report = report.map_err(|e| match e {
        DriverError::TooFewRows { rows, params, needed } => AppError::invalid(match lang {
            Lang::Zh => format!(
                "样本太少，无法可靠分析：{rows} 个人月，{params} 个参数，至少需要 {needed} 个人月。请扩大月份范围或部门。"
            ),
            Lang::En => e.to_string() + "; widen the months or the department",
        }),
        DriverError::ConstantTarget => AppError::invalid(
            lang.pick("目标指标没有变化，无法分析", "the target does not vary; nothing to explain")
                .into(),
        ),
        DriverError::NoFeatures => AppError::invalid(lang.pick("没有可用的候选因素", "no usable candidate driver").into()),
    })?;
    let mut report = report;
    rank_backwards_levers_after(&mut report.drivers);
    let mut excluded: Vec<Excluded> = excluded_for(&q.target)
        .into_iter()
        .map(|(feature, reason)| Excluded {
            label: feature_label(&feature, lang),
            feature,
            reason: reason_label(&reason, lang),
        })
        .collect();
    excluded.extend(report.dropped.iter().map(|(f, r)| Excluded {
        label: feature_label(f, lang),
        feature: f.clone(),
        reason: reason_label(r, lang),
    }));
    excluded.extend(skipped.into_iter().map(|f| Excluded {
        label: feature_label(&f, lang),
        feature: f,
        reason: reason_label(
            "too few person-months for the wider feature table (attributes, lead mix, skills)",
            lang,
        ),
    }));
    Ok(DriversResult {
        target: q.target.clone(),
        rows: report.rows,
        employees: report.employees,
        from: from.to_string(),
        to: to.to_string(),
        r_squared: report.r_squared,
        method: "each lever's total effect: OLS with the circumstances, tenure, department and month held fixed and the levers of other families, never the funnel outcomes; circumstances with each other only; HC1 robust 95% intervals; paths: the same models on each funnel outcome; random forest permutation importance; clear levers first, ranked by the mean of both scores, each scaled to its maximum",
        drivers: report
            .drivers
            .iter()
            .map(|d| DriverLine {
                feature: d.feature.clone(),
                label: feature_label(&d.feature, lang),
                rank: d.rank,
                importance: d.importance,
                linear_importance: d.linear_importance,
                tree_importance: d.tree_importance,
                nonlinear: d.nonlinear,
                effect_per_unit: d.effect_per_unit,
                effect_per_sd: d.effect_per_sd,
                ci_low: d.ci_low,
                ci_high: d.ci_high,
                p_value: d.p_value,
                direction: d.direction.clone(),
                raw_effect_per_sd: d.raw_effect_per_sd,
                confounded_by: d.confounded_by.clone(),
                missing_share: d.missing_share,
                explanation: explain(d, &q.target, report.rows, lang),
                reads_backwards: is_backwards_lever(d),
                layer: d.layer,
                layer_label: layer_label(d.layer, lang),
                paths: d
                    .paths
                    .iter()
                    .map(|p| PathLine {
                        outcome: p.outcome.clone(),
                        label: feature_label(&p.outcome, lang),
                        effect_per_unit: p.effect_per_unit,
                        ci_low: p.ci_low,
                        ci_high: p.ci_high,
                        p_value: p.p_value,
                        direction: p.direction.clone(),
                        explanation: explain_path(&d.feature, p, lang),
                    })
                    .collect(),
            })
            .collect(),
        excluded,
        funnel,
    })
}

/// "Why is this person low": their drivers beside the top quartile of peers.
#[derive(Debug, Clone, Serialize)]
pub struct WhyLow {
    pub employee_no: String,
    pub month: String,
    /// Who the peers are: `role family · tenure band`, or wider when that group is too small.
    pub peer_group: String,
    pub peers: usize,
    /// The person's contribution (yuan) and the lowest contribution of the peers' top quarter.
    pub contribution: f64,
    pub top_quartile_from: f64,
    /// The gap to the top quarter's mean contribution split by funnel stage (lead volume, deals
    /// closed per lead, win rate, deal size, other); the parts add up to the gap. The first line to read.
    pub funnel: Vec<FunnelLine>,
    /// The top quarter's mean contribution (yuan), which `funnel` compares with.
    pub top_quartile_mean: f64,
    pub gaps: Vec<uplift_insight::peers::Gap>,
}

/// The funnel decomposition of a group's month: a department against the caller's whole scope,
/// or the whole scope against its own three months before.
#[derive(Debug, Clone, Serialize)]
pub struct FunnelGap {
    pub month: String,
    /// What is compared with what, for people.
    pub compared: String,
    /// Mean contribution per person (yuan) of the group and of the reference.
    pub mean: f64,
    pub reference_mean: f64,
    pub parts: Vec<FunnelLine>,
}

/// [`FunnelGap`] of `department` (or, without one, of the whole scope) in `month`; `people` are the
/// scope's person-months already loaded for the analysis (they include `month` and, usually, the
/// three months before). `None` when either side has nobody working.
async fn funnel_gap(
    store: &Store,
    scope: &Scope,
    department: Option<&str>,
    month: Month,
    people: &[PersonMonth],
    lang: Lang,
) -> Result<Option<FunnelGap>, AppError> {
    use uplift_insight::funnel::{Funnel, decompose};
    let working = |p: &&PersonMonth| p.metrics.fte >= 0.5;
    let key = month.to_key();
    let group = Funnel::of_group(
        people
            .iter()
            .filter(working)
            .filter(|p| p.metrics.month == key)
            .map(|p| &p.metrics),
    );
    let (reference, who, against, compared) = match department {
        Some(d) => {
            let whole = person_months(store, scope, month, month, None, false).await?;
            let r = Funnel::of_group(whole.iter().filter(working).map(|p| &p.metrics));
            let against = lang.pick("整体", "the whole scope");
            (
                r,
                d.to_string(),
                against.to_string(),
                format!("{d} / {against} · {month}"),
            )
        }
        None => {
            let before = (month.span_start(4).to_key(), month.span_start(2).to_key());
            let r = Funnel::of_group(
                people
                    .iter()
                    .filter(working)
                    .filter(|p| p.metrics.month >= before.0 && p.metrics.month <= before.1)
                    .map(|p| &p.metrics),
            );
            let who = lang.pick("本月", "this month");
            let against = lang.pick("前 3 个月平均", "the 3 months before");
            (r, who.to_string(), against.to_string(), format!("{month} / {against}"))
        }
    };
    let (Some(g), Some(r)) = (group, reference) else {
        return Ok(None);
    };
    Ok(Some(FunnelGap {
        month: month.to_string(),
        compared,
        mean: g.contribution,
        reference_mean: r.contribution,
        parts: decompose(&g, &r)
            .into_iter()
            .map(|p| funnel_line(p, lang, &who, &against))
            .collect(),
    }))
}

/// One stage of the funnel decomposition, with a sentence for people.
#[derive(Debug, Clone, Serialize)]
pub struct FunnelLine {
    #[serde(flatten)]
    pub part: uplift_insight::funnel::FunnelPart,
    pub label: &'static str,
    pub explanation: String,
}

/// A funnel part in one sentence: `赢单率：本人 40%，同类前 25% 为 60%，对应 -250,000 元`; `who`
/// and `against` name the two sides (`本人`, `同类前 25%`).
fn funnel_line(part: uplift_insight::funnel::FunnelPart, lang: Lang, who: &str, against: &str) -> FunnelLine {
    let label = match part.stage {
        "lead_volume" => lang.pick("线索量", "lead volume"),
        "deals_per_lead" => lang.pick("每条线索结单数（赢单＋输单）", "deals closed per lead"),
        "win_rate" => lang.pick("赢单率", "win rate"),
        "deal_size" => lang.pick("客单价", "deal size"),
        _ => lang.pick(
            "其他（没有线索的月份里结的单）",
            "other (deals closed in a month without leads)",
        ),
    };
    let show = |v: Option<f64>| match (part.stage, v) {
        (_, None) => "—".to_string(),
        ("lead_volume", Some(v)) => format!("{v:.0}"),
        ("deals_per_lead", Some(v)) => format!("{v:.2}"),
        ("win_rate", Some(v)) => format!("{:.0}%", v * 100.0),
        (_, Some(v)) => format!("¥{}", uplift_domain::money::whole_with_separators(v.round())),
    };
    let yuan = uplift_domain::money::whole_with_separators(part.yuan.abs().round());
    let sign = if part.yuan < 0.0 { "-" } else { "+" };
    let explanation = if part.stage == "other" {
        match lang {
            Lang::Zh => format!("{label}：{sign}{yuan} 元"),
            Lang::En => format!("{label}: {sign}¥{yuan}"),
        }
    } else {
        match lang {
            Lang::Zh => format!(
                "{label}：{who} {}，{against} 为 {}，对应 {sign}{yuan} 元",
                show(part.person),
                show(part.group)
            ),
            Lang::En => format!(
                "{label}: {} for {who}, {} for {against}: {sign}¥{yuan}",
                show(part.person),
                show(part.group)
            ),
        }
    };
    FunnelLine {
        part,
        label,
        explanation,
    }
}

/// Fewest peers a comparison is made with.
const MIN_PEERS: usize = 8;

/// Compares one person's month with the top quarter of their peers (same role family and tenure
/// band; wider if that group has fewer than eight people), pricing each gap on a clear driver with
/// the company-wide driver analysis of the twelve months up to that month. The caller has already
/// checked that the person is in its scope.
pub async fn why_low(store: &Store, employee_no: &str, month: Option<Month>, lang: Lang) -> Result<WhyLow, AppError> {
    use uplift_insight::peers::{peer_gaps, tenure_band};
    let month = match month {
        Some(m) => m,
        None => crate::views::latest_month(store).await?,
    };
    let people =
        std::sync::Arc::new(person_months(store, &Scope::All, month.span_start(12), month, None, false).await?);
    let all = people.clone();
    let report = crate::heavy(move || analyse_drivers(&driver_input("contribution", &all)))
        .await?
        .map_err(|e| AppError::invalid(format!("{}: {e}", lang.pick("无法做驱动分析", "no driver analysis"))))?;
    let (records, _) = store
        .employee_records(&Scope::All, None, None, None, i64::MAX, 0)
        .await?;
    let family: std::collections::HashMap<&str, Option<&str>> = records
        .iter()
        .map(|r| (r.employee_no.as_str(), r.role_family.as_deref()))
        .collect();
    let this_month: Vec<&PersonMonth> = people
        .iter()
        .filter(|p| p.metrics.month == month.to_key() && p.metrics.fte >= 0.5)
        .collect();
    let me = this_month
        .iter()
        .find(|p| p.employee_no == employee_no)
        .copied()
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "{employee_no} {month}: {}",
                lang.pick(
                    "本月没有业绩数据（或在岗不足半月）",
                    "no results this month (or under half a month worked)"
                )
            ))
        })?;
    let my_family = family.get(employee_no).copied().flatten();
    let my_band = tenure_band(me.metrics.tenure_months);
    let others = |same_band: bool| -> Vec<PersonMonth> {
        this_month
            .iter()
            .filter(|p| p.employee_no != employee_no)
            .filter(|p| family.get(p.employee_no.as_str()).copied().flatten() == my_family)
            .filter(|p| !same_band || tenure_band(p.metrics.tenure_months) == my_band)
            .map(|p| (*p).clone())
            .collect()
    };
    let family_name = my_family.unwrap_or("—");
    let (peers, peer_group) = {
        let narrow = others(true);
        if narrow.len() >= MIN_PEERS {
            (
                narrow,
                format!("{family_name} · {} {my_band}", lang.pick("司龄(月)", "tenure (months)")),
            )
        } else {
            (
                others(false),
                format!("{family_name} · {}", lang.pick("全部司龄", "all tenures")),
            )
        }
    };
    let gaps = peer_gaps(me, &peers, &report.drivers, MIN_PEERS, lang).ok_or_else(|| {
        AppError::invalid(format!(
            "{} ({} {})",
            lang.pick("同类人员太少，无法比较", "too few peers to compare with"),
            peers.len(),
            lang.pick("人", "people")
        ))
    })?;
    // The top quarter the gaps are priced against: where it starts, and its funnel.
    let mut ranked: Vec<&PersonMonth> = peers.iter().collect();
    ranked.sort_by_key(|p| std::cmp::Reverse(p.metrics.contribution_fen));
    let top = &ranked[..ranked.len().div_ceil(4)];
    let top_quartile_from = top.last().map_or(0, |p| p.metrics.contribution_fen) as f64 / 100.0;
    let group = uplift_insight::funnel::Funnel::of_group(top.iter().map(|p| &p.metrics));
    let funnel = group
        .map(|g| uplift_insight::funnel::decompose(&uplift_insight::funnel::Funnel::of(&me.metrics), &g))
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            funnel_line(
                p,
                lang,
                lang.pick("本人", "this person"),
                lang.pick("同类前 25%", "the top quarter"),
            )
        })
        .collect();
    Ok(WhyLow {
        employee_no: employee_no.to_string(),
        month: month.to_string(),
        peer_group,
        peers: peers.len(),
        contribution: me.metrics.contribution_fen as f64 / 100.0,
        top_quartile_from,
        top_quartile_mean: group.map_or(0.0, |g| g.contribution),
        funnel,
        gaps,
    })
}
