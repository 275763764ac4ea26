//! Turning one row into one domain record, with a located [`Issue`] for the first bad cell.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::columns::ColumnMap;
use crate::error::{Issue, Problem};
use crate::source::RawRow;
use crate::values;
use uplift_domain::Money;
use uplift_domain::records::*;

mod crm;
mod hr;
mod payroll;

pub use hr::parse_role_family;

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

    /// A percentage as an exact decimal: `50`, `33.33`, `50%`.
    fn percent(&self, field: &str) -> Result<Option<rust_decimal::Decimal>, Issue> {
        self.parsed(
            field,
            |v| v.trim().trim_end_matches(['%', '％']).trim().parse().ok(),
            |field, value| Problem::BadValue {
                field,
                value,
                expected: "0–100".into(),
            },
        )
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
        ImportKind::User => crm::user(&c),
        ImportKind::Account => crm::account(&c),
        ImportKind::Lead => crm::lead(&c),
        ImportKind::Opportunity => crm::opportunity(&c),
        ImportKind::OpportunitySplit => crm::opportunity_split(&c),
        ImportKind::Payment => crm::payment(&c),
        ImportKind::Task => crm::task(&c),
        ImportKind::Event => crm::event(&c),
        ImportKind::Roster => hr::roster(&c),
        ImportKind::Target => hr::target(&c),
        ImportKind::Course => hr::course(&c),
        ImportKind::Enrollment => hr::enrollment(&c),
        ImportKind::Appraisal => hr::appraisal(&c),
        ImportKind::Capacity => hr::capacity(&c),
        ImportKind::Leave => hr::leave(&c),
        ImportKind::Salary => payroll::salary(&c),
        ImportKind::IitDeduction => payroll::iit_deduction(&c),
        ImportKind::PayInput => payroll::pay_input(&c),
        ImportKind::IitOpening => payroll::iit_opening(&c),
        ImportKind::NewLead => crm::new_lead(&c),
    }
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
mod tests;
