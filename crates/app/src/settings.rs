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
            .map_err(|_| AppError::Invalid(format!("stored time zone {s:?} is unknown"))),
        None => Ok(DEFAULT_TZ),
    }
}

/// Sets the company time zone by IANA name, e.g. `Asia/Shanghai`.
pub async fn set_company_tz(store: &Store, name: &str) -> Result<Tz, AppError> {
    let tz: Tz = name.parse().map_err(|_| {
        AppError::Invalid(format!(
            "unknown time zone {name:?} (use an IANA name such as Asia/Shanghai)"
        ))
    })?;
    store.set_setting("timezone", tz.name()).await?;
    Ok(tz)
}
