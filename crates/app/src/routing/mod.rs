//! Lead routing use cases: fit the lead value model on the database's history, report its
//! calibration, assign a file of new leads or the leads waiting in the database, replay history
//! under each strategy, and show a caller the recent assignments of their scope.

mod assign;
mod context;
mod online;
mod recent;
mod report;

pub use assign::{AssignOptions, AssignResult, AssignmentLine, assign_file, assign_pending, read_capacities, to_csv};
pub use context::{Router, lead_facts, load, on_leave};
pub use online::{IncomingLead, ONLINE_PLAN_TTL, OnlineRouter, RoutedLead};
pub use recent::{RecentAssignment, recent_assignments};
pub use report::{ModelReport, SimulationResult, model_report, simulate, strategy_label};

use uplift_routing::TenureBand;

/// Months of history the model learns from.
pub const HISTORY_MONTHS: u32 = 12;
/// `--pending` looks at open leads created in this many months up to now; older open leads are
/// stale and would only eat this month's capacity.
pub const PENDING_MONTHS: u32 = 6;

/// Monthly lead capacity of a rep without an imported capacity, by tenure band.
pub fn default_capacity(band: TenureBand) -> u32 {
    match band {
        TenureBand::New => 20,
        TenureBand::Growing => 30,
        TenureBand::Established | TenureBand::Veteran => 40,
    }
}
