//! Pages of lead routing and follow-up discipline: a rep's Today (new leads with their
//! first-contact countdown, follow-ups due, one-click log), the inbox, the manager's SLA board,
//! and the routing page (simulator, calibration, recent assignments with reasons, SLA settings).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use uplift_app::access::Principal;
use uplift_app::cadence::{DueFollowup, DueState, RecordKind};
use uplift_app::sla::SlaState;
use uplift_app::sla::{WaitingLead, waiting_leads};
use uplift_domain::Lang;
use uplift_domain::access::{Role, Scope};

use crate::AppState;
use crate::auth::Caller;
use crate::error::WebError;
use crate::format::url_encode;
use crate::pages::{Chrome, chrome, err, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/today", get(today_page))
        .route("/today/followup", post(log_followup))
        .route("/inbox", get(inbox_page))
        .route("/inbox/read", post(inbox_read))
        .route("/inbox/prefs", post(inbox_prefs))
        .route("/leads/sla", get(sla_board))
        .route("/leads/sla/cadence.xlsx", get(cadence_export))
        .route("/leads/routing", get(routing_page))
        .route("/leads/routing/simulation", get(simulation_fragment))
        .route("/leads/routing/sla", post(save_sla))
        .route("/leads/routing/cadence", post(save_cadence))
}

/// Who sees the SLA board: everyone who leads people.
pub fn may_see_board(p: &Principal) -> bool {
    !matches!(p.role, Role::Employee | Role::Payroll)
}

/// Who sees the routing page: admins and sales directors.
pub fn may_route(p: &Principal) -> bool {
    matches!(p.role, Role::Admin | Role::Director)
}

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

struct WaitingRow {
    lead_id: String,
    company: String,
    source: String,
    owner: String,
    deadline: String,
    deadline_ts: i64,
    left: String,
    class: &'static str,
}

