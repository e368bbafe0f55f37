//! `GET /api/docs`: the API document, readable (Redoc, from the npm registry at build time:
//! `scripts/lib.sh` puts `redoc.standalone.js` beside the browser bundle; no CDN).

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse};

// Redoc draws with inline styles and searches in a worker it starts from a blob URL; this
// page runs no other script, so its policy allows exactly that.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; worker-src blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service API — Glassbox</title>
</head>
<body>
<redoc spec-url="/api/v1/openapi.json"><main><h1>Glassbox Service API</h1>
<p>The reference is laid out by a script; without it, read the document itself:
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p></main></redoc>
<script src="/pkg/redoc.standalone.js"></script>
</body>
</html>
"#;

/// The page.
pub async fn page() -> impl IntoResponse {
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(POLICY),
        )],
        Html(PAGE),
    )
}
