//! Email: the [`Mailer`] that hands one outbox row to a transport, and the typed notices
//! ([`messages`]) that become outbox rows. Nothing here is called from a request: services
//! queue rows in their own transactions and the sender ([`crate::jobs::outbox`]) calls
//! [`Mailer::send`].
//!
//! Backends: SMTP (lettre, pooled, with timeouts and STARTTLS / implicit TLS / plain; plain
//! and STARTTLS connections with `TCP_NODELAY`, see [`smtp`]);
//! `dev`, which accepts everything so the rows stay readable at `/dev/mailbox`; and an
//! in-memory backend for tests, which can also be told to fail.

pub mod messages;
mod smtp;

use crate::config::{EmailBackend, EmailSettings, SmtpTls};
use crate::db::outbox::ClaimedMessage;
use anyhow::Context as _;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a message was not sent, and whether trying again may help.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A 4xx reply, a refused or dropped connection, a timeout: try again later.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// A 5xx reply or a message that cannot be built (a bad address): never retried.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// A message as the in-memory backend keeps it.
#[derive(Clone, Debug)]
pub struct CapturedEmail {
    /// Recipient.
    pub to: String,
    /// Stable Message-ID.
    pub message_id: String,
    /// The whole message as it would go over the wire.
    pub raw: String,
}

/// The in-memory backend's store, shared with the test that reads it.
#[derive(Clone, Debug, Default)]
pub struct MemoryMailbox {
    sent: Arc<Mutex<Vec<CapturedEmail>>>,
    fail_next: Arc<Mutex<Vec<SendError>>>,
}

impl MemoryMailbox {
    /// Everything sent so far.
    pub fn sent(&self) -> Vec<CapturedEmail> {
        match self.sent.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The next sends fail with these errors, in order.
    pub fn fail_next(&self, errors: Vec<SendError>) {
        let mut g = match self.fail_next.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.extend(errors);
    }

    fn take_failure(&self) -> Option<SendError> {
        let mut g = match self.fail_next.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        (!g.is_empty()).then(|| g.remove(0))
    }

    fn push(&self, email: CapturedEmail) {
        match self.sent.lock() {
            Ok(mut g) => g.push(email),
            Err(p) => p.into_inner().push(email),
        }
    }
}

#[derive(Clone)]
enum Backend {
    /// Plain or STARTTLS: lettre's connections in Glassbox's pool, with `TCP_NODELAY`.
    Smtp(smtp::Pool),
    /// Implicit TLS: lettre's own pooled transport (it opens the TLS socket itself, without
    /// `TCP_NODELAY`: each message waits for the server's delayed ACK).
    SmtpImplicitTls(AsyncSmtpTransport<Tokio1Executor>),
    Dev,
    Memory(MemoryMailbox),
}

/// Sends outbox rows through the configured transport. Cheap to clone (the SMTP pool is
/// shared).
#[derive(Clone)]
pub struct Mailer {
    backend: Backend,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.backend {
            Backend::Smtp(_) | Backend::SmtpImplicitTls(_) => "smtp",
            Backend::Dev => "dev",
            Backend::Memory(_) => "memory",
        };
        f.debug_struct("Mailer").field("backend", &backend).finish()
    }
}

impl Mailer {
    /// The mailer the settings describe. The SMTP pool connects lazily, on the first send.
    pub fn from_settings(settings: &EmailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .from
            .parse()
            .context("GLASSBOX__EMAIL__FROM is not an email address such as `Glassbox <glassbox@example.org>`")?;
        let backend = match settings.backend {
            EmailBackend::Dev => Backend::Dev,
            EmailBackend::Smtp => smtp_backend(settings)?,
        };
        Ok(Self { backend, from })
    }

    /// A mailer that keeps messages in memory (tests), and the handle to read them.
    pub fn memory(from: &str) -> anyhow::Result<(Self, MemoryMailbox)> {
        let mailbox = MemoryMailbox::default();
        let from = from.parse().context("bad sender address")?;
        Ok((
            Self {
                backend: Backend::Memory(mailbox.clone()),
                from,
            },
            mailbox,
        ))
    }

