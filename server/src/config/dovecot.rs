//! `GLASSBOX__DOVECOT__…`: how Glassbox ends the IMAP sessions of a grant that ended
//! (doveadm's HTTP API, `kick`). See `integrations/dovecot/README.md`.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::mask_opt_secret;

/// The Dovecot integration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DovecotSettings {
    /// `GLASSBOX__DOVECOT__DOVEADM_URL` (default unset): doveadm's HTTP API, e.g.
    /// `http://10.0.0.5:8080`. Unset: sessions are not ended when a grant ends (their kicks
    /// wait in the outbox until it is set), so set it wherever Dovecot asks Glassbox.
    pub doveadm_url: Option<String>,
    /// `GLASSBOX__DOVECOT__DOVEADM_API_KEY` (default unset): Dovecot's `doveadm_api_key`.
    /// Printed masked.
    #[serde(serialize_with = "mask_opt_secret")]
    pub doveadm_api_key: Option<SecretString>,
    /// `GLASSBOX__DOVECOT__KICK_POLL_MS` (default 500): how often queued kicks are sent.
    pub kick_poll_ms: u64,
    /// `GLASSBOX__DOVECOT__KICK_TIMEOUT_MS` (default 3000): how long one doveadm call may take.
    pub kick_timeout_ms: u64,
}

impl Default for DovecotSettings {
    fn default() -> Self {
        Self {
            doveadm_url: None,
            doveadm_api_key: None,
            kick_poll_ms: 500,
            kick_timeout_ms: 3000,
        }
    }
}

impl DovecotSettings {
    /// The problems in this section, each naming its key.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(url) = &self.doveadm_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                problems.push(
                    "GLASSBOX__DOVECOT__DOVEADM_URL must be an http:// or https:// URL".into(),
                );
            }
            if self.doveadm_api_key.is_none() {
                problems.push("GLASSBOX__DOVECOT__DOVEADM_API_KEY must be set with GLASSBOX__DOVECOT__DOVEADM_URL".into());
            }
        }
        if self.kick_poll_ms == 0 || self.kick_timeout_ms == 0 {
            problems.push(
                "GLASSBOX__DOVECOT__KICK_POLL_MS and __KICK_TIMEOUT_MS must be at least 1".into(),
            );
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doveadm_url_without_its_key_is_refused_by_name() {
        let s = DovecotSettings {
            doveadm_url: Some("http://127.0.0.1:8080".into()),
            ..DovecotSettings::default()
        };
        assert!(s.validate()[0].contains("GLASSBOX__DOVECOT__DOVEADM_API_KEY"));
        assert!(DovecotSettings::default().validate().is_empty());
    }
}
