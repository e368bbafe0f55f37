//! The owner's own check of the access log, run in the browser (WASM) with the same code as
//! `glassbox verify` (`glassbox-log`): each event on the page must be exactly the entry whose
//! hash the log holds at its index, included in a checkpoint signed by the log's key; and
//! the log must only have grown since the checkpoint this browser saw on its last visit.
//! Pure: the page supplies what it remembered and stores what [`PageCheck::remember`] says.

use super::{EventView, LogProofs, NoticeStep, RequestStep};
use glassbox_log::witness::WitnessPolicy;
use glassbox_log::{key_change_leads_to, unb64, Checkpoint, Entry, NoteError, VerifierKey};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;

/// What this browser kept from its last visit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Remembered {
    /// The verifier key it trusted.
    pub key: Option<String>,
    /// The last checkpoint note it verified.
    pub checkpoint: Option<String>,
    /// The witness policy it trusted ([`policy_text`]); `None` before the log named any.
    pub witnesses: Option<String>,
}

/// What the witnesses said of the checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Witnessing {
    /// The log names no witnesses, and this browser trusted none.
    NotRequired,
    /// Enough trusted witnesses cosigned it: their names.
    Cosigned {
        /// The witnesses whose cosignatures verified.
        by: Vec<String>,
        /// How many the policy needs.
        quorum: usize,
        /// How many it trusts.
        of: usize,
    },
    /// Not (yet) enough: why. Not a sign of tampering, but nothing on the page is verified.
    Waiting(String),
}

/// A witness policy as this browser keeps it: the quorum, then one witness key a line.
pub fn policy_text(witnesses: &[String], quorum: usize) -> String {
    let mut keys: Vec<&str> = witnesses.iter().map(|k| k.trim()).collect();
    keys.sort_unstable();
    let mut text = format!("{quorum}\n");
    for k in keys {
        text.push_str(k);
        text.push('\n');
    }
    text
}

fn parse_policy(text: &str) -> Option<WitnessPolicy> {
    let mut lines = text.lines();
    let quorum = lines.next()?.trim().parse().ok()?;
    let keys: Vec<String> = lines
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    WitnessPolicy::new(&keys, quorum).ok()
}

/// How the log changed since the last visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryCheck {
    /// Nothing remembered yet: this checkpoint is now the reference.
    FirstVisit,
    /// The log grew (or stayed) and is consistent with what was seen before.
    OnlyGrew {
        /// The size seen last time.
        from: u64,
        /// The size now.
        to: u64,
    },
    /// The log is not an extension of what this browser saw: history was rewritten.
    Rewritten(String),
}

/// What the browser found for one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowCheck {
    /// The log holds exactly this entry at its index, in a checkpoint signed by its key.
    Verified,
    /// Not checkable yet: the row is newer than the latest signed checkpoint (the next one
    /// covers it). This is no sign of tampering; the page checks again.
    Pending(String),
    /// The log contradicts the page: the only result that warns of tampering.
    Failed(String),
}

/// The result of checking one page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageCheck {
    /// The checkpoint checked against (`Err`: the checkpoint or key did not verify).
    pub checkpoint: Result<Checkpoint, String>,
    /// Per log index: verified, not yet checkable, or why it failed.
    pub rows: BTreeMap<u64, RowCheck>,
    /// Since the last visit.
    pub history: HistoryCheck,
    /// How many rows of the page are not in the log yet (no index): the page cannot be
    /// called verified until they are.
    pub unlogged: usize,
    /// The log's signing key changed since the last visit, and a statement signed by the
    /// key this browser trusted handed over to the new one.
    pub key_changed: bool,
    /// What the witnesses said of the checkpoint.
    pub witnessed: Witnessing,
}

