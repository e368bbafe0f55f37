//! Checkpoints: a C2SP `tlog-checkpoint` body (origin line, tree size, base64 root hash)
//! signed as a C2SP `signed-note` with Ed25519; the verifier key is
//! `<name>+<hex key id>+<base64 of 0x01‖public key>`, with the key id the first four bytes
//! of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).

use crate::{b64, hash_from_b64, unb64, Hash};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

const ALG_ED25519: u8 = 0x01;
/// The em dash that starts every signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// A signed tree head: which log, how many leaves, and the root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (also the signing key's name).
    pub origin: String,
    /// How many leaves.
    pub size: u64,
    /// The RFC 9162 root hash of those leaves.
    pub root: Hash,
}

/// A note or key that does not verify or parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The verifier key is not `<name>+<hex id>+<base64 key>`, or its id does not match.
    #[error("the verifier key is malformed")]
    BadKey,
    /// Not a signed note.
    #[error("the checkpoint is not a signed note")]
    Malformed,
    /// No signature by the expected key.
    #[error("the checkpoint carries no signature by key {0}")]
    NoSignature(String),
    /// A signature by the expected key that does not verify.
    #[error(
        "the checkpoint's signature does not verify: it was altered or signed by someone else"
    )]
    BadSignature,
    /// The body is not a checkpoint.
    #[error("the checkpoint body is malformed")]
    BadBody,
    /// No chain of key-change statements leads from the key a verifier trusted to the
    /// log's current key.
    #[error("the log's signing key changed, and no statement signed by the key you trusted hands over to the new one")]
    UnprovenKeyChange,
    /// Fewer trusted witnesses cosigned the checkpoint than the policy needs.
    #[error(
        "the checkpoint is cosigned by {found} of the {of} trusted witnesses; {needed} are needed"
    )]
    TooFewWitnesses {
        /// How many trusted witnesses' cosignatures verified.
        found: usize,
        /// How many the policy needs.
        needed: usize,
        /// How many witnesses the policy trusts.
        of: usize,
    },
    /// The checkpoint is from another log.
    #[error("the checkpoint is for log {found}, not {expected}")]
    WrongOrigin {
        /// The verifier key's name.
        expected: String,
        /// The checkpoint's origin.
        found: String,
    },
}

