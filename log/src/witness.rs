//! Witnesses: others than the operator who vouch that a checkpoint is the one and only
//! history of the log they have seen.
//!
//! - [`WitnessSigner`] and [`WitnessKey`]: C2SP `tlog-cosignature` v1 with Ed25519 (a note
//!   signature line whose key id uses the type byte 0x04 and whose signature is a
//!   `timestamped_signature` over `cosignature/v1\ntime <t>\n` followed by the checkpoint
//!   body);
//! - [`AddCheckpoint`]: the body of a C2SP `tlog-witness` `add-checkpoint` request;
//! - [`decide`]: what a witness answers to one, given the latest checkpoint it cosigned;
//! - [`WitnessPolicy`]: the k-of-n rule a verifier applies to a cosigned checkpoint.

use crate::merkle::verify_consistency;
use crate::note::{
    format_vkey, key_file_text, key_id_of, name_ok, parse_key_file, parse_vkey, Checkpoint,
    NoteError,
};
use crate::{b64, hash_from_b64, unb64, Hash};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use std::fmt;

/// The signature type byte of an Ed25519 cosignature (C2SP `tlog-cosignature`).
const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The em dash that starts every note signature line.
const SIG_PREFIX: &str = "\u{2014} ";
/// The most consistency proof lines a client may send (C2SP `tlog-witness`).
pub const MAX_PROOF_LINES: usize = 63;

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    key_id_of(ALG_COSIGNATURE_V1, name, public)
}

/// The message a cosignature signs: the header, the time, then the checkpoint body.
fn cosigned_message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// The text of a signed note (everything before its signature lines, with its final
/// newline) and its signature lines.
pub fn split_note(note: &str) -> Result<(String, Vec<&str>), NoteError> {
    let (text, sigs) = note.rsplit_once("\n\n").ok_or(NoteError::Malformed)?;
    let sigs = sigs.strip_suffix('\n').ok_or(NoteError::Malformed)?;
    let lines = sigs.split('\n').collect::<Vec<_>>();
    if lines.iter().any(|l| !l.starts_with(SIG_PREFIX)) {
        return Err(NoteError::Malformed);
    }
    Ok((format!("{text}\n"), lines))
}

/// A witness's public key: `<name>+<hex key id>+<base64 of 0x04‖public key>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessKey {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl WitnessKey {
    /// Parses a witness verifier key; the id must match the name and key.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let (name, id, key) = parse_vkey(s, ALG_COSIGNATURE_V1)?;
        Ok(Self { name, id, key })
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks one signature line against the checkpoint `body`: `Ok(None)` when the line is
    /// not this witness's (another name or key id), `Ok(Some(timestamp))` when it is and
    /// verifies, an error when it is this witness's and does not.
    pub fn verify_line(&self, body: &str, line: &str) -> Result<Option<u64>, NoteError> {
        let rest = line
            .trim_end_matches('\n')
            .strip_prefix(SIG_PREFIX)
            .ok_or(NoteError::Malformed)?;
        let (name, sig_b64) = rest.split_once(' ').ok_or(NoteError::Malformed)?;
        if name != self.name {
            return Ok(None);
        }
        let raw = unb64(sig_b64).map_err(|_| NoteError::Malformed)?;
        if raw.len() < 4 || raw[..4] != self.id {
            return Ok(None);
        }
        let raw: &[u8; 4 + 8 + 64] = raw
            .as_slice()
            .try_into()
            .map_err(|_| NoteError::BadSignature)?;
        let timestamp =
            u64::from_be_bytes(raw[4..12].try_into().map_err(|_| NoteError::BadSignature)?);
        if timestamp > i64::MAX as u64 {
            return Err(NoteError::BadSignature);
        }
        let sig = Signature::from_slice(&raw[12..]).map_err(|_| NoteError::BadSignature)?;
        self.key
            .verify(cosigned_message(body, timestamp).as_bytes(), &sig)
            .map_err(|_| NoteError::BadSignature)?;
        Ok(Some(timestamp))
    }
}

