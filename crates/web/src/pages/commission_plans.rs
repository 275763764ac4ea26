//! The commission plan page: every plan version with its rates and its tiers drawn as a curve;
//! those who edit plans (payroll, HR, admins) import a plan's TOML here, and a bad file is shown
//! again with its error (file, line, field) beside the editor. Directors read.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use uplift_app::AppError;
use uplift_app::commission::{PlanVersion, curve, import_plan, plans};
use uplift_domain::Lang;

use super::layout::{Chrome, chrome, page};
use crate::AppState;
use crate::auth::Caller;
use crate::error::WebError;
use crate::format::url_encode;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/commission/plans", get(plans_page).post(save_plan))
        .route("/commission/plans/simulate", post(simulate_plan))
        .route("/commission/pay-month", post(save_pay_month))
}

/// A simulation's tables as shown.
struct SimulationView {
    plan_id: String,
    periods: Vec<(String, String, String, String)>,
    teams: Vec<TeamRow>,
}

struct TeamRow {
    team: String,
    credited: String,
    current: String,
    draft: String,
    current_cost: String,
    draft_cost: String,
    dearer: bool,
}

/// A plan version as shown.
struct PlanCard {
    id: String,
    name: String,
    facts: Vec<(&'static str, String)>,
    rates: Vec<(String, String)>,
    tiers: Vec<(String, String)>,
    chart: Option<String>,
    source: String,
}

#[derive(Template)]
#[template(path = "commission_plans.html")]
struct PlansPage {
    c: Chrome,
    cards: Vec<PlanCard>,
    may_edit: bool,
    /// The editor's text: the submitted file after an error, else the newest plan (or nothing).
    draft: String,
    error: Option<String>,
    notice: Option<String>,
    /// When locked commission is paid (`same` | `next`), and whether the caller may change it.
    pay_month: &'static str,
    may_set_pay_month: bool,
    /// Those who may read plans may model one.
    from: String,
    to: String,
    simulation: Option<SimulationView>,
}

fn pct(d: Decimal) -> String {
    format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(2).normalize())
}

fn card(v: &PlanVersion, l: Lang) -> PlanCard {
    let pl = &v.plan;
    let scope = pl
        .departments
        .iter()
        .cloned()
        .chain(pl.employees.iter().cloned())
        .collect::<Vec<_>>()
        .join("、");
    let mut facts = vec![
        (
            l.pick("生效", "In effect"),
            format!(
                "{} – {}",
                pl.effective_from,
                pl.effective_to
                    .map_or_else(|| l.pick("长期", "open-ended").to_string(), |d| d.to_string())
            ),
        ),
        (l.pick("适用", "Applies to"), scope),
        (
            l.pick("期间 · 口径 · 分档", "Period · basis · tiering"),
            format!(
                "{} · {} · {}",
                pl.period.label(l),
                pl.basis.label(l),
                pl.tiering.label(l)
            ),
        ),
        (l.pick("默认比例", "Default rate"), pct(pl.default_rate)),
    ];
    if let Some(cap) = pl.cap_fen {
        facts.push((l.pick("封顶", "Cap"), uplift_domain::Money(cap).display_cny()));
    }
    if let Some(o) = pl.override_rate {
        facts.push((l.pick("管理提成", "Override"), pct(o)));
    }
    facts.push((l.pick("追回期（天）", "Clawback days"), pl.clawback_days.to_string()));
    let rates = pl
        .rates
        .iter()
        .map(|(k, r)| (format!("{}={k}", pl.rate_field.as_deref().unwrap_or("")), pct(*r)))
        .collect();
    let tiers = pl
        .tiers
        .iter()
        .map(|t| {
            let band = match t.to {
                Some(to) => format!("{}–{}", pct(t.from), pct(to)),
                None => format!("≥{}", pct(t.from)),
            };
            (band, format!("×{}", t.multiplier.normalize()))
        })
        .collect();
    // The curve to half again past the last band's start.
    let until = pl.tiers.last().map_or(Decimal::ONE, |t| t.from + Decimal::new(5, 1));
    // Every 10 % of attainment.
    let points = curve(pl, Decimal::new(1, 1), until);
    let chart = (!points.is_empty()).then(|| {
        json!({
            "type": "line",
            "labels": points.iter().map(|p| pct(p.attainment)).collect::<Vec<_>>(),
            "series": [
                {"name": l.pick("所在档系数", "Band multiplier"), "step": true,
                 "data": points.iter().map(|p| p.multiplier.normalize().to_string()).collect::<Vec<_>>()},
                {"name": l.pick("全部业绩平均系数", "Average over all credit"),
                 "data": points.iter().map(|p| p.average.normalize().to_string()).collect::<Vec<_>>()}
            ]
        })
        .to_string()
    });
    PlanCard {
        id: format!("{} · {}", pl.id, pl.effective_from),
        name: pl.name.clone(),
        facts,
        rates,
        tiers,
        chart,
        source: v.source.clone(),
    }
}

#[derive(Deserialize, Default)]
struct PlansQuery {
    saved: Option<String>,
}

/// What the page shows besides the plans: the editor's text, an error, a notice, a simulation.
#[derive(Default)]
struct Extras {
    draft: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    range: Option<(String, String)>,
    simulation: Option<SimulationView>,
}