impl Checkpoint {
    /// The checkpoint body: three lines, each ending in a newline.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, b64(&self.root))
    }

    /// Parses a checkpoint body (extension lines after the third are allowed and ignored).
    pub fn parse_body(text: &str) -> Result<Self, NoteError> {
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(NoteError::BadBody)?;
        let size = lines.next().ok_or(NoteError::BadBody)?;
        if size.is_empty()
            || (size.len() > 1 && size.starts_with('0'))
            || !size.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NoteError::BadBody);
        }
        let size = size.parse().map_err(|_| NoteError::BadBody)?;
        let root = lines
            .next()
            .and_then(hash_from_b64)
            .ok_or(NoteError::BadBody)?;
        if !text.ends_with('\n') {
            return Err(NoteError::BadBody);
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

/// A note key id: the first four bytes of SHA-256(name ‖ "\n" ‖ signature type ‖ key).
pub(crate) fn key_id_of(alg: u8, name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    key_id_of(ALG_ED25519, name, public)
}

/// Whether `name` may name a key: not empty, no spaces, no '+'.
pub(crate) fn name_ok(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Parses a verifier key `<name>+<hex key id>+<base64 of alg‖public key>` of signature type
/// `alg`; the id must match the name and key.
pub(crate) fn parse_vkey(s: &str, alg: u8) -> Result<(String, [u8; 4], VerifyingKey), NoteError> {
    let s = s.trim();
    let (name, rest) = s.split_once('+').ok_or(NoteError::BadKey)?;
    let (id_hex, key_b64) = rest.split_once('+').ok_or(NoteError::BadKey)?;
    if !name_ok(name) || id_hex.len() != 8 {
        return Err(NoteError::BadKey);
    }
    let id = u32::from_str_radix(id_hex, 16)
        .map_err(|_| NoteError::BadKey)?
        .to_be_bytes();
    let raw = unb64(key_b64).map_err(|_| NoteError::BadKey)?;
    let (found, public) = raw.split_first().ok_or(NoteError::BadKey)?;
    let public: [u8; 32] = public.try_into().map_err(|_| NoteError::BadKey)?;
    if *found != alg || key_id_of(alg, name, &public) != id {
        return Err(NoteError::BadKey);
    }
    let key = VerifyingKey::from_bytes(&public).map_err(|_| NoteError::BadKey)?;
    Ok((name.to_string(), id, key))
}

/// A verifier key's text (the inverse of [`parse_vkey`]).
pub(crate) fn format_vkey(name: &str, alg: u8, id: [u8; 4], key: &VerifyingKey) -> String {
    let mut raw = vec![alg];
    raw.extend_from_slice(key.as_bytes());
    format!("{name}+{:08x}+{}", u32::from_be_bytes(id), b64(&raw))
}

/// A key file's text: `PRIVATE+KEY+<name>+<hex key id>+<base64 of alg‖secret>` (the signer
/// key format of Go's `golang.org/x/mod/sumdb/note`), one line.
pub(crate) fn key_file_text(name: &str, alg: u8, key: &SigningKey) -> String {
    let mut raw = vec![alg];
    raw.extend_from_slice(key.as_bytes());
    format!(
        "{PRIVATE_PREFIX}{name}+{:08x}+{}\n",
        u32::from_be_bytes(key_id_of(alg, name, key.verifying_key().as_bytes())),
        b64(&raw)
    )
}

/// Reads [`key_file_text`]'s text back: the name and secret; the type must be `alg` and the
/// key id must match the key.
pub(crate) fn parse_key_file(text: &str, alg: u8) -> Result<(String, [u8; 32]), NoteError> {
    let rest = text
        .trim()
        .strip_prefix(PRIVATE_PREFIX)
        .ok_or(NoteError::BadKey)?;
    let (name, rest) = rest.split_once('+').ok_or(NoteError::BadKey)?;
    let (id_hex, key_b64) = rest.split_once('+').ok_or(NoteError::BadKey)?;
    let raw = unb64(key_b64).map_err(|_| NoteError::BadKey)?;
    let (found, secret) = raw.split_first().ok_or(NoteError::BadKey)?;
    let secret: [u8; 32] = secret.try_into().map_err(|_| NoteError::BadKey)?;
    let public = SigningKey::from_bytes(&secret).verifying_key();
    if *found != alg
        || !name_ok(name)
        || format!(
            "{:08x}",
            u32::from_be_bytes(key_id_of(alg, name, public.as_bytes()))
        ) != id_hex
    {
        return Err(NoteError::BadKey);
    }
    Ok((name.to_string(), secret))
}

/// A note verifier key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<hex key id>+<base64 of 0x01‖public key>`.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let (name, id, key) = parse_vkey(s, ALG_ED25519)?;
        Ok(Self { name, id, key })
    }

    /// The key's name (the log's origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Verifies a signed checkpoint note and returns the checkpoint it vouches for.
    pub fn open(&self, note: &str) -> Result<Checkpoint, NoteError> {
        let text = self.open_text(note)?;
        let checkpoint = Checkpoint::parse_body(&text)?;
        if checkpoint.origin != self.name {
            return Err(NoteError::WrongOrigin {
                expected: self.name.clone(),
                found: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }

    /// Verifies a key-change statement signed by this key ([`CheckpointSigner::sign_key_change`])
    /// and returns the key it hands over to (of the same log).
    pub fn open_key_change(&self, note: &str) -> Result<VerifierKey, NoteError> {
        let text = self.open_text(note)?;
        let mut lines = text
            .strip_suffix('\n')
            .ok_or(NoteError::BadBody)?
            .split('\n');
        let (Some(origin), Some(KEY_CHANGE_LINE), Some(next), None) =
            (lines.next(), lines.next(), lines.next(), lines.next())
        else {
            return Err(NoteError::BadBody);
        };
        if origin != self.name {
            return Err(NoteError::WrongOrigin {
                expected: self.name.clone(),
                found: origin.to_string(),
            });
        }
        let next = VerifierKey::parse(next)?;
        if next.name != self.name {
            return Err(NoteError::WrongOrigin {
                expected: self.name.clone(),
                found: next.name,
            });
        }
        Ok(next)
    }

    /// The text of a signed note, once a signature by this key verifies on it.
    fn open_text(&self, note: &str) -> Result<String, NoteError> {
        let (text, sigs) = note.rsplit_once("\n\n").ok_or(NoteError::Malformed)?;
        let text = format!("{text}\n");
        let sigs = sigs.strip_suffix('\n').ok_or(NoteError::Malformed)?;
        let mut found = false;
        for line in sigs.split('\n') {
            let rest = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed)?;
            let (name, sig_b64) = rest.split_once(' ').ok_or(NoteError::Malformed)?;
            if name != self.name {
                continue;
            }
            let raw = unb64(sig_b64).map_err(|_| NoteError::Malformed)?;
            if raw.len() < 4 || raw[..4] != self.id {
                continue;
            }
            found = true;
            let sig = Signature::from_slice(&raw[4..]).map_err(|_| NoteError::BadSignature)?;
            self.key
                .verify(text.as_bytes(), &sig)
                .map_err(|_| NoteError::BadSignature)?;
        }
        if !found {
            return Err(NoteError::NoSignature(self.to_string()));
        }
        Ok(text)
    }
}

/// The second line of an export's signed list of events ([`CheckpointSigner::sign_export`]):
/// like a key-change statement, never taken for a checkpoint (whose second line is a number)
/// nor for a statement.
pub const EXPORT_LINE: &str = "glassbox-export/v1";

impl VerifierKey {
    /// Verifies an export's signed list of events signed by this key and returns the lines
    /// after its two header lines (origin and [`EXPORT_LINE`]).
    pub fn open_export(&self, note: &str) -> Result<Vec<String>, NoteError> {
        let text = self.open_text(note)?;
        let mut lines = text
            .strip_suffix('\n')
            .ok_or(NoteError::BadBody)?
            .split('\n');
        let (Some(origin), Some(EXPORT_LINE)) = (lines.next(), lines.next()) else {
            return Err(NoteError::BadBody);
        };
        if origin != self.name {
            return Err(NoteError::WrongOrigin {
                expected: self.name.clone(),
                found: origin.to_string(),
            });
        }
        Ok(lines.map(str::to_string).collect())
    }
}

/// The text of an export's signed list of events: the log's name, [`EXPORT_LINE`], then
/// `lines`, each ending in a newline.
pub fn export_body(name: &str, lines: &[String]) -> String {
    let mut body = format!("{name}\n{EXPORT_LINE}\n");
    for line in lines {
        body.push_str(line);
        body.push('\n');
    }
    body
}

impl VerifierKey {
    /// A verifier key for the log `name` from a raw 32-byte Ed25519 public key (what an
    /// external signer reports).
    pub fn from_public_key(name: &str, public: &[u8; 32]) -> Result<Self, NoteError> {
        if !name_ok(name) {
            return Err(NoteError::BadKey);
        }
        let key = VerifyingKey::from_bytes(public).map_err(|_| NoteError::BadKey)?;
        Ok(Self {
            name: name.to_string(),
            id: key_id(name, public),
            key,
        })
    }

    /// The signed note of `body` with a signature made elsewhere (an external signer, an
    /// HSM): refused unless the signature verifies with this key, so a signer that
    /// misbehaves fails closed instead of publishing a note nobody can verify.
    pub fn attach(&self, body: &str, signature: &[u8]) -> Result<String, NoteError> {
        let sig = Signature::from_slice(signature).map_err(|_| NoteError::BadSignature)?;
        self.key
            .verify(body.as_bytes(), &sig)
            .map_err(|_| NoteError::BadSignature)?;
        let mut raw = self.id.to_vec();
        raw.extend_from_slice(signature);
        Ok(format!("{body}\n{SIG_PREFIX}{} {}\n", self.name, b64(&raw)))
    }
}

/// The second line of a key-change statement. A checkpoint's second line is a number, so a
/// statement is never taken for a checkpoint, nor a checkpoint for a statement.
const KEY_CHANGE_LINE: &str = "glassbox-key-change/v1";

/// Whether a verifier that trusts `pinned` may trust `current`: it may when a chain of
/// key-change statements, each signed by the key before it, leads from one to the other
/// (a log that rotated its key, perhaps more than once, since the verifier last looked).
/// `statements` may hold any statements, in any order; unrelated ones are skipped.
pub fn key_change_leads_to(
    pinned: &VerifierKey,
    current: &VerifierKey,
    statements: &[String],
) -> Result<(), NoteError> {
    let mut at = pinned.clone();
    // Each step uses up one statement, so the walk ends even on a cycle.
    for _ in 0..=statements.len() {
        if at == *current {
            return Ok(());
        }
        let next = statements.iter().find_map(|s| at.open_key_change(s).ok());
        match next {
            Some(next) => at = next,
            None => break,
        }
    }
    Err(NoteError::UnprovenKeyChange)
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_vkey(&self.name, ALG_ED25519, self.id, &self.key))
    }
}

