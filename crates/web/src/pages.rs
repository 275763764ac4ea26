//! Server-rendered pages. Each handler: caller → one use case → a view model of display strings →
//! a template. htmx requests get the partial they target, other requests the full page.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, middleware::Next};
use serde::Deserialize;
use serde_json::json;
use uplift_app::access::{self, NewUser};
use uplift_app::store::{AuditQuery, EmployeeMetricRow, UnitMetricRow};
use uplift_app::views::{self, has_overview, home_path};
use uplift_app::{AppError, settings};
use uplift_domain::access::Role;
use uplift_domain::metric_data::UnitMonthMetrics;
use uplift_domain::records::ImportKind;
use uplift_domain::{Lang, Month};
use uplift_io::xlsx_out::{Cell, xlsx_bytes};

use crate::auth::{Caller, LANG_COOKIE, SESSION_COOKIE, caller_of, ip_of, lang_of};
use crate::error::{Failure, WebError};
use crate::format::{currency_symbol, datetime, money_fen, money_yuan, month_label, number, percent, url_encode};
use crate::{AppState, uploads};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/team", get(team))
        .route("/team/export.xlsx", get(team_export))
        .route("/people/{employee_no}", get(person))
        .route("/people/{employee_no}/why", get(person_why))
        .route("/leaderboard", get(leaderboard))
        .route("/insights/drivers", get(drivers_page))
        .route("/import", get(import_page))
        .route("/import/preview", post(import_preview))
        .route("/import/commit", post(import_commit))
        .route("/settings", get(settings_page))
        .route("/settings/company", post(settings_company))
        .route("/settings/users", post(settings_add_user))
        .route("/settings/users/state", post(settings_user_state))
        .route("/audit", get(audit_page))
        .route("/api/docs", get(api_docs))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

/// Headers every response carries: no framing, no sniffing, scripts only from Uplift itself.
pub async fn security_headers(req: axum::extract::Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    );
    r
}

pub async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError(Failure::NotFound(uri.path().to_string())).into_response();
    }
    let lang = crate::auth::cookie(&headers, LANG_COOKIE)
        .map(Lang::from_locale)
        .unwrap_or_default();
    WebError::new(Failure::NotFound(uri.path().to_string()), lang).into_response()
}

// ---------------------------------------------------------------------------------------------
// Layout

pub struct NavItem {
    pub id: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What the layout around every page needs.
pub struct Chrome {
    pub lang: Lang,
    pub user: String,
    pub role_label: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub other_lang_href: String,
    pub other_lang_label: &'static str,
}

impl Chrome {
    pub fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        self.lang.pick(zh, en)
    }

    pub fn html_lang(&self) -> &'static str {
        self.lang.pick("zh-CN", "en")
    }
}

pub(crate) fn chrome(c: &Caller, active: &str, path_and_query: &str) -> Chrome {
    let l = c.lang;
    let p = &c.principal;
    let mut nav = Vec::new();
    let mut add = |id, href, zh, en| {
        nav.push(NavItem {
            id,
            href,
            label: l.pick(zh, en),
            active: id == active,
        })
    };
    if has_overview(p) {
        add("overview", "/", "人效总览", "Overview");
    }
    if p.role != Role::Employee {
        add("team", "/team", "团队", "Team");
    }
    if p.employee_no.is_some() {
        add("today", "/today", "今日", "Today");
        add("me", "/people/me", "我的", "Me");
    }
    add("leaderboard", "/leaderboard", "排行榜", "Leaderboard");
    if crate::insight_pages::may_forecast(p) {
        add("forecast", "/forecast", "预测预警", "Forecast");
    }
    if crate::lead_pages::may_see_board(p) {
        add("sla", "/leads/sla", "首联与跟进", "Contact & cadence");
    }
    if crate::lead_pages::may_route(p) {
        add("routing", "/leads/routing", "线索分配", "Routing");
    }
    if has_overview(p) {
        add("drivers", "/insights/drivers", "驱动因素", "Drivers");
        add("effects", "/insights/effects", "效果评估", "Effects");
    }
    if p.role.may_import() {
        add("import", "/import", "数据导入", "Import");
    }
    if p.role.may_read_audit() {
        add("audit", "/audit", "审计日志", "Audit");
    }
    if p.role.is_admin() {
        add("settings", "/settings", "设置", "Settings");
    }
    add("inbox", "/inbox", "消息", "Messages");
    add("api", "/api/docs", "API", "API");
    let (other, other_label) = match l {
        Lang::Zh => ("en", "English"),
        Lang::En => ("zh", "中文"),
    };
    let path = path_and_query.split('?').next().unwrap_or("/").to_string();
    let query: Vec<&str> = path_and_query
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter(|kv| !kv.starts_with("lang=") && !kv.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut href = format!("{path}?");
    for kv in query {
        href.push_str(kv);
        href.push('&');
    }
    href.push_str(&format!("lang={other}"));
    Chrome {
        lang: l,
        user: p.actor.clone(),
        role_label: l.pick(p.role.label_zh(), p.role.label_en()),
        csrf: c.csrf.clone().unwrap_or_default(),
        nav,
        other_lang_href: href,
        other_lang_label: other_label,
    }
}

/// Renders a template; a `?lang=` choice is remembered in a cookie.
pub(crate) fn page(t: impl Template, c: &Caller, remember_lang: bool) -> Result<Response, WebError> {
    let body = t
        .render()
        .map_err(|e| WebError::new(Failure::Internal(e.to_string()), c.lang))?;
    let mut r = Html(body).into_response();
    if remember_lang || c.lang_chosen {
        set_lang_cookie(&mut r, c.lang);
    }
    Ok(r)
}

fn set_lang_cookie(r: &mut Response, l: Lang) {
    let v = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        l.pick("zh", "en")
    );
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(crate) fn has_lang_param(uri: &axum::http::Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("lang=")))
}

