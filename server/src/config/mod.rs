//! One typed settings tree. Sources, later ones winning: built-in defaults → an optional
//! TOML file (`glassbox.toml` in the working directory, or the path in `GLASSBOX_CONFIG`) →
//! environment variables `GLASSBOX__SECTION__KEY`. No global state: the tree is passed to
//! [`crate::startup::Application::build`], so tests build their own.
//!
//! One file per section (`GLASSBOX__<SECTION>__…`): each holds its struct, its defaults and
//! its `validate()`, which returns the problems it finds, each naming the exact key. A new
//! section adds its file here, a field to [`Settings`], and a line to [`Settings::validate`].

use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};
use std::path::PathBuf;

mod api;
mod auth;
mod database;
mod dovecot;
mod email;
mod http;
mod incidents;
mod log;
mod metrics;
mod public_url;
mod requests;
mod security;
mod session;
mod staff;

pub use api::ApiSettings;
pub use auth::{AuthSettings, OidcSettings};
pub use database::DatabaseSettings;
pub use dovecot::DovecotSettings;
pub use email::{EmailBackend, EmailSettings, SmtpSettings, SmtpTls};
pub use http::HttpSettings;
pub use incidents::IncidentSettings;
pub use log::{LogSettings, WitnessEndpoint};
pub use metrics::MetricsSettings;
pub use public_url::PublicUrl;
pub use requests::RequestSettings;
pub use security::SecuritySettings;
pub use session::SessionSettings;
pub use staff::StaffSettings;

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
    pub public_url: PublicUrl,
    /// The listener and request limits (`GLASSBOX__HTTP__…`).
    pub http: HttpSettings,
    /// Which database and its pool (`GLASSBOX__DATABASE__…`).
    pub database: DatabaseSettings,
    /// Session lifetimes and the cookie (`GLASSBOX__SESSION__…`).
    pub session: SessionSettings,
    /// Sign-in settings.
    pub auth: AuthSettings,
    /// How email is sent and retried (`GLASSBOX__EMAIL__…`).
    pub email: EmailSettings,
    /// What incident notices tell owners (`GLASSBOX__INCIDENTS__…`).
    pub incidents: IncidentSettings,
    /// Secrets.
    pub security: SecuritySettings,
    /// Access request defaults and limits.
    pub requests: RequestSettings,
    /// Service API settings.
    pub api: ApiSettings,
    /// Where staff may work from (`GLASSBOX__STAFF__…`).
    pub staff: StaffSettings,
    /// Verifiable access log settings.
    pub log: LogSettings,
    /// The metrics endpoint (`GLASSBOX__METRICS__…`).
    pub metrics: MetricsSettings,
    /// The Dovecot integration (`GLASSBOX__DOVECOT__…`).
    pub dovecot: DovecotSettings,
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

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: Environment::Local,
            data_dir: PathBuf::from("data"),
            public_url: PublicUrl::default(),
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
            metrics: MetricsSettings::default(),
            dovecot: DovecotSettings::default(),
        }
    }
}

/// Why the configuration could not be used. Each message names the exact key to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read or parsed. The cause is in the message and deliberately
    /// not a `source()`: printed with its chain (`{:#}`), it would appear twice.
    #[error("could not read the configuration: {0}")]
    Load(config::ConfigError),
    /// The values contradict the safety rules.
    #[error("the configuration is not safe to start with:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

impl From<config::ConfigError> for ConfigError {
    fn from(e: config::ConfigError) -> Self {
        Self::Load(e)
    }
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
                    .with_list_parse_key("log.witnesses")
                    .source(Some(env)),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Refuses settings that would be unsafe, naming each offending key. Each section checks
    /// its own keys; the rules that span sections (demo sign-in and the listener, the public
    /// URL and secure cookies) are checked here. (`GLASSBOX__PUBLIC_URL` itself is checked as
    /// it is read: see [`PublicUrl::parse`].)
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let loopback = self.http.bind.ip().is_loopback();
        if self.auth.demo_sign_in == Some(true) && !loopback {
            problems.push(format!(
                "GLASSBOX__AUTH__DEMO_SIGN_IN is on but GLASSBOX__HTTP__BIND ({}) is not a loopback address; demo sign-in is only for a local machine",
                self.http.bind
            ));
        }
        let environment = self.environment;
        problems.extend(self.http.validate());
        problems.extend(self.database.validate());
        problems.extend(self.session.validate());
        problems.extend(self.requests.validate());
        problems.extend(self.email.validate(environment));
        problems.extend(self.incidents.validate(environment));
        problems.extend(self.auth.validate(environment));
        problems.extend(self.security.validate(environment));
        problems.extend(self.staff.validate());
        problems.extend(self.log.validate());
        if let Some(metrics) = self.metrics.bind {
            if metrics == self.http.bind && metrics.port() != 0 {
                problems.push(format!(
                    "GLASSBOX__METRICS__BIND ({metrics}) must not be the public GLASSBOX__HTTP__BIND: metrics are for the operator only"
                ));
            }
        }
        problems.extend(self.dovecot.validate());
        if environment == Environment::Production && !self.secure_cookies() {
            problems.push("session cookies must be Secure in production: use an https GLASSBOX__PUBLIC_URL and do not set GLASSBOX__SESSION__SECURE_COOKIE=false".into());
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
            .unwrap_or_else(|| self.public_url.is_https())
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

/// Serialises a secret as `***`, so `glassbox config` can be pasted anywhere.
pub(crate) fn mask_secret<S: Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("***")
}

/// Serialises a secret that may be unset as `***`, or nothing when unset.
pub(crate) fn mask_opt_secret<S: Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("***"),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

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
    fn a_public_url_that_is_not_http_is_refused_at_start_up_by_name() {
        let err = load(&[("GLASSBOX__PUBLIC_URL", "glassbox.example.org")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("GLASSBOX__PUBLIC_URL"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_an_error_not_silently_ignored() {
        assert!(load(&[("GLASSBOX__HTTP__BINDD", "127.0.0.1:1")]).is_err());
    }
}
