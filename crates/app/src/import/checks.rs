//! What every row is checked against before anything is written: the ids and people known so far
//! (the database's and those of earlier files of the same run), Salesforce id prefixes, owners.

// FxHash: these sets hold a million ids on big imports, and SipHash showed in profiles.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use uplift_domain::records::Record;
use uplift_io::Problem;
use uplift_io::mapping::OwnerMatch;
use uplift_store::Store;

use crate::AppError;

/// Reference data rows are checked against, growing as files of the same run are read.
#[derive(Default)]
pub(super) struct Known {
    crm_ids: HashSet<String>,
    crm_by_email: HashMap<String, Vec<String>>,
    crm_by_name: HashMap<String, Vec<String>>,
    /// Employee numbers and their hire dates.
    employees: HashMap<String, Option<chrono::NaiveDate>>,
    courses: HashSet<String>,
    /// Deal ids, read only for runs with payment or split files (a million ids otherwise unused).
    deals: Option<HashSet<String>>,
    /// Payroll policies, read only for runs with declarations (their ceilings are policy data).
    pub(super) payroll_policies: Option<uplift_payroll::PolicySet>,
}

impl Known {
    pub(super) async fn load(store: &Store) -> Result<Known, AppError> {
        let mut k = Known::default();
        for u in store.crm_user_keys().await? {
            k.add_user(&u.source_id, &u.name, u.email.as_deref());
        }
        k.employees = store
            .employee_keys()
            .await?
            .into_iter()
            .map(|e| {
                let hired = chrono::NaiveDate::parse_from_str(&e.hire_date, "%Y-%m-%d").ok();
                (e.employee_no, hired)
            })
            .collect();
        k.courses = store.course_ids().await?.into_iter().collect();
        Ok(k)
    }

    /// Reads the deal ids, for a run whose files refer to deals (payments, splits).
    pub(super) async fn load_deals(&mut self, store: &Store) -> Result<(), AppError> {
        self.deals = Some(store.opportunity_ids().await?.into_iter().collect());
        Ok(())
    }

    fn add_user(&mut self, id: &str, name: &str, email: Option<&str>) {
        self.crm_ids.insert(id.to_string());
        // Re-importing a known user must not make its name or email look ambiguous.
        let add = |list: &mut Vec<String>| {
            if !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
        };
        add(self.crm_by_name.entry(name.trim().to_string()).or_default());
        if let Some(e) = email {
            add(self.crm_by_email.entry(e.trim().to_lowercase()).or_default());
        }
    }

    pub(super) fn learn(&mut self, r: &Record) {
        match r {
            Record::User(u) => self.add_user(&u.source_id, &u.name, u.email.as_deref()),
            Record::Employee(e) => {
                self.employees.insert(e.employee_no.clone(), Some(e.hire_date));
            }
            Record::Course(c) => {
                self.courses.insert(c.course_id.clone());
            }
            Record::Opportunity(o) => {
                if let Some(deals) = &mut self.deals {
                    deals.insert(o.source_id.clone());
                }
            }
            _ => {}
        }
    }

    /// The CRM user id an owner cell names, by the mapping's matching rule.
    fn owner(&self, value: &str, how: OwnerMatch) -> Option<String> {
        let one = |v: Option<&Vec<String>>| match v.map(Vec::as_slice) {
            Some([one]) => Some(one.clone()),
            _ => None,
        };
        match how {
            OwnerMatch::Id => self.crm_ids.contains(value).then(|| value.to_string()),
            OwnerMatch::Email => one(self.crm_by_email.get(&value.trim().to_lowercase())),
            OwnerMatch::Name => one(self.crm_by_name.get(value.trim())),
        }
    }
}

/// Salesforce key prefixes of the objects Uplift imports.
const SF_PREFIXES: [(&str, &str); 6] = [
    ("005", "User"),
    ("001", "Account"),
    ("00Q", "Lead"),
    ("006", "Opportunity"),
    ("00T", "Task"),
    ("00U", "Event"),
];

/// Catches a file of one object imported as another: its ids carry the other object's prefix.
/// Ids that do not look like Salesforce ids (15 or 18 letters and digits) are not judged.
pub(super) fn check_id_prefix(r: &Record) -> Result<(), (&'static str, Problem)> {
    let (id, expected) = match r {
        Record::User(u) => (&u.source_id, "User"),
        Record::Account(a) => (&a.source_id, "Account"),
        Record::Lead(l) => (&l.source_id, "Lead"),
        Record::Opportunity(o) => (&o.source_id, "Opportunity"),
        Record::Activity(a) if a.kind == uplift_domain::records::ActivityKind::Task => (&a.source_id, "Task"),
        Record::Activity(a) => (&a.source_id, "Event"),
        _ => return Ok(()),
    };
    if !(id.len() == 15 || id.len() == 18) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(());
    }
    match SF_PREFIXES.iter().find(|(p, _)| id.starts_with(p)) {
        Some((_, found)) if *found != expected => Err((
            "Id",
            Problem::WrongIdPrefix {
                id: id.clone(),
                found: (*found).to_string(),
                expected: expected.to_string(),
            },
        )),
        _ => Ok(()),
    }
}