pub(crate) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

pub(crate) fn err(c: &Caller) -> impl Fn(AppError) -> WebError + '_ {
    move |e| WebError::app(e, c.lang)
}

pub(crate) async fn symbol(s: &AppState) -> Result<&'static str, WebError> {
    Ok(currency_symbol(&settings::company_currency(&s.store).await?))
}

pub(crate) fn parse_month(s: Option<&str>, lang: Lang) -> Result<Option<Month>, WebError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Month::parse(s).map(Some).map_err(|_| {
            WebError::new(
                Failure::bad(
                    format!(
                        "{}: {s}",
                        lang.pick("月份格式应为 2026-03", "month must look like 2026-03")
                    ),
                    "month",
                ),
                lang,
            )
        }),
    }
}

async fn month_options(s: &AppState, lang: Lang) -> Result<Vec<(String, String)>, WebError> {
    Ok(views::metric_months(&s.store)
        .await?
        .into_iter()
        .rev()
        .map(|m| (m.to_string(), month_label(m, lang)))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    en: bool,
    error: Option<String>,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths: never an open redirect to another host. Browsers drop tabs and line
/// breaks from URLs and read `\` as `/`, so any of those (or a second leading `/`) disqualify it.
fn safe_next(n: Option<&str>) -> Option<String> {
    n.filter(|n| {
        n.starts_with('/')
            && !n[1..].starts_with('/')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    })
    .map(str::to_string)
}

/// Whether a sign-in form was posted from this site. The browser says so in `Sec-Fetch-Site`; older
/// browsers send `Origin`, which must name this host (or the host a proxy forwarded). No header at
/// all is a non-browser client, which cannot be tricked into posting.
fn same_site_post(headers: &HeaderMap) -> bool {
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    match get("origin") {
        None => true,
        Some(origin) => {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            !origin_host.is_empty()
                && (Some(origin_host) == get("host") || Some(origin_host) == get("x-forwarded-host"))
        }
    }
}

async fn login_page(
    State(s): State<AppState>,
    Query(q): Query<NextQuery>,
    req: axum::extract::Request,
) -> Result<Response, WebError> {
    let (parts, _) = req.into_parts();
    let lang = lang_of(&parts);
    if let Ok(Some(c)) = caller_of(&parts, &s).await {
        return Ok(Redirect::to(&home_path(&c.principal)).into_response());
    }
    let t = LoginPage {
        en: lang == Lang::En,
        error: None,
        next: safe_next(q.next.as_deref()).unwrap_or_default(),
    };
    let mut r = Html(
        t.render()
            .map_err(|e| WebError::new(Failure::Internal(e.to_string()), lang))?,
    )
    .into_response();
    if has_lang_param(&parts.uri) {
        set_lang_cookie(&mut r, lang);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(State(s): State<AppState>, req: axum::extract::Request) -> Result<Response, WebError> {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts);
    // Sign-in has no session yet, so no CSRF token: a form posted from another site is refused.
    if !same_site_post(&parts.headers) {
        return Err(WebError::new(Failure::Forbidden, lang));
    }
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| WebError::new(Failure::bad("form too large", "body"), lang))?;
    let form: LoginForm = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
        WebError::new(
            Failure::bad(lang.pick("表单不完整", "incomplete form"), "username"),
            lang,
        )
    })?;
    let ip = ip_of(&parts);
    let ip_key = format!("ip:{}", ip.clone().unwrap_or_default());
    let user_key = format!("user:{}", form.username.trim());
    let render_error = |msg: &str| -> Result<Response, WebError> {
        let t = LoginPage {
            en: lang == Lang::En,
            error: Some(msg.to_string()),
            next: safe_next(form.next.as_deref()).unwrap_or_default(),
        };
        let html = t
            .render()
            .map_err(|e| WebError::new(Failure::Internal(e.to_string()), lang))?;
        Ok((StatusCode::UNAUTHORIZED, Html(html)).into_response())
    };
    if s.limiter.blocked(&ip_key) || s.limiter.blocked(&user_key) {
        let t = LoginPage {
            en: lang == Lang::En,
            error: Some(Failure::TooManyRequests.message(lang)),
            next: String::new(),
        };
        let html = t
            .render()
            .map_err(|e| WebError::new(Failure::Internal(e.to_string()), lang))?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response());
    }
    // Counted before the (slow) password check, so parallel guesses are limited too.
    s.limiter.failed(&ip_key);
    s.limiter.failed(&user_key);
    let started = access::sign_in(&s.store, &form.username, &form.password, ip.as_deref())
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let Some(session) = started else {
        return render_error(lang.pick("用户名或密码错误", "wrong user name or password"));
    };
    s.limiter.succeeded(&ip_key);
    s.limiter.succeeded(&user_key);
    let principal = access::principal_of_user(&s.store, &session.user)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let to = safe_next(form.next.as_deref())
        .filter(|n| n != "/" || has_overview(&principal))
        .unwrap_or_else(|| home_path(&principal));
    let mut r = Redirect::to(&to).into_response();
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session.session_id,
        access::SESSION_SECONDS,
        if s.secure_cookies { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn logout(State(s): State<AppState>, c: Caller, Form(f): Form<CsrfOnly>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|f| WebError::new(f, c.lang))?;
    if let Some(sid) = &c.session_id {
        access::sign_out(&s.store, sid, &c.principal.actor, c.ip())
            .await
            .map_err(err(&c))?;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("uplift_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// Overview

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

#[derive(Deserialize, Default)]
struct MonthQuery {
    month: Option<String>,
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
    let v = views::overview(&s.store, &c.principal, month).await.map_err(err(&c))?;
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

// ---------------------------------------------------------------------------------------------
// Team

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
    let mut view = views::team(&s.store, &c.principal, month, department.as_deref())
        .await
        .map_err(err(c))?;
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
    let mut crumbs = vec![(
        l.pick("全部", "All").to_string(),
        team_href(d.month, None, &d.sort, d.desc),
    )];
    if let Some(path) = dep {
        let mut acc = String::new();
        for part in path.split('/') {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            crumbs.push((part.to_string(), team_href(d.month, Some(&acc), &d.sort, d.desc)));
        }
    }
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
    .await
    .map_err(err(&c))?;
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

// ---------------------------------------------------------------------------------------------
// Person

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
    pipeline: Vec<(String, String, String, String)>,
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
    let v = views::person(&s.store, &c.principal, &employee_no, c.ip())
        .await
        .map_err(err(&c))?;
    let sym = symbol(&s).await?;
    let tz = settings::company_tz(&s.store).await?;
    let r = &v.record;
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
    let facts = vec![
        (l.pick("部门", "Department"), dash(&r.department)),
        (l.pick("职位", "Position"), dash(&r.position)),
        (l.pick("入职日期", "Hired"), r.hire_date.clone()),
        (l.pick("司龄", "Tenure"), tenure),
        (l.pick("离职日期", "Left"), dash(&r.leave_date)),
        (l.pick("直属上级", "Manager"), manager),
        (l.pick("城市", "City"), dash(&r.city)),
        (l.pick("邮箱", "Email"), dash(&r.email)),
    ];
    let shown_month = match chosen {
        Some(m) => m,
        None => views::latest_month(&s.store).await?,
    };
    let last = v.metrics.iter().find(|m| m.month == shown_month.to_key());
    let month_label_s = month_label(shown_month, l);
    let month_facts = match last {
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
    };
    let labels: Vec<String> = v
        .metrics
        .iter()
        .filter_map(|m| Month::from_key(m.month))
        .map(|m| month_label(m, l))
        .collect();
    let contribution_chart = json!({
        "type": "bar",
        "labels": labels,
        "money": sym,
        "series": [
            {"name": l.pick("贡献额", "Contribution"), "format": "money", "data": v.metrics.iter().map(|m| m.contribution_fen / 100).collect::<Vec<_>>()},
            {"name": l.pick("目标", "Target"), "type": "line", "format": "money", "data": v.metrics.iter().map(|m| m.target_fen.map(|t| t / 100)).collect::<Vec<_>>()}
        ]
    })
    .to_string();
    let funnel_chart = json!({
        "type": "line",
        "labels": labels,
        "series": [
            {"name": l.pick("线索", "Leads"), "type": "bar", "data": v.metrics.iter().map(|m| m.leads_received).collect::<Vec<_>>()},
            {"name": l.pick("跟进", "Follow-ups"), "type": "bar", "data": v.metrics.iter().map(|m| m.followups).collect::<Vec<_>>()},
            {"name": l.pick("转化率", "Conversion"), "axis": 1, "format": "percent", "data": v.metrics.iter().map(|m| m.lead_conversion_rate.map(|x| (x * 1000.0).round() / 1000.0)).collect::<Vec<_>>()}
        ]
    })
    .to_string();
    let pipeline = v
        .pipeline
        .iter()
        .map(|o| {
            (
                o.name.clone().unwrap_or_else(|| o.id.clone()),
                o.stage_name.clone(),
                o.close_date.clone(),
                o.amount_fen.map(|a| money_fen(a, sym)).unwrap_or("—".into()),
            )
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

// ---------------------------------------------------------------------------------------------
// Leaderboard

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
    let lines = views::leaderboard(&s.store, from, to, 200).await.map_err(err(&c))?;
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

// ---------------------------------------------------------------------------------------------
// Import

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    kinds: Vec<(&'static str, String)>,
    history: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct ImportPreview {
    c: Chrome,
    file: String,
    summary: String,
    issues: Vec<String>,
    warnings: Vec<String>,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    ok: bool,
    upload: String,
}

async fn import_page(State(s): State<AppState>, c: Caller, uri: axum::http::Uri) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_import()).map_err(err(&c))?;
    let l = c.lang;
    let tz = settings::company_tz(&s.store).await?;
    let history = s
        .store
        .import_history(50)
        .await
        .map_err(|e| err(&c)(e.into()))?
        .into_iter()
        .map(|h| {
            vec![
                datetime(h.started_ts, tz),
                match (l, ImportKind::parse(&h.kind)) {
                    (Lang::Zh, Some(k)) => k.label_zh().to_string(),
                    _ => h.kind,
                },
                h.file_name,
                status_label(&h.status, l).to_string(),
                h.rows_read.to_string(),
                h.inserted.to_string(),
                h.updated.to_string(),
                h.rejected.to_string(),
            ]
        })
        .collect();
    let kinds = ImportKind::ALL
        .iter()
        .map(|k| {
            let label = match l {
                Lang::Zh => format!("{}（{}）", k.label_zh(), k.as_str()),
                Lang::En => k.as_str().to_string(),
            };
            (k.as_str(), label)
        })
        .collect();
    let t = ImportPage {
        c: chrome(&c, "import", &uri.to_string()),
        kinds,
        history,
    };
    page(t, &c, has_lang_param(&uri))
}

fn status_label(status: &str, l: Lang) -> &str {
    match status {
        "committed" => l.pick("已导入", "committed"),
        "rejected" => l.pick("有错误，未写入", "rejected"),
        "rolled_back" => l.pick("已回滚", "rolled back"),
        other => other,
    }
}

/// Audit actions in words.
fn action_label(action: &str, l: Lang) -> String {
    let zh = match action {
        "signin" => "登录",
        "signin.failed" => "登录失败",
        "signout" => "退出",
        "read.appraisal" => "查看考核结果",
        "export.team" => "导出团队表",
        "import" => "导入",
        "user.add" => "新增用户",
        "user.passwd" => "修改密码",
        "user.disable" => "停用用户",
        "user.enable" => "启用用户",
        "token.create" => "创建令牌",
        "token.revoke" => "吊销令牌",
        "settings.currency" => "修改币种",
        "settings.timezone" => "修改时区",
        _ => return action.to_string(),
    };
    match l {
        Lang::Zh => format!("{zh}（{action}）"),
        Lang::En => action.to_string(),
    }
}

async fn import_preview(State(s): State<AppState>, c: Caller, multipart: Multipart) -> Result<Response, WebError> {
    let l = c.lang;
    c.principal.require(c.principal.role.may_import()).map_err(err(&c))?;
    let form = uploads::read_form(multipart, l)
        .await
        .map_err(|f| WebError::new(f, l))?;
    c.check_csrf(form.csrf.as_deref()).map_err(|f| WebError::new(f, l))?;
    let staged = uploads::stage(&s, &form, &c.principal.actor, l).map_err(|f| WebError::new(f, l))?;
    let report = uploads::check(&s, &staged, l).await.map_err(|f| WebError::new(f, l))?;
    let t = preview_view(&c, &staged, &report);
    page(t, &c, false)
}

fn preview_view(c: &Caller, staged: &uploads::Staged, report: &uplift_app::import::ImportReport) -> ImportPreview {
    let l = c.lang;
    let f = report.files.first();
    let issues = report.issue_lines(l);
    let ok = report.total_issues() == 0 && f.is_some();
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    if let Some(f) = f {
        for rec in &f.preview {
            // Records serialise as {"Kind": {field: value}}: the inner object is the row.
            let obj = rec
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(|v| v.as_object());
            if let Some(obj) = obj {
                if columns.is_empty() {
                    // Extra roster columns travel in `attributes`; leave it out when there are none.
                    columns = obj
                        .iter()
                        .filter(|(k, v)| *k != "attributes" || v.as_object().is_some_and(|o| !o.is_empty()))
                        .map(|(k, _)| k.clone())
                        .collect();
                }
                rows.push(
                    columns
                        .iter()
                        .map(|k| match obj.get(k) {
                            None | Some(serde_json::Value::Null) => String::new(),
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(v) => v.to_string(),
                        })
                        .collect(),
                );
            }
        }
    }
    let summary = match f {
        Some(f) => format!(
            "{}: {} · {} {} · {} {} · {} {} · {} {}",
            l.pick("编码", "encoding"),
            f.encoding.clone().unwrap_or_else(|| {
                if staged.file_name.to_ascii_lowercase().ends_with(".xlsx") {
                    "XLSX".into()
                } else {
                    "—".into()
                }
            }),
            l.pick("读取行数", "rows read"),
            f.rows_read,
            l.pick("将新增", "would insert"),
            f.inserted,
            l.pick("将更新", "would update"),
            f.updated,
            l.pick("问题", "problems"),
            f.issue_count
        ),
        None => String::new(),
    };
    let mut warnings = f.map(|f| f.warnings.clone()).unwrap_or_default();
    if let Some(f) = f
        && !f.unknown_columns.is_empty()
    {
        warnings.push(format!(
            "{}: {}",
            l.pick("未识别的列（将忽略）", "unrecognised columns (ignored)"),
            f.unknown_columns.join(", ")
        ));
    }
    ImportPreview {
        c: chrome(c, "import", "/import"),
        file: staged.file_name.clone(),
        summary,
        issues,
        warnings,
        columns,
        rows,
        ok,
        upload: staged.id.clone(),
    }
}

#[derive(Deserialize)]
struct CommitForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    upload: String,
}

async fn import_commit(State(s): State<AppState>, c: Caller, Form(f): Form<CommitForm>) -> Result<Response, WebError> {
    let l = c.lang;
    c.principal.require(c.principal.role.may_import()).map_err(err(&c))?;
    c.check_csrf(f.csrf.as_deref()).map_err(|f| WebError::new(f, l))?;
    let staged = uploads::load(&s, &f.upload, &c.principal.actor, l).map_err(|f| WebError::new(f, l))?;
    let report = uploads::commit(&s, &staged, &c, l)
        .await
        .map_err(|f| WebError::new(f, l))?;
    let file = report.files.first();
    let msg = if report.committed {
        format!(
            "{} {}: {} {} · {} {} · {} {}",
            l.pick("已导入", "Imported"),
            staged.file_name,
            l.pick("新增", "inserted"),
            file.map(|f| f.inserted).unwrap_or(0),
            l.pick("更新", "updated"),
            file.map(|f| f.updated).unwrap_or(0),
            l.pick("重算月份", "months recomputed"),
            report.recomputed_months.len()
        )
    } else {
        report.issue_lines(l).join("\n")
    };
    let body = format!(
        "<div class=\"panel\" id=\"commit-result\"><p class=\"{}\">{}</p><p><a href=\"/import\">{}</a></p></div>",
        if report.committed { "notice" } else { "error" },
        crate::format::escape(&msg),
        l.pick("继续导入", "Import another file")
    );
    Ok(Html(body).into_response())
}

// ---------------------------------------------------------------------------------------------
// Settings

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    message: Option<String>,
    timezone: String,
    currency: String,
    currencies: Vec<&'static str>,
    /// (name, role, employee, department, state, next `disabled` value, button label, is the caller)
    users: Vec<UserLine>,
    roles: Vec<(&'static str, String)>,
    departments: Vec<String>,
}

struct UserLine {
    cells: (String, String, String, String, String, &'static str, &'static str),
    me: bool,
}

#[derive(Deserialize)]
struct MessageQuery {
    msg: Option<String>,
}

async fn settings_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<MessageQuery>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.is_admin()).map_err(err(&c))?;
    let l = c.lang;
    let users = s
        .store
        .users()
        .await
        .map_err(|e| err(&c)(e.into()))?
        .into_iter()
        .map(|u| UserLine {
            me: u.username == c.principal.actor,
            cells: (
                u.username,
                Role::parse(&u.role)
                    .map(|r| l.pick(r.label_zh(), r.label_en()).to_string())
                    .unwrap_or(u.role),
                u.employee_no.unwrap_or_default(),
                u.department_path.unwrap_or_default(),
                if u.disabled {
                    l.pick("已停用", "disabled").to_string()
                } else {
                    l.pick("正常", "active").to_string()
                },
                if u.disabled { "false" } else { "true" },
                if u.disabled {
                    l.pick("启用", "Enable")
                } else {
                    l.pick("停用", "Disable")
                },
            ),
        })
        .collect();
    let departments = s
        .store
        .departments()
        .await
        .map_err(|e| err(&c)(e.into()))?
        .into_iter()
        .map(|d| d.path)
        .collect();
    let t = SettingsPage {
        c: chrome(&c, "settings", &uri.to_string()),
        message: q.msg,
        timezone: settings::company_tz(&s.store).await?.name().to_string(),
        currency: settings::company_currency(&s.store).await?,
        currencies: settings::CURRENCIES.to_vec(),
        users,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), l.pick(r.label_zh(), r.label_en()).to_string()))
            .collect(),
        departments,
    };
    page(t, &c, has_lang_param(&uri))
}