impl fmt::Display for WitnessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_vkey(
            &self.name,
            ALG_COSIGNATURE_V1,
            self.id,
            &self.key,
        ))
    }
}

/// A witness's signing key.
pub struct WitnessSigner {
    name: String,
    key: SigningKey,
}

impl WitnessSigner {
    /// A witness named `name` with a 32-byte Ed25519 secret.
    pub fn new(name: &str, secret: &[u8; 32]) -> Result<Self, NoteError> {
        if !name_ok(name) {
            return Err(NoteError::BadKey);
        }
        Ok(Self {
            name: name.to_string(),
            key: SigningKey::from_bytes(secret),
        })
    }

    /// The key file text: `PRIVATE+KEY+<name>+<hex key id>+<base64 of 0x04‖secret>`.
    pub fn to_key_file(&self) -> String {
        key_file_text(&self.name, ALG_COSIGNATURE_V1, &self.key)
    }

    /// Reads [`Self::to_key_file`]'s text back; the key id must match the key.
    pub fn from_key_file(text: &str) -> Result<Self, NoteError> {
        let (name, secret) = parse_key_file(text, ALG_COSIGNATURE_V1)?;
        Self::new(&name, &secret)
    }

    /// The witness's public key, for a verifier's policy and a log's configuration.
    pub fn verifier_key(&self) -> WitnessKey {
        let key = self.key.verifying_key();
        WitnessKey {
            id: key_id(&self.name, key.as_bytes()),
            name: self.name.clone(),
            key,
        }
    }

    /// The cosignature line (with its newline) of checkpoint `body` at `timestamp`
    /// (seconds since the epoch).
    pub fn cosign(&self, body: &str, timestamp: u64) -> String {
        let sig = self.key.sign(cosigned_message(body, timestamp).as_bytes());
        let mut raw = key_id(&self.name, self.key.verifying_key().as_bytes()).to_vec();
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!("{SIG_PREFIX}{} {}\n", self.name, b64(&raw))
    }
}

/// The body of an `add-checkpoint` request: the size of the checkpoint the witness last
/// cosigned, a consistency proof from it, and the new checkpoint (a signed note).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size the client believes the witness last cosigned (0: never).
    pub old_size: u64,
    /// The RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// The request body.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for h in &self.proof {
            body.push_str(&b64(h));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    /// Parses a request body; `None` when it is malformed (a 400).
    pub fn parse(body: &str) -> Option<Self> {
        let (head, checkpoint) = body.split_once("\n\n")?;
        let mut lines = head.split('\n');
        let old = lines.next()?.strip_prefix("old ")?;
        if old.is_empty()
            || (old.len() > 1 && old.starts_with('0'))
            || !old.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let old_size = old.parse().ok()?;
        let proof = lines.map(hash_from_b64).collect::<Option<Vec<_>>>()?;
        if proof.len() > MAX_PROOF_LINES {
            return None;
        }
        Some(Self {
            old_size,
            proof,
            checkpoint: checkpoint.to_string(),
        })
    }
}

/// Why a witness will not cosign a checkpoint, each with its `tlog-witness` status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the old size is larger than the checkpoint's, or a proof was sent from 0.
    #[error("the request is malformed: {0}")]
    BadRequest(&'static str),
    /// 409: the client's old size is not the witness's; the body says the witness's size.
    #[error("this witness last cosigned size {0}")]
    WrongOldSize(u64),
    /// 409: a checkpoint of the size the witness cosigned, with another root: a split view.
    #[error("a checkpoint of size {0} with another root was cosigned before: the log shows two histories")]
    SplitView(u64),
    /// 422: the consistency proof does not verify: the log rewrote its history.
    #[error("the consistency proof from size {0} does not verify: the log is not an extension of what this witness saw")]
    Inconsistent(u64),
}

