//! The JSON answers of the public proof endpoints (hashes in standard base64).

use crate::merkle::{verify_consistency, verify_inclusion, ProofError};
use crate::{b64, hash_from_b64, Hash};
use serde::{Deserialize, Serialize};

/// `GET /log/proof/inclusion?index=&size=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The leaf's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The leaf hash at `index`.
    pub leaf_hash: String,
    /// The audit path, leaf to root.
    pub hashes: Vec<String>,
}

/// `GET /log/proof/consistency?from=&to=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The old tree size.
    pub from: u64,
    /// The new tree size.
    pub to: u64,
    /// The consistency path.
    pub hashes: Vec<String>,
}

fn decode_all(hashes: &[String]) -> Result<Vec<Hash>, ProofError> {
    hashes
        .iter()
        .map(|h| hash_from_b64(h).ok_or(ProofError::WrongLength))
        .collect()
}

/// Encodes hashes for a JSON answer.
pub fn encode_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| b64(h)).collect()
}

impl InclusionProof {
    /// The leaf hash, decoded.
    pub fn leaf(&self) -> Option<Hash> {
        hash_from_b64(&self.leaf_hash)
    }

    /// Verifies that `leaf` is at this proof's index in the tree with `root` of this size.
    pub fn verify(&self, leaf: &Hash, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(
            self.index,
            self.size,
            leaf,
            &decode_all(&self.hashes)?,
            root,
        )
    }
}

impl ConsistencyProof {
    /// Verifies that the tree with `from_root` is a prefix of the tree with `to_root`.
    pub fn verify(&self, from_root: &Hash, to_root: &Hash) -> Result<(), ProofError> {
        verify_consistency(
            self.from,
            self.to,
            from_root,
            to_root,
            &decode_all(&self.hashes)?,
        )
    }
}
