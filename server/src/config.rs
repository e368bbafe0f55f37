//! One typed settings tree. Sources, later ones winning: built-in defaults → an optional
//! TOML file (`glassbox.toml` in the working directory, or the path in `GLASSBOX_CONFIG`) →
//! environment variables `GLASSBOX__SECTION__KEY`. No global state: the tree is passed to
//! [`crate::startup::Application::build`], so tests build their own.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The default secret key: fine for the local demo, refused in production.
const INSECURE_DEFAULT_SECRET: &str = "glassbox-local-development-secret-do-not-use-in-production";

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `GLASSBOX__ENVIRONMENT` (default `local`): `production` turns on every start-up safety check.
    pub environment: Environment,
    /// `GLASSBOX__DATA_DIR` (default `data`): where the default SQLite file and local files live.
    pub data_dir: PathBuf,
    /// `GLASSBOX__PUBLIC_URL` (default `http://127.0.0.1:3000`): base of links in emails and of
    /// OIDC redirect URIs. Cookies are `Secure` when it is https.
    pub public_url: String,
    /// HTTP listener settings.
    pub http: HttpSettings,
    /// Database settings.
    pub database: DatabaseSettings,
    /// Session settings.
    pub session: SessionSettings,
    /// Sign-in settings.
    pub auth: AuthSettings,
    /// Email settings.
    pub email: EmailSettings,
    /// Incidents (`GLASSBOX__INCIDENTS__…`).
    pub incidents: IncidentSettings,
    /// Secrets.
    pub security: SecuritySettings,
    /// Access request defaults and limits.
    pub requests: RequestSettings,
    /// Service API settings.
    pub api: ApiSettings,
    /// Staff console settings.
    pub staff: StaffSettings,
    /// Verifiable access log settings.
    pub log: LogSettings,
}

/// Verifiable access log settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `GLASSBOX__LOG__ORIGIN` (default: the host of `PUBLIC_URL` followed by `/log`): the
    /// log's name, the first line of every checkpoint and the name of its verifier key. Read
    /// once, when the signing key is made; later changes are ignored (a log keeps its name).
    pub origin: Option<String>,
    /// `GLASSBOX__LOG__BATCH_MAX_EVENTS` (default 1000): the most events committed in one
    /// group commit. 1 turns group commit off (one transaction per check).
    pub batch_max_events: usize,
    /// `GLASSBOX__LOG__BATCH_MAX_WAIT_MICROS` (default 1000): how long the log writer waits
    /// for more events after the first of a batch before it commits.
    pub batch_max_wait_micros: u64,
    /// `GLASSBOX__LOG__CHECKPOINT_INTERVAL_MS` (default 1000): how often a new checkpoint is
    /// signed while the log grows.
    pub checkpoint_interval_ms: u64,
    /// `GLASSBOX__LOG__PROOF_CACHE_MB` (default 64): memory for the Merkle tree hashes kept
    /// in process for proofs and checkpoints (at most 112 bytes per hash, about 91 measured;
    /// two hashes per event: 64 MB holds the whole tree of about 300,000 events, and of a
    /// larger log the upper levels, which every proof reads, and the newest leaves). A proof
    /// whose hashes are all held costs no query. 0 keeps none: every proof then reads the
    /// database. Each instance holds its own; raise it to about 220 MB per million events to
    /// serve every proof from memory.
    pub proof_cache_mb: u64,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            origin: None,
            batch_max_events: 1000,
            batch_max_wait_micros: 1000,
            checkpoint_interval_ms: 1000,
            proof_cache_mb: 64,
        }
    }
}

impl LogSettings {
    /// The log's name: `origin` when set, else `<host of public_url>/log`.
    pub fn origin_for(&self, public_url: &str) -> String {
        if let Some(o) = self
            .origin
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            return o.to_string();
        }
        let host = public_url
            .split_once("://")
            .map_or(public_url, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or("glassbox");
        format!("{host}/log")
    }
}

