//! CRM objects (users, accounts, leads, opportunities, activities) staged in bulk and merged with
//! one upsert by source id; a first load into an empty table goes straight in.

use chrono_tz::Tz;
use sqlx::AssertSqlSafe;

use super::{AffectedMonths, ImportTx, Tx, on_tx_impl};
use crate::StoreError;
use crate::value::{ColType, Value};
use uplift_domain::Month;
use uplift_domain::records::*;
use uplift_domain::time::local_month;

pub(super) struct StageSpec {
    pub(super) main: &'static str,
    pub(super) stage: &'static str,
    pub(super) cols: &'static [(&'static str, ColType)],
    /// For each column, the import fields it is read from: on re-import a column is updated only
    /// when the file has one of them (empty: always), so a narrower export never wipes data.
    pub(super) sources: &'static [&'static [&'static str]],
}

use ColType::{Bool as B, Int as I, Real as R, Text as T};

const USERS: StageSpec = StageSpec {
    main: "crm_users",
    stage: "stage_crm_users",
    cols: &[
        ("source_id", T),
        ("name", T),
        ("email", T),
        ("is_active", B),
        ("role_id", T),
        ("manager_id", T),
    ],
    sources: &[
        &[],
        &["Name"],
        &["Email"],
        &["IsActive"],
        &["UserRoleId"],
        &["ManagerId"],
    ],
};
const ACCOUNTS: StageSpec = StageSpec {
    main: "accounts",
    stage: "stage_accounts",
    cols: &[
        ("source_id", T),
        ("name", T),
        ("industry", T),
        ("owner_id", T),
        ("created_ts", I),
    ],
    sources: &[&[], &["Name"], &["Industry"], &["OwnerId"], &["CreatedDate"]],
};
const LEADS: StageSpec = StageSpec {
    main: "leads",
    stage: "stage_leads",
    cols: &[
        ("source_id", T),
        ("owner_id", T),
        ("created_ts", I),
        ("created_month", I),
        ("lead_source", T),
        ("industry", T),
        ("status", T),
        ("rating", T),
        ("is_converted", B),
        ("converted_date", T),
        ("converted_opportunity_id", T),
        ("converted_account_id", T),
        ("company", T),
        ("name", T),
        ("city", T),
        ("annual_revenue_fen", I),
        ("number_of_employees", I),
    ],
    sources: &[
        &[],
        &["OwnerId"],
        &["CreatedDate"],
        &["CreatedDate"],
        &["LeadSource"],
        &["Industry"],
        &["Status"],
        &["Rating"],
        &["IsConverted", "ConvertedDate", "ConvertedOpportunityId"],
        &["ConvertedDate"],
        &["ConvertedOpportunityId"],
        &["ConvertedAccountId"],
        &["Company"],
        &["LastName", "FirstName"],
        &["City"],
        &["AnnualRevenue"],
        &["NumberOfEmployees"],
    ],
};
const OPPORTUNITIES: StageSpec = StageSpec {
    main: "opportunities",
    stage: "stage_opportunities",
    cols: &[
        ("source_id", T),
        ("owner_id", T),
        ("close_date", T),
        ("close_month", I),
        ("stage_name", T),
        ("amount_fen", I),
        ("currency", T),
        ("state", T),
        ("probability", R),
        ("account_id", T),
        ("created_ts", I),
        ("created_month", I),
        ("lead_source", T),
        ("opportunity_type", T),
        ("name", T),
    ],
    sources: &[
        &[],
        &["OwnerId"],
        &["CloseDate"],
        &["CloseDate"],
        &["StageName"],
        &["Amount"],
        &["CurrencyIsoCode"],
        &[],
        &["Probability"],
        &["AccountId"],
        &["CreatedDate"],
        &["CreatedDate"],
        &["LeadSource"],
        &["Type"],
        &["Name"],
    ],
};
const ACTIVITIES: StageSpec = StageSpec {
    main: "activities",
    stage: "stage_activities",
    cols: &[
        ("source_id", T),
        ("kind", T),
        ("owner_id", T),
        ("who_id", T),
        ("what_id", T),
        ("subject", T),
        ("subtype", T),
        ("status", T),
        ("ts", I),
        ("month", I),
        ("is_followup", B),
        ("call_seconds", I),
    ],
    sources: &[
        &[],
        &[],
        &["OwnerId"],
        &["WhoId"],
        &["WhatId"],
        &["Subject"],
        &["TaskSubtype", "Type"],
        &["Status"],
        &[],
        &[],
        &[],
        &["CallDurationInSeconds"],
    ],
};

/// `col = excluded.col` for the columns whose import field the file has (`employee_no`-style keys
/// always keep their row; the required fields are always present).
pub(super) fn set_clause(pairs: &[(&str, &str)], present: &[String]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, field)| present.iter().any(|p| p == field))
        .map(|(col, _)| format!("{col} = excluded.{col}"))
        .collect();
    if parts.is_empty() {
        "DO NOTHING".into()
    } else {
        format!("DO UPDATE SET {}", parts.join(", "))
    }
}

