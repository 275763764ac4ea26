//! One error type for pages and one body shape for the API: `{"error": {"code", "message", "field"}}`.
//!
//! The request's language is chosen once, by [`crate::lang::remember_language`] around every request, so a
//! handler can turn any use-case error into a response with a plain `?`. Internal failures are
//! logged with a short reference that the page or API body repeats, so a user's report finds the
//! log line; their details never reach the caller.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use uplift_app::AppError;
use uplift_domain::Lang;

/// What went wrong, independent of how it is shown.
#[derive(Debug)]
pub enum Failure {
    /// Not signed in.
    Unauthenticated,
    Forbidden,
    NotFound(String),
    /// Bad input: a message for the user and the field it concerns.
    BadRequest {
        message: String,
        field: Option<String>,
    },
    /// It clashes with something that exists (a name taken, a duplicate key).
    Conflict {
        message: String,
        field: Option<String>,
    },
    TooManyRequests,
    Internal(String),
}

impl Failure {
    fn status(&self) -> StatusCode {
        match self {
            Failure::Unauthenticated => StatusCode::UNAUTHORIZED,
            Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::NotFound(_) => StatusCode::NOT_FOUND,
            Failure::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Failure::Conflict { .. } => StatusCode::CONFLICT,
            Failure::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::Unauthenticated => "unauthenticated",
            Failure::Forbidden => "forbidden",
            Failure::NotFound(_) => "not_found",
            Failure::BadRequest { .. } => "bad_request",
            Failure::Conflict { .. } => "conflict",
            Failure::TooManyRequests => "too_many_requests",
            Failure::Internal(_) => "internal",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            Failure::Unauthenticated => lang.pick("请先登录", "sign in first").into(),
            Failure::Forbidden => lang
                .pick("无权访问此内容", "You do not have access to this page or record.")
                .into(),
            Failure::NotFound(what) => format!("{}: {what}", lang.pick("找不到", "not found")),
            Failure::BadRequest { message, .. } | Failure::Conflict { message, .. } => message.clone(),
            Failure::TooManyRequests => lang
                .pick("尝试次数过多，请稍后再试", "too many attempts; try again later")
                .into(),
            // Details go to the log, not to the caller; the reference finds them there.
            Failure::Internal(detail) => format!(
                "{} ({} {})",
                lang.pick("服务器内部错误", "internal server error"),
                lang.pick("编号", "reference"),
                reference(detail)
            ),
        }
    }

    pub fn bad(message: impl Into<String>, field: &str) -> Failure {
        Failure::BadRequest {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    fn from_app(e: AppError, lang: Lang) -> Failure {
        match e {
            AppError::Forbidden => Failure::Forbidden,
            AppError::NotFound(w) => Failure::NotFound(w),
            AppError::Invalid(u) => Failure::BadRequest {
                message: u.message,
                field: u.field.map(str::to_string),
            },
            e @ AppError::Conflict(_) => {
                let field = match &e {
                    AppError::Conflict(u) => u.field.map(str::to_string),
                    _ => None,
                };
                Failure::Conflict {
                    message: e.render(lang),
                    field,
                }
            }
            e @ AppError::File(_) => Failure::BadRequest {
                message: e.render(lang),
                field: None,
            },
            AppError::Internal(detail) => Failure::Internal(detail),
            AppError::Store(s) => Failure::Internal(s.to_string()),
            AppError::Io(io) => Failure::Internal(io.to_string()),
        }
    }
}

/// An error of a page: an HTML page in the user's language, or a redirect to sign-in.
#[derive(Debug)]
pub struct WebError {
    pub failure: Failure,
    pub lang: Lang,
    /// Where to come back after signing in.
    pub next: Option<String>,
}

impl WebError {
    pub fn new(failure: Failure, lang: Lang) -> WebError {
        WebError {
            failure,
            lang,
            next: None,
        }
    }

    pub fn app(e: AppError, lang: Lang) -> WebError {
        WebError::new(Failure::from_app(e, lang), lang)
    }
}

impl From<AppError> for WebError {
    /// In the language of the request being answered (see [`crate::lang::remember_language`]).
    fn from(e: AppError) -> Self {
        WebError::app(e, crate::lang::request_language())
    }
}

/// A short, stable reference for an internal failure (the log line carries it too).
fn reference(detail: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    detail.hash(&mut h);
    format!("E{:08X}", h.finish() as u32)
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Failure::Unauthenticated = self.failure {
            let to = match self.next {
                Some(n) => format!("/login?next={}", crate::format::url_encode(&n)),
                None => "/login".into(),
            };
            return Redirect::to(&to).into_response();
        }
        if let Failure::Internal(detail) = &self.failure {
            tracing::error!(reference = %reference(detail), %detail, "request failed");
        }
        let status = self.failure.status();
        let l = self.lang;
        let title = match status {
            StatusCode::FORBIDDEN => l.pick("无权访问", "Forbidden"),
            StatusCode::NOT_FOUND => l.pick("页面不存在", "Not found"),
            StatusCode::BAD_REQUEST => l.pick("请求有误", "Bad request"),
            StatusCode::CONFLICT => l.pick("与已有记录冲突", "Conflict"),
            _ => l.pick("出错了", "Something went wrong"),
        };
        let body = format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · Uplift</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
             <body><main class=\"narrow\"><h1 id=\"error-title\">{status_code} · {title}</h1><p id=\"error-message\">{}</p>\
             <p><a href=\"/\">{}</a></p></main></body></html>",
            if l == Lang::En { "en" } else { "zh-CN" },
            crate::format::escape(&self.failure.message(l)),
            l.pick("返回首页", "Back to start"),
            status_code = status.as_u16(),
        );
        (status, Html(body)).into_response()
    }
}

