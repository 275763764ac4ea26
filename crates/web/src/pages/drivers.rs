//! Driver analysis: what goes with higher output across the caller's scope.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use uplift_app::AppError;
use uplift_app::views::has_overview;
use uplift_domain::Lang;

use super::layout::{Chrome, chrome, page, parse_month};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::WebError;
use crate::format::money_yuan;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/insights/drivers", get(drivers_page))
}

struct DriverRow {
    rank: usize,
    label: String,
    effect: String,
    interval: String,
    p: String,
    score: String,
    tree: String,
    explanation: String,
    /// 可改变的行为 / 客观条件.
    layer: &'static str,
    /// The funnel stages a lever clearly moves, one sentence each.
    paths: Vec<String>,
}

#[derive(Template)]
#[template(path = "drivers.html")]
struct DriversPage {
    c: Chrome,
    target: String,
    targets: Vec<(&'static str, &'static str)>,
    department: Option<String>,
    error: Option<String>,
    summary: String,
    chart: String,
    drivers: Vec<DriverRow>,
    excluded: String,
    /// The funnel decomposition: what is compared, then one sentence per stage.
    funnel: Option<(String, Vec<String>)>,
}

#[derive(Deserialize)]
struct DriversQueryForm {
    target: Option<String>,
    department: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Driver analysis over the caller's scope (company, or a director's departments).
async fn drivers_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<DriversQueryForm>,
) -> Result<Response, WebError> {
    c.principal.require(has_overview(&c.principal))?;
    let l = c.lang;
    let target = q.target.clone().unwrap_or_else(|| "contribution".into());
    let department = q.department.clone().filter(|d| !d.is_empty());
    let query = uplift_app::insights::DriversQuery {
        target: target.clone(),
        from: parse_month(q.from.as_deref(), l)?,
        to: parse_month(q.to.as_deref(), l)?,
        department: department.clone(),
    };
    let targets = vec![
        ("contribution", l.pick("贡献额", "Contribution")),
        (
            "per_capita_contribution",
            l.pick("人均贡献额", "Per-capita contribution"),
        ),
        ("quota_attainment", l.pick("目标达成率", "Quota attainment")),
        ("lead_conversion_rate", l.pick("线索转化率", "Lead conversion")),
        ("win_rate", l.pick("赢单率", "Win rate")),
    ];
    let mut t = DriversPage {
        c: chrome(&c, "drivers", &uri.to_string()),
        target,
        targets,
        department,
        error: None,
        summary: String::new(),
        chart: String::new(),
        drivers: Vec::new(),
        excluded: String::new(),
        funnel: None,
    };
    match uplift_app::insights::drivers(&s.store, &c.principal.scope, &query, l).await {
        Ok(r) => {
            let rate = matches!(
                r.target.as_str(),
                "quota_attainment" | "lead_conversion_rate" | "win_rate"
            );
            let show = |v: f64| {
                if rate {
                    format!("{:+.1}{}", v * 100.0, l.pick("个百分点", " pts"))
                } else {
                    let s = money_yuan(Some(v.abs().round()), "¥");
                    let s = s.trim_end_matches(".00").to_string();
                    if v < 0.0 { format!("-{s}") } else { format!("+{s}") }
                }
            };
            t.summary = format!(
                "{} {} – {} · {} {} · {} {} · R² {:.2}",
                l.pick("月份", "Months"),
                r.from,
                r.to,
                r.rows,
                l.pick("个人月", "person-months"),
                r.employees,
                l.pick("人", "people"),
                r.r_squared
            );
            // Rates in percentage points, money in yuan, as the table shows them.
            let unit = if rate { 100.0 } else { 1.0 };
            t.chart = json!({
                "type": "bar",
                "horizontal": true,
                "labels": r.drivers.iter().map(|d| d.label.clone()).collect::<Vec<_>>(),
                "money": if rate { "" } else { "¥" },
                "series": [
                    {"name": l.pick("每标准差影响", "Effect per SD"), "format": if rate { "points" } else { "money" },
                     "data": r.drivers.iter().map(|d| (d.effect_per_sd * unit * 100.0).round() / 100.0).collect::<Vec<_>>()}
                ]
            })
            .to_string();
            t.drivers = r
                .drivers
                .iter()
                .map(|d| DriverRow {
                    rank: d.rank,
                    label: match &d.confounded_by {
                        Some(by) if uplift_app::insights::is_control(by) => {
                            format!("{}（{}）", d.label, l.pick("混杂", "confounded"))
                        }
                        Some(_) => format!("{}（{}）", d.label, l.pick("重叠", "overlaps")),
                        None if d.nonlinear => format!("{}（{}）", d.label, l.pick("非线性", "non-linear")),
                        None => d.label.clone(),
                    },
                    score: format!("{:.2}", d.importance),
                    tree: format!("{:.1}%", d.tree_importance * 100.0),
                    effect: show(d.effect_per_sd),
                    interval: format!("{} … {}", show(d.ci_low), show(d.ci_high)),
                    p: if d.p_value < 0.001 {
                        "<0.001".into()
                    } else {
                        format!("{:.3}", d.p_value)
                    },
                    explanation: d.explanation.clone(),
                    layer: d.layer_label,
                    paths: d
                        .paths
                        .iter()
                        .filter(|p| p.direction != "unclear")
                        .map(|p| p.explanation.clone())
                        .collect(),
                })
                .collect();
            t.funnel = r.funnel.as_ref().map(|f| {
                (
                    format!(
                        "{} · {} / {}",
                        f.compared,
                        money_yuan(Some(f.mean.round()), "¥").trim_end_matches(".00"),
                        money_yuan(Some(f.reference_mean.round()), "¥").trim_end_matches(".00")
                    ),
                    f.parts.iter().map(|p| p.explanation.clone()).collect(),
                )
            });
            t.excluded = r
                .excluded
                .iter()
                .map(|e| match l {
                    Lang::Zh => format!("{}（{}）", e.label, e.reason),
                    Lang::En => format!("{} ({})", e.label, e.reason),
                })
                .collect::<Vec<_>>()
                .join(l.pick("；", "; "));
        }
        Err(AppError::Invalid(u)) => t.error = Some(u.message),
        Err(e) => return Err(WebError::from(e)),
    }
    page(t, &c, has_lang_param(&uri))
}