impl PageCheck {
    /// What to remember for the next visit (only a checkpoint that verified and did not
    /// contradict the last one replaces it).
    ///
    /// The witness policy is pinned like the key: the first one the log names (once a
    /// checkpoint met it) is kept, so a log cannot later drop the witnesses that caught it.
    pub fn remember(&self, proofs: &LogProofs, before: &Remembered) -> Option<Remembered> {
        if matches!(self.witnessed, Witnessing::Waiting(_)) {
            return None;
        }
        match (&self.checkpoint, &self.history) {
            (Ok(_), HistoryCheck::FirstVisit | HistoryCheck::OnlyGrew { .. }) => Some(Remembered {
                key: Some(proofs.key.trim().to_string()),
                checkpoint: Some(proofs.checkpoint.clone()),
                witnesses: before.witnesses.clone().or_else(|| {
                    (proofs.quorum > 0).then(|| policy_text(&proofs.witnesses, proofs.quorum))
                }),
            }),
            _ => None,
        }
    }

    /// Whether everything verified.
    pub fn all_good(&self) -> bool {
        !self.failed() && !self.pending()
    }

    /// Whether a proof failed: the checkpoint, the log's history or a row contradicts what
    /// the page shows. Only this may warn that the log was altered.
    pub fn failed(&self) -> bool {
        self.checkpoint.is_err()
            || matches!(self.history, HistoryCheck::Rewritten(_))
            || self.rows.values().any(|r| matches!(r, RowCheck::Failed(_)))
    }

    /// Whether some row is not in the log yet, or newer than the latest signed checkpoint:
    /// not a failure, but the page is not verified yet either.
    pub fn pending(&self) -> bool {
        self.unlogged > 0
            || self.awaiting_checkpoint()
            || matches!(self.witnessed, Witnessing::Waiting(_))
    }

    /// Whether some row is in the log but newer than the latest signed checkpoint: checking
    /// the same rows again shortly will settle it.
    pub fn awaiting_checkpoint(&self) -> bool {
        self.rows
            .values()
            .any(|r| matches!(r, RowCheck::Pending(_)))
    }
}

/// The size of the remembered checkpoint, to ask for a consistency proof from it.
pub fn remembered_size(remembered: &Remembered) -> Option<u64> {
    let key = VerifierKey::parse(remembered.key.as_deref()?).ok()?;
    Some(key.open(remembered.checkpoint.as_deref()?).ok()?.size)
}

/// Something a page shows that claims a place in the log: an access event of the history,
/// or a step of a request.
pub trait LogRow {
    /// Where it claims to be in the log.
    fn log_index(&self) -> Option<u64>;
    /// Its canonical entry (base64), as the server says the log holds it.
    fn log_entry(&self) -> Option<&str>;
    /// Whether `entry` says what the page shows.
    fn shows(&self, entry: &Entry) -> bool;
}

impl LogRow for EventView {
    fn log_index(&self) -> Option<u64> {
        self.log_index
    }

    fn log_entry(&self) -> Option<&str> {
        self.log_entry.as_deref()
    }

    fn shows(&self, entry: &Entry) -> bool {
        let Entry::Access(entry) = entry else {
            return false;
        };
        entry.scope == self.scope.as_str()
            && entry.action == self.action
            && entry.decision == self.decision.as_str()
            && entry.reason == self.reason
            && entry.resource == self.resource
            && entry.source_network == self.source_network
            && entry.request_id == self.request_id.map(|r| r.0.hyphenated().to_string())
            && entry.occurred_at == self.occurred_at.format(&Rfc3339).unwrap_or_default()
    }
}

impl LogRow for RequestStep {
    fn log_index(&self) -> Option<u64> {
        self.log_index
    }

    fn log_entry(&self) -> Option<&str> {
        self.log_entry.as_deref()
    }

    fn shows(&self, entry: &Entry) -> bool {
        let Entry::Change(entry) = entry else {
            return false;
        };
        entry.change == self.change.as_str()
            && entry.by == self.by.as_str()
            && entry.occurred_at == self.at.format(&Rfc3339).unwrap_or_default()
    }
}

impl LogRow for NoticeStep {
    fn log_index(&self) -> Option<u64> {
        self.log_index
    }

    fn log_entry(&self) -> Option<&str> {
        self.entry.as_deref()
    }

