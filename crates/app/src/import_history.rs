//! The history of imports: what was imported when, with each run's counts and problems. Only
//! roles that may import read it.

use uplift_store::{ImportHistory, Store};

use crate::AppError;
use crate::access::Principal;

/// The newest imports, newest first, at most `limit`. [`AppError::Forbidden`] unless the caller's
/// role may import.
pub async fn recent(store: &Store, p: &Principal, limit: i64) -> Result<Vec<ImportHistory>, AppError> {
    p.require(p.role.may_import())?;
    Ok(store.import_history(limit).await?)
}

/// One import by id. [`AppError::Forbidden`] unless the caller's role may import (checked first,
/// so others cannot learn which ids exist); [`AppError::NotFound`] when there is no such import.
pub async fn by_id(store: &Store, p: &Principal, id: i64) -> Result<ImportHistory, AppError> {
    p.require(p.role.may_import())?;
    store
        .import_by_id(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("import {id}")))
}
