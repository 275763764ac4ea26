//! The caller's inbox: their messages, marking them read, and their notification preferences.
//! A caller only ever reaches the messages addressed to them.

use uplift_store::{NotificationRow, Store};

use crate::AppError;
use crate::access::{Principal, audit_by};

/// Who a caller's messages are addressed to: their employee number, or `user:<name>` for accounts
/// without an employee (never another person's).
pub fn recipient(p: &Principal) -> String {
    p.employee_no.clone().unwrap_or_else(|| format!("user:{}", p.actor))
}

/// The caller's newest messages, newest first, at most `limit`.
pub async fn messages(store: &Store, p: &Principal, limit: i64) -> Result<Vec<NotificationRow>, AppError> {
    Ok(store.inbox(&recipient(p), limit).await?)
}

/// Marks one of the caller's messages read, or all of them when `id` is `None`; returns how many
/// changed. Another person's message is left alone.
pub async fn mark_read(store: &Store, p: &Principal, id: Option<i64>) -> Result<u64, AppError> {
    Ok(store.mark_read(&recipient(p), id).await?)
}

/// The caller's notification preferences: (email copies, daily digest only).
pub async fn preferences(store: &Store, p: &Principal) -> Result<(bool, bool), AppError> {
    Ok(store.notification_prefs(&recipient(p)).await?)
}

/// Sets the caller's notification preferences, audited (`notify.prefs`).
pub async fn set_preferences(
    store: &Store,
    p: &Principal,
    email: bool,
    digest_only: bool,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let who = recipient(p);
    store.set_notification_prefs(&who, email, digest_only).await?;
    audit_by(store, p, "notify.prefs", Some(&who), None, ip).await
}
