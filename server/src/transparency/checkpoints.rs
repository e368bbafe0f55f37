//! Signed checkpoints: the key that signs them, signing the tree as it grows, and the audit
//! of a whole stored log against the latest one.

use super::entries::{logged_change, logged_entry};
use super::proofs::{consistency_proof, inclusion_proof, root, ProofError, StoredTree};
use crate::db::changes;
use crate::db::tree as store;
use crate::db::{Db, Tx};
use crate::domain::clock::Clock;
use anyhow::Context as _;
use glassbox_log::audit::{AuditRow, Finding};
use glassbox_log::{Checkpoint, CheckpointSigner, VerifierKey};

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
    let Some(latest) = store::latest_checkpoint(&mut *tx).await? else {
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
            }));
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
) -> Result<app::model::LogProofs, ProofError> {
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
