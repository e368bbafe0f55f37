//! B14 of the shared benchmark rules: queueing the notices of an incident with `N` affected
//! owners (default 1 000 000) through the product's own code, against R1 — a raw batched
//! insert of the same number of rows of the same size into a table of the same shape —
//! measured in the same run, on the same SQLite file.
//!
//! - Subject: `glassbox::services::incidents::queue_notices` on a confirmed incident whose
//!   affected set holds `N` mailboxes: it reads the owners in keyset batches of
//!   `BENCH_BATCH` (default 1 000, the product default), renders each notice (text + HTML),
//!   inserts them into `outbox` with multi-row statements and marks the batch, one
//!   transaction per batch.
//! - R1: `N` rows into `outbox_ref` (the outbox's columns, no indexes beyond its primary key
//!   and unique keys, like the outbox), 1 000 rows per transaction, multi-row prepared
//!   statements, bodies of the same length as the subject's, from Rust through the same
//!   sqlx pool.
//!
//! Both run on one SQLite file with WAL and `synchronous=FULL`. Pairs alternate the order
//! (R1 first in even rounds). Between runs the tables are emptied (not measured). The figure
//! is the median over `BENCH_PAIRS` (default 3) of R1 time ÷ subject time, i.e. the
//! subject's throughput as a fraction of R1's.
//!
//! Run: `cargo bench -p server --bench incident_enqueue` (quick: `BENCH_N=100000
//! BENCH_PAIRS=3 cargo bench -p server --bench incident_enqueue`).

use anyhow::Context as _;
use glassbox::config::Settings;
use glassbox::db::Db;
use glassbox::domain::clock::Clock;
use secrecy::SecretString;
use sqlx::SqlitePool;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name} must be a whole number")),
        Err(_) => Ok(default),
    }
}

async fn setup(pool: &SqlitePool, n: usize) -> anyhow::Result<()> {
    let now = "2026-11-30T12:00:00Z";
    sqlx::query(
        "INSERT INTO staff (id, email, display_name, role, pseudonym, created_at, handle) VALUES \
         (X'00000000000000000000000000000001', 'a@staff.example.org', 'A', 'security_admin', 'Agent 1', $1, 'a'), \
         (X'00000000000000000000000000000002', 'b@staff.example.org', 'B', 'support', 'Agent 2', $1, 'b')",
    )
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $1) \
         INSERT INTO owners (id, oidc_subject, display_name, email, created_at) \
         SELECT randomblob(16), NULL, 'Owner ' || i, 'owner' || i || '@example.org', $2 FROM k",
    )
    .bind(n as i64)
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO mailboxes (id, owner_id, address, created_at) SELECT randomblob(16), id, email, created_at FROM owners",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO incidents (id, title, description, cause_kind, cause_staff_id, window_start, window_end, status, \
         declared_by, confirmed_by, created_at, confirmed_at) VALUES (X'000000000000000000000000000000AA', \
         'A support agent''s sign-in was stolen', 'Someone used a support agent''s sign-in to open mailboxes.', \
         'staff_credential', X'00000000000000000000000000000002', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', \
         'confirmed', X'00000000000000000000000000000001', X'00000000000000000000000000000002', $1, $1)",
    )
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO incident_mailboxes (incident_id, mailbox_id, exposure, event_count) \
         SELECT X'000000000000000000000000000000AA', id, CASE WHEN abs(random()) % 16 = 0 THEN 'content' ELSE 'metadata' END, 3 FROM mailboxes",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO incident_rounds (incident_id, round, message, created_by, created_at) \
         VALUES (X'000000000000000000000000000000AA', 1, NULL, X'00000000000000000000000000000002', $1)",
    )
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query(
        "CREATE TABLE outbox_ref (id BLOB PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, message_id TEXT NOT NULL UNIQUE, \
         kind TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL, body_text TEXT NOT NULL, body_html TEXT NOT NULL, \
         list_unsubscribe TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, \
         created_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn reset(pool: &SqlitePool) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM outbox").execute(pool).await?;
    sqlx::query("DELETE FROM outbox_ref").execute(pool).await?;
    sqlx::query("UPDATE incident_mailboxes SET notified_round = 0")
        .execute(pool)
        .await?;
    sqlx::query("UPDATE incident_rounds SET queued_at = NULL")
        .execute(pool)
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await?;
    Ok(())
}

/// The average body lengths the subject wrote, so R1 writes rows of the same size.
async fn body_sizes(pool: &SqlitePool) -> anyhow::Result<(usize, usize)> {
    let (t, h): (f64, f64) =
        sqlx::query_as("SELECT AVG(LENGTH(body_text)), AVG(LENGTH(body_html)) FROM outbox")
            .fetch_one(pool)
            .await?;
    Ok((t as usize, h as usize))
}

