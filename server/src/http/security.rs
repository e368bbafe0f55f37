//! Security headers on every response, and the CSRF defence for every state change made
//! with a session cookie.
//!
//! CSRF: cookies are `SameSite=Lax`, and in addition every unsafe request (POST, PUT, …)
//! on the cookie-session router must come from our own origin, as stated by the
//! browser's `Sec-Fetch-Site` or `Origin` header (OWASP's "verifying origin with standard
//! headers"). A request that states neither is refused: every browser that can hold our
//! cookie sends `Origin` on POST.

use crate::config::PublicUrl;
use crate::http::error::ErrorBody;
use crate::state::AppState;
use app::model::CspNonce;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use rand::RngCore;

/// Adds a per-request CSP nonce (for Leptos' hydration script) and the security headers.
pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let nonce = base64::engine::general_purpose::STANDARD.encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    // A page with its own, stricter-or-different policy keeps it (the API reference page).
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.entry(header::CONTENT_SECURITY_POLICY).or_insert(v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // An inner policy wins: email-link pages say `no-referrer` so their token never
    // travels in a Referer.
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.settings.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Whether a request's `Host` names this Glassbox: the host and port of
/// `GLASSBOX__PUBLIC_URL`, or, in local mode, a loopback name (`localhost`, `127.0.0.1`,
/// `[::1]`) on any port. A page served under another name (DNS rebinding: an attacker's
/// name pointing at 127.0.0.1) would give that site's scripts a same-origin view of
/// Glassbox.
pub fn host_allowed(host: Option<&str>, public: &crate::config::PublicUrl, local: bool) -> bool {
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return false;
    };
    if host.eq_ignore_ascii_case(&public.authority()) {
        return true;
    }
    if !local {
        return false;
    }
    // Strip the port: `[::1]:3000` → `[::1]`, `localhost:3000` → `localhost`.
    let name = match host.rsplit_once(':') {
        Some((name, port))
            if !name.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !name.ends_with(':') =>
        {
            name
        }
        _ => host,
    };
    ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|l| name.eq_ignore_ascii_case(l))
}

/// Answers 421 Misdirected Request to a request whose `Host` is not this Glassbox (see
/// [`host_allowed`]). Health checks are exempt: load balancers probe by address and they
/// reveal nothing.
pub async fn host_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let probe = path == "/healthz" || path == "/readyz";
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let local = state.settings.environment == crate::config::Environment::Local;
    if probe || host_allowed(host, &state.settings.public_url, local) {
        return next.run(req).await;
    }
    tracing::warn!(http.host = ?host.map(|h| h.escape_debug().to_string()), "refused a request for another host name");
    ErrorBody::new(
        "wrong_host",
        "This server does not answer to that name. Use the address Glassbox was configured with.",
    )
    .into_response_with(StatusCode::MISDIRECTED_REQUEST)
}

/// Gives a server function's error the HTTP status it deserves. Leptos answers every
/// failed server function with 500, and only a function that ran can say otherwise
/// ([`app`]'s `with_status`); arguments that do not even decode never reach one. So a 500
/// whose body is a user-safe error that is not `Internal` (the caller's mistake) gets that
/// error's status (400 for bad arguments), and 500 stays for Glassbox's own failures.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let server_fn = req.method() == Method::POST && req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Every answer of the cookie-session router is about the person signed in, or carries an
/// email link's token: none may be kept by a browser cache or a proxy. `Cache-Control:
/// no-store` unless the handler chose otherwise (the stylesheet and the browser bundle
/// do, and are not personal).
pub async fn no_store(req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/pkg/") {
        return next.run(req).await;
    }
    let mut res = next.run(req).await;
    res.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Refuses cross-site state changes. Attached to the cookie-session router only: the
/// bearer-token API and one-click unsubscribe are mounted outside it, so no path is
/// excepted here.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || same_origin(req.headers(), &state.settings.public_url) {
        return next.run(req).await;
    }
    tracing::warn!(http.path = %crate::telemetry::loggable_path(req.uri().path()), "refused a cross-site or unlabelled state change (CSRF defence)");
    ErrorBody::new(
        "cross_site_request",
        "This request did not come from a Glassbox page. Go back to Glassbox and try again.",
    )
    .into_response_with(StatusCode::FORBIDDEN)
}

