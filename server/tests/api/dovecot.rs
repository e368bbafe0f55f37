//! Consent enforced where mail is read: a real Dovecot (a private instance per test, from
//! `testinfra/dovecot.sh`, wired to this test's Glassbox) and a real IMAP client (Python's
//! imaplib, `testinfra/imap_client.py`). Skipped, and said so, when Dovecot is not
//! installed, unless `GLASSBOX_REQUIRE_DOVECOT=1` (as in CI), where that is a failure.

use crate::helpers::TestApp;
use crate::{on_both_databases, on_both_databases_with};
use app::api::requests::{ApproveRequest, RevokeGrant};
use app::api::staff::IssueImapCredential;
use glassbox::db::on_pool_for_tests;
use std::path::PathBuf;
use tokio::io::AsyncBufReadExt;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn dovecot_installed() -> bool {
    let ok = std::path::Path::new("/usr/sbin/dovecot").exists()
        && std::path::Path::new("/usr/lib/dovecot/modules/auth/libauthdb_lua.so").exists();
    if !ok {
        assert!(
            std::env::var("GLASSBOX_REQUIRE_DOVECOT").as_deref() != Ok("1"),
            "GLASSBOX_REQUIRE_DOVECOT=1 but Dovecot with Lua is not installed (testinfra/dovecot.sh install)"
        );
        eprintln!("SKIPPED: Dovecot is not installed (run testinfra/dovecot.sh install)");
    }
    ok
}

/// A private Dovecot for one test; stopped when dropped.
pub struct Dovecot {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// The IMAP port.
    pub imap_port: u16,
}

impl Dovecot {
    /// Starts one asking the Glassbox at `glassbox_url` with `token`; `None` when Dovecot is
    /// not installed (and not required).
    pub async fn start(glassbox_url: &str, token: &str, extra: &[(&str, &str)]) -> Option<Dovecot> {
        if !dovecot_installed() {
            return None;
        }
        // Ports are picked free, then bound by Dovecot a moment later: another test may take
        // one in between. Such a start fails with "Address already in use"; try new ports.
        let mut last = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("temp dir");
            // The mail processes run as another user: they must reach the maildirs.
            std::fs::set_permissions(
                dir.path(),
                std::os::unix::fs::PermissionsExt::from_mode(0o755),
            )
            .expect("chmod");
            let imap_port = free_port();
            let doveadm_port = extra
                .iter()
                .find(|(k, _)| *k == "DOVECOT_DOVEADM_PORT")
                .map_or_else(free_port, |(_, v)| v.parse().expect("port"));
            let mut env = vec![
                ("DOVECOT_DIR".to_string(), dir.path().display().to_string()),
                ("DOVECOT_IMAP_PORT".into(), imap_port.to_string()),
                ("DOVECOT_DOVEADM_PORT".into(), doveadm_port.to_string()),
                ("GLASSBOX_URL".into(), glassbox_url.to_string()),
                ("GLASSBOX_TOKEN".into(), token.to_string()),
            ];
            env.extend(
                extra
                    .iter()
                    .filter(|(k, _)| *k != "DOVECOT_DOVEADM_PORT")
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            let d = Dovecot {
                dir,
                env,
                imap_port,
            };
            let out = d.script("start").await;
            if out.status.success() {
                return Some(d);
            }
            last = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if !last.contains("in use") {
                break;
            }
            eprintln!("dovecot: a port was taken meanwhile, trying others: {last}");
        }
        panic!("dovecot did not start: {last}");
    }

    async fn script(&self, arg: &str) -> std::process::Output {
        tokio::process::Command::new(repo().join("testinfra/dovecot.sh"))
            .arg(arg)
            .envs(self.env.iter().cloned())
            .output()
            .await
            .expect("run testinfra/dovecot.sh")
    }

