//! `GLASSBOX__LOG__…`: the verifiable access log: its name, its group commit and the
//! memory its proofs may use.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::PublicUrl;

/// Verifiable access log settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `GLASSBOX__LOG__ORIGIN` (default: the host of `PUBLIC_URL` followed by `/log`): the
    /// log's name, the first line of every checkpoint and the name of its verifier key. Read
    /// once, when the signing key is made; later changes are ignored (a log keeps its name).
    pub origin: Option<String>,
    /// `GLASSBOX__LOG__BATCH_MAX_EVENTS` (default 1000): the most events committed in one
    /// group commit. 1 turns group commit off (one transaction per check).
    pub batch_max_events: usize,
    /// `GLASSBOX__LOG__BATCH_MAX_WAIT_MICROS` (default 1000): how long the log writer waits
    /// for more events after the first of a batch before it commits.
    pub batch_max_wait_micros: u64,
    /// `GLASSBOX__LOG__CHECKPOINT_INTERVAL_MS` (default 1000): how often a new checkpoint is
    /// signed while the log grows.
    pub checkpoint_interval_ms: u64,
    /// `GLASSBOX__LOG__PROOF_CACHE_MB` (default 64): memory for the Merkle tree hashes kept
    /// in process for proofs and checkpoints (at most 112 bytes per hash, about 91 measured;
    /// two hashes per event: 64 MB holds the whole tree of about 300,000 events, and of a
    /// larger log the upper levels, which every proof reads, and the newest leaves). A proof
    /// whose hashes are all held costs no query. 0 keeps none: every proof then reads the
    /// database. Each instance holds its own; raise it to about 220 MB per million events to
    /// serve every proof from memory.
    pub proof_cache_mb: u64,
    /// `GLASSBOX__LOG__SIGNING_KEY_FILE` (default `<DATA_DIR>/log-signing.key`): the file
    /// holding the checkpoint signing key, kept out of the database. Made by `glassbox log
    /// keygen`; the server refuses to start if it is readable by group or others. In local
    /// mode a missing file is made on first start; in production it must exist.
    pub signing_key_file: Option<PathBuf>,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            origin: None,
            batch_max_events: 1000,
            batch_max_wait_micros: 1000,
            checkpoint_interval_ms: 1000,
            proof_cache_mb: 64,
            signing_key_file: None,
        }
    }
}

impl LogSettings {
    /// The log's name: `origin` when set, else `<host[:port] of public_url>/log`.
    pub fn origin_for(&self, public_url: &PublicUrl) -> String {
        match self
            .origin
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            Some(o) => o.to_string(),
            None => format!("{}/log", public_url.authority()),
        }
    }

    /// The signing key file: `signing_key_file` when set, else `log-signing.key` in `data_dir`.
    pub fn signing_key_file_for(&self, data_dir: &Path) -> PathBuf {
        self.signing_key_file
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| data_dir.join("log-signing.key"))
    }

    /// The problems in this section, each naming its key. The origin is the first line of
    /// every checkpoint, so it cannot hold a line break.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self
            .origin
            .as_deref()
            .is_some_and(|o| o.contains(['\n', '\r']))
        {
            problems.push("GLASSBOX__LOG__ORIGIN must be a single line".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_with_a_line_break_is_refused_by_name() {
        let log = LogSettings {
            origin: Some("example.org/log\nforged".into()),
            ..LogSettings::default()
        };
        let problems = log.validate();
        assert!(
            problems[0].contains("GLASSBOX__LOG__ORIGIN"),
            "{problems:?}"
        );
        assert!(LogSettings::default().validate().is_empty());
    }
}
