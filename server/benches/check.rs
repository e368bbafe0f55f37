//! Benchmark of the access check (B2 and B3 of the shared benchmark rules), each as a ratio
//! against R0 (a bare axum handler returning 16 bytes) measured in the same run.
//!
//! - R0: a bare axum router in this binary, one route answering a 16-byte body.
//! - B2: the check decision only — a router in this binary that decodes the same JSON body,
//!   authenticates nothing, and decides with the product's pure rule
//!   `glassbox::domain::access_request::grant_allows` against a grant held in memory. No
//!   database, no log write. Not a product endpoint.
//! - B3: the real `POST /api/v1/access/check` of the real application (SQLite file, WAL,
//!   `synchronous=FULL`, one transaction per check that commits its access event before
//!   answering).
//!
//! Load: a closed-loop generator in this binary — `BENCH_CONCURRENCY` workers (default 32),
//! each with its own reqwest client and so its own keep-alive HTTP/1.1 connection over
//! 127.0.0.1, each sending the next request as soon as the previous answer is read. Every
//! arm gets the identical request (POST, same JSON body, same bearer header), so the ratio
//! measures server-side differences only.
//!
//! Schedule: for each of `BENCH_PAIRS` rounds (default 5) and each subject (`BENCH_SUBJECTS`,
//! default `b2,b3`), one R0 run and one subject run back to back — R0 first in even rounds,
//! the subject first in odd rounds, so that slow drift cancels. Each run warms up for
//! `BENCH_WARMUP` seconds (default 3) and then measures for `BENCH_SECONDS` (default 10).
//! The figure is the median of the pairwise ratios subject/R0, with min and max.
//!
//! Run: `cargo bench -p server --bench check` (quick: `BENCH_SECONDS=3 BENCH_PAIRS=3
//! BENCH_WARMUP=1 cargo bench -p server --bench check`).
//!
//! **Out of process** (`BENCH_LOAD=oha`): R0 and B3 each run as a server process of their
//! own (this binary started again with `BENCH_SERVE=r0|b3`, pinned to CPU 0 with
//! `taskset`), and the load comes from `oha` (crates.io: `cargo install oha`) pinned to CPU
//! 1, so the load generator never shares a core or an allocator with the server. The same
//! ABAB schedule and median of pairwise ratios; oha's status counts are the error count.
//! Then **B4**: R0 and B3 at a fixed rate (`oha -q`, latency corrected for coordinated
//! omission), p99 of B3 against R0's p99 + one fsync (the disk probe's 1/rate), at half of
//! R0's saturation (the rules' wording) and at half of B3's own saturation. At the end the
//! B3 server is stopped and its database is counted: every 200 oha saw must be a stored
//! `allow` event.

mod common;

use anyhow::{bail, Context};
use app::model::{AccessRequestStatus, OwnerId, RequestId, Scope};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use common::*;
use glassbox::config::Settings;
use glassbox::db::Db;
use glassbox::domain::access_request::{grant_allows, Action, Actor, Grant};
use glassbox::domain::clock::Clock;
use glassbox::startup::Application;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The check every arm receives.
const CHECK_BODY: &str = r#"{"mailbox":"alice@example.org","agent":"sam.rivera","scope":"metadata","action":"read_message","resource":"message:1"}"#;
/// What an allowed check answer contains.
const ALLOW: &str = r#""decision":"allow""#;
/// Alice, in the demo seed.
const ALICE: OwnerId = OwnerId(uuid::Uuid::from_u128(
    0x9a55_b0c5_0000_4000_8000_0000_0000_0001,
));

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

struct Config {
    seconds: f64,
    warmup: f64,
    pairs: usize,
    concurrency: usize,
    threads: usize,
    fsync_seconds: f64,
    db_connections: u32,
    subjects: Vec<Subject>,
    load: Load,
}

/// Where the load comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Load {
    /// Workers in this process, against servers in this process.
    InProcess,
    /// `oha` in its own process against servers in their own processes.
    Oha,
}

