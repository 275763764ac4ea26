//! A person's page (record, the month's figures, charts, pipeline, follow-ups, trainings,
//! appraisals) and its "compared with peers" panel.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::json;
use uplift_app::store::EmployeeRecord;
use uplift_app::{AppError, settings, views};
use uplift_domain::metric_data::EmployeeMonthMetrics;
use uplift_domain::{Lang, Month};

use super::layout::{Chrome, MonthQuery, chrome, month_options, page, parse_month, symbol};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::{Failure, WebError};
use crate::format::{datetime, money_fen, money_yuan, month_label, number, percent, url_encode};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/people/{employee_no}", get(person))
        .route("/people/{employee_no}/why", get(person_why))
}

/// An open deal, with the estimator's answer: what winning it today would add.
struct PipelineRow {
    name: String,
    stage: String,
    close_date: String,
    amount: String,
    adds: String,
    adds_text: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    c: Chrome,
    month: String,
    months: Vec<(String, String)>,
    name: String,
    employee_no: String,
    facts: Vec<(&'static str, String)>,
    month_label: String,
    month_facts: Vec<(&'static str, String)>,
    contribution_chart: String,
    funnel_chart: String,
    pipeline: Vec<PipelineRow>,
    pipeline_count: i64,
    followups: Vec<(String, String, String)>,
    trainings: Vec<(String, String, String, String)>,
    appraisals: Option<Vec<(String, String, String)>>,
}

async fn person(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Path(employee_no): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    let chosen = parse_month(q.month.as_deref(), l)?;
    if employee_no == "me" {
        return match &c.principal.employee_no {
            Some(no) => Ok(Redirect::to(&format!("/people/{}", url_encode(no))).into_response()),
            None => Err(WebError::new(
                Failure::NotFound(l.pick("你的账号没有绑定员工", "your account is not an employee").into()),
                l,
            )),
        };
    }
    let v = views::person(&s.store, &c.principal, &employee_no, c.ip()).await?;
    let sym = symbol(&s).await?;
    let tz = settings::company_tz(&s.store).await?;
    let r = &v.record;
    let facts = person_facts(r, tz, l);
    let shown_month = match chosen {
        Some(m) => m,
        None => views::latest_month(&s.store).await?,
    };
    let last = v.metrics.iter().find(|m| m.month == shown_month.to_key());
    let month_label_s = month_label(shown_month, l);
    let month_facts = month_facts(last, sym, l);
    let (contribution_chart, funnel_chart) = person_charts(&v.metrics, sym, l);
    let estimates: std::collections::HashMap<String, uplift_app::commission::DealEstimate> =
        uplift_app::commission::estimates(&s.store, &c.principal, &employee_no, l)
            .await?
            .into_iter()
            .map(|e| (e.opportunity_id.clone(), e))
            .collect();
    let pipeline = v
        .pipeline
        .iter()
        .map(|o| {
            let est = estimates.get(&o.id);
            PipelineRow {
                name: o.name.clone().unwrap_or_else(|| o.id.clone()),
                stage: o.stage_name.clone(),
                close_date: o.close_date.clone(),
                amount: o.amount_fen.map(|a| money_fen(a, sym)).unwrap_or("—".into()),
                adds: est.map_or("—".into(), |e| format!("+{}", money_fen(e.added_fen, sym))),
                adds_text: est.map(|e| e.text.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let followups = v
        .followups
        .iter()
        .map(|f| {
            (
                datetime(f.ts, tz),
                f.subtype.clone().unwrap_or_else(|| f.kind.clone()),
                f.subject.clone().unwrap_or_default(),
            )
        })
        .collect();
    let trainings = v
        .trainings
        .iter()
        .map(|t| {
            (
                t.course_name.clone(),
                t.assigned_date.clone(),
                t.completed_date.clone().unwrap_or_else(|| "—".into()),
                number(t.score, 0),
            )
        })
        .collect();
    let appraisals = v.appraisals.as_ref().map(|list| {
        list.iter()
            .map(|a| {
                (
                    a.period.clone(),
                    number(Some(a.score), 1),
                    a.grade.clone().unwrap_or_default(),
                )
            })
            .collect()
    });
    let t = PersonPage {
        month: shown_month.to_string(),
        months: month_options(&s, l).await?,
        c: chrome(
            &c,
            if c.principal.is_self(&employee_no) {
                "me"
            } else {
                "team"
            },
            &uri.to_string(),
        ),
        name: r.name.clone(),
        employee_no: r.employee_no.clone(),
        facts,
        month_label: month_label_s,
        month_facts,
        contribution_chart,
        funnel_chart,
        pipeline,
        pipeline_count: v.pipeline_count,
        followups,
        trainings,
        appraisals,
    };
    page(t, &c, has_lang_param(&uri))
}

/// The HR record as label and value (tenure counted to today in the company's time zone).
fn person_facts(r: &EmployeeRecord, tz: chrono_tz::Tz, l: Lang) -> Vec<(&'static str, String)> {
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let tenure = chrono::NaiveDate::parse_from_str(&r.hire_date, "%Y-%m-%d")
        .ok()
        .and_then(|h| uplift_domain::people::tenure_months(h, Month::of(today)))
        .map(|m| format!("{m} {}", l.pick("个月", "months")))
        .unwrap_or_default();
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "—".into());
    let manager = match (&r.manager_name, &r.manager_no) {
        (Some(n), Some(no)) => format!("{n}（{no}）"),
        (None, Some(no)) => no.clone(),
        _ => "—".into(),
    };
    vec![
        (l.pick("部门", "Department"), dash(&r.department)),
        (l.pick("职位", "Position"), dash(&r.position)),
        (l.pick("入职日期", "Hired"), r.hire_date.clone()),
        (l.pick("司龄", "Tenure"), tenure),
        (l.pick("离职日期", "Left"), dash(&r.leave_date)),
        (l.pick("直属上级", "Manager"), manager),
        (l.pick("城市", "City"), dash(&r.city)),
        (l.pick("邮箱", "Email"), dash(&r.email)),
    ]
}

/// The shown month's figures (none when the person has no results that month).
fn month_facts(last: Option<&EmployeeMonthMetrics>, sym: &str, l: Lang) -> Vec<(&'static str, String)> {
    match last {
        Some(m) => vec![
            (l.pick("贡献额", "Contribution"), money_fen(m.contribution_fen, sym)),
            (
                l.pick("目标", "Target"),
                m.target_fen.map(|t| money_fen(t, sym)).unwrap_or("—".into()),
            ),
            (l.pick("目标达成率", "Attainment"), percent(m.quota_attainment)),
            (l.pick("线索转化率", "Lead conversion"), percent(m.lead_conversion_rate)),
            (l.pick("周均跟进", "Follow-ups / week"), number(m.followups_per_week, 1)),
            (
                l.pick("24小时触达率", "Contacted in 24h"),
                percent(m.contacted_within_24h_rate),
            ),
            (
                l.pick("首次响应（小时）", "First response (h)"),
                number(m.first_response_hours, 1),
            ),
            (l.pick("赢单率", "Win rate"), percent(m.win_rate)),
        ],
        None => Vec::new(),
    }
}

/// The contribution-against-target chart and the lead funnel chart, month by month.
fn person_charts(metrics: &[EmployeeMonthMetrics], sym: &str, l: Lang) -> (String, String) {
    let labels: Vec<String> = metrics
        .iter()
        .filter_map(|m| Month::from_key(m.month))
        .map(|m| month_label(m, l))
        .collect();
    let contribution_chart = json!({
        "type": "bar",
        "labels": labels,
        "money": sym,
        "series": [
            {"name": l.pick("贡献额", "Contribution"), "format": "money", "data": metrics.iter().map(|m| m.contribution_fen / 100).collect::<Vec<_>>()},
            {"name": l.pick("目标", "Target"), "type": "line", "format": "money", "data": metrics.iter().map(|m| m.target_fen.map(|t| t / 100)).collect::<Vec<_>>()}
        ]
    })
    .to_string();
    let funnel_chart = json!({
        "type": "line",
        "labels": labels,
        "series": [
            {"name": l.pick("线索", "Leads"), "type": "bar", "data": metrics.iter().map(|m| m.leads_received).collect::<Vec<_>>()},
            {"name": l.pick("跟进", "Follow-ups"), "type": "bar", "data": metrics.iter().map(|m| m.followups).collect::<Vec<_>>()},
            {"name": l.pick("转化率", "Conversion"), "axis": 1, "format": "percent", "data": metrics.iter().map(|m| m.lead_conversion_rate.map(|x| (x * 1000.0).round() / 1000.0)).collect::<Vec<_>>()}
        ]
    })
    .to_string();
    (contribution_chart, funnel_chart)
}

/// The "compared with peers" panel of the person page, loaded after the page (htmx) because it
/// runs a company-wide driver analysis.
async fn person_why(
    State(s): State<AppState>,
    c: Caller,
    Path(employee_no): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    views::employee(&s.store, &c.principal, &employee_no).await?;
    let month = parse_month(q.month.as_deref(), l)?;
    let esc = crate::format::escape;
    let body = match uplift_app::insights::why_low(&s.store, &employee_no, month, l).await {
        Ok(w) => {
            let mut h = format!(
                "<p class=\"muted\" id=\"why-summary\">{}: {} · {} {} · {} {} · {} {}</p>",
                l.pick("对比人群", "Peers"),
                esc(&w.peer_group),
                w.peers,
                l.pick("人", "people"),
                l.pick("本人贡献额", "contribution"),
                esc(&money_yuan(Some(w.contribution), "¥")),
                l.pick("前 25% 起点", "top quarter from"),
                esc(&money_yuan(Some(w.top_quartile_from), "¥")),
            );
            if !w.funnel.is_empty() {
                h.push_str(&format!(
                    "<p>{} {}</p><ul id=\"why-funnel\">",
                    l.pick(
                        "与同类前 25% 的平均贡献额",
                        "Against the top quarter's mean contribution"
                    ),
                    esc(&money_yuan(Some(w.top_quartile_mean), "¥")),
                ));
                for f in &w.funnel {
                    h.push_str(&format!("<li>{}</li>", esc(&f.explanation)));
                }
                h.push_str(&format!(
                    "</ul><p>{}</p>",
                    l.pick("可改变的行为上的差距：", "Gaps in what can be changed:")
                ));
            }
            if w.gaps.is_empty() {
                h.push_str(&format!(
                    "<p id=\"why-none\">{}</p>",
                    l.pick(
                        "在各项已确认的驱动因素上，都不低于同类前 25% 的水平。",
                        "Not behind the top quarter of peers on any confirmed driver."
                    )
                ));
            } else {
                h.push_str("<ul id=\"why-gaps\">");
                for g in w.gaps.iter().take(5) {
                    h.push_str(&format!("<li>{}</li>", esc(&g.explanation)));
                }
                h.push_str("</ul>");
            }
            h.push_str(&format!(
                "<p class=\"muted\">{}</p>",
                l.pick(
                    "差距按全公司的驱动分析估算，是“相关”而非“因果”；用于找方向，不用于考核。",
                    "Gaps are priced with the company-wide driver analysis: associations, not causes; a direction to look in, not a verdict."
                )
            ));
            h
        }
        Err(e @ (AppError::Invalid(_) | AppError::NotFound(_))) => {
            let m = match e {
                AppError::Invalid(u) => u.message,
                AppError::NotFound(what) => what,
                other => other.to_string(),
            };
            format!("<p class=\"muted\" id=\"why-none\">{}</p>", esc(&m))
        }
        Err(e) => return Err(WebError::from(e)),
    };
    Ok(Html(body).into_response())
}