async fn render(s: &AppState, c: &Caller, x: Extras) -> Result<Response, WebError> {
    let Extras {
        draft,
        error,
        notice,
        range,
        simulation,
    } = x;
    let l = c.lang;
    let list = plans(&s.store, &c.principal).await?;
    let may_edit = c.principal.role.may_edit_commission_plans();
    let draft = draft.unwrap_or_else(|| list.last().map(|v| v.source.clone()).unwrap_or_default());
    // Default range: the last six months before this one.
    let (from, to) = match range {
        Some(r) => r,
        None => {
            let tz = uplift_app::settings::company_tz(&s.store).await?;
            let this = uplift_domain::Month::of(chrono::Utc::now().with_timezone(&tz).date_naive());
            let to = this.prev();
            (to.span_start(6).to_string(), to.to_string())
        }
    };
    let t = PlansPage {
        pay_month: uplift_app::commission::pay_month_rule(&s.store).await?.as_str(),
        may_set_pay_month: c.principal.role.may_lock_commissions(),
        from,
        to,
        simulation,
        c: chrome(c, "commission", "/commission/plans"),
        cards: list.iter().rev().map(|v| card(v, l)).collect(),
        may_edit,
        draft,
        error,
        notice,
    };
    page(t, c, false)
}

async fn plans_page(State(s): State<AppState>, c: Caller, Query(q): Query<PlansQuery>) -> Result<Response, WebError> {
    let notice = q.saved.map(|id| match id.strip_prefix("pay-month-") {
        Some(_) => c
            .lang
            .pick("已保存提成发放月份。", "When commission is paid: saved.")
            .to_string(),
        None => format!("{} {id}", c.lang.pick("已保存方案", "Plan saved:")),
    });
    render(
        &s,
        &c,
        Extras {
            notice,
            ..Extras::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    source: String,
}

/// Saves the editor's plan; a bad file comes back in the editor with its error beside it.
async fn save_plan(State(s): State<AppState>, c: Caller, Form(f): Form<PlanForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    match import_plan(&s.store, &c.principal, "plan.toml", &f.source, c.lang).await {
        Ok(done) => Ok(Redirect::to(&format!("/commission/plans?saved={}", url_encode(&done.plan_id))).into_response()),
        Err(AppError::Invalid(e)) => editor_error(&s, &c, f.source, e.message, None).await,
        Err(e) => Err(e.into()),
    }
}

/// The page again with the editor's text and its error beside it (422): nothing was saved.
async fn editor_error(
    s: &AppState,
    c: &Caller,
    source: String,
    message: String,
    range: Option<(String, String)>,
) -> Result<Response, WebError> {
    let mut r = render(
        s,
        c,
        Extras {
            draft: Some(source),
            error: Some(message),
            range,
            ..Extras::default()
        },
    )
    .await?;
    *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Deserialize)]
struct SimulateForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    source: String,
    from: String,
    to: String,
}

/// Models the editor's plan over past periods against the plans in force; nothing is saved.
async fn simulate_plan(
    State(s): State<AppState>,
    c: Caller,
    Form(f): Form<SimulateForm>,
) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let sym = super::layout::symbol(&s).await?;
    let money = |fen: i64| crate::format::money_fen(fen, sym);
    let pct = |v: Option<f64>| crate::format::percent(v);
    let range = Some((f.from.clone(), f.to.clone()));
    match uplift_app::commission::simulate(&s.store, &c.principal, "plan.toml", &f.source, &f.from, &f.to, l).await {
        Ok(sim) => {
            let view = SimulationView {
                plan_id: sim.plan_id.clone(),
                periods: sim
                    .periods
                    .iter()
                    .map(|(p, now, then)| (p.clone(), money(*now), money(*then), money(then - now)))
                    .collect(),
                teams: sim
                    .teams
                    .iter()
                    .map(|t| {
                        let (now, then) = t.cost_of_sales();
                        TeamRow {
                            team: if t.department.is_empty() {
                                "—".into()
                            } else {
                                t.department.clone()
                            },
                            credited: money(t.credited_fen),
                            current: money(t.current_fen),
                            draft: money(t.draft_fen),
                            current_cost: pct(now),
                            draft_cost: pct(then),
                            dearer: t.draft_fen > t.current_fen,
                        }
                    })
                    .collect(),
            };
            render(
                &s,
                &c,
                Extras {
                    draft: Some(f.source),
                    range,
                    simulation: Some(view),
                    ..Extras::default()
                },
            )
            .await
        }
        Err(AppError::Invalid(e)) => editor_error(&s, &c, f.source, e.message, range).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct PayMonthForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    /// `same` or `next`.
    pay_month: String,
}

/// Sets when locked commission is paid (payroll and admins), audited.
async fn save_pay_month(
    State(s): State<AppState>,
    c: Caller,
    Form(f): Form<PayMonthForm>,
) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let rule = uplift_app::commission::set_pay_month_rule(&s.store, &c.principal, &f.pay_month, c.lang).await?;
    Ok(Redirect::to(&format!("/commission/plans?saved=pay-month-{}", rule.as_str())).into_response())
}
