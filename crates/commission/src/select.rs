//! Which plan applies to a person in a period (the contract's "Which plan applies").

use chrono::NaiveDate;

use crate::plan::Plan;

/// Two plans equally specific for one person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plans {first} and {second} both apply to {employee_no} equally")]
pub struct Ambiguous {
    pub employee_no: String,
    pub first: String,
    pub second: String,
}

/// How specifically a plan names a person: by employee number beats any department prefix; a
/// longer prefix (more path segments) beats a shorter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    Department(usize),
    Employee,
}

fn fit(plan: &Plan, employee_no: &str, department: Option<&str>) -> Option<Fit> {
    if plan.employees.iter().any(|e| e == employee_no) {
        return Some(Fit::Employee);
    }
    let dept = department?;
    plan.departments
        .iter()
        .filter(|p| uplift_domain::access::path_within(dept, p))
        .map(|p| Fit::Department(p.split('/').count()))
        .max()
}

/// The plan version in effect on `day` (the period's last day) for a person, `None` when no plan
/// names them. `plans` holds every version of every plan; of one plan id the latest version
/// that has taken effect by `day` is the one in effect.
pub fn plan_for<'a>(
    plans: &'a [Plan],
    employee_no: &str,
    department: Option<&str>,
    day: NaiveDate,
) -> Result<Option<&'a Plan>, Ambiguous> {
    let mut current: Vec<&Plan> = Vec::new();
    for p in plans.iter().filter(|p| p.in_effect(day)) {
        match current.iter_mut().find(|c| c.id == p.id) {
            Some(c) if c.effective_from < p.effective_from => *c = p,
            Some(_) => {}
            None => current.push(p),
        }
    }
    let mut best: Option<(Fit, &Plan)> = None;
    let mut tie: Option<&Plan> = None;
    for p in current {
        let Some(f) = fit(p, employee_no, department) else {
            continue;
        };
        match best {
            Some((b, _)) if f < b => {}
            Some((b, _)) if f == b => tie = Some(p),
            _ => {
                best = Some((f, p));
                tie = None;
            }
        }
    }
    match (best, tie) {
        (Some((_, a)), Some(b)) => {
            let (first, second) = if a.id <= b.id { (a, b) } else { (b, a) };
            Err(Ambiguous {
                employee_no: employee_no.to_string(),
                first: first.id.clone(),
                second: second.id.clone(),
            })
        }
        (best, _) => Ok(best.map(|(_, p)| p)),
    }
}
