//! Lead routing engine: estimate each rep's chance of converting each kind of lead
//! ([`model`]), allocate a batch of leads to maximise expected won value under capacity,
//! availability and fairness limits ([`allocate`], a min-cost flow from [`flow`]), explain each
//! assignment in words ([`reason`]), check calibration ([`calibration`]), replay history under
//! each strategy ([`simulate`]) and route single leads consistently with the plan ([`online`]).
//! No I/O: the app layer loads history and writes assignments.

pub mod allocate;
pub mod cadence;
pub mod calibration;
pub mod flow;
pub mod model;
pub mod online;
pub mod reason;
pub mod simulate;
pub mod sla;

pub use allocate::{Allocation, Limits, Scorer, Slot, Strategy, allocate};
pub use model::{Estimate, LeadFacts, LeadModel, PastLead, RepFacts, TenureBand};
pub use online::{OnlinePlan, Routed};
pub use simulate::{Batch, StrategyOutcome, simulate};
