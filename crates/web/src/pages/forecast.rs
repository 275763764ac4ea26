//! The forecast page: next month's contribution with its interval, per team and per person, the
//! alerts and the forecast's measured quality (both loaded after the page), and its XLSX export.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use uplift_app::access;
use uplift_app::alerts::{AlertsQuery, alerts};
use uplift_app::forecast::{ForecastQuery, forecast, method_text};
use uplift_io::xlsx_out::{Cell, xlsx_bytes};

use super::layout::{Chrome, chrome, page, parse_month, symbol};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::{Failure, WebError};
use crate::format::{escape, money_yuan, percent, url_encode};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/forecast", get(forecast_page))
        .route("/forecast/alerts", get(alerts_fragment))
        .route("/forecast/quality", get(quality_fragment))
        .route("/forecast/export.xlsx", get(forecast_export))
}

/// Whole yuan with the company's symbol.
fn yuan(v: f64, sym: &str) -> String {
    let s = money_yuan(Some(v.round()), sym);
    s.trim_end_matches(".00").to_string()
}

#[derive(Deserialize, Default)]
struct ForecastParams {
    month: Option<String>,
    department: Option<String>,
    limit: Option<usize>,
}

struct TeamRow {
    name: String,
    href: String,
    people: usize,
    forecast: String,
    interval: String,
    per_capita: String,
    target: String,
    attainment: String,
}

struct PersonRow {
    employee_no: String,
    name: String,
    department: String,
    forecast: String,
    interval: String,
    pipeline: String,
    target: String,
    attainment: String,
    risk: bool,
}

#[derive(Template)]
#[template(path = "forecast.html")]
struct ForecastPage {
    c: Chrome,
    month: String,
    month_label: String,
    based_on: String,
    department: Option<String>,
    query: String,
    cards: Vec<(&'static str, String)>,
    chart: String,
    teams: Vec<TeamRow>,
    people: Vec<PersonRow>,
    shown: usize,
    total_people: usize,
    min_month: String,
    max_month: String,
}

fn query_string(month: &str, department: Option<&str>) -> String {
    let mut q = format!("month={month}");
    if let Some(d) = department {
        q.push_str(&format!("&department={}", url_encode(d)));
    }
    q
}

async fn forecast_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<ForecastParams>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_forecast())?;
    let l = c.lang;
    let sym = symbol(&s).await?;
    let department = q.department.clone().filter(|d| !d.is_empty());
    let query = ForecastQuery {
        month: parse_month(q.month.as_deref(), l)?,
        department: department.clone(),
        lang: l,
    };
    let r = forecast(&s.store, &c.principal.scope, &query).await?;
    let month =
        uplift_domain::Month::parse(&r.month).map_err(|_| WebError::new(Failure::Internal(r.month.clone()), l))?;
    let t = &r.total;
    let mut cards = vec![
        (l.pick("预测贡献额", "Forecast contribution"), yuan(t.forecast, sym)),
        (
            l.pick("80% 区间", "80% interval"),
            format!("{} – {}", yuan(t.low, sym), yuan(t.high, sym)),
        ),
        (
            l.pick("预测人均贡献额", "Forecast per capita"),
            t.per_capita.map_or("—".into(), |v| yuan(v, sym)),
        ),
        (
            l.pick("预计人力（入职/离职）", "Expected FTE (joining/leaving)"),
            format!("{:.1} ({}/{})", t.fte, r.joiners, r.leavers),
        ),
    ];
    if let Some(g) = t.target {
        cards.push((
            l.pick("目标 · 预计达成", "Target · forecast attainment"),
            format!("{} · {}", yuan(g, sym), percent(t.attainment)),
        ));
    }
    let chart = json!({
        "type": "bar",
        "horizontal": true,
        "money": sym,
        // The team's own name: full paths crowd a phone.
        "labels": r.teams.iter().map(|g| g.department.as_deref().and_then(|d| d.rsplit('/').next()).unwrap_or("—").to_string()).collect::<Vec<_>>(),
        "series": [
            {"name": l.pick("预测", "Forecast"), "format": "money", "data": r.teams.iter().map(|g| g.forecast.round()).collect::<Vec<_>>()},
            {"name": l.pick("目标", "Target"), "format": "money", "data": r.teams.iter().map(|g| g.target.map(f64::round)).collect::<Vec<_>>()},
        ]
    })
    .to_string();
    let teams = r
        .teams
        .iter()
        .map(|g| {
            let name = g.department.clone().unwrap_or_else(|| "—".into());
            TeamRow {
                href: format!("/forecast?{}", query_string(&r.month, g.department.as_deref())),
                name,
                people: g.people,
                forecast: yuan(g.forecast, sym),
                interval: format!("{} – {}", yuan(g.low, sym), yuan(g.high, sym)),
                per_capita: g.per_capita.map_or("—".into(), |v| yuan(v, sym)),
                target: g.target.map_or("—".into(), |v| yuan(v, sym)),
                attainment: percent(g.attainment),
            }
        })
        .collect();
    // Most at risk first: the lowest forecast attainment, then the smallest forecasts.
    let mut lines: Vec<&uplift_app::forecast::ForecastLine> = r.people.iter().collect();
    lines.sort_by(|a, b| {
        let key = |x: &uplift_app::forecast::ForecastLine| x.attainment.unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then(a.forecast.total_cmp(&b.forecast))
    });
    let limit = q.limit.unwrap_or(200).clamp(1, 2000);
    let people = lines
        .iter()
        .take(limit)
        .map(|p| PersonRow {
            employee_no: p.employee_no.clone(),
            name: p.name.clone(),
            department: p.department.clone().unwrap_or_default(),
            forecast: yuan(p.forecast, sym),
            interval: format!("{} – {}", yuan(p.low, sym), yuan(p.high, sym)),
            pipeline: yuan(p.pipeline, sym),
            target: p.target.map_or("—".into(), |v| {
                if p.target_carried {
                    format!("{}*", yuan(v, sym))
                } else {
                    yuan(v, sym)
                }
            }),
            attainment: percent(p.attainment),
            risk: p.target.is_some_and(|t| p.high < t),
        })
        .collect();
    let months = uplift_app::views::metric_months(&s.store).await?;
    let (min_month, max_month) = match (months.first(), months.last()) {
        (Some(a), Some(b)) => (a.next().next().next().to_string(), b.next().to_string()),
        _ => (String::new(), String::new()),
    };
    let t = ForecastPage {
        min_month,
        max_month,
        c: chrome(&c, "forecast", &uri.to_string()),
        month_label: crate::format::month_label(month, l),
        based_on: r.based_on.clone(),
        query: query_string(&r.month, department.as_deref()),
        month: r.month.clone(),
        department,
        cards,
        chart,
        teams,
        people,
        shown: limit.min(r.people.len()),
        total_people: r.people.len(),
    };
    page(t, &c, has_lang_param(&uri))
}