/// Whether the browser says the request comes from our own pages.
pub fn same_origin(headers: &HeaderMap, public_url: &PublicUrl) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none": typed into the address bar or a bookmark; never cross-site.
        return site == "same-origin" || site == "none";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let public_origin = public_url.origin();
    let host_origin = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|host| [format!("http://{host}"), format!("https://{host}")]);
    origin == public_origin
        || host_origin.is_some_and(|candidates| candidates.iter().any(|c| c == origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn public() -> PublicUrl {
        "https://glassbox.example.org/".parse().unwrap()
    }

    #[test]
    fn a_same_origin_fetch_is_allowed() {
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            &public()
        ));
    }

    #[test]
    fn a_cross_site_fetch_is_refused_even_with_a_matching_origin() {
        let h = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://glassbox.example.org"),
        ]);
        assert!(!same_origin(&h, &public()));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            &public()
        ));
    }

    #[test]
    fn an_origin_matching_the_public_url_or_the_host_is_allowed() {
        assert!(same_origin(
            &headers(&[("origin", "https://glassbox.example.org")]),
            &public()
        ));
        assert!(same_origin(
            &headers(&[
                ("origin", "http://127.0.0.1:4321"),
                ("host", "127.0.0.1:4321")
            ]),
            &public()
        ));
    }

    #[test]
    fn a_foreign_or_missing_origin_is_refused() {
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            &public()
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), &public()));
        assert!(!same_origin(
            &headers(&[("host", "glassbox.example.org")]),
            &public()
        ));
        assert!(!same_origin(&HeaderMap::new(), &public()));
    }
}

/// The client's address. Without a trusted proxy header it is the connection's peer.
/// With one (`GLASSBOX__STAFF__TRUSTED_PROXY_HEADER`, e.g. `x-forwarded-for`) it is the
/// address the trusted proxy appended: the `hops`-th entry from the **right**
/// (`GLASSBOX__STAFF__TRUSTED_PROXY_HOPS`, default 1, one proxy). Entries to its left were
/// written by whoever connected to the proxy, so they are never believed. `None` when the
/// header is configured but does not hold that many valid entries (the request did not come
/// through the proxies as configured): callers refuse, or fall back to the peer where
/// refusing would do harm.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    proxy: Option<(&str, u8)>,
) -> Option<std::net::IpAddr> {
    let Some((name, hops)) = proxy else {
        return peer.map(|p| p.ip());
    };
    // Several header lines count as one list, in order (RFC 9110 §5.3).
    let entries: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let from_right = usize::from(hops.max(1));
    if entries.len() < from_right {
        return None;
    }
    entries[entries.len() - from_right].parse().ok()
}

/// The trusted proxy header and hop count, when one is configured.
pub fn trusted_proxy(state: &AppState) -> Option<(&str, u8)> {
    let staff = &state.settings.staff;
    staff
        .trusted_proxy_header
        .as_deref()
        .map(|h| (h, staff.trusted_proxy_hops))
}

