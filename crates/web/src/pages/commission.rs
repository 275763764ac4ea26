//! Commission statements: a rep's own (standing in the bands, the next band, year to date, every
//! line explained, a workbook), the team's for those who lead or pay people.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use uplift_app::commission::{Period, PersonStatement, periods, person_statement, statements};
use uplift_domain::Lang;

use super::layout::{Chrome, chrome, page, symbol, xlsx_download};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::{Failure, WebError};
use crate::format::{money_fen, url_encode};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/commission", get(commission_page))
        .route("/commission/statement.xlsx", get(statement_export))
        .route("/commission/statements.xlsx", get(team_export))
        .route("/commission/dispute", post(raise))
        .route("/commission/dispute/answer", post(answer))
}

#[derive(Deserialize, Default)]
struct CommissionQuery {
    period: Option<String>,
    employee: Option<String>,
    /// A dispute just raised or answered: the notice.
    done: Option<String>,
}

/// A dispute as listed.
struct DisputeLine {
    id: i64,
    who: String,
    line: String,
    reason: String,
    state: &'static str,
    open: bool,
    answer: String,
}

/// One statement in a list (the team table, the person's history).
struct StatementLine {
    employee_no: String,
    name: String,
    period: String,
    plan: String,
    credited: String,
    target: String,
    attainment: String,
    commission: String,
    payable: String,
    href: String,
}

struct LineRow {
    seq: i64,
    kind: &'static str,
    deal: String,
    credited: String,
    pay: String,
    explanation: String,
}

/// The person's statement as shown.
struct Mine {
    employee_no: String,
    name: String,
    plan: String,
    standing: String,
    next_tier: Option<String>,
    credited: String,
    target: String,
    commission: String,
    adjustments: String,
    payable: String,
    year_to_date: String,
    lines: Vec<LineRow>,
    history: Vec<StatementLine>,
    export_href: String,
}

#[derive(Template)]
#[template(path = "commission.html")]
struct CommissionPage {
    c: Chrome,
    period: String,
    period_label: String,
    /// (value, label) of every period run, newest first.
    periods: Vec<(String, String)>,
    status: String,
    locked: bool,
    mine: Option<Mine>,
    /// No statement for the person shown: why, in words.
    none: Option<String>,
    team: Vec<StatementLine>,
    show_team: bool,
    team_export_href: String,
    /// The statement shown is the caller's own: its lines can be disputed.
    may_dispute: bool,
    /// Payroll answers disputes.
    may_answer: bool,
    may_read_plans: bool,
    disputes: Vec<DisputeLine>,
    notice: Option<String>,
}

fn period_label(p: &str, l: Lang) -> String {
    match (Period::parse(p), l) {
        (Ok(p), Lang::Zh) => p.label_zh(),
        _ => p.to_string(),
    }
}

fn bad_period(p: &str, l: Lang) -> WebError {
    WebError::new(
        Failure::bad(
            format!(
                "{}: {p}",
                l.pick(
                    "期间应为 YYYY-MM（月）或 YYYY-Qn（季度），如 2026-08、2026-Q3",
                    "a period is YYYY-MM (month) or YYYY-Qn (quarter), e.g. 2026-08, 2026-Q3"
                )
            ),
            "period",
        ),
        l,
    )
}

/// The period asked for, or the newest one run, or the current month.
async fn chosen_period(
    s: &AppState,
    q: &CommissionQuery,
    l: Lang,
) -> Result<(String, Vec<(String, String)>), WebError> {
    let run = periods(&s.store).await?;
    let options: Vec<(String, String)> = run
        .iter()
        .map(|r| (r.period.clone(), period_label(&r.period, l)))
        .collect();
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Period::parse(p).map_err(|_| bad_period(p, l))?.to_string(),
        None => match run.first() {
            Some(r) => r.period.clone(),
            None => {
                let tz = uplift_app::settings::company_tz(&s.store).await?;
                uplift_domain::Month::of(chrono::Utc::now().with_timezone(&tz).date_naive()).to_string()
            }
        },
    };
    Ok((period, options))
}

