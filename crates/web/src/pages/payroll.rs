//! Payroll pages: a person's payslip (their own; anyone's for payroll, HR and admins), and the
//! month's run for payroll — totals, what changed since last month, run and lock, the downloads.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use uplift_app::payroll as pr;
use uplift_app::payroll::Group;
use uplift_domain::{Lang, Month};

use super::layout::{Chrome, chrome, page, symbol, xlsx_download};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::{Failure, WebError};
use crate::format::{money_fen, url_encode};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/payslip", get(payslip_page))
        .route("/payroll", get(payroll_page))
        .route("/payroll/run", post(run))
        .route("/payroll/lock", post(lock))
        .route("/payroll/sheet.xlsx", get(sheet))
        .route("/payroll/export.xlsx", get(export))
        .route("/payroll/bank.csv", get(bank))
        .route("/payroll/declaration.csv", get(declaration))
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    month: Option<String>,
    employee: Option<String>,
    done: Option<String>,
    warn: Option<String>,
}

fn month_label(m: &str, l: Lang) -> String {
    match (Month::parse(m), l) {
        (Ok(m), Lang::Zh) => m.label_zh(),
        _ => m.to_string(),
    }
}

fn bad_month(m: &str, l: Lang) -> WebError {
    WebError::new(
        Failure::bad(
            format!(
                "{}: {m}",
                l.pick("月份应为 YYYY-MM，如 2026-03", "a month is YYYY-MM, e.g. 2026-03")
            ),
            "month",
        ),
        l,
    )
}

struct LineView {
    key: String,
    label: String,
    amount: String,
    formula: String,
}

struct GroupView {
    id: &'static str,
    title: &'static str,
    lines: Vec<LineView>,
}

#[derive(Template)]
#[template(path = "payslip.html")]
struct PayslipPage {
    c: Chrome,
    month: String,
    month_label: String,
    /// (value, label) of the person's months, newest first.
    months: Vec<(String, String)>,
    /// Set when someone else's payslip is shown (payroll looking at a person).
    employee: Option<String>,
    slip: Option<pr::PayslipView>,
    status: String,
    net: String,
    gross: String,
    groups: Vec<GroupView>,
    none: String,
}

async fn payslip_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    let asked = q.employee.clone().filter(|e| !e.is_empty());
    let Some(no) = asked.clone().or_else(|| c.principal.employee_no.clone()) else {
        return Err(WebError::new(
            Failure::bad(
                l.pick(
                    "这个账号没有对应的员工；请指定工号",
                    "this account is no employee; name an employee number",
                ),
                "employee",
            ),
            l,
        ));
    };
    let history = pr::payslips_of(&s.store, &c.principal, &no).await?;
    let months: Vec<(String, String)> = history
        .iter()
        .map(|(m, _, _)| (m.to_string(), month_label(&m.to_string(), l)))
        .collect();
    let month = match q.month.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => Month::parse(m).map_err(|_| bad_month(m, l))?.to_string(),
        None => months
            .first()
            .map(|m| m.0.clone())
            .unwrap_or_else(|| Month::of(chrono::Utc::now().date_naive()).to_string()),
    };
    let sym = symbol(&s).await?;
    let slip = if history.iter().any(|(m, _, _)| m.to_string() == month) {
        Some(pr::payslip(&s.store, &c.principal, &no, &month, l).await?)
    } else {
        None
    };
    let groups = slip
        .as_ref()
        .map(|v| {
            [
                (Group::Pay, "pay", l.pick("应发", "Pay")),
                (Group::Deduction, "deduction", l.pick("扣款", "Deductions")),
                (Group::Net, "net", l.pick("实发", "Net")),
                (Group::Tax, "tax", l.pick("计税依据", "What the tax uses")),
                (
                    Group::Employer,
                    "employer",
                    l.pick("单位承担（不从工资中扣）", "Paid by the employer (not deducted)"),
                ),
            ]
            .into_iter()
            .map(|(g, id, title)| GroupView {
                id,
                title,
                lines: v
                    .lines
                    .iter()
                    .filter(|x| x.group == g)
                    .map(|x| LineView {
                        key: x.key.clone(),
                        label: x.label.clone(),
                        amount: money_fen(x.amount, sym),
                        formula: x.formula.clone(),
                    })
                    .collect(),
            })
            .filter(|g| !g.lines.is_empty())
            .collect()
        })
        .unwrap_or_default();
    let t = PayslipPage {
        c: chrome(&c, "payslip", &uri.to_string()),
        month_label: month_label(&month, l),
        months,
        employee: asked,
        status: match slip.as_ref().map(|v| v.status.as_str()) {
            Some("locked") => l.pick("已锁定：本月工资已确定", "Locked: this month's pay is final"),
            _ => l.pick("未锁定：薪酬专员还可能重算", "Open: payroll may still run it again"),
        }
        .to_string(),
        net: slip.as_ref().map_or(String::new(), |v| money_fen(v.net_fen, sym)),
        gross: slip.as_ref().map_or(String::new(), |v| money_fen(v.gross_fen, sym)),
        none: l
            .pick("这个月还没有工资条。", "There is no payslip for this month yet.")
            .to_string(),
        slip,
        groups,
        month,
    };
    page(t, &c, has_lang_param(&uri))
}

