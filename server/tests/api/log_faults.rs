//! The log under faults: `kill -9` of the real binary during check load and checkpoint
//! signing loses no acknowledged event and leaves a log consistent with every checkpoint it
//! signed (F1/F2, scaled); two instances on one PostgreSQL database, one of them dying
//! mid-load, write one log without gap, duplicate or fork.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should stop at the first surprise

use crate::helpers::{spawn_app_with, Options, TestApp};
use glassbox::config::Settings;
use glassbox::db::{on_pool_for_tests, Backend, Db};
use glassbox::domain::clock::Clock;
use glassbox::startup::Application;
use glassbox::verify::{self, Verdict};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Checks the whole stored log: indexes 0..n each once, every event matches the latest
/// signed checkpoint, and every signed checkpoint is consistent with the latest.
async fn assert_log_is_whole(db: &Db, key_file: &std::path::Path) {
    // The log's entries are the access events, request changes, staff changes and sealed
    // notices' steps, numbered together.
    const ENTRIES: &str =
        "(SELECT log_index FROM access_events UNION ALL SELECT log_index FROM request_changes \
         UNION ALL SELECT log_index FROM staff_changes UNION ALL SELECT log_index FROM legal_hold_changes) AS entries";
    let count = on_pool_for_tests(db, &format!("SELECT COUNT(*) FROM {ENTRIES}")).await;
    let distinct = on_pool_for_tests(
        db,
        &format!("SELECT COUNT(DISTINCT log_index) FROM {ENTRIES}"),
    )
    .await;
    let size = on_pool_for_tests(
        db,
        &format!("SELECT COALESCE(MAX(log_index) + 1, 0) FROM {ENTRIES}"),
    )
    .await;
    assert_eq!(
        (distinct, size),
        (count, count),
        "indexes 0..{count} each exactly once"
    );
    let keys = glassbox::transparency::keys::known_keys(db).await.unwrap();
    let key = keys[0].clone();
    let clock = Clock::system();
    let signer = { glassbox::transparency::keys::read_key_file(key_file).unwrap() };
    glassbox::transparency::checkpoints::sign_checkpoint(db, &clock, &signer)
        .await
        .unwrap();
    let verdict = verify::database(db, &keys).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    let latest = glassbox::db::tree::latest_checkpoint(db)
        .await
        .unwrap()
        .unwrap();
    let latest_cp = key.open(&latest.note).unwrap();
    let sizes: Vec<i64> = match db {
        Db::Sqlite(p) => sqlx::query_scalar("SELECT size FROM log_checkpoints ORDER BY size")
            .fetch_all(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar("SELECT size FROM log_checkpoints ORDER BY size")
            .fetch_all(p)
            .await
            .unwrap(),
    };
    assert!(sizes.len() > 1, "several checkpoints were signed");
    for s in sizes {
        let note: String = match db {
            Db::Sqlite(p) => sqlx::query_scalar("SELECT note FROM log_checkpoints WHERE size = $1")
                .bind(s)
                .fetch_one(p)
                .await
                .unwrap(),
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT note FROM log_checkpoints WHERE size = $1")
                    .bind(s)
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
        };
        let old = key.open(&note).expect("every stored checkpoint verifies");
        let proof = glassbox::transparency::proofs::consistency_proof(db, old.size, latest_cp.size)
            .await
            .unwrap();
        assert_eq!(
            proof.verify(&old.root, &latest_cp.root),
            Ok(()),
            "checkpoint of size {s} is a prefix of the latest: no fork"
        );
    }
}

/// Sends checks with `concurrency` workers until `stop`, recording every answered one.
async fn load(
    base: String,
    token: String,
    concurrency: usize,
    stop: tokio::sync::watch::Receiver<bool>,
    acked: Arc<Mutex<HashMap<String, u64>>>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let workers = (0..concurrency).map(|w| {
        let (client, base, token, stop, acked) = (client.clone(), base.clone(), token.clone(), stop.clone(), acked.clone());
        async move {
            let mut n = 0;
            while !*stop.borrow() {
                n += 1;
                let body = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "content", "action": "read_message", "resource": format!("m-{w}-{n}")});
                let Ok(res) = client.post(format!("{base}/api/v1/access/check")).bearer_auth(&token).json(&body).send().await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                if res.status().as_u16() != 200 {
                    continue;
                }
                let Ok(json) = res.json::<serde_json::Value>().await else { continue };
                let (Some(id), Some(index)) = (json["event_id"].as_str(), json["log_index"].as_u64()) else {
                    panic!("an answered check without event_id and log_index: {json}");
                };
                acked.lock().unwrap().insert(id.to_string(), index);
            }
        }
    });
    futures_util::future::join_all(workers).await;
}

