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

/// For tests: logs only when `TEST_LOG=1`, so passing runs stay quiet.
pub fn init_for_tests() {
    if std::env::var("TEST_LOG").as_deref() == Ok("1") {
        init();
    }
}
