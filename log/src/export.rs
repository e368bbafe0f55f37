//! An owner's export as a proof file that travels (`glassbox-export/v1`): the events as
//! the owner's history shows them, and for each one in the log its canonical entry, salt,
//! index and inclusion proof against one signed checkpoint carried in the file, with the
//! log's verifier keys and key-change statements. [`check_export`] checks such a file with
//! no network: `glassbox verify export` and the `/verify/export` page run this same code.
//!
//! What the checks prove, and what they cannot:
//! - the checkpoint is signed by the log's key (the one the verifier pinned, or one a chain
//!   of key-change statements signed by it leads to; else the key in the file, which proves
//!   only that the file is self-consistent);
//! - each event with a proof is exactly the entry the log holds at its index (the entry's
//!   fields are the event's fields, its salt is the salt given, the inclusion proof leads
//!   from its leaf hash to the checkpoint's root);
//! - the events are those the server exported: the file carries a list of their indexes
//!   (and the ids of those not in the log yet) signed by the log's key, so an event removed
//!   from the file, or added to it, is named.
//!
//! Events that were not in the log when the file was made, or only after its checkpoint,
//! are marked so: they are not checkable from this file, and are no sign of tampering.

use crate::audit::Finding;
use crate::merkle::verify_inclusion;
use crate::note::{key_change_leads_to, open_with_any, Checkpoint, NoteError, VerifierKey};
use crate::{hash_from_b64, leaf_hash, unb64, Entry, Hash, LogEntry};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The `format` of a version-1 export.
pub const FORMAT: &str = "glassbox-export/v1";

/// A whole export file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the file was made (RFC 3339 UTC).
    pub exported_at: String,
    /// The filter the owner applied (the export holds only the matching events), as the
    /// history page's query: `{"scope": "content", "from": "2026-11-01", …}`.
    #[serde(default)]
    pub filter: BTreeMap<String, String>,
    /// The log the proofs are against.
    pub log: ExportLog,
    /// The list of the exported events, signed by the log's key: the log's name,
    /// `glassbox-export/v1`, the time it was made, the checkpoint's size and root, then a
    /// line per event (its log index, or `unlogged <event id>`), in the file's order.
    pub manifest: String,
    /// The events, newest first.
    pub events: Vec<ExportEvent>,
}

/// The log's part of an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportLog {
    /// The signed checkpoint (C2SP signed note) every proof in the file is against.
    pub checkpoint: String,
    /// Every verifier key the log ever signed with, newest first.
    pub verifier_keys: Vec<String>,
    /// The log's key-change statements (each signed by the key before it).
    #[serde(default)]
    pub key_changes: Vec<String>,
}

/// One event as the owner's history shows it, with its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportEvent {
    /// The event's id.
    pub event_id: String,
    /// Its index in the log (absent while it is not in the log).
    pub log_index: Option<u64>,
    /// When it happened (RFC 3339 UTC).
    pub time: String,
    /// The mailbox's address.
    pub mailbox: String,
    /// The mailbox's id, as the log records it.
    pub mailbox_id: String,
    /// The staff member's pseudonym (absent: the mail system itself).
    pub agent: Option<String>,
    /// The staff member's role.
    pub role: Option<String>,
    /// The scope code.
    pub scope: String,
    /// What was done.
    pub action: String,
    /// The opaque id of what was touched.
    pub resource: String,
    /// `allowed` or `denied`.
    pub decision: String,
    /// Why, in plain words.
    pub reason: String,
    /// The request (grant) it was decided under.
    pub request_id: Option<String>,
    /// The source network, as the mail system reported it.
    pub source_network: Option<String>,
    /// Decided under an emergency access (break-glass), which the owner was not asked for.
    /// A property of the request, not of the log entry: shown, not checked against the log.
    #[serde(default)]
    pub break_glass: bool,
    /// Where the event stands in the log, and its proof.
    pub proof: EventProof,
}