    /// Runs the IMAP client once; returns its JSON line.
    pub async fn client(&self, mode: &str, user: &str, password: &str) -> serde_json::Value {
        let out = tokio::process::Command::new("python3")
            .arg(repo().join("testinfra/imap_client.py"))
            .args([&self.imap_port.to_string(), mode, user, password])
            .output()
            .await
            .expect("run the IMAP client");
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(text.lines().last().unwrap_or("null")).unwrap_or_else(|_| {
            panic!(
                "IMAP client said {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Starts a client that logs in, selects INBOX and holds the session for `seconds`.
    pub async fn hold(&self, user: &str, password: &str, seconds: u32) -> Held {
        let mut child = tokio::process::Command::new("python3")
            .arg(repo().join("testinfra/imap_client.py"))
            .args([
                &self.imap_port.to_string(),
                "hold",
                user,
                password,
                &seconds.to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run the IMAP client");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = lines.next_line().await.expect("read").unwrap_or_default();
        assert!(
            first.contains("\"ready\""),
            "the held session did not open: {first}"
        );
        Held {
            _child: child,
            lines,
        }
    }

    /// Dovecot's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = std::process::Command::new(repo().join("testinfra/dovecot.sh"))
            .arg("stop")
            .envs(self.env.iter().cloned())
            .output();
    }
}

/// A client holding a session open.
pub struct Held {
    _child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl Held {
    /// What the client says next: `{"disconnected": true, "after": s}` when the server ended it.
    pub async fn outcome(&mut self) -> serde_json::Value {
        let line = self
            .lines
            .next_line()
            .await
            .expect("read")
            .unwrap_or_default();
        serde_json::from_str(&line).unwrap_or(serde_json::Value::Null)
    }
}

async fn logins(app: &TestApp, decision: &str) -> i64 {
    on_pool_for_tests(
        &app.db,
        &format!("SELECT COUNT(*) FROM access_events WHERE action = 'imap_login' AND decision = '{decision}'"),
    )
    .await
}

/// The receipts recorded under request `id` once at least `n` are there and in the log
/// (action, words), in the order they were made.
async fn wait_for_receipts(app: &TestApp, id: &str, n: usize) -> Vec<(String, String)> {
    let request: uuid::Uuid = id.parse().unwrap();
    for _ in 0..100 {
        let rows: Vec<(String, String)> = match &app.db {
            glassbox::db::Db::Sqlite(p) => sqlx::query_as("SELECT action, reason FROM access_events WHERE request_id = $1 AND action LIKE 'imap_%' AND action <> 'imap_login' AND log_index IS NOT NULL ORDER BY seq").bind(request).fetch_all(p).await.unwrap(),
            glassbox::db::Db::Postgres(p) => sqlx::query_as("SELECT action, reason FROM access_events WHERE request_id = $1 AND action LIKE 'imap_%' AND action <> 'imap_login' AND log_index IS NOT NULL ORDER BY seq").bind(request).fetch_all(p).await.unwrap(),
        };
        if rows.len() >= n {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} receipts arrived");
}

/// Sam asks for `scopes` on `mailbox`, its owner approves; returns the request id.
async fn approved(
    app: &TestApp,
    token: &str,
    mailbox: &str,
    owner: &str,
    scopes: &[&str],
) -> String {
    let id = app
        .create_request(
            token,
            serde_json::json!({"mailbox": mailbox, "scopes": scopes}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sign_in_as(owner).await;
    let (status, body) = app
        .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")])
        .await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Sam makes the IMAP credential of request `id` on its page; returns (login, secret).
async fn credential(app: &TestApp, id: &str) -> (String, String) {
    app.sign_in_as("Sam Rivera").await;
    let (status, body) = app.server_fn::<IssueImapCredential>(&[("id", id)]).await;
    assert_eq!(status, 200, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("gbg_"), "{secret}");
    (body["login"].as_str().unwrap().to_string(), secret)
}

on_both_databases!(async fn dovecot_refuses_a_staff_login_without_a_grant_and_records_the_refusal(app) {
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[]).await else { return };
    let before = logins(app, "denied").await;
    let answer = dovecot.client("login", "alice@example.org*sam.rivera", "gbg_made-up").await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("Refused: no approved request"), "{answer}");
    assert_eq!(logins(app, "denied").await, before + 1, "the refusal is an access event");
    // The owner's own login never asks Glassbox.
    assert_eq!(dovecot.client("read", "alice@example.org", "owner-password").await["ok"], true);
    assert_eq!(logins(app, "denied").await, before + 1);
});

on_both_databases!(async fn dovecot_lets_the_agent_in_with_the_grants_credential_and_nothing_else(app) {
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["metadata", "content"]).await;
    // A metadata-only grant on Bilal's mailbox: no IMAP credential, no IMAP login.
    let bilal = approved(app, &token, "bilal@example.org", "Bilal Haddad", &["metadata"]).await;
    app.sign_in_as("Sam Rivera").await;
    let (status, body) = app.server_fn::<IssueImapCredential>(&[("id", &bilal)]).await;
    assert_eq!(status, 409, "{body}");
    let (login, secret) = credential(app, &id).await;
    assert_eq!(login, "alice@example.org*sam.rivera");

    // Right mailbox, right agent, right secret: in, and reading works.
    let read = dovecot.client("read", &login, &secret).await;
    assert_eq!(read["ok"], true, "{read} {}", dovecot.log());
    assert_eq!(read["exists"], 3);
    assert_eq!(read["fetched"], 3);
    assert_eq!(logins(app, "allowed").await, 1);
    // What Sam read reaches Alice's history as receipts, and the verifiable log.
    // Dovecot delivers command events best-effort and unordered: compare them as a set.
    let mut receipts = wait_for_receipts(app, &id, 3).await;
    receipts.sort();
    assert_eq!(
        receipts,
        vec![
            ("imap_open_folder".to_string(), "Opened Inbox".to_string()),
            ("imap_read_bodies".to_string(), "Read 1 message (bodies)".to_string()),
            ("imap_read_headers".to_string(), "Read the headers of 2 messages".to_string()),
        ]
    );
    // The owner's own reading leaves no receipt.
    assert_eq!(dovecot.client("read", "alice@example.org", "owner-password").await["ok"], true);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(wait_for_receipts(app, &id, 3).await.len(), 3);

    // Everything else is refused.
    let denied = logins(app, "denied").await;
    let wrong = dovecot.client("login", &login, "gbg_wrong").await;
    assert!(wrong["error"].as_str().unwrap().contains("Refused: wrong IMAP credential"), "{wrong}");
    let other_agent = dovecot.client("login", "alice@example.org*priya.nair", &secret).await;
    assert!(other_agent["error"].as_str().unwrap().contains("Refused: no approved request"), "{other_agent}");
    let other_mailbox = dovecot.client("login", "bilal@example.org*sam.rivera", &secret).await;
    assert!(other_mailbox["error"].as_str().unwrap().contains("Refused: outside what you approved"), "metadata only: {other_mailbox}");
    let unknown = dovecot.client("login", "chen.wei@example.org*sam.rivera", &secret).await;
    assert_eq!(unknown["ok"], false, "{unknown}");
    assert_eq!(logins(app, "denied").await, denied + 4, "each refusal is an event");

    // A new credential replaces the old one.
    let (_, newer) = credential(app, &id).await;
    let old = dovecot.client("login", &login, &secret).await;
    assert!(old["error"].as_str().unwrap().contains("replaced"), "{old}");
    assert_eq!(dovecot.client("login", &login, &newer).await["ok"], true);
});

on_both_databases!(async fn dovecot_fails_closed_when_glassbox_is_down_or_slow(app) {
    let token = app.service_token().await;
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    // Down: nothing listens.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let Some(down) = Dovecot::start(&closed, &token, &[]).await else { return };
    let answer = down.client("login", &login, &secret).await;
    assert_eq!(answer["ok"], false);
    assert!(answer["error"].as_str().unwrap().contains("UNAVAILABLE"), "{answer}");
    assert_eq!(down.client("login", "alice@example.org", "owner-password").await["ok"], true, "owners are unaffected");
    drop(down);
    // Slow: accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow_url = format!("http://{}", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let Some(slow) = Dovecot::start(&slow_url, &token, &[("GLASSBOX_TIMEOUT_MSECS", "500")]).await else { return };
    let answer = slow.client("login", &login, &secret).await;
    assert!(answer["error"].as_str().unwrap().contains("UNAVAILABLE"), "{answer}");
    hold.abort();
    // And with Glassbox up the same login works.
    let Some(up) = Dovecot::start(&app.address, &token, &[]).await else { return };
    assert_eq!(up.client("login", &login, &secret).await["ok"], true);
});

on_both_databases!(async fn dovecot_with_the_auth_cache_on_refuses_every_staff_login(app) {
    let token = app.service_token().await;
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[("DOVECOT_AUTH_CACHE", "1")]).await else { return };
    let answer = dovecot.client("login", &login, &secret).await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(dovecot.log().contains("auth_cache_size"), "the log says why");
    assert_eq!(logins(app, "allowed").await, 0, "Glassbox was never asked");
    assert_eq!(dovecot.client("login", "alice@example.org", "owner-password").await["ok"], true);
});

on_both_databases!(async fn receipts_of_sessions_glassbox_did_not_allow_are_ignored_and_bad_input_refused(app) {
    let token = app.service_token().await;
    let event = serde_json::json!({"event": "imap_command_finished", "fields": {
        "user": "alice@example.org", "session": "never-allowed", "cmd_name": "FETCH",
        "cmd_args": "1 (BODY[])", "tagged_reply_state": "OK"}});
    let before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;
    let (status, body) = app.api_post(&token, "/api/v1/imap/receipts", &serde_json::json!([event, {"event": "other"}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ignored"], 2);
    assert_eq!(body["recorded"], 0);
    // Dovecot's exporter authenticates with HTTP Basic, the token as password.
    let res = reqwest::Client::new().post(app.url("/api/v1/imap/receipts"))
        .basic_auth("glassbox", Some(&token)).json(&event).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = reqwest::Client::new().post(app.url("/api/v1/imap/receipts"))
        .basic_auth("glassbox", Some("gbx_wrong")).json(&event).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    // Not JSON: 400; too big: 413; nothing recorded either way.
    let res = reqwest::Client::new().post(app.url("/api/v1/imap/receipts"))
        .bearer_auth(&token).body("not json").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let res = reqwest::Client::new().post(app.url("/api/v1/imap/receipts"))
        .bearer_auth(&token).header("content-type", "application/json").body(vec![b' '; 70 * 1024]).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await, before);
});

/// Glassbox told where this test's Dovecot will take doveadm calls, before either starts.
async fn with_doveadm() -> Option<crate::helpers::Options> {
    let port = free_port();
    Some(crate::helpers::Options {
        seed: true,
        configure: Box::new(move |s| {
            s.dovecot.doveadm_url = Some(format!("http://127.0.0.1:{port}"));
            s.dovecot.doveadm_api_key = Some("glassbox-test-doveadm-key".to_string().into());
            s.dovecot.kick_poll_ms = 100;
        }),
    })
}

on_both_databases_with!(with_doveadm(), async fn dovecot_session_is_cut_when_the_owner_revokes(app) {
    let port = app.settings.dovecot.doveadm_url.as_deref().unwrap().rsplit(':').next().unwrap().to_string();
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[("DOVECOT_DOVEADM_PORT", &port)]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    let mut held = dovecot.hold(&login, &secret, 20).await;

    app.sign_in_as("Alice Martin").await;
    let (status, body) = app.server_fn::<RevokeGrant>(&[("id", &id)]).await;
    assert_eq!(status, 200, "{body}");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), held.outcome()).await.expect("the client is told");
    assert_eq!(outcome["disconnected"], true, "{outcome} {}", dovecot.log());
    assert!(outcome["after"].as_f64().unwrap() < 5.0, "{outcome}");
    // The kick is confirmed and the session marked cut; the credential opens nothing now.
    for _ in 0..50 {
        if on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM imap_kicks WHERE done_at IS NULL").await == 0 { break; }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM imap_sessions WHERE cut_at IS NOT NULL").await, 1);
    let again = dovecot.client("login", &login, &secret).await;
    assert_eq!(again["ok"], false, "{again}");
});

/// Sam posts the plain credential form of request `id` (what a browser without JavaScript
/// does); returns the answer's status, headers and page.
async fn credential_form(app: &TestApp, id: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = app
        .post_form(&format!("/staff/requests/{id}/imap-credential"), &[])
        .await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

fn secret_on(page: &str) -> Option<String> {
    regex_lite::Regex::new(r"gbg_[A-Za-z0-9_-]{20,}")
        .unwrap()
        .find(page)
        .map(|m| m.as_str().to_string())
}

/// Asks Glassbox, as Dovecot's passdb would, whether `secret` lets Sam into Alice's mailbox.
async fn imap_login(app: &TestApp, token: &str, secret: &str) -> serde_json::Value {
    let (status, body) = app
        .api_post(
            token,
            "/api/v1/imap/login",
            &serde_json::json!({
                "mailbox": "alice@example.org", "agent": "sam.rivera", "secret": secret,
                "client_ip": "127.0.0.1", "session": format!("s{}", uuid::Uuid::new_v4().simple()),
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

on_both_databases!(async fn the_credential_form_without_javascript_shows_the_secret_once(app) {
    // Arrange
    let token = app.service_token().await;
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    app.sign_in_as("Sam Rivera").await;
    let (_, page) = app.get_page(&format!("/staff/requests/{id}")).await;
    assert!(page.contains(&format!(r#"action="/staff/requests/{id}/imap-credential""#)), "a plain form: {page}");

    // Act: the form posts, and the answer is the page that shows it.
    let (status, headers, shown) = credential_form(app, &id).await;

    // Assert
    assert_eq!(status, 200, "{shown}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(shown.contains("alice@example.org*sam.rivera"), "{shown}");
    let secret = secret_on(&shown).expect("the secret is on the page");
    assert_eq!(imap_login(app, &token, &secret).await["decision"], "allow");
    // Never shown again: not on the request's page, and posting again makes a new one
    // (the first stops working) instead of showing the first.
    let (_, page) = app.get_page(&format!("/staff/requests/{id}")).await;
    assert!(secret_on(&page).is_none() && page.contains("not shown again"), "{page}");
    let (status, _, again) = credential_form(app, &id).await;
    assert_eq!(status, 200);
    let newer = secret_on(&again).expect("a new secret");
    assert_ne!(newer, secret);
    assert!(!again.contains(&secret));
    let old = imap_login(app, &token, &secret).await;
    assert_eq!(old["decision"], "deny", "{old}");
    assert_eq!(imap_login(app, &token, &newer).await["decision"], "allow");
});

on_both_databases!(async fn another_agent_or_the_owner_cannot_make_the_agents_credential(app) {
    let token = app.service_token().await;
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let made = || on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM imap_credentials");

    // Another agent: there is nothing here, and nothing is made.
    app.sign_in_as("Priya Nair").await;
    let (status, _, page) = credential_form(app, &id).await;
    assert_eq!(status, 404, "{page}");
    assert!(secret_on(&page).is_none());
    let (status, body) = app.server_fn::<IssueImapCredential>(&[("id", &id)]).await;
    assert_ne!(status, 200, "{body}");
    // The owner: no either.
    app.sign_in_as("Alice Martin").await;
    let (status, _, page) = credential_form(app, &id).await;
    assert_eq!(status, 404, "{page}");
    assert_eq!(made().await, 0);
    // From another site (no Origin of ours): refused by the CSRF guard.
    app.sign_in_as("Sam Rivera").await;
    let res = app.client.post(app.url(&format!("/staff/requests/{id}/imap-credential")))
        .header("origin", "https://evil.example").header("sec-fetch-site", "cross-site")
        .send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(made().await, 0);
});

/// The signed-in owner's newest history page, as their browser loads it.
async fn owners_history(app: &TestApp) -> (u16, serde_json::Value) {
    use leptos::server_fn::ServerFn as _;
    let res = app
        .client
        .post(app.url(app::api::overview::LoadHistory::PATH))
        .json(&serde_json::json!({"cursor": null, "filter": {}}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

/// Alice's request page for `id`, as her browser loads it.
async fn owners_request(app: &TestApp, id: &str) -> (u16, serde_json::Value) {
    app.server_fn::<app::api::requests::LoadRequest>(&[("id", id)])
        .await
}

on_both_databases!(async fn the_owner_sees_what_the_agent_read_in_each_imap_session_and_nobody_else_does(app) {
    // Arrange: Sam opens Alice's Inbox and reads three message bodies.
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["metadata", "content"]).await;
    let (login, secret) = credential(app, &id).await;
    let read = dovecot.client("bodies", &login, &secret).await;
    assert_eq!(read["fetched"], 3, "{read} {}", dovecot.log());
    wait_for_receipts(app, &id, 2).await;

    // Act
    app.sign_in_as("Alice Martin").await;
    let (status, request) = owners_request(app, &id).await;

    // Assert: one session, summed up in words, each receipt with its place in the log.
    assert_eq!(status, 200, "{request}");
    let sessions = request["imap_sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{request}");
    let who = request["agent_pseudonym"].as_str().unwrap();
    assert_eq!(sessions[0]["summary"], format!("{who} opened Inbox and read 3 messages (bodies)."));
    assert!(sessions[0]["login"]["log_index"].is_u64(), "{request}");
    let receipts = sessions[0]["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 2);
    assert!(receipts.iter().all(|r| r["log_index"].is_u64() && r["log_entry"].is_string()), "{receipts:?}");
    assert!(sessions[0]["cut_at"].is_null());
    // In the history, the receipts come right under their login event.
    let (status, history) = owners_history(app).await;
    assert_eq!(status, 200, "{history}");
    let events = history["events"].as_array().unwrap();
    let at = events.iter().position(|e| e["action"] == "imap_login").expect("the login");
    let login_seq = events[at]["seq"].clone();
    assert_eq!(events[at + 1]["in_session_of"], login_seq);
    assert_eq!(events[at + 2]["in_session_of"], login_seq);
    // Another owner sees neither the request nor the receipts.
    app.sign_in_as("Bilal Haddad").await;
    let (status, _) = owners_request(app, &id).await;
    assert_eq!(status, 404);
    let (_, theirs) = owners_history(app).await;
    assert!(theirs["events"].as_array().unwrap().iter().all(|e| e["in_session_of"].is_null()), "{theirs}");
});

on_both_databases!(async fn a_session_that_logged_out_by_itself_is_never_reported_as_cut(app) {
    // Arrange: Sam reads and logs out; Dovecot reports the LOGOUT.
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    assert_eq!(dovecot.client("bodies", &login, &secret).await["ok"], true);
    app.sign_in_as("Alice Martin").await;
    let mut logged_out = serde_json::Value::Null;
    for _ in 0..50 {
        logged_out = owners_request(app, &id).await.1["imap_sessions"][0]["logged_out_at"].clone();
        if logged_out.is_string() { break; }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(logged_out.is_string(), "the logout is reported");

    // Act: Alice revokes afterwards.
    let (status, body) = app.server_fn::<RevokeGrant>(&[("id", &id)]).await;
    assert_eq!(status, 200, "{body}");

    // Assert: nothing to kick, and the page does not say the session was cut.
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM imap_kicks").await, 0);
    let (_, request) = owners_request(app, &id).await;
    assert!(request["imap_sessions"][0]["cut_at"].is_null(), "{request}");
});

on_both_databases_with!(async {
    Some(crate::helpers::Options {
        seed: true,
        configure: Box::new(|s| {
            s.api.rate_limit_per_second = 1;
            s.api.rate_limit_burst = 2;
        }),
    })
}, async fn a_burst_of_receipts_beyond_the_api_limit_is_accepted(app) {
    let token = app.service_token().await;
    let event = serde_json::json!({"event": "imap_command_finished", "fields": {
        "user": "alice@example.org", "session": "burst", "cmd_name": "NOOP",
        "cmd_args": "", "tagged_reply_state": "OK"}});
    for i in 0..30 {
        let (status, body) = app.api_post(&token, "/api/v1/imap/receipts", &event).await;
        assert_eq!(status, 200, "receipt post {i}: {body}");
    }
    // The rest of the API keeps its own limit.
    let mut limited = false;
    for _ in 0..5 {
        let (status, _) = app.api_get(&token, "/api/v1/access-requests/00000000-0000-0000-0000-000000000000").await;
        limited |= status == 429;
    }
    assert!(limited, "the API limit still applies to other calls");
});

/// Waits until every queued kick is confirmed; panics after 5 s.
async fn kicks_confirmed(app: &TestApp) {
    for _ in 0..50 {
        if on_pool_for_tests(
            &app.db,
            "SELECT COUNT(*) FROM imap_kicks WHERE done_at IS NULL",
        )
        .await
            == 0
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("a kick is still pending");
}

/// The doveadm port Glassbox was told about.
fn doveadm_port(app: &TestApp) -> String {
    app.settings
        .dovecot
        .doveadm_url
        .as_deref()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string()
}

/// The held client is disconnected within a few seconds, the kick is confirmed and the
/// session marked cut, and the credential opens nothing any more.
async fn assert_cut(app: &TestApp, dovecot: &Dovecot, held: &mut Held, login: &str, secret: &str) {
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), held.outcome())
        .await
        .expect("the client is told");
    assert_eq!(outcome["disconnected"], true, "{outcome} {}", dovecot.log());
    kicks_confirmed(app).await;
    assert_eq!(
        on_pool_for_tests(
            &app.db,
            "SELECT COUNT(*) FROM imap_sessions WHERE cut_at IS NOT NULL"
        )
        .await,
        1
    );
    let again = dovecot.client("login", login, secret).await;
    assert_eq!(again["ok"], false, "{again}");
}

on_both_databases_with!(with_doveadm(), async fn dovecot_session_is_cut_when_the_sweeper_ends_the_grant(app) {
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[("DOVECOT_DOVEADM_PORT", &doveadm_port(app))]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    let mut held = dovecot.hold(&login, &secret, 20).await;

    // Time runs out: the sweeper writes the end down.
    app.clock.advance(time::Duration::hours(9));
    glassbox::services::requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();

    assert_cut(app, &dovecot, &mut held, &login, &secret).await;
});

on_both_databases_with!(with_doveadm(), async fn dovecot_session_is_cut_when_a_shortened_grant_runs_out(app) {
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[("DOVECOT_DOVEADM_PORT", &doveadm_port(app))]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    let mut held = dovecot.hold(&login, &secret, 20).await;

    // Alice shortens the grant to a minute from now; then that minute passes.
    app.sign_in_as("Alice Martin").await;
    let (status, body) = app.server_fn::<app::api::requests::ShortenGrant>(&[("id", &id), ("minutes", "1")]).await;
    assert_eq!(status, 200, "{body}");
    app.clock.advance(time::Duration::minutes(2));
    glassbox::services::requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();

    assert_cut(app, &dovecot, &mut held, &login, &secret).await;
});

on_both_databases_with!(with_doveadm(), async fn dovecot_session_is_cut_when_the_agent_is_disabled(app) {
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[("DOVECOT_DOVEADM_PORT", &doveadm_port(app))]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    let mut held = dovecot.hold(&login, &secret, 20).await;

    // What `glassbox staff disable --email …` runs.
    glassbox::services::staff::disable_by_email(&app.db, &app.clock, &app.settings, "sam.rivera@staff.example.org").await.unwrap();

    assert_cut(app, &dovecot, &mut held, &login, &secret).await;
});

on_both_databases_with!(with_doveadm(), async fn a_kick_is_retried_until_doveadm_answers(app) {
    // Glassbox calls doveadm on a port where nothing listens yet; Dovecot's doveadm is on another.
    let glassbox_side = doveadm_port(app);
    let dovecot_side = free_port();
    let token = app.service_token().await;
    let Some(dovecot) = Dovecot::start(&app.address, &token, &[("DOVECOT_DOVEADM_PORT", &dovecot_side.to_string())]).await else { return };
    let id = approved(app, &token, "alice@example.org", "Alice Martin", &["content"]).await;
    let (login, secret) = credential(app, &id).await;
    let mut held = dovecot.hold(&login, &secret, 30).await;
    app.sign_in_as("Alice Martin").await;
    let (status, body) = app.server_fn::<RevokeGrant>(&[("id", &id)]).await;
    assert_eq!(status, 200, "{body}");

    // doveadm down: the kick stays pending, with its failed attempt written down.
    let mut failed = 0;
    for _ in 0..50 {
        failed = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM imap_kicks WHERE done_at IS NULL AND attempts > 0 AND last_error IS NOT NULL").await;
        if failed > 0 { break; }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(failed, 1, "the kick failed once and waits");
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM imap_sessions WHERE cut_at IS NOT NULL").await, 0);

    // doveadm comes up (a forwarder to Dovecot's port), and the retry's time comes.
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{glassbox_side}")).await.unwrap();
    let forward = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", dovecot_side)).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    app.clock.advance(time::Duration::minutes(2));

    assert_cut(app, &dovecot, &mut held, &login, &secret).await;
    forward.abort();
});
