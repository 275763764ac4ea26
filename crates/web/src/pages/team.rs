//! The team table (sortable, paged, drilling into departments) and its XLSX export.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use uplift_app::access;
use uplift_app::store::{EmployeeMetricRow, UnitMetricRow};
use uplift_app::views;
use uplift_domain::{Lang, Month};
use uplift_io::xlsx_out::{Cell, xlsx_bytes};

use super::layout::{Chrome, chrome, is_htmx, month_options, page, parse_month, symbol};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::{Failure, WebError};
use crate::format::{money_fen, money_yuan, number, percent, url_encode};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/team", get(team))
        .route("/team/export.xlsx", get(team_export))
}

/// Team table columns: (sort key, zh, en, numeric).
const TEAM_COLUMNS: &[(&str, &str, &str)] = &[
    ("contribution", "贡献额", "Contribution"),
    ("attainment", "目标达成率", "Attainment"),
    ("conversion", "线索转化率", "Lead conversion"),
    ("followups_week", "周均跟进", "Follow-ups / week"),
    ("contact24h", "24小时触达率", "Contacted in 24h"),
    ("won", "赢单数", "Deals won"),
    ("pipeline", "在途商机", "Open pipeline"),
];

fn sort_value(r: &EmployeeMetricRow, key: &str) -> f64 {
    let m = &r.metrics;
    let v = match key {
        "contribution" => Some(m.contribution_fen as f64),
        "attainment" => m.quota_attainment,
        "conversion" => m.lead_conversion_rate,
        "followups_week" => m.followups_per_week,
        "contact24h" => m.contacted_within_24h_rate,
        "won" => Some(m.orders_won as f64),
        "pipeline" => Some(m.pipeline_fen as f64),
        _ => None,
    };
    v.unwrap_or(f64::MIN)
}

fn team_values(r: &EmployeeMetricRow, sym: &str) -> Vec<String> {
    let m = &r.metrics;
    vec![
        money_fen(m.contribution_fen, sym),
        percent(m.quota_attainment),
        percent(m.lead_conversion_rate),
        number(m.followups_per_week, 1),
        percent(m.contacted_within_24h_rate),
        m.orders_won.to_string(),
        money_fen(m.pipeline_fen, sym),
    ]
}

#[derive(Deserialize, Default)]
struct TeamQuery {
    month: Option<String>,
    department: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<usize>,
}

/// Members shown per page of the team table (the XLSX export has everyone).
const TEAM_PAGE: usize = 100;

struct TeamHeader {
    label: String,
    href: String,
    arrow: &'static str,
    numeric: bool,
}

struct TeamRow {
    employee_no: String,
    name: String,
    department: String,
    values: Vec<String>,
}

struct ChildLink {
    name: String,
    href: String,
    per_capita: String,
}

#[derive(Template)]
#[template(path = "team_table.html")]
struct TeamTable {
    c: Chrome,
    crumbs: Vec<(String, String)>,
    children: Vec<ChildLink>,
    headers: Vec<TeamHeader>,
    rows: Vec<TeamRow>,
    export_href: String,
    /// "members 1–100 of 9,800" and the previous / next page links.
    count_label: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    month: String,
    months: Vec<(String, String)>,
    department: Option<String>,
    sort: String,
    dir: &'static str,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    c: Chrome,
    table: String,
}

struct TeamData {
    month: Month,
    department: Option<String>,
    sort: String,
    desc: bool,
    view: views::TeamView,
}

async fn team_data(s: &AppState, c: &Caller, q: &TeamQuery) -> Result<TeamData, WebError> {
    let month = match parse_month(q.month.as_deref(), c.lang)? {
        Some(m) => m,
        None => views::latest_month(&s.store).await?,
    };
    let department = q.department.clone().filter(|d| !d.is_empty());
    let mut view = views::team(&s.store, &c.principal, month, department.as_deref()).await?;
    let sort = q
        .sort
        .clone()
        .filter(|k| TEAM_COLUMNS.iter().any(|(c, _, _)| c == k))
        .unwrap_or_else(|| "contribution".into());
    let desc = q.dir.as_deref() != Some("asc");
    view.members.sort_by(|a, b| {
        let o = sort_value(a, &sort).total_cmp(&sort_value(b, &sort));
        (if desc { o.reverse() } else { o }).then_with(|| a.employee_no.cmp(&b.employee_no))
    });
    Ok(TeamData {
        month,
        department,
        sort,
        desc,
        view,
    })
}