/// Where an event stands in the log when the file was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EventProof {
    /// In the file's checkpoint: the entry's canonical bytes, its salt and the inclusion
    /// proof (base64).
    Included {
        /// The canonical entry (base64).
        entry: String,
        /// The entry's salt (base64).
        salt: String,
        /// The audit path, leaf to root (base64 hashes).
        inclusion: Vec<String>,
    },
    /// In the log, but after the file's checkpoint: a later export proves it.
    AfterCheckpoint,
    /// Not in the log yet.
    NotInLog,
}

/// A file that cannot be checked at all (not a failed check).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// Not JSON of the export's shape.
    #[error("not a Glassbox export file: {0}")]
    Malformed(String),
    /// Another format or version.
    #[error("unknown export format {0:?} (this verifier reads {FORMAT})")]
    Format(String),
}

impl ExportFile {
    /// Reads an export file's JSON.
    pub fn parse(text: &str) -> Result<Self, ExportError> {
        #[derive(Deserialize)]
        struct Head {
            format: Option<String>,
        }
        let head: Head =
            serde_json::from_str(text).map_err(|e| ExportError::Malformed(e.to_string()))?;
        match head.format.as_deref() {
            Some(FORMAT) => {}
            Some(other) => return Err(ExportError::Format(other.to_string())),
            None => return Err(ExportError::Malformed("it has no \"format\"".into())),
        }
        serde_json::from_str(text).map_err(|e| ExportError::Malformed(e.to_string()))
    }

    /// The manifest's lines after its header, for events in this order: what the server
    /// signs ([`crate::CheckpointSigner::sign_export`]).
    pub fn manifest_lines(
        exported_at: &str,
        checkpoint: &Checkpoint,
        events: &[ExportEvent],
    ) -> Vec<String> {
        let mut lines = vec![
            exported_at.to_string(),
            format!("{} {}", checkpoint.size, crate::b64(&checkpoint.root)),
        ];
        lines.extend(events.iter().map(manifest_line));
        lines
    }
}

fn manifest_line(e: &ExportEvent) -> String {
    match e.log_index {
        Some(i) => i.to_string(),
        None => format!("unlogged {}", e.event_id),
    }
}

/// How the checkpoint's key came to be trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyTrust {
    /// The verifier pinned the key that signed.
    Pinned,
    /// The verifier pinned an older key, and the file's key-change statements (each signed
    /// by the key before) lead from it to the key that signed.
    FollowedKeyChange(String),
    /// Nothing was pinned: the key in the file itself was used, which proves the file is
    /// consistent, not that it is this log's.
    FromFile,
}

/// What the check found for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventResult {
    /// The log holds exactly this event at its index, in the signed checkpoint.
    Verified,
    /// In the log after the file's checkpoint: not checkable from this file.
    AfterCheckpoint,
    /// Not in the log when the file was made: not checkable.
    NotInLog,
    /// The file contradicts itself or the log: tampering.
    Failed(String),
}

/// One event's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventCheck {
    /// The event's id, as the file gives it.
    pub event_id: String,
    /// Its log index, as the file gives it.
    pub log_index: Option<u64>,
    /// What was found.
    pub result: EventResult,
}

/// The result of checking a whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportCheck {
    /// The checkpoint the proofs are against (`Err`: it did not verify, and why).
    pub checkpoint: Result<Checkpoint, String>,
    /// How the key was trusted.
    pub key: KeyTrust,
    /// The verifier key that signed the checkpoint, when it verified.
    pub signed_by: Option<String>,
    /// Per event, in the file's order.
    pub events: Vec<EventCheck>,
    /// What is wrong with the file as a whole (a missing or added event, a duplicate
    /// index, the signed list of events), each placed at an index where it can be.
    pub problems: Vec<Finding>,
}

impl ExportCheck {
    /// Whether anything contradicts the log: a failed check of the checkpoint, an event or
    /// the file as a whole.
    pub fn failed(&self) -> bool {
        self.checkpoint.is_err()
            || !self.problems.is_empty()
            || self
                .events
                .iter()
                .any(|e| matches!(e.result, EventResult::Failed(_)))
    }