/// Staff console settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffSettings {
    /// `GLASSBOX__STAFF__ALLOWED_NETWORKS` (default: any): comma-separated CIDR blocks
    /// (`10.0.0.0/8,fd00::/8`) from which staff may sign in and use the console. Enforced
    /// on the server for every staff request.
    pub allowed_networks: Vec<ipnet::IpNet>,
    /// `GLASSBOX__STAFF__TRUSTED_PROXY_HEADER` (default: none): the header (e.g.
    /// `x-forwarded-for`) whose first address is the client's, when Glassbox runs behind a
    /// proxy that sets it. Never set it without such a proxy: clients could forge it.
    pub trusted_proxy_header: Option<String>,
}

impl StaffSettings {
    /// Whether staff may work from `ip`.
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.allowed_networks.is_empty() || self.allowed_networks.iter().any(|n| n.contains(&ip))
    }
}

/// Service API settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// `GLASSBOX__API__RATE_LIMIT_PER_SECOND` (default 200): sustained requests per second
    /// per service token; 0 switches the limit off.
    pub rate_limit_per_second: u32,
    /// `GLASSBOX__API__RATE_LIMIT_BURST` (default 400): how many requests a token may send at once.
    pub rate_limit_burst: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            rate_limit_per_second: 200,
            rate_limit_burst: 400,
        }
    }
}

/// Where Glassbox runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// A developer's machine or the demo.
    #[default]
    Local,
    /// Real users: every safety check applies.
    Production,
}

/// HTTP listener settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// `GLASSBOX__HTTP__BIND` (default `127.0.0.1:3000`): listen address; port 0 picks a free port.
    pub bind: SocketAddr,
    /// `GLASSBOX__HTTP__REQUEST_TIMEOUT_SECONDS` (default 30): longer requests get 408.
    pub request_timeout_seconds: u64,
    /// `GLASSBOX__HTTP__BODY_LIMIT_BYTES` (default 65536): larger bodies get 413.
    pub body_limit_bytes: usize,
    /// `GLASSBOX__HTTP__SITE_ROOT` (default `target/site`): where the built browser bundle
    /// (`pkg/glassbox.js`, `pkg/glassbox_bg.wasm`) is served from.
    pub site_root: PathBuf,
}

/// Database settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `GLASSBOX__DATABASE__URL` (default `sqlite://<data_dir>/glassbox.db`): a `sqlite://` or
    /// `postgres://` URL. May hold a password: printed masked.
    #[serde(serialize_with = "mask_opt_secret")]
    pub url: Option<SecretString>,
    /// `GLASSBOX__DATABASE__MAX_CONNECTIONS` (default 10).
    pub max_connections: u32,
}

/// Session settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// `GLASSBOX__SESSION__SECURE_COOKIE` (default: on when `PUBLIC_URL` is https): mark the
    /// session cookie `Secure`. Must be on in production.
    pub secure_cookie: Option<bool>,
    /// `GLASSBOX__SESSION__OWNER_IDLE_MINUTES` (default 60): an owner's session ends after this long unused.
    pub owner_idle_minutes: i64,
    /// `GLASSBOX__SESSION__STAFF_IDLE_MINUTES` (default 15): a staff session ends after this long unused.
    pub staff_idle_minutes: i64,
    /// `GLASSBOX__SESSION__CLEANUP_INTERVAL_SECONDS` (default 600): how often expired sessions are deleted.
    pub cleanup_interval_seconds: u64,
    /// `GLASSBOX__SESSION__STAFF_ABSOLUTE_HOURS` (default 8): a staff session ends this long
    /// after sign-in, however active.
    pub staff_absolute_hours: i64,
}

/// Sign-in settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// `GLASSBOX__AUTH__DEMO_SIGN_IN` (default: on in local, off in production): one-click demo
    /// identities. Refused in production and when listening beyond loopback.
    pub demo_sign_in: Option<bool>,
    /// The owners' OpenID Connect provider (`GLASSBOX__AUTH__OIDC__ISSUER`, `__CLIENT_ID`, `__CLIENT_SECRET`).
    pub oidc: Option<OidcSettings>,
    /// The staff OpenID Connect provider (`GLASSBOX__AUTH__STAFF_OIDC__…`), same shape;
    /// the owners' provider when unset.
    pub staff_oidc: Option<OidcSettings>,
    /// `GLASSBOX__AUTH__STEP_UP_MINUTES` (default 10): approving a request needs a sign-in
    /// at the provider within this many minutes; older sessions are sent to sign in again.
    pub step_up_minutes: i64,
    /// `GLASSBOX__AUTH__TOTP_MAX_ATTEMPTS` (default 5): wrong codes allowed before the staff
    /// member has to start the sign-in again.
    pub totp_max_attempts: u32,
    /// `GLASSBOX__AUTH__SIGN_IN_PER_MINUTE` (default 20): sign-in requests (starts,
    /// callbacks, codes, demo sign-ins) one client address may make per minute, after a
    /// burst of 10; more get 429 with `Retry-After`. 0 switches the limit off.
    pub sign_in_per_minute: u32,
}

