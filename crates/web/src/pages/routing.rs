//! The routing page: the SLA and cadence settings, recent assignments with their reasons, and the
//! simulator with the model's calibration (loaded after the page).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uplift_app::routing::{ModelReport, SimulationResult};
use uplift_domain::Lang;

use super::layout::{Chrome, chrome, page, symbol};
use crate::AppState;
use crate::auth::Caller;
use crate::error::WebError;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/leads/routing", get(routing_page))
        .route("/leads/routing/simulation", get(simulation_fragment))
        .route("/leads/routing/sla", post(save_sla))
        .route("/leads/routing/cadence", post(save_cadence))
}

struct AssignmentView {
    lead_id: String,
    employee: String,
    when: String,
    origin: String,
    conversion: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "routing.html")]
struct RoutingPage {
    c: Chrome,
    /// Shows the strategy simulator (loaded after the page).
    may_simulate: bool,
    /// Shows the forms that change the SLA and cadence rules.
    may_set_rules: bool,
    rule: String,
    hours: f64,
    business_hours: bool,
    reassign: String,
    assignments: Vec<AssignmentView>,
    message: Option<String>,
    cadence_message: Option<String>,
    cadence_rule: String,
    /// Per stage (id, label, follow-ups, every days, for days).
    stages: Vec<(&'static str, &'static str, u32, u32, String)>,
    lead_map: String,
    opp_map: String,
}

fn map_text(m: &std::collections::BTreeMap<String, String>) -> String {
    m.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
}

#[derive(Deserialize, Default)]
struct RoutingParams {
    saved: Option<String>,
}

