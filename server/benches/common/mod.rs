//! What the HTTP benchmarks share: R0 (a bare axum handler), a closed-loop load generator
//! in the bench process, the disk probe (R2), and the report's statistics. Each bench uses
//! part of it.
#![allow(dead_code)]

use anyhow::Context;
use axum::routing::any;
use axum::Router;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// R0's body: 16 bytes.
pub const R0_BODY: &str = "0123456789abcdef";

/// A non-negative number from the environment, or `default`.
pub fn env_f64(name: &str, default: f64) -> anyhow::Result<f64> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .with_context(|| format!("{name} must be a non-negative number, not {v:?}")),
        _ => Ok(default),
    }
}

/// A positive integer from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|x| *x > 0)
            .with_context(|| format!("{name} must be a positive integer, not {v:?}")),
        _ => Ok(default),
    }
}

/// Serves `router` on a free loopback port.
pub async fn serve(router: Router) -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("bench server stopped: {e}");
        }
    });
    Ok(port)
}

/// R0: any method, any body, answered with 16 bytes.
pub async fn start_r0() -> anyhow::Result<u16> {
    serve(Router::new().route("/", any(|| async { R0_BODY }))).await
}

/// What the generator sends and what it accepts as a good answer.
pub struct Target {
    pub url: String,
    /// `POST` with this JSON body, or `GET` when `None`.
    pub body: Option<&'static str>,
    /// Extra headers (authorization, cookie).
    pub headers: Vec<(reqwest::header::HeaderName, String)>,
    /// Text a good answer contains.
    pub expect: Option<&'static str>,
}

#[derive(Clone, Copy, Debug)]
pub struct RunResult {
    pub rps: f64,
    pub ok: u64,
    pub errors: u64,
    pub p50_us: f64,
    pub p99_us: f64,
}

#[derive(Default)]
struct WorkerStats {
    latencies_us: Vec<u32>,
    errors: u64,
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A client with one keep-alive connection (one per worker: no shared pool).
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .build()?)
}

/// The request `t` describes.
pub fn request(client: &reqwest::Client, t: &Target) -> reqwest::RequestBuilder {
    let mut req = match t.body {
        Some(body) => client
            .post(&t.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body),
        None => client.get(&t.url),
    };
    for (name, value) in &t.headers {
        req = req.header(name, value);
    }
    req
}

/// One request; `true` when the answer is 200 and contains what is expected.
pub async fn one(client: &reqwest::Client, t: &Target) -> bool {
    let Ok(res) = request(client, t).send().await else {
        return false;
    };
    let status = res.status();
    let Ok(body) = res.bytes().await else {
        return false;
    };
    status == reqwest::StatusCode::OK && t.expect.is_none_or(|e| contains(&body, e))
}

async fn worker(
    client: reqwest::Client,
    t: Arc<Target>,
    start: Instant,
    end: Instant,
) -> WorkerStats {
    let mut stats = WorkerStats::default();
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let good = one(&client, &t).await;
        let done = Instant::now();
        // Count what completes inside the window, whenever it was sent: unbiased for a
        // steady state, whatever the latency.
        if done >= start && done < end {
            if good {
                let us = done.duration_since(sent).as_micros();
                stats
                    .latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
            } else {
                stats.errors += 1;
            }
        }
        if done >= end {
            break;
        }
    }
    stats
}

/// The `p`th percentile of sorted latencies.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Closed loop: `concurrency` workers, each sending the next request when the previous
/// answer is read, for `warmup` then `seconds` measured.
pub async fn run_load(
    t: &Arc<Target>,
    concurrency: usize,
    warmup: f64,
    seconds: f64,
) -> anyhow::Result<RunResult> {
    let clients = (0..concurrency)
        .map(|_| client())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let t0 = Instant::now();
    let start = t0 + Duration::from_secs_f64(warmup);
    let end = start + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(worker(c, t.clone(), start, end)))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for h in handles {
        let s = h.await?;
        latencies.extend_from_slice(&s.latencies_us);
        errors += s.errors;
    }
    latencies.sort_unstable();
    let ok = latencies.len() as u64;
    Ok(RunResult {
        rps: ok as f64 / seconds,
        ok,
        errors,
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
    })
}

/// Rate of 8 kB overwrites each followed by `fdatasync` (the rules' R2) or, with `full`, by
/// `fsync` (what SQLite calls on this build).
pub fn fsync_rate(dir: &Path, seconds: f64, full: bool) -> anyhow::Result<f64> {
    let path = dir.join("fsync-probe");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    let block = [0x5au8; 8192];
    file.write_all_at(&block, 0)?;
    file.sync_all()?;
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(seconds);
    let mut n = 0u64;
    while Instant::now() < deadline {
        file.write_all_at(&block, 0)?;
        if full {
            file.sync_all()?;
        } else {
            file.sync_data()?;
        }
        n += 1;
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

/// The median of the finite values.
pub fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// The smallest and largest value.
pub fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Microseconds as milliseconds with two decimals.
pub fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

/// This machine's CPU model.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// One line of the report, flushed at once.
pub fn log(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
