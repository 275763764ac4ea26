//! The errors of the use cases. What the user did wrong ([`AppError::Invalid`], [`AppError::Conflict`],
//! [`AppError::File`]) is kept apart from what failed inside Uplift ([`AppError::Internal`], and the
//! store's and the file system's failures), so the edges can show the first in words and the second
//! as "something went wrong, reference …" with the details in the log.

use uplift_domain::Lang;
use uplift_io::Issue;
use uplift_store::StoreError;

/// Something the user can fix: a message in their language, a stable key for programs, and the
/// field it concerns when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// A stable identifier of the kind of problem (`invalid`, `conflict`, …), for API clients.
    pub key: &'static str,
    /// The form field or query parameter at fault.
    pub field: Option<&'static str>,
    pub message: String,
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Errors of a use case.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A whole file could not be used (unreadable, wrong format, missing columns, bad mapping).
    #[error("{0}")]
    File(Issue),
    /// The request cannot be done as asked: a bad value, an unknown name, too little data.
    #[error("{0}")]
    Invalid(UserError),
    /// It clashes with something that exists (a name already taken, a record already there).
    #[error("{0}")]
    Conflict(UserError),
    /// The caller may not see or do this.
    #[error("forbidden")]
    Forbidden,
    /// No such thing (what was looked for).
    #[error("not found: {0}")]
    NotFound(String),
    /// Uplift failed inside: a file it could not write, a task that died, stored data it cannot
    /// read. Not the user's doing; the text is for the log.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl AppError {
    /// A request the user can fix, with a message in their language.
    pub fn invalid(message: String) -> AppError {
        AppError::Invalid(UserError {
            key: "invalid",
            field: None,
            message,
        })
    }

    /// A bad value of one field or parameter.
    pub fn invalid_field(field: &'static str, message: String) -> AppError {
        AppError::Invalid(UserError {
            key: "invalid",
            field: Some(field),
            message,
        })
    }

    /// A clash with something that exists.
    pub fn conflict(field: Option<&'static str>, message: String) -> AppError {
        AppError::Conflict(UserError {
            key: "conflict",
            field,
            message,
        })
    }

    /// A failure inside Uplift, with what was being done.
    pub fn internal(context: String) -> AppError {
        AppError::Internal(context)
    }

    /// Whether the user caused this (and words can tell them how to fix it).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            AppError::File(_)
                | AppError::Invalid(_)
                | AppError::Conflict(_)
                | AppError::Forbidden
                | AppError::NotFound(_)
        )
    }

    /// The message in the user's language.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            AppError::File(i) => i.render(lang),
            AppError::Forbidden => lang.pick("无权访问", "forbidden").to_string(),
            AppError::NotFound(what) => format!("{}: {what}", lang.pick("不存在", "not found")),
            AppError::Conflict(u) if u.key == "duplicate" => format!(
                "{}: {}",
                lang.pick("与已有记录重复", "duplicates an existing record"),
                u.message
            ),
            other => other.to_string(),
        }
    }
}

impl From<Issue> for AppError {
    fn from(i: Issue) -> Self {
        AppError::File(i)
    }
}

impl From<StoreError> for AppError {
    /// A unique-constraint violation is a conflict the user can resolve; any other store failure
    /// is internal.
    fn from(e: StoreError) -> Self {
        match e.unique_violation() {
            // The words are chosen at the edge, in the reader's language (see `render`).
            Some(what) => AppError::Conflict(UserError {
                key: "duplicate",
                field: None,
                message: what,
            }),
            None => AppError::Store(e),
        }
    }
}