/// Opens `note` with whichever of `keys` signed it: a log that rotated its key keeps every
/// key that ever signed, so checkpoints signed before the rotation still verify. Returns the
/// checkpoint and the key that opened it; when none did, the error of a key whose signature
/// line was there but wrong, else `NoSignature`.
pub fn open_with_any<'k>(
    keys: &'k [VerifierKey],
    note: &str,
) -> Result<(Checkpoint, &'k VerifierKey), NoteError> {
    let mut last = None;
    for key in keys {
        match key.open(note) {
            Ok(c) => return Ok((c, key)),
            Err(NoteError::NoSignature(_)) => {}
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        NoteError::NoSignature(
            keys.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        )
    }))
}

/// The first line of a key file: the Go `note` signer key format.
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// Signs checkpoints of one log.
pub struct CheckpointSigner {
    name: String,
    key: SigningKey,
}

impl CheckpointSigner {
    /// A signer for the log `name` (its origin line) with a 32-byte Ed25519 secret.
    pub fn new(name: &str, secret: &[u8; 32]) -> Result<Self, NoteError> {
        if !name_ok(name) {
            return Err(NoteError::BadKey);
        }
        Ok(Self {
            name: name.to_string(),
            key: SigningKey::from_bytes(secret),
        })
    }

    /// The key file text: `PRIVATE+KEY+<name>+<hex key id>+<base64 of 0x01‖secret>` (the
    /// signer key format of Go's `golang.org/x/mod/sumdb/note`), one line.
    pub fn to_key_file(&self) -> String {
        key_file_text(&self.name, ALG_ED25519, &self.key)
    }

