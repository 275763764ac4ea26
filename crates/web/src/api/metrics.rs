//! The metric table (`/api/v1/metrics`) and the leaderboard.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uplift_app::metrics::{Level, MetricLine, metric_rows};
use uplift_app::views;
use uplift_domain::{MetricId, Month};
use utoipa::{IntoParams, ToSchema};

use super::params::{ApiResult, Paging, Q, bad, month_param, page_type};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ErrorBody;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/metrics", get(list_metrics))
        .route("/api/v1/leaderboard", get(leaderboard))
}

page_type!(MetricPage, MetricRow);

/// One row of the metric table: an employee-month, or a department-month (company when
/// `department` is null at level `department`).
#[derive(Serialize, ToSchema)]
pub struct MetricRow {
    /// `YYYY-MM`.
    month: String,
    employee_no: Option<String>,
    name: Option<String>,
    department: Option<String>,
    /// Metric id → value (money in yuan, rates as fractions); see docs/metrics.md.
    values: BTreeMap<String, Option<f64>>,
}

impl From<MetricLine> for MetricRow {
    fn from(l: MetricLine) -> Self {
        MetricRow {
            month: Month::from_key(l.month).map(|m| m.to_string()).unwrap_or_default(),
            employee_no: l.employee_no,
            name: l.name,
            department: l.department,
            values: l.values.into_iter().map(|(m, v)| (m.id().to_string(), v)).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricQuery {
    /// One month, `YYYY-MM` (instead of from/to).
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// An employee number (level `employee` only).
    employee: Option<String>,
    /// A department path; sub-departments included.
    department: Option<String>,
    /// Only this metric, e.g. `per_capita_contribution`.
    metric: Option<String>,
    /// `employee` (default) or `department`.
    level: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/metrics", params(MetricQuery, Paging),
    responses((status = 200, body = MetricPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_metrics(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<MetricQuery>,
    Q(p): Q<Paging>,
) -> ApiResult<MetricPage> {
    let (page, per, offset) = p.limits()?;
    let month = month_param(&q.month, "month")?;
    let from = month.or(month_param(&q.from, "from")?);
    let to = month.or(month_param(&q.to, "to")?);
    let metrics: Vec<MetricId> = match q.metric.as_deref() {
        Some(m) => vec![MetricId::parse(m).ok_or_else(|| {
            bad(
                format!(
                    "unknown metric {m:?}; one of {}",
                    MetricId::ALL.iter().map(|m| m.id()).collect::<Vec<_>>().join(", ")
                ),
                "metric",
            )
        })?],
        None => MetricId::ALL.to_vec(),
    };
    let level = match q.level.as_deref() {
        None | Some("employee") => Level::Employee,
        Some("department") => Level::Department,
        Some(other) => {
            return Err(bad(
                format!("level must be employee or department, not {other:?}"),
                "level",
            ));
        }
    };
    let query = uplift_app::metrics::MetricQuery {
        from,
        to,
        department: q.department,
        employee_no: q.employee,
        metrics,
        level,
        limit: per,
        offset,
    };
    let (lines, total) = metric_rows(&s.store, &c.principal, &query, c.ip()).await?;
    Ok(Json(MetricPage {
        data: lines.into_iter().map(MetricRow::from).collect(),
        page,
        per_page: per,
        total,
    }))
}

/// A leaderboard line.
#[derive(Serialize, ToSchema)]
pub struct BoardLine {
    rank: usize,
    name: String,
    /// Whether this line is the caller.
    me: bool,
    department: Option<String>,
    /// Yuan.
    contribution: f64,
    orders_won: i64,
    quota_attainment: Option<f64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First month, `YYYY-MM` (default: the latest month with data).
    from: Option<String>,
    /// Last month (default: `from`).
    to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/leaderboard", params(PeriodQuery),
    responses((status = 200, body = Vec<BoardLine>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn leaderboard(State(s): State<AppState>, c: Caller, Q(q): Q<PeriodQuery>) -> ApiResult<Vec<BoardLine>> {
    let latest = views::latest_month(&s.store).await?;
    let from = month_param(&q.from, "from")?.unwrap_or(latest);
    let to = month_param(&q.to, "to")?.unwrap_or(from);
    if from > to {
        return Err(bad("from must not be after to", "from"));
    }
    let lines = views::leaderboard(&s.store, from, to, 200).await?;
    Ok(Json(
        lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| BoardLine {
                rank: i + 1,
                quota_attainment: l
                    .target_fen
                    .filter(|t| *t > 0)
                    .map(|t| l.contribution_fen as f64 / t as f64),
                contribution: l.contribution_fen as f64 / 100.0,
                me: c.principal.is_self(&l.employee_no),
                name: l.name,
                department: l.department,
                orders_won: l.orders_won,
            })
            .collect(),
    ))
}