/// Whether staff may work from where this request comes from (`staff.allowed_networks`).
pub fn staff_network_allowed(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> bool {
    let staff = &state.settings.staff;
    if staff.allowed_networks.is_empty() {
        return true;
    }
    match client_ip(headers, peer, trusted_proxy(state)) {
        Some(ip) if staff.allows(ip) => true,
        other => {
            tracing::warn!(client.ip = ?other, "refused staff access from outside the allowed networks");
            false
        }
    }
}

#[cfg(test)]
mod host_tests {
    use super::*;
    use crate::config::PublicUrl;

    #[test]
    fn only_the_public_name_or_in_local_mode_loopback_names_are_this_glassbox() {
        let public = PublicUrl::parse("https://glassbox.example.org").unwrap();
        assert!(host_allowed(Some("glassbox.example.org"), &public, false));
        assert!(host_allowed(Some("GLASSBOX.example.org"), &public, false));
        assert!(!host_allowed(Some("attacker.example"), &public, false));
        assert!(!host_allowed(Some("localhost:3000"), &public, false));
        assert!(!host_allowed(None, &public, true));
        let local = PublicUrl::parse("http://127.0.0.1:3000").unwrap();
        assert!(host_allowed(Some("127.0.0.1:3000"), &local, true));
        assert!(host_allowed(Some("localhost:4123"), &local, true));
        assert!(host_allowed(Some("[::1]:4123"), &local, true));
        assert!(!host_allowed(Some("attacker.example:3000"), &local, true));
        assert!(!host_allowed(
            Some("127.0.0.1.attacker.example"),
            &local,
            true
        ));
    }
}

#[cfg(test)]
mod client_ip_tests {
    use super::*;

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_static(v));
        }
        h
    }

    const PEER: Option<std::net::SocketAddr> = Some(std::net::SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        5000,
    ));

    #[test]
    fn the_proxy_header_is_only_believed_when_configured() {
        let h = forwarded(&["10.1.2.3, 192.0.2.1"]);
        assert_eq!(
            client_ip(&h, PEER, None),
            Some("127.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn the_address_the_proxy_appended_is_believed_not_the_one_the_client_wrote() {
        // The client wrote 10.1.2.3 (to pass a 10.0.0.0/8 allow-list); the proxy appended
        // the address it saw, 203.0.113.7.
        let h = forwarded(&["10.1.2.3, 203.0.113.7"]);
        assert_eq!(
            client_ip(&h, PEER, Some(("x-forwarded-for", 1))),
            Some("203.0.113.7".parse().unwrap())
        );
        // Behind two proxies, the second from the right is the one the outer proxy saw.
        let h = forwarded(&["10.1.2.3, 203.0.113.7", "198.51.100.2"]);
        assert_eq!(
            client_ip(&h, PEER, Some(("x-forwarded-for", 2))),
            Some("203.0.113.7".parse().unwrap())
        );
    }

    #[test]
    fn too_few_or_malformed_forwarded_entries_give_no_address() {
        assert_eq!(
            client_ip(&HeaderMap::new(), PEER, Some(("x-forwarded-for", 1))),
            None
        );
        assert_eq!(
            client_ip(
                &forwarded(&["203.0.113.7"]),
                PEER,
                Some(("x-forwarded-for", 2))
            ),
            None
        );
        assert_eq!(
            client_ip(
                &forwarded(&["10.1.2.3, nonsense"]),
                PEER,
                Some(("x-forwarded-for", 1))
            ),
            None
        );
    }
}

/// The 429 answer of a rate limit, with `Retry-After`.
fn too_many(wait: u64, message: &'static str) -> Response {
    let mut res =
        ErrorBody::new("rate_limited", message).into_response_with(StatusCode::TOO_MANY_REQUESTS);
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The key a per-address limit counts under: the client address (see [`client_ip`]), or
/// the peer when the forwarded address is missing or malformed, so nothing escapes it.
fn limit_key(state: &AppState, req: &Request) -> Option<std::net::IpAddr> {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    client_ip(req.headers(), peer, trusted_proxy(state)).or(peer.map(|p| p.ip()))
}

/// Limits how fast one client address may try to sign in (429 with `Retry-After`).
pub async fn sign_in_rate_limit(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(ip) = limit_key(&state, &req) {
        if let Err(wait) = state.sign_in_limiter.take(ip) {
            tracing::warn!(client.ip = %ip, http.path = %crate::telemetry::loggable_path(req.uri().path()), "sign-in rate limit reached");
            crate::metrics::rate_limited("sign_in");
            return too_many(
                wait,
                "Too many sign-in attempts. Wait a minute and try again.",
            );
        }
    }
    next.run(req).await
}

/// Limits how fast one client address may open email-link pages (429 with `Retry-After`).
pub async fn email_link_rate_limit(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(ip) = limit_key(&state, &req) {
        if let Err(wait) = state.email_link_limiter.take(ip) {
            tracing::warn!(client.ip = %ip, "email link rate limit reached");
            crate::metrics::rate_limited("email_link");
            return too_many(
                wait,
                "Too many requests. Wait a minute and open the link again.",
            );
        }
    }
    next.run(req).await
}
