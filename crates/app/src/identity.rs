//! Linking CRM users to employees, as the import contract says: the roster's `crm_user_id`; else
//! the same email (case-insensitive); else a unique exact name match, reported as a warning.

use std::collections::HashMap;

use uplift_store::{EmployeeKey, LinkCandidate, Store};

use crate::AppError;

/// How a CRM user was linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMethod {
    CrmUserId,
    Email,
    Name,
}

impl LinkMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkMethod::CrmUserId => "crm_user_id",
            LinkMethod::Email => "email",
            LinkMethod::Name => "name",
        }
    }
}

/// The result of matching.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkReport {
    /// (CRM user row id, employee id, method) for every CRM user.
    pub links: Vec<(i64, Option<i64>, Option<LinkMethod>)>,
    /// CRM users linked by name only: (CRM user id, employee number).
    pub name_matches: Vec<(String, String)>,
    /// CRM user ids with no employee.
    pub unmatched_crm_users: Vec<String>,
    /// Employee numbers with no CRM user.
    pub employees_without_crm_user: Vec<String>,
}

/// Matches CRM users to employees. Pure: no I/O.
pub fn match_identities(users: &[LinkCandidate], employees: &[EmployeeKey]) -> LinkReport {
    let by_crm: HashMap<&str, i64> = employees
        .iter()
        .filter_map(|e| e.crm_user_id.as_deref().map(|c| (c, e.id)))
        .collect();
    let mut by_email: HashMap<String, Vec<i64>> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<i64>> = HashMap::new();
    for e in employees {
        if let Some(m) = &e.email {
            by_email.entry(m.trim().to_lowercase()).or_default().push(e.id);
        }
        by_name.entry(e.name.trim()).or_default().push(e.id);
    }
    let no_of: HashMap<i64, &str> = employees.iter().map(|e| (e.id, e.employee_no.as_str())).collect();
    let mut report = LinkReport::default();
    let mut linked = std::collections::HashSet::new();
    for u in users {
        let found = by_crm
            .get(u.source_id.as_str())
            .map(|id| (*id, LinkMethod::CrmUserId))
            .or_else(|| {
                let email = u.email.as_deref()?.trim().to_lowercase();
                match by_email.get(&email).map(Vec::as_slice) {
                    Some([one]) => Some((*one, LinkMethod::Email)),
                    _ => None,
                }
            })
            .or_else(|| match by_name.get(u.name.trim()).map(Vec::as_slice) {
                Some([one]) => Some((*one, LinkMethod::Name)),
                _ => None,
            });
        match found {
            Some((emp, how)) => {
                linked.insert(emp);
                if how == LinkMethod::Name {
                    report.name_matches.push((u.source_id.clone(), no_of[&emp].to_string()));
                }
                report.links.push((u.id, Some(emp), Some(how)));
            }
            None => {
                report.unmatched_crm_users.push(u.source_id.clone());
                report.links.push((u.id, None, None));
            }
        }
    }
    report.employees_without_crm_user = employees
        .iter()
        .filter(|e| !linked.contains(&e.id))
        .map(|e| e.employee_no.clone())
        .collect();
    report
}

/// Re-links every CRM user and stores the links.
pub async fn relink(store: &Store) -> Result<LinkReport, AppError> {
    let users = store.link_candidates().await?;
    let employees = store.employee_keys().await?;
    let report = match_identities(&users, &employees);
    let before: HashMap<i64, &LinkCandidate> = users.iter().map(|u| (u.id, u)).collect();
    let changed: Vec<(i64, Option<i64>, Option<String>)> = report
        .links
        .iter()
        .filter(|(id, emp, how)| {
            before
                .get(id)
                .copied()
                .is_none_or(|u| u.employee_id != *emp || u.match_method.as_deref() != how.map(LinkMethod::as_str))
        })
        .map(|(id, emp, how)| (*id, *emp, how.map(|h| h.as_str().to_string())))
        .collect();
    store.set_links(&changed).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, sid: &str, name: &str, email: Option<&str>) -> LinkCandidate {
        LinkCandidate {
            id,
            source_id: sid.into(),
            name: name.into(),
            email: email.map(Into::into),
            employee_id: None,
            match_method: None,
        }
    }
    fn emp(id: i64, no: &str, name: &str, email: Option<&str>, crm: Option<&str>) -> EmployeeKey {
        EmployeeKey {
            id,
            employee_no: no.into(),
            name: name.into(),
            email: email.map(Into::into),
            crm_user_id: crm.map(Into::into),
            hire_date: "2020-01-01".into(),
        }
    }

    #[test]
    fn crm_id_then_email_then_unique_name() {
        let users = vec![
            user(1, "005A", "张三", Some("x@a.cn")),
            user(2, "005B", "李四", Some("LISI@A.CN")),
            user(3, "005C", "王五", None),
            user(4, "005D", "赵六", None),
            user(5, "005E", "无名", None),
        ];
        let emps = vec![
            emp(10, "E1", "张三", Some("zhang@a.cn"), Some("005A")),
            emp(11, "E2", "李四", Some("lisi@a.cn"), None),
            emp(12, "E3", "王五", None, None),
            emp(13, "E4", "赵六", None, None),
            emp(14, "E5", "赵六", None, None),
            emp(15, "E6", "孤独", None, None),
        ];
        let r = match_identities(&users, &emps);
        assert_eq!(r.links[0], (1, Some(10), Some(LinkMethod::CrmUserId)));
        assert_eq!(r.links[1], (2, Some(11), Some(LinkMethod::Email)));
        assert_eq!(r.links[2], (3, Some(12), Some(LinkMethod::Name)));
        assert_eq!(r.links[3], (4, None, None), "ambiguous name is not matched");
        assert_eq!(r.name_matches, vec![("005C".to_string(), "E3".to_string())]);
        assert_eq!(r.unmatched_crm_users, vec!["005D", "005E"]);
        assert_eq!(r.employees_without_crm_user, vec!["E4", "E5", "E6"]);
    }
}