fn team_href(month: Month, dep: Option<&str>, sort: &str, desc: bool) -> String {
    let mut h = format!("/team?month={month}");
    if let Some(d) = dep {
        h.push_str(&format!("&department={}", url_encode(d)));
    }
    h.push_str(&format!("&sort={sort}&dir={}", if desc { "desc" } else { "asc" }));
    h
}

/// "All" and then each level of the shown department, each linking to its own table.
fn team_crumbs(d: &TeamData, l: Lang) -> Vec<(String, String)> {
    let mut crumbs = vec![(
        l.pick("全部", "All").to_string(),
        team_href(d.month, None, &d.sort, d.desc),
    )];
    if let Some(path) = d.department.as_deref() {
        let mut acc = String::new();
        for part in path.split('/') {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            crumbs.push((part.to_string(), team_href(d.month, Some(&acc), &d.sort, d.desc)));
        }
    }
    crumbs
}

/// The table's column headers; a metric's header sorts by it (a second click flips the order).
fn team_headers(d: &TeamData, l: Lang) -> Vec<TeamHeader> {
    let dep = d.department.as_deref();
    let mut headers_row = vec![
        TeamHeader {
            label: l.pick("姓名", "Name").into(),
            href: team_href(d.month, dep, &d.sort, d.desc),
            arrow: "",
            numeric: false,
        },
        TeamHeader {
            label: l.pick("部门", "Department").into(),
            href: team_href(d.month, dep, &d.sort, d.desc),
            arrow: "",
            numeric: false,
        },
    ];
    for (key, zh, en) in TEAM_COLUMNS {
        let active = *key == d.sort;
        headers_row.push(TeamHeader {
            label: l.pick(zh, en).into(),
            href: team_href(d.month, dep, key, !(active && d.desc)),
            arrow: if !active {
                ""
            } else if d.desc {
                " ▼"
            } else {
                " ▲"
            },
            numeric: true,
        });
    }
    headers_row
}

async fn team(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Query(q): Query<TeamQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    let d = team_data(&s, &c, &q).await?;
    let sym = symbol(&s).await?;
    let dep = d.department.as_deref();
    let crumbs = team_crumbs(&d, l);
    let children = d
        .view
        .children
        .iter()
        .map(|u: &UnitMetricRow| {
            let path = u.department.clone().unwrap_or_default();
            ChildLink {
                name: path.rsplit('/').next().unwrap_or(&path).to_string(),
                href: team_href(d.month, Some(&path), &d.sort, d.desc),
                per_capita: money_yuan(u.metrics.per_capita_contribution, sym),
            }
        })
        .collect();
    let headers_row = team_headers(&d, l);
    let total = d.view.members.len();
    let pages = total.div_ceil(TEAM_PAGE).max(1);
    let page_no = q.page.unwrap_or(1).clamp(1, pages);
    let first = (page_no - 1) * TEAM_PAGE;
    let page_href = |n: usize| format!("{}&page={n}", team_href(d.month, dep, &d.sort, d.desc));
    let count_label = if total == 0 {
        String::new()
    } else {
        format!(
            "{} {}–{} / {}",
            l.pick("成员", "members"),
            first + 1,
            (first + TEAM_PAGE).min(total),
            total
        )
    };
    let prev_href = (page_no > 1).then(|| page_href(page_no - 1));
    let next_href = (page_no < pages).then(|| page_href(page_no + 1));
    let rows = d
        .view
        .members
        .iter()
        .skip(first)
        .take(TEAM_PAGE)
        .map(|r| TeamRow {
            employee_no: r.employee_no.clone(),
            name: r.name.clone(),
            department: r.department.clone().unwrap_or_default(),
            values: team_values(r, sym),
        })
        .collect();
    let mut export_href = format!(
        "/team/export.xlsx?month={}&sort={}&dir={}",
        d.month,
        d.sort,
        if d.desc { "desc" } else { "asc" }
    );
    if let Some(dp) = dep {
        export_href.push_str(&format!("&department={}", url_encode(dp)));
    }
    let table = TeamTable {
        c: chrome(&c, "team", &uri.to_string()),
        crumbs,
        children,
        headers: headers_row,
        rows,
        export_href,
        count_label,
        prev_href,
        next_href,
        month: d.month.to_string(),
        months: month_options(&s, l).await?,
        department: d.department.clone(),
        sort: d.sort.clone(),
        dir: if d.desc { "desc" } else { "asc" },
    };
    if is_htmx(&headers) {
        return page(table, &c, false);
    }
    let table_html = table
        .render()
        .map_err(|e| WebError::new(Failure::Internal(e.to_string()), l))?;
    let t = TeamPage {
        c: chrome(&c, "team", &uri.to_string()),
        table: table_html,
    };
    page(t, &c, has_lang_param(&uri))
}

