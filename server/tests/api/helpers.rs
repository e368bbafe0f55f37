//! `spawn_app`: the real application on a random port, against a fresh database — a SQLite
//! file in a temporary folder, or a new PostgreSQL database when `TEST_POSTGRES_URL` is set.

use glassbox::config::Settings;
use glassbox::db::{Backend, Db};
use glassbox::demo;
use glassbox::domain::clock::Clock;
use glassbox::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use secrecy::SecretString;
use std::sync::Arc;
use time::macros::datetime;

/// The moment the tests' frozen clock starts at.
pub const NOW: time::OffsetDateTime = datetime!(2026-11-29 12:00 UTC);

/// A running application and a browser-like client (cookie jar, no redirects followed).
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The application's database.
    pub db: Db,
    /// A client that keeps cookies and sends our Origin on every request, as a browser would.
    pub client: reqwest::Client,
    /// The client's cookies.
    pub jar: Arc<Jar>,
    /// The frozen clock.
    pub clock: Clock,
    /// The settings the application runs with.
    pub settings: Settings,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    postgres: Option<(String, String)>,
    /// The software passkeys people added in this test, by their name.
    passkeys: std::sync::Mutex<std::collections::HashMap<String, crate::authenticator::SoftKey>>,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL server to test against: `TEST_POSTGRES_URL`. Without it PostgreSQL tests
/// are skipped — and say so — unless `GLASSBOX_REQUIRE_POSTGRES=1` (as in CI), where that
/// is a failure.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("GLASSBOX_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("GLASSBOX_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set");
            }
            eprintln!("SKIPPED: PostgreSQL test (set TEST_POSTGRES_URL=postgres://… to run it)");
            None
        }
    }
}

/// The test OpenID Connect provider (`testinfra/services.sh start`): `TEST_OIDC_ISSUER`,
/// or `http://127.0.0.1:9400` when it answers. Without it OIDC tests are skipped — and say
/// so — unless `GLASSBOX_REQUIRE_OIDC=1` (as in CI).
pub async fn oidc_issuer() -> Option<String> {
    let issuer =
        std::env::var("TEST_OIDC_ISSUER").unwrap_or_else(|_| "http://127.0.0.1:9400".into());
    let up = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .is_ok_and(|r| r.status().is_success());
    if up {
        return Some(issuer);
    }
    if std::env::var("GLASSBOX_REQUIRE_OIDC").as_deref() == Ok("1") {
        panic!("GLASSBOX_REQUIRE_OIDC=1 but no OpenID Connect provider answers at {issuer}");
    }
    eprintln!("SKIPPED: OpenID Connect test (start it with testinfra/services.sh start)");
    None
}

/// Settings that sign owners and staff in through the test provider, on a port chosen
/// now so that the redirect URI can name it.
pub fn with_oidc(issuer: String) -> Box<dyn FnOnce(&mut Settings) + Send> {
    Box::new(move |s| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        s.http.bind = format!("127.0.0.1:{port}").parse().expect("address");
        s.public_url = format!("http://127.0.0.1:{port}")
            .parse()
            .expect("public url");
        s.auth.oidc = Some(glassbox::config::OidcSettings::new(
            issuer,
            "glassbox-test".into(),
            SecretString::from("glassbox-test-secret"),
        ));
    })
}

/// Options for [`spawn_app_with`].
pub struct Options {
    /// Seed the demo data set before starting.
    pub seed: bool,
    /// Change settings before starting.
    pub configure: Box<dyn FnOnce(&mut Settings) + Send>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: true,
            configure: Box::new(|_| {}),
        }
    }
}

/// Starts the application with the demo data on `backend`; `None` when that backend is not
/// available (PostgreSQL without `TEST_POSTGRES_URL`).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, Options::default()).await
}

