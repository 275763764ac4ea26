//! Whether the service can do its work, for liveness probes.

use uplift_store::Store;

use crate::AppError;

/// Checks that the database answers: one read of a real table (a setting), so a broken
/// connection or a missing schema fails the check.
pub async fn check_database(store: &Store) -> Result<(), AppError> {
    store.setting("timezone").await?;
    Ok(())
}
