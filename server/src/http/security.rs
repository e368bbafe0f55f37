//! Security headers on every response, and the CSRF defence for every state change made
//! with a session cookie.
//!
//! CSRF: cookies are `SameSite=Lax`, and in addition every unsafe request (POST, PUT, …)
//! on the cookie-session router must come from our own origin, as stated by the
//! browser's `Sec-Fetch-Site` or `Origin` header (OWASP's "verifying origin with standard
//! headers"). A request that states neither is refused: every browser that can hold our
//! cookie sends `Origin` on POST.

use crate::config::PublicUrl;
use crate::state::AppState;
use app::model::CspNonce;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
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

/// Refuses cross-site state changes. Attached to the cookie-session router only: the
/// bearer-token API and one-click unsubscribe are mounted outside it, so no path is
/// excepted here.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || same_origin(req.headers(), &state.settings.public_url) {
        return next.run(req).await;
    }
    tracing::warn!(http.path = %req.uri().path(), "refused a cross-site or unlabelled state change (CSRF defence)");
    (
        StatusCode::FORBIDDEN,
        axum::Json(serde_json::json!({"error": {"code": "cross_site_request", "message": "This request did not come from a Glassbox page. Go back to Glassbox and try again."}})),
    )
        .into_response()
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

/// The client's address: the first address in the configured trusted proxy header, else
/// the TCP peer.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    trusted_header: Option<&str>,
) -> Option<std::net::IpAddr> {
    if let Some(name) = trusted_header {
        let forwarded = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
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
    match client_ip(headers, peer, staff.trusted_proxy_header.as_deref()) {
        Some(ip) if staff.allows(ip) => true,
        other => {
            tracing::warn!(client.ip = ?other, "refused staff access from outside the allowed networks");
            false
        }
    }
}

#[cfg(test)]
mod client_ip_tests {
    use super::*;

    #[test]
    fn the_proxy_header_is_only_believed_when_configured() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("10.1.2.3, 192.0.2.1"),
        );
        let peer = Some("127.0.0.1:5000".parse().unwrap());
        assert_eq!(
            client_ip(&h, peer, None),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            client_ip(&h, peer, Some("x-forwarded-for")),
            Some("10.1.2.3".parse().unwrap())
        );
        assert_eq!(
            client_ip(&HeaderMap::new(), peer, Some("x-forwarded-for")),
            Some("127.0.0.1".parse().unwrap())
        );
    }
}

/// Limits how fast one client address may try to sign in (429 with `Retry-After`).
pub async fn sign_in_rate_limit(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if state.settings.auth.sign_in_per_minute == 0 {
        return next.run(req).await;
    }
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let ip = client_ip(
        req.headers(),
        peer,
        state.settings.staff.trusted_proxy_header.as_deref(),
    );
    if let Some(ip) = ip {
        if let Err(wait) = state.sign_in_limiter.take(ip, std::time::Instant::now()) {
            tracing::warn!(client.ip = %ip, http.path = %req.uri().path(), "sign-in rate limit reached");
            let mut res = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(serde_json::json!({"error": {"code": "rate_limited", "message": "Too many sign-in attempts. Wait a minute and try again."}})),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
    }
    next.run(req).await
}