fn back_to_settings(msg: &str) -> Response {
    Redirect::to(&format!("/settings?msg={}", url_encode(msg))).into_response()
}

#[derive(Deserialize)]
struct CompanyForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    timezone: String,
    currency: String,
}

async fn settings_company(
    State(s): State<AppState>,
    c: Caller,
    Form(f): Form<CompanyForm>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.is_admin()).map_err(err(&c))?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let before_tz = settings::company_tz(&s.store).await?;
    let cur = settings::set_company_currency(&s.store, &f.currency)
        .await
        .map_err(err(&c))?;
    let mut msg = format!("{} {cur}", l.pick("币种：", "Currency:"));
    access::audit_by(&s.store, &c.principal, "settings.currency", None, Some(&cur), c.ip())
        .await
        .map_err(err(&c))?;
    if f.timezone.trim() != before_tz.name() {
        let (tz, months) = settings::change_timezone(&s.store, f.timezone.trim())
            .await
            .map_err(err(&c))?;
        msg.push_str(&format!(
            " · {} {} ({} {})",
            l.pick("时区：", "Time zone:"),
            tz.name(),
            months.len(),
            l.pick(
                "个月已重算；CRM 文件需重新导入以按新时区归月",
                "months recomputed; re-import CRM files to re-bucket them"
            )
        ));
        access::audit_by(
            &s.store,
            &c.principal,
            "settings.timezone",
            None,
            Some(tz.name()),
            c.ip(),
        )
        .await
        .map_err(err(&c))?;
    }
    Ok(back_to_settings(&msg))
}

