//! Early warnings: who is forecast below target next month, why (the clear drivers that slipped),
//! and what to do, each linked to the evidence.

use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_domain::access::Scope;
use uplift_domain::metric_data::EmployeeMonthMetrics;
use uplift_domain::{Lang, Month};
use uplift_insight::alerts::{ClearDriver, DriverMove, action_for, driver_moves};
use uplift_store::MetricFilter;

use crate::forecast::{ForecastQuery, forecast, money_text};
use crate::insights::{DriversQuery, Layer, drivers};
use crate::{AppError, Store};

/// Below this share of the reference a person is alerted.
const ALERT_BELOW: f64 = 0.9;
/// A driver has to move this much (relative) to be named.
const MIN_MOVE: f64 = 0.15;

#[derive(Debug, Clone, Default)]
pub struct AlertsQuery {
    /// The forecast month (default: the month after the newest results).
    pub month: Option<Month>,
    pub department: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub forecast: f64,
    pub low: f64,
    pub high: f64,
    /// What the forecast is held against: the month's target, or (without one) the person's own
    /// mean of the last three months.
    pub reference: f64,
    /// `target` or `own_average`.
    pub reference_kind: String,
    pub attainment: f64,
    /// reference − forecast.
    pub gap: f64,
    /// `high`: even the interval's upper end misses; `medium`: the forecast misses.
    pub severity: String,
    pub reasons: Vec<DriverMove>,
    /// Where to look: the person page on the month the reasons come from.
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertsResult {
    pub month: String,
    pub based_on: String,
    /// People looked at.
    pub checked: usize,
    pub alerts: Vec<Alert>,
    /// The drivers whose moves are looked for (clear for contribution, not confounded).
    pub drivers: Vec<String>,
    /// Why no driver could be used, when none could.
    pub note: Option<String>,
}

fn key(m: Month) -> i32 {
    m.to_key()
}

/// Alerts for the people in `scope`.
// Long on purpose: forecast, drivers and each person's recent months joined into alerts in one pass;
// each step is commented.
pub async fn alerts(store: &Store, scope: &Scope, q: &AlertsQuery, lang: Lang) -> Result<AlertsResult, AppError> {
    let fc = forecast(
        store,
        scope,
        &ForecastQuery {
            month: q.month,
            department: q.department.clone(),
            lang,
        },
    )
    .await?;
    let month = Month::parse(&fc.month).map_err(|_| AppError::internal(fc.month.clone()))?;
    let based_on = month.prev();

    // The company-wide drivers of contribution over the year before.
    let (clear, note) = match drivers(
        store,
        &Scope::All,
        &DriversQuery {
            target: "contribution".into(),
            from: None,
            to: Some(based_on),
            department: None,
        },
        lang,
    )
    .await
    {
        Ok(r) => (
            r.drivers
                .iter()
                // Alerts name levers: what a person can change (not the leads they were given).
                .filter(|d| d.confounded_by.is_none() && d.direction != "unclear" && d.layer == Layer::Lever)
                .map(|d| ClearDriver {
                    feature: d.feature.clone(),
                    positive: d.direction == "positive",
                })
                .collect::<Vec<_>>(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.render(lang))),
    };

    // The last four months of each person: the latest against the three before it.
    let rows = store
        .employee_metrics(&MetricFilter {
            from: Some(based_on.span_start(4)),
            to: Some(based_on),
            department: q.department.clone(),
            scope: scope.clone(),
            ..Default::default()
        })
        .await?;
    let mut months: FxHashMap<String, Vec<EmployeeMonthMetrics>> = FxHashMap::default();
    for r in rows {
        months.entry(r.employee_no).or_default().push(r.metrics);
    }

    let mut out = Vec::new();
    for p in &fc.people {
        let history = months.get(&p.employee_no).map(Vec::as_slice).unwrap_or(&[]);
        let (reference, kind) = match p.target {
            Some(t) => (t, "target"),
            None => {
                let from3 = key(based_on.span_start(3));
                let past: Vec<f64> = history
                    .iter()
                    .filter(|m| m.month >= from3)
                    .map(|m| m.contribution_fen as f64 / 100.0)
                    .collect();
                let mean = past.iter().sum::<f64>() / past.len().max(1) as f64;
                (mean * p.active_share, "own_average")
            }
        };
        if reference <= 0.0 || p.forecast >= ALERT_BELOW * reference {
            continue;
        }
        let recent = history.iter().find(|m| m.month == key(based_on));
        let earlier: Vec<&EmployeeMonthMetrics> = history.iter().filter(|m| m.month < key(based_on)).collect();
        let mut reasons = match recent {
            Some(r) => driver_moves(r, &earlier, &clear, MIN_MOVE, lang),
            None => Vec::new(),
        };
        // A thin pipeline is said once: by the pipeline driver when it slipped, else here.
        if p.pipeline < 0.5 * reference && !reasons.iter().any(|r| r.feature == "pipeline_value") {
            reasons.push(DriverMove {
                feature: "pipeline_value".into(),
                label: lang.pick("在途商机", "open pipeline").into(),
                now: p.pipeline,
                before: reference,
                change: p.pipeline / reference - 1.0,
                text: match lang {
                    Lang::Zh => format!(
                        "在途商机预计只能成交 ¥{}，是{}的 {:.0}%（{} 个商机）",
                        money_text(p.pipeline),
                        if kind == "target" { "目标" } else { "近3月均值" },
                        100.0 * p.pipeline / reference,
                        p.open_deals
                    ),
                    Lang::En => format!(
                        "the open pipeline should bring ¥{}, {:.0}% of the {} ({} deals)",
                        money_text(p.pipeline),
                        100.0 * p.pipeline / reference,
                        if kind == "target" { "target" } else { "3-month mean" },
                        p.open_deals
                    ),
                },
                action: action_for("pipeline_value", 0.0, lang),
            });
        }
        out.push(Alert {
            employee_no: p.employee_no.clone(),
            name: p.name.clone(),
            department: p.department.clone(),
            forecast: p.forecast,
            low: p.low,
            high: p.high,
            reference,
            reference_kind: kind.into(),
            attainment: p.forecast / reference,
            gap: reference - p.forecast,
            severity: if p.high < reference { "high" } else { "medium" }.into(),
            reasons,
            evidence: format!("/people/{}?month={based_on}", p.employee_no),
        });
    }
    // Lowest forecast attainment first, as the forecast page lists people.
    out.sort_by(|a, b| a.attainment.total_cmp(&b.attainment).then(b.gap.total_cmp(&a.gap)));
    Ok(AlertsResult {
        month: fc.month,
        based_on: based_on.to_string(),
        checked: fc.people.len(),
        alerts: out,
        drivers: clear.into_iter().map(|d| d.feature).collect(),
        note,
    })
}
