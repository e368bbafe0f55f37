//! `GLASSBOX__API__…`: limits on the service API that mail servers call.

use serde::{Deserialize, Serialize};

/// Service API settings. Every value is usable (a burst of 0 counts as 1), so this section
/// has no `validate`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// `GLASSBOX__API__RATE_LIMIT_PER_SECOND` (default 200): sustained requests per second
    /// per service token; 0 switches the limit off.
    pub rate_limit_per_second: u32,
    /// `GLASSBOX__API__RATE_LIMIT_BURST` (default 400): how many requests a token may send at once.
    pub rate_limit_burst: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            rate_limit_per_second: 200,
            rate_limit_burst: 400,
        }
    }
}