#[derive(Deserialize)]
struct AddUserForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    username: String,
    password: String,
    role: String,
    employee_no: Option<String>,
    department: Option<String>,
}

async fn settings_add_user(
    State(s): State<AppState>,
    c: Caller,
    Form(f): Form<AddUserForm>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.is_admin()).map_err(err(&c))?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let role =
        Role::parse(&f.role).ok_or_else(|| WebError::new(Failure::bad(format!("role: {}", f.role), "role"), l))?;
    let nonempty = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let u = NewUser {
        username: f.username,
        password: f.password,
        role,
        employee_no: nonempty(f.employee_no),
        department_path: nonempty(f.department),
    };
    match access::add_user(&s.store, &u, &c.principal.actor, l).await {
        Ok(_) => Ok(back_to_settings(&format!(
            "{} {}",
            l.pick("已添加用户", "Added user"),
            u.username
        ))),
        Err(AppError::Invalid(m)) => Ok(back_to_settings(&m)),
        Err(e) => Err(err(&c)(e)),
    }
}

#[derive(Deserialize)]
struct UserStateForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    username: String,
    disabled: bool,
}

async fn settings_user_state(
    State(s): State<AppState>,
    c: Caller,
    Form(f): Form<UserStateForm>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.is_admin()).map_err(err(&c))?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    if f.disabled && f.username == c.principal.actor {
        return Ok(back_to_settings(
            c.lang.pick("不能停用自己的账号", "you cannot disable yourself"),
        ));
    }
    access::set_disabled(&s.store, &f.username, f.disabled, &c.principal.actor)
        .await
        .map_err(err(&c))?;
    Ok(back_to_settings(&f.username))
}

