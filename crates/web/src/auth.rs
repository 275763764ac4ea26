//! Who is calling: a session cookie (pages) or an `Authorization: Bearer` token (integrations),
//! the CSRF check of cookie-authenticated changes, and sign-in rate limiting. What a role may open
//! is asked of [`Role`](uplift_domain::access::Role) itself, by the menu, the pages and the API alike.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use uplift_app::access::{self, Principal};
use uplift_domain::Lang;

use crate::AppState;
use crate::error::{ApiError, Failure, WebError};
pub(crate) use crate::lang::has_lang_param;
pub use crate::lang::{LANG_COOKIE, cookie, lang_of};

pub const SESSION_COOKIE: &str = "uplift_session";

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The session's secret id, when signed in with a cookie (not a token).
    pub session_id: Option<String>,
    /// The CSRF token forms of this session must carry.
    pub csrf: Option<String>,
    pub lang: Lang,
    /// The request chose the language (`?lang=`): pages remember it in a cookie, so the switch in
    /// the header holds for the next pages too.
    pub lang_chosen: bool,
    pub ip: Option<String>,
    /// An import's metric months wait for their recompute: pages say the numbers are being redone.
    pub metrics_pending: bool,
}

impl Caller {
    /// Checks the CSRF token of a change made with a session cookie. Token callers need none:
    /// a browser never sends a bearer token by itself.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), Failure> {
        match &self.csrf {
            None => Ok(()),
            Some(expected) if sent.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) => Ok(()),
            Some(_) => Err(Failure::Forbidden),
        }
    }

    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's address: the connection's peer, or — when the peer is a trusted proxy — the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy (read from the right,
/// since a client can write anything on the left).
pub fn ip_of(parts: &Parts, trusted: &[IpAddr]) -> Option<String> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    client_ip(
        peer,
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        trusted,
    )
    .map(|ip| ip.to_string())
}

fn client_ip<'h>(peer: Option<IpAddr>, forwarded: impl Iterator<Item = &'h str>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            // A malformed entry ends what can be believed: the last trusted hop's word stands.
            Err(_) => break,
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
        }
    }
    Some(client)
}

fn is_api(parts: &Parts) -> bool {
    parts.uri.path().starts_with("/api/")
}

/// The caller, if the request carries a valid session cookie or bearer token.
pub async fn caller_of(parts: &Parts, state: &AppState) -> Result<Option<Caller>, Failure> {
    let lang = lang_of(parts);
    let lang_chosen = has_lang_param(&parts.uri);
    let ip = ip_of(parts, &state.trusted_proxies);
    let internal = |e: uplift_app::AppError| Failure::Internal(e.to_string());
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or(Failure::Unauthenticated)?;
        return match access::token_principal(&state.store, token).await.map_err(internal)? {
            Some(principal) => Ok(Some(Caller {
                principal,
                session_id: None,
                csrf: None,
                lang,
                lang_chosen,
                ip,
                metrics_pending: false,
            })),
            None => Err(Failure::Unauthenticated),
        };
    }
    let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    match access::session(&state.store, sid).await.map_err(internal)? {
        Some((user, csrf)) => {
            let principal = access::principal_of_user(&state.store, &user).await.map_err(internal)?;
            let metrics_pending = uplift_app::metrics::recompute_pending(&state.store)
                .await
                .map_err(internal)?;
            Ok(Some(Caller {
                principal,
                session_id: Some(sid.to_string()),
                csrf: Some(csrf),
                lang,
                lang_chosen,
                ip,
                metrics_pending,
            }))
        }
        None => Ok(None),
    }
}