/// Secondary indexes of the big tables, as in the migrations (kept in step with them).
pub(crate) fn secondary_indexes(table: &str) -> &'static [(&'static str, &'static str)] {
    match table {
        "leads" => &[
            ("leads_month_owner", "leads(created_month, owner_id)"),
            ("leads_owner", "leads(owner_id)"),
            ("leads_created", "leads(created_ts)"),
        ],
        "opportunities" => &[
            ("opportunities_close", "opportunities(close_month, state)"),
            ("opportunities_owner", "opportunities(owner_id, close_month)"),
        ],
        "activities" => &[
            ("activities_month_owner", "activities(month, is_followup, owner_id)"),
            ("activities_who", "activities(who_id, is_followup, ts)"),
            ("activities_what", "activities(what_id, is_followup, ts)"),
        ],
        _ => &[],
    }
}

pub(super) fn stage_spec(kind: ImportKind) -> Option<&'static StageSpec> {
    match kind {
        ImportKind::User => Some(&USERS),
        ImportKind::Account => Some(&ACCOUNTS),
        ImportKind::Lead => Some(&LEADS),
        ImportKind::Opportunity => Some(&OPPORTUNITIES),
        ImportKind::Task | ImportKind::Event => Some(&ACTIVITIES),
        _ => None,
    }
}

fn month_key(d: chrono::NaiveDate) -> i64 {
    Month::of(d).to_key() as i64
}

/// The staging row of a CRM record, in the order of its [`StageSpec`].
/// Appends the staging row of a CRM record to `out`, in the order of its [`StageSpec`]; false for
/// records that are not staged.
pub(super) fn stage_row(r: Record, tz: Tz, out: &mut Vec<Value>) -> bool {
    match r {
        Record::User(u) => out.extend([
            u.source_id.into(),
            u.name.into(),
            u.email.into(),
            u.is_active.into(),
            u.role_id.into(),
            u.manager_id.into(),
        ]),
        Record::Account(a) => {
            out.extend([
                a.source_id.into(),
                a.name.into(),
                a.industry.into(),
                a.owner_id.into(),
                a.created_at.map(|t| t.timestamp()).into(),
            ]);
        }
        Record::Lead(l) => out.extend([
            l.source_id.into(),
            l.owner_id.into(),
            l.created_at.timestamp().into(),
            (local_month(l.created_at, tz).to_key() as i64).into(),
            l.lead_source.into(),
            l.industry.into(),
            l.status.into(),
            l.rating.into(),
            l.is_converted.into(),
            l.converted_date.map(|d| d.to_string()).into(),
            l.converted_opportunity_id.into(),
            l.converted_account_id.into(),
            l.company.into(),
            l.name.into(),
            l.city.into(),
            l.annual_revenue.map(|m| m.fen()).into(),
            l.number_of_employees.into(),
        ]),
        Record::Opportunity(o) => out.extend([
            o.source_id.into(),
            o.owner_id.into(),
            o.close_date.to_string().into(),
            month_key(o.close_date).into(),
            o.stage_name.into(),
            o.amount.map(|m| m.fen()).into(),
            o.currency.into(),
            o.state.as_str().into(),
            o.probability.into(),
            o.account_id.into(),
            o.created_at.map(|t| t.timestamp()).into(),
            o.created_at.map(|t| local_month(t, tz).to_key() as i64).into(),
            o.lead_source.into(),
            o.opportunity_type.into(),
            o.name.into(),
        ]),
        Record::Activity(a) => out.extend([
            a.source_id.into(),
            match a.kind {
                ActivityKind::Task => "task",
                ActivityKind::Event => "event",
            }
            .into(),
            a.owner_id.into(),
            a.who_id.into(),
            a.what_id.into(),
            a.subject.into(),
            a.subtype.into(),
            a.status.into(),
            a.at.timestamp().into(),
            (local_month(a.at, tz).to_key() as i64).into(),
            a.is_followup.into(),
            a.call_seconds.into(),
        ]),
        _ => return false,
    }
    true
}