    /// Every finding, the file's problems first, then each failed event at its index.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Err(e) = &self.checkpoint {
            out.push(Finding {
                index: None,
                problem: format!("the checkpoint does not verify: {e}"),
            });
        }
        out.extend(self.problems.iter().cloned());
        for e in &self.events {
            if let EventResult::Failed(problem) = &e.result {
                out.push(Finding {
                    index: e.log_index,
                    problem: match e.log_index {
                        Some(_) => problem.clone(),
                        None => format!("event {}: {problem}", e.event_id),
                    },
                });
            }
        }
        out
    }

    /// How many events verified, are after the checkpoint, and are not in the log.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count =
            |f: fn(&EventResult) -> bool| self.events.iter().filter(|e| f(&e.result)).count();
        (
            count(|r| matches!(r, EventResult::Verified)),
            count(|r| matches!(r, EventResult::AfterCheckpoint)),
            count(|r| matches!(r, EventResult::NotInLog)),
        )
    }
}

/// The keys to open the file's notes with: the pinned ones and each key of the file that
/// a chain of the file's key-change statements leads to from one of them; without a pin,
/// the file's own keys.
fn trusted_keys(
    file: &ExportFile,
    pinned: Option<&[VerifierKey]>,
) -> Result<(Vec<VerifierKey>, Vec<VerifierKey>), String> {
    let file_keys: Vec<VerifierKey> = file
        .log
        .verifier_keys
        .iter()
        .filter_map(|k| VerifierKey::parse(k).ok())
        .collect();
    match pinned {
        None => {
            if file_keys.len() != file.log.verifier_keys.len() || file_keys.is_empty() {
                return Err("the file's verifier key is missing or malformed".into());
            }
            Ok((file_keys, Vec::new()))
        }
        Some(pinned) => {
            let followed = file_keys
                .into_iter()
                .filter(|k| !pinned.contains(k))
                .filter(|k| {
                    pinned
                        .iter()
                        .any(|p| key_change_leads_to(p, k, &file.log.key_changes).is_ok())
                })
                .collect();
            Ok((pinned.to_vec(), followed))
        }
    }
}

/// Checks an export file offline: the checkpoint's signature (against `pinned` keys if
/// given, following the file's key-change statements; else the file's own key), the signed
/// list of events, and each event's entry and inclusion proof.
pub fn check_export(file: &ExportFile, pinned: Option<&[VerifierKey]>) -> ExportCheck {
    let mut problems = Vec::new();
    let keys = trusted_keys(file, pinned);
    let (key, checkpoint) = match keys {
        Err(e) => (KeyTrust::FromFile, Err(e)),
        Ok((trusted, followed)) => {
            let all: Vec<VerifierKey> = trusted.iter().chain(followed.iter()).cloned().collect();
            let opened = open_with_any(&all, &file.log.checkpoint).map(|(c, k)| (c, k.clone()));
            let trust = match (&opened, pinned) {
                (_, None) => KeyTrust::FromFile,
                (Ok((_, k)), Some(_)) if followed.contains(k) => {
                    KeyTrust::FollowedKeyChange(k.to_string())
                }
                _ => KeyTrust::Pinned,
            };
            let opened = opened.map_err(|e| match (e, pinned) {
                (NoteError::NoSignature(_), Some(_)) => "it is not signed by the key you gave, nor by a key that key handed over to in a signed key change".to_string(),
                (e, _) => e.to_string(),
            });
            if let Ok((cp, _)) = &opened {
                check_manifest(file, &all, cp, &mut problems);
            }
            (trust, opened)
        }
    };
    let signed_by = checkpoint.as_ref().ok().map(|(_, k)| k.to_string());
    let checkpoint = checkpoint.map(|(c, _)| c);
    let mut events: Vec<EventCheck> = file
        .events
        .iter()
        .map(|e| EventCheck {
            event_id: e.event_id.clone(),
            log_index: e.log_index,
            result: match &checkpoint {
                Ok(cp) => check_event(e, cp),
                Err(err) if matches!(e.proof, EventProof::Included { .. }) => {
                    EventResult::Failed(format!("the checkpoint does not verify: {err}"))
                }
                Err(_) => result_without_proof(e, None),
            },
        })
        .collect();
    check_across_events(file, &mut events);
    ExportCheck {
        checkpoint,
        key,
        signed_by,
        events,
        problems,
    }
}