/// Starts the application on `backend` with options.
pub async fn spawn_app_with(backend: Backend, options: Options) -> Option<TestApp> {
    glassbox::telemetry::init_for_tests();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    settings.http.bind = "127.0.0.1:0".parse().expect("address");
    settings.data_dir = dir.path().to_path_buf();
    settings.auth.demo_sign_in = Some(true);
    // Tests sign in many times from one address; the limit has its own test.
    settings.auth.sign_in_per_minute = 0;
    let mut postgres = None;
    match backend {
        Backend::Sqlite => {
            settings.database.url = Some(SecretString::from(format!(
                "sqlite://{}/glassbox.db",
                dir.path().display()
            )));
        }
        Backend::Postgres => {
            let admin = postgres_admin_url()?;
            let name = format!("glassbox_test_{}", uuid::Uuid::new_v4().simple());
            let admin_db = Db::connect(&SecretString::from(admin.clone()), 1)
                .await
                .expect("connect to TEST_POSTGRES_URL");
            if let Db::Postgres(pool) = &admin_db {
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(pool)
                    .await
                    .expect("create test database");
            }
            admin_db.close().await;
            settings.database.url = Some(SecretString::from(with_database(&admin, &name)));
            postgres = Some((admin, name));
        }
    }
    (options.configure)(&mut settings);
    let clock = Clock::fixed(NOW);
    let db = Db::connect(&settings.database_url(), 5)
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    if options.seed {
        demo::seed(&db, &clock, &settings)
            .await
            .expect("seed demo data");
    }
    let app_settings = settings.clone();
    let app = Application::build_with_db(settings, clock.clone(), db.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let jar = Arc::new(Jar::default());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        address.parse().expect("origin header"),
    );
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client");
    Some(TestApp {
        address,
        db,
        client,
        jar,
        clock,
        settings: app_settings,
        stop: Some(stop),
        server: Some(server),
        postgres,
        passkeys: Default::default(),
        _dir: dir,
    })
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rsplit_once('/') {
        Some((head, _)) if head.contains("://") && head.len() > "postgres://".len() => {
            head.to_string()
        }
        _ => base.to_string(),
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    /// The log's signer, read from its key file.
    pub fn signer(&self) -> glassbox_log::CheckpointSigner {
        glassbox::transparency::keys::read_key_file(&self.key_file()).expect("the log key file")
    }

    /// Where the log's signing key file is.
    pub fn key_file(&self) -> std::path::PathBuf {
        self.settings
            .log
            .signing_key_file_for(&self.settings.data_dir)
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// GET `path` and return status and body.
    pub async fn get_page(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// POST a form to `path`.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// The session cookie the client holds, if any.
    pub fn session_cookie(&self) -> Option<String> {
        let url = self.address.parse().expect("url");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find(|c| c.starts_with("glassbox_session="))
            .map(str::to_string)
    }

    /// The demo sign-in choices offered on `/auth/demo`, as (name, value) pairs.
    pub async fn demo_choices(&self) -> Vec<(String, String)> {
        let (_, html) = self.get_page("/auth/demo").await;
        let value = regex_lite::Regex::new(r#"name="identity" value="([^"]+)""#).expect("regex");
        let name =
            regex_lite::Regex::new(r#"<span class="identity-name">Sign in as ([^<]+)</span>"#)
                .expect("regex");
        let values: Vec<String> = value
            .captures_iter(&html)
            .map(|c| c[1].to_string())
            .collect();
        let names: Vec<String> = name
            .captures_iter(&html)
            .map(|c| c[1].to_string())
            .collect();
        names.into_iter().zip(values).collect()
    }

    /// Signs in through the demo sign-in as the person named `name`.
    pub async fn sign_in_as(&self, name: &str) {
        let choices = self.demo_choices().await;
        let (_, value) = choices.iter().find(|(n, _)| n == name).unwrap_or_else(|| {
            panic!("{name} is not offered on the demo sign-in page: {choices:?}")
        });
        let res = self.post_form("/auth/demo", &[("identity", value)]).await;
        assert_eq!(res.status().as_u16(), 303, "demo sign-in as {name} failed");
    }

    /// A new service token for the API.
    pub async fn service_token(&self) -> String {
        let name = format!("test-{}", uuid::Uuid::new_v4().simple());
        glassbox::services::tokens::create(&self.db, &self.clock, &self.settings, &name)
            .await
            .expect("token")
    }

    /// Calls the API with a bearer token and a JSON body; returns status and JSON.
    pub async fn api_post(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// GETs from the API with a bearer token.
    pub async fn api_get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let res = reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Creates an access request through the API for agent `sam.rivera` on Alice's mailbox,
    /// with `overrides` merged into the body. Panics unless it is created.
    pub async fn create_request(
        &self,
        token: &str,
        overrides: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = serde_json::json!({
            "mailbox": "alice@example.org",
            "agent": "sam.rivera",
            "scopes": ["metadata", "content"],
            "justification": {"code": "customer_initiated_support", "text": "You reported missing messages", "ticket": "T-1"},
            "duration_minutes": 60
        });
        if let (Some(b), Some(o)) = (body.as_object_mut(), overrides.as_object()) {
            for (k, v) in o {
                b.insert(k.clone(), v.clone());
            }
        }
        let (status, json) = self.api_post(token, "/api/v1/access-requests", &body).await;
        assert_eq!(status, 201, "{json}");
        json
    }

    /// Asks the API whether `agent` may act on `mailbox` in `scope`.
    pub async fn check(
        &self,
        token: &str,
        mailbox: &str,
        agent: &str,
        scope: &str,
    ) -> serde_json::Value {
        let (status, json) = self
            .api_post(token, "/api/v1/access/check", &serde_json::json!({
                "mailbox": mailbox, "agent": agent, "scope": scope, "action": "read_message", "resource": "message:1"
            }))
            .await;
        assert_eq!(status, 200, "{json}");
        json
    }

    /// Calls server function `F` as the signed-in browser would (our Origin, the session
    /// cookie) with form fields; returns status and JSON.
    pub async fn server_fn<F: leptos::server_fn::ServerFn>(
        &self,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let res = self
            .client
            .post(self.url(F::PATH))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// POSTs `body` as JSON to `path` and returns status and JSON answer.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let res = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// The signed-in person adds `key` as a passkey named `name`: the options, the
    /// authenticator's answer, and the server's answer to it.
    pub async fn add_passkey(
        &self,
        key: &mut crate::authenticator::SoftKey,
        name: &str,
    ) -> (u16, serde_json::Value) {
        let (status, options) = self
            .post_json("/passkeys/add/options", serde_json::json!({}))
            .await;
        if status != 200 {
            return (status, options);
        }
        let credential = key.create(&options);
        self.post_json(
            "/passkeys/add",
            serde_json::json!({ "name": name, "credential": credential }),
        )
        .await
    }

    /// The signed-in person confirms with `key` (it signs the server's challenge).
    pub async fn confirm_passkey(
        &self,
        key: &mut crate::authenticator::SoftKey,
    ) -> (u16, serde_json::Value) {
        let (status, options) = self
            .post_json("/passkeys/confirm/options", serde_json::json!({}))
            .await;
        if status != 200 {
            return (status, options);
        }
        let credential = key.get(&options);
        self.post_json(
            "/passkeys/confirm",
            serde_json::json!({ "credential": credential }),
        )
        .await
    }

    /// Signs in as `name` through the demo sign-in and confirms with their passkey (added
    /// the first time), as the actions that need a recent passkey want.
    pub async fn sign_in_with_passkey(&self, name: &str) {
        self.sign_in_as(name).await;
        let known = self.passkeys.lock().expect("keys").remove(name);
        let mut key = match known {
            Some(k) => k,
            None => {
                let mut k = crate::authenticator::SoftKey::new();
                let (status, body) = self.add_passkey(&mut k, &format!("{name}'s key")).await;
                assert_eq!(status, 200, "{name} adds a passkey: {body}");
                k
            }
        };
        let (status, body) = self.confirm_passkey(&mut key).await;
        assert_eq!(status, 200, "{name} confirms with a passkey: {body}");
        self.passkeys
            .lock()
            .expect("keys")
            .insert(name.to_string(), key);
    }

    /// Follows redirects from `url` with this client (cookies shared between Glassbox and
    /// the provider) until the provider's login form, submits `login`/`password`, and
    /// follows on until the provider sends the browser to Glassbox's callback. Returns that
    /// callback URL, not yet visited.
    pub async fn through_provider(&self, start: &str, login: &str, password: &str) -> String {
        let mut url = if start.starts_with("http") {
            start.to_string()
        } else {
            self.url(start)
        };
        for _ in 0..10 {
            if url.starts_with(&self.url("/auth/callback")) {
                return url;
            }
            if url.contains("/interaction/") {
                let form = self.client.get(&url).send().await.expect("login form");
                assert_eq!(
                    form.status().as_u16(),
                    200,
                    "the provider shows its login form"
                );
                let res = self
                    .client
                    .post(&url)
                    .form(&[("login", login), ("password", password)])
                    .send()
                    .await
                    .expect("login");
                url = location(&res).unwrap_or_else(|| {
                    panic!("login at the provider failed with {}", res.status())
                });
                continue;
            }
            let res = self.client.get(&url).send().await.expect("redirect");
            url = location(&res)
                .unwrap_or_else(|| panic!("expected a redirect from {url}, got {}", res.status()));
        }
        panic!("the sign-in never came back to Glassbox");
    }

    /// Signs in through the provider as an owner and returns the final response of the
    /// callback (a redirect into the portal).
    pub async fn oidc_sign_in(&self, login: &str, password: &str) -> reqwest::Response {
        let callback = self.through_provider("/auth/login", login, password).await;
        self.client.get(&callback).send().await.expect("callback")
    }

    /// Stops the server and drops a PostgreSQL test database.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.db.close().await;
        if let Some((admin, name)) = self.postgres.take() {
            if let Ok(Db::Postgres(pool)) = Db::connect(&SecretString::from(admin), 1).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&pool)
                    .await;
                pool.close().await;
            }
        }
    }
}

/// Defines a scenario and runs it once on SQLite and once on PostgreSQL:
/// `on_both_databases!(async fn name(app) { … })` makes tests `name::on_sqlite` and
/// `name::on_postgres`.
#[macro_export]
macro_rules! on_both_databases {
    (async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($app: &$crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let app = $crate::helpers::spawn_app(glassbox::db::Backend::Sqlite).await.expect("sqlite app");
                scenario(&app).await;
                app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                if let Some(app) = $crate::helpers::spawn_app(glassbox::db::Backend::Postgres).await {
                    scenario(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_test_database_replaces_the_admin_database_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}

/// The absolute `Location` of a redirect response.
pub fn location(res: &reqwest::Response) -> Option<String> {
    let loc = res.headers().get("location")?.to_str().ok()?;
    Some(res.url().join(loc).ok()?.to_string())
}

/// The real SMTP server of the tests (MailDev, `testinfra/services.sh start`): its SMTP
/// address `TEST_SMTP` (default `127.0.0.1:1025`) and its HTTP API `TEST_MAILDEV_API`
/// (default `http://127.0.0.1:1080`). Without it email tests are skipped — and say so —
/// unless `GLASSBOX_REQUIRE_SMTP=1` (as in CI).
#[expect(clippy::expect_used, reason = "test support fails loudly")]
pub async fn maildev() -> Option<Maildev> {
    let smtp = std::env::var("TEST_SMTP").unwrap_or_else(|_| "127.0.0.1:1025".into());
    let api = std::env::var("TEST_MAILDEV_API").unwrap_or_else(|_| "http://127.0.0.1:1080".into());
    let up = reqwest::get(format!("{api}/api/email"))
        .await
        .is_ok_and(|r| r.status().is_success())
        && std::net::TcpStream::connect(&smtp).is_ok();
    if up {
        let (host, port) = smtp.rsplit_once(':').expect("TEST_SMTP is host:port");
        return Some(Maildev {
            host: host.to_string(),
            port: port.parse().expect("TEST_SMTP port"),
            api,
        });
    }
    if std::env::var("GLASSBOX_REQUIRE_SMTP").as_deref() == Ok("1") {
        panic!("GLASSBOX_REQUIRE_SMTP=1 but no SMTP server (MailDev) answers at {smtp} / {api}");
    }
    eprintln!("SKIPPED: email test (start MailDev with testinfra/services.sh start)");
    None
}

/// The shared MailDev instance. Other tests (and other runs) use it at the same time:
/// always filter by a recipient unique to the test, never delete everything.
#[derive(Clone, Debug)]
pub struct Maildev {
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// HTTP API base.
    pub api: String,
}

#[expect(clippy::expect_used, reason = "test support fails loudly")]
impl Maildev {
    /// Settings that send email through this server, as production would (plain SMTP: it
    /// is a local test server), with a fast sender.
    pub fn configure(&self) -> Box<dyn FnOnce(&mut Settings) + Send> {
        let (host, port) = (self.host.clone(), self.port);
        Box::new(move |s| smtp_to(s, &host, port))
    }

    /// Every message MailDev holds for `recipient`, oldest first.
    pub async fn messages_to(&self, recipient: &str) -> Vec<serde_json::Value> {
        let all: Vec<serde_json::Value> = reqwest::get(format!("{}/api/email", self.api))
            .await
            .expect("maildev api")
            .json()
            .await
            .expect("maildev json");
        all.into_iter()
            .filter(|m| {
                m["to"].as_array().is_some_and(|to| {
                    to.iter().any(|t| {
                        t["address"]
                            .as_str()
                            .is_some_and(|a| a.eq_ignore_ascii_case(recipient))
                    })
                })
            })
            .collect()
    }

    /// Waits (up to 20 s) until `recipient` has a message whose subject contains `subject`,
    /// and returns it.
    pub async fn wait_for(&self, recipient: &str, subject: &str) -> serde_json::Value {
        for _ in 0..200 {
            if let Some(m) = self
                .messages_to(recipient)
                .await
                .into_iter()
                .find(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
            {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no email to {recipient} with a subject containing {subject:?} arrived");
    }

    /// The raw source of a message.
    pub async fn source(&self, message: &serde_json::Value) -> String {
        let id = message["id"].as_str().expect("maildev id");
        reqwest::get(format!("{}/api/email/{id}/source", self.api))
            .await
            .expect("maildev source")
            .text()
            .await
            .expect("source text")
    }
}

/// Points the settings' email at a plain SMTP server with a fast sender.
pub fn smtp_to(s: &mut Settings, host: &str, port: u16) {
    s.email.backend = glassbox::config::EmailBackend::Smtp;
    s.email.smtp.host = host.to_string();
    s.email.smtp.port = port;
    s.email.smtp.tls = glassbox::config::SmtpTls::None;
    s.email.smtp.timeout_seconds = 5;
    s.email.poll_interval_ms = 50;
    s.email.retry_base_seconds = 10;
    s.email.retry_max_seconds = 60;
}

/// People made for one test, with addresses no other test uses.
#[derive(Clone, Debug)]
pub struct People {
    /// The owner.
    pub owner_id: app::model::OwnerId,
    /// The owner's contact address (their notices go there).
    pub owner_email: String,
    /// Their mailbox.
    pub mailbox: String,
    /// A support agent's handle (for the API).
    pub agent: String,
    /// The agent's work address (their notices go there).
    pub agent_email: String,
}

#[expect(clippy::expect_used, reason = "test support fails loudly")]
impl TestApp {
    /// Adds an owner with a mailbox and a support agent, all with unique addresses.
    pub async fn new_people(&self) -> People {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let now = self.clock.now();
        let owner_id = app::model::OwnerId(uuid::Uuid::now_v7());
        let owner_email = format!("owner-{tag}@owners.glassbox.test");
        let mailbox = format!("box-{tag}@mail.glassbox.test");
        let agent = format!("agent-{tag}");
        let agent_email = format!("{agent}@staff.glassbox.test");
        let mut tx = self.db.begin().await.expect("begin");
        glassbox::db::owners::insert_owner(
            &mut tx,
            owner_id,
            &format!("Owner {tag}"),
            &owner_email,
            now,
        )
        .await
        .expect("owner");
        glassbox::db::owners::insert_mailbox(
            &mut tx,
            app::model::MailboxId(uuid::Uuid::now_v7()),
            owner_id,
            &mailbox,
            now,
        )
        .await
        .expect("mailbox");
        glassbox::db::staff::insert_staff(
            &mut tx,
            app::model::StaffId(uuid::Uuid::now_v7()),
            &agent_email,
            &format!("Agent {tag}"),
            app::model::StaffRole::Support,
            &format!("Agent {}", &tag[..6]),
            now,
        )
        .await
        .expect("agent");
        tx.commit().await.expect("commit");
        People {
            owner_id,
            owner_email,
            mailbox,
            agent,
            agent_email,
        }
    }

    /// Asks for access to `people`'s mailbox through the API; returns the request id.
    pub async fn request_for(
        &self,
        token: &str,
        people: &People,
        text: &str,
    ) -> app::model::RequestId {
        let json = self
            .create_request(
                token,
                serde_json::json!({"mailbox": people.mailbox, "agent": people.agent,
                    "justification": {"code": "customer_initiated_support", "text": text, "ticket": "T-42"}}),
            )
            .await;
        json["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("request id")
    }
}

/// As `on_both_databases!`, with `Options` built by `$options` (an expression evaluated
/// per run, a future; `None` skips the scenario, e.g. when MailDev is not there).
#[macro_export]
macro_rules! on_both_databases_with {
    ($options:expr, async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($app: &$crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let options: Option<$crate::helpers::Options> = ($options).await;
                let Some(options) = options else { return };
                let app = $crate::helpers::spawn_app_with(glassbox::db::Backend::Sqlite, options).await.expect("sqlite app");
                scenario(&app).await;
                app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let options: Option<$crate::helpers::Options> = ($options).await;
                let Some(options) = options else { return };
                if let Some(app) = $crate::helpers::spawn_app_with(glassbox::db::Backend::Postgres, options).await {
                    scenario(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}