/// The alert list, loaded after the page: it runs a company-wide driver analysis.
async fn alerts_fragment(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<ForecastParams>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_forecast())?;
    let l = c.lang;
    let sym = symbol(&s).await?;
    let query = AlertsQuery {
        month: parse_month(q.month.as_deref(), l)?,
        department: q.department.clone().filter(|d| !d.is_empty()),
    };
    let r = alerts(&s.store, &c.principal.scope, &query, l).await?;
    let limit = q.limit.unwrap_or(10).clamp(1, 500);
    let high = r.alerts.iter().filter(|a| a.severity == "high").count();
    let month =
        uplift_domain::Month::parse(&r.month).map_err(|_| WebError::new(Failure::Internal(r.month.clone()), l))?;
    let mut h = format!(
        "<p id=\"alerts-summary\">{} · <strong>{}</strong> / {} {} · {} <strong>{high}</strong> {}</p>",
        crate::format::month_label(month, l),
        r.alerts.len(),
        r.checked,
        l.pick("人预计未达标", "people forecast to miss"),
        l.pick("其中", "of whom"),
        l.pick("人即使乐观估计也达不到", "miss even at the optimistic end"),
    );
    if let Some(n) = &r.note {
        h.push_str(&format!(
            "<p class=\"muted\">{}: {}</p>",
            l.pick("未能使用驱动因素", "No drivers used"),
            escape(n)
        ));
    }
    h.push_str("<ul class=\"alerts\" id=\"alerts\">");
    for a in r.alerts.iter().take(limit) {
        h.push_str(&format!(
            "<li class=\"{}\"><a href=\"{}\"><strong>{} {}</strong></a> <span class=\"muted\">{}</span><br>{} {} · {} {} · {}",
            if a.severity == "high" { "alert high" } else { "alert" },
            escape(&a.evidence),
            escape(&a.employee_no),
            escape(&a.name),
            escape(a.department.as_deref().unwrap_or("")),
            l.pick("预测", "forecast"),
            escape(&yuan(a.forecast, sym)),
            if a.reference_kind == "target" { l.pick("目标", "target") } else { l.pick("近3月均值", "3-month mean") },
            escape(&yuan(a.reference, sym)),
            escape(&percent(Some(a.attainment))),
        ));
        if a.reasons.is_empty() {
            h.push_str(&format!(
                "<br><span class=\"muted\">{}</span>",
                l.pick(
                    "已确认的驱动因素没有明显下滑，请看明细",
                    "No confirmed driver slipped; see the details"
                )
            ));
        }
        for reason in &a.reasons {
            h.push_str(&format!(
                "<br>· {} <span class=\"muted\">→ {}</span>",
                escape(&reason.text),
                escape(&reason.action)
            ));
        }
        h.push_str("</li>");
    }
    h.push_str("</ul>");
    if r.alerts.len() > limit {
        let query = query_string(&r.month, query.department.as_deref());
        h.push_str(&format!(
            "<p><button type=\"button\" class=\"link\" id=\"alerts-all\" hx-get=\"/forecast/alerts?{}&limit=500\" hx-target=\"closest .alerts-box\" hx-swap=\"innerHTML\">{} {} {}</button></p>",
            escape(&query),
            l.pick("显示全部", "Show all"),
            r.alerts.len(),
            l.pick("人", "people")
        ));
    }
    Ok(Html(h).into_response())
}

