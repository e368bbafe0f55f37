//! The browser bundle as the server hands it out: under its content-hashed names, kept a year,
//! compressed as the browser accepts — and pages that link exactly those names.

use crate::helpers::{spawn_app_with, Options};
use glassbox::db::Backend;
use std::path::Path;

const JS_HASH: &str = "0123456789abcdef0123";
const WASM_HASH: &str = "fedcba9876543210fedc";
const CSS_HASH: &str = "00112233445566778899";

/// A site folder as `scripts/site/finish.mjs` leaves it: plain and hashed names, each with
/// its brotli and gzip copies, and the hash file. The copies differ, so a test can tell
/// which one was sent.
fn built_site(root: &Path) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (name, body) in [
        ("glassbox.js".to_string(), "plain js"),
        ("glassbox.wasm".to_string(), "plain wasm"),
        (format!("glassbox.{JS_HASH}.js"), "hashed js"),
        (format!("glassbox.{WASM_HASH}.wasm"), "hashed wasm"),
        (format!("glassbox.{CSS_HASH}.css"), "hashed css"),
    ] {
        std::fs::write(pkg.join(&name), body).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("{body}, brotli")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("{body}, gzip")).unwrap();
    }
    std::fs::write(
        root.join("hash.txt"),
        format!("js: {JS_HASH}\nwasm: {WASM_HASH}\ncss: {CSS_HASH}\n"),
    )
    .unwrap();
}

async fn app_with_site(site: &Path) -> crate::helpers::TestApp {
    let site = site.to_path_buf();
    spawn_app_with(
        Backend::Sqlite,
        Options {
            seed: false,
            configure: Box::new(move |s| s.http.site_root = site),
        },
    )
    .await
    .expect("sqlite always runs")
}

async fn fetch(app: &crate::helpers::TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept-encoding", accept)
        .send()
        .await
        .unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test]
async fn pages_link_the_bundle_by_its_content_hashed_names() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = app_with_site(site.path()).await;
    let (status, html) = app.get_page("/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("/pkg/glassbox.{JS_HASH}.js")),
        "the page links the hashed script: {html}"
    );
    assert!(
        html.contains(&format!("/pkg/glassbox.{WASM_HASH}.wasm")),
        "the page links the hashed module: {html}"
    );
    assert!(
        !html.contains("/pkg/glassbox.wasm"),
        "no plain name is linked"
    );
    // The stylesheet too, once, by its hashed name.
    assert_eq!(
        html.matches(&format!(
            r#"rel="stylesheet" href="/pkg/glassbox.{CSS_HASH}.css""#
        ))
        .count(),
        1,
        "the page links the hashed stylesheet once: {html}"
    );
    assert!(!html.contains("/pkg/glassbox.css"), "{html}");
}

#[tokio::test]
async fn the_hashed_stylesheet_is_sent_compressed_and_kept_a_year() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = app_with_site(site.path()).await;

    let res = fetch(&app, &format!("/pkg/glassbox.{CSS_HASH}.css"), "gzip, br").await;

    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(header(&res, "content-encoding"), "br");
    assert!(header(&res, "content-type").starts_with("text/css"));
    assert_eq!(
        header(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.text().await.unwrap(), "hashed css, brotli");
}

#[tokio::test]
async fn the_hashed_bundle_is_sent_compressed_as_the_browser_accepts_and_kept_a_year() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = app_with_site(site.path()).await;
    let path = format!("/pkg/glassbox.{WASM_HASH}.wasm");

    let res = fetch(&app, &path, "gzip, deflate, br, zstd").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(header(&res, "content-encoding"), "br");
    assert_eq!(header(&res, "content-type"), "application/wasm");
    assert_eq!(
        header(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&res, "vary")
        .to_lowercase()
        .contains("accept-encoding"));
    assert_eq!(res.text().await.unwrap(), "hashed wasm, brotli");

    let res = fetch(&app, &path, "gzip, deflate").await;
    assert_eq!(header(&res, "content-encoding"), "gzip");
    assert_eq!(res.text().await.unwrap(), "hashed wasm, gzip");

    let res = fetch(&app, &path, "identity").await;
    assert_eq!(header(&res, "content-encoding"), "");
    assert_eq!(res.text().await.unwrap(), "hashed wasm");
}

#[tokio::test]
async fn a_plain_name_is_revalidated_and_a_missing_file_is_not_found() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = app_with_site(site.path()).await;
    let res = fetch(&app, "/pkg/glassbox.js", "br").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(header(&res, "cache-control"), "no-cache");
    let res = fetch(&app, "/pkg/glassbox.0000000000000000aaaa.wasm", "br").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(header(&res, "cache-control"), "", "a miss is not kept");
    // The stylesheet keeps its own route under /pkg.
    let res = fetch(&app, "/pkg/glassbox.css", "br").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(header(&res, "content-type").starts_with("text/css"));
}

#[tokio::test]
async fn without_a_hash_file_pages_link_the_plain_names() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    std::fs::remove_file(site.path().join("hash.txt")).unwrap();
    let app = app_with_site(site.path()).await;
    let (_, html) = app.get_page("/").await;
    assert!(html.contains("/pkg/glassbox.js"), "{html}");
    assert!(html.contains("/pkg/glassbox.wasm"), "{html}");
    assert!(
        html.contains(r#"rel="stylesheet" href="/pkg/glassbox.css""#),
        "{html}"
    );
    assert!(!html.contains(JS_HASH));
    assert!(!html.contains(CSS_HASH));
}
