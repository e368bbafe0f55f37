//! The log served as C2SP tlog-tiles: the hash tiles at `/tile/<L>/<N>[.p/<W>]` recompute
//! the signed root with no proof endpoint and no database; full tiles are immutable and
//! cacheable, partial ones grow into them; anything else is a clear 404; and
//! `glassbox verify tiles` audits a whole log from them, catching one changed stored hash.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should stop at the first surprise

use crate::helpers::TestApp;
use crate::log::{allowing_grant, checkpoint_of_at_least, key, log_entries};
use crate::{on_both_databases, on_both_databases_with};
use glassbox::db::tree as store;
use glassbox::db::Backend;
use glassbox_log::tiles::{tiles_for_size, verify_tiles, TileId};
use glassbox_log::{root_of, Hash};
use std::collections::HashMap;

/// A tile's status, `Cache-Control` and bytes.
async fn get_tile(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let res = reqwest::get(app.url(path)).await.expect("request");
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, cache, res.bytes().await.expect("body").to_vec())
}

fn tile(level: u8, index: u64, width: u16) -> TileId {
    TileId::new(level, index, width).unwrap()
}

/// Every tile of a tree of `size` leaves, as served.
async fn all_tiles(app: &TestApp, size: u64) -> HashMap<TileId, Vec<u8>> {
    let mut tiles = HashMap::new();
    for t in tiles_for_size(size) {
        let (status, _, bytes) = get_tile(app, &format!("/{}", t.path())).await;
        assert_eq!(
            status,
            200,
            "{}: {}",
            t.path(),
            String::from_utf8_lossy(&bytes)
        );
        tiles.insert(t, bytes);
    }
    tiles
}

/// Runs `glassbox verify tiles URL --key KEY`; returns the exit code and what it printed.
async fn verify_tiles_command(app: &TestApp, key: &str) -> (Option<i32>, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(["verify", "tiles", app.address.as_str(), "--key", key])
        .env("RUST_LOG", "error")
        .output()
        .await
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), said)
}

on_both_databases!(async fn the_tiles_recompute_the_signed_root_and_a_partial_tile_grows_into_an_immutable_full_one(app) {
    // Arrange: the demo's log, whose last level-0 tile is partial.
    let key = key(app).await;
    let (first, _) = checkpoint_of_at_least(app, &key, log_entries(app).await).await;
    let (edge, width) = (first.size / 256, (first.size % 256) as u16);
    assert!(width > 0, "the demo log ends inside a tile: {}", first.size);

    // The partial tile is served briefly cached, and all tiles recompute the signed root.
    let partial_path = format!("/{}", tile(0, edge, width).path());
    let (status, cache, partial) = get_tile(app, &partial_path).await;
    assert_eq!(status, 200);
    assert!(cache.contains("max-age") && !cache.contains("immutable"), "a partial tile is short-lived: {cache}");
    assert_eq!(partial.len(), 32 * usize::from(width));
    let tiles = all_tiles(app, first.size).await;
    assert_eq!(verify_tiles(first.size, &first.root, |t| tiles.get(t).map(Vec::as_slice)), Ok(()));
    // Level 0 holds exactly the leaf hashes stored with the entries.
    let stored = glassbox::transparency::proofs::prove_inclusion(&app.db, edge * 256, first.size).await.unwrap();
    assert_eq!(glassbox_log::b64(&partial[..32]), stored.leaf_hash);
    // The full tile is not there yet.
    let full_path = format!("/{}", tile(0, edge, 256).path());
    let (status, _, _) = get_tile(app, &full_path).await;
    assert_eq!(status, 404, "a full tile beyond the tree is not served");

    // Act: the log grows past the end of that tile.
    let token = app.service_token().await;
    allowing_grant(app, &token).await;
    while log_entries(app).await < (edge + 1) * 256 + 10 {
        futures_util::future::join_all((0..25).map(|_| app.check(&token, "alice@example.org", "sam.rivera", "metadata"))).await;
    }
    let (cp, _) = checkpoint_of_at_least(app, &key, log_entries(app).await).await;

    // Assert: the partial tile grew into the full one, which is immutable and unchanging.
    let (status, cache, full) = get_tile(app, &full_path).await;
    assert_eq!(status, 200);
    assert_eq!(cache, "public, max-age=31536000, immutable");
    assert_eq!(full.len(), 8192);
    assert_eq!(&full[..partial.len()], &partial[..], "a partial tile is the start of its full tile");
    let (_, _, again) = get_tile(app, &full_path).await;
    assert_eq!(full, again, "a full tile reads the same every time");
    let (status, cache, under_log) = get_tile(app, &format!("/log{full_path}")).await;
    assert_eq!((status, cache.as_str()), (200, "public, max-age=31536000, immutable"));
    assert_eq!(under_log, full, "the log's tlog-tiles prefix (its origin, <host>/log) serves the same tile");
    let (status, _, still) = get_tile(app, &partial_path).await;
    assert_eq!((status, still), (200, partial), "an old partial tile stays what it was");
    // The level-1 tile holds the root of each full level-0 tile.
    let upper_width = (cp.size / 256) as u16;
    let (status, _, upper) = get_tile(app, &format!("/{}", tile(1, 0, upper_width).path())).await;
    assert_eq!(status, 200);
    let full_leaves: Vec<Hash> = full.chunks_exact(32).map(|c| c.try_into().unwrap()).collect();
    let at = 32 * edge as usize;
    assert_eq!(&upper[at..at + 32], &root_of(&full_leaves)[..]);
    // And every tile of the new size recomputes the new signed root.
    let tiles = all_tiles(app, cp.size).await;
    assert_eq!(verify_tiles(cp.size, &cp.root, |t| tiles.get(t).map(Vec::as_slice)), Ok(()));
});

