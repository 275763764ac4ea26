//! China payroll (`docs/spec/payroll.md`, rules in `docs/reference/payroll-cn.md`): pure, no I/O.
//!
//! Money is integer fen, rates parts per million, days hundredths; every rate, bound and table
//! comes from a [`PolicySet`] with effective dates, never from a constant here.

pub mod explain;
pub mod iit;
pub mod policy;
pub mod rate;
pub mod si;
pub mod slip;
pub mod time;

pub use explain::{Group, Line, lines};
pub use iit::{BasicRule, Cumulative, LabourTax, WageMonth, WageTax};
pub use policy::{
    Band, Calendar, CityPolicy, HousingFund, Insurance, Policy, PolicyError, PolicySet, Quality, Scheme, SetError,
    SpecialAdditionalPolicy, Table, TaxPolicy,
};
pub use rate::{MAX_FEN, Rate, Rounding, yuan};
pub use si::{Contributions, RateOutOfRange, contributions};
pub use slip::{BonusMethod, Job, PayError, PayInput, Payslip, TaxStatus, absence_deduction, pay, pay_all};
pub use time::{OvertimeHours, joiner_leave_days, leaver_leave_days, overtime_pay, unused_leave_pay};

/// The policy files Uplift ships (`crates/payroll/policies/`): the reference's tables.
pub const SHIPPED: [(&str, &str); 10] = [
    ("tax-2019.toml", include_str!("../policies/tax-2019.toml")),
    (
        "special-additional-2023.toml",
        include_str!("../policies/special-additional-2023.toml"),
    ),
    ("calendar-2026.toml", include_str!("../policies/calendar-2026.toml")),
    (
        "shanghai-2025-07.toml",
        include_str!("../policies/shanghai-2025-07.toml"),
    ),
    (
        "shanghai-2026-07.toml",
        include_str!("../policies/shanghai-2026-07.toml"),
    ),
    ("beijing-2024-07.toml", include_str!("../policies/beijing-2024-07.toml")),
    ("beijing-2025-07.toml", include_str!("../policies/beijing-2025-07.toml")),
    (
        "shenzhen-2025-07.toml",
        include_str!("../policies/shenzhen-2025-07.toml"),
    ),
    (
        "guangzhou-2025-07.toml",
        include_str!("../policies/guangzhou-2025-07.toml"),
    ),
    (
        "hangzhou-2025-07.toml",
        include_str!("../policies/hangzhou-2025-07.toml"),
    ),
];

/// The shipped policies as a set. They are checked by this crate's tests, so this cannot fail.
pub fn shipped() -> PolicySet {
    let mut set = PolicySet::default();
    for (name, text) in SHIPPED {
        let policy = Policy::parse(text).unwrap_or_else(|e| panic!("shipped policy {name}: {e}"));
        set.insert(policy)
            .unwrap_or_else(|e| panic!("shipped policy {name}: {e}"));
    }
    set
}