impl ImportTx {
    pub(super) async fn merge_stage(&mut self, spec: &StageSpec) -> Result<AffectedMonths, StoreError> {
        let (main, stage) = (spec.main, spec.stage);
        let t = std::time::Instant::now();
        let existing_sql = if self.was_empty {
            "SELECT 0".to_string()
        } else {
            format!("SELECT COUNT(*) FROM {stage} s JOIN {main} m ON m.source_id = s.source_id")
        };
        let existing: i64 = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(existing_sql))
            .fetch_one(c)
            .await?);
        self.updated += existing as u64;
        self.inserted += self.staged - existing as u64;

        // Months touched by the new rows and by the rows they replace.
        // Rows being replaced add their old months; when none are replaced those joins are skipped.
        let replaced = existing > 0;
        tracing::debug!(
            table = main,
            existing,
            secs = t.elapsed().as_secs_f64(),
            "counted rows to replace"
        );
        let months_sql: Option<String> = match self.kind {
            ImportKind::Task | ImportKind::Event if !replaced => Some(format!(
                "SELECT month FROM {stage} UNION SELECT l.created_month FROM leads l JOIN {stage} s ON s.who_id = l.source_id"
            )),
            ImportKind::Task | ImportKind::Event => Some(format!(
                "SELECT month FROM {stage} \
                 UNION SELECT m.month FROM {main} m JOIN {stage} s ON s.source_id = m.source_id \
                 UNION SELECT l.created_month FROM leads l JOIN {stage} s ON s.who_id = l.source_id \
                 UNION SELECT l.created_month FROM leads l JOIN {main} m ON m.who_id = l.source_id JOIN {stage} s ON s.source_id = m.source_id"
            )),
            _ => None,
        };
        let affected = match self.kind {
            // Before this load no lead had a follow-up: every month's first responses can change.
            ImportKind::Task | ImportKind::Event if self.was_empty => AffectedMonths::All,
            ImportKind::User => AffectedMonths::All,
            ImportKind::Account => AffectedMonths::None,
            // A lead's follow-up cadence runs on after its creation month: from there on.
            ImportKind::Lead => {
                let sql = if replaced {
                    format!(
                        "SELECT MIN(x) FROM (SELECT created_month AS x FROM {stage} \
                         UNION ALL SELECT m.created_month FROM {main} m JOIN {stage} s ON s.source_id = m.source_id) t"
                    )
                } else {
                    format!("SELECT MIN(created_month) FROM {stage}")
                };
                let min: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?);
                min.map_or(AffectedMonths::None, |m| AffectedMonths::From(m as i32))
            }
            ImportKind::Opportunity => {
                let sql = format!(
                    "SELECT MIN(x) FROM (SELECT CASE WHEN created_month IS NULL THEN 0 WHEN created_month < close_month THEN created_month ELSE close_month END AS x FROM {stage} \
                     UNION ALL SELECT CASE WHEN m.created_month IS NULL THEN 0 WHEN m.created_month < m.close_month THEN m.created_month ELSE m.close_month END FROM {main} m JOIN {stage} s ON s.source_id = m.source_id) t"
                );
                let min: Option<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?);
                min.map_or(AffectedMonths::None, |m| AffectedMonths::From(m as i32))
            }
            _ => {
                let sql = months_sql.unwrap_or_default();
                let months: Vec<i64> = on_tx_impl!(&mut self.tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_all(c)
                    .await?);
                AffectedMonths::Set(months.into_iter().map(|m| m as i32).collect())
            }
        };

        tracing::debug!(
            table = main,
            ?affected,
            secs = t.elapsed().as_secs_f64(),
            "found affected months"
        );
        let cols: Vec<&str> = spec.cols.iter().map(|(n, _)| *n).collect();
        let updates: Vec<String> = cols
            .iter()
            .zip(spec.sources)
            .skip(1)
            .filter(|(_, from)| from.is_empty() || from.iter().any(|f| self.present.iter().any(|p| p == f)))
            .map(|(c, _)| format!("{c} = excluded.{c}"))
            .collect();
        let on_conflict = if updates.is_empty() {
            "DO NOTHING".to_string()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        let upsert = format!(
            "INSERT INTO {main} ({cols}) SELECT {cols} FROM {stage} WHERE true ON CONFLICT (source_id) {on_conflict}",
            cols = cols.join(", "),
        );
        let drop = format!("DROP TABLE IF EXISTS {stage}");
        // Secondary indexes are kept during merges into a non-empty table: rebuilding them re-sorts
        // the whole table, measured slower than maintaining them even for 1M rows into 1M–9M.
        on_tx_impl!(&mut self.tx, |c| {
            sqlx::query(AssertSqlSafe(upsert)).execute(&mut *c).await?;
            sqlx::query(AssertSqlSafe(drop)).execute(&mut *c).await?;
        });
        tracing::debug!(table = main, secs = t.elapsed().as_secs_f64(), "merged staged rows");
        Ok(affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_staged_column_names_its_sources() {
        for spec in [&USERS, &ACCOUNTS, &LEADS, &OPPORTUNITIES, &ACTIVITIES] {
            assert_eq!(spec.cols.len(), spec.sources.len(), "{}", spec.main);
            assert_eq!(spec.cols[0].0, "source_id");
        }
    }

    #[test]
    fn set_clause_updates_only_present_fields() {
        let present = vec!["email".to_string()];
        assert_eq!(
            set_clause(&[("email", "email"), ("city", "city")], &present),
            "DO UPDATE SET email = excluded.email"
        );
        assert_eq!(set_clause(&[("city", "city")], &present), "DO NOTHING");
    }
}