async fn team_export(State(s): State<AppState>, c: Caller, Query(q): Query<TeamQuery>) -> Result<Response, WebError> {
    let l = c.lang;
    let d = team_data(&s, &c, &q).await?;
    let mut headers = vec![
        l.pick("工号", "Employee no").to_string(),
        l.pick("姓名", "Name").to_string(),
        l.pick("部门", "Department").to_string(),
        l.pick("月份", "Month").to_string(),
    ];
    headers.extend(
        [
            ("贡献额（元）", "Contribution"),
            ("目标（元）", "Target"),
            ("目标达成率", "Quota attainment"),
            ("线索数", "Leads received"),
            ("线索转化率", "Lead conversion rate"),
            ("周均跟进", "Follow-ups per week"),
            ("24小时触达率", "Contacted within 24h rate"),
            ("赢单数", "Deals won"),
            ("在途商机（元）", "Open pipeline"),
        ]
        .iter()
        .map(|(zh, en)| l.pick(zh, en).to_string()),
    );
    let num = |v: Option<f64>| v.map(Cell::Number).unwrap_or(Cell::Empty);
    let pct = |v: Option<f64>| v.map(Cell::Percent).unwrap_or(Cell::Empty);
    let rows: Vec<Vec<Cell>> = d
        .view
        .members
        .iter()
        .map(|r| {
            let m = &r.metrics;
            vec![
                Cell::Text(r.employee_no.clone()),
                Cell::Text(r.name.clone()),
                Cell::Text(r.department.clone().unwrap_or_default()),
                Cell::Text(d.month.to_string()),
                Cell::Money(m.contribution_fen as f64 / 100.0),
                m.target_fen
                    .map(|t| Cell::Money(t as f64 / 100.0))
                    .unwrap_or(Cell::Empty),
                pct(m.quota_attainment),
                Cell::Number(m.leads_received as f64),
                pct(m.lead_conversion_rate),
                num(m.followups_per_week),
                pct(m.contacted_within_24h_rate),
                Cell::Number(m.orders_won as f64),
                Cell::Money(m.pipeline_fen as f64 / 100.0),
            ]
        })
        .collect();
    let bytes = xlsx_bytes(l.pick("团队", "Team"), &headers, &rows)
        .map_err(|e| WebError::new(Failure::Internal(e.to_string()), l))?;
    access::audit_by(
        &s.store,
        &c.principal,
        "export.team",
        d.department.as_deref(),
        Some(&format!("month={} rows={}", d.month, rows.len())),
        c.ip(),
    )
    .await?;
    // An ASCII name for old clients, the department's own (UTF-8, RFC 5987) for the rest.
    let unit = d
        .department
        .as_deref()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or(l.pick("全部", "all"));
    let name = format!("{}-{unit}-{}.xlsx", l.pick("团队", "team"), d.month);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"team-{}.xlsx\"; filename*=UTF-8''{}",
                    d.month,
                    url_encode(&name)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