    fn shows(&self, entry: &Entry) -> bool {
        let Entry::Notice(entry) = entry else {
            return false;
        };
        entry.change == self.change
            && entry.release_on == self.release_on
            && entry.commitment == self.commitment
            && entry.occurred_at == self.occurred_at.format(&Rfc3339).unwrap_or_default()
    }
}

/// A row of a page that shows both kinds (the request page: its steps, and the receipts
/// of its IMAP sessions), so that one proof request verifies them all.
#[derive(Clone, Debug)]
pub enum PageRow {
    /// A step of the request.
    Step(RequestStep),
    /// An access event (a login or a receipt).
    Event(Box<EventView>),
}

impl LogRow for PageRow {
    fn log_index(&self) -> Option<u64> {
        match self {
            PageRow::Step(s) => s.log_index(),
            PageRow::Event(e) => e.log_index(),
        }
    }

    fn log_entry(&self) -> Option<&str> {
        match self {
            PageRow::Step(s) => s.log_entry(),
            PageRow::Event(e) => e.log_entry(),
        }
    }

    fn shows(&self, entry: &Entry) -> bool {
        match self {
            PageRow::Step(s) => s.shows(entry),
            PageRow::Event(e) => e.shows(entry),
        }
    }
}

fn check_row(row: &impl LogRow, index: u64, proofs: &LogProofs, cp: &Checkpoint) -> RowCheck {
    if index >= cp.size {
        return RowCheck::Pending(if proofs.quorum > 0 {
            "not yet in a checkpoint the witnesses cosigned (they are asked every minute or so); checking again".into()
        } else {
            "not yet in a signed checkpoint; checking again".into()
        });
    }
    let Some(proof) = proofs.inclusion.iter().find(|p| p.index == index) else {
        return RowCheck::Pending("no proof yet: the next checkpoint will cover it".into());
    };
    match check_entry(row, proof, cp) {
        Ok(()) => RowCheck::Verified,
        Err(e) => RowCheck::Failed(e),
    }
}

fn check_entry(
    row: &impl LogRow,
    proof: &glassbox_log::InclusionProof,
    cp: &Checkpoint,
) -> Result<(), String> {
    let bytes = row
        .log_entry()
        .and_then(|e| unb64(e).ok())
        .ok_or("the log entry is missing")?;
    let entry = Entry::decode(&bytes).map_err(|e| e.to_string())?;
    if !row.shows(&entry) {
        return Err("the log entry is not what this page shows".into());
    }
    let leaf = glassbox_log::leaf_hash(&bytes);
    if proof.size != cp.size || proof.leaf() != Some(leaf) {
        return Err("the log holds another entry at this index".into());
    }
    proof.verify(&leaf, &cp.root).map_err(|e| e.to_string())
}

