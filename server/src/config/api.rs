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
    /// `GLASSBOX__API__RECEIPTS_RATE_LIMIT_PER_SECOND` (default 5000): sustained posts per
    /// second per service token to `POST /api/v1/imap/receipts`, counted apart from the rest
    /// of the API, so that a busy Dovecot's receipts (which Dovecot does not resend) are not
    /// refused because the same token also makes logins and checks; 0 switches it off. Each
    /// post stays bounded in size.
    pub receipts_rate_limit_per_second: u32,
    /// `GLASSBOX__API__RECEIPTS_RATE_LIMIT_BURST` (default 10000): how many receipt posts a
    /// token may send at once.
    pub receipts_rate_limit_burst: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            rate_limit_per_second: 200,
            rate_limit_burst: 400,
            receipts_rate_limit_per_second: 5000,
            receipts_rate_limit_burst: 10_000,
        }
    }
}