    /// Whether messages stay local (shown at `/dev/mailbox`) instead of leaving.
    pub fn is_dev(&self) -> bool {
        matches!(self.backend, Backend::Dev)
    }

    /// Builds the message for one outbox row: multipart text + HTML, the row's stable
    /// Message-ID, `Auto-Submitted`, and `List-Unsubscribe` (one-click) when it has one.
    pub fn build(&self, m: &ClaimedMessage) -> Result<Message, SendError> {
        let to: Mailbox = m.recipient.parse().map_err(|e| {
            SendError::Permanent(format!("the recipient address is not valid: {e}"))
        })?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(m.message_id.clone()))
            .raw_header(raw_header("Auto-Submitted", "auto-generated")?)
            .raw_header(raw_header("X-Glassbox-Notice", &m.kind)?)
            .raw_header(raw_header(
                "X-Glassbox-Idempotency-Key",
                &m.idempotency_key,
            )?);
        if let Some(url) = &m.list_unsubscribe {
            builder = builder
                .raw_header(raw_header("List-Unsubscribe", &format!("<{url}>"))?)
                .raw_header(raw_header(
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click",
                )?);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                m.body_text.clone(),
                m.body_html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))
    }

    /// Sends one outbox row.
    pub async fn send(&self, m: &ClaimedMessage) -> Result<(), SendError> {
        let message = self.build(m)?;
        match &self.backend {
            Backend::Smtp(pool) => pool.send(message.envelope(), &message.formatted()).await,
            Backend::SmtpImplicitTls(transport) => {
                transport.send(message).await.map(|_| ()).map_err(classify)
            }
            Backend::Dev => Ok(()),
            Backend::Memory(mailbox) => {
                if let Some(e) = mailbox.take_failure() {
                    return Err(e);
                }
                mailbox.push(CapturedEmail {
                    to: m.recipient.clone(),
                    message_id: m.message_id.clone(),
                    raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
                });
                Ok(())
            }
        }
    }
}

fn raw_header(name: &'static str, value: &str) -> Result<HeaderValue, SendError> {
    // Values are ours (kinds, keys, URLs): still, never let a line break into a header.
    if value.contains(['\r', '\n']) {
        return Err(SendError::Permanent(format!(
            "header {name} holds a line break"
        )));
    }
    Ok(HeaderValue::new(
        HeaderName::new_from_ascii_str(name),
        value.to_string(),
    ))
}

/// 5xx replies are permanent; everything else (4xx, connection, TLS, timeouts) may pass
/// on a later attempt. Except 500–504: those say the *conversation* went wrong (a command
/// out of sequence on a connection left in a bad state, say), not that the server refuses
/// the message, so a later attempt on a fresh connection is worth it (still bounded by
/// `MAX_ATTEMPTS`).
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string());
    let text = match &code {
        Some(code) => format!("SMTP {code}: {e}"),
        None => e.to_string(),
    };
    let protocol_trouble = code
        .as_deref()
        .is_some_and(|c| matches!(c, "500" | "501" | "502" | "503" | "504"));
    if e.is_permanent() && !protocol_trouble {
        SendError::Permanent(text)
    } else {
        SendError::Temporary(text)
    }
}