// ---------------------------------------------------------------------------------------------
// Audit

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    actor: String,
    action: String,
    target: String,
    rows: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct AuditFilter {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
}

async fn audit_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<AuditFilter>,
) -> Result<Response, WebError> {
    let nonempty = |o: &Option<String>| o.clone().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let query = AuditQuery {
        actor: nonempty(&q.actor),
        action: nonempty(&q.action),
        target: nonempty(&q.target),
        limit: 500,
        ..Default::default()
    };
    let rows = access::search_audit(&s.store, &c.principal, &query)
        .await
        .map_err(err(&c))?;
    let l = c.lang;
    let tz = settings::company_tz(&s.store).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            vec![
                datetime(r.ts, tz),
                r.actor,
                r.role
                    .as_deref()
                    .and_then(Role::parse)
                    .map(|x| l.pick(x.label_zh(), x.label_en()).to_string())
                    .or(r.role)
                    .unwrap_or_default(),
                action_label(&r.action, l),
                r.target.unwrap_or_default(),
                r.detail.unwrap_or_default(),
                r.ip.unwrap_or_default(),
            ]
        })
        .collect();
    let t = AuditPage {
        c: chrome(&c, "audit", &uri.to_string()),
        actor: q.actor.unwrap_or_default(),
        action: q.action.unwrap_or_default(),
        target: q.target.unwrap_or_default(),
        rows,
    };
    page(t, &c, has_lang_param(&uri))
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocs;