/// One OpenID Connect client registration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The issuer URL, exactly as the provider states it.
    pub issuer: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret. Printed masked.
    #[serde(serialize_with = "mask_secret")]
    pub client_secret: SecretString,
    /// `…__EMAIL_CLAIM` (default `email`): the ID-token claim that holds the person's email
    /// address (owners: their mailbox; staff: their work address the first time).
    #[serde(default = "default_email_claim")]
    pub email_claim: String,
    /// `…__EMAIL_VERIFIED_CLAIM` (default `email_verified`): the claim by which the provider
    /// says it verified that address (`true` or `"true"`). Set it empty only for a provider
    /// that puts nothing but addresses it owns into `email_claim` (a company directory's `upn`).
    #[serde(default = "default_email_verified_claim")]
    pub email_verified_claim: String,
}

fn default_email_claim() -> String {
    "email".into()
}

fn default_email_verified_claim() -> String {
    "email_verified".into()
}

impl OidcSettings {
    /// A registration with the standard email claims.
    pub fn new(issuer: String, client_id: String, client_secret: SecretString) -> Self {
        Self {
            issuer,
            client_id,
            client_secret,
            email_claim: default_email_claim(),
            email_verified_claim: default_email_verified_claim(),
        }
    }
}

/// Email settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSettings {
    /// `GLASSBOX__EMAIL__BACKEND` (default `dev`): `smtp`, or `dev` (kept locally and shown at
    /// `/dev/mailbox`). Must be `smtp` in production.
    pub backend: EmailBackend,
    /// `GLASSBOX__EMAIL__FROM` (default `Glassbox <glassbox@localhost>`): the sender.
    pub from: String,
    /// The SMTP server (`GLASSBOX__EMAIL__SMTP__HOST`, `__PORT`, `__TLS`, `__USERNAME`,
    /// `__PASSWORD`, `__TIMEOUT_SECONDS`, `__POOL_SIZE`).
    pub smtp: SmtpSettings,
    /// `GLASSBOX__EMAIL__SEND` (default true): run the email sender in this instance (turn it
    /// off on instances that should only serve pages; any one instance with it on sends
    /// everything).
    pub send: bool,
    /// `GLASSBOX__EMAIL__BATCH_SIZE` (default 32): how many queued emails one sender claims
    /// at a time (they are sent concurrently over the connection pool).
    pub batch_size: i64,
    /// `GLASSBOX__EMAIL__POLL_INTERVAL_MS` (default 1000): how long an idle sender waits
    /// before looking for new emails.
    pub poll_interval_ms: u64,
    /// `GLASSBOX__EMAIL__LEASE_SECONDS` (default 120): a claimed email whose sender has not
    /// finished after this long (it died) is sent again. Longer than the SMTP timeout.
    pub lease_seconds: i64,
    /// `GLASSBOX__EMAIL__RETRY_BASE_SECONDS` (default 30): the first wait after a temporary
    /// failure; it doubles with every attempt, with random jitter.
    pub retry_base_seconds: i64,
    /// `GLASSBOX__EMAIL__RETRY_MAX_SECONDS` (default 3600): the longest wait between attempts.
    pub retry_max_seconds: i64,
    /// `GLASSBOX__EMAIL__MAX_ATTEMPTS` (default 12): after this many temporary failures an
    /// email is marked failed (about 8 hours with the defaults).
    pub max_attempts: i32,
    /// `GLASSBOX__EMAIL__MAX_PER_SECOND` (default 0, no limit): the most emails one sender
    /// hands to the SMTP server per second.
    pub max_per_second: u32,
    /// `GLASSBOX__EMAIL__NOTICE_INTERVAL_SECONDS` (default 30): how often first-access
    /// notices and due daily digests are looked for.
    pub notice_interval_seconds: u64,
}

