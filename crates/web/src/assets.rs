//! Scripts, styles and fonts compiled into the binary: nothing is loaded from the internet.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// (path under `/static/`, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/app.js"),
    ),
    (
        "api-docs.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/api-docs.js"),
    ),
    (
        "vendor/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/htmx.min.js"),
    ),
    (
        "vendor/echarts.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/echarts.min.js"),
    ),
    (
        "vendor/swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/swagger-ui-bundle.js"),
    ),
    (
        "vendor/swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/vendor/swagger-ui.css"),
    ),
];

pub async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, ctype, bytes)) => {
            let mut r = (*bytes).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
            if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={}", crate::ASSET_MAX_AGE.as_secs())) {
                h.insert(header::CACHE_CONTROL, v);
            }
            r
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
