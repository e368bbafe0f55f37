//! B15 of the benchmark rules, scaled to a test: the mailer's SMTP connections do not wait
//! for the server's delayed ACK. lettre writes a message's body and its terminating
//! `<CRLF>.<CRLF>` in two writes; on a socket with Nagle's algorithm on, the terminator
//! waits until the body is acknowledged, which a server delays (40 ms on Linux) while it
//! waits for the terminator: about 25 messages a second per connection. The mailer's
//! sockets set `TCP_NODELAY`, so messages over ONE connection go at round-trip speed.
//! (The full figure, with pooled connections and the outbox, is `cargo bench -p server
//! --bench outbox`; see BENCHMARKS.md.)

use glassbox::config::{EmailBackend, EmailSettings, SmtpTls};
use glassbox::db::outbox::ClaimedMessage;
use glassbox::email::Mailer;
use lettre::AsyncTransport as _;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A minimal SMTP server on loopback that answers 250 to everything and acknowledges as
/// any server does (no quick ACKs); returns its port.
async fn sink() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            let _ = write.write_all(b"354 go on\r\n").await;
                            loop {
                                line.clear();
                                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                            }
                            b"250 accepted\r\n"
                        }
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A message shaped like a real notice (multipart text + HTML, ~2 kB).
fn notice(i: u32) -> ClaimedMessage {
    ClaimedMessage {
        id: uuid::Uuid::now_v7(),
        message_id: format!("<speed-{i}@glassbox.test>"),
        idempotency_key: format!("speed:{i}"),
        kind: "speed".into(),
        recipient: "alice@example.org".into(),
        subject: "Access request for alice@example.org: please decide".into(),
        body_text: "Agent Otter asks to read your mailbox. ".repeat(20),
        body_html: format!(
            "<p>{}</p>",
            "Agent Otter asks to read your mailbox. ".repeat(20)
        ),
        list_unsubscribe: None,
        attempts: 1,
        created_at: time::OffsetDateTime::now_utc(),
    }
}

const MESSAGES: u32 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_one_smtp_connection_do_not_wait_for_delayed_acks() {
    let port = sink().await;
    let mut settings = EmailSettings {
        backend: EmailBackend::Smtp,
        ..EmailSettings::default()
    };
    settings.smtp.host = "127.0.0.1".into();
    settings.smtp.port = port;
    settings.smtp.tls = SmtpTls::None;
    settings.smtp.pool_size = 1;
    let mailer = Mailer::from_settings(&settings).unwrap();

    // The control arm, for the record: lettre's own pooled transport (Nagle on), one
    // connection, the same messages.
    let lettre_transport =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(1))
            .build();
    let started = Instant::now();
    let control_deadline = Duration::from_secs(3);
    let mut control = 0;
    while control < MESSAGES && started.elapsed() < control_deadline {
        let message = mailer.build(&notice(control)).unwrap();
        lettre_transport.send(message).await.unwrap();
        control += 1;
    }
    let control_rate = f64::from(control) / started.elapsed().as_secs_f64();

    let started = Instant::now();
    for i in 0..MESSAGES {
        mailer.send(&notice(i)).await.unwrap();
    }
    let rate = f64::from(MESSAGES) / started.elapsed().as_secs_f64();
    eprintln!(
        "B15 (one connection): the mailer {rate:.0} messages/s; lettre's own transport {control_rate:.0} messages/s"
    );
    assert!(
        rate >= 100.0,
        "{rate:.0} messages/s over one connection: each message waited for a delayed ACK (lettre's own transport: {control_rate:.0}/s)"
    );
}

#[tokio::test]
async fn an_smtp_server_that_is_not_there_is_a_temporary_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = EmailSettings {
        backend: EmailBackend::Smtp,
        ..EmailSettings::default()
    };
    settings.smtp.host = "127.0.0.1".into();
    settings.smtp.port = port;
    settings.smtp.tls = SmtpTls::None;
    settings.smtp.timeout_seconds = 2;
    let mailer = Mailer::from_settings(&settings).unwrap();
    let err = mailer.send(&notice(0)).await.unwrap_err();
    assert!(
        matches!(err, glassbox::email::SendError::Temporary(_)),
        "{err:?}"
    );
}