/// How email leaves Glassbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailBackend {
    /// A local mailbox for development and the demo.
    #[default]
    Dev,
    /// A real SMTP server.
    Smtp,
}

/// An SMTP server.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    /// Host name.
    pub host: String,
    /// Port (default 587).
    pub port: u16,
    /// `starttls` (default), `implicit` or `none`.
    pub tls: SmtpTls,
    /// User name, if the server wants one.
    pub username: Option<String>,
    /// Password. Printed masked.
    #[serde(serialize_with = "mask_opt_secret")]
    pub password: Option<SecretString>,
    /// `GLASSBOX__EMAIL__SMTP__TIMEOUT_SECONDS` (default 10): connecting and each SMTP
    /// command give up after this long (a temporary failure: retried later).
    pub timeout_seconds: u64,
    /// `GLASSBOX__EMAIL__SMTP__POOL_SIZE` (default 16): open SMTP connections kept and reused.
    pub pool_size: u32,
    /// `GLASSBOX__EMAIL__SMTP__CA_FILE` (default: none, the public web roots only): a PEM
    /// file of extra root certificates to trust, for a server with a private CA.
    pub ca_file: Option<PathBuf>,
}

/// Transport security for SMTP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Upgrade a plain connection (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No encryption (only for a local relay or tests).
    None,
}

/// Secrets.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// `GLASSBOX__SECURITY__SECRET_KEY`: keys the hashes of tokens. The built-in default is
    /// refused in production. Printed masked.
    #[serde(serialize_with = "mask_secret")]
    pub secret_key: SecretString,
}

/// What affected owners are told to do and whom to contact after an incident.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// `GLASSBOX__INCIDENTS__PASSWORD_URL`: the provider's page for changing a mailbox
    /// password, linked from incident notices. Empty (the local default): owners are told to
    /// change it in their mail account's settings, without a link. Required in production.
    pub password_url: String,
    /// `GLASSBOX__INCIDENTS__CONTACT`: where owners can ask questions (an address or a page).
    pub contact: String,
    /// `GLASSBOX__INCIDENTS__NOTICE_BATCH` (default 1000): notices queued per transaction, so a
    /// large incident never holds the database for long.
    pub notice_batch: i64,
}

impl Default for IncidentSettings {
    fn default() -> Self {
        Self {
            password_url: String::new(),
            contact: "security@localhost".into(),
            notice_batch: 1000,
        }
    }
}

/// Access request defaults and limits.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestSettings {
    /// `GLASSBOX__REQUESTS__PENDING_EXPIRY_MINUTES` (default 1440): an undecided request expires after this.
    pub pending_expiry_minutes: i64,
    /// `GLASSBOX__REQUESTS__DEFAULT_GRANT_MINUTES` (default 60).
    pub default_grant_minutes: i64,
    /// `GLASSBOX__REQUESTS__MAX_GRANT_MINUTES` (default 480).
    pub max_grant_minutes: i64,
    /// `GLASSBOX__REQUESTS__SWEEP_INTERVAL_SECONDS` (default 30): how often expiries and grant
    /// ends are written down (checks never depend on it: they compare times themselves).
    pub sweep_interval_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: Environment::Local,
            data_dir: PathBuf::from("data"),
            public_url: "http://127.0.0.1:3000".into(),
            http: HttpSettings::default(),
            database: DatabaseSettings::default(),
            session: SessionSettings::default(),
            auth: AuthSettings::default(),
            email: EmailSettings::default(),
            incidents: IncidentSettings::default(),
            security: SecuritySettings::default(),
            requests: RequestSettings::default(),
            api: ApiSettings::default(),
            staff: StaffSettings::default(),
            log: LogSettings::default(),
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            request_timeout_seconds: 30,
            body_limit_bytes: 64 * 1024,
            site_root: PathBuf::from("target/site"),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 10,
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            secure_cookie: None,
            owner_idle_minutes: 60,
            staff_idle_minutes: 15,
            cleanup_interval_seconds: 600,
            staff_absolute_hours: 8,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            demo_sign_in: None,
            oidc: None,
            staff_oidc: None,
            step_up_minutes: 10,
            totp_max_attempts: 5,
            sign_in_per_minute: 20,
        }
    }
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            backend: EmailBackend::Dev,
            from: "Glassbox <glassbox@localhost>".into(),
            smtp: SmtpSettings::default(),
            send: true,
            batch_size: 32,
            poll_interval_ms: 1000,
            lease_seconds: 120,
            retry_base_seconds: 30,
            retry_max_seconds: 3600,
            max_attempts: 12,
            max_per_second: 0,
            notice_interval_seconds: 30,
        }
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            timeout_seconds: 10,
            pool_size: 16,
            ca_file: None,
        }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            secret_key: SecretString::from(INSECURE_DEFAULT_SECRET),
        }
    }
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            pending_expiry_minutes: 24 * 60,
            default_grant_minutes: 60,
            max_grant_minutes: 8 * 60,
            sweep_interval_seconds: 30,
        }
    }
}

