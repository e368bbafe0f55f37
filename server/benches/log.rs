//! B7 and B8 of the shared benchmark rules: the verifiable log's Merkle work, each as a
//! ratio to R3 (SHA-256 over 64-byte inputs, measured in the same run).
//!
//! - B7: integrating 100 000 new leaves into the tree (the log writer's own code,
//!   `glassbox_log::frontier::Growing`, from the tree's right edge) plus computing the root
//!   and signing the checkpoint, against the time of 200 000 SHA-256 hashes (target ≤ 3×);
//!   and the wall time from a check's answer to the first signed checkpoint that covers it,
//!   on the real application (target ≤ batch interval + 100 ms).
//! - B8: inclusion and consistency proofs at n = 10⁶ leaves, read from the SQLite tree store
//!   (`services::log::prove_inclusion` / `prove_consistency`), against 2⌈log₂n⌉ hashes
//!   (target ≤ 10×); proof sizes must be exactly ⌈log₂n⌉ × 32 bytes (inclusion, away from
//!   the right edge). Four arms: the database alone (one query per proof), a cold cache
//!   (empty, first proof), a warm cache holding the whole tree (as the log writer leaves it),
//!   and a warm cache at the default `log.proof_cache_mb`; plus the cache's resident memory.
//!
//! Run: `cargo bench -p server --bench log` (env `BENCH_B7_LEAVES`, `BENCH_B8_LEAVES`,
//! `BENCH_PROOFS`, `BENCH_REPEATS`).

use anyhow::Context as _;
use glassbox::config::Settings;
use glassbox::db::{Db, Tx};
use glassbox::domain::clock::Clock;
use glassbox::startup::Application;
use glassbox::transparency::proofs::{self as service, StoredTree};
use glassbox::transparency::tree_cache::{CacheCapacity, TreeCache};
use glassbox_log::frontier::Growing;
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
        for id in glassbox_log::frontier::frontier_ids(base) {
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
    let clock = Clock::system();
    let db = Db::connect(&settings.database_url(), 10).await?;
    db.migrate().await?;
    glassbox::demo::seed(&db, &clock, &settings).await?;
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

/// Resident memory of this process, in bytes (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// One B8 arm: `proofs` inclusion and consistency proofs at size `n` through `tree` (a fresh
/// one per proof when `fresh` is given: the cold case), each verified. Returns the median
/// seconds of each kind.
async fn b8_arm<T: StoredTree>(
    n: u64,
    proofs: u64,
    root: &Hash,
    tree: &T,
    fresh: Option<&dyn Fn() -> T>,
) -> anyhow::Result<(f64, f64)> {
    let log2 = (n as f64).log2().ceil() as usize;
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    let (mut inc, mut con) = (Vec::new(), Vec::new());
    for _ in 0..proofs {
        let index = rng.gen_range(0..n / 2);
        let cold = fresh.map(|f| f());
        let t = Instant::now();
        let p = service::prove_inclusion(cold.as_ref().unwrap_or(tree), index, n).await?;
        inc.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            p.hashes.len() == log2,
            "inclusion proof of {} hashes, not {log2}",
            p.hashes.len()
        );
        p.verify(&p.leaf().context("leaf")?, root)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let from = rng.gen_range(1..n);
        let cold = fresh.map(|f| f());
        let t = Instant::now();
        let c = service::prove_consistency(cold.as_ref().unwrap_or(tree), from, n).await?;
        con.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(c.hashes.len() <= 2 * log2, "consistency proof too long");
    }
    Ok((median(&mut inc), median(&mut con)))
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
    glassbox::db::tree::insert_hashes(&mut tx, tree.added()).await?;
    tx.commit().await?;
    let stored = tree.added().len();
    println!(
        "B8 set-up: {n} leaves, {stored} stored hashes written to SQLite in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let root = service::root(&db, n).await?;
    let log2 = (n as f64).log2().ceil() as usize;
    let budget = 2.0 * log2 as f64 * r3;
    let report = |arm: &str, (mi, mc): (f64, f64)| {
        println!(
            "B8 {arm} at n = {n}: inclusion median {:.1} µs = {:.1} × (2⌈log₂n⌉ × R3 = {:.1} µs); \
             consistency median {:.1} µs = {:.1} ×; target ≤ 10",
            mi * 1e6,
            mi / budget,
            budget * 1e6,
            mc * 1e6,
            mc / budget,
        )
    };

    // The database alone: one query per proof (what the server did before the cache).
    report(
        "database, no cache",
        b8_arm(n, proofs, &root, &db, None).await?,
    );

    // Cold: an empty cache per proof (its first proof reads every hash from the database).
    let whole = CacheCapacity::hashes(stored);
    let small = CacheCapacity::hashes(1 << 10);
    report(
        "cold (empty cache, first proof)",
        b8_arm(
            n,
            proofs,
            &root,
            &TreeCache::new(db.clone(), small),
            Some(&|| TreeCache::new(db.clone(), small)),
        )
        .await?,
    );

    // Warm: the cache as the log writer leaves it, holding the whole tree.
    let before = resident_bytes();
    let warm = TreeCache::new(db.clone(), whole);
    warm.remember_committed(n, tree.added());
    let after = resident_bytes();
    report(
        "warm (whole tree in the cache)",
        b8_arm(n, proofs, &root, &warm, None).await?,
    );
    let stats = warm.stats();
    if let (Some(b), Some(a)) = (before, after) {
        let per_hash = a.saturating_sub(b) as f64 / stats.held as f64;
        println!(
            "B8 cache memory: {} hashes held, resident memory +{:.1} MB = {per_hash:.0} bytes per hash, \
             {:.0} MB per million leaves; {} hashes read from the database while warm",
            stats.held,
            a.saturating_sub(b) as f64 / 1048576.0,
            per_hash * stored as f64 / n as f64 * 1e6 / 1048576.0,
            stats.read_from_database
        );
    }
    drop(warm);

    // Warm at the default budget: the upper levels and the newest leaves are held; proofs of
    // older leaves read their few leaf-level hashes from the database.
    let default_mb = Settings::default().log.proof_cache_mb;
    let default = TreeCache::new(db.clone(), CacheCapacity::from_megabytes(default_mb));
    default.remember_committed(n, tree.added());
    report(
        &format!(
            "warm at the default {default_mb} MB (holds {} of {stored} hashes)",
            default.capacity().min(stored)
        ),
        b8_arm(n, proofs, &root, &default, None).await?,
    );
    println!(
        "B8 inclusion proofs are exactly {log2} × 32 = {} bytes",
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
