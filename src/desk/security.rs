//! Who may use the desk, and how a request proves it: the host check, the password and its
//! session, the CSRF token and the Origin check, and the headers every answer carries.
//!
//! Rules (issue 12):
//! - Bound to loopback, the desk answers only requests whose `Host` is the address it is bound
//!   to (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`): a page on another site that
//!   rebinds its DNS name to 127.0.0.1 is refused before it can read a token.
//! - With a password (required off loopback), every page but the login page and the assets
//!   needs a session cookie (`HttpOnly`, `SameSite=Strict`, `Secure` behind TLS); logins are
//!   rate-limited per client address ([`MAX_FAILURES`] per [`FAILURE_WINDOW`]).
//! - Every `POST` carries the CSRF token (header `X-CSRF-Token` or form field `csrf`) and no
//!   foreign `Origin` or cross-site `Sec-Fetch-Site`; otherwise 403, and the handler never runs.
//! - Every answer has a Content-Security-Policy without inline script ([`CSP`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use super::{DeskError, DeskState};

/// The policy of every answer: scripts and styles only from the desk's own assets, no inline
/// script or handler, no framing, forms and fetches only to the desk. Images may come from
/// the web: a draft's items show the pictures their feeds carry.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: https: http:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The session cookie's name.
pub(crate) const COOKIE: &str = "roundup_desk";

/// Failed logins from one address allowed per [`FAILURE_WINDOW`].
pub(crate) const MAX_FAILURES: u32 = 5;
/// See [`MAX_FAILURES`].
pub(crate) const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a session lasts.
const SESSION_FOR: Duration = Duration::from_secs(12 * 3600);
/// The most a state-changing request's form may weigh.
const MAX_FORM: usize = 1 << 20;

/// Who may use the desk: decided by `roundup desk` from its address and the configuration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    /// The Argon2 hash of the password (PHC string); `None`: no login (loopback only).
    pub password_hash: Option<String>,
    /// The desk is reached through a TLS proxy: the session cookie is `Secure`.
    pub behind_tls: bool,
    /// The `Host` values accepted; `None` accepts any (a password guards the desk then).
    pub allowed_hosts: Option<Vec<String>>,
}

impl Access {
    /// Loopback on `port`, no password: what `roundup desk` does by default.
    pub(crate) fn loopback(port: u16) -> Access {
        Access {
            password_hash: None,
            behind_tls: false,
            allowed_hosts: Some(vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ]),
        }
    }
}

/// The Argon2id hash (PHC string, random salt) of `password`, for `[desk] password_hash`.
pub(crate) fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    crate::hex::hex(&bytes)
}

/// Compares two tokens in time that does not depend on where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct Session {
    csrf: String,
    until: Instant,
}

/// The live security state: sessions and login failures, in memory (a restart logs out).
pub(crate) struct Guard {
    access: Access,
    /// The CSRF token when there is no session: without a password, every page's; with one,
    /// the login form's.
    open_csrf: String,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// The address the request came from (the TCP peer), for the login limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub IpAddr);

/// The CSRF token of the request's session, for the page to embed.
#[derive(Debug, Clone)]
pub(crate) struct Csrf(pub String);

impl Guard {
    pub(crate) fn new(access: Access) -> Guard {
        Guard {
            access,
            open_csrf: random_token(),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn has_password(&self) -> bool {
        self.access.password_hash.is_some()
    }

    /// The session named by the request's cookie, if live: its CSRF token.
    fn session(&self, headers: &HeaderMap) -> Option<String> {
        let id = cookie(headers, COOKIE)?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        sessions.retain(|_, s| s.until > now);
        sessions.get(id).map(|s| s.csrf.clone())
    }

    /// Refuses `ip` when it has failed too often lately: how long until it may try again.
    fn locked_out(&self, ip: IpAddr) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (count, since) = failures.get(&ip)?;
        let left = FAILURE_WINDOW.checked_sub(since.elapsed())?;
        (*count >= MAX_FAILURES).then_some(left)
    }

    fn failed(&self, ip: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = failures.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() > FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    fn cookie_header(&self, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.access.behind_tls { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ))
        .expect("a token is a valid header value")
    }
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Why a state-changing request is refused, if it is: a foreign origin.
fn foreign_origin(headers: &HeaderMap) -> Option<&'static str> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Some("refused: the request came from another site");
    }
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("null");
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .filter(|h| !h.contains('/'));
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => None,
        _ => Some("refused: the request came from another origin"),
    }
}