fn smtp_backend(settings: &EmailSettings) -> anyhow::Result<Backend> {
    let smtp = &settings.smtp;
    let parameters = || -> anyhow::Result<TlsParameters> {
        let mut builder = TlsParameters::builder(smtp.host.clone());
        if let Some(path) = &smtp.ca_file {
            let pem = std::fs::read(path).with_context(|| {
                format!(
                    "could not read GLASSBOX__EMAIL__SMTP__CA_FILE ({})",
                    path.display()
                )
            })?;
            builder = builder.add_root_certificate(
                Certificate::from_pem(&pem)
                    .context("GLASSBOX__EMAIL__SMTP__CA_FILE holds no PEM certificate")?,
            );
        }
        builder
            .build()
            .context("GLASSBOX__EMAIL__SMTP__HOST is not a name TLS can verify")
    };
    let timeout = Duration::from_secs(smtp.timeout_seconds.max(1));
    let credentials = match (&smtp.username, &smtp.password) {
        (Some(user), Some(password)) => Some(Credentials::new(
            user.clone(),
            password.expose_secret().to_string(),
        )),
        _ => None,
    };
    let starttls = match smtp.tls {
        SmtpTls::None => None,
        // STARTTLS is required, never opportunistic: mail is not sent in clear text when
        // the server stops offering it.
        SmtpTls::Starttls => Some(parameters()?),
        SmtpTls::Implicit => {
            return Ok(Backend::SmtpImplicitTls(implicit_tls_transport(
                settings,
                parameters()?,
                credentials,
            )))
        }
    };
    Ok(Backend::Smtp(smtp::Pool::new(
        smtp::Server {
            host: smtp.host.clone(),
            port: smtp.port,
            starttls,
            credentials,
            timeout,
        },
        smtp.pool_size.max(1),
    )))
}

fn implicit_tls_transport(
    settings: &EmailSettings,
    parameters: TlsParameters,
    credentials: Option<Credentials>,
) -> AsyncSmtpTransport<Tokio1Executor> {
    let smtp = &settings.smtp;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(Tls::Wrapper(parameters))
        .timeout(Some(Duration::from_secs(smtp.timeout_seconds.max(1))))
        .pool_config(
            PoolConfig::new()
                .max_size(smtp.pool_size.max(1))
                .idle_timeout(Duration::from_secs(60)),
        );
    if let Some(credentials) = credentials {
        builder = builder.credentials(credentials);
    }
    builder.build()
}

/// An address as logs may show it: `a***@example.org`.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn row(recipient: &str, unsubscribe: Option<&str>) -> ClaimedMessage {
        ClaimedMessage {
            id: uuid::Uuid::nil(),
            message_id: "<m1@glassbox.test>".into(),
            idempotency_key: "request_submitted:1".into(),
            kind: "request_submitted".into(),
            recipient: recipient.into(),
            subject: "A request".into(),
            body_text: "Plain words".into(),
            body_html: "<p>Plain words</p>".into(),
            list_unsubscribe: unsubscribe.map(str::to_string),
            attempts: 1,
            created_at: datetime!(2026-11-29 12:00 UTC),
        }
    }

    #[tokio::test]
    async fn a_message_is_multipart_text_and_html_with_its_stable_message_id() {
        let (mailer, mailbox) = Mailer::memory("Glassbox <glassbox@localhost>").unwrap();
        mailer.send(&row("alice@example.org", None)).await.unwrap();
        let sent = mailbox.sent();
        assert_eq!(sent.len(), 1);
        let raw = &sent[0].raw;
        assert!(raw.contains("Message-ID: <m1@glassbox.test>"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("Auto-Submitted: auto-generated"));
        assert!(!raw.contains("List-Unsubscribe"));
    }

    #[tokio::test]
    async fn a_digest_carries_one_click_unsubscribe_headers() {
        let (mailer, mailbox) = Mailer::memory("Glassbox <glassbox@localhost>").unwrap();
        mailer
            .send(&row(
                "alice@example.org",
                Some("https://g.example/email/unsubscribe/t"),
            ))
            .await
            .unwrap();
        let raw = &mailbox.sent()[0].raw;
        assert!(raw.contains("List-Unsubscribe: <https://g.example/email/unsubscribe/t>"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    }

    #[tokio::test]
    async fn a_bad_recipient_is_a_permanent_failure() {
        let (mailer, _) = Mailer::memory("Glassbox <glassbox@localhost>").unwrap();
        let err = mailer.send(&row("not an address", None)).await.unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    }
}
