//! Uplift's use cases: importing files, linking CRM users to employees, recomputing and reading the
//! metric table, and the demo company. Reads and writes through the store; rules live in the engines.

// Errors carry a located `Issue`; they are built for bad input only, off the hot path.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod alerts;
pub mod cadence;
pub mod commission;
pub mod demo;
pub mod effect;
pub mod error;
pub mod failpoint;
pub mod features;
pub mod forecast;
pub mod health;
pub mod identity;
pub mod import;
pub mod import_history;
pub mod inbox;
pub mod insights;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod payroll;
pub mod records;
pub mod routing;
pub mod settings;
pub mod sla;
pub mod views;

pub use error::AppError;

/// Chooses ring as the process's TLS crypto provider (HTTPS to robots, SMTP over TLS, and any
/// reqwest client in the process need one). Safe to call more than once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// CPU-heavy analyses (forecasts, backtests, driver analysis) run on the blocking pool one at a
/// time, so page loads that trigger them never stall the request workers (sign-in, health checks).
pub(crate) async fn heavy<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _permit = ONE_AT_A_TIME
        .acquire()
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(format!("analysis failed: {e}")))
}

/// The store types handlers and the CLI pass around (rows, filters); `web` reaches the database
/// only through them and the use cases here.
pub use uplift_store::{self as store, Store};
