//! The leaderboard: contribution ranking over a month or a span of months, the caller marked.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uplift_app::views;

use super::layout::{Chrome, chrome, month_options, page, parse_month, symbol};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::WebError;
use crate::format::{money_fen, month_label, percent};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/leaderboard", get(leaderboard))
}

#[derive(Template)]
#[template(path = "leaderboard.html")]
struct LeaderboardPage {
    c: Chrome,
    period_label: String,
    from: String,
    to: String,
    months: Vec<(String, String)>,
    rows: Vec<BoardRow>,
    my_rank: Option<String>,
}

struct BoardRow {
    employee_no: String,
    name: String,
    department: String,
    contribution: String,
    won: i64,
    attainment: String,
    me: bool,
}

#[derive(Deserialize)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn leaderboard(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    let latest = views::latest_month(&s.store).await?;
    let to = parse_month(q.to.as_deref(), l)?.unwrap_or(latest);
    let from = parse_month(q.from.as_deref(), l)?.unwrap_or(to);
    let (from, to) = if from <= to { (from, to) } else { (to, from) };
    let lines = views::leaderboard(&s.store, from, to, 200).await?;
    let sym = symbol(&s).await?;
    let rows = lines
        .into_iter()
        .map(|x| BoardRow {
            me: c.principal.is_self(&x.employee_no),
            attainment: percent(
                x.target_fen
                    .filter(|t| *t > 0)
                    .map(|t| x.contribution_fen as f64 / t as f64),
            ),
            contribution: money_fen(x.contribution_fen, sym),
            won: x.orders_won,
            department: x.department.unwrap_or_default(),
            name: x.name,
            employee_no: x.employee_no,
        })
        .collect::<Vec<_>>();
    let my_rank = rows
        .iter()
        .position(|r| r.me)
        .map(|i| format!("{} {} / {}", l.pick("我的排名：第", "My rank:"), i + 1, rows.len()));
    let period_label = if from == to {
        month_label(from, l)
    } else {
        format!("{} – {}", month_label(from, l), month_label(to, l))
    };
    let t = LeaderboardPage {
        c: chrome(&c, "leaderboard", &uri.to_string()),
        period_label,
        from: from.to_string(),
        to: to.to_string(),
        months: month_options(&s, l).await?,
        rows,
        my_rank,
    };
    page(t, &c, has_lang_param(&uri))
}
