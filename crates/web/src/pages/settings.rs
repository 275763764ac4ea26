//! Settings (admins): the company's time zone and currency, and user accounts.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uplift_app::access::{self, NewUser};
use uplift_app::{AppError, settings};
use uplift_domain::access::Role;

use super::layout::{Chrome, chrome, page};
use crate::AppState;
use crate::auth::{Caller, has_lang_param};
use crate::error::{Failure, WebError};
use crate::format::url_encode;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_page))
        .route("/settings/company", post(settings_company))
        .route("/settings/users", post(settings_add_user))
        .route("/settings/users/state", post(settings_user_state))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    message: Option<String>,
    error: Option<String>,
    /// The add-user form as last typed (username, role, employee number, department).
    typed: (String, String, String, String),
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
    /// A refused form's reason: shown as an error, with what was typed (never the password).
    err: Option<String>,
    username: Option<String>,
    role: Option<String>,
    employee_no: Option<String>,
    department: Option<String>,
}

async fn settings_page(
    State(s): State<AppState>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<MessageQuery>,
) -> Result<Response, WebError> {
    c.principal.require(c.principal.role.is_admin())?;
    let l = c.lang;
    let users = access::users(&s.store, &c.principal)
        .await?
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
    let departments = uplift_app::views::departments(&s.store, &c.principal)
        .await?
        .into_iter()
        .map(|d| d.path)
        .collect();
    let t = SettingsPage {
        c: chrome(&c, "settings", &uri.to_string()),
        message: q.msg,
        error: q.err,
        typed: (
            q.username.unwrap_or_default(),
            // The least right by default: an administrator is chosen on purpose, not by accident.
            q.role.unwrap_or_else(|| Role::Employee.as_str().to_string()),
            q.employee_no.unwrap_or_default(),
            q.department.unwrap_or_default(),
        ),
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

/// Back to the settings page with an error and, for the add-user form, what was typed.
fn refused(err: &str, typed: &[(&str, &str)]) -> Response {
    let mut url = format!("/settings?err={}", url_encode(err));
    for (k, v) in typed {
        url.push_str(&format!("&{k}={}", url_encode(v)));
    }
    Redirect::to(&url).into_response()
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
    c.principal.require(c.principal.role.is_admin())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let before_tz = settings::company_tz(&s.store).await?;
    // All or nothing: every field is checked before any is saved.
    if let Err(AppError::Invalid(u)) = settings::parse_company_tz(&f.timezone, l) {
        return Ok(refused(&u.message, &[]));
    }
    if !settings::CURRENCIES.contains(&f.currency.trim().to_ascii_uppercase().as_str()) {
        let msg = format!(
            "{} {:?} ({})",
            l.pick("未知币种", "unknown currency"),
            f.currency,
            settings::CURRENCIES.join(", ")
        );
        return Ok(refused(&msg, &[]));
    }
    let cur = settings::set_company_currency(&s.store, &f.currency).await?;
    let mut msg = format!("{} {cur}", l.pick("币种：", "Currency:"));
    access::audit_by(&s.store, &c.principal, "settings.currency", None, Some(&cur), c.ip()).await?;
    if f.timezone.trim() != before_tz.name() {
        let (tz, months) = uplift_app::metrics::change_timezone(&s.store, f.timezone.trim()).await?;
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
        .await?;
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
    c.principal.require(c.principal.role.is_admin())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    let l = c.lang;
    let role =
        Role::parse(&f.role).ok_or_else(|| WebError::new(Failure::bad(format!("role: {}", f.role), "role"), l))?;
    let typed = [
        ("username", f.username.clone()),
        ("role", f.role.clone()),
        ("employee_no", f.employee_no.clone().unwrap_or_default()),
        ("department", f.department.clone().unwrap_or_default()),
    ];
    let typed: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
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
        Err(AppError::Invalid(u) | AppError::Conflict(u)) => Ok(refused(&u.message, &typed)),
        Err(e) => Err(WebError::from(e)),
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
    c.principal.require(c.principal.role.is_admin())?;
    c.check_csrf(f.csrf.as_deref()).map_err(|x| WebError::new(x, c.lang))?;
    if f.disabled && f.username == c.principal.actor {
        return Ok(back_to_settings(
            c.lang.pick("不能停用自己的账号", "you cannot disable yourself"),
        ));
    }
    access::set_disabled(&s.store, &f.username, f.disabled, &c.principal.actor).await?;
    Ok(back_to_settings(&f.username))
}
