/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid database URL \"{0}\": use a file path, sqlite://path or postgres://…")]
    BadUrl(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// What a unique constraint refused (`table.column` or the constraint's name), when this is
    /// such a refusal.
    pub fn unique_violation(&self) -> Option<String> {
        let StoreError::Db(sqlx::Error::Database(d)) = self else {
            return None;
        };
        if !d.is_unique_violation() {
            return None;
        }
        // SQLite: "UNIQUE constraint failed: users.name"; PostgreSQL names the constraint.
        Some(
            d.constraint()
                .map(str::to_string)
                .or_else(|| d.message().split_once("failed: ").map(|(_, w)| w.to_string()))
                .unwrap_or_else(|| d.message().to_string()),
        )
    }
}
