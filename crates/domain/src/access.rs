//! Who may see what: roles and the scope of people a caller's reads are limited to.

use serde::{Deserialize, Serialize};

/// A user's role. Each role implies a default scope of people (see [`Role::people_scope_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the system: users, settings, imports; sees everything.
    Admin,
    /// HR business partner: all people data.
    Hr,
    /// Payroll staff: pay data of everyone.
    Payroll,
    /// Sales director: all business data of their departments.
    Director,
    /// Team lead: their team (everyone who reports to them, directly or not) and themselves.
    Manager,
    /// A rep: only themselves.
    Employee,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Hr,
        Role::Payroll,
        Role::Director,
        Role::Manager,
        Role::Employee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Hr => "hr",
            Role::Payroll => "payroll",
            Role::Director => "director",
            Role::Manager => "manager",
            Role::Employee => "employee",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Hr => "HRBP",
            Role::Payroll => "薪酬专员",
            Role::Director => "销售总监",
            Role::Manager => "团队经理",
            Role::Employee => "员工",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Hr => "HR partner",
            Role::Payroll => "Payroll",
            Role::Director => "Sales director",
            Role::Manager => "Team manager",
            Role::Employee => "Employee",
        }
    }

    /// Whether this role must be bound to an employee record (its scope is defined by one).
    pub fn needs_employee(self) -> bool {
        matches!(self, Role::Manager | Role::Employee)
    }

    /// Whether the role may change data: imports, settings, users.
    pub fn may_import(self) -> bool {
        matches!(self, Role::Admin | Role::Hr)
    }

    /// Whether the role administers accounts and settings.
    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }

    /// Whether the role may read the audit log.
    pub fn may_read_audit(self) -> bool {
        matches!(self, Role::Admin | Role::Hr)
    }

    /// Whether the role may read appraisal results (sensitive) of people in its scope.
    /// Everyone may read their own.
    pub fn may_read_appraisals(self) -> bool {
        matches!(self, Role::Admin | Role::Hr | Role::Director | Role::Manager)
    }

    /// Whether the role leads or supports other people (everyone but reps): the menu offers them
    /// the team page. A rep may still open it; it lists only themselves.
    pub fn leads_or_supports_people(self) -> bool {
        self != Role::Employee
    }

    /// Whether the role sees forecasts, alerts and the backtest of its scope: everyone who leads
    /// or supports people; reps do not.
    pub fn may_forecast(self) -> bool {
        self != Role::Employee
    }

    /// Whether the role sees the first-contact and cadence (SLA) board of its scope: everyone who
    /// leads people. Not payroll, not reps.
    pub fn may_see_sla_board(self) -> bool {
        !matches!(self, Role::Employee | Role::Payroll)
    }

    /// Whether the role sees the lead routing page (the rules and the recent assignments of its
    /// scope): admins and sales directors.
    pub fn may_see_lead_routing(self) -> bool {
        matches!(self, Role::Admin | Role::Director)
    }

    /// Whether the role may route leads in real time (`/api/v1/leads/route`, the lead webhook):
    /// routing hands leads across every team, so admins (and their integration tokens) only.
    pub fn may_route_leads(self) -> bool {
        self == Role::Admin
    }

    /// Whether the role may change the first-contact SLA and the follow-up cadence rules, which
    /// hold for every team: admins only.
    pub fn may_set_lead_rules(self) -> bool {
        self == Role::Admin
    }

    /// Whether the role sees the routing simulator and the model's calibration, company-wide
    /// figures over every team's leads and outcomes: admins only.
    pub fn may_simulate_routing(self) -> bool {
        self == Role::Admin
    }

    /// Whether the role may evaluate (and so save for everyone) or delete an intervention's
    /// effect evaluation: admins, HR and sales directors; not payroll, not line managers or reps.
    pub fn may_evaluate_interventions(self) -> bool {
        matches!(self, Role::Admin | Role::Hr | Role::Director)
    }

    /// Whether the role may import and change commission plans: payroll, HR and admins.
    pub fn may_edit_commission_plans(self) -> bool {
        matches!(self, Role::Admin | Role::Hr | Role::Payroll)
    }

    /// Whether the role may read the commission plans: those who edit them and sales directors.
    pub fn may_read_commission_plans(self) -> bool {
        matches!(self, Role::Admin | Role::Hr | Role::Payroll | Role::Director)
    }

    /// Whether the role may run a period's commission draft: payroll, HR and admins.
    pub fn may_run_commissions(self) -> bool {
        matches!(self, Role::Admin | Role::Hr | Role::Payroll)
    }

    /// Whether the role may lock a period (freezing what is paid): payroll and admins.
    pub fn may_lock_commissions(self) -> bool {
        matches!(self, Role::Admin | Role::Payroll)
    }

    /// Whether the role runs payroll and reads everyone's pay: payroll, HR, and admins (the
    /// operator at the terminal). Managers and directors never see individual pay.
    pub fn may_run_payroll(self) -> bool {
        matches!(self, Role::Admin | Role::Hr | Role::Payroll)
    }

    /// Whether the role may lock a payroll month (what is paid is then final): payroll and admins.
    pub fn may_lock_payroll(self) -> bool {
        matches!(self, Role::Admin | Role::Payroll)
    }
}