fn statement_line(r: &uplift_app::store::StatementRow, sym: &str, href: String) -> StatementLine {
    StatementLine {
        employee_no: r.employee_no.clone(),
        name: r.name.clone().unwrap_or_default(),
        period: r.period.clone(),
        plan: r.plan_id.clone(),
        credited: money_fen(r.credited_fen, sym),
        target: r.target_fen.map_or("—".into(), |t| money_fen(t, sym)),
        attainment: r
            .attainment
            .as_deref()
            .and_then(|a| a.parse::<f64>().ok())
            .map_or("—".into(), |a| format!("{:.1}%", a * 100.0)),
        commission: money_fen(r.commission_fen, sym),
        payable: money_fen(r.payable_fen, sym),
        href,
    }
}

fn kind_label(kind: &str, l: Lang) -> &'static str {
    match kind {
        "deal" => l.pick("签单", "Deal"),
        "payment" => l.pick("回款", "Payment"),
        "override" => l.pick("管理提成", "Override"),
        "adjustment" => l.pick("调整", "Adjustment"),
        _ => "—",
    }
}

fn mine(st: PersonStatement, name: String, sym: &str, l: Lang) -> Option<Mine> {
    let row = st.statement?;
    let key = st.period.clone();
    Some(Mine {
        export_href: format!(
            "/commission/statement.xlsx?period={}&employee={}",
            url_encode(&key),
            url_encode(&st.employee_no)
        ),
        plan: st.plan_name.unwrap_or_else(|| row.plan_id.clone()),
        standing: st.standing.unwrap_or_default(),
        next_tier: st.next_tier,
        credited: money_fen(row.credited_fen, sym),
        target: row.target_fen.map_or("—".into(), |t| money_fen(t, sym)),
        commission: money_fen(row.commission_fen, sym),
        adjustments: money_fen(row.adjustments_fen, sym),
        payable: money_fen(row.payable_fen, sym),
        year_to_date: money_fen(st.year_to_date_fen, sym),
        lines: st
            .lines
            .into_iter()
            .map(|v| LineRow {
                seq: v.row.seq,
                kind: kind_label(&v.row.kind, l),
                deal: v.row.opportunity_id.clone().unwrap_or_default(),
                credited: money_fen(v.row.credited_fen, sym),
                pay: money_fen(v.row.pay_fen, sym),
                explanation: v.explanation,
            })
            .collect(),
        history: st
            .history
            .iter()
            .map(|h| {
                let href = format!(
                    "/commission?period={}&employee={}",
                    url_encode(&h.period),
                    url_encode(&h.employee_no)
                );
                let mut line = statement_line(h, sym, href);
                line.period = period_label(&h.period, l);
                line
            })
            .collect(),
        employee_no: st.employee_no,
        name,
    })
}

