//! Uplift's business nouns and rules: months, money, people, CRM records and metric identifiers.
//! Pure code: no I/O, so everything here is easy to test.

pub mod access;
pub mod calendar;
pub mod lang;
pub mod metric;
pub mod metric_data;
pub mod money;
pub mod month;
pub mod payroll_records;
pub mod people;
pub mod records;
pub mod time;

pub use lang::Lang;
pub use metric::MetricId;
pub use money::Money;
pub use month::Month;
