//! Company settings kept in the database.

use chrono_tz::Tz;
use uplift_domain::Lang;
use uplift_domain::time::DEFAULT_TZ;
use uplift_io::source::ReadLimits;
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
    let tz = parse_company_tz(name, Lang::En)?;
    store.set_setting("timezone", tz.name()).await?;
    Ok(tz)
}

/// A time zone by its IANA name, or why not, in the user's language (a form checks every field
/// before it saves any).
pub fn parse_company_tz(name: &str, lang: Lang) -> Result<Tz, AppError> {
    name.trim().parse().map_err(|_| {
        AppError::invalid_field(
            "timezone",
            match lang {
                Lang::Zh => format!("未知时区 {name:?}：请用 IANA 名称，例如 Asia/Shanghai"),
                Lang::En => format!("unknown time zone {name:?} (use an IANA name such as Asia/Shanghai)"),
            },
        )
    })
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

/// The import limits a company may raise (`uplift config limit NAME VALUE`), each with its
/// setting key and what it bounds. Defaults are [`ReadLimits::default`].
pub const LIMITS: [(&str, &str, &str); 4] = [
    (
        "xlsx_inflated_mb",
        "XLSX 工作簿解压后的总大小（MB）",
        "an XLSX workbook's inflated size, all parts (MB)",
    ),
    (
        "xlsx_ratio",
        "XLSX 解压后与文件大小之比（超过 16 MB 时检查）",
        "an XLSX workbook's inflated size over its file size (checked above 16 MB)",
    ),
    ("rows", "一个 XLSX 工作表的数据行数", "data rows of one XLSX sheet"),
    (
        "cell_chars",
        "一个单元格（CSV 或 XLSX）的字符数",
        "characters of one cell (CSV or XLSX)",
    ),
];

/// The import limits in force: the defaults, with any the company raised or lowered.
pub async fn read_limits(store: &Store) -> Result<ReadLimits, AppError> {
    let mut limits = ReadLimits::default();
    for (name, _, _) in LIMITS {
        let Some(text) = store.setting(&format!("limit.{name}")).await? else {
            continue;
        };
        let value: u64 = text
            .parse()
            .map_err(|_| AppError::internal(format!("stored limit {name} = {text:?} is not a number")))?;
        apply_limit(&mut limits, name, value);
    }
    Ok(limits)
}

/// The value of one limit, in the unit its name gives.
pub fn limit_value(limits: &ReadLimits, name: &str) -> Option<u64> {
    Some(match name {
        "xlsx_inflated_mb" => limits.max_xlsx_inflated_bytes >> 20,
        "xlsx_ratio" => limits.max_xlsx_ratio,
        "rows" => limits.max_rows,
        "cell_chars" => limits.max_cell_chars as u64,
        _ => return None,
    })
}

fn apply_limit(limits: &mut ReadLimits, name: &str, value: u64) {
    match name {
        "xlsx_inflated_mb" => limits.max_xlsx_inflated_bytes = value.saturating_mul(1 << 20),
        "xlsx_ratio" => limits.max_xlsx_ratio = value,
        "rows" => limits.max_rows = value,
        "cell_chars" => limits.max_cell_chars = usize::try_from(value).unwrap_or(usize::MAX),
        _ => {}
    }
}

/// Sets one import limit (a positive whole number); returns the limits now in force.
pub async fn set_limit(store: &Store, name: &str, value: u64) -> Result<ReadLimits, AppError> {
    if !LIMITS.iter().any(|(n, _, _)| *n == name) {
        let names: Vec<&str> = LIMITS.iter().map(|(n, _, _)| *n).collect();
        return Err(AppError::invalid(format!(
            "unknown limit {name:?} (one of {})",
            names.join(", ")
        )));
    }
    if value == 0 {
        return Err(AppError::invalid(format!("limit {name} must be at least 1")));
    }
    store.set_setting(&format!("limit.{name}"), &value.to_string()).await?;
    read_limits(store).await
}
