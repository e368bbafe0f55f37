//! `GLASSBOX__EMAIL__…`: how email leaves Glassbox (the SMTP server, or the local dev
//! mailbox) and how the sender paces, retries and gives up.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use super::{mask_opt_secret, Environment};

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

impl EmailSettings {
    /// The problems in this section (the SMTP server included), each naming its key.
    pub fn validate(&self, environment: Environment) -> Vec<String> {
        let mut problems = Vec::new();
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            problems.push(format!(
                "GLASSBOX__EMAIL__FROM ({}) must be an address such as `Glassbox <glassbox@example.org>`",
                self.from
            ));
        }
        if self.batch_size < 1 || self.max_attempts < 1 || self.retry_base_seconds < 1 {
            problems.push("GLASSBOX__EMAIL__BATCH_SIZE, __MAX_ATTEMPTS and __RETRY_BASE_SECONDS must be at least 1".into());
        }
        if self.lease_seconds <= self.smtp.timeout_seconds as i64 {
            problems.push("GLASSBOX__EMAIL__LEASE_SECONDS must be longer than GLASSBOX__EMAIL__SMTP__TIMEOUT_SECONDS, or emails still being sent would be sent twice".into());
        }
        if environment == Environment::Production && self.backend != EmailBackend::Smtp {
            problems.push("GLASSBOX__EMAIL__BACKEND must be `smtp` in production".into());
        }
        problems
    }
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
    /// `GLASSBOX__EMAIL__SMTP__HOST` (default `localhost`): the server's host name, also the
    /// name its TLS certificate must carry.
    pub host: String,
    /// `GLASSBOX__EMAIL__SMTP__PORT` (default 587).
    pub port: u16,
    /// `GLASSBOX__EMAIL__SMTP__TLS`: `starttls` (default), `implicit` or `none`.
    pub tls: SmtpTls,
    /// `GLASSBOX__EMAIL__SMTP__USERNAME` (default: none, no authentication).
    pub username: Option<String>,
    /// `GLASSBOX__EMAIL__SMTP__PASSWORD` (default: none). Printed masked.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_shorter_than_the_smtp_timeout_is_refused_by_name() {
        let email = EmailSettings {
            lease_seconds: 5,
            ..EmailSettings::default()
        };
        let problems = email.validate(Environment::Local);
        assert!(
            problems[0].contains("GLASSBOX__EMAIL__LEASE_SECONDS"),
            "{problems:?}"
        );
        assert!(EmailSettings::default()
            .validate(Environment::Local)
            .is_empty());
    }
}