async fn reference(
    pool: &SqlitePool,
    n: usize,
    text: &str,
    html: &str,
) -> anyhow::Result<Duration> {
    const PER_TX: usize = 1000;
    const PER_STATEMENT: usize = 500;
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        let mut tx = pool.begin().await?;
        let end = (done + PER_TX).min(n);
        let mut i = done;
        while i < end {
            let rows = (end - i).min(PER_STATEMENT);
            let mut sql = String::from(
                "INSERT INTO outbox_ref (id, idempotency_key, message_id, kind, recipient, subject, body_text, \
                 body_html, list_unsubscribe, status, attempts, next_attempt_at, created_at) VALUES ",
            );
            for r in 0..rows {
                let b = r * 10;
                if r > 0 {
                    sql.push(',');
                }
                let p: Vec<String> = (1..=10).map(|k| format!("${}", b + k)).collect();
                sql += &format!(
                    "({}, {}, {}, {}, {}, {}, {}, {}, {}, 'queued', 0, {}, {})",
                    p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[9]
                );
            }
            let mut q = sqlx::query(&sql);
            for k in i..i + rows {
                let id = uuid::Uuid::now_v7();
                q = q
                    .bind(id)
                    .bind(format!("ref:{k}"))
                    .bind(format!("<{}@glassbox>", id.simple()))
                    .bind("incident_notice")
                    .bind(format!("owner{k}@example.org"))
                    .bind("A security incident affected your mailbox")
                    .bind(text)
                    .bind(html)
                    .bind(None::<String>)
                    .bind("2026-11-30T12:00:00Z");
            }
            q.execute(&mut *tx).await?;
            i += rows;
        }
        tx.commit().await?;
        done = end;
    }
    Ok(start.elapsed())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n = env_usize("BENCH_N", 1_000_000)?;
    let pairs = env_usize("BENCH_PAIRS", 3)?.max(1);
    let batch = env_usize("BENCH_BATCH", 1000)?;
    let dir = tempfile::tempdir_in(".").context("temporary directory")?;
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let db = Db::connect(&SecretString::from(url), 4).await?;
    db.migrate().await?;
    let Db::Sqlite(pool) = &db else {
        anyhow::bail!("B14 runs on SQLite")
    };
    let mut settings = Settings::default();
    settings.incidents.notice_batch = batch as i64;
    let clock = Clock::system();
    eprintln!("B14: setting up {n} affected owners…");
    setup(pool, n).await?;

    // A first subject run gives the body sizes R1 must match (and warms the caches).
    glassbox::services::incidents::queue_notices(&db, &clock, &settings).await?;
    let (text_len, html_len) = body_sizes(pool).await?;
    let (text, html) = ("t".repeat(text_len), "h".repeat(html_len));
    eprintln!("B14: bodies average {text_len} B text + {html_len} B HTML");

    let mut ratios = Vec::new();
    for round in 0..pairs {
        let run_subject = || async {
            reset(pool).await?;
            let start = Instant::now();
            let queued =
                glassbox::services::incidents::queue_notices(&db, &clock, &settings).await?;
            anyhow::ensure!(queued as usize == n, "queued {queued}, expected {n}");
            Ok::<_, anyhow::Error>(start.elapsed())
        };
        let (subject, r1) = if round % 2 == 0 {
            reset(pool).await?;
            let r1 = reference(pool, n, &text, &html).await?;
            (run_subject().await?, r1)
        } else {
            let s = run_subject().await?;
            reset(pool).await?;
            (s, reference(pool, n, &text, &html).await?)
        };
        let ratio = r1.as_secs_f64() / subject.as_secs_f64();
        println!(
            "pair {}: subject {:.1} s ({:.0} notices/s), R1 {:.1} s ({:.0} rows/s), ratio {:.2}",
            round + 1,
            subject.as_secs_f64(),
            n as f64 / subject.as_secs_f64(),
            r1.as_secs_f64(),
            n as f64 / r1.as_secs_f64(),
            ratio
        );
        ratios.push(ratio);
    }
    let (lo, hi) = (
        ratios.iter().cloned().fold(f64::MAX, f64::min),
        ratios.iter().cloned().fold(f64::MIN, f64::max),
    );
    println!(
        "B14 (N = {n}): subject/R1 throughput, median {:.2} (min {lo:.2}, max {hi:.2}) over {pairs} pairs; target >= 0.5",
        median(ratios)
    );
    db.close().await;
    Ok(())
}
