//! `GLASSBOX__HTTP__…`: the listener and the limits every request meets.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// `GLASSBOX__HTTP__HEADER_READ_TIMEOUT_SECONDS` (default 5): a connection that has not
    /// sent a whole request head this long after it opened, or after its last answer, is
    /// closed (slow or silent clients cannot hold connections).
    pub header_read_timeout_seconds: u64,
    /// `GLASSBOX__HTTP__MAX_CONNECTIONS` (default 4096): open connections at most; further
    /// clients wait in the listen queue until one closes.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            request_timeout_seconds: 30,
            body_limit_bytes: 64 * 1024,
            site_root: PathBuf::from("target/site"),
            header_read_timeout_seconds: 5,
            max_connections: 4096,
        }
    }
}

impl HttpSettings {
    /// The problems in this section, each naming its key. A zero timeout would answer every
    /// request with 408 the moment it arrives.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.request_timeout_seconds < 1 {
            problems.push("GLASSBOX__HTTP__REQUEST_TIMEOUT_SECONDS must be at least 1".into());
        }
        if self.header_read_timeout_seconds < 1 {
            problems.push("GLASSBOX__HTTP__HEADER_READ_TIMEOUT_SECONDS must be at least 1".into());
        }
        if self.max_connections < 1 {
            problems.push("GLASSBOX__HTTP__MAX_CONNECTIONS must be at least 1".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_request_timeout_is_refused_by_name() {
        let http = HttpSettings {
            request_timeout_seconds: 0,
            ..HttpSettings::default()
        };
        let problems = http.validate();
        assert!(
            problems[0].contains("GLASSBOX__HTTP__REQUEST_TIMEOUT_SECONDS"),
            "{problems:?}"
        );
        assert!(HttpSettings::default().validate().is_empty());
    }
}
