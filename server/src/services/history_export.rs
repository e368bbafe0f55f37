//! The owner's export as a proof file that travels (`glassbox-export/v1`, see
//! [`glassbox_log::export`]): their events (with the history page's filter) and, for each
//! one in the log, its canonical entry, salt, index and inclusion proof, all against the one
//! signed checkpoint the file carries, with the log's keys and key-change statements, and
//! the list of the exported events signed by the log's key. One snapshot: the checkpoint is
//! read first, and every proof is against it; an event that entered the log after it, or
//! has not yet, is marked so, never dropped.

use super::error::ServiceError;
use super::history::{self, rfc3339};
use crate::db::events::EventRecord;
use crate::db::Db;
use crate::transparency::checkpoints::latest_snapshot;
use crate::transparency::entries::{entry_of, rows_for_owner};
use crate::transparency::proofs::{prove_inclusion, StoredTree};
use crate::transparency::signer::NoteSigner;
use app::model::{HistoryFilter, OwnerId};
use glassbox_log::entry::SALT_LEN;
use glassbox_log::export::{EventProof, ExportEvent, ExportFile, ExportLog, FORMAT};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The owner's export: the events as the CSV shows them, and the proof file of the same
/// events.
pub struct ProofExport {
    /// The events, newest first.
    pub events: Vec<EventRecord>,
    /// The proof file.
    pub file: ExportFile,
}

fn filter_map(f: &HistoryFilter) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("agent", f.agent.clone());
    put("scope", f.scope.map(|s| s.as_str().to_string()));
    put("decision", f.decision.map(|d| d.as_str().to_string()));
    put("from", f.from.clone());
    put("to", f.to.clone());
    m
}

/// The owner's events matching `filter` (as [`history::export`]) with their proofs against
/// the latest signed checkpoint (the newest one the witnesses cosigned, with their
/// cosignatures, when the log has witnesses); the list of the events is signed by `signer`.
pub async fn proof_export(
    db: &Db,
    tree: &impl StoredTree,
    signer: &impl NoteSigner,
    witnesses: &glassbox_log::witness::WitnessPolicy,
    now: OffsetDateTime,
    owner: OwnerId,
    filter: &HistoryFilter,
) -> Result<ProofExport, ServiceError> {
    // The checkpoint first: every event read after it that it covers is proved against it.
    let snapshot = latest_snapshot(db, witnesses).await?.ok_or_else(|| {
        ServiceError::Conflict(
            "The log has not signed its first checkpoint yet; try again in a minute.".into(),
        )
    })?;
    let size = snapshot.checkpoint.size;
    let events = history::export(db, owner, filter).await?;
    let seqs: Vec<i64> = events.iter().map(|e| e.seq.0).collect();
    let mut rows = rows_for_owner(db, owner, &seqs).await?;
    let mut out = Vec::with_capacity(events.len());
    for e in &events {
        let row = rows
            .remove(&e.seq.0)
            .ok_or_else(|| anyhow::anyhow!("event {} vanished between two reads", e.seq.0))?;
        // The row is read after the event: its index is the freshest.
        let log_index = row.log_index.map(|i| i as u64);
        let proof = match log_index {
            None => EventProof::NotInLog,
            Some(i) if i >= size => EventProof::AfterCheckpoint,
            Some(i) => {
                // A damaged salt is exported as stored: the check then fails, as it should.
                let stored = row.leaf_salt.clone().unwrap_or_default();
                let mut salt = [0u8; SALT_LEN];
                for (s, b) in salt.iter_mut().zip(stored.iter()) {
                    *s = *b;
                }
                let entry = entry_of(&row, salt);
                let proof = prove_inclusion(tree, i, size).await?;
                EventProof::Included {
                    entry: glassbox_log::b64(&entry.encode()),
                    salt: glassbox_log::b64(&stored),
                    inclusion: proof.hashes,
                }
            }
        };
        out.push(ExportEvent {
            event_id: row.id.hyphenated().to_string(),
            log_index,
            time: rfc3339(e.occurred_at),
            mailbox: e.mailbox.clone(),
            mailbox_id: row.mailbox_id.hyphenated().to_string(),
            agent: e.agent_pseudonym.clone(),
            role: e.agent_role.map(|r| r.as_str().to_string()),
            scope: e.scope.as_str().to_string(),
            action: e.action.clone(),
            resource: e.resource.clone(),
            decision: e.decision.as_str().to_string(),
            reason: e.reason.clone(),
            request_id: e.request_id.map(|r| r.0.hyphenated().to_string()),
            source_network: e.source_network.clone(),
            break_glass: e.break_glass,
            proof,
        });
    }
    let exported_at = rfc3339(now);
    let manifest = signer
        .sign_body(&glassbox_log::export_body(
            signer.verifier_key().name(),
            &ExportFile::manifest_lines(&exported_at, &snapshot.checkpoint, &out),
        ))
        .await?;
    let file = ExportFile {
        format: FORMAT.to_string(),
        exported_at,
        filter: filter_map(filter),
        log: ExportLog {
            checkpoint: snapshot.note,
            verifier_keys: snapshot.keys.iter().map(ToString::to_string).collect(),
            key_changes: snapshot.key_changes,
        },
        manifest,
        events: out,
    };
    Ok(ProofExport { events, file })
}

/// The README of the `.zip` export: what is in it and how to check it.
pub const ZIP_README: &str = "\
Your Glassbox access history
============================

This archive holds:

- glassbox-access-history.csv   your access history, for a spreadsheet;
- glassbox-access-history.json  the same events as a proof file (format glassbox-export/v1):
                                for each event in the log, its exact log entry, salt, log
                                index and inclusion proof against the signed checkpoint in
                                the file, and the log's verifier key(s).

How to check it, with no network and no account
-----------------------------------------------

1. On any computer with the glassbox program:

       glassbox verify export glassbox-access-history.zip --key 'LOG-KEY'

   where LOG-KEY is the log's verifier key, as published at /log/key on the Glassbox
   site (get it from somewhere you trust, once, and keep it). Without --key the key
   inside the file is used, which only shows that the file is consistent.
   Exit code 0: every event verifies; 1: the file or the log was tampered with (the
   message names the log index); 2: the file could not be read.

2. Or open the page /verify/export of the Glassbox site (no sign-in needed) and choose
   the .json file: your browser checks it itself, sending nothing.

Events marked \"not in the log\" or \"after the checkpoint\" were too recent when you
exported: export again later to get their proofs.
";
