//! B7 and B8 of the shared benchmark rules: the verifiable log's Merkle work, each as a
//! ratio to R3 (SHA-256 over 64-byte inputs, measured in the same run).
//!
//! - B7: integrating 100 000 new leaves into the tree (the log writer's own code,
//!   `services::sequencer::Growing`, from the tree's right edge) plus computing the root
//!   and signing the checkpoint, against the time of 200 000 SHA-256 hashes (target ≤ 3×);
//!   and the wall time from a check's answer to the first signed checkpoint that covers it,
//!   on the real application (target ≤ batch interval + 100 ms).
//! - B8: inclusion and consistency proofs at n = 10⁶ leaves, read from the SQLite tree store
//!   (`services::log::prove_inclusion` / `prove_consistency`), against 2⌈log₂n⌉ hashes
//!   (target ≤ 10×); proof sizes must be exactly ⌈log₂n⌉ × 32 bytes (inclusion, away from
//!   the right edge).
//!
//! Run: `cargo bench -p server --bench log` (env `BENCH_B7_LEAVES`, `BENCH_B8_LEAVES`,
//! `BENCH_PROOFS`, `BENCH_REPEATS`).

use anyhow::Context as _;
use glassbox::config::Settings;
use glassbox::db::{Db, Tx};
use glassbox::domain::clock::Clock;
use glassbox::services::log as service;
use glassbox::services::sequencer::Growing;
use glassbox::startup::Application;
use glassbox_log::{leaf_hash, CheckpointSigner, Hash, VerifierKey};
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// R3: seconds per SHA-256 of a 64-byte input.
fn r3_seconds_per_hash() -> f64 {
    let n = 2_000_000u32;
    let mut input = [7u8; 64];
    let start = Instant::now();
    for i in 0..n {
        input[..4].copy_from_slice(&i.to_le_bytes());
        let d: [u8; 32] = Sha256::digest(input).into();
        input[32] ^= d[0];
    }
    std::hint::black_box(input);
    start.elapsed().as_secs_f64() / f64::from(n)
}

fn leaves(n: u64, seed: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(&[seed.to_le_bytes(), i.to_le_bytes()].concat()))
        .collect()
}

/// B7's subject: integrate `new` leaves into a tree of `size` (known by its right edge),
/// then root and signed checkpoint. Returns seconds.
fn integrate(
    size: u64,
    edge: HashMap<u64, Hash>,
    new: &[Hash],
    signer: &CheckpointSigner,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut tree = Growing::new(size, edge.clone());
    for l in new {
        tree.push(*l)?;
    }
    let mut all: HashMap<u64, Hash> = edge;
    all.extend(tree.added().iter().copied());
    let total = size + new.len() as u64;
    let root =
        tlog_tiles::tree_hash(total, &MapReader(&all)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let note = signer.sign(total, &root.0);
    let elapsed = start.elapsed().as_secs_f64();
    std::hint::black_box(note);
    Ok(elapsed)
}

struct MapReader<'a>(&'a HashMap<u64, Hash>);

impl tlog_tiles::HashReader for MapReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| self.0.get(i).map(|h| tlog_tiles::Hash(*h)))
            .collect::<Option<Vec<_>>>()
            .ok_or(tlog_tiles::Error::IndexesNotInTree)
    }
}

