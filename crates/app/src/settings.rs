//! Company settings kept in the database.

use chrono_tz::Tz;
use uplift_domain::time::DEFAULT_TZ;
use uplift_store::Store;

use crate::AppError;

/// The company time zone (`settings.timezone`), Asia/Shanghai unless set.
pub async fn company_tz(store: &Store) -> Result<Tz, AppError> {
    match store.setting("timezone").await? {
        Some(s) => s
            .parse()
            .map_err(|_| AppError::internal(format!("stored time zone {s:?} is unknown"))),
        None => Ok(DEFAULT_TZ),
    }
}

/// Sets the company time zone by IANA name, e.g. `Asia/Shanghai`.
pub async fn set_company_tz(store: &Store, name: &str) -> Result<Tz, AppError> {
    let tz: Tz = name.parse().map_err(|_| {
        AppError::invalid(format!(
            "unknown time zone {name:?} (use an IANA name such as Asia/Shanghai)"
        ))
    })?;
    store.set_setting("timezone", tz.name()).await?;
    Ok(tz)
}

/// Currencies the company may report in (ISO codes). Amounts are stored as they were imported;
/// the setting decides the symbol shown.
pub const CURRENCIES: [&str; 6] = ["CNY", "USD", "EUR", "GBP", "JPY", "HKD"];

/// The company's reporting currency (`settings.currency`), CNY unless set.
pub async fn company_currency(store: &Store) -> Result<String, AppError> {
    Ok(store.setting("currency").await?.unwrap_or_else(|| "CNY".into()))
}

/// Sets the reporting currency by ISO code.
pub async fn set_company_currency(store: &Store, code: &str) -> Result<String, AppError> {
    let code = code.trim().to_ascii_uppercase();
    if !CURRENCIES.contains(&code.as_str()) {
        return Err(AppError::invalid(format!(
            "unknown currency {code:?} (one of {})",
            CURRENCIES.join(", ")
        )));
    }
    store.set_setting("currency", &code).await?;
    Ok(code)
}
