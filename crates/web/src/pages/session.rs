//! Sign-in and sign-out: the login form, its same-site check and the safe `next` redirect.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uplift_app::access;
use uplift_app::views::{has_overview, home_path};
use uplift_domain::Lang;

use super::layout::set_lang_cookie;
use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, caller_of, has_lang_param, ip_of, lang_of};
use crate::error::{Failure, WebError};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    en: bool,
    error: Option<String>,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths: never an open redirect to another host. Browsers drop tabs and line
/// breaks from URLs and read `\` as `/`, so any of those (or a second leading `/`) disqualify it.
fn safe_next(n: Option<&str>) -> Option<String> {
    n.filter(|n| {
        n.starts_with('/')
            && !n[1..].starts_with('/')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    })
    .map(str::to_string)
}

/// Whether a sign-in form was posted from this site. The browser says so in `Sec-Fetch-Site`; older
/// browsers send `Origin`, which must name this host (or the host a proxy forwarded). No header at
/// all is a non-browser client, which cannot be tricked into posting.
fn same_site_post(headers: &HeaderMap) -> bool {
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    match get("origin") {
        None => true,
        Some(origin) => {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            !origin_host.is_empty()
                && (Some(origin_host) == get("host") || Some(origin_host) == get("x-forwarded-host"))
        }
    }
}

async fn login_page(
    State(s): State<AppState>,
    Query(q): Query<NextQuery>,
    req: axum::extract::Request,
) -> Result<Response, WebError> {
    let (parts, _) = req.into_parts();
    let lang = lang_of(&parts);
    if let Ok(Some(c)) = caller_of(&parts, &s).await {
        return Ok(Redirect::to(&home_path(&c.principal)).into_response());
    }
    let t = LoginPage {
        en: lang == Lang::En,
        error: None,
        next: safe_next(q.next.as_deref()).unwrap_or_default(),
    };
    let mut r = Html(
        t.render()
            .map_err(|e| WebError::new(Failure::Internal(e.to_string()), lang))?,
    )
    .into_response();
    if has_lang_param(&parts.uri) {
        set_lang_cookie(&mut r, lang);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(State(s): State<AppState>, req: axum::extract::Request) -> Result<Response, WebError> {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts);
    // Sign-in has no session yet, so no CSRF token: a form posted from another site is refused.
    if !same_site_post(&parts.headers) {
        return Err(WebError::new(Failure::Forbidden, lang));
    }
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| WebError::new(Failure::bad("form too large", "body"), lang))?;
    let form: LoginForm = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
        WebError::new(
            Failure::bad(lang.pick("表单不完整", "incomplete form"), "username"),
            lang,
        )
    })?;
    let ip = ip_of(&parts, &s.trusted_proxies);
    let ip_key = format!("ip:{}", ip.clone().unwrap_or_default());
    let user_key = format!("user:{}", form.username.trim());
    let render_error = |msg: &str| -> Result<Response, WebError> {
        let t = LoginPage {
            en: lang == Lang::En,
            error: Some(msg.to_string()),
            next: safe_next(form.next.as_deref()).unwrap_or_default(),
        };
        let html = t
            .render()
            .map_err(|e| WebError::new(Failure::Internal(e.to_string()), lang))?;
        Ok((StatusCode::UNAUTHORIZED, Html(html)).into_response())
    };
    if s.limiter.blocked(&ip_key) || s.limiter.blocked(&user_key) {
        let t = LoginPage {
            en: lang == Lang::En,
            error: Some(Failure::TooManyRequests.message(lang)),
            next: String::new(),
        };
        let html = t
            .render()
            .map_err(|e| WebError::new(Failure::Internal(e.to_string()), lang))?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response());
    }
    // Counted before the (slow) password check, so parallel guesses are limited too.
    s.limiter.failed(&ip_key);
    s.limiter.failed(&user_key);
    let started = access::sign_in(&s.store, &form.username, &form.password, ip.as_deref())
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let Some(session) = started else {
        return render_error(lang.pick("用户名或密码错误", "wrong user name or password"));
    };
    s.limiter.succeeded(&ip_key);
    s.limiter.succeeded(&user_key);
    let principal = access::principal_of_user(&s.store, &session.user)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let to = safe_next(form.next.as_deref())
        .filter(|n| n != "/" || has_overview(&principal))
        .unwrap_or_else(|| home_path(&principal));
    let mut r = Redirect::to(&to).into_response();
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session.session_id,
        access::SESSION_SECONDS,
        if s.secure_cookies { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn logout(State(s): State<AppState>, c: Caller, Form(f): Form<CsrfOnly>) -> Result<Response, WebError> {
    c.check_csrf(f.csrf.as_deref()).map_err(|f| WebError::new(f, c.lang))?;
    if let Some(sid) = &c.session_id {
        access::sign_out(&s.store, sid, &c.principal.actor, c.ip()).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("uplift_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{safe_next, same_site_post};

    #[test]
    fn next_accepts_only_paths_of_this_site() {
        assert_eq!(
            safe_next(Some("/team?month=2026-10")).as_deref(),
            Some("/team?month=2026-10")
        );
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a b",
            "/\n/x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn sign_in_posts_must_come_from_this_site() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        assert!(same_site_post(&h(&[])), "curl and scripts send neither header");
        assert!(same_site_post(&h(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://x")
        ])));
        assert!(!same_site_post(&h(&[("sec-fetch-site", "cross-site")])));
        assert!(same_site_post(&h(&[
            ("origin", "http://uplift.local:8080"),
            ("host", "uplift.local:8080")
        ])));
        assert!(same_site_post(&h(&[
            ("origin", "https://hr.example.cn"),
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "hr.example.cn")
        ])));
        assert!(!same_site_post(&h(&[("origin", "null"), ("host", "uplift.local")])));
        assert!(!same_site_post(&h(&[
            ("origin", "http://evil.example"),
            ("host", "uplift.local")
        ])));
    }
}