/// What a witness that last cosigned `latest` (size and root; `None` if it never cosigned
/// this log) answers to `request` for the (already signature-checked) `checkpoint`: `Ok`
/// means cosign it and make it the latest.
pub fn decide(
    latest: Option<(u64, Hash)>,
    request: &AddCheckpoint,
    checkpoint: &Checkpoint,
) -> Result<(), Refusal> {
    if request.old_size > checkpoint.size {
        return Err(Refusal::BadRequest(
            "the old size is larger than the checkpoint's",
        ));
    }
    let (size, root) = latest.unwrap_or((0, crate::EMPTY_ROOT));
    if request.old_size != size {
        return Err(Refusal::WrongOldSize(size));
    }
    if size == 0 {
        if !request.proof.is_empty() {
            return Err(Refusal::BadRequest("a proof from size 0 must be empty"));
        }
        return Ok(());
    }
    if size == checkpoint.size {
        return if root == checkpoint.root {
            Ok(())
        } else {
            Err(Refusal::SplitView(size))
        };
    }
    verify_consistency(
        size,
        checkpoint.size,
        &root,
        &checkpoint.root,
        &request.proof,
    )
    .map_err(|_| Refusal::Inconsistent(size))
}

/// One witness's valid cosignature on a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's name.
    pub witness: String,
    /// When it cosigned (seconds since the epoch).
    pub timestamp: u64,
}

/// The witnesses a verifier trusts and how many of them must have cosigned a checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WitnessPolicy {
    /// The witnesses' keys.
    pub witnesses: Vec<WitnessKey>,
    /// How many distinct ones must cosign (0: no witness is needed).
    pub quorum: usize,
}

impl WitnessPolicy {
    /// A policy from witness keys (one a string) and a quorum, which must be 1..=n when there
    /// are witnesses (and is 0 without).
    pub fn new(keys: &[String], quorum: usize) -> Result<Self, String> {
        let witnesses = keys
            .iter()
            .map(|k| WitnessKey::parse(k).map_err(|_| format!("{k} is not a witness key")))
            .collect::<Result<Vec<_>, _>>()?;
        if witnesses.is_empty() && quorum > 0 {
            return Err(format!("a quorum of {quorum} needs witness keys"));
        }
        if !witnesses.is_empty() && (quorum == 0 || quorum > witnesses.len()) {
            return Err(format!(
                "the quorum must be between 1 and the {} witnesses",
                witnesses.len()
            ));
        }
        Ok(Self { witnesses, quorum })
    }

    /// Whether no witness is required.
    pub fn is_empty(&self) -> bool {
        self.quorum == 0
    }

