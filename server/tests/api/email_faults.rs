//! The outbox under faults, against a real SMTP server that misbehaves on request
//! (`testinfra/smtp_fault_sink.py`, one per test on free ports): temporary refusals are
//! retried and delivered, permanent ones are not retried, an SMTP outage loses nothing, a
//! sender killed mid-batch loses nothing (F6 of BENCHMARKS.md, scaled down), and several
//! senders never claim the same row.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use crate::helpers::{smtp_to, Options, TestApp};
use crate::on_both_databases_with;
use glassbox::db::outbox::{self, NewOutboxMessage, OutboxStatus};
use glassbox::email::Mailer;
use glassbox::jobs::outbox::{dispatch_batch, RateLimit};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::Duration;

/// A free TCP port on loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The fault sink, killed when dropped.
pub struct FaultSink {
    http_port: u16,
    _child: tokio::process::Child,
}

/// Whether the fault sink can run here (Python with aiosmtpd). Without it the fault tests
/// are skipped — and say so — unless `GLASSBOX_REQUIRE_SMTP=1` (as in CI).
fn sink_available() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("GLASSBOX_REQUIRE_SMTP").as_deref() == Ok("1") {
            panic!(
                "GLASSBOX_REQUIRE_SMTP=1 but python3 cannot import aiosmtpd (pip install aiosmtpd)"
            );
        }
        eprintln!("SKIPPED: SMTP fault test (pip install aiosmtpd)");
    }
    ok
}

