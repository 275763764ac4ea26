//! Uplift's use cases: importing files, linking CRM users to employees, recomputing and reading the
//! metric table, and the demo company. Reads and writes through the store; rules live in the engines.

// Errors carry a located `Issue`; they are built for bad input only, off the hot path.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod alerts;
pub mod demo;
pub mod effect;
pub mod error;
pub mod features;
pub mod forecast;
pub mod identity;
pub mod import;
pub mod insights;
pub mod metrics;
pub mod settings;
pub mod views;

pub use error::AppError;

/// The store types handlers and the CLI pass around (rows, filters); `web` reaches the database
/// only through them and the use cases here.
pub use uplift_store::{self as store, Store};
