//! F5 of the benchmark rules: the disk fills up while the log and the outbox are appended
//! to. SQLite's `max_page_count` stands in for the full disk (every connection of the pool
//! takes the current limit when it opens and whenever it comes back to the pool, so the test
//! fills and frees the "disk" at will). While full: a check that cannot be recorded answers 503 (never 500, never an allow
//! without its event); a request, which needs its email to the owner, commits with that
//! email or is refused with 503. Afterwards: no partial rows (every event is in the log, the
//! log verifies with `glassbox verify database`, the file passes `PRAGMA integrity_check`),
//! and once space returns checks, requests and their emails go through again.
//!
//! Scaled: 2 fills. Full scale: `F5_FILLS=20`.

use glassbox::config::Settings;
use glassbox::db::{on_pool_for_tests, Db};
use glassbox::domain::access_request::{Action, Actor, Grant};
use glassbox::domain::clock::Clock;
use glassbox::startup::Application;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Alice, in the demo seed.
const ALICE: app::model::OwnerId = app::model::OwnerId(uuid::Uuid::from_u128(
    0x9a55_b0c5_0000_4000_8000_0000_0000_0001,
));

/// SQLite's own ceiling on pages: "space is back".
const ROOMY: u64 = 1_073_741_823;

/// The SQLite "disk": at most this many pages (SQLite keeps the limit at no less than the
/// file's current size, so 1 means "full now").
#[derive(Clone)]
struct Disk(Arc<AtomicU64>);

impl Disk {
    fn fill(&self) {
        self.0.store(1, Ordering::SeqCst);
    }
    fn free(&self) {
        self.0.store(ROOMY, Ordering::SeqCst);
    }
    async fn apply(&self, conn: &mut sqlx::SqliteConnection) -> sqlx::Result<()> {
        let pages = self.0.load(Ordering::SeqCst);
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(conn)
            .await
            .map(|_| ())
    }
}

/// The product's SQLite pool and connection options; every connection takes the disk's
/// current limit when it opens and each time it comes back to the pool.
async fn pool_on(disk: &Disk, url: &str) -> Db {
    let (on_connect, on_release) = (disk.clone(), disk.clone());
    let pool = glassbox::db::sqlite_pool_options(5)
        .after_connect(move |conn, _| {
            let disk = on_connect.clone();
            Box::pin(async move { disk.apply(conn).await })
        })
        .after_release(move |conn, _| {
            let disk = on_release.clone();
            Box::pin(async move { disk.apply(conn).await.map(|()| true) })
        })
        .connect_with(glassbox::db::sqlite_options(url).unwrap())
        .await
        .unwrap();
    Db::Sqlite(pool)
}

#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    decision: Option<String>,
    event_id: Option<String>,
}

async fn load(
    base: String,
    token: String,
    stop: tokio::sync::watch::Receiver<bool>,
    answers: Arc<Mutex<Vec<Answer>>>,
) {
    let client = reqwest::Client::new();
    let workers = (0..8).map(|w| {
        let (client, base, token, stop, answers) = (
            client.clone(),
            base.clone(),
            token.clone(),
            stop.clone(),
            answers.clone(),
        );
        async move {
            let mut n = 0;
            while !*stop.borrow() {
                n += 1;
                let body = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera",
                    "scope": "content", "action": "read_message", "resource": format!("m-{w}-{n}")});
                let res = client
                    .post(format!("{base}/api/v1/access/check"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("the server answers every check");
                let status = res.status().as_u16();
                let json: serde_json::Value = res.json().await.unwrap_or_default();
                if status == 503 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                answers.lock().unwrap().push(Answer {
                    status,
                    decision: json["decision"].as_str().map(str::to_string),
                    event_id: json["event_id"].as_str().map(str::to_string),
                });
            }
        }
    });
    futures_util::future::join_all(workers).await;
}

fn count(answers: &Mutex<Vec<Answer>>, status: u16) -> usize {
    answers
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.status == status)
        .count()
}

/// How many answers had each status.
fn statuses(answers: &Mutex<Vec<Answer>>) -> std::collections::BTreeMap<u16, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for a in answers.lock().unwrap().iter() {
        *seen.entry(a.status).or_default() += 1;
    }
    seen
}

/// Waits until `f` holds, up to `limit`.
async fn until(
    limit: Duration,
    what: &str,
    answers: &Mutex<Vec<Answer>>,
    mut f: impl FnMut() -> bool,
) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "{what} within {limit:?}; answers by status: {:?}",
            statuses(answers)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asks for access to Alice's mailbox (which queues the email to Alice in the same
