//! Turning one row into one domain record, with a located [`Issue`] for the first bad cell.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

use crate::columns::ColumnMap;
use crate::error::{Issue, Problem};
use crate::source::RawRow;
use crate::values;
use uplift_domain::records::*;
use uplift_domain::{Money, Month};

/// What parsing needs besides the row: the company time zone for date-times without an offset.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext {
    pub tz: Tz,
}

struct Cells<'a> {
    map: &'a ColumnMap,
    row: &'a RawRow,
    ctx: ParseContext,
}

impl<'a> Cells<'a> {
    fn issue(&self, field: &str, mut problem: Problem) -> Issue {
        let column = self.map.column_of(self.row, field);
        if let Some(header) = column
            .and_then(|c| c.checked_sub(1))
            .and_then(|i| self.map.headers.get(i))
        {
            problem.name_field_as(header);
        }
        Issue {
            file: self.map.file.clone(),
            line: Some(self.row.line),
            column,
            problem,
        }
    }

    fn opt(&self, field: &str) -> Option<String> {
        let v = self.map.get(self.row, field)?;
        Some(if ID_FIELDS.contains(&field) {
            normalise_id(&v)
        } else {
            v.into_owned()
        })
    }

    /// Refuses ids too long to be ids before anything is built from them.
    fn check_ids(&self) -> Result<(), Issue> {
        for field in ID_FIELDS {
            if let Some(v) = self.map.get(self.row, field)
                && v.chars().count() > MAX_ID_CHARS
            {
                return Err(self.issue(
                    field,
                    Problem::IdTooLong {
                        field: field.to_string(),
                        max: MAX_ID_CHARS,
                    },
                ));
            }
        }
        Ok(())
    }

    fn req(&self, field: &str) -> Result<String, Issue> {
        self.opt(field)
            .ok_or_else(|| self.issue(field, Problem::Empty { field: field.into() }))
    }

    fn parsed<T>(
        &self,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
        bad: fn(String, String) -> Problem,
    ) -> Result<Option<T>, Issue> {
        match self.map.get(self.row, field) {
            None => Ok(None),
            Some(v) => parse(&v)
                .map(Some)
                .ok_or_else(|| self.issue(field, bad(field.into(), v.into_owned()))),
        }
    }

    fn date(&self, field: &str) -> Result<Option<NaiveDate>, Issue> {
        self.parsed(
            field,
            |v| values::parse_date(v, &self.map.date_formats),
            |field, value| Problem::BadDate { field, value },
        )
    }

    fn datetime(&self, field: &str) -> Result<Option<DateTime<Utc>>, Issue> {
        self.parsed(
            field,
            |v| values::parse_datetime(v, self.ctx.tz, &self.map.datetime_formats),
            |field, value| Problem::BadDateTime { field, value },
        )
    }

    fn boolean(&self, field: &str) -> Result<Option<bool>, Issue> {
        self.parsed(field, values::parse_bool, |field, value| Problem::BadBool {
            field,
            value,
        })
    }

    fn amount(&self, field: &str) -> Result<Option<Money>, Issue> {
        self.parsed(field, values::parse_amount, |field, value| Problem::BadAmount {
            field,
            value,
        })
    }

    fn number(&self, field: &str) -> Result<Option<f64>, Issue> {
        self.parsed(field, values::parse_number, |field, value| Problem::BadNumber {
            field,
            value,
        })
    }

    fn int(&self, field: &str) -> Result<Option<i64>, Issue> {
        self.parsed(field, values::parse_int, |field, value| Problem::BadNumber {
            field,
            value,
        })
    }

    fn required<T>(&self, field: &str, v: Option<T>) -> Result<T, Issue> {
        v.ok_or_else(|| self.issue(field, Problem::Empty { field: field.into() }))
    }
}

/// Parses one row of `map.kind`. The first bad cell is reported.
pub fn parse_record(map: &ColumnMap, row: &RawRow, ctx: ParseContext) -> Result<Record, Issue> {
    let c = Cells { map, row, ctx };
    let n = map.headers.len();
    if row.cells.len() != n && (row.cells.len() < n || row.cells.iter().skip(n).any(|x| !x.trim().is_empty())) {
        return Err(Issue {
            file: map.file.clone(),
            line: Some(row.line),
            column: None,
            problem: Problem::RaggedRow {
                expected: n,
                found: row.cells.len(),
            },
        });
    }
    c.check_ids()?;
    match map.kind {
        ImportKind::User => user(&c),
        ImportKind::Account => account(&c),
        ImportKind::Lead => lead(&c),
        ImportKind::Opportunity => opportunity(&c),
        ImportKind::Task => task(&c),
        ImportKind::Event => event(&c),
        ImportKind::Roster => roster(&c),
        ImportKind::Target => target(&c),
        ImportKind::Course => course(&c),
        ImportKind::Enrollment => enrollment(&c),
        ImportKind::Appraisal => appraisal(&c),
        ImportKind::Capacity => capacity(&c),
        ImportKind::Leave => leave(&c),
        ImportKind::NewLead => new_lead(&c),
    }
}