async fn b7(r3: f64) -> anyhow::Result<()> {
    let n = env_u64("BENCH_B7_LEAVES", 100_000);
    let repeats = env_u64("BENCH_REPEATS", 5);
    let signer = CheckpointSigner::new("bench.example/log", &[1; 32])?;
    // Start from a tree that already holds a million leaves (only its right edge matters).
    let base = 1_000_003u64;
    let mut edge = HashMap::new();
    {
        let mut tree = Growing::new(0, HashMap::new());
        for l in leaves(base, 1) {
            tree.push(l)?;
        }
        let all: HashMap<u64, Hash> = tree.added().iter().copied().collect();
        for id in glassbox::services::sequencer::frontier_ids(base) {
            edge.insert(id, all[&id]);
        }
    }
    let new = leaves(n, 2);
    let mut ratios = Vec::new();
    let mut secs = Vec::new();
    for _ in 0..repeats {
        let r3_now = r3_seconds_per_hash();
        let t = integrate(base, edge.clone(), &new, &signer)?;
        ratios.push(t / (2.0 * n as f64 * r3_now));
        secs.push(t);
    }
    let (lo, hi) = (
        ratios.iter().copied().fold(f64::MAX, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "B7 integrate {n} leaves + root + signed checkpoint: median {:.3} × (2·{n} × R3) ({lo:.3}–{hi:.3}), \
         target ≤ 3; median {:.1} ms; R3 {:.0} ns per 64-byte SHA-256 at start",
        median(&mut ratios),
        median(&mut secs) * 1000.0,
        r3 * 1e9
    );
    Ok(())
}

async fn b7_wall_time() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::default();
    settings.http.bind = "127.0.0.1:0".parse()?;
    settings.data_dir = dir.path().to_path_buf();
    settings.database.url = Some(SecretString::from(format!(
        "sqlite://{}/glassbox.db",
        dir.path().display()
    )));
    settings.api.rate_limit_per_second = 0;
    let clock = Clock::System;
    let db = Db::connect(&settings.database_url(), 10).await?;
    db.migrate().await?;
    glassbox::services::demo::seed(&db, &clock, &settings).await?;
    let app = Application::build_with_db(settings.clone(), clock.clone(), db.clone()).await?;
    let port = app.port();
    tokio::spawn(app.run_until(std::future::pending()));
    let token = glassbox::services::tokens::create(&db, &clock, &settings, "bench")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = reqwest::Client::new();
    let key = VerifierKey::parse(
        &client
            .get(format!("http://127.0.0.1:{port}/log/key"))
            .send()
            .await?
            .text()
            .await?,
    )?;
    let mut waits = Vec::new();
    for i in 0..env_u64("BENCH_REPEATS", 5) {
        // Spread the checks over the checkpoint period.
        tokio::time::sleep(Duration::from_millis(370 * i % 1000)).await;
        let answer: serde_json::Value = client
            .post(format!("http://127.0.0.1:{port}/api/v1/access/check"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "content", "action": "read_message", "resource": "m"}))
            .send()
            .await?
            .json()
            .await?;
        let acked = Instant::now();
        let index = answer["log_index"].as_u64().context("a log index")?;
        loop {
            let note = client
                .get(format!("http://127.0.0.1:{port}/log/checkpoint"))
                .send()
                .await?
                .text()
                .await?;
            if key.open(&note)?.size > index {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        waits.push(acked.elapsed().as_secs_f64() * 1000.0);
    }
    let max = waits.iter().copied().fold(0.0, f64::max);
    println!(
        "B7 wall time from a check's answer to a signed checkpoint covering it: median {:.0} ms, max {max:.0} ms \
         (checkpoint interval {} ms, batch wait {} µs)",
        median(&mut waits),
        settings.log.checkpoint_interval_ms,
        settings.log.batch_max_wait_micros
    );
    Ok(())
}

async fn b8(r3: f64) -> anyhow::Result<()> {
    let n = env_u64("BENCH_B8_LEAVES", 1_000_000);
    let proofs = env_u64("BENCH_PROOFS", 300);
    let dir = tempfile::tempdir()?;
    let url = SecretString::from(format!("sqlite://{}/glassbox.db", dir.path().display()));
    let db = Db::connect(&url, 4).await?;
    db.migrate().await?;
    let start = Instant::now();
    let mut tree = Growing::new(0, HashMap::new());
    for l in leaves(n, 3) {
        tree.push(l)?;
    }
    let mut tx: Tx = db.begin().await?;
    glassbox::db::log::insert_hashes(&mut tx, tree.added()).await?;
    tx.commit().await?;
    println!(
        "B8 set-up: {n} leaves, {} stored hashes written to SQLite in {:.1} s",
        tree.added().len(),
        start.elapsed().as_secs_f64()
    );
    let root = service::root(&db, n).await?;
    let log2 = (n as f64).log2().ceil() as usize;
    let budget = 2.0 * log2 as f64 * r3;
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    let (mut inc, mut con) = (Vec::new(), Vec::new());
    let mut max_len = 0;
    for _ in 0..proofs {
        let index = rng.gen_range(0..n / 2);
        let t = Instant::now();
        let p = service::prove_inclusion(&db, index, n).await?;
        inc.push(t.elapsed().as_secs_f64());
        max_len = max_len.max(p.hashes.len());
        anyhow::ensure!(
            p.hashes.len() == log2,
            "inclusion proof of {} hashes, not {log2}",
            p.hashes.len()
        );
        p.verify(&p.leaf().context("leaf")?, &root)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let from = rng.gen_range(1..n);
        let t = Instant::now();
        let c = service::prove_consistency(&db, from, n).await?;
        con.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(c.hashes.len() <= 2 * log2, "consistency proof too long");
    }
    let (mi, mc) = (median(&mut inc), median(&mut con));
    println!(
        "B8 at n = {n}: inclusion median {:.0} µs = {:.1} × (2⌈log₂n⌉ × R3 = {:.1} µs); consistency median {:.0} µs = {:.1} ×; \
         target ≤ 10; inclusion proofs are exactly {log2} × 32 = {} bytes",
        mi * 1e6,
        mi / budget,
        budget * 1e6,
        mc * 1e6,
        mc / budget,
        log2 * 32
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let r3 = r3_seconds_per_hash();
        println!(
            "R3: {:.0} ns per SHA-256 of 64 bytes ({:.2} M hashes/s)",
            r3 * 1e9,
            1e-6 / r3
        );
        b7(r3).await?;
        b7_wall_time().await?;
        b8(r3_seconds_per_hash()).await
    })
}