fn result_without_proof(e: &ExportEvent, cp: Option<&Checkpoint>) -> EventResult {
    match (&e.proof, e.log_index, cp) {
        (EventProof::NotInLog, None, _) => EventResult::NotInLog,
        (EventProof::NotInLog, Some(_), _) => {
            EventResult::Failed("the event has a log index but is marked as not in the log".into())
        }
        (EventProof::AfterCheckpoint, None, _) => {
            EventResult::Failed("the event is marked as in the log but has no log index".into())
        }
        (EventProof::AfterCheckpoint, Some(i), Some(cp)) if i < cp.size => {
            EventResult::Failed(format!(
                "the checkpoint (size {}) covers this index, but the event's proof is missing",
                cp.size
            ))
        }
        (EventProof::AfterCheckpoint, Some(_), _) => EventResult::AfterCheckpoint,
        (EventProof::Included { .. }, _, _) => {
            EventResult::Failed("the event's proof could not be checked".into())
        }
    }
}

fn check_event(e: &ExportEvent, cp: &Checkpoint) -> EventResult {
    let EventProof::Included {
        entry,
        salt,
        inclusion,
    } = &e.proof
    else {
        return result_without_proof(e, Some(cp));
    };
    match check_included(e, entry, salt, inclusion, cp) {
        Ok(()) => EventResult::Verified,
        Err(problem) => EventResult::Failed(problem),
    }
}

fn check_included(
    e: &ExportEvent,
    entry: &str,
    salt: &str,
    inclusion: &[String],
    cp: &Checkpoint,
) -> Result<(), String> {
    let index = e
        .log_index
        .ok_or("the event carries a proof but no log index")?;
    if index >= cp.size {
        return Err(format!(
            "the index is beyond the checkpoint (size {})",
            cp.size
        ));
    }
    let bytes = unb64(entry).map_err(|_| "the entry is not base64")?;
    let decoded = match Entry::decode(&bytes) {
        Ok(Entry::Access(a)) => a,
        Ok(_) => return Err("the entry is not an access event".into()),
        Err(err) => return Err(format!("the entry does not decode: {err}")),
    };
    let salt = unb64(salt).map_err(|_| "the salt is not base64")?;
    if salt != decoded.salt {
        return Err("the salt given is not the salt of the entry".into());
    }
    if let Some(field) = differing_field(e, &decoded) {
        return Err(format!(
            "the entry's {field} is not the event's {field} shown in the file"
        ));
    }
    let path: Vec<Hash> = inclusion
        .iter()
        .map(|h| hash_from_b64(h))
        .collect::<Option<_>>()
        .ok_or("the inclusion proof has a malformed hash")?;
    verify_inclusion(index, cp.size, &leaf_hash(&bytes), &path, &cp.root)
        .map_err(|err| format!("the entry is not the one the log holds at this index ({err})"))
}

/// The first field of the event that its entry does not say.
fn differing_field(e: &ExportEvent, entry: &LogEntry) -> Option<&'static str> {
    let checks: [(&'static str, bool); 11] = [
        ("event id", entry.event_id == e.event_id),
        ("time", entry.occurred_at == e.time),
        ("mailbox id", entry.mailbox_id == e.mailbox_id),
        ("scope", entry.scope == e.scope),
        ("action", entry.action == e.action),
        ("resource", entry.resource == e.resource),
        ("decision", entry.decision == e.decision),
        ("reason", entry.reason == e.reason),
        ("request", entry.request_id == e.request_id),
        ("source network", entry.source_network == e.source_network),
        // The entry names the staff member by id, the file by pseudonym: at least the mail
        // system and staff are never taken for each other (and see check_across_events).
        ("agent", entry.agent_id.is_some() == e.agent.is_some()),
    ];
    checks.iter().find(|(_, ok)| !ok).map(|(f, _)| *f)
}