    /// Reads [`Self::to_key_file`]'s text back; the key id must match the key.
    pub fn from_key_file(text: &str) -> Result<Self, NoteError> {
        let (name, secret) = parse_key_file(text, ALG_ED25519)?;
        Self::new(&name, &secret)
    }

    /// The log's name (origin line).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key anyone can check the checkpoints with.
    pub fn verifier_key(&self) -> VerifierKey {
        let key = self.key.verifying_key();
        VerifierKey {
            id: key_id(&self.name, key.as_bytes()),
            name: self.name.clone(),
            key,
        }
    }

    /// The signed note of the checkpoint of `size` leaves with `root`.
    pub fn sign(&self, size: u64, root: &Hash) -> String {
        let body = Checkpoint {
            origin: self.name.clone(),
            size,
            root: *root,
        }
        .body();
        self.sign_text(&body)
    }

    /// The statement, signed by this key, that the log's checkpoints are signed by `next`
    /// from now on: what lets a verifier that pinned this key trust the next one.
    pub fn sign_key_change(&self, next: &VerifierKey) -> String {
        self.sign_text(&format!("{}\n{KEY_CHANGE_LINE}\n{next}\n", self.name))
    }

    /// An export's list of events, signed by this key: `lines` (none empty, none with a
    /// newline) after the log's name and [`EXPORT_LINE`]. What lets an offline verifier
    /// notice an event removed from, or added to, an owner's export.
    pub fn sign_export(&self, lines: &[String]) -> String {
        self.sign_text(&export_body(&self.name, lines))
    }

    /// The signed note of any `body` (lines ending in newlines) by this key.
    pub fn sign_text(&self, body: &str) -> String {
        let sig = self.key.sign(body.as_bytes());
        let mut raw = key_id(&self.name, self.key.verifying_key().as_bytes()).to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{body}\n{SIG_PREFIX}{} {}\n", self.name, b64(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> CheckpointSigner {
        CheckpointSigner::new("glassbox.example/log", &[42; 32]).unwrap()
    }