/// Why a request has no caller: a redirect to sign-in for pages, 401 JSON for the API.
pub enum Rejection {
    Page(WebError),
    Api(ApiError),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Page(e) => e.into_response(),
            Rejection::Api(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let result = caller_of(parts, state).await;
        let failure = match result {
            Ok(Some(c)) => return Ok(c),
            Ok(None) => Failure::Unauthenticated,
            Err(f) => f,
        };
        if is_api(parts) {
            Err(Rejection::Api(ApiError(failure)))
        } else {
            let mut e = WebError::new(failure, lang_of(parts));
            if parts.method == axum::http::Method::GET {
                e.next = parts.uri.path_and_query().map(|p| p.as_str().to_string());
            }
            Err(Rejection::Page(e))
        }
    }
}

/// Failed sign-ins per client address: after [`SignInLimiter::MAX_FAILURES`] in the window,
/// further attempts are refused until the window passes.
#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl SignInLimiter {
    pub const MAX_FAILURES: u32 = 10;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);
    pub const MAX_KEYS: usize = 100_000;

    pub fn blocked(&self, key: &str) -> bool {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .is_some_and(|(n, since)| *n >= Self::MAX_FAILURES && since.elapsed() < Self::WINDOW)
    }

    pub fn failed(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > Self::MAX_KEYS {
            map.retain(|_, (_, since)| since.elapsed() < Self::WINDOW);
            if map.len() > Self::MAX_KEYS {
                // Under a flood of distinct keys, keep the ones already blocked and start over for
                // the rest: memory stays bounded and blocked keys stay blocked.
                map.retain(|_, (n, _)| *n >= Self::MAX_FAILURES);
            }
        }
        let e = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= Self::WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    pub fn succeeded(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_client_address_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("10.0.0.5")];
        let hop = |v: &'static str| std::iter::once(v);
        // Straight from a client: the peer, whatever the header says.
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), hop("1.2.3.4"), &proxy),
            Some(ip("203.0.113.9"))
        );
        // Through the proxy: the address it saw.
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), hop("203.0.113.9"), &proxy),
            Some(ip("203.0.113.9"))
        );
        // A client's own X-Forwarded-For entries on the left are not believed.
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), hop("6.6.6.6, 203.0.113.9"), &proxy),
            Some(ip("203.0.113.9"))
        );
        // Two trusted proxies in a row: the first untrusted address from the right.
        let two = [ip("10.0.0.5"), ip("10.0.0.6")];
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), hop("203.0.113.9, 10.0.0.6"), &two),
            Some(ip("203.0.113.9"))
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), std::iter::empty(), &proxy),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), hop("unknown"), &proxy),
            Some(ip("10.0.0.5"))
        );
        // Nothing trusted (the default): the peer.
        assert_eq!(
            client_ip(Some(ip("10.0.0.5")), hop("203.0.113.9"), &[]),
            Some(ip("10.0.0.5"))
        );
    }

    use super::*;

    #[test]
    fn limiter_blocks_after_max_failures_and_clears_on_success() {
        let l = SignInLimiter::default();
        for _ in 0..SignInLimiter::MAX_FAILURES - 1 {
            l.failed("1.2.3.4");
        }
        assert!(!l.blocked("1.2.3.4"));
        l.failed("1.2.3.4");
        assert!(l.blocked("1.2.3.4"));
        assert!(!l.blocked("5.6.7.8"));
        l.succeeded("1.2.3.4");
        assert!(!l.blocked("1.2.3.4"));
    }

    #[test]
    fn csrf_is_required_for_sessions_only() {
        let p = Principal {
            actor: "a".into(),
            role: uplift_domain::access::Role::Admin,
            employee_no: None,
            scope: uplift_domain::access::Scope::All,
        };
        let mut c = Caller {
            principal: p,
            session_id: Some("s".into()),
            csrf: Some("tok".into()),
            lang: Lang::Zh,
            lang_chosen: false,
            ip: None,
            metrics_pending: false,
        };
        assert!(c.check_csrf(Some("tok")).is_ok());
        assert!(c.check_csrf(Some("tok2")).is_err());
        assert!(c.check_csrf(None).is_err());
        c.csrf = None;
        assert!(c.check_csrf(None).is_ok());
    }
}
