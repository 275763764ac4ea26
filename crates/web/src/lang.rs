//! The language of a request: `?lang=`, then the language cookie, then Chinese. It is chosen once
//! per request ([`remember_language`]) and read wherever a response is made, errors included.

use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use uplift_domain::Lang;

/// The cookie that keeps a chosen language across pages.
pub const LANG_COOKIE: &str = "uplift_lang";

/// A cookie's value from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language of a request: `?lang=` first, then the language cookie, then Chinese.
pub fn lang_of(parts: &Parts) -> Lang {
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .map(|(_, v)| Lang::from_locale(v))
    });
    from_query
        .or_else(|| cookie(&parts.headers, LANG_COOKIE).map(Lang::from_locale))
        .unwrap_or_default()
}

/// Whether the request chooses a language with `?lang=`.
pub(crate) fn has_lang_param(uri: &axum::http::Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("lang=")))
}

tokio::task_local! {
    pub(crate) static REQUEST_LANGUAGE: Lang;
}

/// The language of the request this task is answering; Chinese outside a request.
pub fn request_language() -> Lang {
    REQUEST_LANGUAGE.try_with(|l| *l).unwrap_or_default()
}

/// Runs the rest of the request with its language remembered (`?lang=`, then the language
/// cookie), so errors turned into responses anywhere below speak it.
pub async fn remember_language(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts);
    REQUEST_LANGUAGE
        .scope(lang, next.run(axum::extract::Request::from_parts(parts, body)))
        .await
}
