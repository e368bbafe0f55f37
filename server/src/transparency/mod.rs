//! The verifiable log's machinery: the [`writer`] (the one task that decides checks and
//! appends every entry, with group commit), the [`tree_cache`] of committed hashes,
//! [`entries`] (a stored row as its canonical leaf), [`proofs`], [`tiles`] (the tree as C2SP tlog-tiles), [`checkpoints`] and
//! [`witnesses`] (their cosignatures). The
//! pure parts every verifier shares (encodings, proof checks, growing the tree) are in the
//! `glassbox-log` crate.

pub mod checkpoints;
pub mod entries;
pub mod keys;
pub mod proofs;
pub mod signer;
pub mod tiles;
pub mod tree_cache;
pub mod witnesses;
pub mod writer;