/// What no single event shows: a pseudonym shown for two staff ids (or one id under two
/// pseudonyms), one mailbox address for two mailbox ids (or the reverse), and two events
/// at one index.
fn check_across_events(file: &ExportFile, checks: &mut [EventCheck]) {
    let mut agent_of: HashMap<String, String> = HashMap::new();
    let mut pseudonym_of: HashMap<String, String> = HashMap::new();
    let mut mailbox_id_of: HashMap<&str, &str> = HashMap::new();
    let mut address_of: HashMap<&str, &str> = HashMap::new();
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    for (e, check) in file.events.iter().zip(checks.iter_mut()) {
        if let Some(i) = e.log_index {
            if !seen.insert(i) {
                check.result =
                    EventResult::Failed("two events of the file claim this index".into());
                continue;
            }
        }
        let mailbox_ok = *mailbox_id_of.entry(&e.mailbox).or_insert(&e.mailbox_id) == e.mailbox_id
            && *address_of.entry(&e.mailbox_id).or_insert(&e.mailbox) == e.mailbox;
        if !mailbox_ok && !matches!(check.result, EventResult::Failed(_)) {
            check.result = EventResult::Failed(
                "the file shows this mailbox under another address or id than its other events"
                    .into(),
            );
            continue;
        }
        if !matches!(check.result, EventResult::Verified) {
            continue;
        }
        let (EventProof::Included { entry, .. }, Some(pseudonym)) = (&e.proof, &e.agent) else {
            continue;
        };
        let Some(agent_id) = unb64(entry)
            .ok()
            .and_then(|b| LogEntry::decode(&b).ok())
            .and_then(|d| d.agent_id)
        else {
            continue;
        };
        let same_pseudonym = agent_of
            .entry(pseudonym.clone())
            .or_insert(agent_id.clone())
            == &agent_id;
        let same_agent = pseudonym_of.entry(agent_id).or_insert(pseudonym.clone()) == pseudonym;
        if !same_pseudonym || !same_agent {
            check.result = EventResult::Failed(
                "the file shows this event's staff member under a pseudonym another staff member has in it"
                    .into(),
            );
        }
    }
}