/// Why the configuration could not be used. Each message names the exact key to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read or parsed.
    #[error("could not read the configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// The values contradict the safety rules.
    #[error("the configuration is not safe to start with:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

impl Settings {
    /// Loads the layered configuration from the process environment and validates it.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("GLASSBOX_CONFIG").ok();
        Self::load_from(file.as_deref(), std::env::vars())
    }

    /// Loads the configuration from an optional TOML file and the given environment.
    pub fn load_from(
        file: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("GLASSBOX__"))
            .collect();
        let builder = config::Config::builder();
        let builder = match file {
            Some(path) => builder.add_source(config::File::with_name(path).required(true)),
            None => builder.add_source(config::File::with_name("glassbox.toml").required(false)),
        };
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("GLASSBOX")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("staff.allowed_networks")
                    .source(Some(env)),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Refuses settings that would be unsafe, naming each offending key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let loopback = self.http.bind.ip().is_loopback();
        if self.auth.demo_sign_in == Some(true) && !loopback {
            problems.push(format!(
                "GLASSBOX__AUTH__DEMO_SIGN_IN is on but GLASSBOX__HTTP__BIND ({}) is not a loopback address; demo sign-in is only for a local machine",
                self.http.bind
            ));
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            problems.push(format!(
                "GLASSBOX__PUBLIC_URL ({}) must start with http:// or https://",
                self.public_url
            ));
        }
        if self.requests.max_grant_minutes < 1 || self.requests.default_grant_minutes < 1 {
            problems.push("GLASSBOX__REQUESTS__DEFAULT_GRANT_MINUTES and __MAX_GRANT_MINUTES must be at least 1".into());
        } else if self.requests.default_grant_minutes > self.requests.max_grant_minutes {
            problems.push("GLASSBOX__REQUESTS__DEFAULT_GRANT_MINUTES must not exceed GLASSBOX__REQUESTS__MAX_GRANT_MINUTES".into());
        }
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            problems.push(format!(
                "GLASSBOX__EMAIL__FROM ({}) must be an address such as `Glassbox <glassbox@example.org>`",
                self.email.from
            ));
        }
        if self.email.batch_size < 1
            || self.email.max_attempts < 1
            || self.email.retry_base_seconds < 1
        {
            problems.push("GLASSBOX__EMAIL__BATCH_SIZE, __MAX_ATTEMPTS and __RETRY_BASE_SECONDS must be at least 1".into());
        }
        if self.email.lease_seconds <= self.email.smtp.timeout_seconds as i64 {
            problems.push("GLASSBOX__EMAIL__LEASE_SECONDS must be longer than GLASSBOX__EMAIL__SMTP__TIMEOUT_SECONDS, or emails still being sent would be sent twice".into());
        }
        if self.requests.pending_expiry_minutes < 1 {
            problems.push("GLASSBOX__REQUESTS__PENDING_EXPIRY_MINUTES must be at least 1".into());
        }
        if !(1..=10_000).contains(&self.incidents.notice_batch) {
            problems.push("GLASSBOX__INCIDENTS__NOTICE_BATCH must be between 1 and 10000".into());
        }
        if !(self.incidents.password_url.is_empty()
            || self.incidents.password_url.starts_with("https://")
            || self.incidents.password_url.starts_with("http://"))
        {
            problems.push("GLASSBOX__INCIDENTS__PASSWORD_URL must be an http(s) address".into());
        }
        if self.environment == Environment::Production {
            if self.incidents.password_url.is_empty()
                || self.incidents.contact == IncidentSettings::default().contact
            {
                problems.push("GLASSBOX__INCIDENTS__PASSWORD_URL and GLASSBOX__INCIDENTS__CONTACT must name your own password page and contact in production".into());
            }
            if self.auth.demo_sign_in == Some(true) {
                problems.push("GLASSBOX__AUTH__DEMO_SIGN_IN must be off in production".into());
            }
            if self.email.backend != EmailBackend::Smtp {
                problems.push("GLASSBOX__EMAIL__BACKEND must be `smtp` in production".into());
            }
            if !self.secure_cookies() {
                problems.push("session cookies must be Secure in production: use an https GLASSBOX__PUBLIC_URL and do not set GLASSBOX__SESSION__SECURE_COOKIE=false".into());
            }
            if self.auth.oidc.is_none() {
                problems.push("GLASSBOX__AUTH__OIDC__ISSUER, __CLIENT_ID and __CLIENT_SECRET must be set in production".into());
            }
            if self.security.secret_key.expose_secret() == INSECURE_DEFAULT_SECRET {
                problems.push("GLASSBOX__SECURITY__SECRET_KEY must be set to a secret of your own in production".into());
            } else if self.security.secret_key.expose_secret().len() < 32 {
                problems
                    .push("GLASSBOX__SECURITY__SECRET_KEY must be at least 32 characters".into());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Whether the one-click demo sign-in is available.
    pub fn demo_sign_in(&self) -> bool {
        self.environment == Environment::Local
            && self.http.bind.ip().is_loopback()
            && self.auth.demo_sign_in.unwrap_or(true)
    }

    /// Whether the session cookie is marked `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.session
            .secure_cookie
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> SecretString {
        match &self.database.url {
            Some(url) => url.clone(),
            None => SecretString::from(format!("sqlite://{}/glassbox.db", self.data_dir.display())),
        }
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# could not render the configuration: {e}\n"))
    }
}

fn mask_secret<S: Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("***")
}

