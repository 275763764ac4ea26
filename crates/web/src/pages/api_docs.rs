//! The API reference page (`/api/docs`): Swagger UI over the OpenAPI document, public.

use askama::Template;
use axum::Router;
use axum::response::Html;
use axum::routing::get;
use uplift_domain::Lang;

use crate::AppState;
use crate::error::{Failure, WebError};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/docs", get(api_docs))
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocs;

/// The API reference is public (it describes, it does not reveal data).
async fn api_docs() -> Result<Html<String>, WebError> {
    ApiDocs
        .render()
        .map(Html)
        .map_err(|e| WebError::new(Failure::Internal(e.to_string()), Lang::Zh))
}
