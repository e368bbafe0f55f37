//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`). Each HTTP request
//! gets a span carrying its request id, so every line it logs can be traced back.
//!
//! Logs cannot be forged by what they record (ASVS 16.4.1): every record is one line,
//! whatever a logged value holds — line breaks inside a record are written as `\n` and
//! `\r` ([`OneLine`]) — and paths are logged without the secrets some carry (the tokens of
//! email links, [`loggable_path`]).

use std::borrow::Cow;
use std::io::Write;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,tower_sessions=warn,tower_sessions_core=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(OneLine(std::io::stderr))
        .try_init();
}

/// A writer that keeps every log record on one line: a record arrives as one buffer ending
/// in a line feed; any other CR or LF in it (from a logged value) is written escaped.
#[derive(Clone, Copy, Debug)]
pub struct OneLine<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for OneLine<M> {
    type Writer = OneLineWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLineWriter(self.0.make_writer())
    }
}

/// The writer [`OneLine`] makes.
#[derive(Debug)]
pub struct OneLineWriter<W>(W);

impl<W: Write> Write for OneLineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (body, end) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, &b"\n"[..]),
            None => (buf, &b""[..]),
        };
        if !body.iter().any(|b| *b == b'\n' || *b == b'\r') {
            self.0.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut escaped = Vec::with_capacity(buf.len() + 8);
        for b in body {
            match b {
                b'\n' => escaped.extend_from_slice(b"\\n"),
                b'\r' => escaped.extend_from_slice(b"\\r"),
                other => escaped.push(*other),
            }
        }
        escaped.extend_from_slice(end);
        self.0.write_all(&escaped)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A request path as it may be logged: the token of an email link (`/email/requests/…`,
/// `/email/unsubscribe/…`) is replaced by `[token]`, and very long paths are cut.
pub fn loggable_path(path: &str) -> Cow<'_, str> {
    for prefix in ["/email/requests/", "/email/unsubscribe/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return Cow::Owned(format!("{prefix}[token]{tail}"));
        }
    }
    if path.len() > 256 {
        let mut cut = 256;
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        return Cow::Owned(format!("{}…", &path[..cut]));
    }
    Cow::Borrowed(path)
}

/// A fresh reference for an unexpected failure: logged with its cause and shown to the
/// person, so a support request can be matched to the log line. Twelve hex digits of a
/// random UUID: short enough to read out, and a repeat is practically impossible.
pub fn error_reference() -> String {
    let mut reference = uuid::Uuid::new_v4().simple().to_string();
    reference.truncate(12);
    reference
}

/// For tests: logs only when `TEST_LOG=1`, so passing runs stay quiet.
pub fn init_for_tests() {
    if std::env::var("TEST_LOG").as_deref() == Ok("1") {
        init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn an_error_reference_is_twelve_hex_digits_and_new_each_time() {
        let a = error_reference();
        assert_eq!(a.len(), 12);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, error_reference());
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_feed_in_a_logged_value_cannot_start_a_forged_record() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(OneLine(move || sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let error = "access_denied\nINFO glassbox: admin signed in\r\n";
            tracing::warn!(oidc.error = %error, "sign-in refused by the provider");
            tracing::info!("next record");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "one line per record: {text:?}");
        assert!(
            lines[0].contains("access_denied\\nINFO glassbox: admin signed in\\r\\n"),
            "{text:?}"
        );
        assert!(lines[1].contains("next record"));
    }

    #[test]
    fn email_link_tokens_never_reach_the_log() {
        assert_eq!(
            loggable_path("/email/requests/abcDEF123"),
            "/email/requests/[token]"
        );
        assert_eq!(
            loggable_path("/email/requests/abcDEF123/deny"),
            "/email/requests/[token]/deny"
        );
        assert_eq!(
            loggable_path("/email/unsubscribe/xyz"),
            "/email/unsubscribe/[token]"
        );
        assert_eq!(loggable_path("/me/history"), "/me/history");
        assert!(loggable_path(&"/a".repeat(300)).len() < 300);
    }
}
