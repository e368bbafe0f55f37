//! The verifiable access log: every event is a leaf of an RFC 9162 Merkle tree (written by
//! the [`super::sequencer`]), a checkpoint of the tree is signed every second while it
//! grows, and anyone can ask for inclusion and consistency proofs. The tree is stored as
//! Go sumdb / C2SP tlog-tiles "stored hashes" (`tlog_tiles` computes and proves over them);
//! verification uses the `glassbox-log` crate, the same code the CLI and the browser run.
//! Proofs read the stored hashes through a [`StoredTree`]: the server passes its
//! [`TreeCache`](super::tree_cache::TreeCache), so a proof costs no query once the hashes are
//! in memory.

use super::error::ServiceError;
use crate::db::changes::{self, ChangeEntryRow};
use crate::db::log::{self as store, EventEntryRow};
use crate::db::{ts, Db, Tx};
use crate::domain::clock::Clock;
use anyhow::Context as _;
use glassbox_log::audit::{AuditRow, Finding};
use glassbox_log::entry::SALT_LEN;
use glassbox_log::proof::encode_all;
use glassbox_log::{
    ChangeEntry, Checkpoint, CheckpointSigner, ConsistencyProof, Hash, InclusionProof, LogEntry,
    VerifierKey,
};
use std::cell::RefCell;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use tlog_tiles::HashReader;