async fn routing_page(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<RoutingParams>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_see_lead_routing())?;
    let l = c.lang;
    let tz = uplift_app::settings::company_tz(&s.store).await?;
    let rule = uplift_app::sla::rule(&s.store).await?;
    let assignments = uplift_app::routing::recent_assignments(&s.store, &c.principal, 50)
        .await?
        .into_iter()
        .map(|a| AssignmentView {
            lead_id: a.lead_id,
            employee: format!("{} {}", a.name, a.employee_no),
            when: chrono::DateTime::from_timestamp(a.assigned_ts, 0)
                .unwrap_or_default()
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            origin: match a.origin.as_str() {
                "file" => l.pick("文件", "file"),
                "pending" => l.pick("待分配", "pending"),
                "online" => l.pick("实时", "online"),
                "sla-reassign" => l.pick("超时改派", "SLA reassign"),
                _ => "",
            }
            .to_string(),
            conversion: format!("{:.0}%", a.expected_conversion * 100.0),
            reason: a.reason,
        })
        .collect();
    let cadence = uplift_app::cadence::rules(&s.store).await?;
    let t = RoutingPage {
        cadence_rule: cadence.describe(l),
        stages: uplift_app::cadence::Stage::ALL
            .iter()
            .map(|st| {
                let r = cadence.rule(*st);
                (
                    st.id(),
                    st.label(l),
                    r.follow_ups,
                    r.every_days,
                    r.for_days.map(|d| d.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        lead_map: map_text(&cadence.lead_status),
        opp_map: map_text(&cadence.opportunity_stage),
        c: chrome(&c, "routing", "/leads/routing"),
        may_simulate: c.principal.role.may_simulate_routing(),
        may_set_rules: c.principal.role.may_set_lead_rules(),
        rule: rule.describe(l),
        hours: rule.hours,
        business_hours: rule.business_hours,
        reassign: rule.reassign_after_hours.map(|h| h.to_string()).unwrap_or_default(),
        assignments,
        message: q
            .saved
            .as_deref()
            .filter(|s| *s != "cadence")
            .map(|_| l.pick("已保存", "Saved").to_string()),
        cadence_message: q.saved.as_deref().filter(|s| *s == "cadence").map(|_| {
            l.pick(
                "已保存，跟进节奏达标率已按新规则重算",
                "Saved; cadence compliance recomputed under the new rules",
            )
            .to_string()
        }),
    };
    page(t, &c, false)
}

#[derive(Template)]
#[template(path = "routing_simulation.html")]
struct SimulationFragment {
    c: Chrome,
    rows: Vec<(String, usize, String, String, String, String, bool)>,
    note: String,
    check: String,
    chart: String,
    error: Option<String>,
    deciles: Vec<(usize, String, String, usize)>,
    calibration: String,
}

async fn simulation_fragment(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    // Company-wide figures (every team's leads and outcomes).
    c.principal.require(c.principal.role.may_simulate_routing())?;
    let l = c.lang;
    let sym = symbol(&s).await?;
    let sim = uplift_app::routing::simulate(&s.store, 3, Default::default(), l).await;
    let report = uplift_app::routing::model_report(&s.store, l).await;
    let mut f = SimulationFragment {
        c: chrome(&c, "routing", "/leads/routing"),
        rows: Vec::new(),
        note: String::new(),
        check: String::new(),
        chart: String::new(),
        error: None,
        deciles: Vec::new(),
        calibration: String::new(),
    };
    match sim {
        Err(e) => f.error = Some(e.render(l)),
        Ok(r) => show_simulation(&mut f, &r, sym, l),
    }
    if let Ok(m) = report {
        show_calibration(&mut f, &m, l);
    }
    let body = f
        .render()
        .map_err(|e| WebError::new(crate::error::Failure::Internal(e.to_string()), l))?;
    Ok(Html(body).into_response())
}

/// The strategies compared on the simulated months: a row and a bar each, and how the model checks out.
fn show_simulation(f: &mut SimulationFragment, r: &SimulationResult, sym: &str, l: Lang) {
    let base = r.outcome("round-robin").map(|o| o.expected_value).unwrap_or(0.0);
    for o in &r.outcomes {
        f.rows.push((
            uplift_app::routing::strategy_label(o.strategy, l).to_string(),
            o.assigned,
            format!("{:.1}", o.expected_conversions),
            format!(
                "{:.1}%",
                if o.assigned > 0 {
                    o.expected_conversions / o.assigned as f64 * 100.0
                } else {
                    0.0
                }
            ),
            format!("{sym}{}", uplift_domain::money::whole_with_separators(o.expected_value)),
            if base > 0.0 {
                format!("{:+.1}%", (o.expected_value / base - 1.0) * 100.0)
            } else {
                "—".into()
            },
            o.strategy == "optimal",
        ));
    }
    f.note = match l {
        Lang::Zh => format!(
            "{}–{} 的 {} 条线索按各策略重新分配；模型只用模拟期之前的数据，结果由全部历史拟合的模型估计。",
            r.from, r.to, r.leads
        ),
        Lang::En => format!(
            "The {} leads of {}–{} re-dealt by each strategy; the router learns only from earlier months, outcomes are estimated by the model fitted on all history.",
            r.leads, r.from, r.to
        ),
    };
    if let Some(cur) = r.outcome("current") {
        f.check = match l {
            Lang::Zh => format!(
                "核对：现行分配实际转化 {} 条，模型估计 {:.0} 条。",
                r.actual_conversions, cur.expected_conversions
            ),
            Lang::En => format!(
                "Check: current practice actually converted {}; the model estimates {:.0}.",
                r.actual_conversions, cur.expected_conversions
            ),
        };
    }
    let names: Vec<&str> = r
        .outcomes
        .iter()
        .map(|o| uplift_app::routing::strategy_label(o.strategy, l))
        .collect();
    let values: Vec<f64> = r.outcomes.iter().map(|o| o.expected_conversions.round()).collect();
    f.chart = serde_json::json!({
        "type": "bar",
        "labels": names,
        "series": [{"name": l.pick("预计转化", "expected conversions"), "data": values}],
    })
    .to_string();
}

/// How well the model's conversion chances matched what happened, by decile.
fn show_calibration(f: &mut SimulationFragment, m: &ModelReport, l: Lang) {
    let r = &m.reliability;
    f.deciles = r
        .bins
        .iter()
        .map(|b| {
            (
                b.decile,
                format!("{:.1}%", b.predicted * 100.0),
                format!("{:.1}%", b.actual * 100.0),
                b.leads,
            )
        })
        .collect();
    f.calibration = match l {
        Lang::Zh => format!(
            "检验 {}–{} 的 {} 条线索：Brier 分数 {:.4}（只用公司整体转化率为 {:.4}）；预计转化 {:.0} 条，实际 {:.0} 条。",
            m.tested_from,
            m.tested_to,
            r.leads,
            r.brier,
            r.baseline_brier,
            r.predicted_conversions,
            r.actual_conversions
        ),
        Lang::En => format!(
            "Tested on {} leads of {}–{}: Brier {:.4} (one company rate: {:.4}); predicted {:.0} conversions, actual {:.0}.",
            r.leads,
            m.tested_from,
            m.tested_to,
            r.brier,
            r.baseline_brier,
            r.predicted_conversions,
            r.actual_conversions
        ),
    };
}

#[derive(Deserialize)]
struct SlaForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    hours: String,
    business_hours: Option<String>,
    reassign: Option<String>,
}

async fn save_sla(State(s): State<AppState>, c: Caller, Form(f): Form<SlaForm>) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_set_lead_rules())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let bad = |field: &str| {
        WebError::from(uplift_app::AppError::invalid(format!(
            "{field}: {}",
            l.pick("应为正数（小时）", "must be a positive number of hours")
        )))
    };
    let hours: f64 = f
        .hours
        .trim()
        .parse()
        .ok()
        .filter(|h: &f64| *h > 0.0)
        .ok_or_else(|| bad("hours"))?;
    let reassign = match f.reassign.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => None,
        Some(x) => Some(
            x.parse::<f64>()
                .ok()
                .filter(|h| *h >= 0.0)
                .ok_or_else(|| bad("reassign"))?,
        )
        .filter(|h| *h > 0.0),
    };
    let rule = uplift_app::sla::SlaRule {
        hours,
        business_hours: f.business_hours.is_some(),
        reassign_after_hours: reassign,
    };
    uplift_app::sla::set_rule(&s.store, &rule, &c.principal.actor).await?;
    Ok(Redirect::to("/leads/routing?saved=1").into_response())
}