/// The security layer: host, session, CSRF and Origin checks before any handler; the security
/// headers after.
pub(crate) async fn guard(
    State(state): State<Arc<DeskState>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let gzip = crate::http::accepts_gzip(
        req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()),
    );
    let mut response = check(&state, req, next).await;
    if gzip {
        response = compressed(response).await;
    }
    let h = response.headers_mut();
    // How long the desk took, for the bench and the browser's network panel.
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={millis:.2}")) {
        h.insert("server-timing", v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Pages, scripts and JSON of at least [`GZIP_FROM`] bytes, gzipped (the candidates of a big
/// week are mostly repeated markup).
async fn compressed(response: Response) -> Response {
    use std::io::Write;
    let textual = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("text/") || t.starts_with("application/json"));
    if !textual || response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return DeskError::internal("the answer could not be read".into()).into_response();
    };
    if bytes.len() < GZIP_FROM {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let Ok(zipped) = enc.write_all(&bytes).and_then(|()| enc.finish()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Response::from_parts(parts, Body::from(zipped))
}

/// Smaller answers are sent as they are.
const GZIP_FROM: usize = 1024;

async fn check(state: &DeskState, mut req: Request, next: Next) -> Response {
    let guard = &state.guard;
    if let Some(allowed) = &guard.access.allowed_hosts
        && let Some(host) = req.headers().get(header::HOST)
        && !allowed.iter().any(|a| host.to_str().is_ok_and(|h| h.eq_ignore_ascii_case(a)))
    {
        return DeskError::forbidden(
            "refused: this desk answers only at the address it is bound to",
        )
        .into_response();
    }
    let path = req.uri().path().to_string();
    let open = path.starts_with("/assets/") || path == "/login";
    let session = if guard.has_password() { guard.session(req.headers()) } else { None };
    let csrf = match (&session, guard.has_password()) {
        (Some(token), _) => token.clone(),
        (None, false) => guard.open_csrf.clone(),
        (None, true) if open => guard.open_csrf.clone(),
        (None, true) => {
            if req.method() == Method::GET && !path.starts_with("/api/") {
                return Redirect::to("/login").into_response();
            }
            return DeskError::new(StatusCode::UNAUTHORIZED, "log in first".into()).into_response();
        }
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if let Some(why) = foreign_origin(req.headers()) {
            return DeskError::forbidden(why).into_response();
        }
        let from_header =
            req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let sent = match from_header {
            Some(t) => Some(t),
            None => {
                let (parts, body) = req.into_parts();
                let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
                    return DeskError::bad_request("the form is too large".into()).into_response();
                };
                let token = url::form_urlencoded::parse(&bytes)
                    .find(|(k, _)| k == "csrf")
                    .map(|(_, v)| v.into_owned());
                req = Request::from_parts(parts, Body::from(bytes));
                token
            }
        };
        if !sent.is_some_and(|t| same_token(&t, &csrf)) {
            return DeskError::forbidden(
                "refused: the form's security token is missing or out of date (reload the page)",
            )
            .into_response();
        }
    }
    // Behind a proxy every client is the proxy: a limit per address is then the desk's as a whole.
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(Csrf(csrf));
    next.run(req).await
}

#[derive(Serialize)]
struct LoginView {
    csrf: String,
    message: Option<String>,
    site: String,
}

fn login_form(state: &DeskState, status: StatusCode, message: Option<String>) -> Response {
    let view = LoginView {
        csrf: state.guard.open_csrf.clone(),
        message,
        site: state.config.roundup.site_name.clone(),
    };
    match state.pages.render("login", &view) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => e.page().into_response(),
    }
}

pub(crate) async fn login_page(State(state): State<Arc<DeskState>>) -> Response {
    if !state.guard.has_password() {
        return Redirect::to("/").into_response();
    }
    login_form(&state, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    password: String,
}

pub(crate) async fn login(
    State(state): State<Arc<DeskState>>,
    axum::Extension(ClientIp(ip)): axum::Extension<ClientIp>,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let Some(hash) = state.guard.access.password_hash.clone() else {
        return Redirect::to("/").into_response();
    };
    if let Some(left) = state.guard.locked_out(ip) {
        let minutes = left.as_secs().div_ceil(60);
        let mut r = login_form(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some(format!("Too many failed logins: try again in {minutes} minutes.")),
        );
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(left.as_secs().max(1)));
        return r;
    }
    let right = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            argon2::Argon2::default().verify_password(form.password.as_bytes(), &h).is_ok()
        })
    })
    .await
    .unwrap_or(false);
    if !right {
        state.guard.failed(ip);
        return login_form(&state, StatusCode::UNAUTHORIZED, Some("Wrong password.".into()));
    }
    let id = random_token();
    state
        .guard
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), Session { csrf: random_token(), until: Instant::now() + SESSION_FOR });
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, state.guard.cookie_header(&id, SESSION_FOR.as_secs()));
    r
}

pub(crate) async fn logout(State(state): State<Arc<DeskState>>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, COOKIE) {
        state.guard.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(header::SET_COOKIE, state.guard.cookie_header("", 0));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 64);
    }

    #[test]
    fn an_origin_must_be_the_desks_own() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        let host = ("host", "127.0.0.1:8081");
        assert_eq!(
            foreign_origin(&headers(&[host])),
            None,
            "no Origin: not a browser's cross-site form"
        );
        assert_eq!(foreign_origin(&headers(&[host, ("origin", "http://127.0.0.1:8081")])), None);
        assert!(foreign_origin(&headers(&[host, ("origin", "http://evil.example")])).is_some());
        assert!(foreign_origin(&headers(&[host, ("origin", "null")])).is_some());
        assert!(foreign_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])).is_some());
        assert!(
            foreign_origin(&headers(&[host, ("origin", "http://127.0.0.1:8081.evil.example")]))
                .is_some()
        );
    }

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let hash = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(argon2::Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        assert!(argon2::Argon2::default().verify_password(b"wrong", &parsed).is_err());
    }
}