fn waiting_rows(list: &[WaitingLead], tz: chrono_tz::Tz, l: Lang) -> Vec<WaitingRow> {
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

/// A follow-up due on the Today page.
struct DueRow {
    kind: &'static str,
    id: String,
    title: String,
    stage: &'static str,
    due: String,
    last_touch: String,
    overdue: bool,
}

fn due_rows(list: &[DueFollowup], now: chrono::DateTime<Utc>, tz: chrono_tz::Tz, l: Lang) -> Vec<DueRow> {
    let date = |t: chrono::DateTime<Utc>| t.with_timezone(&tz).format(l.pick("%m月%d日", "%b %d")).to_string();
    list.iter()
        .map(|d| DueRow {
            kind: match d.kind {
                RecordKind::Lead => "lead",
                RecordKind::Opportunity => "opportunity",
                RecordKind::Account => "account",
            },
            id: d.id.clone(),
            title: d.title.clone().unwrap_or_else(|| d.id.clone()),
            stage: d.stage.label(l),
            due: match d.state {
                DueState::Overdue => {
                    let days = (now - d.due).num_days().max(1);
                    match l {
                        Lang::Zh => format!("已逾期 {days} 天"),
                        Lang::En => format!("overdue {days} d"),
                    }
                }
                _ => l.pick("今日到期", "due today").to_string(),
            },
            last_touch: d
                .last_touch
                .map(date)
                .unwrap_or_else(|| l.pick("从未", "never").to_string()),
            overdue: d.state == DueState::Overdue,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    c: Chrome,
    has_employee: bool,
    waiting: Vec<WaitingRow>,
    due: Vec<DueRow>,
    sla_hours: f64,
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct TodayParams {
    logged: Option<String>,
}

async fn today_page(State(s): State<AppState>, c: Caller, Query(q): Query<TodayParams>) -> Result<Response, WebError> {
    let l = c.lang;
    let now = Utc::now();
    let tz = uplift_app::settings::company_tz(&s.store).await.map_err(err(&c))?;
    let rule = uplift_app::sla::rule(&s.store).await.map_err(err(&c))?;
    let (waiting, due) = match c.principal.employee_no.as_deref() {
        Some(me) => {
            let w = waiting_leads(&s.store, &Scope::All, Some(me), now)
                .await
                .map_err(err(&c))?;
            let d = uplift_app::cadence::my_due(&s.store, me, now).await.map_err(err(&c))?;
            (waiting_rows(&w, tz, l), due_rows(&d, now, tz, l))
        }
        None => (Vec::new(), Vec::new()),
    };
    let t = TodayPage {
        c: chrome(&c, "today", "/today"),
        has_employee: c.principal.employee_no.is_some(),
        waiting,
        due,
        sla_hours: rule.hours,
        message: q
            .logged
            .map(|id| format!("{} {id}", l.pick("已记录跟进：", "Follow-up logged:"))),
    };
    page(t, &c, false)
}

#[derive(Deserialize)]
struct FollowupForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    /// lead (default), opportunity or account.
    kind: Option<String>,
    #[serde(alias = "lead_id")]
    id: String,
}

async fn log_followup(State(s): State<AppState>, c: Caller, Form(f): Form<FollowupForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let kind = f.kind.as_deref().unwrap_or("lead");
    uplift_app::cadence::log_followup(&s.store, &c.principal, kind, &f.id, c.lang)
        .await
        .map_err(err(&c))?;
    Ok(Redirect::to(&format!("/today?logged={}", url_encode(&f.id))).into_response())
}

struct InboxRow {
    id: i64,
    title: String,
    body: String,
    link: Option<String>,
    when: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<InboxRow>,
    unread: usize,
    email: bool,
    digest_only: bool,
}

/// The caller's messages: addressed to their employee number, or to their user name.
fn recipient(p: &Principal) -> String {
    // Accounts without an employee get `user:`-prefixed messages, never another person's.
    p.employee_no.clone().unwrap_or_else(|| format!("user:{}", p.actor))
}

async fn inbox_page(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    let tz = uplift_app::settings::company_tz(&s.store).await.map_err(err(&c))?;
    let list = s
        .store
        .inbox(&recipient(&c.principal), 200)
        .await
        .map_err(|e| err(&c)(e.into()))?;
    let rows: Vec<InboxRow> = list
        .into_iter()
        .map(|n| InboxRow {
            id: n.id,
            unread: n.status == "unread",
            title: n.title,
            body: n.body,
            link: n.link,
            when: chrono::DateTime::from_timestamp(n.created_ts, 0)
                .unwrap_or_default()
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        })
        .collect();
    let (email, digest_only) = s
        .store
        .notification_prefs(&recipient(&c.principal))
        .await
        .map_err(|e| err(&c)(e.into()))?;
    let t = InboxPage {
        c: chrome(&c, "inbox", "/inbox"),
        unread: rows.iter().filter(|r| r.unread).count(),
        rows,
        email,
        digest_only,
    };
    page(t, &c, false)
}

#[derive(Deserialize)]
struct ReadForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    id: Option<i64>,
}

async fn inbox_read(State(s): State<AppState>, c: Caller, Form(f): Form<ReadForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    s.store
        .mark_read(&recipient(&c.principal), f.id)
        .await
        .map_err(|e| err(&c)(e.into()))?;
    Ok(Redirect::to("/inbox").into_response())
}

#[derive(Deserialize)]
struct PrefsForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    email: Option<String>,
    digest_only: Option<String>,
}

async fn inbox_prefs(State(s): State<AppState>, c: Caller, Form(f): Form<PrefsForm>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let who = recipient(&c.principal);
    s.store
        .set_notification_prefs(&who, f.email.is_some(), f.digest_only.is_some())
        .await
        .map_err(|e| err(&c)(e.into()))?;
    uplift_app::access::audit_by(&s.store, &c.principal, "notify.prefs", Some(&who), None, c.ip())
        .await
        .map_err(err(&c))?;
    Ok(Redirect::to("/inbox").into_response())
}

struct TeamSla {
    team: String,
    waiting: usize,
    soon: usize,
    late: usize,
}

#[derive(Template)]
#[template(path = "sla_board.html")]
struct SlaBoard {
    c: Chrome,
    teams: Vec<TeamSla>,
    late: Vec<WaitingRow>,
    soon: Vec<WaitingRow>,
    rule: String,
    cadence_rule: String,
    cadence: Vec<CadenceRow>,
}

/// One rep on the cadence board.
struct CadenceRow {
    employee: String,
    team: String,
    customers: usize,
    due_today: usize,
    overdue: usize,
    this_month: String,
    last_month: String,
    low: bool,
    low_last: bool,
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |v| format!("{:.0}%", v * 100.0))
}

