//! The company's payroll settings: its contribution city (for salary records naming none) and the
//! columns of its bank's transfer file. Payroll, HR and admins; audited.

use uplift_domain::Lang;
use uplift_store::Store;

use super::sheets::{BANK_COLUMNS, BANK_DEFAULT};
use super::{DEFAULT_CITY_SETTING, policy_set};
use crate::access::{Principal, audit_by};
use crate::error::AppError;

pub use super::sheets::BANK_COLUMNS_SETTING;

/// The company's contribution city (its policy key), `shanghai` unless set.
pub async fn default_city(store: &Store) -> Result<String, AppError> {
    Ok(store
        .setting(DEFAULT_CITY_SETTING)
        .await?
        .unwrap_or_else(|| "shanghai".into()))
}

/// Sets the company's contribution city: a city some policy names (上海, Shanghai, shanghai).
pub async fn set_default_city(store: &Store, p: &Principal, name: &str, lang: Lang) -> Result<String, AppError> {
    p.require(p.role.may_run_payroll())?;
    let set = policy_set(store).await?;
    let Some(city) = set.cities.iter().find(|c| c.answers_to(name)) else {
        return Err(AppError::invalid_field(
            "city",
            format!(
                "{name:?}: {}",
                lang.pick(
                    "没有这个城市的社保公积金标准（uplift payroll policy list）",
                    "no contribution table names this city (uplift payroll policy list)"
                )
            ),
        ));
    };
    let key = city.city.clone();
    store.set_setting(DEFAULT_CITY_SETTING, &key).await?;
    audit_by(
        store,
        p,
        "payroll.setting",
        Some(DEFAULT_CITY_SETTING),
        Some(&key),
        None,
    )
    .await?;
    Ok(key)
}

/// The bank file's columns (comma-separated keys).
pub async fn bank_columns(store: &Store) -> Result<String, AppError> {
    Ok(store
        .setting(BANK_COLUMNS_SETTING)
        .await?
        .unwrap_or_else(|| BANK_DEFAULT.into()))
}

/// Sets the bank file's columns: keys of `account, name, amount, bank, employee_no, remark`.
pub async fn set_bank_columns(store: &Store, p: &Principal, spec: &str, lang: Lang) -> Result<String, AppError> {
    p.require(p.role.may_run_payroll())?;
    let cols: Vec<&str> = spec.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
    if cols.is_empty() || cols.iter().any(|c| !BANK_COLUMNS.iter().any(|(k, _)| k == c)) || !cols.contains(&"amount") {
        return Err(AppError::invalid_field(
            "bank_columns",
            format!(
                "{spec:?}: {}",
                lang.pick(
                    "列应取自 account, name, amount, bank, employee_no, remark，且须有 amount",
                    "columns are account, name, amount, bank, employee_no, remark, and amount is needed"
                )
            ),
        ));
    }
    let value = cols.join(",");
    store.set_setting(BANK_COLUMNS_SETTING, &value).await?;
    audit_by(
        store,
        p,
        "payroll.setting",
        Some(BANK_COLUMNS_SETTING),
        Some(&value),
        None,
    )
    .await?;
    Ok(value)
}