/// The canonical entry of a stored event with `salt`.
pub fn entry_of(row: &EventEntryRow, salt: [u8; SALT_LEN]) -> LogEntry {
    LogEntry {
        event_id: row.id.hyphenated().to_string(),
        occurred_at: rfc3339(row.occurred_at),
        mailbox_id: row.mailbox_id.hyphenated().to_string(),
        agent_id: row.agent_id.map(|a| a.hyphenated().to_string()),
        request_id: row.request_id.map(|r| r.hyphenated().to_string()),
        scope: row.scope.clone(),
        action: row.action.clone(),
        resource: row.resource.clone(),
        decision: row.decision.clone(),
        reason: row.reason.clone(),
        source_network: row.source_network.clone(),
        salt,
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    let at = ts(t);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// The canonical entry of a stored request change with `salt`.
pub fn change_entry_of(row: &ChangeEntryRow, salt: [u8; SALT_LEN]) -> ChangeEntry {
    ChangeEntry {
        change_id: row.id.hyphenated().to_string(),
        occurred_at: rfc3339(row.occurred_at),
        request_id: row.request_id.hyphenated().to_string(),
        mailbox_id: row.mailbox_id.hyphenated().to_string(),
        agent_id: row.agent_id.hyphenated().to_string(),
        change: row.change.clone(),
        by: row.actor.clone(),
        scopes: row.scopes.clone(),
        grant_ends_at: row.grant_ends_at.map(rfc3339),
        reason: row.reason.clone(),
        salt,
    }
}

/// The entry a logged change committed to (`None` for a change not in the log yet or with
/// a damaged salt).
pub fn logged_change(row: &ChangeEntryRow) -> Option<ChangeEntry> {
    let salt: [u8; SALT_LEN] = row.leaf_salt.clone()?.try_into().ok()?;
    Some(change_entry_of(row, salt))
}

/// The entry a logged row committed to (`None` for a row not in the log yet or with a
/// damaged salt).
pub fn logged_entry(row: &EventEntryRow) -> Option<LogEntry> {
    let salt: [u8; SALT_LEN] = row.leaf_salt.clone()?.try_into().ok()?;
    Some(entry_of(row, salt))
}

/// A fresh random salt.
pub fn new_salt() -> [u8; SALT_LEN] {
    use rand::RngCore as _;
    let mut salt = [0u8; SALT_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    salt
}

/// Reads tree hashes for `tlog_tiles`, whose reader is synchronous: a first run records the
/// indexes it asks for, they are fetched in one query, and a second run computes.
enum TreeReader {
    Recording(RefCell<Vec<u64>>),
    Fetched(HashMap<u64, Hash>),
}

impl HashReader for TreeReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        match self {
            TreeReader::Recording(asked) => {
                asked.borrow_mut().extend_from_slice(indexes);
                Err(tlog_tiles::Error::IndexesNotInTree)
            }
            TreeReader::Fetched(map) => indexes
                .iter()
                .map(|i| map.get(i).map(|h| tlog_tiles::Hash(*h)))
                .collect::<Option<Vec<_>>>()
                .ok_or(tlog_tiles::Error::IndexesNotInTree),
        }
    }
}

/// Where proofs read the stored Merkle tree from: the database itself (`Db`, one query per
/// proof) or the in-process [`TreeCache`](super::tree_cache::TreeCache) over it, which the
/// server uses. Both answer exactly the committed hashes, so proofs are equal.
pub trait StoredTree: Send + Sync {
    /// The database holding the tree.
    fn db(&self) -> &Db;

    /// The stored hashes with these indexes (those not stored are absent from the map).
    fn read_hashes(
        &self,
        ids: &[u64],
    ) -> impl std::future::Future<Output = anyhow::Result<HashMap<u64, Hash>>> + Send;

    /// A log size known to be committed (the log only grows), 0 when none is known: a
    /// proof request within it needs no size query.
    fn committed_size(&self) -> u64 {
        0
    }

    /// Notes a committed size read from the database.
    fn saw_committed_size(&self, _size: u64) {}
}

impl StoredTree for Db {
    fn db(&self) -> &Db {
        self
    }

    async fn read_hashes(&self, ids: &[u64]) -> anyhow::Result<HashMap<u64, Hash>> {
        store::read_hashes(self, ids).await
    }
}

/// The log's current size when it is below `wanted` (`Ok(Err(size))`), else `Ok(Ok(()))`;
/// asks the database only when `wanted` is beyond the size already known to be committed.
async fn log_reaches(tree: &impl StoredTree, wanted: u64) -> sqlx::Result<Result<(), u64>> {
    if wanted <= tree.committed_size() {
        return Ok(Ok(()));
    }
    let current = store::current_size(tree.db()).await?;
    tree.saw_committed_size(current);
    Ok(if wanted > current {
        Err(current)
    } else {
        Ok(())
    })
}

/// Runs a `tlog_tiles` computation over the stored tree, plus `extra` stored hashes.
async fn over_tree<T>(
    tree: &impl StoredTree,
    extra: &[u64],
    f: impl Fn(&TreeReader) -> Result<T, tlog_tiles::Error>,
) -> anyhow::Result<(T, HashMap<u64, Hash>)> {
    let mut wanted = {
        let recorder = TreeReader::Recording(RefCell::new(Vec::new()));
        let _ = f(&recorder);
        match recorder {
            TreeReader::Recording(asked) => asked.into_inner(),
            TreeReader::Fetched(_) => Vec::new(),
        }
    };
    wanted.extend_from_slice(extra);
    let map = tree.read_hashes(&wanted).await?;
    let reader = TreeReader::Fetched(map);
    let value = f(&reader).context("the stored Merkle tree is incomplete")?;
    let map = match reader {
        TreeReader::Fetched(map) => map,
        TreeReader::Recording(_) => HashMap::new(),
    };
    Ok((value, map))
}

/// The root hash of the first `size` leaves.
pub async fn root(tree: &impl StoredTree, size: u64) -> anyhow::Result<Hash> {
    Ok(over_tree(tree, &[], |r| tlog_tiles::tree_hash(size, r))
        .await?
        .0
         .0)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
pub async fn inclusion_proof(
    tree: &impl StoredTree,
    index: u64,
    size: u64,
) -> Result<InclusionProof, ServiceError> {
    if let Err(current) = log_reaches(tree, size).await? {
        return Err(ServiceError::Invalid(format!(
            "`size` must be at most the log's size, {current}"
        )));
    }
    if index >= size {
        return Err(ServiceError::Invalid("`index` must be below `size`".into()));
    }
    Ok(prove_inclusion(tree, index, size).await?)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves, read from the stored
/// tree without checking the positions against the log (the caller has).
pub async fn prove_inclusion(
    tree: &impl StoredTree,
    index: u64,
    size: u64,
) -> anyhow::Result<InclusionProof> {
    let leaf_id = tlog_tiles::stored_hash_index(0, index);
    let (proof, map) = over_tree(tree, &[leaf_id], |r| {
        tlog_tiles::prove_record(size, index, r)
    })
    .await?;
    let leaf = map
        .get(&leaf_id)
        .ok_or_else(|| anyhow::anyhow!("leaf {index} is missing from the stored tree"))?;
    Ok(InclusionProof {
        index,
        size,
        leaf_hash: glassbox_log::b64(leaf),
        hashes: encode_all(&proof.iter().map(|h| h.0).collect::<Vec<_>>()),
    })
}

/// The consistency proof between the trees of `from` and `to` leaves.
pub async fn consistency_proof(
    tree: &impl StoredTree,
    from: u64,
    to: u64,
) -> Result<ConsistencyProof, ServiceError> {
    if let Err(current) = log_reaches(tree, to).await? {
        return Err(ServiceError::Invalid(format!(
            "`to` must be at most the log's size, {current}"
        )));
    }
    if from > to {
        return Err(ServiceError::Invalid("`from` must not exceed `to`".into()));
    }
    Ok(prove_consistency(tree, from, to).await?)
}

/// The consistency proof between the trees of `from` and `to` leaves, read from the stored
/// tree without checking the sizes against the log (the caller has).
pub async fn prove_consistency(
    tree: &impl StoredTree,
    from: u64,
    to: u64,
) -> anyhow::Result<ConsistencyProof> {
    let hashes = if from == 0 || from == to {
        Vec::new()
    } else {
        over_tree(tree, &[], |r| tlog_tiles::prove_tree(to, from, r))
            .await?
            .0
            .iter()
            .map(|h| h.0)
            .collect()
    };
    Ok(ConsistencyProof {
        from,
        to,
        hashes: encode_all(&hashes),
    })
}

/// Loads the checkpoint signing key, making and storing it on first start. Every instance
/// sharing the database uses the same key; the log keeps the name it was created with.
pub async fn signing_key(db: &Db, clock: &Clock, origin: &str) -> anyhow::Result<CheckpointSigner> {
    if store::signing_key(db).await?.is_none() {
        let secret = new_secret();
        store::insert_signing_key_if_absent(db, origin, &secret, clock.now()).await?;
    }
    let (name, secret) = store::signing_key(db)
        .await?
        .context("the log signing key was not stored")?;
    if name != origin {
        tracing::warn!(log.name = %name, configured = %origin, "the log keeps the name it was created with; GLASSBOX__LOG__ORIGIN is ignored");
    }
    let secret: [u8; 32] = secret
        .try_into()
        .map_err(|_| anyhow::anyhow!("the stored log signing key is not 32 bytes"))?;
    CheckpointSigner::new(&name, &secret).map_err(|e| anyhow::anyhow!("log signing key: {e}"))
}

fn new_secret() -> [u8; 32] {
    use rand::RngCore as _;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// Signs a checkpoint of the current tree unless the latest one already has its size.
/// Returns the size signed.
pub async fn sign_checkpoint(
    tree: &impl StoredTree,
    clock: &Clock,
    signer: &CheckpointSigner,
) -> anyhow::Result<Option<u64>> {
    let db = tree.db();
    let size = store::current_size(db).await?;
    tree.saw_committed_size(size);
    if let Some(latest) = store::latest_checkpoint(db).await? {
        if latest.size as u64 >= size {
            return Ok(None);
        }
    }
    let root = root(tree, size).await?;
    let note = signer.sign(size, &root);
    store::insert_checkpoint(db, size, &root, &note, clock.now()).await?;
    Ok(Some(size))
}

/// The latest signed checkpoint note.
pub async fn latest_note(db: &Db) -> anyhow::Result<Option<String>> {
    Ok(store::latest_checkpoint(db).await?.map(|c| c.note))
}

/// Checks every stored entry (access events and request changes) against the latest signed
/// checkpoint (whose signature must
/// verify with `key`), inside the caller's transaction: recomputes each leaf from the
/// event's columns and salt, compares it with the leaf stored with it and with the tree's,
/// and the root with the signed one. Returns the checkpoint checked, or the first finding.
pub async fn audit(tx: &mut Tx, key: &VerifierKey) -> anyhow::Result<Result<Checkpoint, Finding>> {
    let Some(latest) = store::latest_checkpoint_tx(tx).await? else {
        return Ok(Err(Finding {
            index: None,
            problem: "no signed checkpoint exists yet".into(),
        }));
    };
    let checkpoint = match key.open(&latest.note) {
        Ok(c) => c,
        Err(e) => {
            return Ok(Err(Finding {
                index: None,
                problem: format!("the latest stored checkpoint does not verify: {e}"),
            }))
        }
    };
    let events = store::all_logged(tx).await?;
    let changes = changes::all_logged(tx).await?;
    let tree = store::all_hashes(tx).await?;
    let stored = |h: &Option<Vec<u8>>| h.clone().and_then(|h| h.try_into().ok());
    let mut audit_rows: Vec<AuditRow> = events
        .iter()
        .map(|r| AuditRow {
            index: r.log_index.map(|i| i as u64),
            leaf: logged_entry(r).map(|e| e.leaf_hash()).unwrap_or([0; 32]),
            stored_leaf: stored(&r.leaf_hash),
        })
        .chain(changes.iter().map(|r| AuditRow {
            index: r.log_index.map(|i| i as u64),
            leaf: logged_change(r).map(|e| e.leaf_hash()).unwrap_or([0; 32]),
            stored_leaf: stored(&r.leaf_hash),
        }))
        .collect();
    // The two tables are one log: check their entries together, in index order.
    audit_rows.sort_by_key(|r| r.index);
    Ok(glassbox_log::audit::audit(
        &audit_rows,
        |i| tree.get(&tlog_tiles::stored_hash_index(0, i)).copied(),
        &checkpoint,
    )
    .map(|()| checkpoint))
}

/// The verifier key of the key stored in the database.
pub async fn stored_verifier_key(db: &Db) -> anyhow::Result<Option<VerifierKey>> {
    let Some((name, secret)) = store::signing_key(db).await? else {
        return Ok(None);
    };
    let secret: [u8; 32] = secret
        .try_into()
        .map_err(|_| anyhow::anyhow!("the stored log signing key is not 32 bytes"))?;
    Ok(Some(
        CheckpointSigner::new(&name, &secret)
            .map_err(|e| anyhow::anyhow!("log signing key: {e}"))?
            .verifier_key(),
    ))
}

/// What an owner's browser needs to verify a page of events (see [`app::model::LogProofs`]):
/// proofs at the latest signed checkpoint for the `indexes` it covers.
pub async fn proofs_for_page(
    tree: &impl StoredTree,
    indexes: &[u64],
    since: Option<u64>,
) -> Result<app::model::LogProofs, ServiceError> {
    let db = tree.db();
    let key = stored_verifier_key(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the log has no signing key yet"))?;
    let latest = store::latest_checkpoint(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no checkpoint has been signed yet"))?;
    let size = latest.size as u64;
    let mut inclusion = Vec::new();
    for &i in indexes.iter().filter(|i| **i < size) {
        inclusion.push(inclusion_proof(tree, i, size).await?);
    }
    let consistency = match since.filter(|s| *s <= size) {
        Some(from) => Some(consistency_proof(tree, from, size).await?),
        None => None,
    };
    Ok(app::model::LogProofs {
        key: key.to_string(),
        checkpoint: latest.note,
        inclusion,
        consistency,
    })
}

/// The log index and canonical entry (base64) of each of the owner's events in `seqs`.
pub async fn entries_for_owner(
    db: &Db,
    owner: app::model::OwnerId,
    seqs: &[i64],
) -> anyhow::Result<HashMap<i64, (u64, String)>> {
    Ok(store::entries_for_owner(db, owner, seqs)
        .await?
        .iter()
        .filter_map(|r| {
            let entry = logged_entry(r)?;
            Some((
                r.seq,
                (r.log_index? as u64, glassbox_log::b64(&entry.encode())),
            ))
        })
        .collect())
}