fn user(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::User(CrmUser {
        source_id: c.req("Id")?,
        name: c.req("Name")?,
        email: c.opt("Email").map(|e| e.to_lowercase()),
        is_active: c.boolean("IsActive")?.unwrap_or(true),
        role_id: c.opt("UserRoleId"),
        manager_id: c.opt("ManagerId"),
    }))
}

fn account(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::Account(Account {
        source_id: c.req("Id")?,
        name: c.req("Name")?,
        industry: c.opt("Industry"),
        owner_id: c.opt("OwnerId"),
        created_at: c.datetime("CreatedDate")?,
    }))
}

fn lead(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let name = match (c.opt("LastName"), c.opt("FirstName")) {
            (Some(l), Some(f)) => Some(format!("{l}{f}")),
            (l, f) => l.or(f),
        };
        let is_converted = match c.boolean("IsConverted")? {
            Some(b) => b,
            None => c.opt("ConvertedDate").is_some() || c.opt("ConvertedOpportunityId").is_some(),
        };
        Record::Lead(Lead {
            source_id: c.req("Id")?,
            owner_id: c.req("OwnerId")?,
            created_at: {
                let v = c.datetime("CreatedDate")?;
                c.required("CreatedDate", v)?
            },
            lead_source: c.opt("LeadSource"),
            industry: c.opt("Industry"),
            status: c.opt("Status"),
            rating: c.opt("Rating"),
            is_converted,
            converted_date: c.date("ConvertedDate")?,
            converted_opportunity_id: c.opt("ConvertedOpportunityId"),
            converted_account_id: c.opt("ConvertedAccountId"),
            company: c.opt("Company"),
            name,
            city: c.opt("City"),
            annual_revenue: c.amount("AnnualRevenue")?,
            number_of_employees: c.int("NumberOfEmployees")?,
        })
    };
    Ok(record)
}

fn opportunity(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let stage_name = c.req("StageName")?;
        let by_stage = DealState::from_stage_name(&stage_name);
        let state = match (c.boolean("IsClosed")?, c.boolean("IsWon")?) {
            (Some(false), _) => DealState::Open,
            (Some(true), Some(true)) => DealState::Won,
            (Some(true), Some(false)) => DealState::Lost,
            (Some(true), None) => {
                if by_stage == DealState::Won {
                    DealState::Won
                } else {
                    DealState::Lost
                }
            }
            (None, Some(true)) => DealState::Won,
            (None, Some(false)) => {
                if by_stage == DealState::Won {
                    DealState::Open
                } else {
                    by_stage
                }
            }
            (None, None) => by_stage,
        };
        let probability = c.number("Probability")?;
        if let Some(p) = probability
            && !(0.0..=100.0).contains(&p)
        {
            return Err(c.issue(
                "Probability",
                Problem::BadValue {
                    field: "Probability".into(),
                    value: p.to_string(),
                    expected: "0–100".into(),
                },
            ));
        }
        Record::Opportunity(Opportunity {
            source_id: c.req("Id")?,
            owner_id: c.req("OwnerId")?,
            close_date: {
                let v = c.date("CloseDate")?;
                c.required("CloseDate", v)?
            },
            stage_name,
            amount: c.amount("Amount")?,
            currency: c
                .opt("CurrencyIsoCode")
                .map(|s| s.to_ascii_uppercase())
                .unwrap_or_else(|| "CNY".into()),
            state,
            probability,
            account_id: c.opt("AccountId"),
            created_at: c.datetime("CreatedDate")?,
            lead_source: c.opt("LeadSource"),
            opportunity_type: c.opt("Type"),
            name: c.opt("Name"),
        })
    };
    Ok(record)
}

fn task(c: &Cells<'_>) -> Result<Record, Issue> {
    let record = {
        let status = c.opt("Status");
        let completed = status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("completed") || s == "已完成");
        let created = {
            let v = c.datetime("CreatedDate")?;
            c.required("CreatedDate", v)?
        };
        let at = c.datetime("CompletedDateTime")?.unwrap_or(created);
        Record::Activity(Activity {
            source_id: c.req("Id")?,
            kind: ActivityKind::Task,
            owner_id: c.req("OwnerId")?,
            who_id: c.opt("WhoId"),
            what_id: c.opt("WhatId"),
            subject: c.opt("Subject"),
            subtype: c.opt("TaskSubtype").or_else(|| c.opt("Type")),
            status,
            at,
            is_followup: completed,
            call_seconds: c.int("CallDurationInSeconds")?,
        })
    };
    Ok(record)
}