impl Config {
    fn from_env() -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let subjects = match std::env::var("BENCH_SUBJECTS") {
            Ok(v) if !v.trim().is_empty() => v
                .split(',')
                .map(|s| match s.trim().to_ascii_lowercase().as_str() {
                    "b2" => Ok(Subject::B2),
                    "b3" => Ok(Subject::B3),
                    "b5" => Ok(Subject::B5),
                    other => bail!("BENCH_SUBJECTS: unknown subject {other:?} (use b2, b3, b5)"),
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            _ => vec![Subject::B2, Subject::B3],
        };
        let seconds = env_f64("BENCH_SECONDS", 10.0)?;
        if seconds <= 0.0 {
            bail!("BENCH_SECONDS must be greater than 0");
        }
        Ok(Self {
            seconds,
            warmup: env_f64("BENCH_WARMUP", 3.0)?,
            pairs: env_usize("BENCH_PAIRS", 5)?,
            concurrency: env_usize("BENCH_CONCURRENCY", 32)?,
            threads: env_usize("BENCH_THREADS", cores)?,
            fsync_seconds: env_f64("BENCH_FSYNC_SECONDS", 3.0)?,
            db_connections: u32::try_from(env_usize("BENCH_DB_CONNECTIONS", 10)?)
                .context("BENCH_DB_CONNECTIONS is too large")?,
            subjects,
            load: match std::env::var("BENCH_LOAD").as_deref().map(str::trim) {
                Err(_) | Ok("") | Ok("in-process") => Load::InProcess,
                Ok("oha") => Load::Oha,
                Ok(other) => bail!("BENCH_LOAD: {other:?} is not `in-process` or `oha`"),
            },
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subject {
    B2,
    B3,
    /// B3 with group commit off (`GLASSBOX__LOG__BATCH_MAX_EVENTS=1`): the durability floor.
    B5,
}

impl Subject {
    fn name(self) -> &'static str {
        match self {
            Subject::B2 => "B2",
            Subject::B3 => "B3",
            Subject::B5 => "B5",
        }
    }
}

// ---------------------------------------------------------------------------------------
// R0 and B2: routers in this binary
// ---------------------------------------------------------------------------------------

/// The same fields as the product's `POST /api/v1/access/check` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    mailbox: String,
    agent: String,
    scope: String,
    #[allow(dead_code)]
    action: String,
    #[allow(dead_code)]
    resource: String,
    #[serde(default)]
    #[allow(dead_code)]
    source_network: Option<String>,
}

/// The same shape as the product's check answer.
#[derive(Debug, Serialize)]
struct CheckJson {
    decision: &'static str,
    reason: &'static str,
    grant_id: Option<RequestId>,
    #[serde(with = "time::serde::rfc3339::option")]
    grant_ends_at: Option<OffsetDateTime>,
    event_id: uuid::Uuid,
    log_index: Option<i64>,
}

/// One approved grant, held in memory.
struct CachedGrant {
    id: RequestId,
    mailbox: String,
    agent: String,
    status: AccessRequestStatus,
    scopes: Vec<Scope>,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
}

async fn b2_check(
    State(grant): State<Arc<CachedGrant>>,
    Json(b): Json<CheckBody>,
) -> Result<Json<CheckJson>, StatusCode> {
    let scope: Scope = b
        .scope
        .parse()
        .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    let now = Clock::system().now();
    let same_subject = b.mailbox.trim().eq_ignore_ascii_case(&grant.mailbox)
        && b.agent.trim().eq_ignore_ascii_case(&grant.agent);
    let allowed = same_subject
        && grant_allows(
            grant.status,
            &grant.scopes,
            Some(grant.starts_at),
            Some(grant.ends_at),
            scope,
            now,
        );
    Ok(Json(if allowed {
        CheckJson {
            decision: "allow",
            reason: "Allowed: you approved this access",
            grant_id: Some(grant.id),
            grant_ends_at: Some(grant.ends_at),
            // The product answers with the id of the event it recorded; B2 records nothing
            // but mints an id the same way so that the answer has the same shape and size.
            event_id: uuid::Uuid::now_v7(),
            log_index: None,
        }
    } else {
        CheckJson {
            decision: "deny",
            reason: "Refused: no approved request",
            grant_id: None,
            grant_ends_at: None,
            event_id: uuid::Uuid::now_v7(),
            log_index: None,
        }
    }))
}

async fn start_b2() -> anyhow::Result<u16> {
    let now = Clock::system().now();
    let grant = Arc::new(CachedGrant {
        id: RequestId::new(),
        mailbox: "alice@example.org".into(),
        agent: "sam.rivera".into(),
        status: AccessRequestStatus::Approved,
        scopes: vec![Scope::Metadata, Scope::Content],
        starts_at: now - time::Duration::minutes(1),
        ends_at: now + time::Duration::hours(8),
    });
    serve(
        Router::new()
            .route("/api/v1/access/check", post(b2_check))
            .with_state(grant),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// B3: the real application
// ---------------------------------------------------------------------------------------

struct RealApp {
    port: u16,
    token: String,
    dir: tempfile::TempDir,
}

async fn start_real_app(db_connections: u32, group_commit: bool) -> anyhow::Result<RealApp> {
    let dir = tempfile::tempdir().context("temp dir")?;
    let mut settings = Settings::default();
    if let Some(wait) = std::env::var("BENCH_BATCH_WAIT_MICROS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        settings.log.batch_max_wait_micros = wait;
    }
    if !group_commit {
        settings.log.batch_max_events = 1;
        settings.log.batch_max_wait_micros = 0;
    }
    settings.http.bind = "127.0.0.1:0".parse()?;
    settings.data_dir = dir.path().to_path_buf();
    settings.database.url = Some(SecretString::from(format!(
        "sqlite://{}/glassbox.db",
        dir.path().display()
    )));
    settings.api.rate_limit_per_second = 0;
    let clock = Clock::system();
    let db = Db::connect(&settings.database_url(), db_connections).await?;
    db.migrate().await?;
    glassbox::demo::seed(&db, &clock, &settings).await?;
    let app = Application::build_with_db(settings.clone(), clock.clone(), db.clone()).await?;
    let port = app.port();
    tokio::spawn(async move {
        if let Err(e) = app.run_until(std::future::pending()).await {
            eprintln!("application stopped: {e:#}");
        }
    });
    let token = glassbox::services::tokens::create(&db, &clock, &settings, "bench")
        .await
        .map_err(|e| anyhow::anyhow!("create service token: {e}"))?;

    let client = reqwest::Client::builder().no_proxy().build()?;
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/access-requests"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "mailbox": "alice@example.org",
            "agent": "sam.rivera",
            "scopes": ["metadata", "content"],
            "justification": {"code": "service_maintenance", "text": "benchmark"},
            "duration_minutes": 480
        }))
        .send()
        .await?;
    let status = res.status();
    let json: serde_json::Value = res.json().await?;
    if status.as_u16() != 201 {
        bail!("creating the access request answered {status}: {json}");
    }
    let id: RequestId = json["id"]
        .as_str()
        .context("the new access request has no id")?
        .parse()?;
    let record = glassbox::services::requests::decide(
        &db,
        &clock,
        &settings,
        id,
        Actor::Owner(ALICE),
        Action::Approve(Grant::AS_ASKED),
    )
    .await
    .map_err(|e| anyhow::anyhow!("approve the access request: {e}"))?;
    if record.status != AccessRequestStatus::Approved {
        bail!("the access request is {:?}, not approved", record.status);
    }
    Ok(RealApp { port, token, dir })
}

// ---------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------

struct Pair {
    r0: RunResult,
    subject: RunResult,
    /// fsync/s measured just before this pair (B3 only).
    fsync: Option<f64>,
}

async fn bench(cfg: Config) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    log(&format!(
        "check bench: {} s measured after {} s warm-up per run, {} pairs per subject, \
         concurrency {}, {} runtime threads, B3 pool {} connections, {} cores ({})",
        cfg.seconds,
        cfg.warmup,
        cfg.pairs,
        cfg.concurrency,
        cfg.threads,
        cfg.db_connections,
        cores,
        cpu_model()
    ));

    let r0_port = start_r0().await?;
    let b2_port = start_b2().await?;
    let real = start_real_app(cfg.db_connections, true).await?;
    let floor = if cfg.subjects.contains(&Subject::B5) {
        Some(start_real_app(cfg.db_connections, false).await?)
    } else {
        None
    };
    let bearer = format!("Bearer {}", real.token);
    let r0 = Arc::new(Target {
        url: format!("http://127.0.0.1:{r0_port}/"),
        body: Some(CHECK_BODY),
        headers: vec![(reqwest::header::AUTHORIZATION, bearer.clone())],
        expect: Some(R0_BODY),
    });
    let b2 = Arc::new(Target {
        url: format!("http://127.0.0.1:{b2_port}/api/v1/access/check"),
        body: Some(CHECK_BODY),
        headers: vec![(reqwest::header::AUTHORIZATION, bearer.clone())],
        expect: Some(ALLOW),
    });
    let b3 = Arc::new(Target {
        url: format!("http://127.0.0.1:{}/api/v1/access/check", real.port),
        body: Some(CHECK_BODY),
        headers: vec![(reqwest::header::AUTHORIZATION, bearer)],
        expect: Some(ALLOW),
    });
    let b5 = Arc::new(Target {
        url: format!(
            "http://127.0.0.1:{}/api/v1/access/check",
            floor.as_ref().map_or(real.port, |f| f.port)
        ),
        body: Some(CHECK_BODY),
        headers: vec![(
            reqwest::header::AUTHORIZATION,
            format!(
                "Bearer {}",
                floor.as_ref().map_or(&real.token, |f| &f.token)
            ),
        )],
        expect: Some(ALLOW),
    });

    // Every arm must give the expected answer before anything is measured.
    let c = client()?;
    for (name, t) in [("R0", &r0), ("B2", &b2), ("B3", &b3), ("B5", &b5)] {
        if !one(&c, t).await {
            let body = request(&c, t).send().await?.text().await?;
            bail!("{name} did not give the expected answer: {body}");
        }
    }
    log("sanity: R0 answers 16 bytes; B2 and B3 answer \"decision\":\"allow\"");

    // R2 context (not a ratio denominator here): how fast this disk syncs.
    let fsync = if cfg.fsync_seconds > 0.0 {
        let dir = real.dir.path().to_path_buf();
        let secs = cfg.fsync_seconds;
        let (datasync, full) = tokio::task::spawn_blocking(move || {
            anyhow::Ok((
                fsync_rate(&dir, secs, false)?,
                fsync_rate(&dir, secs, true)?,
            ))
        })
        .await??;
        log(&format!(
            "R2 context: {datasync:.0} fdatasync/s and {full:.0} fsync/s \
             (8 kB overwrite, same file system as the database, before any load from this bench)"
        ));
        Some(full)
    } else {
        None
    };

    let mut pairs: Vec<(Subject, Vec<Pair>)> =
        cfg.subjects.iter().map(|s| (*s, Vec::new())).collect();
    for round in 0..cfg.pairs {
        for (subject, results) in pairs.iter_mut() {
            let target = match subject {
                Subject::B2 => &b2,
                Subject::B3 => &b3,
                Subject::B5 => &b5,
            };
            // The disk's speed varies a lot on this shared machine: probe it next to each
            // B3 pair so that the B3 figures can be read against it.
            let fsync = if matches!(subject, Subject::B3 | Subject::B5) && cfg.fsync_seconds > 0.0 {
                let dir = real.dir.path().to_path_buf();
                let secs = cfg.fsync_seconds.min(1.0);
                Some(tokio::task::spawn_blocking(move || fsync_rate(&dir, secs, true)).await??)
            } else {
                None
            };
            let r0_first = round % 2 == 0;
            let (r0_run, s_run) = if r0_first {
                let a = run_load(&r0, cfg.concurrency, cfg.warmup, cfg.seconds).await?;
                let b = run_load(target, cfg.concurrency, cfg.warmup, cfg.seconds).await?;
                (a, b)
            } else {
                let b = run_load(target, cfg.concurrency, cfg.warmup, cfg.seconds).await?;
                let a = run_load(&r0, cfg.concurrency, cfg.warmup, cfg.seconds).await?;
                (a, b)
            };
            log(&format!(
                "pair {}/{} {} ({} first): R0 {:.0} req/s p50 {} ms p99 {} ms | {} {:.0} req/s \
                 p50 {} ms p99 {} ms | ratio {:.4}{}{}",
                round + 1,
                cfg.pairs,
                subject.name(),
                if r0_first { "R0" } else { subject.name() },
                r0_run.rps,
                ms(r0_run.p50_us),
                ms(r0_run.p99_us),
                subject.name(),
                s_run.rps,
                ms(s_run.p50_us),
                ms(s_run.p99_us),
                s_run.rps / r0_run.rps,
                fsync.map_or(String::new(), |f| format!(
                    " | disk {f:.0} fsync/s just before"
                )),
                if r0_run.errors + s_run.errors > 0 {
                    format!(
                        " | ERRORS: R0 {}, {} {}",
                        r0_run.errors,
                        subject.name(),
                        s_run.errors
                    )
                } else {
                    String::new()
                }
            ));
            results.push(Pair {
                r0: r0_run,
                subject: s_run,
                fsync,
            });
        }
    }

    log("");
    log("| Arm | Median ratio to R0 | Min–max | Target | Met | Subject req/s (median) | R0 req/s (median) | Subject p50 / p99 ms (median) | R0 p50 / p99 ms (median) | Errors |");
    log("|---|---|---|---|---|---|---|---|---|---|");
    for (subject, results) in &pairs {
        let ratios: Vec<f64> = results.iter().map(|p| p.subject.rps / p.r0.rps).collect();
        let med = median(&ratios);
        let (lo, hi) = min_max(&ratios);
        let target = match subject {
            Subject::B2 => 0.70,
            Subject::B3 => 0.25,
            Subject::B5 => 0.0,
        };
        let col = |f: fn(&RunResult) -> f64, pick_subject: bool| {
            median(
                &results
                    .iter()
                    .map(|p| f(if pick_subject { &p.subject } else { &p.r0 }))
                    .collect::<Vec<_>>(),
            )
        };
        let errors: u64 = results.iter().map(|p| p.subject.errors + p.r0.errors).sum();
        let ok: u64 = results.iter().map(|p| p.subject.ok).sum();
        log(&format!(
            "| {} | {:.4} | {:.4}–{:.4} | ≥ {:.2} | {} | {:.0} | {:.0} | {} / {} | {} / {} | {} (of {} subject answers) |",
            subject.name(),
            med,
            lo,
            hi,
            target,
            if med >= target { "yes" } else { "no" },
            col(|r| r.rps, true),
            col(|r| r.rps, false),
            ms(col(|r| r.p50_us, true)),
            ms(col(|r| r.p99_us, true)),
            ms(col(|r| r.p50_us, false)),
            ms(col(|r| r.p99_us, false)),
            errors,
            ok,
        ));
    }
    if let Some((_, results)) = pairs.iter().find(|(s, _)| *s == Subject::B5) {
        let ratios: Vec<f64> = results
            .iter()
            .filter_map(|p| p.fsync.map(|f| p.subject.rps / f))
            .collect();
        if !ratios.is_empty() {
            let (lo, hi) = min_max(&ratios);
            log(&format!(
                "\nB5 (one transaction per check) against R2 (the 1 s fsync probe next to each pair): \
                 median {:.3} ({lo:.3}–{hi:.3}); target ≥ 0.8",
                median(&ratios)
            ));
        }
    }
    if let Some((_, results)) = pairs.iter().find(|(s, _)| *s == Subject::B3) {
        let b3 = median(&results.iter().map(|p| p.subject.rps).collect::<Vec<_>>());
        let probes: Vec<f64> = results.iter().filter_map(|p| p.fsync).collect();
        if !probes.is_empty() {
            let (lo, hi) = min_max(&probes);
            log(&format!(
                "\nContext: B3 median {b3:.0} checks/s; the disk did {:.0} fsync/s (median; \
                 {lo:.0}–{hi:.0}) in the 1 s probes next to the B3 pairs, {} at the start",
                median(&probes),
                fsync.map_or("not measured".to_string(), |f| format!("{f:.0}")),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Out of process: servers of their own, oha as the load generator
// ---------------------------------------------------------------------------------------

/// `BENCH_SERVE=r0|b3`: serve one arm, print `PORT [TOKEN DATA_DIR]` on one line, and run
/// until stdin closes (the parent bench ended).
async fn serve_for_parent(what: &str, cfg: &Config) -> anyhow::Result<()> {
    let _keep = match what {
        "r0" => {
            let port = start_r0().await?;
            log(&port.to_string());
            None
        }
        "b3" => {
            let real = start_real_app(cfg.db_connections, true).await?;
            // The parent counts the database after this process ends, then removes it.
            let dir = real.dir.keep();
            log(&format!("{} {} {}", real.port, real.token, dir.display()));
            Some(real.port)
        }
        other => bail!("BENCH_SERVE: {other:?} is not r0 or b3"),
    };
    let mut rest = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut rest).await?;
    Ok(())
}

/// `taskset -c CPU` before a command when there are two cores or more to pin to.
fn pinned(cpu: usize, program: &Path) -> tokio::process::Command {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores >= 2 && Path::new("/usr/bin/taskset").exists() {
        let mut c = tokio::process::Command::new("/usr/bin/taskset");
        c.arg("-c").arg(cpu.to_string()).arg(program);
        c
    } else {
        tokio::process::Command::new(program)
    }
}

/// A server arm in a process of its own.
struct ServerProcess {
    child: tokio::process::Child,
    port: u16,
    token: Option<String>,
    data_dir: Option<std::path::PathBuf>,
}

async fn spawn_server(what: &str) -> anyhow::Result<ServerProcess> {
    use tokio::io::AsyncBufReadExt;
    let exe = std::env::current_exe()?;
    let mut child = pinned(0, &exe)
        .env("BENCH_SERVE", what)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start the {what} server process"))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(120),
        tokio::io::BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .with_context(|| format!("the {what} server did not say its port in 120 s"))??;
    let mut parts = line.split_whitespace();
    let port = parts
        .next()
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("the {what} server said {line:?}, not its port"))?;
    Ok(ServerProcess {
        child,
        port,
        token: parts.next().map(str::to_string),
        data_dir: parts.next().map(std::path::PathBuf::from),
    })
}

/// What to ask of oha.
struct OhaRun<'a> {
    url: &'a str,
    bearer: &'a str,
    concurrency: usize,
    seconds: f64,
    /// Fixed rate (requests per second), or closed loop when `None`.
    rate: Option<f64>,
}

/// One oha run pinned to CPU 1; a warm-up of `warmup` seconds is run first (its figures
/// are dropped).
async fn oha(run: &OhaRun<'_>, warmup: f64) -> anyhow::Result<RunResult> {
    if warmup > 0.0 {
        oha_once(&OhaRun {
            seconds: warmup,
            ..*run
        })
        .await?;
    }
    oha_once(run).await
}

async fn oha_once(run: &OhaRun<'_>) -> anyhow::Result<RunResult> {
    let program = which("oha").context("BENCH_LOAD=oha needs `oha` on PATH (cargo install oha)")?;
    let mut cmd = pinned(1, &program);
    cmd.args(["--no-tui", "--output-format", "json"])
        .arg("-z")
        .arg(format!("{}ms", (run.seconds * 1000.0).round() as u64))
        .arg("-c")
        .arg(run.concurrency.to_string())
        .args(["--method", "POST", "-T", "application/json"])
        .arg("-H")
        .arg(format!("Authorization: {}", run.bearer))
        .arg("-d")
        .arg(CHECK_BODY);
    if let Some(rate) = run.rate {
        cmd.arg("-q")
            .arg(format!("{:.0}", rate.max(1.0)))
            .arg("--latency-correction");
    }
    cmd.arg(run.url);
    let out = cmd.output().await.context("run oha")?;
    if !out.status.success() {
        bail!(
            "oha failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("oha's JSON output")?;
    let codes = json["statusCodeDistribution"]
        .as_object()
        .context("oha's output has no statusCodeDistribution")?;
    let ok = codes.get("200").and_then(|v| v.as_u64()).unwrap_or(0);
    let others: u64 = codes
        .iter()
        .filter(|(k, _)| k.as_str() != "200")
        .filter_map(|(_, v)| v.as_u64())
        .sum();
    let failed: u64 = json["errorDistribution"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(|v| v.as_u64()).sum());
    let seconds = |key: &str| json["latencyPercentiles"][key].as_f64().unwrap_or(f64::NAN) * 1e6;
    Ok(RunResult {
        rps: ok as f64 / run.seconds,
        ok,
        errors: others + failed,
        p50_us: seconds("p50"),
        p99_us: seconds("p99"),
    })
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Allowed events stored in the B3 server's database (read after it stopped).
async fn allowed_events(data_dir: &Path) -> anyhow::Result<i64> {
    let url = format!("sqlite://{}/glassbox.db", data_dir.display());
    let db = Db::connect(&SecretString::from(url), 1).await?;
    let n = glassbox::db::events::count_allowed(&db).await?;
    db.close().await;
    Ok(n)
}

/// One R0 run and one B3 run (`urls`), R0 first in even rounds: (R0, B3).
async fn oha_pair(
    cfg: &Config,
    urls: [&str; 2],
    bearer: &str,
    rate: Option<f64>,
    round: usize,
) -> anyhow::Result<(RunResult, RunResult)> {
    let r0 = OhaRun {
        url: urls[0],
        bearer,
        concurrency: cfg.concurrency,
        seconds: cfg.seconds,
        rate,
    };
    let b3 = OhaRun { url: urls[1], ..r0 };
    Ok(if round.is_multiple_of(2) {
        let a = oha(&r0, cfg.warmup).await?;
        (a, oha(&b3, cfg.warmup).await?)
    } else {
        let b = oha(&b3, cfg.warmup).await?;
        (oha(&r0, cfg.warmup).await?, b)
    })
}

async fn bench_out_of_process(cfg: Config) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    log(&format!(
        "check bench, out of process: servers pinned to CPU 0, oha pinned to CPU 1; {} s measured \
         after {} s warm-up per run, {} pairs, concurrency {}, B3 pool {} connections, {} cores ({})",
        cfg.seconds, cfg.warmup, cfg.pairs, cfg.concurrency, cfg.db_connections, cores, cpu_model()
    ));
    let r0 = spawn_server("r0").await?;
    let mut b3 = spawn_server("b3").await?;
    let token = b3.token.clone().context("the B3 server gave no token")?;
    let data_dir = b3
        .data_dir
        .clone()
        .context("the B3 server gave no data directory")?;
    let bearer = format!("Bearer {token}");
    let r0_url = format!("http://127.0.0.1:{}/", r0.port);
    let b3_url = format!("http://127.0.0.1:{}/api/v1/access/check", b3.port);
    let c = client()?;
    for (name, url, expect) in [("R0", &r0_url, R0_BODY), ("B3", &b3_url, ALLOW)] {
        let t = Target {
            url: url.clone(),
            body: Some(CHECK_BODY),
            headers: vec![(reqwest::header::AUTHORIZATION, bearer.clone())],
            expect: Some(expect),
        };
        if !one(&c, &t).await {
            bail!("{name} did not give the expected answer");
        }
    }
    log("sanity: R0 answers 16 bytes; B3 answers \"decision\":\"allow\"");
    let mut b3_answers = 1u64; // the sanity check's

    let mut pairs = Vec::new();
    for round in 0..cfg.pairs {
        let r0_first = round % 2 == 0;
        let (a, b) = oha_pair(&cfg, [&r0_url, &b3_url], &bearer, None, round).await?;
        b3_answers += b.ok;
        log(&format!(
            "pair {}/{} ({} first): R0 {:.0} req/s p50 {} ms p99 {} ms | B3 {:.0} req/s p50 {} ms p99 {} ms | ratio {:.4}{}",
            round + 1, cfg.pairs, if r0_first { "R0" } else { "B3" },
            a.rps, ms(a.p50_us), ms(a.p99_us), b.rps, ms(b.p50_us), ms(b.p99_us), b.rps / a.rps,
            if a.errors + b.errors > 0 { format!(" | ERRORS: R0 {}, B3 {}", a.errors, b.errors) } else { String::new() }
        ));
        pairs.push((a, b));
    }
    let ratios: Vec<f64> = pairs.iter().map(|(a, b)| b.rps / a.rps).collect();
    let (lo, hi) = min_max(&ratios);
    let r0_sat = median(&pairs.iter().map(|(a, _)| a.rps).collect::<Vec<_>>());
    let b3_sat = median(&pairs.iter().map(|(_, b)| b.rps).collect::<Vec<_>>());
    let errors: u64 = pairs.iter().map(|(a, b)| a.errors + b.errors).sum();
    log(&format!(
        "\nB3 out of process: median ratio {:.4} ({lo:.4}–{hi:.4}), target ≥ 0.25: {}; B3 {b3_sat:.0} checks/s, R0 {r0_sat:.0} req/s (medians); {errors} non-200 answers",
        median(&ratios),
        if median(&ratios) >= 0.25 { "met" } else { "NOT met" }
    ));

    // B4: p99 at a fixed rate, against R0's p99 at the same rate plus one fsync.
    let fsync = {
        let dir = data_dir.clone();
        let secs = cfg.fsync_seconds.max(1.0);
        tokio::task::spawn_blocking(move || fsync_rate(&dir, secs, true)).await??
    };
    let fsync_us = 1e6 / fsync;
    log(&format!(
        "R2: {fsync:.0} fsync/s (one fsync = {} ms)",
        ms(fsync_us)
    ));
    for (label, rate) in [
        ("half of R0's saturation", r0_sat / 2.0),
        ("half of B3's saturation", b3_sat / 2.0),
    ] {
        let mut b4 = Vec::new();
        for round in 0..cfg.pairs {
            let (a, b) = oha_pair(&cfg, [&r0_url, &b3_url], &bearer, Some(rate), round).await?;
            b3_answers += b.ok;
            let ratio = b.p99_us / (a.p99_us + fsync_us);
            log(&format!(
                "B4 at {rate:.0} req/s ({label}) pair {}/{}: R0 {:.0} req/s p99 {} ms | B3 {:.0} req/s p99 {} ms | B3 p99 / (R0 p99 + 1 fsync) = {ratio:.3}{}",
                round + 1, cfg.pairs, a.rps, ms(a.p99_us), b.rps, ms(b.p99_us),
                if a.errors + b.errors > 0 { format!(" | ERRORS: R0 {}, B3 {}", a.errors, b.errors) } else { String::new() }
            ));
            b4.push(ratio);
        }
        let (lo, hi) = min_max(&b4);
        log(&format!(
            "B4 at {label} ({rate:.0} req/s): median {:.3} ({lo:.3}–{hi:.3}), target ≤ 2.0: {}\n",
            median(&b4),
            if median(&b4) <= 2.0 { "met" } else { "NOT met" }
        ));
    }

    // Every answer B3 gave as 200 is a durable allow event.
    drop(b3.child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(30), b3.child.wait()).await;
    let stored = allowed_events(&data_dir).await?;
    log(&format!(
        "durability: oha counted {b3_answers} answers 200 from B3; its database holds {stored} allowed events: {}",
        if stored >= b3_answers as i64 { "every answer is stored" } else { "ANSWERS WITHOUT EVENTS" }
    ));
    if stored < b3_answers as i64 {
        bail!(
            "{} allowed answers have no stored event",
            b3_answers as i64 - stored
        );
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.threads)
        .enable_all()
        .build()?;
    if let Ok(what) = std::env::var("BENCH_SERVE") {
        return runtime.block_on(serve_for_parent(&what, &cfg));
    }
    match cfg.load {
        Load::InProcess => runtime.block_on(bench(cfg)),
        Load::Oha => runtime.block_on(bench_out_of_process(cfg)),
    }
}
