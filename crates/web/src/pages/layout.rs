//! The frame every page shares and the small helpers of all pages: the header and menu
//! ([`Chrome`], [`chrome`]), rendering with the language cookie ([`page`]), errors, the currency
//! symbol, months, and the waiting-lead rows and rule sentences the lead pages have in common.
//! A leaf: it uses no feature page.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use uplift_app::settings;
use uplift_app::sla::{SlaState, WaitingLead};
use uplift_app::views::{self, has_overview};
use uplift_domain::{Lang, Month};

use crate::AppState;
use crate::auth::{Caller, LANG_COOKIE};
use crate::error::{Failure, WebError};
use crate::format::{currency_symbol, month_label};

/// One entry of the menu.
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
    /// Metrics are being recomputed after an import (or one that stopped half-way): the banner.
    pub metrics_pending: bool,
}

impl Chrome {
    pub fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        self.lang.pick(zh, en)
    }

    pub fn html_lang(&self) -> &'static str {
        self.lang.pick("zh-CN", "en")
    }
}

pub(super) fn chrome(c: &Caller, active: &str, path_and_query: &str) -> Chrome {
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
    if p.role.leads_or_supports_people() {
        add("team", "/team", "团队", "Team");
    }
    if p.employee_no.is_some() {
        add("today", "/today", "今日", "Today");
        add("me", "/people/me", "我的", "Me");
    }
    add("leaderboard", "/leaderboard", "排行榜", "Leaderboard");
    if p.employee_no.is_some() || p.role.leads_or_supports_people() {
        add("commission", "/commission", "提成", "Commission");
    }
    if p.employee_no.is_some() {
        add("payslip", "/payslip", "工资条", "Payslip");
    }
    if p.role.may_run_payroll() {
        add("payroll", "/payroll", "工资", "Payroll");
    }
    if p.role.may_forecast() {
        add("forecast", "/forecast", "预测预警", "Forecast");
    }
    if p.role.may_see_sla_board() {
        add("sla", "/leads/sla", "首联与跟进", "Contact & cadence");
    }
    if p.role.may_see_lead_routing() {
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
        metrics_pending: c.metrics_pending,
    }
}

/// Renders a template; a `?lang=` choice is remembered in a cookie.
pub(super) fn page(t: impl Template, c: &Caller, remember_lang: bool) -> Result<Response, WebError> {
    let body = t
        .render()
        .map_err(|e| WebError::new(Failure::Internal(e.to_string()), c.lang))?;
    let mut r = Html(body).into_response();
    if remember_lang || c.lang_chosen {
        set_lang_cookie(&mut r, c.lang);
    }
    Ok(r)
}

/// A workbook as a download named `file` (ASCII).
pub(super) fn xlsx_download(bytes: Vec<u8>, file: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        bytes,
    )
        .into_response()
}

pub(super) fn set_lang_cookie(r: &mut Response, l: Lang) {
    let v = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        l.pick("zh", "en")
    );
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(super) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

pub(super) async fn symbol(s: &AppState) -> Result<&'static str, WebError> {
    Ok(currency_symbol(&settings::company_currency(&s.store).await?))
}

pub(super) fn parse_month(s: Option<&str>, lang: Lang) -> Result<Option<Month>, WebError> {
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

pub(super) async fn month_options(s: &AppState, lang: Lang) -> Result<Vec<(String, String)>, WebError> {
    Ok(views::metric_months(&s.store)
        .await?
        .into_iter()
        .rev()
        .map(|m| (m.to_string(), month_label(m, lang)))
        .collect())
}

/// `?month=` of the pages that show one month.
#[derive(Deserialize, Default)]
pub(super) struct MonthQuery {
    pub(super) month: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Shared by the lead pages (Today, the SLA board, routing)

fn left_text(seconds: i64, l: Lang) -> String {
    let m = seconds.abs() / 60;
    let (h, m) = (m / 60, m % 60);
    let span = match l {
        Lang::Zh if h > 0 => format!("{h} 小时 {m} 分"),
        Lang::Zh => format!("{m} 分钟"),
        Lang::En if h > 0 => format!("{h} h {m} min"),
        Lang::En => format!("{m} min"),
    };
    if seconds >= 0 {
        format!("{}{span}", l.pick("剩余 ", "")) + if l == Lang::En { " left" } else { "" }
    } else {
        format!("{}{span}", l.pick("已超时 ", "overdue by "))
    }
}

pub(super) struct WaitingRow {
    pub(super) lead_id: String,
    pub(super) company: String,
    pub(super) source: String,
    pub(super) owner: String,
    pub(super) deadline: String,
    pub(super) deadline_ts: i64,
    pub(super) left: String,
    pub(super) class: &'static str,
}

pub(super) fn waiting_rows(list: &[WaitingLead], tz: chrono_tz::Tz, l: Lang) -> Vec<WaitingRow> {
    list.iter()
        .map(|w| WaitingRow {
            lead_id: w.lead_id.clone(),
            company: w.company.clone().unwrap_or_else(|| w.lead_id.clone()),
            source: [w.lead_source.clone(), w.industry.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            owner: format!("{} {}", w.name, w.employee_no),
            deadline: w
                .deadline
                .with_timezone(&tz)
                .format(l.pick("%m月%d日 %H:%M", "%b %d %H:%M"))
                .to_string(),
            deadline_ts: w.deadline.timestamp(),
            left: left_text(w.seconds_left, l),
            class: match w.state {
                SlaState::Open => "ok",
                SlaState::DueSoon => "soon",
                SlaState::Breached | SlaState::Reassign => "late",
            },
        })
        .collect()
}
