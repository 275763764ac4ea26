//! Pay that depends on time (reference §5): overtime by kind of day, unused annual leave.

use crate::policy::TaxPolicy;

/// Overtime hours of a month, in hundredths of an hour, by the kind of day worked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OvertimeHours {
    pub weekday_h: i64,
    /// Rest days without compensatory time off.
    pub rest_day_h: i64,
    pub holiday_h: i64,
}

/// Overtime pay: hourly = monthly ÷ 21.75 ÷ 8, times 150% / 200% / 300% (Labour Law art.44),
/// rounded half up to the fen once for the month.
pub fn overtime_pay(tax: &TaxPolicy, monthly_base: i64, hours: OvertimeHours) -> i64 {
    let weighted = hours.weekday_h * tax.overtime_weekday_h
        + hours.rest_day_h * tax.overtime_rest_day_h
        + hours.holiday_h * tax.overtime_holiday_h;
    // hours and multiples are both in hundredths; so is the day count.
    let den = tax.pay_days_per_month_h * tax.hours_per_day * 100;
    let num = i128::from(monthly_base) * i128::from(weighted);
    ((num + i128::from(den) / 2) / i128::from(den)) as i64
}

/// A leaver's remaining annual leave: `elapsed_days ÷ days_in_year × entitlement`, fraction
/// dropped, less days taken (企业职工带薪年休假实施办法).
pub fn leaver_leave_days(entitlement: i64, elapsed_days: i64, days_in_year: i64, taken: i64) -> i64 {
    (elapsed_days * entitlement / days_in_year - taken).max(0)
}

/// A joiner's leave for the rest of the year: `remaining_days ÷ days_in_year × entitlement`.
pub fn joiner_leave_days(entitlement: i64, remaining_days: i64, days_in_year: i64) -> i64 {
    remaining_days * entitlement / days_in_year
}

/// Extra pay for unused leave: daily wage (average monthly ÷ 21.75) × the extra 200% × days.
pub fn unused_leave_pay(tax: &TaxPolicy, average_monthly: i64, days: i64) -> i64 {
    let num = i128::from(average_monthly) * i128::from(days) * i128::from(tax.unused_leave_extra_h);
    let den = i128::from(tax.pay_days_per_month_h);
    ((num + den / 2) / den) as i64
}
