//! `GLASSBOX__METRICS__…`: where Prometheus may read Glassbox's metrics.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Metrics settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// `GLASSBOX__METRICS__BIND` (default: off): the address of the `/metrics` endpoint, e.g.
    /// `127.0.0.1:9464`. Never the public port: metrics say how busy, and with what, the
    /// service is.
    pub bind: Option<SocketAddr>,
}
