//! Pure engines over the per-employee-per-month table. For now: the metric contract itself
//! (`shared/spec/metrics.md`), turning database aggregates into metric rows and team roll-ups.

pub mod metric_table;

pub use metric_table::compute_metric_table;
