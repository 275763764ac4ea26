//! Uplift's web application: server-rendered pages (askama + htmx, ECharts) and the REST API under
//! `/api/v1` with its OpenAPI document. Handlers are thin: they parse the request, call one use case
//! of `uplift_app` with the caller's [`Principal`](uplift_app::access::Principal) and render the result.
//!
//! Adding a page: write its template in `templates/` and its handler (taking a [`Caller`]) in
//! `pages/<feature>.rs`, using the helpers of `pages/layout.rs`; add the `.route(...)` to that file's
//! `routes()` (a new file's `routes()` is merged in `pages/mod.rs`), and a menu entry in `chrome()`
//! in `pages/layout.rs` if it belongs in the menu. An API route goes in `api/<feature>.rs` the same
//! way, using the extractors and paging of `api/params.rs`; list its handler and schemas in `ApiDoc`
//! in `api/mod.rs` so the OpenAPI document shows it.

mod api;
mod assets;
mod auth;
mod error;
mod format;
mod lang;
mod pages;
mod uploads;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::trace::TraceLayer;
use uplift_app::Store;

pub use auth::Caller;
pub use error::WebError;

/// Largest accepted upload (import files); bigger requests get 413.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Where uploaded import files wait between preview and commit.
    pub upload_dir: PathBuf,
    /// Send cookies with `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    pub(crate) limiter: Arc<auth::SignInLimiter>,
    /// This process's online lead router (its month plan and what is left of it).
    pub online: Arc<uplift_app::routing::OnlineRouter>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (none by default): behind a proxy every
    /// request comes from its address, so without this one person's failed sign-ins would lock
    /// everyone out, and the audit log would show only the proxy.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

impl AppState {
    pub fn new(store: Store, upload_dir: PathBuf, secure_cookies: bool) -> AppState {
        AppState {
            store,
            upload_dir,
            secure_cookies,
            limiter: Arc::new(auth::SignInLimiter::default()),
            online: Arc::new(uplift_app::routing::OnlineRouter::default()),
            trusted_proxies: Arc::new(Vec::new()),
        }
    }

    /// Believes `X-Forwarded-For` from these proxy addresses only.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> AppState {
        self.trusted_proxies = Arc::new(proxies);
        self
    }
}

/// Every route of the product.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .route("/healthz", get(healthz))
        .route("/static/{*path}", get(assets::serve))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .layer(axum::middleware::from_fn(lang::remember_language))
        .layer(
            // One line per request at INFO (method, path, status, latency).
            TraceLayer::new_for_http()
                .make_span_with(tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// Liveness: `ok` once the database answers.
async fn healthz(axum::extract::State(s): axum::extract::State<AppState>) -> Result<&'static str, WebError> {
    uplift_app::health::check_database(&s.store).await?;
    Ok("ok")
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// How long a browser may cache vendored assets (they change only with a release).
pub(crate) const ASSET_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
