//! Storage for Uplift on SQLite (the embedded default) and PostgreSQL, with the same behaviour.
//!
//! One [`Store`] type speaks domain types; SQL text is shared between the dialects wherever it can be
//! (`$1` placeholders work in both), migrations are per dialect. Heavy aggregation over raw events
//! runs in the database ([`Store::load_metric_inputs`]).

mod audit_queue;
mod auth;
mod browse;
mod cadence;
mod commission;
mod conn;
mod error;
mod features;
mod forecast;
mod import;
mod jobs;
mod metrics;
mod payroll;
mod people;
mod routing;
mod value;

pub use audit_queue::AuditEntry;
pub use auth::{AuditQuery, AuditRow, SessionRow, TokenRow, UserRow};
pub use browse::{
    AppraisalRecord, EmployeeRecord, FollowupRecord, LeadRecord, LeaderboardLine, OpportunityRecord, RecordFilter,
    TrainingRecord,
};
pub use cadence::{CadenceLeadRow, CadenceOpportunityRow, CadenceQuery};
pub use commission::{
    CommissionInputs, CommissionPeriodRow, CommissionPerson, CommissionPlanRow, CreditQuery, DisputeRow, PeriodState,
    SplitShare, StatementLineRow, StatementRow, WonDealRow,
};
pub use conn::{Dialect, Store};
pub use error::StoreError;
pub use features::{CompletedCourse, LeadMixRow, PersonAttributes};
pub use forecast::{ForecastDeal, ForecastPerson, InterventionRow};
pub use import::{AffectedMonths, ImportCounts, ImportTx};
pub use jobs::{ChannelRow, JobRow, NewNotification, NotificationRow};
pub use metrics::{EmployeeMetricRow, MetricFilter, UnitMetricRow};
pub use payroll::{
    CorrectionRow, DeclarationItems, DeclarationRow, OpeningRow, PAYSLIP_NUMBERS, PayInputRow, PayrollInputs,
    PayrollPerson, PayrollRunRow, PayslipRow, PolicyRow, PriorRow, RunRefused, SalaryRow,
};
pub use people::{CrmUserKey, EmployeeKey, ImportHistory, LinkCandidate, NewImportRecord};
pub use routing::{AssignmentRow, AwaitingContact, NewLeadRow, PendingLead, RoutingLead, RoutingRep};
