//! The caller (`/api/v1/me`), employees and departments.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uplift_app::store::EmployeeRecord;
use uplift_app::views;
use utoipa::{IntoParams, ToSchema};

use super::params::{ApiResult, P, Paging, Q, bad, page_type};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ErrorBody;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/employees", get(list_employees))
        .route("/api/v1/employees/{employee_no}", get(get_employee))
        .route("/api/v1/departments", get(list_departments))
}

/// The caller as the API sees them.
#[derive(Serialize, ToSchema)]
pub struct Me {
    actor: String,
    role: String,
    employee_no: Option<String>,
    /// `all`, `departments` or `employees`.
    scope: String,
    /// The departments or employees of the scope.
    scope_members: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(c: Caller) -> ApiResult<Me> {
    use uplift_domain::access::Scope;
    let (scope, members) = match &c.principal.scope {
        Scope::All => ("all", Vec::new()),
        Scope::Departments(d) => ("departments", d.clone()),
        Scope::Employees(e) => ("employees", e.clone()),
    };
    Ok(Json(Me {
        actor: c.principal.actor.clone(),
        role: c.principal.role.as_str().into(),
        employee_no: c.principal.employee_no.clone(),
        scope: scope.into(),
        scope_members: members,
    }))
}

/// An employee's HR record.
#[derive(Serialize, ToSchema)]
pub struct Employee {
    employee_no: String,
    name: String,
    department: Option<String>,
    position: Option<String>,
    role_family: Option<String>,
    /// `YYYY-MM-DD`.
    hire_date: String,
    leave_date: Option<String>,
    manager_no: Option<String>,
    manager_name: Option<String>,
    email: Option<String>,
    city: Option<String>,
}

impl From<EmployeeRecord> for Employee {
    fn from(r: EmployeeRecord) -> Self {
        Employee {
            employee_no: r.employee_no,
            name: r.name,
            department: r.department,
            position: r.position,
            role_family: r.role_family,
            hire_date: r.hire_date,
            leave_date: r.leave_date,
            manager_no: r.manager_no,
            manager_name: r.manager_name,
            email: r.email,
            city: r.city,
        }
    }
}

page_type!(EmployeePage, Employee);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeQuery {
    /// A department path; its sub-departments are included.
    department: Option<String>,
    /// An employee number, or part of a name.
    q: Option<String>,
    /// Only people employed on this day (`YYYY-MM-DD`).
    active_on: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/employees", params(EmployeeQuery, Paging),
    responses((status = 200, body = EmployeePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_employees(
    State(s): State<AppState>,
    c: Caller,
    Q(q): Q<EmployeeQuery>,
    Q(p): Q<Paging>,
) -> ApiResult<EmployeePage> {
    let (page, per, offset) = p.limits()?;
    if let Some(d) = &q.active_on
        && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        return Err(bad("active_on must be a date like 2026-08-31", "active_on"));
    }
    let query = views::EmployeeQuery {
        department: q.department,
        text: q.q,
        active_on: q.active_on,
        limit: per,
        offset,
    };
    let (rows, total) = views::employees(&s.store, &c.principal, &query).await?;
    Ok(Json(EmployeePage {
        data: rows.into_iter().map(Employee::from).collect(),
        page,
        per_page: per,
        total,
    }))
}

#[utoipa::path(get, path = "/api/v1/employees/{employee_no}", params(("employee_no" = String, Path, description = "工号")),
    responses((status = 200, body = Employee), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_employee(State(s): State<AppState>, c: Caller, P(no): P<String>) -> ApiResult<Employee> {
    let r = views::employee(&s.store, &c.principal, &no).await?;
    Ok(Json(r.into()))
}

/// A department of the tree.
#[derive(Serialize, ToSchema)]
pub struct Department {
    path: String,
    name: String,
    parent: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/departments", responses((status = 200, body = Vec<Department>), (status = 401, body = ErrorBody)))]
async fn list_departments(State(s): State<AppState>, c: Caller) -> ApiResult<Vec<Department>> {
    let visible = views::departments(&s.store, &c.principal).await?;
    Ok(Json(
        visible
            .into_iter()
            .map(|d| Department {
                parent: d.path.rsplit_once('/').map(|(p, _)| p.to_string()),
                path: d.path,
                name: d.name,
            })
            .collect(),
    ))
}