struct Totals {
    people: i64,
    gross: String,
    gross_before: String,
    net: String,
    iit: String,
    cost: String,
}

struct ChangeView {
    who: String,
    href: String,
    before: String,
    now: String,
    reasons: String,
}

struct DepartmentView {
    name: String,
    people: usize,
    cost: String,
    commission: String,
    contribution: String,
    ratio: String,
}

struct SlipRow {
    who: String,
    href: String,
    department: String,
    gross: String,
    si: String,
    iit: String,
    net: String,
}

#[derive(Template)]
#[template(path = "payroll.html")]
struct PayrollPage {
    c: Chrome,
    month: String,
    month_label: String,
    status: String,
    locked: bool,
    may_lock: bool,
    totals: Option<Totals>,
    changes: Vec<ChangeView>,
    departments: Vec<DepartmentView>,
    slips: Vec<SlipRow>,
    notice: Option<String>,
    warnings: Vec<String>,
}

/// The month asked for, else the newest run, else last month.
async fn chosen_month(s: &AppState, c: &Caller, q: Option<&str>) -> Result<String, WebError> {
    let l = c.lang;
    if let Some(m) = q.filter(|m| !m.is_empty()) {
        return Ok(Month::parse(m).map_err(|_| bad_month(m, l))?.to_string());
    }
    let runs = pr::runs(&s.store, &c.principal).await?;
    Ok(match runs.first().and_then(|r| Month::from_key(r.month)) {
        Some(m) => m.to_string(),
        None => Month::of(chrono::Utc::now().date_naive()).prev().to_string(),
    })
}

async fn payroll_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    c.principal.require(c.principal.role.may_run_payroll())?;
    let month = chosen_month(&s, &c, q.month.as_deref()).await?;
    let view = pr::month_view(&s.store, &c.principal, &month, l).await?;
    let sym = symbol(&s).await?;
    let payslip_href = |no: &str| format!("/payslip?employee={}&month={}", url_encode(no), url_encode(&month));
    let totals = view.run.as_ref().map(|r| Totals {
        people: r.people,
        gross: money_fen(r.gross_fen, sym),
        gross_before: view
            .previous
            .as_ref()
            .map_or("—".into(), |p| money_fen(p.gross_fen, sym)),
        net: money_fen(r.net_fen, sym),
        iit: money_fen(r.iit_fen, sym),
        cost: money_fen(r.employer_cost_fen, sym),
    });
    let locked = view.run.as_ref().is_some_and(|r| r.status == "locked");
    let t = PayrollPage {
        c: chrome(&c, "payroll", &uri.to_string()),
        month_label: month_label(&month, l),
        status: match view.run.as_ref().map(|r| r.status.as_str()) {
            Some("locked") => l.pick("已锁定", "Locked"),
            Some(_) => l.pick("已计算，未锁定（可重算）", "Run, not locked (may run again)"),
            None => l.pick("未计算", "Not run"),
        }
        .to_string(),
        locked,
        may_lock: c.principal.role.may_lock_payroll(),
        changes: view
            .changes
            .iter()
            .map(|ch| ChangeView {
                who: format!("{} {}", ch.name, ch.employee_no),
                href: payslip_href(&ch.employee_no),
                before: ch.net_before_fen.map_or("—".into(), |v| money_fen(v, sym)),
                now: ch.net_now_fen.map_or("—".into(), |v| money_fen(v, sym)),
                reasons: ch.reasons.join(l.pick("；", "; ")),
            })
            .collect(),
        departments: view
            .departments
            .iter()
            .map(|d| DepartmentView {
                name: d.department.clone().unwrap_or_else(|| "—".into()),
                people: d.people,
                cost: money_fen(d.employer_cost_fen, sym),
                commission: money_fen(d.commission_fen, sym),
                contribution: money_fen(d.contribution_fen, sym),
                ratio: d.cost_ratio.map_or("—".into(), |r| format!("{:.1}%", r * 100.0)),
            })
            .collect(),
        slips: view
            .slips
            .iter()
            .map(|r| SlipRow {
                who: format!("{} {}", r.name, r.employee_no),
                href: payslip_href(&r.employee_no),
                department: r.department.clone().unwrap_or_default(),
                gross: money_fen(r.get("gross"), sym),
                si: money_fen(pr::si_employee(r) + r.get("hf_employee"), sym),
                iit: money_fen(r.get("iit_withheld") + r.get("bonus_iit"), sym),
                net: money_fen(r.get("net"), sym),
            })
            .collect(),
        notice: q.done.as_deref().map(|d| {
            match d {
                "locked" => l.pick(
                    "已锁定：本月工资不会再改写。",
                    "Locked: this month will never be rewritten.",
                ),
                _ => l.pick("已计算。", "Payroll run."),
            }
            .to_string()
        }),
        warnings: q
            .warn
            .as_deref()
            .map(|w| w.lines().filter(|x| !x.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
        totals,
        month,
    };
    page(t, &c, has_lang_param(&uri))
}

#[derive(Deserialize)]
struct MonthForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    month: String,
}