async fn wait_healthy(base: &str) {
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not start");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_event_and_the_log_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/glassbox.db", dir.path().display());
    // The key file where `serve` in `dir` makes it.
    let settings = Settings {
        data_dir: dir.path().join("data"),
        ..Settings::default()
    };
    let db = Db::connect(&SecretString::from(url.clone()), 2)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    glassbox::demo::seed(&db, &Clock::system(), &settings)
        .await
        .unwrap();
    let token = glassbox::services::tokens::create(&db, &Clock::system(), &settings, "crash-test")
        .await
        .unwrap();
    db.close().await;

    let acked: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let kills: usize = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    for round in 0..kills {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
            .arg("serve")
            .current_dir(dir.path())
            .env("GLASSBOX__DATABASE__URL", &url)
            .env("GLASSBOX__HTTP__BIND", format!("127.0.0.1:{port}"))
            .env("GLASSBOX__API__RATE_LIMIT_PER_SECOND", "0")
            // Checkpoints often, so kills land during signing too (F2).
            .env("GLASSBOX__LOG__CHECKPOINT_INTERVAL_MS", "30")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        wait_healthy(&base).await;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let loader = tokio::spawn(load(base, token.clone(), 16, stop_rx, acked.clone()));
        tokio::time::sleep(Duration::from_millis(300 + 150 * (round as u64 % 4))).await;
        child.start_kill().unwrap(); // SIGKILL: no shutdown, no flush
        child.wait().await.unwrap();
        let _ = stop_tx.send(true);
        loader.await.unwrap();
    }

    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 100, "the load got answers: {}", acked.len());
    // Restarting enters anything in flight and signs a checkpoint (what `serve` does at start).
    let db = Db::connect(&SecretString::from(url.clone()), 2)
        .await
        .unwrap();
    let app = Application::build_with_db(
        Settings {
            http: glassbox::config::HttpSettings {
                bind: "127.0.0.1:0".parse().unwrap(),
                ..Default::default()
            },
            ..settings
        },
        Clock::system(),
        db.clone(),
    )
    .await
    .unwrap();
    drop(app);
    let rows = {
        let mut tx = db.begin().await.unwrap();
        glassbox::db::tree::all_logged(&mut tx).await.unwrap()
    };
    let stored: HashMap<String, u64> = rows
        .iter()
        .map(|r| (r.id.to_string(), r.log_index.unwrap() as u64))
        .collect();
    for (id, index) in &acked {
        assert_eq!(
            stored.get(id),
            Some(index),
            "acknowledged event {id} at index {index} survived"
        );
    }
    assert_log_is_whole(&db, &dir.path().join("data/log-signing.key")).await;
}

async fn second_instance(
    app: &TestApp,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let settings = app.settings.clone();
    let db = Db::connect(&settings.database_url(), 5).await.unwrap();
    let second = Application::build_with_db(settings, Clock::system(), db)
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", second.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.run_until(async move {
        let _ = stopped.await;
    }));
    (address, stop, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_write_one_log_without_gap_duplicate_or_fork() {
    let Some(app) = spawn_app_with(
        Backend::Postgres,
        Options {
            configure: Box::new(|s| s.api.rate_limit_per_second = 0),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let token = app.service_token().await;
    let (second, stop_second, second_server) = second_instance(&app).await;
    let (third, stop_third, third_server) = second_instance(&app).await;
    let acked: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let loads = [
        tokio::spawn(load(
            app.address.clone(),
            token.clone(),
            8,
            stop_rx.clone(),
            acked.clone(),
        )),
        tokio::spawn(load(
            second.clone(),
            token.clone(),
            8,
            stop_rx.clone(),
            acked.clone(),
        )),
    ];
    let (stop_third_load, third_rx) = tokio::sync::watch::channel(false);
    let third_load = tokio::spawn(load(third, token.clone(), 8, third_rx, acked.clone()));
    tokio::time::sleep(Duration::from_millis(700)).await;
    // One instance dies mid-load; the others carry on.
    third_server.abort();
    let _ = stop_third;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = stop_third_load.send(true);
    let _ = third_load.await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let _ = stop_tx.send(true);
    for l in loads {
        l.await.unwrap();
    }
    let _ = stop_second.send(());
    let _ = second_server.await;

    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 50, "the instances answered: {}", acked.len());
    let mut indexes: Vec<u64> = acked.values().copied().collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), acked.len(), "no two answers share an index");
    assert_log_is_whole(&app.db, &app.key_file()).await;
    app.finish().await;
}