/// Checks a parsed record against reference data, resolving owners. Returns the field at fault.
pub(super) fn check_references(r: &mut Record, known: &Known, how: OwnerMatch) -> Result<(), (&'static str, Problem)> {
    let owner = |field: &'static str, v: &mut String| match how {
        // The common case: the cell already is the CRM user id; nothing to rewrite.
        OwnerMatch::Id if known.crm_ids.contains(v.as_str()) => Ok(()),
        _ => match known.owner(v, how) {
            Some(id) => {
                *v = id;
                Ok(())
            }
            None => Err((
                field,
                Problem::UnknownOwner {
                    field: field.into(),
                    value: v.clone(),
                },
            )),
        },
    };
    let employee = |no: &str| {
        if known.employees.contains_key(no) {
            Ok(())
        } else {
            Err((
                "employee_no",
                Problem::UnknownEmployee {
                    field: "employee_no".into(),
                    value: no.into(),
                },
            ))
        }
    };
    let deal = |id: &str| match &known.deals {
        Some(deals) if !deals.contains(id) => Err((
            "OpportunityId",
            Problem::UnknownDeal {
                field: "OpportunityId".into(),
                value: id.into(),
            },
        )),
        _ => Ok(()),
    };
    match r {
        Record::Lead(l) => owner("OwnerId", &mut l.owner_id),
        Record::Opportunity(o) => owner("OwnerId", &mut o.owner_id),
        Record::OpportunitySplit(sp) => {
            deal(&sp.opportunity_id)?;
            owner("SplitOwnerId", &mut sp.owner_id)
        }
        Record::Payment(p) => deal(&p.opportunity_id),
        Record::Activity(a) => owner("OwnerId", &mut a.owner_id),
        Record::Account(a) => match &mut a.owner_id {
            Some(o) if known.owner(o, how).is_some() => {
                *o = known.owner(o, how).unwrap_or_default();
                Ok(())
            }
            // An account owner we do not know is kept as written; accounts carry no metrics.
            _ => Ok(()),
        },
        Record::Target(t) => employee(&t.employee_no),
        Record::Appraisal(a) => employee(&a.employee_no),
        Record::Capacity(c) => employee(&c.employee_no),
        Record::Leave(l) => employee(&l.employee_no),
        Record::NewLead(_) => Ok(()),
        Record::Salary(s) => {
            employee(&s.employee_no)?;
            match known.employees.get(&s.employee_no).copied().flatten() {
                Some(hired) if s.effective_from < hired => Err((
                    "effective_from",
                    Problem::BadValue {
                        field: "effective_from".into(),
                        value: s.effective_from.to_string(),
                        expected: format!("≥ {hired} (入职日期 / hire date)"),
                    },
                )),
                _ => Ok(()),
            }
        }
        Record::IitDeduction(d) => {
            employee(&d.employee_no)?;
            match &known.payroll_policies {
                Some(set) => super::payroll_checks::declaration(d, set),
                None => Ok(()),
            }
        }
        Record::PayInput(x) => employee(&x.employee_no),
        Record::IitOpening(o) => employee(&o.employee_no),
        Record::Enrollment(e) => {
            employee(&e.employee_no)?;
            if known.courses.contains(&e.course_id) {
                Ok(())
            } else {
                Err((
                    "course_id",
                    Problem::UnknownCourse {
                        value: e.course_id.clone(),
                    },
                ))
            }
        }
        _ => Ok(()),
    }
}

/// A deal's split percentages over one file: each deal's total and the line of its first split.
/// Salesforce exports a deal's splits together, so a deal whose shares do not add up to 100 is a
/// problem of the file, reported at its first row.
#[derive(Default)]
pub(super) struct SplitTotals {
    deals: HashMap<String, (rust_decimal::Decimal, u64)>,
}

impl SplitTotals {
    pub(super) fn add(&mut self, r: &Record, line: u64) {
        if let Record::OpportunitySplit(s) = r {
            let e = self
                .deals
                .entry(s.opportunity_id.clone())
                .or_insert((rust_decimal::Decimal::ZERO, line));
            e.0 += s.percentage;
        }
    }

    /// The deals whose shares do not add up to 100, by line: (line, problem).
    pub(super) fn problems(&self) -> Vec<(u64, Problem)> {
        let mut out: Vec<(u64, Problem)> = self
            .deals
            .iter()
            .filter(|(_, (total, _))| *total != rust_decimal::Decimal::ONE_HUNDRED)
            .map(|(deal, (total, line))| {
                (
                    *line,
                    Problem::SplitNotHundred {
                        opportunity_id: deal.clone(),
                        total: total.normalize().to_string(),
                    },
                )
            })
            .collect();
        out.sort_by_key(|(line, _)| *line);
        out
    }
}