/// The cadence rules in a sentence.
fn cadence_rule_text(r: &uplift_app::cadence::CadenceRules, l: Lang) -> String {
    use uplift_app::cadence::Stage;
    Stage::ALL
        .iter()
        .map(|s| {
            let x = r.rule(*s);
            let window = x.for_days.map_or(String::new(), |d| match l {
                Lang::Zh => format!("（进入该阶段后 {d} 天内）"),
                Lang::En => format!(" (for {d} days after entering the stage)"),
            });
            match l {
                Lang::Zh => format!("{}每 {} 天跟进 {} 次{window}", s.label(l), x.every_days, x.follow_ups),
                Lang::En => format!("{}: {} every {} days{window}", s.label(l), x.follow_ups, x.every_days),
            }
        })
        .collect::<Vec<_>>()
        .join(l.pick("；", "; "))
}

async fn cadence_board(s: &AppState, c: &Caller) -> Result<Vec<uplift_app::cadence::RepCadence>, WebError> {
    uplift_app::cadence::board(&s.store, &c.principal.scope, Utc::now())
        .await
        .map_err(err(c))
}

/// The cadence board as a workbook (same scope as the page), audited.
async fn cadence_export(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    use uplift_io::xlsx_out::{Cell, xlsx_bytes};
    c.principal.require(may_see_board(&c.principal)).map_err(err(&c))?;
    let l = c.lang;
    let board = cadence_board(&s, &c).await?;
    let headers: Vec<String> = [
        ("工号", "Employee no"),
        ("姓名", "Name"),
        ("部门", "Department"),
        ("在跟客户", "Customers under a cadence"),
        ("今日到期", "Due today"),
        ("已逾期", "Overdue"),
        ("本月跟进节奏达标率", "Cadence compliance this month"),
        ("上月跟进节奏达标率", "Cadence compliance last month"),
    ]
    .iter()
    .map(|(zh, en)| l.pick(zh, en).to_string())
    .collect();
    let rows: Vec<Vec<Cell>> = board
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.employee_no.clone()),
                Cell::Text(r.name.clone()),
                Cell::Text(r.department.clone().unwrap_or_default()),
                Cell::Number(r.customers as f64),
                Cell::Number(r.due_today as f64),
                Cell::Number(r.overdue as f64),
                r.this_month.map(Cell::Percent).unwrap_or(Cell::Empty),
                r.last_month.map(Cell::Percent).unwrap_or(Cell::Empty),
            ]
        })
        .collect();
    let bytes = xlsx_bytes(l.pick("跟进节奏", "Cadence"), &headers, &rows)
        .map_err(|e| WebError::new(crate::error::Failure::Internal(e.to_string()), l))?;
    uplift_app::access::audit_by(
        &s.store,
        &c.principal,
        "export.cadence",
        None,
        Some(&format!("rows={}", rows.len())),
        c.ip(),
    )
    .await
    .map_err(err(&c))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"cadence.xlsx\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn sla_board(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    c.principal.require(may_see_board(&c.principal)).map_err(err(&c))?;
    let l = c.lang;
    let now = Utc::now();
    let tz = uplift_app::settings::company_tz(&s.store).await.map_err(err(&c))?;
    let rule = uplift_app::sla::rule(&s.store).await.map_err(err(&c))?;
    let list = waiting_leads(&s.store, &c.principal.scope, None, now)
        .await
        .map_err(err(&c))?;
    let mut teams: Vec<TeamSla> = Vec::new();
    for w in &list {
        let name = w
            .department
            .clone()
            .unwrap_or_else(|| l.pick("（无部门）", "(no department)").into());
        let i = match teams.iter().position(|t| t.team == name) {
            Some(i) => i,
            None => {
                teams.push(TeamSla {
                    team: name,
                    waiting: 0,
                    soon: 0,
                    late: 0,
                });
                teams.len() - 1
            }
        };
        teams[i].waiting += 1;
        match w.state {
            SlaState::DueSoon => teams[i].soon += 1,
            SlaState::Breached | SlaState::Reassign => teams[i].late += 1,
            SlaState::Open => {}
        }
    }
    teams.sort_by(|a, b| b.late.cmp(&a.late).then(a.team.cmp(&b.team)));
    let late: Vec<WaitingLead> = list
        .iter()
        .filter(|w| matches!(w.state, SlaState::Breached | SlaState::Reassign))
        .cloned()
        .collect();
    let soon: Vec<WaitingLead> = list.iter().filter(|w| w.state == SlaState::DueSoon).cloned().collect();
    let rules = uplift_app::cadence::rules(&s.store).await.map_err(err(&c))?;
    let cadence = cadence_board(&s, &c)
        .await?
        .into_iter()
        .map(|r| CadenceRow {
            employee: format!("{} {}", r.name, r.employee_no),
            team: r.department.clone().unwrap_or_default(),
            customers: r.customers,
            due_today: r.due_today,
            overdue: r.overdue,
            // As shown: 49.6% reads 50% and is not flagged.
            low: r.this_month.is_some_and(|v| (v * 100.0).round() < 50.0),
            low_last: r.last_month.is_some_and(|v| (v * 100.0).round() < 50.0),
            this_month: pct(r.this_month),
            last_month: pct(r.last_month),
        })
        .collect();
    let t = SlaBoard {
        cadence_rule: cadence_rule_text(&rules, l),
        cadence,
        c: chrome(&c, "sla", "/leads/sla"),
        teams,
        late: waiting_rows(&late, tz, l),
        soon: waiting_rows(&soon, tz, l),
        rule: rule_text(&rule, l),
    };
    page(t, &c, false)
}

