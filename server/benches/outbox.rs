//! B15 of the shared benchmark rules: the outbox sender (claim → send → mark, SQLite, the
//! product's sender job `jobs::outbox::run_until_stopped` and `email::Mailer` with its SMTP pool) as a
//! ratio against raw pooled sends to the same SMTP sink in the same run.
//!
//! - Sink: a minimal SMTP server in this binary (EHLO/MAIL/RCPT/DATA/RSET/QUIT, always
//!   `250`), counting accepted messages, on 127.0.0.1.
//! - Reference (R4 as the issue defines it for B15): `BENCH_POOL` tasks (default 16), each
//!   sending messages back to back through one shared `Mailer` (lettre's SMTP connections
//!   in the mailer's pool of `BENCH_POOL`, `TCP_NODELAY` set), building each message
//!   exactly as the outbox does. No database.
//! - Before (context): the same tasks through lettre's own pooled `AsyncSmtpTransport` (as
//!   the mailer was before it set `TCP_NODELAY`), so the gain is measured in the same run.
//! - Subject: a fresh SQLite file per run (WAL, `synchronous=FULL`) pre-filled with queued
//!   rows (outside the timing), drained by the product's sender job
//!   (`jobs::outbox::run_until_stopped`: up to `BATCHES_IN_FLIGHT` batches of `BENCH_BATCH`,
//!   default 32: the product default) with the same mailer settings, counted by the sink.
//!   Each batch is one claim statement, concurrent sends, and one transaction recording it.
//!
//! Schedule: `BENCH_PAIRS` rounds (default 5), reference and subject back to back, order
//! alternating; each run warms up `BENCH_WARMUP` s (default 3) and measures `BENCH_SECONDS`
//! s (default 10). Reported: the median of the pairwise ratios subject/reference, min–max.
//!
//! Run: `cargo bench -p server --bench outbox` (quick: `BENCH_SECONDS=3 BENCH_PAIRS=3
//! BENCH_WARMUP=1 cargo bench -p server --bench outbox`).

use anyhow::Context as _;
use glassbox::config::{EmailBackend, EmailSettings, SmtpTls};
use glassbox::db::outbox::{self, ClaimedMessage, NewOutboxMessage};
use glassbox::db::Db;
use glassbox::domain::clock::Clock;
use glassbox::email::Mailer;

use secrecy::SecretString;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|x: &f64| x.is_finite() && *x > 0.0)
        .unwrap_or(default)
}

/// Starts the sink; returns its port and its counter of accepted messages.
async fn start_sink() -> anyhow::Result<(u16, Arc<AtomicU64>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let _ = serve(stream, counter).await;
            });
        }
    });
    Ok((port, accepted))
}

async fn serve(stream: tokio::net::TcpStream, accepted: Arc<AtomicU64>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                    .await?
            }
            "DATA" => {
                write.write_all(b"354 go on\r\n").await?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                }
                accepted.fetch_add(1, Ordering::Relaxed);
                write.write_all(b"250 accepted\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"250 ok\r\n").await?,
        }
    }
}

fn email_settings(port: u16, pool: u32, batch: i64) -> EmailSettings {
    let mut s = EmailSettings {
        backend: EmailBackend::Smtp,
        ..EmailSettings::default()
    };
    s.smtp.host = "127.0.0.1".into();
    s.smtp.port = port;
    s.smtp.tls = SmtpTls::None;
    s.smtp.pool_size = pool;
    s.batch_size = batch;
    s
}

/// A message shaped like a real notice (multipart, ~2 kB).
fn notice(i: u64, now: time::OffsetDateTime) -> NewOutboxMessage {
    let id = uuid::Uuid::now_v7();
    NewOutboxMessage {
        id,
        idempotency_key: format!("bench:{id}"),
        message_id: format!("<{}@bench.glassbox.test>", id.simple()),
        kind: "bench".into(),
        recipient: format!("owner{}@bench.glassbox.test", i % 1000),
        subject: "Access request for alice@example.org: please decide".into(),
        body_text: "Hello Alice,\n\n".to_string()
            + &"Agent Otter asks to read your mailbox. ".repeat(20),
        body_html: "<!DOCTYPE html><html lang=\"en\"><body><p>".to_string()
            + &"Agent Otter asks to read your mailbox. ".repeat(20)
            + "</p></body></html>",
        list_unsubscribe: None,
        created_at: now,
    }
}

fn claimed(m: &NewOutboxMessage) -> ClaimedMessage {
    ClaimedMessage {
        id: m.id,
        message_id: m.message_id.clone(),
        idempotency_key: m.idempotency_key.clone(),
        kind: m.kind.clone(),
        recipient: m.recipient.clone(),
        subject: m.subject.clone(),
        body_text: m.body_text.clone(),
        body_html: m.body_html.clone(),
        list_unsubscribe: None,
        attempts: 1,
        created_at: m.created_at,
    }
}