/// transaction); returns the status and the request's id when created.
async fn ask(base: &str, token: &str, n: usize) -> (u16, Option<String>) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/access-requests"))
        .bearer_auth(token)
        .json(
            &serde_json::json!({"mailbox": "alice@example.org", "agent": "priya.nair",
            "scopes": ["metadata"], "duration_minutes": 30,
            "justification": {"code": "service_maintenance", "text": format!("F5 disk test {n}")}}),
        )
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let json: serde_json::Value = res.json().await.unwrap_or_default();
    (status, json["id"].as_str().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_checks_and_requests_with_503_leaves_no_partial_rows_and_recovers() {
    glassbox::telemetry::init_for_tests();
    let fills: usize = std::env::var("F5_FILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/glassbox.db", dir.path().display());
    let disk = Disk(Arc::new(AtomicU64::new(ROOMY)));
    let db = pool_on(&disk, &url).await;
    db.migrate().await.unwrap();
    let mut settings = Settings::default();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    settings.data_dir = dir.path().to_path_buf();
    settings.database.url = Some(secrecy::SecretString::from(url.clone()));
    settings.api.rate_limit_per_second = 0;
    settings.email.poll_interval_ms = 50;
    settings.email.lease_seconds = 1;
    let clock = Clock::system();
    glassbox::demo::seed(&db, &clock, &settings).await.unwrap();
    let app = Application::build_with_db(settings.clone(), clock.clone(), db.clone())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop_app, app_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = app_stopped.await;
    }));
    let token = glassbox::services::tokens::create(&db, &clock, &settings, "f5")
        .await
        .unwrap();
    // Sam may read Alice's content: the checks below are allows.
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/access-requests"))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera",
            "scopes": ["content"], "duration_minutes": 480,
            "justification": {"code": "service_maintenance", "text": "F5 disk test"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let grant: serde_json::Value = res.json().await.unwrap();
    let grant_id = grant["id"].as_str().unwrap().parse().unwrap();
    glassbox::services::requests::decide(
        &db,
        &clock,
        &settings,
        grant_id,
        Actor::Owner(ALICE),
        Action::Approve(Grant::AS_ASKED),
    )
    .await
    .unwrap();

    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let loader = tokio::spawn(load(base.clone(), token.clone(), stop_rx, answers.clone()));
    let mut created = Vec::new();
    let mut refused_requests = 0;
    let mut asked = 0;
    for _ in 0..fills {
        let ok_before = count(&answers, 200);
        until(
            Duration::from_secs(10),
            "checks are answered",
            &answers,
            || count(&answers, 200) > ok_before + 50,
        )
        .await;
        disk.fill();
        // The free room left in the file's pages is used up, then every append fails.
        let refused = count(&answers, 503);
        until(
            Duration::from_secs(20),
            "checks are refused with 503 on a full disk",
            &answers,
            || count(&answers, 503) > refused + 50,
        )
        .await;
        // A request needs its email to the owner: on a full disk it is refused.
        for _ in 0..3 {
            asked += 1;
            match ask(&base, &token, asked).await {
                (201, Some(id)) => created.push(id),
                (503, None) => refused_requests += 1,
                other => {
                    panic!("a request on a full disk is created or refused with 503: {other:?}")
                }
            }
        }
        disk.free();
        let ok_after = count(&answers, 200);
        until(
            Duration::from_secs(10),
            "checks are allowed again once space returns",
            &answers,
            || count(&answers, 200) > ok_after + 50,
        )
        .await;
        asked += 1;
        let (status, id) = ask(&base, &token, asked).await;
        assert_eq!(status, 201, "a request once space returns");
        created.extend(id);
    }
    let _ = stop_tx.send(true);
    loader.await.unwrap();

    let answers = answers.lock().unwrap().clone();
    eprintln!(
        "F5: {fills} fills; checks by status {:?}; requests: {} created, {refused_requests} refused on a full disk",
        statuses(&Mutex::new(answers.clone())),
        created.len()
    );
    let others: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status != 200 && a.status != 503)
        .collect();
    assert!(
        others.is_empty(),
        "a check on a full disk is refused with 503, nothing else: {:?}",
        others.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        refused_requests > 0,
        "requests were refused on the full disk"
    );
    // Every acknowledged allow is stored, and in the log.
    let Db::Sqlite(pool) = &db else {
        unreachable!("SQLite")
    };
    let mut allowed = 0;
    for a in answers.iter().filter(|a| a.status == 200) {
        assert_eq!(a.decision.as_deref(), Some("allow"));
        let id: uuid::Uuid = a.event_id.as_deref().unwrap().parse().unwrap();
        let index: Option<i64> =
            sqlx::query_scalar("SELECT log_index FROM access_events WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .unwrap()
                .flatten();
        assert!(
            index.is_some(),
            "acknowledged event {id} is stored in the log"
        );
        allowed += 1;
    }
    let stored = on_pool_for_tests(
        &db,
        "SELECT COUNT(*) FROM access_events WHERE resource LIKE 'm-%'",
    )
    .await;
    assert_eq!(
        stored, allowed,
        "only acknowledged checks were stored: a refused one left nothing"
    );
    // Each created request has its email; a refused one left neither.
    let requests = on_pool_for_tests(
        &db,
        "SELECT COUNT(*) FROM access_requests WHERE justification_text LIKE 'F5 disk test %'",
    )
    .await;
    assert_eq!(
        requests,
        created.len() as i64,
        "only created requests exist"
    );
    for id in &created {
        let emails: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE '%' || $1 || '%'",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(emails, 1, "request {id} has its email to the owner");
    }
    // The outbox sender, which could not write down its sends while the disk was full,
    // catches up: every email goes out.
    let mut unsent = Vec::new();
    for _ in 0..200 {
        unsent.clear();
        for id in &created {
            let status: String = sqlx::query_scalar(
                "SELECT status FROM outbox WHERE idempotency_key LIKE '%' || $1 || '%'",
            )
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
            if status != "sent" {
                unsent.push((id.clone(), status));
            }
        }
        if unsent.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        unsent.is_empty(),
        "every queued email was sent once space returned: {unsent:?}"
    );

    let _ = stop_app.send(());
    server.await.unwrap().unwrap();
    // No partial rows: the file is sound and the log verifies from the command line.
    let db = Db::connect(&secrecy::SecretString::from(url.clone()), 2)
        .await
        .unwrap();
    let Db::Sqlite(pool) = &db else {
        unreachable!("SQLite")
    };
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let signer = glassbox::transparency::keys::read_key_file(
        &settings.log.signing_key_file_for(&settings.data_dir),
    )
    .unwrap();
    glassbox::transparency::checkpoints::sign_checkpoint(&db, &clock, &signer)
        .await
        .unwrap();
    db.close().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(["verify", "database"])
        .env("GLASSBOX__DATABASE__URL", &url)
        .env("GLASSBOX__DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "glassbox verify database: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
