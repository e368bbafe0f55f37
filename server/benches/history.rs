//! B10 and B11 of the shared benchmark rules: the owner's access history page.
//!
//! - **B10**: the first page of a history of `BENCH_EVENTS` (default 100 000) events against
//!   page 1 000 of it, each found by keyset (`?before=<position>`), through the real
//!   application (session cookie, the query, Leptos SSR of the whole page). Figure: deep ÷
//!   first of the median latency over `BENCH_SAMPLES` (default 200) alternating requests
//!   from one client. Goal ≤ 1.2. **Control arm** (to prove the measurement can see depth):
//!   the same page's query with `LIMIT 25 OFFSET 24 975` against `OFFSET 0`, run on the same
//!   file; it must show ≥ 10×. The keyset form of that query is measured beside it.
//! - **B11**: history page 1 throughput (closed loop, `BENCH_CONCURRENCY`, default 8) against
//!   R0 (bare axum, 16 bytes) in the same process, `BENCH_PAIRS` (default 3) pairs of 2 s
//!   warm-up + `BENCH_SECONDS` (default 5) each, alternating the order. Figure: the median
//!   of the pairs' ratios. Goal ≥ 0.25.
//!
//! The events are written through the store (`db::events::append`) before the application
//! starts; its log writer then enters them into the log, and the bench waits until every
//! event has its log index before measuring.
//!
//! Run: `cargo bench -p server --bench history` (quick: `BENCH_EVENTS=30000
//! BENCH_SAMPLES=60 BENCH_PAIRS=1 cargo bench -p server --bench history`).

use anyhow::{bail, Context as _};
use glassbox::config::Settings;
use glassbox::db::events::NewEventRow;
use glassbox::db::Db;
use glassbox::domain::clock::Clock;
use glassbox::startup::Application;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

/// Alice's first mailbox and Sam, in the demo seed.
const ALICE_MAILBOX: uuid::Uuid = uuid::Uuid::from_u128(0x9a55b0c5_0000_4000_8000_000000000065);
const SAM: uuid::Uuid = uuid::Uuid::from_u128(0x9a55b0c5_0000_4000_8000_0000000003e9);
/// The history's page size.
const PAGE: i64 = 25;
const DEPTH_PAGES: i64 = 1000;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn fill(db: &Db, n: usize) -> anyhow::Result<()> {
    use app::model::{Decision, MailboxId, Scope, StaffId};
    let start = time::OffsetDateTime::now_utc() - time::Duration::days(60);
    let mut written = 0;
    while written < n {
        let mut tx = db.begin().await?;
        for i in written..(written + 1000).min(n) {
            let row = NewEventRow {
                id: uuid::Uuid::now_v7(),
                occurred_at: start + time::Duration::seconds(i as i64 * 30),
                mailbox_id: MailboxId(ALICE_MAILBOX),
                agent_id: Some(StaffId(SAM)),
                request_id: None,
                scope: if i % 3 == 0 {
                    Scope::Content
                } else {
                    Scope::Metadata
                },
                action: "read_message".into(),
                resource: format!("message:{i:08x}"),
                decision: if i % 7 == 0 {
                    Decision::Denied
                } else {
                    Decision::Allowed
                },
                reason: "Refused: no approved request".into(),
                source_network: Some("10.20.0.0/16".into()),
            };
            glassbox::db::events::append(&mut tx, &row).await?;
        }
        tx.commit().await?;
        written = (written + 1000).min(n);
    }
    Ok(())
}

async fn pending_log(pool: &sqlx::SqlitePool) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM access_events WHERE log_index IS NULL")
            .fetch_one(pool)
            .await?,
    )
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn time_get(client: &reqwest::Client, url: &str, expect: &str) -> anyhow::Result<f64> {
    let t = Instant::now();
    let res = client.get(url).send().await?;
    let status = res.status();
    let body = res.text().await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if status != reqwest::StatusCode::OK || !body.contains(expect) {
        bail!("GET {url} answered {status} without {expect:?}");
    }
    Ok(ms)
}