fn rule_text(r: &uplift_app::sla::SlaRule, l: Lang) -> String {
    match l {
        Lang::Zh => format!(
            "新线索须在 {} 小时内首次联系{}；{}",
            r.hours,
            if r.business_hours {
                "（按工作时间计，含法定节假日与调休）"
            } else {
                ""
            },
            r.reassign_after_hours.map_or("超时不自动改派".to_string(), |h| format!(
                "超时 {h} 小时后自动改派"
            ))
        ),
        Lang::En => format!(
            "New leads must be contacted within {} hours{}; {}",
            r.hours,
            if r.business_hours {
                " (business hours, official holidays)"
            } else {
                ""
            },
            r.reassign_after_hours
                .map_or("no automatic reassignment".to_string(), |h| format!(
                    "reassigned {h} h after a miss"
                ))
        ),
    }
}

struct AssignmentView {
    lead_id: String,
    employee: String,
    when: String,
    origin: String,
    conversion: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "routing.html")]
struct RoutingPage {
    c: Chrome,
    is_admin: bool,
    rule: String,
    hours: f64,
    business_hours: bool,
    reassign: String,
    assignments: Vec<AssignmentView>,
    message: Option<String>,
    cadence_message: Option<String>,
    cadence_rule: String,
    /// Per stage (id, label, follow-ups, every days, for days).
    stages: Vec<(&'static str, &'static str, u32, u32, String)>,
    lead_map: String,
    opp_map: String,
}

fn map_text(m: &std::collections::BTreeMap<String, String>) -> String {
    m.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
}

#[derive(Deserialize, Default)]
struct RoutingParams {
    saved: Option<String>,
}