#[derive(Deserialize)]
struct CadenceForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    potential_n: String,
    potential_every: String,
    potential_for: Option<String>,
    intent_n: String,
    intent_every: String,
    intent_for: Option<String>,
    won_n: String,
    won_every: String,
    won_for: Option<String>,
    #[serde(default)]
    lead_map: String,
    #[serde(default)]
    opp_map: String,
}

/// Reads "value = stage" lines; errors name the field and line.
fn parse_map(field: &str, text: &str, l: Lang) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut out = std::collections::BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.rsplit_once('=') else {
            return Err(format!(
                "{field} {}{}{}: {}",
                l.pick("第 ", "line "),
                i + 1,
                l.pick(" 行", ""),
                l.pick("应写成“取值 = 阶段”", "expected \"value = stage\"")
            ));
        };
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

/// "intent.follow_ups: …" as the form shows it: "意向客户 · 跟进次数: …".
fn with_field_labels(message: &str, l: Lang) -> String {
    use uplift_app::cadence::Stage;
    let Some((key, rest)) = message.split_once(':') else {
        return message.to_string();
    };
    let Some((stage, field)) = key.split_once('.') else {
        return message.to_string();
    };
    let stage_label = match stage {
        "potential" => Stage::Potential.label(l),
        "intent" => Stage::Intent.label(l),
        "won" => Stage::Won.label(l),
        "lead_status" => l.pick("线索状态", "lead status"),
        "opportunity_stage" => l.pick("商机阶段", "opportunity stage"),
        _ => return message.to_string(),
    };
    let field_label = match field {
        "follow_ups" => l.pick("跟进次数", "follow-ups"),
        "every_days" => l.pick("每隔（天）", "every (days)"),
        "for_days" => l.pick("持续天数", "for days"),
        other => other,
    };
    format!("{stage_label} · {field_label}:{rest}")
}

async fn save_cadence(State(s): State<AppState>, c: Caller, Form(f): Form<CadenceForm>) -> Result<Response, WebError> {
    use uplift_app::cadence::{CadenceRules, StageRule};
    c.principal.require(c.principal.role.may_set_lead_rules())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let num = |field: &str, v: &str| {
        v.trim().parse::<u32>().map_err(|_| {
            WebError::from(uplift_app::AppError::invalid(with_field_labels(
                &format!("{field}: {}", l.pick("应为正整数", "must be a whole number")),
                l,
            )))
        })
    };
    let window = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(None),
        Some(x) => num(field, x).map(Some),
    };
    let rules = CadenceRules {
        potential: StageRule {
            follow_ups: num("potential.follow_ups", &f.potential_n)?,
            every_days: num("potential.every_days", &f.potential_every)?,
            for_days: window("potential.for_days", &f.potential_for)?,
        },
        intent: StageRule {
            follow_ups: num("intent.follow_ups", &f.intent_n)?,
            every_days: num("intent.every_days", &f.intent_every)?,
            for_days: window("intent.for_days", &f.intent_for)?,
        },
        won: StageRule {
            follow_ups: num("won.follow_ups", &f.won_n)?,
            every_days: num("won.every_days", &f.won_every)?,
            for_days: window("won.for_days", &f.won_for)?,
        },
        lead_status: parse_map("lead_status", &f.lead_map, l)
            .map_err(|e| WebError::from(uplift_app::AppError::invalid(e)))?,
        opportunity_stage: parse_map("opportunity_stage", &f.opp_map, l)
            .map_err(|e| WebError::from(uplift_app::AppError::invalid(e)))?,
    };
    uplift_app::metrics::change_cadence_rules(&s.store, &rules, &c.principal.actor, l)
        .await
        .map_err(|e| match e {
            uplift_app::AppError::Invalid(u) => {
                WebError::from(uplift_app::AppError::invalid(with_field_labels(&u.message, l)))
            }
            other => WebError::from(other),
        })?;
    Ok(Redirect::to("/leads/routing?saved=cadence#cadence").into_response())
}
