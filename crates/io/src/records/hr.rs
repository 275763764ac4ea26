//! HR rows (roster, targets, courses, enrollments, appraisals, capacities, leave) to records.

use std::collections::BTreeMap;

use super::{Cells, checked_department};
use crate::error::{Issue, Problem};
use uplift_domain::Month;
use uplift_domain::records::*;

pub(super) fn roster(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let hire_date = {
            let v = c.date("hire_date")?;
            c.required("hire_date", v)?
        };
        let leave_date = c.date("leave_date")?;
        if leave_date.is_some_and(|l| l < hire_date) {
            return Err(c.issue("leave_date", Problem::LeaveBeforeHire));
        }
        let role_family = match c.opt("role_family") {
            None => None,
            Some(r) => Some(parse_role_family(&r).ok_or_else(|| {
                c.issue(
                    "role_family",
                    Problem::BadValue {
                        field: "role_family".into(),
                        value: r.clone(),
                        expected: "sales, customer_success, bd, other (销售, 客户成功, 商务拓展, 其他)".into(),
                    },
                )
            })?),
        };
        let mut attributes = BTreeMap::new();
        for (i, name) in &c.map.attribute_columns {
            if let Some(v) = c.row.cells.get(*i).map(str::trim).filter(|v| !v.is_empty()) {
                attributes.insert(name.clone(), v.to_string());
            }
        }
        Record::Employee(Employee {
            employee_no: c.req("employee_no")?,
            name: c.req("name")?,
            department: match c.opt("department") {
                Some(d) => Some(checked_department(&d).map_err(|rule| {
                    c.issue(
                        "department",
                        Problem::BadDepartment {
                            field: "department".into(),
                            value: d.clone(),
                            rule,
                        },
                    )
                })?),
                None => None,
            },
            position: c.opt("position"),
            role_family,
            hire_date,
            leave_date,
            manager_no: c.opt("manager_no"),
            email: c.opt("email").map(|e| e.to_lowercase()),
            mobile: c.opt("mobile"),
            city: c.opt("city"),
            crm_user_id: c.opt("crm_user_id"),
            industry_experience: c.opt("industry_experience"),
            birth_date: c.date("birth_date")?,
            gender: c.opt("gender"),
            attributes,
        })
    };
    Ok(record)
}

pub(super) fn target(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let month = c.req("month")?;
        let month = Month::parse(&month).map_err(|_| {
            c.issue(
                "month",
                Problem::BadMonth {
                    field: "month".into(),
                    value: month.clone(),
                },
            )
        })?;
        Record::Target(Target {
            employee_no: c.req("employee_no")?,
            month,
            amount: {
                let v = c.amount("target_amount")?;
                c.required("target_amount", v)?
            },
        })
    };
    Ok(record)
}

pub(super) fn course(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::Course(Course {
        course_id: c.req("course_id")?,
        name: c.req("course_name")?,
        skills: c
            .opt("skill")
            .map(|s| {
                s.split([';', '；', ',', '，'])
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        format: c.opt("format"),
        hours: c.number("hours")?,
    }))
}

pub(super) fn enrollment(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let assigned_date = {
            let v = c.date("assigned_date")?;
            c.required("assigned_date", v)?
        };
        let completed_date = c.date("completed_date")?;
        Record::Enrollment(Enrollment {
            employee_no: c.req("employee_no")?,
            course_id: c.req("course_id")?,
            assigned_date,
            completed_date,
            score: c.number("score")?,
        })
    };
    Ok(record)
}

pub(super) fn appraisal(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let written = c.req("period")?;
        let period_end = appraisal_period_end(&written).zip(canonical_period(&written));
        let (period_end, period) = period_end.ok_or_else(|| {
            c.issue(
                "period",
                Problem::BadPeriod {
                    field: "period".into(),
                    value: written.clone(),
                },
            )
        })?;
        Record::Appraisal(Appraisal {
            employee_no: c.req("employee_no")?,
            period,
            period_end,
            score: {
                let v = c.number("score")?;
                c.required("score", v)?
            },
            grade: c.opt("grade"),
            reviewer_no: c.opt("reviewer_no"),
        })
    };
    Ok(record)
}

pub(super) fn capacity(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let max = {
            let v = c.int("max_leads_per_month")?;
            c.required("max_leads_per_month", v)?
        };
        if max < 0 {
            return Err(c.issue(
                "max_leads_per_month",
                Problem::BadValue {
                    field: "max_leads_per_month".into(),
                    value: max.to_string(),
                    expected: "≥ 0".into(),
                },
            ));
        }
        Record::Capacity(Capacity {
            employee_no: c.req("employee_no")?,
            max_leads_per_month: max,
        })
    };
    Ok(record)
}

pub(super) fn leave(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let start = {
            let v = c.date("start_date")?;
            c.required("start_date", v)?
        };
        let end = {
            let v = c.date("end_date")?;
            c.required("end_date", v)?
        };
        if end < start {
            return Err(c.issue(
                "end_date",
                Problem::BadValue {
                    field: "end_date".into(),
                    value: end.to_string(),
                    expected: format!("≥ {start}"),
                },
            ));
        }
        Record::Leave(Leave {
            employee_no: c.req("employee_no")?,
            start_date: start,
            end_date: end,
            leave_type: c.opt("leave_type"),
        })
    };
    Ok(record)
}

/// `sales`, `customer_success`, `bd`, `other`, or their Chinese names.
pub fn parse_role_family(s: &str) -> Option<String> {
    let v = match s.trim().to_lowercase().as_str() {
        "sales" | "销售" => "sales",
        "customer_success" | "customer success" | "cs" | "客户成功" => "customer_success",
        "bd" | "business development" | "商务拓展" | "商务" => "bd",
        "other" | "其他" => "other",
        _ => return None,
    };
    Some(v.to_string())
}
