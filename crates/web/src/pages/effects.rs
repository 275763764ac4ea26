//! Effect evaluations of interventions: the saved ones with their running verdicts, the form that
//! evaluates a new one, deleting, and the overview's summary list.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, http::StatusCode};
use serde::Deserialize;
use serde_json::json;
use uplift_app::AppError;
use uplift_app::effect::{EffectQuery, evaluate, running};
use uplift_app::views::has_overview;

use super::layout::{Chrome, chrome, page};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::WebError;
use crate::format::{escape, url_encode};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/insights/effects", get(effects_page).post(effects_create))
        .route("/insights/effects/summary", get(effects_summary))
        .route("/insights/effects/delete", axum::routing::post(effects_delete))
}

struct EffectCard {
    name: String,
    start: String,
    treated: String,
    metric: String,
    verdict: String,
    verdict_class: &'static str,
    summary: String,
    checks: String,
    chart: String,
}

#[derive(Template)]
#[template(path = "effects.html")]
struct EffectsPage {
    c: Chrome,
    may_evaluate: bool,
    message: Option<String>,
    error: Option<String>,
    effects: Vec<EffectCard>,
    metrics: Vec<(&'static str, &'static str)>,
    form: EffectForm,
}

#[derive(Deserialize, Default, Clone)]
struct EffectForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    name: String,
    treated: String,
    #[serde(default)]
    control: String,
    start: String,
    #[serde(default)]
    metric: String,
}

#[derive(Deserialize)]
struct EffectsParams {
    saved: Option<String>,
    deleted: Option<String>,
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    name: String,
}

async fn effects_delete(State(s): State<AppState>, c: Caller, Form(f): Form<DeleteForm>) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_evaluate_interventions())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    if !uplift_app::effect::delete(&s.store, &c.principal.scope, &f.name, &c.principal.actor, c.lang).await? {
        return Err(WebError::from(AppError::NotFound(f.name)));
    }
    Ok(Redirect::to(&format!("/insights/effects?deleted={}", url_encode(&f.name))).into_response())
}

async fn effects_view(
    s: &AppState,
    c: &Caller,
    form: EffectForm,
    message: Option<String>,
    error: Option<String>,
) -> Result<EffectsPage, WebError> {
    let l = c.lang;
    let list = running(&s.store, &c.principal.scope, l).await?;
    let effects = list
        .into_iter()
        .map(|(row, r)| match r {
            Ok(e) => {
                let rep = &e.report;
                let checks = format!(
                    "{} p={:.2}{} · {}",
                    l.pick("平行趋势", "pre-trend"),
                    rep.pre_trend.p_value,
                    if rep.pre_trend.parallel { "" } else { l.pick("（不平行）", " (not parallel)") },
                    rep.placebo.as_ref().map_or(l.pick("安慰剂检验：开始前不足 4 个月", "placebo: fewer than 4 months before").to_string(), |p| {
                        format!(
                            "{} p={:.2} {}",
                            l.pick("安慰剂", "placebo"),
                            p.p_value,
                            if p.passed { l.pick("通过", "passed") } else { l.pick("未通过", "failed") }
                        )
                    })
                );
                let checks = match &e.space_placebo {
                    Some(sp) => format!(
                        "{checks} · {} {}/{} {}",
                        l.pick("部门安慰剂", "placebo in space"),
                        sp.as_large,
                        sp.departments,
                        if sp.passed { l.pick("通过", "passed") } else { l.pick("未通过", "failed") }
                    ),
                    None => checks,
                };
                let chart = json!({
                    "type": "line",
                    "labels": e.series.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
                    "series": [
                        {"name": l.pick("干预组", "Treated"), "data": e.series.iter().map(|x| (x.1 * 100.0).round() / 100.0).collect::<Vec<_>>()},
                        {"name": l.pick("对照组", "Control"), "data": e.series.iter().map(|x| (x.2 * 100.0).round() / 100.0).collect::<Vec<_>>()},
                    ]
                })
                .to_string();
                EffectCard {
                    name: row.name,
                    start: row.start_date,
                    treated: row.treated,
                    metric: e.metric_label.clone(),
                    verdict_class: match e.verdict.as_str() {
                        "improved" => "good",
                        "worsened" => "bad",
                        _ => "muted",
                    },
                    verdict: e.verdict_label.clone(),
                    summary: e.summary.clone(),
                    checks,
                    chart,
                }
            }
            Err(msg) => EffectCard {
                name: row.name,
                start: row.start_date,
                treated: row.treated,
                metric: row.metric,
                verdict: l.pick("无法评估", "Cannot evaluate").into(),
                verdict_class: "muted",
                summary: msg,
                checks: String::new(),
                chart: String::new(),
            },
        })
        .collect();
    let metrics = vec![
        ("contribution", l.pick("贡献额", "Contribution")),
        ("lead_conversion_rate", l.pick("线索转化率", "Lead conversion")),
        ("followups_per_week", l.pick("周均跟进次数", "Follow-ups per week")),
        (
            "contacted_within_24h_rate",
            l.pick("24小时触达率", "Contacted within 24h"),
        ),
        ("win_rate", l.pick("赢单率", "Win rate")),
        ("quota_attainment", l.pick("目标达成率", "Quota attainment")),
    ];
    Ok(EffectsPage {
        c: chrome(c, "effects", "/insights/effects"),
        may_evaluate: c.principal.role.may_evaluate_interventions(),
        message,
        error,
        effects,
        metrics,
        form,
    })
}