async fn run(State(s): State<AppState>, c: Caller, Form(f): Form<MonthForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let report = pr::run(&s.store, &c.principal, &f.month, c.lang).await?;
    // The run's warnings (an unverified city table, commission nobody receives) travel with the
    // redirect so the page says them once.
    let warn = report.warnings.join("\n");
    Ok(Redirect::to(&format!(
        "/payroll?month={}&done=run&warn={}",
        url_encode(&f.month),
        url_encode(&warn)
    ))
    .into_response())
}

async fn lock(State(s): State<AppState>, c: Caller, Form(f): Form<MonthForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    pr::lock(&s.store, &c.principal, &f.month, c.lang).await?;
    Ok(Redirect::to(&format!("/payroll?month={}&done=locked", url_encode(&f.month))).into_response())
}

async fn sheet(State(s): State<AppState>, c: Caller, Query(q): Query<MonthQuery>) -> Result<Response, WebError> {
    let month = chosen_month(&s, &c, q.month.as_deref()).await?;
    let bytes = pr::salary_sheet_xlsx(&s.store, &c.principal, &month, c.lang).await?;
    Ok(xlsx_download(bytes, &format!("payroll-{month}.xlsx")))
}

async fn export(State(s): State<AppState>, c: Caller, Query(q): Query<MonthQuery>) -> Result<Response, WebError> {
    let month = chosen_month(&s, &c, q.month.as_deref()).await?;
    let rows = pr::export_rows(&s.store, &c.principal, &month, c.lang).await?;
    let bytes = uplift_app::commission::text_xlsx(&pr::EXPORT_COLUMNS, &rows)?;
    Ok(xlsx_download(bytes, &format!("payroll-export-{month}.xlsx")))
}

fn csv_download(text: String, file: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        // A BOM, so that Excel opens the Chinese headers as UTF-8.
        format!("\u{feff}{text}"),
    )
        .into_response()
}

async fn bank(State(s): State<AppState>, c: Caller, Query(q): Query<MonthQuery>) -> Result<Response, WebError> {
    let month = chosen_month(&s, &c, q.month.as_deref()).await?;
    let text = pr::bank_csv(&s.store, &c.principal, &month, c.lang).await?;
    Ok(csv_download(text, &format!("bank-{month}.csv")))
}

async fn declaration(State(s): State<AppState>, c: Caller, Query(q): Query<MonthQuery>) -> Result<Response, WebError> {
    let month = chosen_month(&s, &c, q.month.as_deref()).await?;
    let text = pr::declaration_csv(&s.store, &c.principal, &month, c.lang).await?;
    Ok(csv_download(text, &format!("iit-declaration-{month}.csv")))
}
