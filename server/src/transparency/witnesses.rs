//! The log's witnesses (`GLASSBOX__LOG__WITNESSES`): sending the newest checkpoint to each
//! with the C2SP `tlog-witness` `add-checkpoint` call and a consistency proof from the size
//! it last cosigned, keeping the cosignatures they return, and serving a checkpoint with
//! them. A witness that refuses (a split view, a rollback, a rewritten history) is reported
//! loudly: that is what witnesses are for.

use super::proofs::{consistency_proof, StoredTree};
use crate::config::{LogSettings, WitnessEndpoint};
use crate::db::tree::CheckpointRow;
use crate::db::{cosignatures, tree as store, Db};
use anyhow::Context as _;
use glassbox_log::witness::{AddCheckpoint, WitnessPolicy};
use glassbox_log::{hash_from_b64, Hash};
use std::time::Duration;
use time::OffsetDateTime;

/// The configured witnesses, their policy and the HTTP client that reaches them.
#[derive(Clone, Debug)]
pub struct Witnesses {
    endpoints: Vec<WitnessEndpoint>,
    policy: WitnessPolicy,
    http: reqwest::Client,
}

/// What one witness did with the newest checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It cosigned the checkpoint of this size.
    Cosigned(u64),
    /// It had cosigned it already.
    AlreadyCosigned,
    /// It has seen a larger checkpoint (another instance of this log sent it); the next
    /// round catches up.
    Ahead(u64),
    /// It refused: the log's checkpoints contradict what it saw before.
    Refused(String),
    /// It could not be asked (network, timeout, an answer that is not the protocol's).
    Unreachable(String),
}

impl Witnesses {
    /// The witnesses of `log` (none: an empty set that does nothing).
    pub fn from_settings(log: &LogSettings) -> anyhow::Result<Self> {
        let endpoints = log.witness_endpoints().map_err(anyhow::Error::msg)?;
        let policy = log.witness_policy().map_err(anyhow::Error::msg)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(log.witness_timeout_seconds.max(1)))
            .build()
            .context("could not make the witnesses' HTTP client")?;
        Ok(Self {
            endpoints,
            policy,
            http,
        })
    }

    /// The k-of-n rule verifiers apply.
    pub fn policy(&self) -> &WitnessPolicy {
        &self.policy
    }

    /// Whether any witness is configured.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// Sends the newest signed checkpoint to every witness (at once) and keeps the
    /// cosignatures. Returns each witness's name and outcome.
    pub async fn submit_newest(
        &self,
        tree: &impl StoredTree,
    ) -> anyhow::Result<Vec<(String, Outcome)>> {
        let Some(latest) = store::latest_checkpoint(tree.db()).await? else {
            return Ok(Vec::new());
        };
        let rounds = self.endpoints.iter().map(|w| async {
            let outcome = match self.submit_to(tree, w, &latest).await {
                Ok(o) => o,
                Err(e) => Outcome::Unreachable(format!("{e:#}")),
            };
            (w.key.name().to_string(), outcome)
        });
        Ok(futures_util::future::join_all(rounds).await)
    }

    async fn submit_to(
        &self,
        tree: &impl StoredTree,
        witness: &WitnessEndpoint,
        latest: &CheckpointRow,
    ) -> anyhow::Result<Outcome> {
        let db = tree.db();
        let key = witness.key.to_string();
        let size = latest.size as u64;
        let known = cosignatures::latest_size(db, &key).await?.map(|s| s as u64);
        if known.is_some_and(|k| k >= size) {
            return Ok(Outcome::AlreadyCosigned);
        }
        let (body, _) = glassbox_log::witness::split_note(&latest.note)
            .map_err(|e| anyhow::anyhow!("the newest checkpoint is not a signed note: {e}"))?;
        // What this instance last saw the witness cosign; when the witness disagrees (it
        // answers 409 with its size: another instance, or a restored database), once more
        // from the size it names.
        let mut old = known.unwrap_or(0);
        for _ in 0..2 {
            let proof = if old == 0 || old == size {
                Vec::new()
            } else {
                consistency_proof(tree, old, size)
                    .await?
                    .hashes
                    .iter()
                    .map(|h| hash_from_b64(h).context("a stored hash is malformed"))
                    .collect::<anyhow::Result<Vec<Hash>>>()?
            };
            let request = AddCheckpoint {
                old_size: old,
                proof,
                checkpoint: latest.note.clone(),
            };
            let url = format!("{}/add-checkpoint", witness.url);
            let res = self
                .http
                .post(&url)
                .body(request.to_body())
                .send()
                .await
                .with_context(|| format!("could not reach {url}"))?;
            let status = res.status();
            let text = res
                .text()
                .await
                .with_context(|| format!("could not read {url}"))?;
            match status.as_u16() {
                200 => {
                    for line in text.lines() {
                        if let Ok(Some(timestamp)) = witness.key.verify_line(&body, line) {
                            let at = OffsetDateTime::from_unix_timestamp(timestamp as i64)
                                .unwrap_or_else(|_| OffsetDateTime::now_utc());
                            cosignatures::insert(db, size, &key, line, at).await?;
                            return Ok(Outcome::Cosigned(size));
                        }
                    }
                    return Ok(Outcome::Unreachable(
                        "it answered 200 without a cosignature that verifies with its key".into(),
                    ));
                }
                409 => {
                    let theirs: u64 = text.trim().parse().with_context(|| {
                        format!("{url} answered 409 without a size: {}", text.trim())
                    })?;
                    if theirs == old {
                        return Ok(Outcome::Refused(format!(
                            "it cosigned another checkpoint of size {theirs} before: the log has shown two histories"
                        )));
                    }
                    if theirs > size {
                        return Ok(Outcome::Ahead(theirs));
                    }
                    old = theirs;
                }
                400 | 403 | 404 | 422 => {
                    return Ok(Outcome::Refused(format!("{status}: {}", text.trim())));
                }
                _ => {
                    return Ok(Outcome::Unreachable(format!("{status}: {}", text.trim())));
                }
            }
        }
        Ok(Outcome::Unreachable(
            "it kept naming another size; trying again next round".into(),
        ))
    }
}

