//! What every API handler shares: query and path extractors that answer with the API's error body,
//! the month and paging parameters, and one page of a list.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query};
use serde::Deserialize;
use uplift_domain::Month;
use utoipa::IntoParams;

use crate::error::{ApiError, Failure};

pub(super) type ApiResult<T> = Result<Json<T>, ApiError>;

/// Query parameters whose parse errors come back as the API's error body.
pub struct Q<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|e| {
                ApiError(Failure::BadRequest {
                    message: e.body_text(),
                    field: None,
                })
            })
    }
}

/// Path parameters, likewise.
pub struct P<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| P(v))
            .map_err(|e| {
                ApiError(Failure::BadRequest {
                    message: e.body_text(),
                    field: None,
                })
            })
    }
}

pub(super) fn bad(msg: impl Into<String>, field: &str) -> ApiError {
    ApiError(Failure::bad(msg, field))
}

pub(super) fn month_param(v: &Option<String>, field: &str) -> Result<Option<Month>, ApiError> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Month::parse(s)
            .map(Some)
            .map_err(|_| bad(format!("{field} must be a month like 2026-08, not {s:?}"), field)),
    }
}

/// Paging parameters shared by every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page number, from 1.
    page: Option<i64>,
    /// Rows per page, 1–500 (default 50).
    per_page: Option<i64>,
}

impl Paging {
    pub(super) fn limits(&self) -> Result<(i64, i64, i64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per = self.per_page.unwrap_or(50);
        if page < 1 {
            return Err(bad("page starts at 1", "page"));
        }
        if !(1..=500).contains(&per) {
            return Err(bad("per_page must be between 1 and 500", "per_page"));
        }
        Ok((page, per, (page - 1).saturating_mul(per)))
    }
}

/// Declares the type of one page of a list of `$item` (invoked where the item is defined).
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        /// One page of a list.
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            data: Vec<$item>,
            page: i64,
            per_page: i64,
            /// Rows matching the filters, over all pages.
            total: i64,
        }
    };
}
pub(super) use page_type;