/// Compares the file's events with the signed list of events: an event listed there but
/// not in the file was removed; one in the file but not listed was added.
fn check_manifest(
    file: &ExportFile,
    keys: &[VerifierKey],
    cp: &Checkpoint,
    problems: &mut Vec<Finding>,
) {
    let lines = keys.iter().find_map(|k| k.open_export(&file.manifest).ok());
    let Some(lines) = lines else {
        problems.push(Finding {
            index: None,
            problem: "the export's signed list of events does not verify with the log's key".into(),
        });
        return;
    };
    let mut lines = lines.into_iter();
    let header_ok = lines.next().as_deref() == Some(file.exported_at.as_str())
        && lines.next() == Some(format!("{} {}", cp.size, crate::b64(&cp.root)));
    if !header_ok {
        problems.push(Finding {
            index: None,
            problem: "the export's signed list of events was made with another time or checkpoint than the file's".into(),
        });
        return;
    }
    let listed: Vec<String> = lines.collect();
    let in_file: Vec<String> = file.events.iter().map(manifest_line).collect();
    let count = |v: &[String]| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for l in v {
            *m.entry(l.clone()).or_default() += 1;
        }
        m
    };
    let (listed_n, file_n) = (count(&listed), count(&in_file));
    let place = |line: &str| Finding {
        index: line.parse().ok(),
        problem: String::new(),
    };
    for (line, n) in &listed_n {
        if file_n.get(line).copied().unwrap_or(0) < *n {
            let mut f = place(line);
            f.problem = match f.index {
                Some(_) => {
                    "the export held an event at this index, and the file has lost it".into()
                }
                None => format!("the export held {line}, and the file has lost it"),
            };
            problems.push(f);
        }
    }
    for (line, n) in &file_n {
        if listed_n.get(line).copied().unwrap_or(0) < *n {
            let mut f = place(line);
            f.problem = match f.index {
                Some(_) => {
                    "the file has an event at this index that the export did not hold".into()
                }
                None => format!("the file has an event ({line}) that the export did not hold"),
            };
            problems.push(f);
        }
    }
    if problems.is_empty() && listed != in_file {
        problems.push(Finding {
            index: None,
            problem: "the file's events are not in the order the export listed them".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::reference;
    use crate::proof::encode_all;
    use crate::{b64, CheckpointSigner};

    const MAILBOX: &str = "00000000-0000-7000-8000-00000000000a";

    fn entry(i: u64) -> LogEntry {
        LogEntry {
            event_id: format!("00000000-0000-7000-8000-{i:012}"),
            occurred_at: format!("2026-11-30T08:{:02}:00Z", i % 60),
            mailbox_id: MAILBOX.into(),
            agent_id: i
                .is_multiple_of(2)
                .then(|| format!("00000000-0000-7000-8000-0000000000b{}", i % 4)),
            request_id: None,
            scope: "content".into(),
            action: "read_message".into(),
            resource: format!("msg-{i}"),
            decision: "allowed".into(),
            reason: "Allowed: you approved this access".into(),
            source_network: None,
            salt: [i as u8; 16],
        }
    }

    fn event(e: &LogEntry, i: Option<u64>, proof: EventProof) -> ExportEvent {
        ExportEvent {
            event_id: e.event_id.clone(),
            log_index: i,
            time: e.occurred_at.clone(),
            mailbox: "alice@example.org".into(),
            mailbox_id: e.mailbox_id.clone(),
            agent: e
                .agent_id
                .as_ref()
                .map(|a| format!("Agent {}", &a[a.len() - 2..])),
            role: e.agent_id.as_ref().map(|_| "support".into()),
            scope: e.scope.clone(),
            action: e.action.clone(),
            resource: e.resource.clone(),
            decision: e.decision.clone(),
            reason: e.reason.clone(),
            request_id: e.request_id.clone(),
            source_network: e.source_network.clone(),
            break_glass: false,
            proof,
        }
    }

    struct Log {
        signer: CheckpointSigner,
        entries: Vec<LogEntry>,
    }

    impl Log {
        fn new(n: u64) -> Self {
            Log {
                signer: CheckpointSigner::new("glassbox.test/log", &[1; 32]).unwrap(),
                entries: (0..n).map(entry).collect(),
            }
        }

        /// The owner's export of the entries at `mine` (all in a checkpoint of `size`),
        /// plus one event not in the log yet and one after the checkpoint.
        fn export(&self, size: usize, mine: &[usize]) -> ExportFile {
            let leaves: Vec<Hash> = self.entries[..size]
                .iter()
                .map(LogEntry::leaf_hash)
                .collect();
            let cp = Checkpoint {
                origin: "glassbox.test/log".into(),
                size: size as u64,
                root: crate::root_of(&leaves),
            };
            let mut events: Vec<ExportEvent> = mine
                .iter()
                .rev()
                .map(|&i| {
                    let e = &self.entries[i];
                    event(
                        e,
                        Some(i as u64),
                        EventProof::Included {
                            entry: b64(&e.encode()),
                            salt: b64(&e.salt),
                            inclusion: encode_all(&reference::inclusion(i, &leaves)),
                        },
                    )
                })
                .collect();
            let later = entry(size as u64);
            events.insert(
                0,
                event(&later, Some(size as u64), EventProof::AfterCheckpoint),
            );
            let unlogged = entry(999);
            events.insert(0, event(&unlogged, None, EventProof::NotInLog));
            let exported_at = "2026-11-30T09:00:00Z".to_string();
            let manifest =
                self.signer
                    .sign_export(&ExportFile::manifest_lines(&exported_at, &cp, &events));
            ExportFile {
                format: FORMAT.into(),
                exported_at,
                filter: BTreeMap::new(),
                log: ExportLog {
                    checkpoint: self.signer.sign(cp.size, &cp.root),
                    verifier_keys: vec![self.signer.verifier_key().to_string()],
                    key_changes: Vec::new(),
                },
                manifest,
                events,
            }
        }
    }

    fn honest() -> (Log, ExportFile) {
        let log = Log::new(12);
        let file = log.export(10, &[1, 2, 4, 5, 8]);
        (log, file)
    }

    fn failed_at(check: &ExportCheck) -> Vec<Option<u64>> {
        check.findings().iter().map(|f| f.index).collect()
    }

    #[test]
    fn an_honest_export_verifies_and_says_what_it_could_not_check() {
        let (log, file) = honest();
        let check = check_export(&file, Some(&[log.signer.verifier_key()]));
        assert!(!check.failed(), "{:?}", check.findings());
        assert_eq!(check.key, KeyTrust::Pinned);
        assert_eq!(check.counts(), (5, 1, 1));
        // Without a pinned key, the file's own key is used, and the check says so.
        let check = check_export(&file, None);
        assert!(!check.failed());
        assert_eq!(check.key, KeyTrust::FromFile);
    }

    #[test]
    fn an_export_reads_back_from_its_json_and_another_format_is_refused() {
        let (_, file) = honest();
        let text = serde_json::to_string_pretty(&file).unwrap();
        assert_eq!(ExportFile::parse(&text), Ok(file));
        assert!(matches!(
            ExportFile::parse(&text.replace(FORMAT, "glassbox-export/v9")),
            Err(ExportError::Format(_))
        ));
        assert!(matches!(
            ExportFile::parse("[1, 2]"),
            Err(ExportError::Malformed(_))
        ));
    }

    #[test]
    fn one_changed_byte_of_an_entry_fails_at_its_index() {
        let (log, file) = honest();
        let pinned = [log.signer.verifier_key()];
        // Change each byte of the entry at index 4 in turn: every change is caught there.
        let pos = file
            .events
            .iter()
            .position(|e| e.log_index == Some(4))
            .unwrap();
        let EventProof::Included { entry, .. } = &file.events[pos].proof else {
            panic!()
        };
        let bytes = unb64(entry).unwrap();
        for b in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[b] ^= 0x01;
            let mut f = file.clone();
            if let EventProof::Included { entry, .. } = &mut f.events[pos].proof {
                *entry = b64(&changed);
            }
            let check = check_export(&f, Some(&pinned));
            assert!(check.failed(), "byte {b}");
            assert_eq!(failed_at(&check), vec![Some(4)], "byte {b}");
        }
    }

    #[test]
    fn a_changed_field_of_an_event_fails_at_its_index() {
        let (log, file) = honest();
        let pinned = [log.signer.verifier_key()];
        let edits: [fn(&mut ExportEvent); 6] = [
            |e| e.decision = "denied".into(),
            |e| e.scope = "metadata".into(),
            |e| e.time = "2026-11-30T08:59:00Z".into(),
            |e| e.resource = "msg-other".into(),
            |e| e.agent = None,
            |e| e.mailbox_id = "00000000-0000-7000-8000-00000000000b".into(),
        ];
        for edit in edits {
            // The event at index 8, by a staff member.
            let mut f = file.clone();
            edit(&mut f.events[2]);
            let index = f.events[2].log_index;
            assert_eq!(index, Some(8));
            let check = check_export(&f, Some(&pinned));
            assert!(failed_at(&check).contains(&index), "{:?}", check.findings());
        }
    }

    #[test]
    fn two_swapped_salts_fail_at_both_indexes() {
        let (log, mut file) = honest();
        let salt_of = |e: &ExportEvent| match &e.proof {
            EventProof::Included { salt, .. } => salt.clone(),
            _ => panic!(),
        };
        let (a, b) = (salt_of(&file.events[2]), salt_of(&file.events[3]));
        for (pos, s) in [(2, b), (3, a)] {
            if let EventProof::Included { salt, .. } = &mut file.events[pos].proof {
                *salt = s;
            }
        }
        let check = check_export(&file, Some(&[log.signer.verifier_key()]));
        let mut at = failed_at(&check);
        at.sort();
        let mut expected = vec![file.events[2].log_index, file.events[3].log_index];
        expected.sort();
        assert_eq!(at, expected);
    }

    #[test]
    fn a_removed_event_is_named_by_its_index_and_an_added_one_too() {
        let (log, file) = honest();
        let pinned = [log.signer.verifier_key()];
        let mut removed = file.clone();
        let gone = removed.events.remove(3);
        let check = check_export(&removed, Some(&pinned));
        assert_eq!(failed_at(&check), vec![gone.log_index]);
        assert!(
            check.findings()[0].to_string().contains("lost"),
            "{:?}",
            check.findings()
        );
        // An event not in the log yet is listed too.
        let mut removed = file.clone();
        removed.events.remove(0);
        assert!(check_export(&removed, Some(&pinned)).failed());
        // An event of the log added to the file (a real entry, a real proof) is named.
        let other = log.export(10, &[1, 2, 3, 4, 5, 8]);
        let mut added = file.clone();
        let extra = other
            .events
            .iter()
            .find(|e| e.log_index == Some(3))
            .unwrap()
            .clone();
        added.events.push(extra);
        let check = check_export(&added, Some(&pinned));
        assert_eq!(failed_at(&check), vec![Some(3)]);
    }

    #[test]
    fn a_duplicated_event_and_a_missing_proof_are_caught() {
        let (log, file) = honest();
        let pinned = [log.signer.verifier_key()];
        let mut dup = file.clone();
        dup.events.push(dup.events[3].clone());
        assert!(failed_at(&check_export(&dup, Some(&pinned))).contains(&file.events[3].log_index));
        // Claiming an event in the checkpoint is newer than it hides its proof: caught.
        let mut hidden = file.clone();
        hidden.events[3].proof = EventProof::AfterCheckpoint;
        assert_eq!(
            failed_at(&check_export(&hidden, Some(&pinned))),
            vec![file.events[3].log_index]
        );
    }

    #[test]
    fn a_checkpoint_not_signed_by_the_pinned_key_fails_unless_a_key_change_leads_to_it() {
        let (log, file) = honest();
        let other = CheckpointSigner::new("glassbox.test/log", &[2; 32]).unwrap();
        let check = check_export(&file, Some(&[other.verifier_key()]));
        assert!(check.failed());
        assert!(check.checkpoint.is_err());
        // The old key `other` handed over to the log's key: a verifier that pinned it follows.
        let mut rotated = file.clone();
        rotated.log.key_changes = vec![other.sign_key_change(&log.signer.verifier_key())];
        let check = check_export(&rotated, Some(&[other.verifier_key()]));
        assert!(!check.failed(), "{:?}", check.findings());
        assert_eq!(
            check.key,
            KeyTrust::FollowedKeyChange(log.signer.verifier_key().to_string())
        );
        // A statement the log's key signed for itself proves nothing.
        let mut forged = file.clone();
        forged.log.key_changes = vec![log.signer.sign_key_change(&log.signer.verifier_key())];
        assert!(check_export(&forged, Some(&[other.verifier_key()])).failed());
    }

    #[test]
    fn a_file_resigned_by_someone_else_verifies_only_as_self_consistent() {
        // Whoever rewrites the file and signs it with their own key makes a consistent
        // file: only a pinned key tells it from the log's.
        let (log, _) = honest();
        let forger = Log {
            signer: CheckpointSigner::new("glassbox.test/log", &[9; 32]).unwrap(),
            entries: log.entries.clone(),
        };
        let forged = forger.export(10, &[1, 2]);
        assert!(!check_export(&forged, None).failed());
        assert!(check_export(&forged, Some(&[log.signer.verifier_key()])).failed());
    }

    #[test]
    fn a_staff_pseudonym_moved_to_another_staff_members_event_is_caught() {
        let (log, file) = honest();
        let mut f = file.clone();
        // Events at 2 and 4 are by different staff; show both under one pseudonym.
        let (p2, p4) = (
            f.events
                .iter()
                .position(|e| e.log_index == Some(2))
                .unwrap(),
            f.events
                .iter()
                .position(|e| e.log_index == Some(4))
                .unwrap(),
        );
        assert_ne!(f.events[p2].agent, f.events[p4].agent);
        f.events[p2].agent = f.events[p4].agent.clone();
        assert!(check_export(&f, Some(&[log.signer.verifier_key()])).failed());
    }
}