/// `note` with the cosignatures stored for its size appended (note signature lines).
pub async fn with_cosignatures(db: &Db, row: &CheckpointRow) -> anyhow::Result<String> {
    let mut note = row.note.clone();
    for c in cosignatures::at_size(db, row.size).await? {
        note.push_str(&c.cosignature);
        note.push('\n');
    }
    Ok(note)
}

/// The newest checkpoint that enough of `policy`'s witnesses cosigned, with their
/// cosignatures (`None`: none yet, or no witnesses).
pub async fn newest_witnessed(
    db: &Db,
    policy: &WitnessPolicy,
) -> anyhow::Result<Option<(CheckpointRow, String)>> {
    if policy.is_empty() {
        return Ok(None);
    }
    let trusted: Vec<String> = policy.witnesses.iter().map(ToString::to_string).collect();
    // Witnesses cosign the same checkpoints, so the newest few sizes hold the answer.
    let rows = cosignatures::newest(db, 64 * trusted.len() as i64).await?;
    let mut sizes: Vec<i64> = rows.iter().map(|r| r.size).collect();
    sizes.dedup();
    for size in sizes {
        let count = rows
            .iter()
            .filter(|r| r.size == size && trusted.contains(&r.witness))
            .count();
        if count < policy.quorum {
            continue;
        }
        let Some(row) = store::checkpoint_at(db, size).await? else {
            continue;
        };
        let note = with_cosignatures(db, &row).await?;
        if policy.check(&note).is_ok() {
            return Ok(Some((row, note)));
        }
        tracing::error!(
            size,
            "stored cosignatures do not verify with the configured witnesses"
        );
    }
    Ok(None)
}