/// How good the forecast has been: the last six months replayed, loaded after the page.
async fn quality_fragment(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<ForecastParams>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_forecast())?;
    let l = c.lang;
    let sym = symbol(&s).await?;
    let department = q.department.filter(|d| !d.is_empty());
    let b = uplift_app::forecast::backtest_in(&s.store, &c.principal.scope, department.as_deref(), 6).await?;
    let mut h = format!(
        "<p class=\"muted\">{} {} – {}</p><div class=\"scroll\"><table id=\"quality\"><thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">MAPE</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
        l.pick("按当时已知的数据重放", "Replayed from what was known at the time:"),
        b.from,
        b.to,
        l.pick("方法", "Method"),
        l.pick("人月平均误差", "MAE per person-month"),
        l.pick("偏差", "Bias"),
        l.pick("合计误差", "Total error"),
        l.pick("80% 区间覆盖", "80% coverage"),
    );
    for a in &b.accuracy {
        h.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            uplift_app::forecast::BacktestResult::method_label(&a.method, l),
            escape(&yuan(a.mae, sym)),
            percent(a.mape.is_finite().then_some(a.mape)),
            escape(&yuan(a.bias, sym)),
            percent(Some(a.total_error)),
            percent(a.coverage_80),
        ));
    }
    h.push_str("</tbody></table></div>");
    let chart = json!({
        "type": "line",
        "money": sym,
        "labels": b.months.iter().map(|m| m.month.clone()).collect::<Vec<_>>(),
        "series": [
            {"name": l.pick("实际", "Actual"), "format": "money", "data": b.months.iter().map(|m| m.actual_total.round()).collect::<Vec<_>>()},
            {"name": l.pick("预测", "Forecast"), "format": "money", "data": b.months.iter().map(|m| m.forecast_total.round()).collect::<Vec<_>>()},
            {"name": l.pick("上月值", "Last month"), "format": "money", "data": b.months.iter().map(|m| m.last_month_total.round()).collect::<Vec<_>>()},
        ]
    });
    h.push_str(&format!(
        "<div class=\"chart\" id=\"quality-chart\" data-chart=\"{}\"></div>",
        escape(&chart.to_string())
    ));
    Ok(Html(h).into_response())
}

async fn forecast_export(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<ForecastParams>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_forecast())?;
    let l = c.lang;
    let department = q.department.clone().filter(|d| !d.is_empty());
    let query = ForecastQuery {
        month: parse_month(q.month.as_deref(), l)?,
        department: department.clone(),
        lang: l,
    };
    let r = forecast(&s.store, &c.principal.scope, &query).await?;
    let headers: Vec<String> = [
        ("工号", "Employee no"),
        ("姓名", "Name"),
        ("部门", "Department"),
        ("月份", "Month"),
        ("预测（元）", "Forecast"),
        ("下限（元）", "Low"),
        ("上限（元）", "High"),
        ("在途商机贡献（元）", "From pipeline"),
        ("月内新增（元）", "Run-rate"),
        ("在途商机数", "Open deals"),
        ("目标（元）", "Target"),
        ("预计达成率", "Forecast attainment"),
        ("在岗比例", "Active share"),
        ("方法", "Method"),
    ]
    .iter()
    .map(|(zh, en)| l.pick(zh, en).to_string())
    .collect();
    let rows: Vec<Vec<Cell>> = r
        .people
        .iter()
        .map(|p| {
            vec![
                Cell::Text(p.employee_no.clone()),
                Cell::Text(p.name.clone()),
                Cell::Text(p.department.clone().unwrap_or_default()),
                Cell::Text(p.month.clone()),
                Cell::Money(p.forecast),
                Cell::Money(p.low),
                Cell::Money(p.high),
                Cell::Money(p.pipeline),
                Cell::Money(p.run_rate),
                Cell::Number(p.open_deals as f64),
                p.target.map(Cell::Money).unwrap_or(Cell::Empty),
                p.attainment.map(Cell::Percent).unwrap_or(Cell::Empty),
                Cell::Percent(p.active_share),
                Cell::Text(method_text(&p.method, l).to_string()),
            ]
        })
        .collect();
    let bytes = xlsx_bytes(l.pick("预测", "Forecast"), &headers, &rows)
        .map_err(|e| WebError::new(Failure::Internal(e.to_string()), l))?;
    access::audit_by(
        &s.store,
        &c.principal,
        "export.forecast",
        department.as_deref(),
        Some(&format!("month={} rows={}", r.month, rows.len())),
        c.ip(),
    )
    .await?;
    Ok(super::layout::xlsx_download(
        bytes,
        &format!("forecast-{}.xlsx", r.month),
    ))
}
