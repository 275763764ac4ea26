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
