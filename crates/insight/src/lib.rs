//! Pure engines over the per-employee-per-month table: the metric contract itself
//! (`docs/spec/metrics.md`, [`metric_table`]), and the analyses built on it — driver analysis
//! ([`drivers`], on the feature table of [`features`]) peer gaps ([`peers`]) and next month's forecast with its backtest ([`forecast`]), early-warning reasons ([`alerts`]) and
//! effect evaluation ([`effect`]). No I/O: the app layer loads the rows.

pub mod alerts;
pub mod drivers;
pub mod effect;
pub mod features;
pub mod forecast;
pub mod forest;
pub mod funnel;
pub mod metric_table;
pub mod peers;

pub use metric_table::compute_metric_table;