    /// The distinct trusted witnesses whose cosignatures on `note` verify. A cosignature by
    /// a trusted witness that does not verify is an error (someone altered the note);
    /// lines by unknown keys (the log's own signature among them) are skipped.
    pub fn cosignatures(&self, note: &str) -> Result<Vec<Cosigned>, NoteError> {
        let (body, lines) = split_note(note)?;
        let mut found = Vec::new();
        for w in &self.witnesses {
            for line in &lines {
                if let Some(timestamp) = w.verify_line(&body, line)? {
                    found.push(Cosigned {
                        witness: w.name.clone(),
                        timestamp,
                    });
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Checks that at least `quorum` trusted witnesses cosigned `note`.
    pub fn check(&self, note: &str) -> Result<Vec<Cosigned>, NoteError> {
        let found = self.cosignatures(note)?;
        if found.len() < self.quorum {
            return Err(NoteError::TooFewWitnesses {
                found: found.len(),
                needed: self.quorum,
                of: self.witnesses.len(),
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::reference as rfc;
    use crate::CheckpointSigner;

    fn log() -> CheckpointSigner {
        CheckpointSigner::new("glassbox.example/log", &[42; 32]).unwrap()
    }

    fn witness(n: u8) -> WitnessSigner {
        WitnessSigner::new(&format!("witness.example/w{n}"), &[n; 32]).unwrap()
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| crate::leaf_hash(&[i as u8])).collect()
    }

    fn checkpoint(n: usize) -> (Checkpoint, String) {
        let root = rfc::mth(&leaves(n));
        let note = log().sign(n as u64, &root);
        (log().verifier_key().open(&note).unwrap(), note)
    }

    #[test]
    fn a_cosignature_verifies_with_the_witness_key_and_carries_its_time() {
        let (cp, note) = checkpoint(5);
        let line = witness(1).cosign(&cp.body(), 1_679_315_147);
        let key = WitnessKey::parse(&witness(1).verifier_key().to_string()).unwrap();
        assert_eq!(key.verify_line(&cp.body(), &line), Ok(Some(1_679_315_147)));
        // Another witness's line is not this one's; an altered body fails.
        assert_eq!(
            witness(2).verifier_key().verify_line(&cp.body(), &line),
            Ok(None)
        );
        let other = checkpoint(6).0.body();
        assert_eq!(key.verify_line(&other, &line), Err(NoteError::BadSignature));
        // The log's own signature line is skipped, not an error.
        let (_, sigs) = split_note(&note).unwrap();
        assert_eq!(key.verify_line(&cp.body(), sigs[0]), Ok(None));
    }

    #[test]
    fn a_witness_key_is_never_taken_for_a_log_key_nor_the_other_way() {
        let w = witness(1).verifier_key().to_string();
        assert!(crate::VerifierKey::parse(&w).is_err());
        assert!(WitnessKey::parse(&log().verifier_key().to_string()).is_err());
        let text = witness(1).to_key_file();
        assert_eq!(
            WitnessSigner::from_key_file(&text).unwrap().verifier_key(),
            witness(1).verifier_key()
        );
        assert!(CheckpointSigner::from_key_file(&text).is_err());
    }

    #[test]
    fn a_policy_counts_distinct_trusted_witnesses_and_refuses_too_few() {
        let (cp, note) = checkpoint(5);
        let policy =
            WitnessPolicy::new(&[1, 2, 3].map(|n| witness(n).verifier_key().to_string()), 2)
                .unwrap();
        let one = format!("{note}{}", witness(1).cosign(&cp.body(), 10));
        assert_eq!(
            policy.check(&one),
            Err(NoteError::TooFewWitnesses {
                found: 1,
                needed: 2,
                of: 3
            })
        );
        // The same witness twice still counts once; a stranger does not count.
        let twice = format!("{one}{}", witness(1).cosign(&cp.body(), 11));
        assert!(policy.check(&twice).is_err());
        let stranger = format!("{one}{}", witness(9).cosign(&cp.body(), 11));
        assert!(policy.check(&stranger).is_err());
        let two = format!("{one}{}", witness(3).cosign(&cp.body(), 12));
        let found = policy.check(&two).unwrap();
        assert_eq!(
            found.iter().map(|c| c.witness.as_str()).collect::<Vec<_>>(),
            ["witness.example/w1", "witness.example/w3"]
        );
        // A trusted witness's line copied onto another checkpoint is refused outright.
        let (_, other) = checkpoint(6);
        let moved = format!("{other}{}", witness(1).cosign(&cp.body(), 10));
        assert_eq!(policy.check(&moved), Err(NoteError::BadSignature));
        // And the log's signature still verifies on the cosigned note.
        assert_eq!(log().verifier_key().open(&two), Ok(cp));
    }

    #[test]
    fn a_policy_with_a_quorum_out_of_range_is_refused() {
        let keys = [witness(1).verifier_key().to_string()];
        assert!(WitnessPolicy::new(&keys, 0).is_err());
        assert!(WitnessPolicy::new(&keys, 2).is_err());
        assert!(WitnessPolicy::new(&[], 1).is_err());
        assert!(WitnessPolicy::new(&["nonsense".into()], 1).is_err());
        assert!(WitnessPolicy::new(&[], 0).unwrap().is_empty());
    }

    #[test]
    fn an_add_checkpoint_body_reads_back_and_a_malformed_one_is_refused() {
        let (_, note) = checkpoint(7);
        let req = AddCheckpoint {
            old_size: 4,
            proof: rfc::consistency(4, &leaves(7)),
            checkpoint: note.clone(),
        };
        let body = req.to_body();
        assert!(body.starts_with("old 4\n"), "{body}");
        assert_eq!(AddCheckpoint::parse(&body), Some(req));
        for bad in [
            format!("old 04\n\n{note}"),
            format!("old -1\n\n{note}"),
            format!("old 4\nnot-a-hash\n\n{note}"),
            format!("size 4\n\n{note}"),
            "old 4\n".to_string(),
        ] {
            assert_eq!(AddCheckpoint::parse(&bad), None, "{bad}");
        }
        let too_long = format!(
            "old 4\n{}\n{note}",
            format!("{}\n", b64(&[0; 32])).repeat(64)
        );
        assert_eq!(AddCheckpoint::parse(&too_long), None);
    }

    fn request(old: u64, new: usize) -> (AddCheckpoint, Checkpoint) {
        let (cp, note) = checkpoint(new);
        let proof = if old == 0 || old as usize == new {
            vec![]
        } else {
            rfc::consistency(old as usize, &leaves(new))
        };
        (
            AddCheckpoint {
                old_size: old,
                proof,
                checkpoint: note,
            },
            cp,
        )
    }

    #[test]
    fn a_witness_cosigns_the_first_checkpoint_and_then_only_consistent_growth() {
        let (req, cp) = request(0, 5);
        assert_eq!(decide(None, &req, &cp), Ok(()));
        let five = Some((5, cp.root));
        let (req, cp) = request(5, 9);
        assert_eq!(decide(five, &req, &cp), Ok(()));
        // The same checkpoint again is fine (a retry).
        let (req, cp) = request(5, 5);
        assert_eq!(decide(five, &req, &cp), Ok(()));
    }

    #[test]
    fn a_witness_refuses_a_rollback_a_split_view_and_a_rewritten_history() {
        let (five, _) = checkpoint(5);
        let latest = Some((5, five.root));
        // Rollback: the client claims old 5 but sends size 3.
        let (mut req, cp) = request(3, 3);
        req.old_size = 5;
        assert!(matches!(
            decide(latest, &req, &cp),
            Err(Refusal::BadRequest(_))
        ));
        // Or it claims the witness is at 3: told the real size.
        let (req, cp) = request(3, 4);
        assert_eq!(decide(latest, &req, &cp), Err(Refusal::WrongOldSize(5)));
        // Split view: another tree of size 5.
        let other: Vec<Hash> = (0..5).map(|i| crate::leaf_hash(&[i as u8, 1])).collect();
        let forked = Checkpoint {
            origin: "glassbox.example/log".into(),
            size: 5,
            root: rfc::mth(&other),
        };
        let req = AddCheckpoint {
            old_size: 5,
            proof: vec![],
            checkpoint: log().sign(5, &forked.root),
        };
        assert_eq!(decide(latest, &req, &forked), Err(Refusal::SplitView(5)));
        // A longer tree that does not extend the one seen.
        let mut grown = other.clone();
        grown.extend(leaves(9).split_off(5));
        let cp = Checkpoint {
            origin: "glassbox.example/log".into(),
            size: 9,
            root: rfc::mth(&grown),
        };
        let req = AddCheckpoint {
            old_size: 5,
            proof: rfc::consistency(5, &grown),
            checkpoint: log().sign(9, &cp.root),
        };
        assert_eq!(decide(latest, &req, &cp), Err(Refusal::Inconsistent(5)));
        // A proof sent from size 0 is malformed.
        let (mut req, cp) = request(0, 5);
        req.proof = vec![[0; 32]];
        assert!(matches!(
            decide(None, &req, &cp),
            Err(Refusal::BadRequest(_))
        ));
    }
}
