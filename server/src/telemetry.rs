//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`). Each HTTP request
//! gets a span carrying its request id, so every line it logs can be traced back.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,tower_sessions=warn,tower_sessions_core=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
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

    #[test]
    fn an_error_reference_is_twelve_hex_digits_and_new_each_time() {
        let a = error_reference();
        assert_eq!(a.len(), 12);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, error_reference());
    }
}
