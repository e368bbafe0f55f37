//! The SMTP client for plain and STARTTLS connections: lettre's SMTP connections
//! ([`AsyncSmtpConnection`]) in a small pool of Glassbox's own, over TCP sockets with
//! `TCP_NODELAY` set.
//!
//! Why not lettre's pooled transport: lettre writes a message's body and its terminating
//! `<CRLF>.<CRLF>` in two writes and then waits for the reply. With Nagle's algorithm on
//! (lettre's sockets), the small terminator waits until the body is acknowledged, and the
//! receiving server delays that acknowledgement (Linux: 40 ms) because it has nothing to
//! say before the terminator arrives: every message stalls for the delayed ACK, about 25
//! messages a second per connection. lettre opens its sockets itself and its connector is
//! sealed, so Glassbox opens the socket, sets `TCP_NODELAY`, and hands it to lettre
//! ([`AsyncSmtpConnection::connect_with_transport`]); STARTTLS, authentication and the SMTP
//! conversation stay lettre's. (Implicit TLS keeps lettre's transport, see
//! [`super::Mailer`].)
//!
//! The pool: at most `max_size` connections in use at once; a connection is reused while it
//! works, tested with `NOOP` first when it sat idle for more than a second (the server may
//! have closed it), dropped after a failure or after a minute idle.

use super::{classify, SendError};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

/// A connection idle for longer than this is tested with `NOOP` before it is used again.
const TEST_AFTER_IDLE: Duration = Duration::from_secs(1);
/// A connection idle for longer than this is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where and how the pool connects.
#[derive(Clone)]
pub(super) struct Server {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// `Some`: STARTTLS, required (never sends in clear text when the server stops
    /// offering it).
    pub starttls: Option<TlsParameters>,
    /// `AUTH` with these, when set.
    pub credentials: Option<Credentials>,
    /// Limit of each step: connecting, and sending one message.
    pub timeout: Duration,
}

/// A pool of SMTP connections with `TCP_NODELAY`. Cheap to clone (shared).
#[derive(Clone)]
pub(super) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    server: Server,
    hello: ClientId,
    /// One permit per connection that may be in use.
    slots: Semaphore,
    /// Connections ready for reuse, with when they were last used.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl Pool {
    /// A pool of at most `max_size` connections to `server`; it connects on the first send.
    pub fn new(server: Server, max_size: u32) -> Self {
        Self {
            inner: Arc::new(Inner {
                server,
                hello: ClientId::default(),
                slots: Semaphore::new(max_size.max(1) as usize),
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Sends `raw` (the formatted message) to the envelope's recipients.
    pub async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        let inner = &self.inner;
        let _slot = inner
            .slots
            .acquire()
            .await
            .map_err(|_| SendError::Temporary("the SMTP pool is closed".into()))?;
        let mut conn = match self.reusable().await {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        match tokio::time::timeout(inner.server.timeout, conn.send(envelope, raw)).await {
            Ok(Ok(_)) => {
                inner.idle.lock().await.push((conn, Instant::now()));
                Ok(())
            }
            Ok(Err(e)) => {
                conn.abort().await;
                Err(classify(e))
            }
            Err(_) => {
                conn.abort().await;
                Err(SendError::Temporary(format!(
                    "the SMTP server did not answer within {} s",
                    inner.server.timeout.as_secs()
                )))
            }
        }
    }

    /// An idle connection that still works, if there is one.
    async fn reusable(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.inner.idle.lock().await.pop()?;
            let idle = since.elapsed();
            if conn.has_broken() || idle > IDLE_TIMEOUT {
                conn.abort().await;
                continue;
            }
            if idle > TEST_AFTER_IDLE
                && !tokio::time::timeout(self.inner.server.timeout, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                conn.abort().await;
                continue;
            }
            return Some(conn);
        }
    }

    /// A new connection: TCP with `TCP_NODELAY`, greeting and `EHLO`, then STARTTLS and
    /// `AUTH` as configured.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let Inner { server, hello, .. } = &*self.inner;
        let setup = async {
            let stream = tokio::net::TcpStream::connect((server.host.as_str(), server.port))
                .await
                .map_err(|e| {
                    SendError::Temporary(format!(
                        "could not connect to the SMTP server {}:{}: {e}",
                        server.host, server.port
                    ))
                })?;
            stream.set_nodelay(true).map_err(|e| {
                SendError::Temporary(format!("could not set TCP_NODELAY on the SMTP socket: {e}"))
            })?;
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), hello)
                .await
                .map_err(classify)?;
            if let Some(tls) = &server.starttls {
                conn.starttls(tls.clone(), hello).await.map_err(classify)?;
            }
            if let Some(credentials) = &server.credentials {
                conn.auth(DEFAULT_MECHANISMS, credentials)
                    .await
                    .map_err(classify)?;
            }
            Ok(conn)
        };
        tokio::time::timeout(server.timeout, setup)
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Temporary(format!(
                    "the SMTP server {}:{} did not greet within {} s",
                    server.host,
                    server.port,
                    server.timeout.as_secs()
                )))
            })
    }
}
