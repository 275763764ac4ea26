//! The metric table (`/api/v1/metrics`) and the leaderboard.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uplift_app::access;
use uplift_app::metrics::{employee_value, unit_value};
use uplift_app::store::MetricFilter;
use uplift_app::views;
use uplift_domain::{MetricId, Month};
use utoipa::{IntoParams, ToSchema};

use super::params::{ApiResult, Paging, Q, app, bad, month_param, page_type};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, Failure};

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
    let filter = MetricFilter {
        from,
        to,
        department: q.department.clone(),
        employee_no: q.employee.clone(),
        scope: c.principal.scope.clone(),
        page: Some((per, offset)),
    };
    let department_level = match q.level.as_deref() {
        None | Some("employee") => false,
        Some("department") => true,
        Some(other) => {
            return Err(bad(
                format!("level must be employee or department, not {other:?}"),
                "level",
            ));
        }
    };
    if let Some(d) = &q.department
        && !c.principal.scope.covers_department(d)
        && !matches!(c.principal.scope, uplift_domain::access::Scope::Employees(_))
    {
        return Err(ApiError(Failure::Forbidden));
    }
    let may_appraisal = c.principal.role.may_read_appraisals();
    let mut rows: Vec<MetricRow> = Vec::new();
    let mut saw_appraisal = false;
    if department_level {
        if matches!(c.principal.scope, uplift_domain::access::Scope::Employees(_)) {
            return Err(ApiError(Failure::Forbidden));
        }
        for r in s.store.unit_metrics(&filter).await.map_err(app)? {
            // A department's average appraisal can be one person's score: same rule as people.
            let values = metrics
                .iter()
                .filter(|m| **m != MetricId::AppraisalScore || may_appraisal)
                .map(|m| (m.id().to_string(), unit_value(&r.metrics, *m)))
                .collect::<BTreeMap<_, _>>();
            saw_appraisal |= values.contains_key(MetricId::AppraisalScore.id());
            rows.push(MetricRow {
                month: Month::from_key(r.metrics.month)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                employee_no: None,
                name: None,
                department: r.department,
                values,
            });
        }
    } else {
        for r in s.store.employee_metrics(&filter).await.map_err(app)? {
            let own = c.principal.is_self(&r.employee_no);
            let values = metrics
                .iter()
                .filter(|m| **m != MetricId::AppraisalScore || may_appraisal || own)
                .map(|m| (m.id().to_string(), employee_value(&r.metrics, *m)))
                .collect::<BTreeMap<_, _>>();
            saw_appraisal |= values.contains_key(MetricId::AppraisalScore.id());
            rows.push(MetricRow {
                month: Month::from_key(r.metrics.month)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                employee_no: Some(r.employee_no),
                name: Some(r.name),
                department: r.department,
                values,
            });
        }
    }
    let total = s
        .store
        .count_metric_rows(&filter, !department_level)
        .await
        .map_err(app)?;
    let data = rows;
    if saw_appraisal && !data.is_empty() {
        access::audit_by(
            &s.store,
            &c.principal,
            "read.appraisal",
            Some("api/v1/metrics"),
            Some(&format!("rows={}", data.len())),
            c.ip(),
        )
        .await?;
    }
    Ok(Json(MetricPage {
        data,
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
