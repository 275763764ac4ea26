//! The payroll policies in force: the shipped files, then those users imported (a corrected or
//! newer table), checked as one set.

use uplift_domain::Lang;
use uplift_payroll::{Policy, PolicySet, SetError};
use uplift_store::{PolicyRow, Store};

use crate::access::{Principal, audit_by};
use crate::error::AppError;

/// The shipped policies with the imported ones applied in the order they were imported.
pub async fn policy_set(store: &Store) -> Result<PolicySet, AppError> {
    let mut set = uplift_payroll::shipped();
    for row in store.payroll_policies().await? {
        let policy = Policy::parse(&row.body)
            .map_err(|e| AppError::Internal(format!("stored payroll policy {} {}: {e}", row.kind, row.policy_key)))?;
        set.insert(policy)
            .map_err(|e| AppError::Internal(format!("stored payroll policy {} {}: {e}", row.kind, row.policy_key)))?;
    }
    Ok(set)
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyImported {
    pub kind: String,
    pub key: String,
    pub effective_from: String,
    /// A policy of the same kind, key and start was there (shipped or imported) and is replaced.
    pub replaced: bool,
}

/// Checks and stores a policy file (payroll, HR, admins; audited). A file with an error, or
/// whose period overlaps another of the same city, changes nothing.
pub async fn import_policy(
    store: &Store,
    p: &Principal,
    file_name: &str,
    text: &str,
    lang: Lang,
) -> Result<PolicyImported, AppError> {
    p.require(p.role.may_run_payroll())?;
    let policy = Policy::parse(text).map_err(|e| AppError::invalid(format!("{file_name}: {}", e.message(lang))))?;
    let mut set = policy_set(store).await?;
    let (kind, key, (from, _)) = (policy.kind(), policy.key(), policy.effective());
    let replaced = set
        .all()
        .iter()
        .any(|o| o.kind() == kind && o.key() == key && o.effective().0 == from);
    set.insert(policy).map_err(|e| match e {
        SetError::Overlap { other, .. } => AppError::conflict(
            Some("effective_from"),
            format!(
                "{file_name}: {}",
                match lang {
                    Lang::Zh =>
                        format!("{key} 自 {from} 起的期间与自 {other} 起的期间重叠；请先给旧期间写上 effective_to"),
                    Lang::En => format!(
                        "{key} from {from} overlaps the period from {other}; give the older one an effective_to first"
                    ),
                }
            ),
        ),
    })?;
    store
        .save_payroll_policy(&PolicyRow {
            kind: kind.to_string(),
            policy_key: key.clone(),
            effective_from: from.to_string(),
            body: text.to_string(),
            imported_by: p.actor.clone(),
            imported_ts: chrono::Utc::now().timestamp(),
        })
        .await?;
    let target = format!("{kind} {key} {from}");
    audit_by(store, p, "payroll.policy.import", Some(&target), Some(file_name), None).await?;
    Ok(PolicyImported {
        kind: kind.to_string(),
        key,
        effective_from: from.to_string(),
        replaced,
    })
}

/// A policy as listed: what it is, its period, where it came from and its file text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyEntry {
    pub kind: String,
    pub key: String,
    /// The city's name in the reader's language; the kind's name otherwise.
    pub name: String,
    pub effective_from: String,
    pub effective_to: Option<String>,
    /// How far the table can be trusted (cities only).
    pub quality: Option<String>,
    pub verified: bool,
    /// `shipped` or `imported`.
    pub origin: String,
    pub text: String,
}

/// Every policy in force over time, shipped or imported (an imported one with the same kind,
/// key and start hides the shipped one). Anyone may read them: they are public rules.
pub async fn policies(store: &Store, lang: Lang) -> Result<Vec<PolicyEntry>, AppError> {
    let mut texts: Vec<(Policy, String, &str)> = Vec::new();
    for (_, text) in uplift_payroll::SHIPPED {
        if let Ok(p) = Policy::parse(text) {
            texts.push((p, text.to_string(), "shipped"));
        }
    }
    for row in store.payroll_policies().await? {
        if let Ok(p) = Policy::parse(&row.body) {
            let same_start =
                |o: &Policy| o.kind() == p.kind() && o.key() == p.key() && o.effective().0 == p.effective().0;
            texts.retain(|(o, _, _)| !same_start(o));
            texts.push((p, row.body, "imported"));
        }
    }
    let mut out: Vec<PolicyEntry> = texts
        .into_iter()
        .map(|(p, text, origin)| {
            let (from, to) = p.effective();
            let (name, quality, verified) = match &p {
                Policy::City(c) => (
                    match lang {
                        Lang::Zh => c.name_zh.clone(),
                        Lang::En => c.name_en.clone(),
                    },
                    Some(format!("{:?} {}", c.quality, c.quality.label(lang))),
                    c.quality.verified(),
                ),
                Policy::Tax(_) => (lang.pick("个人所得税", "income tax").to_string(), None, true),
                Policy::SpecialAdditional(_) => (
                    lang.pick("专项附加扣除", "special additional deductions").to_string(),
                    None,
                    true,
                ),
                Policy::Calendar(c) => (format!("{} {}", c.year, lang.pick("节假日", "holidays")), None, true),
            };
            PolicyEntry {
                kind: p.kind().to_string(),
                key: p.key(),
                name,
                effective_from: from.to_string(),
                effective_to: to.map(|d| d.to_string()),
                quality,
                verified,
                origin: origin.to_string(),
                text,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.kind, &a.key, &a.effective_from).cmp(&(&b.kind, &b.key, &b.effective_from)));
    Ok(out)
}
