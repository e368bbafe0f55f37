//! Signed checkpoints: signing the tree as it grows, and the audit
//! of a whole stored log against the latest one.

use super::entries::{logged_change, logged_entry, logged_notice, logged_staff_change};
use super::proofs::{consistency_proof, inclusion_proof, root, ProofError, StoredTree};
use super::signer::NoteSigner;
use crate::db::changes;
use crate::db::tree as store;
use crate::db::{Db, Tx};
use crate::domain::clock::Clock;
use glassbox_log::audit::{AuditRow, Finding};
use glassbox_log::witness::WitnessPolicy;
use glassbox_log::{open_with_any, Checkpoint, VerifierKey};

/// Signs a checkpoint of the current tree unless the latest one already has its size.
/// Returns the size signed.
pub async fn sign_checkpoint(
    tree: &impl StoredTree,
    clock: &Clock,
    signer: &impl NoteSigner,
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
    let body = Checkpoint {
        origin: signer.verifier_key().name().to_string(),
        size,
        root,
    }
    .body();
    let note = signer.sign_body(&body).await?;
    store::insert_checkpoint(db, size, &root, &note, clock.now()).await?;
    Ok(Some(size))
}

/// The latest signed checkpoint, opened, with what a verifier needs to check it offline:
/// every key the log ever signed with (newest first) and the key-change statements.
#[derive(Clone, Debug)]
pub struct LogSnapshot {
    /// The checkpoint the signed note vouches for.
    pub checkpoint: Checkpoint,
    /// The signed note.
    pub note: String,
    /// Every verifier key of the log, newest first.
    pub keys: Vec<VerifierKey>,
    /// The log's key-change statements.
    pub key_changes: Vec<String>,
}

/// The latest signed checkpoint as a [`LogSnapshot`] (`None` before the first is signed);
/// when `witnesses` has any, the newest checkpoint a quorum of them cosigned, with their
/// cosignatures (the latest until they first cosign).
pub async fn latest_snapshot(
    db: &Db,
    witnesses: &WitnessPolicy,
) -> anyhow::Result<Option<LogSnapshot>> {
    let keys = super::keys::known_keys(db).await?;
    let latest = match super::witnesses::newest_witnessed(db, witnesses).await? {
        Some((row, note)) => Some(store::CheckpointRow { note, ..row }),
        None => store::latest_checkpoint(db).await?,
    };
    let Some(latest) = latest else {
        return Ok(None);
    };
    let checkpoint = open_with_any(&keys, &latest.note)
        .map(|(c, _)| c)
        .map_err(|e| anyhow::anyhow!("the latest checkpoint does not verify: {e}"))?;
    Ok(Some(LogSnapshot {
        checkpoint,
        note: latest.note,
        keys,
        key_changes: store::key_changes(db).await?,
    }))
}

/// Checks every stored entry (access events, request changes, staff changes and sealed
/// notices' steps) against the latest signed
/// checkpoint (whose signature must
/// verify with one of `keys`, every key the log ever signed with), inside the caller's transaction: recomputes each leaf from the
/// event's columns and salt, compares it with the leaf stored with it and with the tree's,
/// and the root with the signed one. Returns the checkpoint checked, or the first finding.
pub async fn audit(
    tx: &mut Tx,
    keys: &[VerifierKey],
) -> anyhow::Result<Result<Checkpoint, Finding>> {
    let Some(latest) = store::latest_checkpoint(&mut *tx).await? else {
        return Ok(Err(Finding {
            index: None,
            problem: "no signed checkpoint exists yet".into(),
        }));
    };
    let checkpoint = match open_with_any(keys, &latest.note) {
        Ok((c, _)) => c,
        Err(e) => {
            return Ok(Err(Finding {
                index: None,
                problem: format!("the latest stored checkpoint does not verify: {e}"),
            }));
        }
    };
    let events = store::all_logged(tx).await?;
    let changes = changes::all_logged(tx).await?;
    let staff = crate::db::staff_changes::all_logged(tx).await?;
    let notices = crate::db::legal_holds::all_logged(tx).await?;
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
        .chain(staff.iter().map(|r| {
            AuditRow {
                index: r.log_index.map(|i| i as u64),
                leaf: logged_staff_change(r)
                    .map(|e| e.leaf_hash())
                    .unwrap_or([0; 32]),
                stored_leaf: stored(&r.leaf_hash),
            }
        }))
        .chain(notices.iter().map(|r| AuditRow {
            index: r.log_index.map(|i| i as u64),
            leaf: logged_notice(r).map(|e| e.leaf_hash()).unwrap_or([0; 32]),
            stored_leaf: stored(&r.leaf_hash),
        }))
        .collect();
    // The four tables are one log: check their entries together, in index order.
    audit_rows.sort_by_key(|r| r.index);
    Ok(glassbox_log::audit::audit(
        &audit_rows,
        |i| tree.get(&tlog_tiles::stored_hash_index(0, i)).copied(),
        &checkpoint,
    )
    .map(|()| checkpoint))
}

/// What an owner's browser needs to verify a page of events (see [`app::model::LogProofs`]):
/// proofs for the `indexes` it covers at the latest signed checkpoint, or, when the log has
/// witnesses, at the newest one enough of them cosigned (with their cosignatures; until the
/// first is cosigned, the latest, which the browser will not accept yet).
pub async fn proofs_for_page(
    tree: &impl StoredTree,
    policy: &WitnessPolicy,
    indexes: &[u64],
    since: Option<u64>,
) -> Result<app::model::LogProofs, ProofError> {
    let db = tree.db();
    let keys = super::keys::known_keys(db).await?;
    let latest = match super::witnesses::newest_witnessed(db, policy).await? {
        Some((row, note)) => store::CheckpointRow { note, ..row },
        None => store::latest_checkpoint(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no checkpoint has been signed yet"))?,
    };
    // The key that signed this checkpoint: after a rotation, until the log grows, the
    // latest checkpoint is still the old key's.
    let key = open_with_any(&keys, &latest.note)
        .map(|(_, k)| k.clone())
        .map_err(|e| anyhow::anyhow!("the latest checkpoint does not verify: {e}"))?;
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
        key_changes: store::key_changes(db).await?,
        witnesses: policy.witnesses.iter().map(ToString::to_string).collect(),
        quorum: policy.quorum,
    })
}