/// The API reference is public (it describes, it does not reveal data).
async fn api_docs() -> Result<Html<String>, WebError> {
    ApiDocs
        .render()
        .map(Html)
        .map_err(|e| WebError::new(Failure::Internal(e.to_string()), Lang::Zh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_paths_of_this_site() {
        assert_eq!(
            safe_next(Some("/team?month=2026-10")).as_deref(),
            Some("/team?month=2026-10")
        );
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a b",
            "/\n/x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn sign_in_posts_must_come_from_this_site() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        assert!(same_site_post(&h(&[])), "curl and scripts send neither header");
        assert!(same_site_post(&h(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://x")
        ])));
        assert!(!same_site_post(&h(&[("sec-fetch-site", "cross-site")])));
        assert!(same_site_post(&h(&[
            ("origin", "http://uplift.local:8080"),
            ("host", "uplift.local:8080")
        ])));
        assert!(same_site_post(&h(&[
            ("origin", "https://hr.example.cn"),
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "hr.example.cn")
        ])));
        assert!(!same_site_post(&h(&[("origin", "null"), ("host", "uplift.local")])));
        assert!(!same_site_post(&h(&[
            ("origin", "http://evil.example"),
            ("host", "uplift.local")
        ])));
    }
}

// ---------------------------------------------------------------------------------------------
// Insights