    #[test]
    fn a_key_change_signed_by_the_old_key_leads_a_pinned_verifier_to_the_new_one() {
        let (k1, k2, k3) = (
            signer(),
            CheckpointSigner::new("glassbox.example/log", &[43; 32]).unwrap(),
            CheckpointSigner::new("glassbox.example/log", &[44; 32]).unwrap(),
        );
        let one_to_two = k1.sign_key_change(&k2.verifier_key());
        let two_to_three = k2.sign_key_change(&k3.verifier_key());
        assert_eq!(
            k1.verifier_key().open_key_change(&one_to_two),
            Ok(k2.verifier_key())
        );
        // Two rotations since the last visit, statements in any order.
        let both = [two_to_three.clone(), one_to_two.clone()];
        assert_eq!(
            key_change_leads_to(&k1.verifier_key(), &k3.verifier_key(), &both),
            Ok(())
        );
        // Without the first statement the chain is broken.
        assert!(
            key_change_leads_to(&k1.verifier_key(), &k3.verifier_key(), &[two_to_three]).is_err()
        );
    }

    #[test]
    fn a_key_change_not_signed_by_the_pinned_key_is_refused() {
        let k1 = signer();
        let stranger = CheckpointSigner::new("glassbox.example/log", &[7; 32]).unwrap();
        let attacker = CheckpointSigner::new("glassbox.example/log", &[8; 32]).unwrap();
        // The attacker's own key vouches for itself: worth nothing to a verifier of k1.
        let forged = stranger.sign_key_change(&attacker.verifier_key());
        assert!(
            key_change_leads_to(&k1.verifier_key(), &attacker.verifier_key(), &[forged]).is_err()
        );
        // A statement whose text was altered after signing does not verify.
        let real = k1.sign_key_change(&stranger.verifier_key());
        let altered = real.replace(
            &stranger.verifier_key().to_string(),
            &attacker.verifier_key().to_string(),
        );
        assert_eq!(
            k1.verifier_key().open_key_change(&altered),
            Err(NoteError::BadSignature)
        );
    }

    #[test]
    fn a_statement_and_a_checkpoint_are_never_taken_for_each_other() {
        let k1 = signer();
        let k2 = CheckpointSigner::new("glassbox.example/log", &[43; 32]).unwrap();
        let statement = k1.sign_key_change(&k2.verifier_key());
        assert_eq!(k1.verifier_key().open(&statement), Err(NoteError::BadBody));
        let checkpoint = k1.sign(3, &[9; 32]);
        assert_eq!(
            k1.verifier_key().open_key_change(&checkpoint),
            Err(NoteError::BadBody)
        );
        // Nor does a statement hand a log over to another log's key.
        let other = CheckpointSigner::new("other.example/log", &[43; 32]).unwrap();
        let handover = k1.sign_key_change(&other.verifier_key());
        assert!(matches!(
            k1.verifier_key().open_key_change(&handover),
            Err(NoteError::WrongOrigin { .. })
        ));
    }

    #[test]
    fn an_export_list_opens_with_its_key_and_is_never_taken_for_a_checkpoint_or_a_key_change() {
        let s = signer();
        let lines = vec!["2026-11-29T12:00:00Z".to_string(), "7".to_string()];
        let note = s.sign_export(&lines);
        assert_eq!(s.verifier_key().open_export(&note), Ok(lines));
        assert_eq!(s.verifier_key().open(&note), Err(NoteError::BadBody));
        assert_eq!(
            s.verifier_key().open_key_change(&note),
            Err(NoteError::BadBody)
        );
        assert_eq!(
            s.verifier_key().open_export(&s.sign(3, &[1; 32])),
            Err(NoteError::BadBody)
        );
        assert_eq!(
            s.verifier_key()
                .open_export(&note.replace("\n7\n", "\n8\n")),
            Err(NoteError::BadSignature)
        );
    }