async fn commission_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<CommissionQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    let (period, options) = chosen_period(&s, &q, l).await?;
    let sym = symbol(&s).await?;
    let show_team = c.principal.role.leads_or_supports_people();
    let all = statements(&s.store, &c.principal, &period, None, l).await?;
    let team: Vec<StatementLine> = if show_team {
        all.rows
            .iter()
            .map(|r| {
                let href = format!(
                    "/commission?period={}&employee={}",
                    url_encode(&period),
                    url_encode(&r.employee_no)
                );
                statement_line(r, sym, href)
            })
            .collect()
    } else {
        Vec::new()
    };
    let who = q
        .employee
        .clone()
        .filter(|e| !e.is_empty())
        .or_else(|| c.principal.employee_no.clone());
    let (mine, none) = match who {
        Some(no) => {
            let st = person_statement(&s.store, &c.principal, &period, &no, l).await?;
            let name = all
                .rows
                .iter()
                .find(|r| r.employee_no == no)
                .and_then(|r| r.name.clone())
                .unwrap_or_default();
            let why = if all.status.is_none() {
                l.pick(
                    "这个期间还没有计算提成。",
                    "No commission has been computed for this period yet.",
                )
            } else {
                l.pick(
                    "这个期间没有适用于该员工的提成方案，因此没有提成单。",
                    "No commission plan covered this person in this period, so there is no statement.",
                )
            };
            match mine(st, name, sym, l) {
                Some(m) => (Some(m), None),
                None => (None, Some(why.to_string())),
            }
        }
        None => (None, None),
    };
    let may_dispute = mine.as_ref().is_some_and(|m| c.principal.is_self(&m.employee_no));
    let disputes = uplift_app::commission::disputes(&s.store, &c.principal, Some(&period), l)
        .await?
        .into_iter()
        .map(|d| DisputeLine {
            open: d.state == "open",
            state: match d.state.as_str() {
                "open" => l.pick("待处理", "Open"),
                "resolved" => l.pick("已采纳", "Resolved"),
                _ => l.pick("未采纳", "Rejected"),
            },
            who: d.employee_no,
            line: format!(
                "#{}{}",
                d.seq,
                d.opportunity_id.map(|o| format!(" {o}")).unwrap_or_default()
            ),
            reason: d.reason,
            answer: d.answer.unwrap_or_default(),
            id: d.id,
        })
        .collect();
    let notice = q.done.as_deref().map(|d| match d {
        "raised" => l.pick(
            "异议已提交，薪酬专员会在消息中收到。",
            "Dispute raised; payroll has been told.",
        ),
        _ => l.pick(
            "异议已处理，员工会收到答复。",
            "Dispute answered; the person has been told.",
        ),
    });
    let status = match all.status.as_deref() {
        Some("locked") => l.pick("已锁定", "Locked"),
        Some(_) => l.pick("草稿（随新签单即时更新）", "Draft (updates as deals are won)"),
        None => l.pick("未计算", "Not computed"),
    };
    let t = CommissionPage {
        c: chrome(&c, "commission", &uri.to_string()),
        period_label: period_label(&period, l),
        team_export_href: format!("/commission/statements.xlsx?period={}", url_encode(&period)),
        locked: all.status.as_deref() == Some("locked"),
        status: status.to_string(),
        period,
        periods: options,
        mine,
        none,
        team,
        show_team,
        may_dispute,
        may_answer: c.principal.role.may_run_commissions(),
        may_read_plans: c.principal.role.may_read_commission_plans(),
        disputes,
        notice: notice.map(str::to_string),
    };
    page(t, &c, has_lang_param(&uri))
}

#[derive(Deserialize)]
struct DisputeForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    period: String,
    employee: String,
    seq: i64,
    reason: String,
}

async fn raise(State(s): State<AppState>, c: Caller, Form(f): Form<DisputeForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    uplift_app::commission::raise_dispute(&s.store, &c.principal, &f.period, &f.employee, f.seq, &f.reason, c.lang)
        .await?;
    Ok(Redirect::to(&format!(
        "/commission?period={}&employee={}&done=raised",
        url_encode(&f.period),
        url_encode(&f.employee)
    ))
    .into_response())
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    id: i64,
    period: String,
    /// `resolved` or `rejected`.
    verdict: String,
    answer: String,
}

async fn answer(State(s): State<AppState>, c: Caller, Form(f): Form<AnswerForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let resolved = f.verdict == "resolved";
    uplift_app::commission::answer_dispute(&s.store, &c.principal, f.id, resolved, &f.answer, c.lang).await?;
    Ok(Redirect::to(&format!("/commission?period={}&done=answered", url_encode(&f.period))).into_response())
}

/// One person's statement as a workbook in the reader's language (lines explained, totals last).
async fn statement_export(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<CommissionQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    let (period, _) = chosen_period(&s, &q, l).await?;
    let Some(no) = q.employee.clone().or_else(|| c.principal.employee_no.clone()) else {
        return Err(WebError::new(
            Failure::bad(l.pick("请指定员工工号", "name an employee number"), "employee"),
            l,
        ));
    };
    let st = person_statement(&s.store, &c.principal, &period, &no, l).await?;
    let bytes = uplift_app::commission::statement_xlsx(&st, l)?;
    Ok(xlsx_download(bytes, &format!("commission-{period}-{no}.xlsx")))
}

/// The period's statements in the caller's scope, the contract's export columns.
async fn team_export(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<CommissionQuery>,
) -> Result<Response, WebError> {
    let l = c.lang;
    let (period, _) = chosen_period(&s, &q, l).await?;
    let all = statements(&s.store, &c.principal, &period, None, l).await?;
    let bytes = all.xlsx()?;
    Ok(xlsx_download(bytes, &format!("commission-{period}.xlsx")))
}
