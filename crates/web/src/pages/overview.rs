//! The overview: the caller's unit this month (cards, trend and headcount charts) and the league
//! of its departments.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::json;
use uplift_app::views::{self, has_overview, home_path};
use uplift_domain::Month;
use uplift_domain::metric_data::UnitMonthMetrics;

use super::layout::{Chrome, MonthQuery, chrome, month_options, page, parse_month, symbol};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::WebError;
use crate::format::{money_fen, money_yuan, month_label, number, percent, url_encode};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/", get(overview))
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    c: Chrome,
    unit_label: String,
    month: String,
    month_label: String,
    months: Vec<(String, String)>,
    cards: Vec<(&'static str, String)>,
    trend_chart: String,
    headcount_chart: String,
    league: Vec<LeagueRow>,
}

struct LeagueRow {
    name: String,
    href: String,
    per_capita: String,
    contribution: String,
    headcount: String,
    attainment: String,
}

async fn overview(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    if !has_overview(&c.principal) {
        return Ok(Redirect::to(&home_path(&c.principal)).into_response());
    }
    let l = c.lang;
    let month = match parse_month(q.month.as_deref(), l)? {
        Some(m) => m,
        None => views::latest_month(&s.store).await?,
    };
    let v = views::overview(&s.store, &c.principal, month).await?;
    let sym = symbol(&s).await?;
    let cur: Option<&UnitMonthMetrics> = v
        .trend
        .iter()
        .find(|r| r.metrics.month == month.to_key())
        .map(|r| &r.metrics);
    let cards = vec![
        (
            l.pick("人均贡献额", "Per-capita contribution"),
            money_yuan(cur.and_then(|m| m.per_capita_contribution), sym),
        ),
        (
            l.pick("贡献额", "Contribution"),
            cur.map(|m| money_fen(m.contribution_fen, sym)).unwrap_or("—".into()),
        ),
        (
            l.pick("平均在岗人数", "Average headcount"),
            number(cur.map(|m| m.headcount_avg), 1),
        ),
        (
            l.pick("目标达成率", "Quota attainment"),
            percent(cur.and_then(|m| m.quota_attainment)),
        ),
        (
            l.pick("线索转化率", "Lead conversion"),
            percent(cur.and_then(|m| m.lead_conversion_rate)),
        ),
        (
            l.pick("24小时触达率", "Contacted within 24h"),
            percent(cur.and_then(|m| m.contacted_within_24h_rate)),
        ),
    ];
    let labels: Vec<String> = v
        .trend
        .iter()
        .filter_map(|r| Month::from_key(r.metrics.month))
        .map(|m| month_label(m, l))
        .collect();
    let trend_chart = json!({
        "type": "line",
        "labels": labels,
        "money": sym,
        "series": [{"name": l.pick("人均贡献额", "Per capita"), "format": "money", "data": v.trend.iter().map(|r| r.metrics.per_capita_contribution.map(|x| x.round())).collect::<Vec<_>>()}]
    })
    .to_string();
    let headcount_chart = json!({
        "type": "bar",
        "labels": labels,
        "series": [
            {"name": l.pick("平均人数", "Headcount"), "data": v.trend.iter().map(|r| (r.metrics.headcount_avg * 10.0).round() / 10.0).collect::<Vec<_>>()},
            {"name": l.pick("目标达成率", "Attainment"), "type": "line", "axis": 1, "format": "percent", "data": v.trend.iter().map(|r| r.metrics.quota_attainment.map(|x| (x * 1000.0).round() / 1000.0)).collect::<Vec<_>>()}
        ]
    })
    .to_string();
    let league = v
        .league
        .iter()
        .map(|r| {
            let path = r.department.clone().unwrap_or_default();
            LeagueRow {
                name: path.clone(),
                href: url_encode(&path),
                per_capita: money_yuan(r.metrics.per_capita_contribution, sym),
                contribution: money_fen(r.metrics.contribution_fen, sym),
                headcount: number(Some(r.metrics.headcount_avg), 1),
                attainment: percent(r.metrics.quota_attainment),
            }
        })
        .collect();
    let t = OverviewPage {
        unit_label: v
            .unit
            .clone()
            .unwrap_or_else(|| l.pick("全公司", "Company").to_string()),
        month: month.to_string(),
        month_label: month_label(month, l),
        months: month_options(&s, l).await?,
        cards,
        trend_chart,
        headcount_chart,
        league,
        c: chrome(&c, "overview", &uri.to_string()),
    };
    page(t, &c, has_lang_param(&uri))
}