on_both_databases!(async fn a_bad_or_future_tile_path_is_a_clear_404(app) {
    let key = key(app).await;
    let (cp, _) = checkpoint_of_at_least(app, &key, log_entries(app).await).await;
    let size = cp.size;
    assert!(size % 256 < 255 && size >= 256, "the demo log: {size}");
    for path in [
        "/tile/0/0".to_string(),
        "/tile/0/x000/000".to_string(),
        "/tile/00/000".to_string(),
        "/tile/64/000".to_string(),
        "/tile/0/000.p/0".to_string(),
        "/tile/0/000.p/256".to_string(),
        "/tile/0/000.p/07".to_string(),
        "/tile/0/abc".to_string(),
        format!("/tile/0/{:03}.p/{}", size / 256, size % 256 + 1),
        format!("/tile/0/{:03}", size / 256 + 1),
        format!("/tile/1/000.p/{}", size / 256 + 1),
        "/tile/3/000.p/1".to_string(),
        "/tile/63/000".to_string(),
        "/tile/8/x018/x446/x744/x073/x709/x551/615".to_string(),
        "/tile/0/x001/000".to_string(),
    ] {
        let res = reqwest::get(app.url(&path)).await.unwrap();
        assert_eq!(res.status().as_u16(), 404, "{path}");
        let json: serde_json::Value = res.json().await.expect("a JSON error");
        assert!(json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {json}");
    }
    // Entry bundles would publish each entry's mailbox id and salt: refused, saying why.
    let res = reqwest::get(app.url("/tile/entries/000")).await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let json: serde_json::Value = res.json().await.unwrap();
    assert!(json["error"]["message"].as_str().unwrap().contains("salt"), "{json}");
    // The tiles are hashes, never event details.
    let (_, _, bytes) = get_tile(app, "/tile/0/000").await;
    assert_eq!(bytes.len(), 8192);
    assert!(!String::from_utf8_lossy(&bytes).contains("alice"));
});

/// The SQL that lets an attacker with database access change a stored tree hash.
fn drop_hash_protection(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => &["DROP TRIGGER log_hashes_no_update"],
        Backend::Postgres => &["ALTER TABLE log_hashes DISABLE TRIGGER USER"],
    }
}

// No proof cache: every tile is read from the database, as a fresh instance would.
on_both_databases_with!(async {
    Some(crate::helpers::Options {
        seed: true,
        configure: Box::new(|s| s.log.proof_cache_mb = 0),
    })
}, async fn glassbox_verify_tiles_passes_the_served_log_and_fails_when_one_stored_hash_is_changed(app) {
    let key = key(app).await;
    checkpoint_of_at_least(app, &key, log_entries(app).await).await;
    let key = key.to_string();
    let (code, said) = verify_tiles_command(app, &key).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.starts_with("OK: all "), "{said}");

    // One leaf hash in the database is replaced by its neighbour's.
    let mut tx = app.db.begin().await.unwrap();
    for sql in drop_hash_protection(app.db.backend()) {
        store::execute_in_tx_for_tests(&mut tx, sql).await.unwrap();
    }
    store::execute_in_tx_for_tests(
        &mut tx,
        "UPDATE log_hashes SET hash = (SELECT hash FROM log_hashes WHERE id = 1) WHERE id = 0",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (code, said) = verify_tiles_command(app, &key).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(said.starts_with("FAILED:") && said.contains("root"), "{said}");

    // A log that cannot be reached is a check not made, not a pass or a fail.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(["verify", "tiles", "http://127.0.0.1:9", "--key", key.as_str()])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
});
