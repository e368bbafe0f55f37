//! The stylesheet and the icon, compiled into the binary so the server never serves a stale
//! one.

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;

/// The stylesheet, compiled in so the server never serves a stale one.
const STYLESHEET: &str = include_str!("../../../style/glassbox.css");
/// The icon browsers show in tabs.
const FAVICON: &str = include_str!("../../../style/favicon.svg");

/// `/pkg/glassbox.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        STYLESHEET,
    )
}

/// `/favicon.svg` (and `.ico`).
pub async fn favicon() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        FAVICON,
    )
}