struct DriverRow {
    rank: usize,
    label: String,
    effect: String,
    interval: String,
    p: String,
    score: String,
    tree: String,
    explanation: String,
}

#[derive(Template)]
#[template(path = "drivers.html")]
struct DriversPage {
    c: Chrome,
    target: String,
    targets: Vec<(&'static str, &'static str)>,
    department: Option<String>,
    error: Option<String>,
    summary: String,
    chart: String,
    drivers: Vec<DriverRow>,
    excluded: String,
}

#[derive(Deserialize)]
struct DriversQueryForm {
    target: Option<String>,
    department: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Driver analysis over the caller's scope (company, or a director's departments).
async fn drivers_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<DriversQueryForm>,
) -> Result<Response, WebError> {
    c.principal.require(has_overview(&c.principal)).map_err(err(&c))?;
    let l = c.lang;
    let target = q.target.clone().unwrap_or_else(|| "contribution".into());
    let department = q.department.clone().filter(|d| !d.is_empty());
    let query = uplift_app::insights::DriversQuery {
        target: target.clone(),
        from: parse_month(q.from.as_deref(), l)?,
        to: parse_month(q.to.as_deref(), l)?,
        department: department.clone(),
    };
    let targets = vec![
        ("contribution", l.pick("贡献额", "Contribution")),
        (
            "per_capita_contribution",
            l.pick("人均贡献额", "Per-capita contribution"),
        ),
        ("quota_attainment", l.pick("目标达成率", "Quota attainment")),
        ("lead_conversion_rate", l.pick("线索转化率", "Lead conversion")),
        ("win_rate", l.pick("赢单率", "Win rate")),
    ];
    let mut t = DriversPage {
        c: chrome(&c, "drivers", &uri.to_string()),
        target,
        targets,
        department,
        error: None,
        summary: String::new(),
        chart: String::new(),
        drivers: Vec::new(),
        excluded: String::new(),
    };
    match uplift_app::insights::drivers(&s.store, &c.principal.scope, &query, l).await {
        Ok(r) => {
            let rate = matches!(
                r.target.as_str(),
                "quota_attainment" | "lead_conversion_rate" | "win_rate"
            );
            let show = |v: f64| {
                if rate {
                    format!("{:+.1}{}", v * 100.0, l.pick("个百分点", " pts"))
                } else {
                    let s = money_yuan(Some(v.abs().round()), "¥");
                    let s = s.trim_end_matches(".00").to_string();
                    if v < 0.0 { format!("-{s}") } else { format!("+{s}") }
                }
            };
            t.summary = format!(
                "{} {} – {} · {} {} · {} {} · R² {:.2}",
                l.pick("月份", "Months"),
                r.from,
                r.to,
                r.rows,
                l.pick("个人月", "person-months"),
                r.employees,
                l.pick("人", "people"),
                r.r_squared
            );
            // Rates in percentage points, money in yuan, as the table shows them.
            let unit = if rate { 100.0 } else { 1.0 };
            t.chart = json!({
                "type": "bar",
                "horizontal": true,
                "labels": r.drivers.iter().map(|d| d.label.clone()).collect::<Vec<_>>(),
                "money": if rate { "" } else { "¥" },
                "series": [
                    {"name": l.pick("每标准差影响", "Effect per SD"), "format": if rate { "points" } else { "money" },
                     "data": r.drivers.iter().map(|d| (d.effect_per_sd * unit * 100.0).round() / 100.0).collect::<Vec<_>>()}
                ]
            })
            .to_string();
            t.drivers = r
                .drivers
                .iter()
                .map(|d| DriverRow {
                    rank: d.rank,
                    label: match &d.confounded_by {
                        Some(by) if uplift_app::insights::is_control(by) => {
                            format!("{}（{}）", d.label, l.pick("混杂", "confounded"))
                        }
                        Some(_) => format!("{}（{}）", d.label, l.pick("重叠", "overlaps")),
                        None if d.nonlinear => format!("{}（{}）", d.label, l.pick("非线性", "non-linear")),
                        None => d.label.clone(),
                    },
                    score: format!("{:.2}", d.importance),
                    tree: format!("{:.1}%", d.tree_importance * 100.0),
                    effect: show(d.effect_per_sd),
                    interval: format!("{} … {}", show(d.ci_low), show(d.ci_high)),
                    p: if d.p_value < 0.001 {
                        "<0.001".into()
                    } else {
                        format!("{:.3}", d.p_value)
                    },
                    explanation: d.explanation.clone(),
                })
                .collect();
            t.excluded = r
                .excluded
                .iter()
                .map(|e| match l {
                    Lang::Zh => format!("{}（{}）", e.label, e.reason),
                    Lang::En => format!("{} ({})", e.label, e.reason),
                })
                .collect::<Vec<_>>()
                .join(l.pick("；", "; "));
        }
        Err(AppError::Invalid(msg)) => t.error = Some(msg),
        Err(e) => return Err(err(&c)(e)),
    }
    page(t, &c, has_lang_param(&uri))
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
    views::employee(&s.store, &c.principal, &employee_no)
        .await
        .map_err(err(&c))?;
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
        Err(AppError::Invalid(m)) | Err(AppError::NotFound(m)) => {
            format!("<p class=\"muted\" id=\"why-none\">{}</p>", esc(&m))
        }
        Err(e) => return Err(err(&c)(e)),
    };
    Ok(Html(body).into_response())
}