async fn effects_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<EffectsParams>,
) -> Result<Response, WebError> {
    c.principal.require(has_overview(&c.principal))?;
    let form = EffectForm {
        metric: "contribution".into(),
        ..Default::default()
    };
    let mut t = effects_view(&s, &c, form, None, None).await?;
    // Only a notice about something that is really there.
    t.message = q
        .saved
        .filter(|n| t.effects.iter().any(|e| &e.name == n))
        .map(|n| format!("{}：{n}", c.lang.pick("已评估并保存", "Evaluated and saved")))
        .or_else(|| {
            q.deleted
                .filter(|n| t.effects.iter().all(|e| &e.name != n))
                .map(|n| format!("{}：{n}", c.lang.pick("已删除", "Deleted")))
        });
    page(t, &c, has_lang_param(&uri))
}

async fn effects_create(State(s): State<AppState>, c: Caller, Form(f): Form<EffectForm>) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_evaluate_interventions())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let start = match f.start.trim().parse::<chrono::NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            let msg = format!(
                "{}: {}",
                l.pick("开始日期格式应为 2026-03-01", "start: expected a date like 2026-03-01"),
                f.start
            );
            let t = effects_view(&s, &c, f.clone(), None, Some(msg)).await?;
            let mut r = page(t, &c, false)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
    };
    let q = EffectQuery {
        name: f.name.trim().to_string(),
        treated: Some(f.treated.trim().to_string()).filter(|t| !t.is_empty()),
        control: Some(f.control.trim().to_string()).filter(|t| !t.is_empty()),
        start,
        metric: Some(f.metric.clone()).filter(|m| !m.is_empty()),
    };
    match evaluate(&s.store, &c.principal.scope, &q, &c.principal.actor, l).await {
        Ok(e) => Ok(Redirect::to(&format!("/insights/effects?saved={}", url_encode(&e.name))).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::NotFound(_))) => {
            let msg = match e {
                AppError::Invalid(u) => u.message,
                AppError::NotFound(what) => what,
                other => other.to_string(),
            };
            let t = effects_view(&s, &c, f.clone(), None, Some(msg)).await?;
            let mut r = page(t, &c, false)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(WebError::from(e)),
    }
}

/// The overview's list of saved interventions with their running verdicts (loaded after the page).
async fn effects_summary(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    c.principal.require(has_overview(&c.principal))?;
    let l = c.lang;
    let list = running(&s.store, &c.principal.scope, l).await?;
    if list.is_empty() {
        return Ok(Html(format!(
            "<p class=\"muted\" id=\"effects-none\">{} <a href=\"/insights/effects\">{}</a></p>",
            l.pick("还没有评估过的干预。", "No interventions evaluated yet."),
            l.pick("评估一项", "Evaluate one")
        ))
        .into_response());
    }
    let mut h = String::from("<ul id=\"effects-summary\">");
    for (row, r) in &list {
        let (verdict, class, text) = match r {
            Ok(e) => (
                e.verdict_label.clone(),
                match e.verdict.as_str() {
                    "improved" => "good",
                    "worsened" => "bad",
                    _ => "muted",
                },
                e.summary.clone(),
            ),
            Err(m) => (l.pick("无法评估", "Cannot evaluate").to_string(), "muted", m.clone()),
        };
        h.push_str(&format!(
            "<li><a href=\"/insights/effects\"><strong>{}</strong></a> · <span class=\"verdict {class}\">{}</span><br><span class=\"muted\">{}</span></li>",
            escape(&row.name),
            escape(&verdict),
            escape(&text)
        ));
    }
    h.push_str("</ul>");
    Ok(Html(h).into_response())
}