/// Runs `count_now` for warm-up then measure; returns messages per second measured.
async fn measure(warmup: f64, seconds: f64, count: impl Fn() -> u64) -> f64 {
    tokio::time::sleep(Duration::from_secs_f64(warmup)).await;
    let (start, at) = (count(), Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    (count() - start) as f64 / at.elapsed().as_secs_f64()
}

async fn reference(port: u16, pool: u32, warmup: f64, seconds: f64) -> anyhow::Result<f64> {
    let mailer = Mailer::from_settings(&email_settings(port, pool, 32))?;
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let now = time::OffsetDateTime::now_utc();
    let mut tasks = Vec::new();
    for t in 0..pool {
        let (mailer, sent, stop) = (mailer.clone(), sent.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = u64::from(t);
            while !stop.load(Ordering::Relaxed) {
                let m = claimed(&notice(i, now));
                if mailer.send(&m).await.is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                i += u64::from(pool);
            }
        }));
    }
    let rate = measure(warmup, seconds, || sent.load(Ordering::Relaxed)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    Ok(rate)
}

/// The same sends through lettre's own pooled transport (its sockets keep Nagle's
/// algorithm on): what the mailer did before it opened its sockets with `TCP_NODELAY`.
async fn before(port: u16, pool: u32, warmup: f64, seconds: f64) -> anyhow::Result<f64> {
    use lettre::AsyncTransport as _;
    let mailer = Mailer::from_settings(&email_settings(port, pool, 32))?;
    let transport =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(pool))
            .build();
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let now = time::OffsetDateTime::now_utc();
    let mut tasks = Vec::new();
    for t in 0..pool {
        let (mailer, transport, sent, stop) = (
            mailer.clone(),
            transport.clone(),
            sent.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = u64::from(t);
            while !stop.load(Ordering::Relaxed) {
                let Ok(message) = mailer.build(&claimed(&notice(i, now))) else {
                    break;
                };
                if transport.send(message).await.is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                i += u64::from(pool);
            }
        }));
    }
    let rate = measure(warmup, seconds, || sent.load(Ordering::Relaxed)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    Ok(rate)
}

async fn subject(
    port: u16,
    accepted: &AtomicU64,
    pool: u32,
    batch: i64,
    warmup: f64,
    seconds: f64,
    fill: u64,
) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let db = Db::connect(
        &SecretString::from(format!("sqlite://{}/bench.db", dir.path().display())),
        10,
    )
    .await?;
    db.migrate().await?;
    let clock = Clock::system();
    let now = clock.now();
    let rows: Vec<_> = (0..fill).map(|i| notice(i, now)).collect();
    for chunk in rows.chunks(10_000) {
        let mut tx = db.begin().await?;
        outbox::enqueue_many(&mut tx, chunk).await?;
        tx.commit().await?;
    }
    let settings = email_settings(port, pool, batch);
    let mailer = Mailer::from_settings(&settings)?;
    // The product's sender job itself (batches kept in flight, the rate limit off), counted
    // by what the sink accepts.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sender = tokio::spawn(glassbox::jobs::outbox::run_until_stopped(
        db.clone(),
        mailer,
        clock,
        settings,
        stopped,
    ));
    let rate = measure(warmup, seconds, || accepted.load(Ordering::Relaxed)).await;
    let _ = stop.send(true);
    let _ = sender.await;
    let left =
        glassbox::db::on_pool_for_tests(&db, "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")
            .await;
    if left == 0 {
        eprintln!("warning: the outbox ran dry during the run; raise the fill");
    }
    db.close().await;
    Ok(rate)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let seconds = env_num("BENCH_SECONDS", 10.0);
    let warmup = env_num("BENCH_WARMUP", 3.0);
    let pairs = env_num("BENCH_PAIRS", 5.0) as usize;
    let pool = env_num("BENCH_POOL", 16.0) as u32;
    let batch = env_num("BENCH_BATCH", 32.0) as i64;
    let (port, accepted) = start_sink().await.context("start the sink")?;
    println!("B15: outbox (claim → send → mark, SQLite) vs raw pooled sends, pool {pool}, batch {batch}, {pairs} pairs × ({warmup} s + {seconds} s)");
    let mut ratios = Vec::new();
    let (mut refs, mut subs, mut befores) = (Vec::new(), Vec::new(), Vec::new());
    let mut guess = 5_000.0_f64;
    for p in 0..pairs {
        let fill = ((guess * (warmup + seconds) * 1.5) as u64).max(20_000);
        let (r, s) = if p % 2 == 0 {
            let r = reference(port, pool, warmup, seconds).await?;
            (
                r,
                subject(port, &accepted, pool, batch, warmup, seconds, fill).await?,
            )
        } else {
            let s = subject(port, &accepted, pool, batch, warmup, seconds, fill).await?;
            (reference(port, pool, warmup, seconds).await?, s)
        };
        guess = guess.max(s);
        let b = before(port, pool, warmup, seconds).await?;
        println!(
            "pair {} ({} first): reference {r:.0} msg/s, outbox {s:.0} msg/s, ratio {:.3}; before (lettre's transport) {b:.0} msg/s",
            p + 1,
            if p % 2 == 0 { "reference" } else { "outbox" },
            s / r
        );
        befores.push(b);
        ratios.push(s / r);
        refs.push(r);
        subs.push(s);
    }
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ratios.iter().copied().fold(0.0, f64::max);
    println!(
        "B15 median ratio {:.3} (min {min:.3}, max {max:.3}); outbox median {:.0} msg/s, reference median {:.0} msg/s, before (lettre's transport) median {:.0} msg/s; sink accepted {} in all",
        median(ratios),
        median(subs),
        median(refs),
        median(befores),
        accepted.load(Ordering::Relaxed)
    );
    Ok(())
}