/// Checks the events (or request steps) of a page against the proofs the server sent and
/// what this browser remembered.
pub fn check_page(
    events: &[impl LogRow],
    proofs: &LogProofs,
    remembered: &Remembered,
) -> PageCheck {
    let unlogged = events.iter().filter(|e| e.log_index().is_none()).count();
    // A pinned key wins: a log cannot quietly switch keys. It may switch openly, with a
    // statement signed by the pinned key (and by each key after it) naming the next.
    let current = VerifierKey::parse(&proofs.key).map_err(|e| e.to_string());
    let pinned = remembered
        .key
        .as_deref()
        .filter(|k| k.trim() != proofs.key.trim())
        .and_then(|k| VerifierKey::parse(k).ok());
    let key = current.and_then(|current| match &pinned {
        Some(pinned) => key_change_leads_to(pinned, &current, &proofs.key_changes)
            .map(|()| current)
            .map_err(|_| {
                "the log's signing key changed since your last visit, and the key your browser trusted did not sign the change".to_string()
            }),
        None => Ok(current),
    });
    let checkpoint = key.and_then(|k| {
        k.open(&proofs.checkpoint)
            .map(|c| (k, c))
            .map_err(|e| e.to_string())
    });
    let (key, cp) = match checkpoint {
        Ok(kc) => kc,
        Err(e) => {
            return failed_everywhere(events, e, unlogged);
        }
    };
    let witnessed = match witnessing(proofs, remembered) {
        Ok(w) => w,
        Err(e) => {
            return failed_everywhere(events, e, unlogged);
        }
    };
    let rows = events
        .iter()
        .filter_map(|ev| {
            let i = ev.log_index()?;
            let check = match (&witnessed, check_row(ev, i, proofs, &cp)) {
                (Witnessing::Waiting(why), RowCheck::Verified) => RowCheck::Pending(why.clone()),
                (_, check) => check,
            };
            Some((i, check))
        })
        .collect();
    // The remembered checkpoint was signed by the key trusted then.
    let then = pinned.as_ref().unwrap_or(&key);
    let history = match remembered.checkpoint.as_deref().map(|n| then.open(n)) {
        None => HistoryCheck::FirstVisit,
        Some(Err(_)) => HistoryCheck::FirstVisit,
        Some(Ok(old)) if old.size > cp.size => HistoryCheck::Rewritten(format!(
            "the log shrank from {} to {} events",
            old.size, cp.size
        )),
        Some(Ok(old)) => {
            let verified = if old.size == cp.size {
                if old.root == cp.root {
                    Ok(())
                } else {
                    Err("two different checkpoints of the same size".to_string())
                }
            } else {
                match &proofs.consistency {
                    Some(p) if p.from == old.size && p.to == cp.size => {
                        p.verify(&old.root, &cp.root).map_err(|e| e.to_string())
                    }
                    _ => Err("no consistency proof from your last visit".to_string()),
                }
            };
            match verified {
                Ok(()) => HistoryCheck::OnlyGrew {
                    from: old.size,
                    to: cp.size,
                },
                Err(e) => HistoryCheck::Rewritten(e),
            }
        }
    };
    PageCheck {
        checkpoint: Ok(cp),
        rows,
        history,
        unlogged,
        key_changed: pinned.is_some(),
        witnessed,
    }
}

/// The check of a page whose checkpoint (or its key, or its witnesses) did not verify: every
/// logged row fails with the same reason.
fn failed_everywhere(events: &[impl LogRow], e: String, unlogged: usize) -> PageCheck {
    PageCheck {
        rows: events
            .iter()
            .filter_map(|ev| ev.log_index().map(|i| (i, RowCheck::Failed(e.clone()))))
            .collect(),
        checkpoint: Err(e),
        history: HistoryCheck::FirstVisit,
        unlogged,
        key_changed: false,
        witnessed: Witnessing::NotRequired,
    }
}