async fn time_query(pool: &sqlx::SqlitePool, sql: &str, arg: i64) -> anyhow::Result<f64> {
    let t = Instant::now();
    let rows = sqlx::query(sql)
        .bind(ALICE_MAILBOX)
        .bind(arg)
        .fetch_all(pool)
        .await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if rows.len() as i64 != PAGE {
        bail!("the control query returned {} rows", rows.len());
    }
    Ok(ms)
}

async fn run() -> anyhow::Result<()> {
    let events = common::env_usize("BENCH_EVENTS", 100_000)?;
    let samples = common::env_usize("BENCH_SAMPLES", 200)?;
    let pairs = common::env_usize("BENCH_PAIRS", 3)?;
    let seconds = common::env_f64("BENCH_SECONDS", 5.0)?;
    let concurrency = common::env_usize("BENCH_CONCURRENCY", 8)?;
    if (events as i64) < PAGE * (DEPTH_PAGES + 1) {
        bail!(
            "BENCH_EVENTS must be at least {} for page {DEPTH_PAGES}",
            PAGE * (DEPTH_PAGES + 1)
        );
    }
    common::log(&format!("CPU: {}", common::cpu_model()));

    let dir = tempfile::tempdir().context("temp dir")?;
    let mut settings = Settings::default();
    settings.http.bind = "127.0.0.1:0".parse()?;
    settings.data_dir = dir.path().to_path_buf();
    let url = format!("sqlite://{}/glassbox.db", dir.path().display());
    settings.database.url = Some(SecretString::from(url.clone()));
    let clock = Clock::system();
    let db = Db::connect(&settings.database_url(), 10).await?;
    db.migrate().await?;
    glassbox::demo::seed(&db, &clock, &settings).await?;
    let t = Instant::now();
    fill(&db, events).await?;
    common::log(&format!(
        "{events} events written in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    let app = Application::build_with_db(settings.clone(), clock.clone(), db.clone()).await?;
    let port = app.port();
    tokio::spawn(async move {
        if let Err(e) = app.run_until(std::future::pending()).await {
            eprintln!("application stopped: {e:#}");
        }
    });
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let t = Instant::now();
    while pending_log(&pool).await? > 0 {
        if t.elapsed() > Duration::from_secs(600) {
            bail!("the log writer did not enter the events within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    common::log(&format!(
        "every event entered into the log after {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    // Sign in as Alice through the demo sign-in, as a browser does.
    let base = format!("http://127.0.0.1:{port}");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse()?);
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()?;
    let html = client
        .get(format!("{base}/auth/demo"))
        .send()
        .await?
        .text()
        .await?;
    let alice = regex_lite::Regex::new(r#"name="identity" value="([^"]+)""#)?
        .captures_iter(&html)
        .map(|c| c[1].to_string())
        .zip(
            regex_lite::Regex::new(r#"<span class="identity-name">Sign in as ([^<]+)</span>"#)?
                .captures_iter(&html)
                .map(|c| c[1].to_string()),
        )
        .find(|(_, name)| name == "Alice Martin")
        .map(|(v, _)| v)
        .context("Alice is not on the demo sign-in page")?;
    let res = client
        .post(format!("{base}/auth/demo"))
        .form(&[("identity", alice.as_str())])
        .send()
        .await?;
    if res.status().as_u16() != 303 {
        bail!("demo sign-in answered {}", res.status());
    }
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("glassbox_session="))
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?
        .to_string();

    // The position that starts page 1 000 (newest first): the 24 976th newest of Alice's.
    let mailbox_scope = "e.mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = (SELECT owner_id FROM mailboxes WHERE id = $1))";
    let before: i64 = sqlx::query_scalar(&format!(
        "SELECT e.seq FROM access_events e WHERE {mailbox_scope} ORDER BY e.seq DESC LIMIT 1 OFFSET $2"
    ))
    .bind(ALICE_MAILBOX)
    .bind(PAGE * (DEPTH_PAGES - 1) - 1)
    .fetch_one(&pool)
    .await?;
    let first_url = format!("{base}/me/history");
    let deep_url = format!("{base}/me/history?before={before}");
    let marker = "Older accesses";
    for _ in 0..10 {
        time_get(&client, &first_url, marker).await?;
        time_get(&client, &deep_url, marker).await?;
    }
    let (mut first, mut deep) = (Vec::new(), Vec::new());
    for i in 0..samples {
        if i % 2 == 0 {
            first.push(time_get(&client, &first_url, marker).await?);
            deep.push(time_get(&client, &deep_url, marker).await?);
        } else {
            deep.push(time_get(&client, &deep_url, marker).await?);
            first.push(time_get(&client, &first_url, marker).await?);
        }
    }
    let (first_p50, deep_p50) = (median_ms(first), median_ms(deep));

    // Control arm: the page's query by OFFSET, and by keyset, first against deep.
    let columns = "SELECT e.seq, e.occurred_at, e.scope, e.action, e.resource, e.decision, e.reason, e.log_index FROM access_events e";
    let offset_sql =
        format!("{columns} WHERE {mailbox_scope} ORDER BY e.seq DESC LIMIT 25 OFFSET $2");
    let keyset_sql =
        format!("{columns} WHERE {mailbox_scope} AND e.seq < $2 ORDER BY e.seq DESC LIMIT 25");
    let deep_offset = PAGE * (DEPTH_PAGES - 1);
    let (mut o0, mut o1, mut k0, mut k1) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..samples {
        o0.push(time_query(&pool, &offset_sql, 0).await?);
        o1.push(time_query(&pool, &offset_sql, deep_offset).await?);
        k0.push(time_query(&pool, &keyset_sql, i64::MAX).await?);
        k1.push(time_query(&pool, &keyset_sql, before).await?);
    }
    let (o0, o1, k0, k1) = (median_ms(o0), median_ms(o1), median_ms(k0), median_ms(k1));

    println!();
    println!("B10 ({events} events, {PAGE} per page, page 1 vs page {DEPTH_PAGES}, {samples} samples each, medians)");
    println!("  history page (HTTP + session + query + SSR): first {first_p50:.2} ms, deep {deep_p50:.2} ms, deep/first {:.3} (goal <= 1.2)", deep_p50 / first_p50);
    println!("  control, the query by OFFSET: first {o0:.3} ms, deep {o1:.3} ms, deep/first {:.1} (must be >= 10)", o1 / o0);
    println!(
        "  the query by keyset:          first {k0:.3} ms, deep {k1:.3} ms, deep/first {:.3}",
        k1 / k0
    );

    // B11: page 1 throughput against R0.
    let r0 = common::start_r0().await?;
    let r0_target = Arc::new(common::Target {
        url: format!("http://127.0.0.1:{r0}/"),
        body: None,
        headers: Vec::new(),
        expect: None,
    });
    let page_target = Arc::new(common::Target {
        url: first_url.clone(),
        body: None,
        headers: vec![(reqwest::header::COOKIE, cookie)],
        expect: Some(marker),
    });
    let mut ratios = Vec::new();
    println!();
    println!("B11 (history page 1 against R0, c={concurrency}, {pairs} pairs of 2 s warm-up + {seconds} s)");
    for p in 0..pairs {
        let (a, b) = if p % 2 == 0 {
            let a = common::run_load(&r0_target, concurrency, 2.0, seconds).await?;
            (
                a,
                common::run_load(&page_target, concurrency, 2.0, seconds).await?,
            )
        } else {
            let b = common::run_load(&page_target, concurrency, 2.0, seconds).await?;
            (
                common::run_load(&r0_target, concurrency, 2.0, seconds).await?,
                b,
            )
        };
        if b.errors > 0 || a.errors > 0 {
            bail!("errors during B11: R0 {}, page {}", a.errors, b.errors);
        }
        let ratio = b.rps / a.rps;
        println!(
            "  pair {}: R0 {:.0} req/s, page {:.0} req/s (p50 {}, p99 {}), ratio {ratio:.4}",
            p + 1,
            a.rps,
            b.rps,
            common::ms(b.p50_us),
            common::ms(b.p99_us)
        );
        ratios.push(ratio);
    }
    let (lo, hi) = common::min_max(&ratios);
    println!(
        "  B11 ratio: median {:.4} (range {lo:.4}–{hi:.4}; goal >= 0.25)",
        common::median(&ratios)
    );
    Ok(())
}