fn mask_opt_secret<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("***"),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load_from(
            None,
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn with_nothing_configured_it_serves_locally_on_sqlite_with_demo_sign_in() {
        let s = load(&[]).unwrap();
        assert_eq!(s.http.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(
            s.database_url().expose_secret(),
            "sqlite://data/glassbox.db"
        );
        assert_eq!(s.email.backend, EmailBackend::Dev);
        assert!(s.demo_sign_in());
        assert!(!s.secure_cookies());
    }

    #[test]
    fn environment_variables_override_nested_keys() {
        let s = load(&[
            ("GLASSBOX__HTTP__BIND", "127.0.0.1:4000"),
            ("GLASSBOX__DATABASE__URL", "postgres://u:pw@db/glassbox"),
            ("GLASSBOX__EMAIL__SMTP__PORT", "2525"),
            ("GLASSBOX__AUTH__DEMO_SIGN_IN", "false"),
        ])
        .unwrap();
        assert_eq!(s.http.bind.port(), 4000);
        assert_eq!(
            s.database_url().expose_secret(),
            "postgres://u:pw@db/glassbox"
        );
        assert_eq!(s.email.smtp.port, 2525);
        assert!(!s.demo_sign_in());
    }

    #[test]
    fn production_refuses_every_unsafe_default_and_names_each_key() {
        let err = load(&[("GLASSBOX__ENVIRONMENT", "production")])
            .unwrap_err()
            .to_string();
        for key in [
            "GLASSBOX__EMAIL__BACKEND",
            "GLASSBOX__PUBLIC_URL",
            "GLASSBOX__AUTH__OIDC__ISSUER",
            "GLASSBOX__SECURITY__SECRET_KEY",
        ] {
            assert!(err.contains(key), "{key} missing from: {err}");
        }
    }

    #[test]
    fn production_refuses_demo_sign_in_switched_on() {
        let err = load(&[
            ("GLASSBOX__ENVIRONMENT", "production"),
            ("GLASSBOX__AUTH__DEMO_SIGN_IN", "true"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("GLASSBOX__AUTH__DEMO_SIGN_IN must be off in production"));
    }

    #[test]
    fn a_safe_production_configuration_starts() {
        let s = load(&[
            ("GLASSBOX__ENVIRONMENT", "production"),
            ("GLASSBOX__PUBLIC_URL", "https://glassbox.example.org"),
            ("GLASSBOX__HTTP__BIND", "0.0.0.0:3000"),
            ("GLASSBOX__EMAIL__BACKEND", "smtp"),
            ("GLASSBOX__AUTH__OIDC__ISSUER", "https://id.example.org"),
            ("GLASSBOX__AUTH__OIDC__CLIENT_ID", "glassbox"),
            ("GLASSBOX__AUTH__OIDC__CLIENT_SECRET", "s3cret"),
            (
                "GLASSBOX__SECURITY__SECRET_KEY",
                "0123456789abcdef0123456789abcdef-prod",
            ),
            (
                "GLASSBOX__INCIDENTS__PASSWORD_URL",
                "https://mail.example.org/settings/password",
            ),
            ("GLASSBOX__INCIDENTS__CONTACT", "security@example.org"),
        ])
        .unwrap();
        assert!(!s.demo_sign_in());
        assert!(s.secure_cookies());
    }

    #[test]
    fn demo_sign_in_is_refused_off_loopback() {
        let err = load(&[
            ("GLASSBOX__HTTP__BIND", "0.0.0.0:3000"),
            ("GLASSBOX__AUTH__DEMO_SIGN_IN", "true"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a loopback address"));
        // left unset, it silently stays off beyond loopback
        assert!(!load(&[("GLASSBOX__HTTP__BIND", "0.0.0.0:3000")])
            .unwrap()
            .demo_sign_in());
    }

    #[test]
    fn the_printed_configuration_masks_every_secret() {
        let s = load(&[
            (
                "GLASSBOX__DATABASE__URL",
                "postgres://u:hunter2@db/glassbox",
            ),
            ("GLASSBOX__EMAIL__SMTP__PASSWORD", "mailpw"),
            ("GLASSBOX__SECURITY__SECRET_KEY", "topsecretkey"),
        ])
        .unwrap();
        let printed = s.to_masked_toml();
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("mailpw"));
        assert!(!printed.contains("topsecretkey"));
        assert!(printed.contains("***"));
        assert!(printed.contains("bind = \"127.0.0.1:3000\""));
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn staff_networks_are_a_comma_separated_list_of_cidr_blocks() {
        let s = load(&[("GLASSBOX__STAFF__ALLOWED_NETWORKS", "10.0.0.0/8,fd00::/8")]).unwrap();
        assert!(s.staff.allows("10.1.2.3".parse().unwrap()));
        assert!(s.staff.allows("fd00::1".parse().unwrap()));
        assert!(!s.staff.allows("127.0.0.1".parse().unwrap()));
        assert!(load(&[("GLASSBOX__STAFF__ALLOWED_NETWORKS", "10.0.0.0/33")]).is_err());
        assert!(
            Settings::default()
                .staff
                .allows("203.0.113.9".parse().unwrap()),
            "no list: anywhere"
        );
    }

    #[test]
    fn email_settings_that_would_lose_or_duplicate_mail_are_refused_by_name() {
        let err = load(&[("GLASSBOX__EMAIL__FROM", "not an address")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("GLASSBOX__EMAIL__FROM"), "{err}");
        let err = load(&[
            ("GLASSBOX__EMAIL__LEASE_SECONDS", "10"),
            ("GLASSBOX__EMAIL__SMTP__TIMEOUT_SECONDS", "30"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("GLASSBOX__EMAIL__LEASE_SECONDS"), "{err}");
        let s = load(&[
            ("GLASSBOX__EMAIL__BACKEND", "smtp"),
            ("GLASSBOX__EMAIL__SMTP__TLS", "implicit"),
            ("GLASSBOX__EMAIL__SMTP__POOL_SIZE", "4"),
            ("GLASSBOX__EMAIL__MAX_PER_SECOND", "50"),
        ])
        .unwrap();
        assert_eq!(s.email.smtp.tls, SmtpTls::Implicit);
        assert_eq!(s.email.smtp.pool_size, 4);
        assert_eq!(s.email.max_per_second, 50);
    }

    #[test]
    fn an_unknown_key_is_an_error_not_silently_ignored() {
        assert!(load(&[("GLASSBOX__HTTP__BINDD", "127.0.0.1:1")]).is_err());
    }
}
