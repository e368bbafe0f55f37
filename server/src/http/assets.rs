//! The browser's static files. The stylesheet and the icon are compiled into the binary so
//! the server never serves a stale one. The browser bundle (`/pkg/glassbox.<hash>.js` and
//! `.wasm`, built by `scripts/lib.sh`) is served from the site folder as it was written at
//! build time: compressed there (`.br`, `.gz`), under names that carry a hash of the
//! content, so a browser keeps it for a year and never runs a stale one.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// The file, in the site folder, that names the bundle's content hashes (`js: …`, `wasm: …`);
/// Leptos reads it to link the hashed names. Written last by the build, so it never names
/// files that are not there yet.
pub const HASH_FILE: &str = "hash.txt";

/// What a browser may keep: a file whose name carries its content's hash never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A file under a fixed name may change with the next build: the browser asks again (and
/// gets `304 Not Modified` while it has not).
const REVALIDATE: &str = "no-cache";

/// Leptos's options for this site. When the build wrote [`HASH_FILE`], pages link the bundle
/// by its hashed names; without it (a bundle built by hand) by the plain ones.
pub fn leptos_options(site_root: &Path, addr: SocketAddr) -> LeptosOptions {
    let builder = LeptosOptions::builder()
        .output_name("glassbox")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr);
    match hash_file(site_root) {
        // Leptos joins the name to the executable's folder: an absolute path replaces it.
        Some(path) => builder
            .hash_files(true)
            .hash_file(path.display().to_string().into())
            .build(),
        None => builder.build(),
    }
}

/// The site's hash file as an absolute path, if the build wrote one.
fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let path = std::path::absolute(site_root.join(HASH_FILE)).ok()?;
    path.is_file().then_some(path)
}

/// `/pkg/*` from the site folder: the precompressed copy the browser accepts (brotli, then
/// gzip), the file itself otherwise. Pages are never compressed: they can carry secrets beside
/// text an attacker chose (BREACH); the bundle carries neither.
pub fn bundle_routes<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(axum::middleware::from_fn(bundle_caching))
}

/// Sets how long a browser may keep a bundle file, by its name.
async fn bundle_caching(req: Request, next: Next) -> Response {
    let policy = if is_content_hashed(req.uri().path()) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    // The same name answers brotli, gzip or plain bytes: caches must keep them apart.
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

/// Whether a file name carries a content hash: `name.<16 or more hex digits>.ext`.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.split('.');
    let (Some(_stem), Some(hash), Some(_ext)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

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

/// The passkey pages' script (`style/passkeys.js`), compiled in like the stylesheet.
const PASSKEYS_SCRIPT: &str = include_str!("../../../style/passkeys.js");

/// `/pkg/passkeys.js`.
pub async fn passkeys_script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        PASSKEYS_SCRIPT,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_that_carry_a_content_hash_are_kept_for_a_year() {
        assert!(is_content_hashed("/pkg/glassbox.0123456789abcdef.wasm"));
        assert!(is_content_hashed("/pkg/glassbox.0123456789abcdef.wasm.br"));
        assert!(!is_content_hashed("/pkg/glassbox.wasm"));
        assert!(!is_content_hashed("/pkg/glassbox.js"));
        assert!(!is_content_hashed("/pkg/redoc.standalone.js"));
        assert!(!is_content_hashed("/pkg/glassbox.0123456789abcdeg.wasm"));
        assert!(!is_content_hashed("/pkg/glassbox.0123.wasm"));
    }

    #[test]
    fn pages_link_the_hashed_names_only_when_the_build_wrote_them() {
        let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let site = std::env::temp_dir().join(format!("glassbox-site-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&site).unwrap();
        assert!(!leptos_options(&site, addr).hash_files);
        std::fs::write(site.join(HASH_FILE), "js: 00\nwasm: 11\n").unwrap();
        let options = leptos_options(&site, addr);
        assert!(options.hash_files);
        assert!(Path::new(options.hash_file.as_ref()).is_absolute());
        let _ = std::fs::remove_dir_all(&site);
    }
}
