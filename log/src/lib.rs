//! Glassbox's verifiable access log, the part every verifier shares: the server (which
//! writes the log and answers proofs), the `glassbox verify` command line and the owner's
//! browser (this crate compiles to WASM). No I/O, no randomness.
//!
//! - [`entry`]: the canonical encodings of the log's entries (access events, request
//!   changes and staff changes), the bytes of a leaf;
//! - [`frontier`]: growing the tree by appends from its right edge (the log writer's);
//! - [`merkle`]: RFC 9162 hashing and the verification of inclusion and consistency proofs;
//! - [`note`]: C2SP `tlog-checkpoint` bodies signed as C2SP `signed-note`s with Ed25519,
//!   and the verifier key format `<name>+<hex key id>+<base64 of 0x01‖public key>`;
//! - [`proof`]: the JSON shapes of the public proof endpoints;
//! - [`export`]: an owner's export as a proof file, and its offline check;
//! - [`sealed`]: the commitment to a notice held back under a legal hold, and its check;
//! - [`tiles`]: the log as C2SP `tlog-tiles` hash tiles (paths, which tiles a tree has,
//!   checking a whole set of tiles against a signed root);
//! - [`witness`]: C2SP `tlog-cosignature` cosignatures, the `tlog-witness` add-checkpoint
//!   request and a witness's decision on it, and the k-of-n policy a verifier applies;
//! - [`completeness`]: the per-mailbox tags, public parts and entry bundles, and the owner's
//!   check that their history holds every entry of their mailbox (not wired in yet);
//! - [`audit`]: checking a whole copy of the log (rows of the database) against a signed
//!   checkpoint, naming the first index that does not match.

pub mod audit;
pub mod completeness;
pub mod entry;
pub mod export;
pub mod frontier;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod sealed;
pub mod tiles;
pub mod witness;

pub use entry::{ChangeEntry, Entry, EntryError, LogEntry, NoticeEntry, StaffChangeEntry};
pub use merkle::{leaf_hash, node_hash, root_of, Hash, ProofError, EMPTY_ROOT};
pub use note::{
    export_body, key_change_leads_to, open_with_any, Checkpoint, CheckpointSigner, NoteError,
    VerifierKey,
};
pub use proof::{ConsistencyProof, InclusionProof};

/// Standard base64 (with padding), as the C2SP formats and the proof endpoints use it.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64.
pub fn unb64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s)
}

/// Decodes one base64 hash of exactly 32 bytes.
pub fn hash_from_b64(s: &str) -> Option<Hash> {
    unb64(s).ok()?.try_into().ok()
}