    #[test]
    fn a_key_file_reads_back_as_the_same_signer_and_a_changed_one_is_refused() {
        let s = signer();
        let text = s.to_key_file();
        assert!(
            text.starts_with("PRIVATE+KEY+glassbox.example/log+"),
            "{text}"
        );
        let back = CheckpointSigner::from_key_file(&text).unwrap();
        assert_eq!(back.verifier_key(), s.verifier_key());
        let other = CheckpointSigner::new("other.example/log", &[42; 32]).unwrap();
        let forged = text.replace("glassbox.example/log", "other.example/log");
        assert_ne!(other.to_key_file(), forged);
        assert_eq!(
            CheckpointSigner::from_key_file(&forged).err(),
            Some(NoteError::BadKey)
        );
    }

    #[test]
    fn a_note_opens_with_the_key_among_many_that_signed_it() {
        let old = signer();
        let new = CheckpointSigner::new("glassbox.example/log", &[7; 32]).unwrap();
        let keys = [new.verifier_key(), old.verifier_key()];
        let (cp, key) = open_with_any(&keys, &old.sign(3, &[1; 32])).unwrap();
        assert_eq!((cp.size, key), (3, &keys[1]));
        let (_, key) = open_with_any(&keys, &new.sign(4, &[1; 32])).unwrap();
        assert_eq!(key, &keys[0]);
        let tampered = old.sign(3, &[1; 32]).replace("\n3\n", "\n4\n");
        assert_eq!(
            open_with_any(&keys, &tampered).err(),
            Some(NoteError::BadSignature)
        );
        let stranger = CheckpointSigner::new("glassbox.example/log", &[9; 32]).unwrap();
        assert!(matches!(
            open_with_any(&keys, &stranger.sign(3, &[1; 32])),
            Err(NoteError::NoSignature(_))
        ));
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_verifier_key() {
        let s = signer();
        let note = s.sign(7, &[1; 32]);
        let key = VerifierKey::parse(&s.verifier_key().to_string()).unwrap();
        assert_eq!(
            key.open(&note),
            Ok(Checkpoint {
                origin: "glassbox.example/log".into(),
                size: 7,
                root: [1; 32]
            })
        );
    }

    #[test]
    fn an_altered_size_or_root_is_refused() {
        let s = signer();
        let note = s.sign(7, &[1; 32]);
        let key = s.verifier_key();
        assert_eq!(
            key.open(&note.replacen("\n7\n", "\n8\n", 1)),
            Err(NoteError::BadSignature)
        );
        let other_root = note.replacen(&b64(&[1; 32]), &b64(&[2; 32]), 1);
        assert_eq!(key.open(&other_root), Err(NoteError::BadSignature));
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_is_refused() {
        let note = CheckpointSigner::new("glassbox.example/log", &[9; 32])
            .unwrap()
            .sign(7, &[1; 32]);
        assert!(matches!(
            signer().verifier_key().open(&note),
            Err(NoteError::NoSignature(_))
        ));
    }

    #[test]
    fn a_signature_made_elsewhere_is_attached_only_if_it_verifies() {
        let s = signer();
        let key =
            VerifierKey::from_public_key("glassbox.example/log", s.verifier_key().key.as_bytes())
                .unwrap();
        assert_eq!(key, s.verifier_key());
        let body = Checkpoint {
            origin: "glassbox.example/log".into(),
            size: 7,
            root: [1; 32],
        }
        .body();
        let sig = s.key.sign(body.as_bytes()).to_bytes();
        let note = key.attach(&body, &sig).unwrap();
        assert_eq!(note, s.sign(7, &[1; 32]));
        let other = Checkpoint {
            origin: "glassbox.example/log".into(),
            size: 8,
            root: [1; 32],
        }
        .body();
        assert_eq!(key.attach(&other, &sig), Err(NoteError::BadSignature));
        assert_eq!(key.attach(&body, &sig[..10]), Err(NoteError::BadSignature));
        assert_eq!(
            export_body("glassbox.example/log", &["1".into()]),
            "glassbox.example/log\nglassbox-export/v1\n1\n"
        );
    }

    #[test]
    fn a_key_with_a_wrong_id_is_refused() {
        let good = signer().verifier_key().to_string();
        let mut parts: Vec<&str> = good.split('+').collect();
        parts[1] = "00000000";
        assert_eq!(VerifierKey::parse(&parts.join("+")), Err(NoteError::BadKey));
    }
}
