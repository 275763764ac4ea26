use uplift_domain::Lang;
use uplift_io::Issue;
use uplift_store::StoreError;

/// Errors of a use case.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A whole file could not be used (unreadable, wrong format, missing columns, bad mapping).
    #[error("{0}")]
    File(Issue),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The caller may not see or do this.
    #[error("forbidden")]
    Forbidden,
    /// No such thing (what was looked for).
    #[error("not found: {0}")]
    NotFound(String),
}

impl AppError {
    /// The message in the user's language.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            AppError::File(i) => i.render(lang),
            AppError::Forbidden => lang.pick("无权访问", "forbidden").to_string(),
            AppError::NotFound(what) => format!("{}: {what}", lang.pick("不存在", "not found")),
            other => other.to_string(),
        }
    }
}

impl From<Issue> for AppError {
    fn from(i: Issue) -> Self {
        AppError::File(i)
    }
}
