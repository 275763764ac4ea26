//! Commission plans and their computation (`docs/spec/commission-plans.md`): pure, no I/O.
//!
//! Money is integer fen; rates and multipliers are exact decimals; every line is rounded half
//! away from zero to the fen and totals are sums of rounded lines, as the contract says.

pub mod engine;
pub mod outlook;
pub mod period;
pub mod plan;
pub mod select;

pub use engine::{BandPart, CreditLine, LineKind, PayLine, PersonInput, Statement, compute, standing};
pub use outlook::{CurvePoint, Estimate, NextTier, curve, estimate, next_tier};
pub use period::{BadPeriod, Period};
pub use plan::{Basis, PeriodKind, Plan, PlanError, Tier, Tiering};
pub use select::{Ambiguous, plan_for};
