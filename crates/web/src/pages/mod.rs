//! Server-rendered pages, one file per feature. Each handler: caller → one use case → a view model of
//! display strings → a template. htmx requests get the partial they target, other requests the full
//! page. What every page shares (the menu, rendering, errors) is in [`layout`].

mod api_docs;
mod audit;
mod commission;
mod commission_plans;
mod drivers;
mod effects;
mod forecast;
mod import;
mod inbox;
mod layout;
mod leaderboard;
mod overview;
mod payroll;
mod person;
mod routing;
mod session;
mod settings;
mod sla;
mod team;
mod today;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uplift_domain::Lang;

use crate::AppState;
use crate::auth::LANG_COOKIE;
use crate::error::{Failure, WebError};

/// Every page: each feature's routes, merged.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(overview::routes())
        .merge(session::routes())
        .merge(team::routes())
        .merge(person::routes())
        .merge(leaderboard::routes())
        .merge(drivers::routes())
        .merge(import::routes())
        .merge(settings::routes())
        .merge(audit::routes())
        .merge(api_docs::routes())
        .merge(forecast::routes())
        .merge(effects::routes())
        .merge(today::routes())
        .merge(inbox::routes())
        .merge(sla::routes())
        .merge(commission::routes())
        .merge(commission_plans::routes())
        .merge(payroll::routes())
        .merge(routing::routes())
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

/// Headers every response carries: no framing, no sniffing, scripts only from Uplift itself.
pub(crate) async fn security_headers(req: axum::extract::Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // Pages, API answers and exports carry people's data: never kept by the browser, so that Back
    // after signing out shows nothing (issue 15). Static assets set their own caching.
    if !h.contains_key(axum::http::header::CACHE_CONTROL) {
        h.insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    );
    r
}

pub(crate) async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError(Failure::NotFound(uri.path().to_string())).into_response();
    }
    let lang = crate::auth::cookie(&headers, LANG_COOKIE)
        .map(Lang::from_locale)
        .unwrap_or_default();
    WebError::new(Failure::NotFound(uri.path().to_string()), lang).into_response()
}