impl FaultSink {
    /// Starts a sink on `smtp_port` and waits until it answers.
    pub async fn start_on(smtp_port: u16) -> Self {
        let http_port = free_port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testinfra/smtp_fault_sink.py"
        );
        let child = tokio::process::Command::new("python3")
            .args([
                script,
                "--smtp-port",
                &smtp_port.to_string(),
                "--http-port",
                &http_port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP fault sink");
        let sink = Self {
            http_port,
            _child: child,
        };
        for _ in 0..100 {
            if reqwest::get(sink.url("/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
                && std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_ok()
            {
                return sink;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the SMTP fault sink did not start");
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// The next `count` transactions (negative: all) get `reply` at `stage`.
    pub async fn fault(&self, stage: &str, reply: &str, count: i64) {
        let res = reqwest::Client::new()
            .put(self.url("/fault"))
            .json(&serde_json::json!({"stage": stage, "reply": reply, "count": count}))
            .send()
            .await
            .expect("set fault");
        assert!(res.status().is_success());
    }

    /// The Message-IDs of everything accepted, in order (repeats included).
    pub async fn message_ids(&self) -> Vec<String> {
        let all: Vec<serde_json::Value> = reqwest::get(self.url("/messages"))
            .await
            .expect("sink")
            .json()
            .await
            .expect("json");
        all.iter()
            .filter_map(|m| {
                m["data"].as_str()?.lines().find_map(|l| {
                    l.strip_prefix("Message-ID: ")
                        .or_else(|| l.strip_prefix("Message-Id: "))
                        .map(|v| v.trim().to_string())
                })
            })
            .collect()
    }
}

/// Options for an app that sends to a fault sink on `port`; `send` runs its own sender.
async fn sending_to(port: u16, send: bool) -> Option<Options> {
    if !sink_available() {
        return None;
    }
    Some(Options {
        // No demo data: its incident queues notices, and every message the sink sees must be
        // this test's own.
        seed: false,
        configure: Box::new(move |s| {
            smtp_to(s, "127.0.0.1", port);
            s.email.send = send;
            // Nothing but this test's own requests queues email here.
            s.email.notice_interval_seconds = 3600;
        }),
    })
}

/// The sink's port for the next app: free now, the sink starts on it inside the test.
fn next_port() -> u16 {
    free_port()
}

/// The port the app sends to.
fn chosen_port(app: &TestApp) -> u16 {
    app.settings.email.smtp.port
}

/// The owner's rows: (status, attempts, last_error).
async fn rows_to(app: &TestApp, recipient: &str) -> Vec<(String, i32, Option<String>)> {
    outbox::list(&app.db, None, 10_000)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|r| r.recipient == recipient)
        .map(|r| (r.status, r.attempts, r.last_error))
        .collect()
}

async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

on_both_databases_with!(sending_to(next_port(), true), async fn a_temporary_refusal_is_retried_later_and_then_delivered(app) {
    let sink = FaultSink::start_on(chosen_port(app)).await;
    sink.fault("rcpt", "451 4.3.0 Try again later", 1).await;
    let token = app.service_token().await;
    let people = app.new_people().await;
    app.request_for(&token, &people, "Retry me").await;

    wait_until("the first attempt failed", || async {
        rows_to(app, &people.owner_email).await.first().is_some_and(|(s, a, e)| s == "queued" && *a == 1 && e.as_deref().is_some_and(|e| e.contains("451")))
    })
    .await;
    assert!(sink.message_ids().await.is_empty());

    // Not before its back-off…
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rows_to(app, &people.owner_email).await[0].1, 1, "no retry before the back-off");
    // …and delivered once it has passed.
    app.clock.advance(Duration::seconds(61));
    wait_until("the retry was delivered", || async { rows_to(app, &people.owner_email).await[0].0 == "sent" }).await;
    assert_eq!(rows_to(app, &people.owner_email).await[0].1, 2);
    assert_eq!(sink.message_ids().await.len(), 1);
});

on_both_databases_with!(sending_to(next_port(), true), async fn a_permanent_refusal_is_not_retried_and_is_marked_failed_for_admins(app) {
    let sink = FaultSink::start_on(chosen_port(app)).await;
    sink.fault("rcpt", "550 5.1.1 No such user here", -1).await;
    let token = app.service_token().await;
    let people = app.new_people().await;
    app.request_for(&token, &people, "Nobody home").await;

    wait_until("the email was marked failed", || async { rows_to(app, &people.owner_email).await.first().is_some_and(|(s, ..)| s == "failed") }).await;
    app.clock.advance(Duration::hours(3));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let rows = rows_to(app, &people.owner_email).await;
    assert_eq!(rows[0].0, "failed");
    assert_eq!(rows[0].1, 1, "never retried");
    assert!(rows[0].2.as_deref().is_some_and(|e| e.contains("550")), "{rows:?}");
    assert!(sink.message_ids().await.is_empty());
    let failed = outbox::list(&app.db, Some(OutboxStatus::Failed), 100).await.unwrap();
    assert!(failed.iter().any(|r| r.recipient == people.owner_email), "admins see it in the failed list");
    // Security admins see it on the staff console, masked; support agents do not.
    glassbox::services::staff::add(
        &app.db,
        &app.clock,
        &app.settings,
        "sec.admin@staff.glassbox.test",
        app::model::StaffRole::SecurityAdmin,
        Some("Sec Admin"),
    )
    .await
    .unwrap();
    app.sign_in_as("Sec Admin").await;
    let (status, page) = app.get_page("/staff").await;
    assert_eq!(status, 200);
    assert!(page.contains("Email delivery problems"));
    let masked = glassbox::email::mask(&people.owner_email);
    assert!(page.contains(&masked), "{masked} not on the console");
    assert!(!page.contains(&people.owner_email), "the address is masked");
    assert!(page.contains("No such user here"), "the server's reason is shown");
    // The test's support agent ("Agent <tag>") does not.
    let agent_name = format!("Agent {}", people.agent.trim_start_matches("agent-"));
    app.sign_in_as(&agent_name).await;
    let (_, page) = app.get_page("/staff").await;
    assert!(!page.contains("Email delivery problems"));
});

on_both_databases_with!(sending_to(next_port(), true), async fn everything_queued_while_smtp_is_down_is_sent_once_it_is_back(app) {
    // Nothing listens on the port yet.
    let token = app.service_token().await;
    let people = app.new_people().await;
    for i in 0..10 {
        app.request_for(&token, &people, &format!("Outage {i}")).await;
    }
    wait_until("every email failed once", || async {
        let rows = rows_to(app, &people.owner_email).await;
        rows.len() == 10 && rows.iter().all(|(s, a, _)| s == "queued" && *a >= 1)
    })
    .await;

    let sink = FaultSink::start_on(chosen_port(app)).await;
    app.clock.advance(Duration::seconds(61));
    wait_until("everything was sent", || async { rows_to(app, &people.owner_email).await.iter().all(|(s, ..)| s == "sent") }).await;
    let ids = sink.message_ids().await;
    assert_eq!(ids.len(), 10);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 10, "each exactly once");
});

fn message(i: usize, recipient: &str, now: time::OffsetDateTime) -> NewOutboxMessage {
    let id = uuid::Uuid::now_v7();
    NewOutboxMessage {
        id,
        idempotency_key: format!("test:{recipient}:{i}"),
        message_id: format!("<{}@faults.glassbox.test>", id.simple()),
        kind: "test".into(),
        recipient: recipient.to_string(),
        subject: format!("Message {i}"),
        body_text: "text".into(),
        body_html: "<p>html</p>".into(),
        list_unsubscribe: None,
        created_at: now,
    }
}

async fn enqueue(app: &TestApp, n: usize, recipient: &str) -> Vec<NewOutboxMessage> {
    let messages: Vec<_> = (0..n)
        .map(|i| message(i, recipient, app.clock.now()))
        .collect();
    let mut tx = app.db.begin().await.unwrap();
    assert_eq!(
        outbox::enqueue_many(&mut tx, &messages).await.unwrap(),
        n as u64
    );
    tx.commit().await.unwrap();
    messages
}

on_both_databases_with!(sending_to(next_port(), false), async fn a_sender_killed_mid_batch_loses_nothing(app) {
    let sink = FaultSink::start_on(chosen_port(app)).await;
    let recipient = format!("killed-{}@faults.glassbox.test", uuid::Uuid::new_v4().simple());
    let messages = enqueue(app, 400, &recipient).await;
    let mut settings = app.settings.email.clone();
    settings.batch_size = 50;
    let mailer = Mailer::from_settings(&settings).unwrap();

    // A sender, paced so that it is surely in the middle of a batch when it is killed.
    let (db, clock, m2, s2) = (app.db.clone(), app.clock.clone(), mailer.clone(), settings.clone());
    let sender = tokio::spawn(async move {
        let limit = Arc::new(RateLimit::new(400));
        loop {
            let _ = dispatch_batch(&db, &m2, &clock, &s2, &limit).await;
        }
    });
    wait_until("the sink has accepted some", || async { sink.message_ids().await.len() >= 120 }).await;
    // Hold every further send in the server's DATA phase, so that the kill surely lands in
    // the middle of a claimed batch (not between two batches).
    sink.fault("data", "STALL:3", -1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    wait_until("a batch is in flight", || async { on_sending(app).await > 0 }).await;
    sender.abort();
    let _ = sender.await;
    let stranded = on_sending(app).await;
    assert!(stranded > 0, "the kill left claimed rows behind");

    sink.fault("none", "", 0).await;
    // Another sender (a new process: its own SMTP connections) takes over once the leases
    // run out.
    let mailer = Mailer::from_settings(&settings).unwrap();
    app.clock.advance(Duration::seconds(app.settings.email.lease_seconds + 1));
    let limit = Arc::new(RateLimit::new(0));
    // Drain: on a loaded machine a send may time out and wait for its back-off, so move the
    // clock past back-offs until nothing is left to send.
    for _ in 0..1000 {
        if dispatch_batch(&app.db, &mailer, &app.clock, &settings, &limit).await.unwrap().claimed > 0 {
            continue;
        }
        if unsent(app, &recipient).await == 0 {
            break;
        }
        app.clock.advance(Duration::seconds(app.settings.email.retry_max_seconds + 1));
    }

    let delivered = sink.message_ids().await;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for id in &delivered {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    for m in &messages {
        assert!(seen.contains_key(m.message_id.as_str()), "{} was lost", m.message_id);
    }
    assert_eq!(seen.len(), 400, "every message, and after Message-ID dedup nothing else");
    let duplicates = delivered.len() - seen.len();
    assert!(duplicates <= settings.batch_size as usize, "{duplicates} duplicates: at most the one batch cut off");
    assert_eq!(on_sending(app).await, 0);
});

async fn unsent(app: &TestApp, recipient: &str) -> i64 {
    glassbox::db::on_pool_for_tests(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE recipient = '{recipient}' AND status IN ('queued', 'sending')"),
    )
    .await
}

async fn on_sending(app: &TestApp) -> i64 {
    glassbox::db::on_pool_for_tests(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE status = 'sending'",
    )
    .await
}

on_both_databases_with!(sending_to(next_port(), false), async fn concurrent_senders_never_claim_the_same_row(app) {
    let recipient = format!("claims-{}@faults.glassbox.test", uuid::Uuid::new_v4().simple());
    enqueue(app, 300, &recipient).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (db, clock) = (app.db.clone(), app.clock.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let now = clock.now();
                let batch = outbox::claim(&db, now, now + Duration::minutes(5), 20).await.unwrap();
                if batch.is_empty() {
                    break mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 300, "every row claimed");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 300, "no row claimed twice");
});

on_both_databases_with!(sending_to(next_port(), false), async fn batch_enqueue_keeps_one_row_per_idempotency_key(app) {
    let recipient = format!("batch-{}@faults.glassbox.test", uuid::Uuid::new_v4().simple());
    let now = app.clock.now();
    let mut messages: Vec<_> = (0..1234).map(|i| message(i, &recipient, now)).collect();
    let mut tx = app.db.begin().await.unwrap();
    assert_eq!(outbox::enqueue_many(&mut tx, &messages).await.unwrap(), 1234);
    tx.commit().await.unwrap();
    // The same notices again (new ids, same keys): nothing new.
    for m in &mut messages {
        m.id = uuid::Uuid::now_v7();
        m.message_id = format!("<{}@faults.glassbox.test>", m.id.simple());
    }
    let mut tx = app.db.begin().await.unwrap();
    assert_eq!(outbox::enqueue_many(&mut tx, &messages[..600]).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert_eq!(rows_to(app, &recipient).await.len(), 1234);
    // A rolled-back batch leaves nothing.
    let more: Vec<_> = (5000..5100).map(|i| message(i, &recipient, now)).collect();
    let mut tx = app.db.begin().await.unwrap();
    outbox::enqueue_many(&mut tx, &more).await.unwrap();
    drop(tx);
    assert_eq!(rows_to(app, &recipient).await.len(), 1234);
});

/// A private CA and a certificate for 127.0.0.1 signed by it, in `dir`: (ca.pem, server.pem, server.key).
fn private_ca(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Glassbox Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

impl FaultSink {
    /// Starts a sink that offers STARTTLS with `cert`/`key` and requires `user`/`password`
    /// (over TLS only).
    async fn start_tls(
        smtp_port: u16,
        cert: &std::path::Path,
        key: &std::path::Path,
        user: &str,
        password: &str,
    ) -> Self {
        let http_port = free_port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testinfra/smtp_fault_sink.py"
        );
        let child = tokio::process::Command::new("python3")
            .arg(script)
            .args([
                "--smtp-port",
                &smtp_port.to_string(),
                "--http-port",
                &http_port.to_string(),
            ])
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .args(["--user", user, "--password", password])
            .stdout(std::process::Stdio::null())
            // The refused TLS handshake is logged by the sink as an exception: expected here.
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP fault sink");
        let sink = Self {
            http_port,
            _child: child,
        };
        for _ in 0..100 {
            if reqwest::get(sink.url("/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
                && std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_ok()
            {
                return sink;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the SMTP fault sink did not start");
    }

    /// Everything accepted, as the sink recorded it (with `tls` and `auth`).
    async fn messages(&self) -> Vec<serde_json::Value> {
        reqwest::get(self.url("/messages"))
            .await
            .expect("sink")
            .json()
            .await
            .expect("json")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_goes_over_starttls_with_authentication_and_never_in_clear_text() {
    if !sink_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(dir.path());
    let port = free_port();
    let sink = FaultSink::start_tls(port, &cert, &key, "glassbox", "s3cret-pw").await;
    let settings = |ca_file: Option<std::path::PathBuf>| {
        let mut s = glassbox::config::EmailSettings {
            backend: glassbox::config::EmailBackend::Smtp,
            ..Default::default()
        };
        s.smtp.host = "127.0.0.1".into();
        s.smtp.port = port;
        s.smtp.tls = glassbox::config::SmtpTls::Starttls;
        s.smtp.username = Some("glassbox".into());
        s.smtp.password = Some(secrecy::SecretString::from("s3cret-pw"));
        s.smtp.ca_file = ca_file;
        s
    };
    let now = time::OffsetDateTime::now_utc();
    let m = message(1, "tls@faults.glassbox.test", now);
    let row = glassbox::db::outbox::ClaimedMessage {
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
        created_at: now,
    };

    // A server whose certificate is not trusted: nothing is sent, and it is worth retrying.
    let untrusted = Mailer::from_settings(&settings(None)).unwrap();
    let err = untrusted.send(&row).await.unwrap_err();
    assert!(
        matches!(err, glassbox::email::SendError::Temporary(_)),
        "{err:?}"
    );
    assert!(sink.messages().await.is_empty());

    // Trusting the private CA: sent over TLS, authenticated.
    let trusted = Mailer::from_settings(&settings(Some(ca))).unwrap();
    trusted.send(&row).await.unwrap();
    let got = sink.messages().await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["tls"], true);
    assert!(
        got[0]["auth"].as_bool().unwrap_or(false) || got[0]["auth"].is_string(),
        "{:?}",
        got[0]["auth"]
    );
}

on_both_databases_with!(sending_to(next_port(), true), async fn a_connection_dropped_mid_data_is_retried_and_delivered_once(app) {
    let sink = FaultSink::start_on(chosen_port(app)).await;
    sink.fault("data", "DROP", 1).await;
    let token = app.service_token().await;
    let people = app.new_people().await;
    app.request_for(&token, &people, "Dropped").await;

    wait_until("the first attempt failed", || async {
        rows_to(app, &people.owner_email).await.first().is_some_and(|(s, a, _)| s == "queued" && *a == 1)
    })
    .await;
    assert!(sink.message_ids().await.is_empty(), "nothing was kept from the dropped connection");
    app.clock.advance(Duration::seconds(61));
    wait_until("the retry was delivered", || async { rows_to(app, &people.owner_email).await[0].0 == "sent" }).await;
    assert_eq!(sink.message_ids().await.len(), 1, "delivered exactly once");
});

on_both_databases_with!(sending_to(next_port(), true), async fn a_server_that_stalls_slows_delivery_but_loses_and_duplicates_nothing(app) {
    let sink = FaultSink::start_on(chosen_port(app)).await;
    sink.fault("data", "STALL:2", 1).await;
    let token = app.service_token().await;
    let people = app.new_people().await;
    let started = std::time::Instant::now();
    app.request_for(&token, &people, "Stalled").await;

    wait_until("the stalled email was delivered", || async {
        rows_to(app, &people.owner_email).await.first().is_some_and(|(s, _, _)| s == "sent")
    })
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "it waited for the stalled server");
    assert_eq!(rows_to(app, &people.owner_email).await[0].1, 1, "one attempt: a slow server is not a failed one");
    assert_eq!(sink.message_ids().await.len(), 1, "delivered exactly once");

    // The sender is not wedged: the next email goes straight through.
    app.request_for(&token, &people, "After the stall").await;
    wait_until("the next email was delivered", || async { sink.message_ids().await.len() == 2 }).await;
});

/// An app whose own sender is held to `EMAIL__MAX_PER_SECOND` (F8 of the benchmark rules).
async fn sending_at_most(port: u16, per_second: u32) -> Option<Options> {
    let mut options = sending_to(port, true).await?;
    let configure = options.configure;
    options.configure = Box::new(move |s| {
        configure(s);
        s.email.max_per_second = per_second;
        s.email.poll_interval_ms = 50;
    });
    Some(options)
}

/// The most timestamps (seconds) that fall in any window of `width` seconds.
fn busiest_window(times: &mut [f64], width: f64) -> usize {
    times.sort_by(f64::total_cmp);
    let mut most = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= width {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

on_both_databases_with!(sending_at_most(next_port(), 50), async fn the_send_rate_never_exceeds_the_configured_limit_in_any_second(app) {
    // F8: a provider's limit (SES-style, 50 messages/s) is never broken, over any 1 s window
    // as the receiving server sees it, however much is queued at once.
    let sink = FaultSink::start_on(chosen_port(app)).await;
    let recipient = format!("paced-{}@faults.glassbox.test", uuid::Uuid::new_v4().simple());
    let total = std::env::var("F8_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    enqueue(app, total, &recipient).await;
    wait_until("everything was sent", || async { rows_to(app, &recipient).await.iter().all(|(s, ..)| s == "sent") }).await;
    let all: Vec<serde_json::Value> = reqwest::get(sink.url("/messages")).await.unwrap().json().await.unwrap();
    let mut times: Vec<f64> = all.iter().filter_map(|m| m["time"].as_f64()).collect();
    assert_eq!(times.len(), total, "each message accepted once");
    let busiest = busiest_window(&mut times, 1.0);
    assert!(busiest <= 50, "{busiest} messages in one second");
    // And the limit is a pace, not a stall: the whole queue goes out at close to 50/s.
    let span = times[times.len() - 1] - times[0];
    assert!(span >= (total as f64 - 51.0) / 50.0, "{total} messages in {span:.2} s");
});

#[test]
fn the_busiest_window_counts_what_falls_within_one_width() {
    assert_eq!(busiest_window(&mut [0.0, 0.5, 0.99, 1.0, 1.5], 1.0), 3);
    assert_eq!(busiest_window(&mut [3.0, 1.0, 2.0], 1.0), 1);
    assert_eq!(busiest_window(&mut [], 1.0), 0);
}