fn event(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::Activity(Activity {
        source_id: c.req("Id")?,
        kind: ActivityKind::Event,
        owner_id: c.req("OwnerId")?,
        who_id: c.opt("WhoId"),
        what_id: c.opt("WhatId"),
        subject: c.opt("Subject"),
        subtype: c.opt("Type"),
        status: None,
        at: {
            let v = c.datetime("StartDateTime")?;
            c.required("StartDateTime", v)?
        },
        is_followup: true,
        call_seconds: None,
    }))
}

fn roster(c: &Cells<'_>) -> Result<Record, Issue> {
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

fn target(c: &Cells<'_>) -> Result<Record, Issue> {
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

fn course(c: &Cells<'_>) -> Result<Record, Issue> {
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

fn enrollment(c: &Cells<'_>) -> Result<Record, Issue> {
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

fn appraisal(c: &Cells<'_>) -> Result<Record, Issue> {
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

fn capacity(c: &Cells<'_>) -> Result<Record, Issue> {
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

fn leave(c: &Cells<'_>) -> Result<Record, Issue> {
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

fn new_lead(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::NewLead(NewLead {
        source_id: c.req("Id")?,
        lead_source: c.opt("LeadSource"),
        industry: c.opt("Industry"),
        rating: c.opt("Rating"),
        company: c.opt("Company"),
        city: c.opt("City"),
        number_of_employees: c.int("NumberOfEmployees")?,
    }))
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

/// The fields that hold ids: employee numbers, CRM record ids, course ids.
const ID_FIELDS: [&str; 12] = [
    "Id",
    "employee_no",
    "OwnerId",
    "course_id",
    "WhoId",
    "WhatId",
    "ConvertedOpportunityId",
    "reviewer_no",
    "manager_no",
    "crm_user_id",
    "ManagerId",
    "AccountId",
];

/// Longest id accepted, in characters (Salesforce ids have 18; employee numbers far fewer).
pub const MAX_ID_CHARS: usize = 64;

/// An id as compared and stored: NFKC (full-width `Ｅ１００２` is `E1002`) without invisible
/// characters (zero-width spaces, joiners, BOMs, soft hyphens), which would otherwise make a second,
/// look-alike employee or lead.
pub fn normalise_id(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkc()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}'))
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Most levels a department path may have: real organisations have fewer than ten, and every
/// level is a row, a roll-up and a line on the team page.
pub const MAX_DEPARTMENT_DEPTH: usize = 12;
/// Longest name of one department level, in characters.
pub const MAX_DEPARTMENT_NAME: usize = 64;

/// A department path as stored (see [`normalise_department`]), or why it cannot be one.
pub fn checked_department(s: &str) -> Result<String, crate::error::DepartmentRule> {
    use crate::error::DepartmentRule;
    let path = normalise_department(s);
    if path.is_empty() {
        return Err(DepartmentRule::NoName);
    }
    let levels: Vec<&str> = path.split('/').collect();
    if levels.iter().any(|l| *l == "." || *l == "..") {
        return Err(DepartmentRule::DotLevel);
    }
    if levels.len() > MAX_DEPARTMENT_DEPTH {
        return Err(DepartmentRule::TooDeep(MAX_DEPARTMENT_DEPTH));
    }
    if levels.iter().any(|l| l.chars().count() > MAX_DEPARTMENT_NAME) {
        return Err(DepartmentRule::NameTooLong(MAX_DEPARTMENT_NAME));
    }
    Ok(path)
}

/// Department paths use `/`; `>` and `＞` and `\` are accepted as separators too.
pub fn normalise_department(s: &str) -> String {
    s.split(['/', '>', '＞', '\\', '／'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {

    #[test]
    fn ids_are_normalised_and_bounded() {
        assert_eq!(normalise_id("E1002\u{200B}"), "E1002");
        assert_eq!(normalise_id("\u{FEFF}Ｅ１００２ "), "E1002");
        assert_eq!(normalise_id("00Q\u{00AD}1"), "00Q1");
        assert_eq!(normalise_id("E1002"), "E1002");
    }

    use super::*;

    #[test]
    fn department_paths_are_checked() {
        use crate::error::DepartmentRule::*;
        assert_eq!(checked_department(" 销售中心 / 华东 ").as_deref(), Ok("销售中心/华东"));
        assert_eq!(checked_department("///"), Err(NoName));
        assert_eq!(checked_department("../../etc/passwd"), Err(DotLevel));
        assert_eq!(
            checked_department(&"a/".repeat(2000)),
            Err(TooDeep(MAX_DEPARTMENT_DEPTH))
        );
        assert_eq!(
            checked_department(&"部".repeat(65)),
            Err(NameTooLong(MAX_DEPARTMENT_NAME))
        );
        assert!(checked_department(&"部".repeat(64)).is_ok());
        assert!(checked_department(&["a"; MAX_DEPARTMENT_DEPTH].join("/")).is_ok());
    }
}
