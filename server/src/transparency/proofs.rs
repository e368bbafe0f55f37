//! Inclusion and consistency proofs over the stored tree. The tree is stored as Go sumdb /
//! C2SP tlog-tiles "stored hashes" (`tlog_tiles` computes and proves over them). Proofs read
//! the stored hashes through a [`StoredTree`]: the server passes its
//! [`TreeCache`](super::tree_cache::TreeCache), so a proof costs no query once the hashes are
//! in memory.

use crate::db::tree as store;
use crate::db::Db;
use anyhow::Context as _;
use glassbox_log::proof::encode_all;
use glassbox_log::{ConsistencyProof, Hash, InclusionProof};
use std::cell::RefCell;
use std::collections::HashMap;
use tlog_tiles::HashReader;

/// Why a proof was not given.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The positions asked for are not in the log (the message says which limit).
    #[error("{0}")]
    OutOfRange(String),
    /// The stored tree could not be read.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ProofError {
    fn from(e: sqlx::Error) -> Self {
        ProofError::Unexpected(e.into())
    }
}

/// Reads tree hashes for `tlog_tiles`, whose reader is synchronous: a first run records the
/// indexes it asks for, they are fetched in one query, and a second run computes.
enum TreeReader {
    Recording(RefCell<Vec<u64>>),
    Fetched(HashMap<u64, Hash>),
}

impl HashReader for TreeReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        match self {
            TreeReader::Recording(asked) => {
                asked.borrow_mut().extend_from_slice(indexes);
                Err(tlog_tiles::Error::IndexesNotInTree)
            }
            TreeReader::Fetched(map) => indexes
                .iter()
                .map(|i| map.get(i).map(|h| tlog_tiles::Hash(*h)))
                .collect::<Option<Vec<_>>>()
                .ok_or(tlog_tiles::Error::IndexesNotInTree),
        }
    }
}

/// Where proofs read the stored Merkle tree from: the database itself (`Db`, one query per
/// proof) or the in-process [`TreeCache`](super::tree_cache::TreeCache) over it, which the
/// server uses. Both answer exactly the committed hashes, so proofs are equal.
pub trait StoredTree: Send + Sync {
    /// The database holding the tree.
    fn db(&self) -> &Db;

    /// The stored hashes with these indexes (those not stored are absent from the map).
    fn read_hashes(
        &self,
        ids: &[u64],
    ) -> impl std::future::Future<Output = anyhow::Result<HashMap<u64, Hash>>> + Send;

    /// A log size known to be committed (the log only grows), 0 when none is known: a
    /// proof request within it needs no size query.
    fn committed_size(&self) -> u64 {
        0
    }

    /// Notes a committed size read from the database.
    fn saw_committed_size(&self, _size: u64) {}
}

impl StoredTree for Db {
    fn db(&self) -> &Db {
        self
    }

    async fn read_hashes(&self, ids: &[u64]) -> anyhow::Result<HashMap<u64, Hash>> {
        store::read_hashes(self, ids).await
    }
}

/// The log's current size when it is below `wanted` (`Ok(Err(size))`), else `Ok(Ok(()))`;
/// asks the database only when `wanted` is beyond the size already known to be committed.
pub(super) async fn log_reaches(
    tree: &impl StoredTree,
    wanted: u64,
) -> sqlx::Result<Result<(), u64>> {
    if wanted <= tree.committed_size() {
        return Ok(Ok(()));
    }
    let current = store::current_size(tree.db()).await?;
    tree.saw_committed_size(current);
    Ok(if wanted > current {
        Err(current)
    } else {
        Ok(())
    })
}

/// Runs a `tlog_tiles` computation over the stored tree, plus `extra` stored hashes.
async fn over_tree<T>(
    tree: &impl StoredTree,
    extra: &[u64],
    f: impl Fn(&TreeReader) -> Result<T, tlog_tiles::Error>,
) -> anyhow::Result<(T, HashMap<u64, Hash>)> {
    let mut wanted = {
        let recorder = TreeReader::Recording(RefCell::new(Vec::new()));
        let _ = f(&recorder);
        match recorder {
            TreeReader::Recording(asked) => asked.into_inner(),
            TreeReader::Fetched(_) => Vec::new(),
        }
    };
    wanted.extend_from_slice(extra);
    let map = tree.read_hashes(&wanted).await?;
    let reader = TreeReader::Fetched(map);
    let value = f(&reader).context("the stored Merkle tree is incomplete")?;
    let map = match reader {
        TreeReader::Fetched(map) => map,
        TreeReader::Recording(_) => HashMap::new(),
    };
    Ok((value, map))
}

/// The root hash of the first `size` leaves.
pub async fn root(tree: &impl StoredTree, size: u64) -> anyhow::Result<Hash> {
    Ok(over_tree(tree, &[], |r| tlog_tiles::tree_hash(size, r))
        .await?
        .0
         .0)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
pub async fn inclusion_proof(
    tree: &impl StoredTree,
    index: u64,
    size: u64,
) -> Result<InclusionProof, ProofError> {
    if let Err(current) = log_reaches(tree, size).await? {
        return Err(ProofError::OutOfRange(format!(
            "`size` must be at most the log's size, {current}"
        )));
    }
    if index >= size {
        return Err(ProofError::OutOfRange(
            "`index` must be below `size`".into(),
        ));
    }
    Ok(prove_inclusion(tree, index, size).await?)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves, read from the stored
/// tree without checking the positions against the log (the caller has).
pub async fn prove_inclusion(
    tree: &impl StoredTree,
    index: u64,
    size: u64,
) -> anyhow::Result<InclusionProof> {
    let leaf_id = tlog_tiles::stored_hash_index(0, index);
    let (proof, map) = over_tree(tree, &[leaf_id], |r| {
        tlog_tiles::prove_record(size, index, r)
    })
    .await?;
    let leaf = map
        .get(&leaf_id)
        .ok_or_else(|| anyhow::anyhow!("leaf {index} is missing from the stored tree"))?;
    Ok(InclusionProof {
        index,
        size,
        leaf_hash: glassbox_log::b64(leaf),
        hashes: encode_all(&proof.iter().map(|h| h.0).collect::<Vec<_>>()),
    })
}

/// The consistency proof between the trees of `from` and `to` leaves.
pub async fn consistency_proof(
    tree: &impl StoredTree,
    from: u64,
    to: u64,
) -> Result<ConsistencyProof, ProofError> {
    if let Err(current) = log_reaches(tree, to).await? {
        return Err(ProofError::OutOfRange(format!(
            "`to` must be at most the log's size, {current}"
        )));
    }
    if from > to {
        return Err(ProofError::OutOfRange("`from` must not exceed `to`".into()));
    }
    Ok(prove_consistency(tree, from, to).await?)
}

/// The consistency proof between the trees of `from` and `to` leaves, read from the stored
/// tree without checking the sizes against the log (the caller has).
pub async fn prove_consistency(
    tree: &impl StoredTree,
    from: u64,
    to: u64,
) -> anyhow::Result<ConsistencyProof> {
    let hashes = if from == 0 || from == to {
        Vec::new()
    } else {
        over_tree(tree, &[], |r| tlog_tiles::prove_tree(to, from, r))
            .await?
            .0
            .iter()
            .map(|h| h.0)
            .collect()
    };
    Ok(ConsistencyProof {
        from,
        to,
        hashes: encode_all(&hashes),
    })
}