/// The people a caller's reads are limited to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    /// Everyone.
    #[default]
    All,
    /// Everyone in these departments or below them (paths such as `销售中心/华东`).
    Departments(Vec<String>),
    /// Exactly these employees (by employee number). Empty means nobody.
    Employees(Vec<String>),
}

impl Scope {
    /// Whether a person with this number and department path is inside the scope.
    pub fn contains(&self, employee_no: &str, department: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Departments(paths) => department.is_some_and(|d| paths.iter().any(|p| path_within(d, p))),
            Scope::Employees(nos) => nos.iter().any(|n| n == employee_no),
        }
    }

    /// Whether a department (and so its roll-up) is wholly inside the scope.
    pub fn covers_department(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Departments(paths) => paths.iter().any(|p| path_within(path, p)),
            Scope::Employees(_) => false,
        }
    }
}

/// `销售中心/华东/一组` is within `销售中心/华东` and within itself, not within `销售中心/华`.
pub fn path_within(path: &str, ancestor: &str) -> bool {
    path == ancestor
        || (path.len() > ancestor.len() && path.starts_with(ancestor) && path.as_bytes()[ancestor.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_scope_is_a_path_prefix_not_a_string_prefix() {
        let s = Scope::Departments(vec!["销售中心/华东".into()]);
        assert!(s.contains("E1", Some("销售中心/华东")));
        assert!(s.contains("E1", Some("销售中心/华东/一组")));
        assert!(!s.contains("E1", Some("销售中心/华东区")));
        assert!(!s.contains("E1", Some("销售中心")));
        assert!(!s.contains("E1", None));
        assert!(s.covers_department("销售中心/华东/一组"));
        assert!(!s.covers_department("销售中心"));
    }

    #[test]
    fn employee_scope_is_exact() {
        let s = Scope::Employees(vec!["E001".into()]);
        assert!(s.contains("E001", Some("x")));
        assert!(!s.contains("E0011", Some("x")));
        assert!(!Scope::Employees(vec![]).contains("E001", None));
        assert!(!s.covers_department("x"));
    }

    /// Every right of every role, pinned: changing who may do what must be deliberate, so it
    /// means changing this table too.
    #[test]
    fn rights_by_role() {
        const Y: bool = true;
        const N: bool = false;
        type Right = (&'static str, fn(Role) -> bool, [bool; 6]);
        // Columns in the order of `Role::ALL`: admin, hr, payroll, director, manager, employee.
        let table: [Right; 17] = [
            ("needs_employee", Role::needs_employee, [N, N, N, N, Y, Y]),
            ("may_import", Role::may_import, [Y, Y, N, N, N, N]),
            ("is_admin", Role::is_admin, [Y, N, N, N, N, N]),
            ("may_read_audit", Role::may_read_audit, [Y, Y, N, N, N, N]),
            ("may_read_appraisals", Role::may_read_appraisals, [Y, Y, N, Y, Y, N]),
            (
                "leads_or_supports_people",
                Role::leads_or_supports_people,
                [Y, Y, Y, Y, Y, N],
            ),
            ("may_forecast", Role::may_forecast, [Y, Y, Y, Y, Y, N]),
            ("may_see_sla_board", Role::may_see_sla_board, [Y, Y, N, Y, Y, N]),
            ("may_see_lead_routing", Role::may_see_lead_routing, [Y, N, N, Y, N, N]),
            ("may_route_leads", Role::may_route_leads, [Y, N, N, N, N, N]),
            ("may_set_lead_rules", Role::may_set_lead_rules, [Y, N, N, N, N, N]),
            ("may_simulate_routing", Role::may_simulate_routing, [Y, N, N, N, N, N]),
            (
                "may_evaluate_interventions",
                Role::may_evaluate_interventions,
                [Y, Y, N, Y, N, N],
            ),
            (
                "may_edit_commission_plans",
                Role::may_edit_commission_plans,
                [Y, Y, Y, N, N, N],
            ),
            (
                "may_read_commission_plans",
                Role::may_read_commission_plans,
                [Y, Y, Y, Y, N, N],
            ),
            ("may_run_commissions", Role::may_run_commissions, [Y, Y, Y, N, N, N]),
            ("may_lock_commissions", Role::may_lock_commissions, [Y, N, Y, N, N, N]),
        ];
        let mut changed = Vec::new();
        for (name, right, pinned) in table {
            for (role, want) in Role::ALL.into_iter().zip(pinned) {
                if right(role) != want {
                    changed.push(format!("{name}({}) is {}, pinned {want}", role.as_str(), right(role)));
                }
            }
        }
        assert!(changed.is_empty(), "rights changed:\n{}", changed.join("\n"));
    }

    #[test]
    fn roles_parse_and_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse(" Manager "), Some(Role::Manager));
        assert_eq!(Role::parse("boss"), None);
    }
}