/// An error of the API, as JSON.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(Failure::from_app(e, Lang::En))
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> Self {
        ApiError(f)
    }
}

/// The error body of every API response that failed.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `unauthenticated`, `forbidden`, `not_found`, `bad_request`, `conflict`, `too_many_requests`,
    /// `internal`.
    pub code: String,
    pub message: String,
    /// The query parameter or field at fault, if one is.
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Failure::Internal(detail) = &self.0 {
            tracing::error!(reference = %reference(detail), %detail, "api request failed");
        }
        let field = match &self.0 {
            Failure::BadRequest { field, .. } | Failure::Conflict { field, .. } => field.clone(),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().into(),
                message: self.0.message(Lang::En),
                field,
            },
        };
        let mut r = (self.0.status(), Json(body)).into_response();
        if let Failure::Unauthenticated = self.0 {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_user_did_wrong_is_shown_and_what_failed_inside_is_referenced() {
        let bad = Failure::from_app(
            AppError::invalid_field("month", "月份格式应为 2026-03".into()),
            Lang::Zh,
        );
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert!(matches!(&bad, Failure::BadRequest { field: Some(f), .. } if f == "month"));
        assert_eq!(bad.message(Lang::Zh), "月份格式应为 2026-03");

        let taken = Failure::from_app(
            AppError::conflict(Some("username"), "用户名已存在: li".into()),
            Lang::Zh,
        );
        assert_eq!(taken.status(), StatusCode::CONFLICT);
        assert_eq!(taken.code(), "conflict");

        let inside = Failure::from_app(
            AppError::internal("writing /var/uplift/x.csv: disk full".into()),
            Lang::En,
        );
        assert_eq!(inside.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let shown = inside.message(Lang::En);
        assert!(shown.starts_with("internal server error (reference E"), "{shown}");
        assert!(!shown.contains("disk full"), "details leaked: {shown}");
        // The same failure has the same reference in the log and on the page.
        assert_eq!(shown, inside.message(Lang::En));
        assert!(inside.message(Lang::Zh).contains("编号 E"));
    }

    #[tokio::test]
    async fn an_error_turned_into_a_response_speaks_the_requests_language() {
        assert_eq!(
            WebError::from(AppError::Forbidden).lang,
            Lang::Zh,
            "outside a request: Chinese"
        );
        let inside = crate::lang::REQUEST_LANGUAGE
            .scope(Lang::En, async { WebError::from(AppError::NotFound("E9".into())) })
            .await;
        assert_eq!(inside.lang, Lang::En);
        assert_eq!(inside.failure.message(inside.lang), "not found: E9");
    }
}