/// Applies the witness policy this browser pinned (else the one the log names now) to the
/// checkpoint: `Err` when a trusted witness's cosignature is forged or altered.
fn witnessing(proofs: &LogProofs, remembered: &Remembered) -> Result<Witnessing, String> {
    let served = (proofs.quorum > 0).then(|| policy_text(&proofs.witnesses, proofs.quorum));
    let pinned = remembered.witnesses.as_deref();
    let text = match (pinned, &served) {
        (Some(p), _) => p.to_string(),
        (None, Some(s)) => s.clone(),
        (None, None) => return Ok(Witnessing::NotRequired),
    };
    let changed = pinned.is_some() && pinned != served.as_deref();
    let Some(policy) = parse_policy(&text) else {
        return Err("the log names witnesses whose keys are malformed".into());
    };
    match policy.check(&proofs.checkpoint) {
        Ok(found) => Ok(Witnessing::Cosigned {
            by: found.into_iter().map(|c| c.witness).collect(),
            quorum: policy.quorum,
            of: policy.witnesses.len(),
        }),
        Err(NoteError::TooFewWitnesses { found, needed, of }) => {
            Ok(Witnessing::Waiting(if changed {
                format!("the log now names other witnesses than the {of} your browser trusts, and only {found} of those cosigned its checkpoint ({needed} needed)")
            } else {
                format!("waiting for the witnesses: {found} of {of} have cosigned the log's checkpoint, {needed} needed; checking again")
            }))
        }
        Err(e) => Err(format!("a witness's cosignature did not verify: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, EventSeq, Scope};
    use glassbox_log::merkle::reference;
    use glassbox_log::proof::encode_all;
    use glassbox_log::{
        b64, ChangeEntry, CheckpointSigner, ConsistencyProof, Hash, InclusionProof, LogEntry,
    };
    use time::macros::datetime;

    fn event(i: u64) -> (EventView, Vec<u8>) {
        let at = datetime!(2026-11-30 08:00:00 UTC) + time::Duration::minutes(i as i64);
        let entry = LogEntry {
            event_id: format!("00000000-0000-7000-8000-{i:012}"),
            occurred_at: at.format(&Rfc3339).unwrap(),
            mailbox_id: "00000000-0000-7000-8000-00000000000a".into(),
            agent_id: None,
            request_id: None,
            scope: "content".into(),
            action: "read_message".into(),
            resource: format!("msg-{i}"),
            decision: "allowed".into(),
            reason: "Allowed: you approved this access".into(),
            source_network: None,
            salt: [i as u8; 16],
        };
        let bytes = entry.encode();
        let view = EventView {
            seq: EventSeq(i as i64 + 1),
            occurred_at: at,
            mailbox: "alice@example.org".into(),
            agent_pseudonym: None,
            agent_role: None,
            scope: Scope::Content,
            action: "read_message".into(),
            resource: format!("msg-{i}"),
            source_network: None,
            request_id: None,
            decision: Decision::Allowed,
            reason: "Allowed: you approved this access".into(),
            log_index: Some(i),
            log_entry: Some(b64(&bytes)),
            in_session_of: None,
            break_glass: false,
            agent_sign_in: None,
        };
        (view, bytes)
    }

    struct Log {
        signer: CheckpointSigner,
        leaves: Vec<Hash>,
        events: Vec<EventView>,
    }

    impl Log {
        fn new(n: u64) -> Self {
            let (events, leaves) = (0..n)
                .map(|i| {
                    let (v, b) = event(i);
                    (v, glassbox_log::leaf_hash(&b))
                })
                .unzip();
            Log {
                signer: CheckpointSigner::new("glassbox.test/log", &[1; 32]).unwrap(),
                leaves,
                events,
            }
        }

        fn proofs(&self, size: usize, since: Option<usize>) -> LogProofs {
            let d = &self.leaves[..size];
            LogProofs {
                key: self.signer.verifier_key().to_string(),
                checkpoint: self.signer.sign(size as u64, &glassbox_log::root_of(d)),
                inclusion: (0..size)
                    .map(|i| InclusionProof {
                        index: i as u64,
                        size: size as u64,
                        leaf_hash: b64(&d[i]),
                        hashes: encode_all(&reference::inclusion(i, d)),
                    })
                    .collect(),
                consistency: since.map(|m| ConsistencyProof {
                    from: m as u64,
                    to: size as u64,
                    hashes: encode_all(&reference::consistency(m, d)),
                }),
                key_changes: Vec::new(),
                witnesses: Vec::new(),
                quorum: 0,
            }
        }
    }

    #[test]
    fn after_a_rotation_the_old_key_signed_a_browser_that_trusted_it_follows_to_the_new_key() {
        let mut log = Log::new(6);
        // The first visit trusts the first key and remembers its checkpoint of size 4.
        let first = log.proofs(4, None);
        let remembered = check_page(&log.events[..4], &first, &Remembered::default())
            .remember(&first, &Remembered::default())
            .unwrap();
        // The log rotates: the old key signs the statement naming the new one.
        let old = std::mem::replace(
            &mut log.signer,
            CheckpointSigner::new("glassbox.test/log", &[3; 32]).unwrap(),
        );
        let mut proofs = log.proofs(6, Some(4));
        proofs.key_changes = vec![old.sign_key_change(&log.signer.verifier_key())];
        let check = check_page(&log.events, &proofs, &remembered);
        assert!(check.all_good(), "{check:?}");
        assert!(check.key_changed);
        // The history is still checked against what the old key signed then.
        assert_eq!(check.history, HistoryCheck::OnlyGrew { from: 4, to: 6 });
        let next = check.remember(&proofs, &Remembered::default()).unwrap();
        assert_eq!(
            next.key.as_deref(),
            Some(log.signer.verifier_key().to_string().as_str())
        );
    }

    #[test]
    fn a_new_key_without_a_statement_from_the_trusted_one_fails_everything() {
        let mut log = Log::new(4);
        let first = log.proofs(4, None);
        let remembered = check_page(&log.events, &first, &Remembered::default())
            .remember(&first, &Remembered::default())
            .unwrap();
        log.signer = CheckpointSigner::new("glassbox.test/log", &[3; 32]).unwrap();
        // A statement the new key signed for itself proves nothing.
        let mut proofs = log.proofs(4, Some(4));
        proofs.key_changes = vec![log.signer.sign_key_change(&log.signer.verifier_key())];
        let check = check_page(&log.events, &proofs, &remembered);
        assert!(check.failed());
        assert!(!check.key_changed);
        assert!(check
            .checkpoint
            .clone()
            .unwrap_err()
            .contains("did not sign the change"));
        assert_eq!(
            check.remember(&proofs, &Remembered::default()),
            None,
            "the old key stays pinned"
        );
    }

    #[test]
    fn every_event_of_an_honest_log_verifies_and_the_checkpoint_is_remembered() {
        let log = Log::new(9);
        let proofs = log.proofs(9, None);
        let check = check_page(&log.events, &proofs, &Remembered::default());
        assert!(check.all_good(), "{check:?}");
        assert_eq!(check.history, HistoryCheck::FirstVisit);
        let remembered = check.remember(&proofs, &Remembered::default()).unwrap();
        assert_eq!(remembered_size(&remembered), Some(9));
    }

    #[test]
    fn on_the_next_visit_a_grown_log_is_checked_for_consistency() {
        let log = Log::new(12);
        let first = log.proofs(5, None);
        let remembered = check_page(&log.events[..5], &first, &Remembered::default())
            .remember(&first, &Remembered::default())
            .unwrap();
        let later = log.proofs(12, Some(5));
        let check = check_page(&log.events, &later, &remembered);
        assert_eq!(check.history, HistoryCheck::OnlyGrew { from: 5, to: 12 });
        assert!(check.all_good());
    }

    #[test]
    fn a_rewritten_history_is_caught_on_the_next_visit() {
        let log = Log::new(12);
        let first = log.proofs(5, None);
        let remembered = check_page(&log.events[..5], &first, &Remembered::default())
            .remember(&first, &Remembered::default())
            .unwrap();
        let mut forked = Log::new(12);
        forked.leaves[2] = glassbox_log::leaf_hash(b"rewritten");
        let later = forked.proofs(12, Some(5));
        let check = check_page(&log.events[5..], &later, &remembered);
        assert!(
            matches!(check.history, HistoryCheck::Rewritten(_)),
            "{check:?}"
        );
        assert!(
            check.remember(&later, &Remembered::default()).is_none(),
            "a bad checkpoint never replaces a good one"
        );
        // Same size, other root: a split view.
        let same_size = forked.proofs(5, None);
        let check = check_page(&[] as &[EventView], &same_size, &remembered);
        assert!(matches!(check.history, HistoryCheck::Rewritten(_)));
    }

    #[test]
    fn a_log_rolled_back_to_an_older_copy_is_caught() {
        let log = Log::new(12);
        let later = log.proofs(12, None);
        let remembered = check_page(&log.events, &later, &Remembered::default())
            .remember(&later, &Remembered::default())
            .unwrap();
        let rolled_back = log.proofs(7, None);
        let check = check_page(&log.events[..7], &rolled_back, &remembered);
        assert!(matches!(&check.history, HistoryCheck::Rewritten(m) if m.contains("shrank")));
        assert!(!check.all_good());
    }

    #[test]
    fn an_event_newer_than_the_signed_checkpoint_is_pending_and_no_sign_of_tampering() {
        // A step that just entered the log (index 5) while the latest checkpoint has 5
        // entries, and one whose proof the server did not send yet.
        let log = Log::new(6);
        let mut proofs = log.proofs(5, None);
        proofs.inclusion.retain(|p| p.index != 3);
        let check = check_page(&log.events, &proofs, &Remembered::default());
        assert_eq!(check.rows[&0], RowCheck::Verified);
        assert!(matches!(check.rows[&3], RowCheck::Pending(_)));
        assert!(matches!(check.rows[&5], RowCheck::Pending(_)));
        assert!(!check.failed(), "{check:?}");
        assert!(check.pending());
        assert!(!check.all_good());
        // Once a checkpoint covers it, it verifies.
        let later = log.proofs(6, Some(5));
        let remembered = check.remember(&proofs, &Remembered::default()).unwrap();
        assert!(check_page(&log.events, &later, &remembered).all_good());
    }

    #[test]
    fn an_event_that_differs_from_its_log_entry_fails() {
        let log = Log::new(6);
        let proofs = log.proofs(6, None);
        let mut shown = log.events.clone();
        shown[3].decision = Decision::Denied;
        shown[4].log_entry = log.events[1].log_entry.clone();
        // The folder or message the page names is part of what the log vouches for.
        shown[5].resource = "msg-forged".into();
        let check = check_page(&shown, &proofs, &Remembered::default());
        assert_eq!(check.rows[&0], RowCheck::Verified);
        assert!(matches!(check.rows[&3], RowCheck::Failed(_)));
        assert!(matches!(check.rows[&4], RowCheck::Failed(_)));
        assert!(matches!(check.rows[&5], RowCheck::Failed(_)));
        assert!(!check.all_good());
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_than_the_remembered_one_fails_everything() {
        let log = Log::new(4);
        let proofs = log.proofs(4, None);
        let remembered = Remembered {
            key: Some(
                CheckpointSigner::new("glassbox.test/log", &[2; 32])
                    .unwrap()
                    .verifier_key()
                    .to_string(),
            ),
            checkpoint: None,
            witnesses: None,
        };
        let check = check_page(&log.events, &proofs, &remembered);
        assert!(check.checkpoint.is_err());
        assert!(check
            .rows
            .values()
            .all(|r| matches!(r, RowCheck::Failed(_))));
    }

    #[test]
    fn a_request_step_verifies_only_as_the_change_it_shows() {
        use crate::model::{ChangeActor, RequestChangeKind};
        let at = datetime!(2026-11-30 09:00:00 UTC);
        let change = ChangeEntry {
            change_id: "00000000-0000-7000-8000-000000000c01".into(),
            occurred_at: at.format(&Rfc3339).unwrap(),
            request_id: "00000000-0000-7000-8000-000000000r01".into(),
            mailbox_id: "00000000-0000-7000-8000-00000000000a".into(),
            agent_id: "00000000-0000-7000-8000-00000000000b".into(),
            change: "revoked".into(),
            by: "owner".into(),
            scopes: "content".into(),
            grant_ends_at: None,
            reason: None,
            salt: [5; 16],
        };
        // A log of two access events and the change at index 2.
        let mut log = Log::new(2);
        log.leaves.push(change.leaf_hash());
        let proofs = log.proofs(3, None);
        let step = RequestStep {
            change: RequestChangeKind::Revoked,
            by: ChangeActor::Owner,
            at,
            log_index: Some(2),
            log_entry: Some(b64(&change.encode())),
        };
        let check = check_page(std::slice::from_ref(&step), &proofs, &Remembered::default());
        assert_eq!(check.rows[&2], RowCheck::Verified);
        // Shown as another change, or by someone else, it fails.
        let mut claimed = step.clone();
        claimed.by = ChangeActor::Glassbox;
        let check = check_page(&[claimed], &proofs, &Remembered::default());
        assert!(matches!(check.rows[&2], RowCheck::Failed(_)));
        // An access event's entry is never a step.
        let mut swapped = step;
        swapped.log_entry = log.events[0].log_entry.clone();
        let check = check_page(&[swapped], &proofs, &Remembered::default());
        assert!(matches!(check.rows[&2], RowCheck::Failed(_)));
    }

    fn witness(n: u8) -> glassbox_log::witness::WitnessSigner {
        glassbox_log::witness::WitnessSigner::new(&format!("w{n}.test"), &[n + 40; 32]).unwrap()
    }

    /// Proofs at `size` naming witnesses 1 and 2 (both needed), cosigned by `by`.
    fn witnessed(log: &Log, size: usize, by: &[u8]) -> LogProofs {
        let mut proofs = log.proofs(size, None);
        let body = log
            .signer
            .verifier_key()
            .open(&proofs.checkpoint)
            .unwrap()
            .body();
        for n in by {
            proofs
                .checkpoint
                .push_str(&witness(*n).cosign(&body, 1_800_000_000));
        }
        proofs.witnesses = vec![
            witness(1).verifier_key().to_string(),
            witness(2).verifier_key().to_string(),
        ];
        proofs.quorum = 2;
        proofs
    }

    #[test]
    fn a_checkpoint_short_of_its_witnesses_leaves_every_row_waiting_and_is_not_remembered() {
        let log = Log::new(3);
        let proofs = witnessed(&log, 3, &[1]);
        let check = check_page(&log.events, &proofs, &Remembered::default());
        assert!(!check.failed(), "{check:?}");
        assert!(check.pending() && !check.all_good());
        assert!(matches!(&check.witnessed, Witnessing::Waiting(w) if w.contains("1 of 2")));
        assert!(check
            .rows
            .values()
            .all(|r| matches!(r, RowCheck::Pending(_))));
        assert_eq!(check.remember(&proofs, &Remembered::default()), None);
    }

    #[test]
    fn a_checkpoint_cosigned_by_the_quorum_verifies_and_its_witnesses_are_pinned() {
        let log = Log::new(3);
        let proofs = witnessed(&log, 3, &[2, 1]);
        let check = check_page(&log.events, &proofs, &Remembered::default());
        assert!(check.all_good(), "{check:?}");
        assert_eq!(
            check.witnessed,
            Witnessing::Cosigned {
                by: vec!["w1.test".into(), "w2.test".into()],
                quorum: 2,
                of: 2
            }
        );
        let kept = check.remember(&proofs, &Remembered::default()).unwrap();
        assert_eq!(kept.witnesses, Some(policy_text(&proofs.witnesses, 2)));
        // An event newer than the witnessed checkpoint waits for the witnesses, and says so.
        let newer = Log::new(4);
        let at_three = witnessed(&newer, 3, &[1, 2]);
        let check = check_page(&newer.events, &at_three, &kept);
        assert!(
            matches!(check.rows.get(&3), Some(RowCheck::Pending(w)) if w.contains("witnesses cosigned"))
        );
        assert!(!check.failed());
        // Later the log stops naming witnesses and serves an uncosigned checkpoint: the
        // pinned witnesses still apply, so nothing verifies.
        let mut later = log.proofs(3, Some(3));
        later.witnesses.clear();
        later.quorum = 0;
        let check = check_page(&log.events, &later, &kept);
        assert!(
            matches!(&check.witnessed, Witnessing::Waiting(w) if w.contains("other witnesses"))
        );
        assert!(!check.all_good());
        assert_eq!(check.remember(&later, &kept), None);
    }

    #[test]
    fn a_cosignature_moved_from_another_checkpoint_is_a_failure_not_a_wait() {
        let log = Log::new(4);
        let mut proofs = witnessed(&log, 4, &[1]);
        let other = log
            .signer
            .verifier_key()
            .open(&log.proofs(3, None).checkpoint)
            .unwrap();
        proofs
            .checkpoint
            .push_str(&witness(2).cosign(&other.body(), 1_800_000_000));
        let check = check_page(&log.events, &proofs, &Remembered::default());
        assert!(check.failed(), "{check:?}");
    }
}
