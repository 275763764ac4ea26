//! CRM rows (Salesforce users, accounts, leads, opportunities, tasks, events) to records.

use super::Cells;
use crate::error::{Issue, Problem};
use uplift_domain::records::*;

pub(super) fn user(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::User(CrmUser {
        source_id: c.req("Id")?,
        name: c.req("Name")?,
        email: c.opt("Email").map(|e| e.to_lowercase()),
        is_active: c.boolean("IsActive")?.unwrap_or(true),
        role_id: c.opt("UserRoleId"),
        manager_id: c.opt("ManagerId"),
    }))
}

pub(super) fn account(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::Account(Account {
        source_id: c.req("Id")?,
        name: c.req("Name")?,
        industry: c.opt("Industry"),
        owner_id: c.opt("OwnerId"),
        created_at: c.datetime("CreatedDate")?,
    }))
}

pub(super) fn lead(c: &Cells<'_>) -> Result<Record, Issue> {
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

/// A share of a deal's credit. Whether a deal's shares add up to 100 is checked over the whole
/// file by the import (`app::import`).
pub(super) fn opportunity_split(c: &Cells<'_>) -> Result<Record, Issue> {
    let opportunity_id = c.req("OpportunityId")?;
    let owner_id = c.req("SplitOwnerId")?;
    let percentage = c.required("SplitPercentage", c.percent("SplitPercentage")?)?;
    if percentage <= rust_decimal::Decimal::ZERO || percentage > rust_decimal::Decimal::ONE_HUNDRED {
        return Err(c.issue(
            "SplitPercentage",
            Problem::BadValue {
                field: "SplitPercentage".into(),
                value: percentage.to_string(),
                expected: "0–100".into(),
            },
        ));
    }
    Ok(Record::OpportunitySplit(OpportunitySplit {
        source_id: c.opt("Id").unwrap_or_else(|| format!("{opportunity_id}:{owner_id}")),
        opportunity_id,
        owner_id,
        percentage,
    }))
}

/// A payment on a deal. Whether the deal exists is checked by the import (`app::import`).
pub(super) fn payment(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::Payment(Payment {
        source_id: c.req("Id")?,
        opportunity_id: c.req("OpportunityId")?,
        payment_date: c.required("PaymentDate", c.date("PaymentDate")?)?,
        amount: c.required("Amount", c.amount("Amount")?)?,
    }))
}

pub(super) fn opportunity(c: &Cells<'_>) -> Result<Record, Issue> {
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

pub(super) fn task(c: &Cells<'_>) -> Result<Record, Issue> {
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

pub(super) fn event(c: &Cells<'_>) -> Result<Record, Issue> {
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

pub(super) fn new_lead(c: &Cells<'_>) -> Result<Record, Issue> {
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
