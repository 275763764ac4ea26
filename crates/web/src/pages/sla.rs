//! The manager's board of first contact and follow-up cadence: leads waiting per team, the late and
//! the nearly late, each rep's cadence compliance, and the cadence board as a workbook.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use uplift_app::sla::{SlaState, WaitingLead, waiting_leads};

use super::layout::{Chrome, WaitingRow, chrome, page, waiting_rows};
use crate::AppState;
use crate::auth::Caller;
use crate::error::WebError;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/leads/sla", get(sla_board))
        .route("/leads/sla/cadence.xlsx", get(cadence_export))
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

async fn cadence_board(s: &AppState, c: &Caller) -> Result<Vec<uplift_app::cadence::RepCadence>, WebError> {
    uplift_app::cadence::board(&s.store, &c.principal.scope, Utc::now())
        .await
        .map_err(WebError::from)
}

/// The cadence board as a workbook (same scope as the page), audited.
async fn cadence_export(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    use uplift_io::xlsx_out::{Cell, xlsx_bytes};
    c.principal.require(c.principal.role.may_see_sla_board())?;
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
    .await?;
    Ok(super::layout::xlsx_download(bytes, "cadence.xlsx"))
}

async fn sla_board(State(s): State<AppState>, c: Caller) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.may_see_sla_board())?;
    let l = c.lang;
    let now = Utc::now();
    let tz = uplift_app::settings::company_tz(&s.store).await?;
    let rule = uplift_app::sla::rule(&s.store).await?;
    let list = waiting_leads(&s.store, &c.principal.scope, None, now).await?;
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
    let rules = uplift_app::cadence::rules(&s.store).await?;
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
        cadence_rule: rules.describe(l),
        cadence,
        c: chrome(&c, "sla", "/leads/sla"),
        teams,
        late: waiting_rows(&late, tz, l),
        soon: waiting_rows(&soon, tz, l),
        rule: rule.describe(l),
    };
    page(t, &c, false)
}
