//! B15 of the shared benchmark rules: the outbox sender (claim → send → mark, SQLite, the
//! product's `jobs::outbox::dispatch_batch` and `email::Mailer` with its lettre pool) as a
//! ratio against raw pooled sends to the same SMTP sink in the same run.
//!
//! - Sink: a minimal SMTP server in this binary (EHLO/MAIL/RCPT/DATA/RSET/QUIT, always
//!   `250`), counting accepted messages, on 127.0.0.1.
//! - Reference (R4 as the issue defines it for B15): `BENCH_POOL` tasks (default 16), each
//!   sending messages back to back through one shared `Mailer` (lettre `AsyncSmtpTransport`,
//!   pool `max_size` = `BENCH_POOL`), building each message exactly as the outbox does. No
//!   database.
//! - Subject: a fresh SQLite file per run (WAL, `synchronous=FULL`) pre-filled with queued
//!   rows (outside the timing), drained by one sender looping `dispatch_batch` (batch
//!   `BENCH_BATCH`, default 32: the product default) with the same mailer settings. Each
//!   batch is one claim statement, concurrent sends, and one transaction recording it.
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
use glassbox::jobs::outbox::{dispatch_batch, RateLimit};
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

async fn subject(
    port: u16,
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
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (db, sent, stop) = (db.clone(), sent.clone(), stop.clone());
        tokio::spawn(async move {
            let limit = Arc::new(RateLimit::new(0));
            while !stop.load(Ordering::Relaxed) {
                match dispatch_batch(&db, &mailer, &clock, &settings, &limit).await {
                    Ok(o) if o.claimed > 0 => {
                        sent.fetch_add(o.sent as u64, Ordering::Relaxed);
                    }
                    Ok(_) => break,
                    Err(e) => {
                        eprintln!("dispatch failed: {e:?}");
                        break;
                    }
                }
            }
        })
    };
    let rate = measure(warmup, seconds, || sent.load(Ordering::Relaxed)).await;
    stop.store(true, Ordering::Relaxed);
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
    let (mut refs, mut subs) = (Vec::new(), Vec::new());
    let mut guess = 5_000.0_f64;
    for p in 0..pairs {
        let fill = ((guess * (warmup + seconds) * 1.5) as u64).max(20_000);
        let (r, s) = if p % 2 == 0 {
            let r = reference(port, pool, warmup, seconds).await?;
            (r, subject(port, pool, batch, warmup, seconds, fill).await?)
        } else {
            let s = subject(port, pool, batch, warmup, seconds, fill).await?;
            (reference(port, pool, warmup, seconds).await?, s)
        };
        guess = guess.max(s);
        println!(
            "pair {} ({} first): reference {r:.0} msg/s, outbox {s:.0} msg/s, ratio {:.3}",
            p + 1,
            if p % 2 == 0 { "reference" } else { "outbox" },
            s / r
        );
        ratios.push(s / r);
        refs.push(r);
        subs.push(s);
    }
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ratios.iter().copied().fold(0.0, f64::max);
    println!(
        "B15 median ratio {:.3} (min {min:.3}, max {max:.3}); outbox median {:.0} msg/s, reference median {:.0} msg/s; sink accepted {} in all",
        median(ratios),
        median(subs),
        median(refs),
        accepted.load(Ordering::Relaxed)
    );
    Ok(())
}