async fn routing_page(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<RoutingParams>,
) -> Result<Response, WebError> {
    c.principal.require(may_route(&c.principal)).map_err(err(&c))?;
    let l = c.lang;
    let tz = uplift_app::settings::company_tz(&s.store).await.map_err(err(&c))?;
    let rule = uplift_app::sla::rule(&s.store).await.map_err(err(&c))?;
    let roster = s.store.routing_reps().await.map_err(|e| err(&c)(e.into()))?;
    let recent = s.store.recent_assignments(200).await.map_err(|e| err(&c)(e.into()))?;
    let assignments = recent
        .into_iter()
        .filter_map(|a| {
            let r = roster.iter().find(|r| r.id == a.employee_id)?;
            c.principal
                .scope
                .contains(&r.employee_no, r.department.as_deref())
                .then(|| AssignmentView {
                    lead_id: a.lead_id,
                    employee: format!("{} {}", r.name, r.employee_no),
                    when: chrono::DateTime::from_timestamp(a.assigned_ts, 0)
                        .unwrap_or_default()
                        .with_timezone(&tz)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    origin: match a.origin.as_str() {
                        "file" => l.pick("文件", "file"),
                        "pending" => l.pick("待分配", "pending"),
                        "online" => l.pick("实时", "online"),
                        "sla-reassign" => l.pick("超时改派", "SLA reassign"),
                        _ => "",
                    }
                    .to_string(),
                    conversion: format!("{:.0}%", a.expected_conversion * 100.0),
                    reason: a.reason,
                })
        })
        .take(50)
        .collect();
    let cadence = uplift_app::cadence::rules(&s.store).await.map_err(err(&c))?;
    let t = RoutingPage {
        cadence_rule: cadence_rule_text(&cadence, l),
        stages: uplift_app::cadence::Stage::ALL
            .iter()
            .map(|st| {
                let r = cadence.rule(*st);
                (
                    st.id(),
                    st.label(l),
                    r.follow_ups,
                    r.every_days,
                    r.for_days.map(|d| d.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        lead_map: map_text(&cadence.lead_status),
        opp_map: map_text(&cadence.opportunity_stage),
        c: chrome(&c, "routing", "/leads/routing"),
        is_admin: c.principal.role == Role::Admin,
        rule: rule_text(&rule, l),
        hours: rule.hours,
        business_hours: rule.business_hours,
        reassign: rule.reassign_after_hours.map(|h| h.to_string()).unwrap_or_default(),
        assignments,
        message: q
            .saved
            .as_deref()
            .filter(|s| *s != "cadence")
            .map(|_| l.pick("已保存", "Saved").to_string()),
        cadence_message: q.saved.as_deref().filter(|s| *s == "cadence").map(|_| {
            l.pick(
                "已保存，跟进节奏达标率已按新规则重算",
                "Saved; cadence compliance recomputed under the new rules",
            )
            .to_string()
        }),
    };
    page(t, &c, false)
}

#[derive(Template)]
#[template(path = "routing_simulation.html")]
struct SimulationFragment {
    c: Chrome,
    rows: Vec<(String, usize, String, String, String, String, bool)>,
    note: String,
    check: String,
    chart: String,
    error: Option<String>,
    deciles: Vec<(usize, String, String, usize)>,
    calibration: String,
}

async fn simulation_fragment(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    // Company-wide figures (every team's leads and outcomes): admins only.
    c.principal.require(c.principal.role == Role::Admin).map_err(err(&c))?;
    let l = c.lang;
    let sym = crate::pages::symbol(&s).await?;
    let sim = uplift_app::routing::simulate(&s.store, 3, Default::default(), l).await;
    let report = uplift_app::routing::model_report(&s.store, l).await;
    let mut f = SimulationFragment {
        c: chrome(&c, "routing", "/leads/routing"),
        rows: Vec::new(),
        note: String::new(),
        check: String::new(),
        chart: String::new(),
        error: None,
        deciles: Vec::new(),
        calibration: String::new(),
    };
    match sim {
        Err(e) => f.error = Some(e.render(l)),
        Ok(r) => {
            let base = r.outcome("round-robin").map(|o| o.expected_value).unwrap_or(0.0);
            for o in &r.outcomes {
                f.rows.push((
                    uplift_app::routing::strategy_label(o.strategy, l).to_string(),
                    o.assigned,
                    format!("{:.1}", o.expected_conversions),
                    format!(
                        "{:.1}%",
                        if o.assigned > 0 {
                            o.expected_conversions / o.assigned as f64 * 100.0
                        } else {
                            0.0
                        }
                    ),
                    format!("{sym}{}", uplift_domain::money::whole_with_separators(o.expected_value)),
                    if base > 0.0 {
                        format!("{:+.1}%", (o.expected_value / base - 1.0) * 100.0)
                    } else {
                        "—".into()
                    },
                    o.strategy == "optimal",
                ));
            }
            f.note = match l {
                Lang::Zh => format!(
                    "{}–{} 的 {} 条线索按各策略重新分配；模型只用模拟期之前的数据，结果由全部历史拟合的模型估计。",
                    r.from, r.to, r.leads
                ),
                Lang::En => format!(
                    "The {} leads of {}–{} re-dealt by each strategy; the router learns only from earlier months, outcomes are estimated by the model fitted on all history.",
                    r.leads, r.from, r.to
                ),
            };
            if let Some(cur) = r.outcome("current") {
                f.check = match l {
                    Lang::Zh => format!(
                        "核对：现行分配实际转化 {} 条，模型估计 {:.0} 条。",
                        r.actual_conversions, cur.expected_conversions
                    ),
                    Lang::En => format!(
                        "Check: current practice actually converted {}; the model estimates {:.0}.",
                        r.actual_conversions, cur.expected_conversions
                    ),
                };
            }
            let names: Vec<&str> = r
                .outcomes
                .iter()
                .map(|o| uplift_app::routing::strategy_label(o.strategy, l))
                .collect();
            let values: Vec<f64> = r.outcomes.iter().map(|o| o.expected_conversions.round()).collect();
            f.chart = serde_json::json!({
                "type": "bar",
                "labels": names,
                "series": [{"name": l.pick("预计转化", "expected conversions"), "data": values}],
            })
            .to_string();
        }
    }
    if let Ok(m) = report {
        let r = &m.reliability;
        f.deciles = r
            .bins
            .iter()
            .map(|b| {
                (
                    b.decile,
                    format!("{:.1}%", b.predicted * 100.0),
                    format!("{:.1}%", b.actual * 100.0),
                    b.leads,
                )
            })
            .collect();
        f.calibration = match l {
            Lang::Zh => format!(
                "检验 {}–{} 的 {} 条线索：Brier 分数 {:.4}（只用公司整体转化率为 {:.4}）；预计转化 {:.0} 条，实际 {:.0} 条。",
                m.tested_from,
                m.tested_to,
                r.leads,
                r.brier,
                r.baseline_brier,
                r.predicted_conversions,
                r.actual_conversions
            ),
            Lang::En => format!(
                "Tested on {} leads of {}–{}: Brier {:.4} (one company rate: {:.4}); predicted {:.0} conversions, actual {:.0}.",
                r.leads,
                m.tested_from,
                m.tested_to,
                r.brier,
                r.baseline_brier,
                r.predicted_conversions,
                r.actual_conversions
            ),
        };
    }
    let body = f
        .render()
        .map_err(|e| WebError::new(crate::error::Failure::Internal(e.to_string()), l))?;
    Ok(Html(body).into_response())
}

#[derive(Deserialize)]
struct SlaForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    hours: String,
    business_hours: Option<String>,
    reassign: Option<String>,
}

async fn save_sla(State(s): State<AppState>, c: Caller, Form(f): Form<SlaForm>) -> Result<Response, WebError> {
    c.principal.require(c.principal.role == Role::Admin).map_err(err(&c))?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let bad = |field: &str| {
        err(&c)(uplift_app::AppError::Invalid(format!(
            "{field}: {}",
            l.pick("应为正数（小时）", "must be a positive number of hours")
        )))
    };
    let hours: f64 = f
        .hours
        .trim()
        .parse()
        .ok()
        .filter(|h: &f64| *h > 0.0)
        .ok_or_else(|| bad("hours"))?;
    let reassign = match f.reassign.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => None,
        Some(x) => Some(
            x.parse::<f64>()
                .ok()
                .filter(|h| *h >= 0.0)
                .ok_or_else(|| bad("reassign"))?,
        )
        .filter(|h| *h > 0.0),
    };
    let rule = uplift_app::sla::SlaRule {
        hours,
        business_hours: f.business_hours.is_some(),
        reassign_after_hours: reassign,
    };
    uplift_app::sla::set_rule(&s.store, &rule, &c.principal.actor)
        .await
        .map_err(err(&c))?;
    Ok(Redirect::to("/leads/routing?saved=1").into_response())
}

#[derive(Deserialize)]
struct CadenceForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    potential_n: String,
    potential_every: String,
    potential_for: Option<String>,
    intent_n: String,
    intent_every: String,
    intent_for: Option<String>,
    won_n: String,
    won_every: String,
    won_for: Option<String>,
    #[serde(default)]
    lead_map: String,
    #[serde(default)]
    opp_map: String,
}

/// Reads "value = stage" lines; errors name the field and line.
fn parse_map(field: &str, text: &str, l: Lang) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut out = std::collections::BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.rsplit_once('=') else {
            return Err(format!(
                "{field} {}{}{}: {}",
                l.pick("第 ", "line "),
                i + 1,
                l.pick(" 行", ""),
                l.pick("应写成“取值 = 阶段”", "expected \"value = stage\"")
            ));
        };
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

/// "intent.follow_ups: …" as the form shows it: "意向客户 · 跟进次数: …".
fn with_field_labels(message: &str, l: Lang) -> String {
    use uplift_app::cadence::Stage;
    let Some((key, rest)) = message.split_once(':') else {
        return message.to_string();
    };
    let Some((stage, field)) = key.split_once('.') else {
        return message.to_string();
    };
    let stage_label = match stage {
        "potential" => Stage::Potential.label(l),
        "intent" => Stage::Intent.label(l),
        "won" => Stage::Won.label(l),
        "lead_status" => l.pick("线索状态", "lead status"),
        "opportunity_stage" => l.pick("商机阶段", "opportunity stage"),
        _ => return message.to_string(),
    };
    let field_label = match field {
        "follow_ups" => l.pick("跟进次数", "follow-ups"),
        "every_days" => l.pick("每隔（天）", "every (days)"),
        "for_days" => l.pick("持续天数", "for days"),
        other => other,
    };
    format!("{stage_label} · {field_label}:{rest}")
}

async fn save_cadence(State(s): State<AppState>, c: Caller, Form(f): Form<CadenceForm>) -> Result<Response, WebError> {
    use uplift_app::cadence::{CadenceRules, StageRule};
    c.principal.require(c.principal.role == Role::Admin).map_err(err(&c))?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let num = |field: &str, v: &str| {
        v.trim().parse::<u32>().map_err(|_| {
            err(&c)(uplift_app::AppError::Invalid(with_field_labels(
                &format!("{field}: {}", l.pick("应为正整数", "must be a whole number")),
                l,
            )))
        })
    };
    let window = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(None),
        Some(x) => num(field, x).map(Some),
    };
    let rules = CadenceRules {
        potential: StageRule {
            follow_ups: num("potential.follow_ups", &f.potential_n)?,
            every_days: num("potential.every_days", &f.potential_every)?,
            for_days: window("potential.for_days", &f.potential_for)?,
        },
        intent: StageRule {
            follow_ups: num("intent.follow_ups", &f.intent_n)?,
            every_days: num("intent.every_days", &f.intent_every)?,
            for_days: window("intent.for_days", &f.intent_for)?,
        },
        won: StageRule {
            follow_ups: num("won.follow_ups", &f.won_n)?,
            every_days: num("won.every_days", &f.won_every)?,
            for_days: window("won.for_days", &f.won_for)?,
        },
        lead_status: parse_map("lead_status", &f.lead_map, l).map_err(|e| err(&c)(uplift_app::AppError::Invalid(e)))?,
        opportunity_stage: parse_map("opportunity_stage", &f.opp_map, l)
            .map_err(|e| err(&c)(uplift_app::AppError::Invalid(e)))?,
    };
    uplift_app::cadence::set_rules(&s.store, &rules, &c.principal.actor, l)
        .await
        .map_err(|e| match e {
            uplift_app::AppError::Invalid(m) => err(&c)(uplift_app::AppError::Invalid(with_field_labels(&m, l))),
            other => err(&c)(other),
        })?;
    Ok(Redirect::to("/leads/routing?saved=cadence#cadence").into_response())
}
