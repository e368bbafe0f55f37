//! `GLASSBOX__LOG__…`: the verifiable access log: its name, its group commit and the
//! memory its proofs may use.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::PublicUrl;
use glassbox_log::witness::{WitnessKey, WitnessPolicy};

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
    /// `GLASSBOX__LOG__SIGNER_COMMAND` (default none): an external signer instead of the
    /// key file: a program and its arguments, separated by spaces (no quoting), that holds
    /// the key where Glassbox cannot read it. `<command> public-key` prints the base64 raw
    /// Ed25519 public key; `<command> sign` signs standard input and prints the base64
    /// signature. Every signature is checked before use.
    pub signer_command: Option<String>,
    /// `GLASSBOX__LOG__WITNESSES` (default none): the witnesses that cosign the log's
    /// checkpoints (C2SP `tlog-witness`), comma-separated, each `<submission URL> <witness
    /// verifier key>` (the key as `glassbox witness keygen` printed it), e.g.
    /// `https://w1.example.org/ w1.example.org+1a2b3c4d+BAs…,https://…`.
    pub witnesses: Vec<String>,
    /// `GLASSBOX__LOG__WITNESS_QUORUM` (default: a majority of the witnesses): how many
    /// witnesses must have cosigned a checkpoint before owners' browsers and `glassbox
    /// verify` accept it.
    pub witness_quorum: Option<usize>,
    /// `GLASSBOX__LOG__WITNESS_INTERVAL_SECONDS` (default 60): how often the newest
    /// checkpoint is sent to the witnesses (when the log grew). Witnesses expect minutes,
    /// not seconds; an owner's newest events are "waiting for the witnesses" until then.
    pub witness_interval_seconds: u64,
    /// `GLASSBOX__LOG__WITNESS_TIMEOUT_SECONDS` (default 10): how long one witness may take
    /// to answer.
    pub witness_timeout_seconds: u64,
}

/// One configured witness: where to submit, and the key its cosignatures verify with.
#[derive(Clone, Debug)]
pub struct WitnessEndpoint {
    /// The submission prefix (`<url>/add-checkpoint` is posted to).
    pub url: String,
    /// The witness's verifier key.
    pub key: WitnessKey,
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
            signer_command: None,
            witnesses: Vec::new(),
            witness_quorum: None,
            witness_interval_seconds: 60,
            witness_timeout_seconds: 10,
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

    /// The external signer's program and arguments (empty: the key file signs).
    pub fn signer_command(&self) -> Vec<String> {
        self.signer_command
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// The configured witnesses, each parsed (`Err` names the first that is not `<URL>
    /// <witness key>`).
    pub fn witness_endpoints(&self) -> Result<Vec<WitnessEndpoint>, String> {
        self.witnesses
            .iter()
            .map(|w| w.trim())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let (url, key) = w.split_once(char::is_whitespace).ok_or_else(|| {
                    format!("GLASSBOX__LOG__WITNESSES: {w:?} is not `<URL> <witness key>`")
                })?;
                let parsed = url::Url::parse(url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"));
                if parsed.is_none() {
                    return Err(format!(
                        "GLASSBOX__LOG__WITNESSES: {url:?} is not an http(s) URL"
                    ));
                }
                let key = WitnessKey::parse(key.trim()).map_err(|_| {
                    format!(
                        "GLASSBOX__LOG__WITNESSES: {:?} is not a witness key (`glassbox witness keygen` prints one)",
                        key.trim()
                    )
                })?;
                Ok(WitnessEndpoint {
                    url: url.trim_end_matches('/').to_string(),
                    key,
                })
            })
            .collect()
    }

    /// The k-of-n rule verifiers apply: every configured witness, and the quorum (a
    /// majority unless set). Empty when no witness is configured.
    pub fn witness_policy(&self) -> Result<WitnessPolicy, String> {
        let endpoints = self.witness_endpoints()?;
        let keys: Vec<String> = endpoints.iter().map(|e| e.key.to_string()).collect();
        let quorum = match self.witness_quorum {
            Some(q) => q,
            None if keys.is_empty() => 0,
            None => keys.len() / 2 + 1,
        };
        WitnessPolicy::new(&keys, quorum).map_err(|e| format!("GLASSBOX__LOG__WITNESS_QUORUM: {e}"))
    }

    /// The problems in this section, each naming its key. The origin is the first line of
    /// every checkpoint, so it cannot hold a line break.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = self.witness_policy() {
            problems.push(e);
        }
        if self.witness_interval_seconds == 0 || self.witness_timeout_seconds == 0 {
            problems.push("GLASSBOX__LOG__WITNESS_INTERVAL_SECONDS and GLASSBOX__LOG__WITNESS_TIMEOUT_SECONDS must be at least 1".into());
        }
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

    fn witness_key(n: u8) -> String {
        glassbox_log::witness::WitnessSigner::new(&format!("w{n}.example"), &[n; 32])
            .unwrap()
            .verifier_key()
            .to_string()
    }

    #[test]
    fn witnesses_are_read_as_url_and_key_with_a_majority_quorum_by_default() {
        let log = LogSettings {
            witnesses: vec![
                format!("http://127.0.0.1:7001/ {}", witness_key(1)),
                format!(" https://w2.example {} ", witness_key(2)),
                format!("https://w3.example {}", witness_key(3)),
            ],
            ..LogSettings::default()
        };
        assert!(log.validate().is_empty(), "{:?}", log.validate());
        let endpoints = log.witness_endpoints().unwrap();
        assert_eq!(endpoints[0].url, "http://127.0.0.1:7001");
        assert_eq!(endpoints[1].key.name(), "w2.example");
        assert_eq!(log.witness_policy().unwrap().quorum, 2);
        assert!(LogSettings::default().witness_policy().unwrap().is_empty());
    }

    #[test]
    fn a_malformed_witness_or_an_impossible_quorum_is_refused_by_name() {
        for witnesses in [
            vec![witness_key(1)],
            vec![format!("ftp://w1.example {}", witness_key(1))],
            vec!["https://w1.example not-a-key".to_string()],
        ] {
            let log = LogSettings {
                witnesses,
                ..LogSettings::default()
            };
            assert!(
                log.validate()[0].contains("GLASSBOX__LOG__WITNESSES"),
                "{:?}",
                log.validate()
            );
        }
        let log = LogSettings {
            witnesses: vec![format!("https://w1.example {}", witness_key(1))],
            witness_quorum: Some(2),
            ..LogSettings::default()
        };
        assert!(log.validate()[0].contains("GLASSBOX__LOG__WITNESS_QUORUM"));
    }
}
