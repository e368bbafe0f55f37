//! The log served as C2SP `tlog-tiles` hash tiles (`/tile/<L>/<N>[.p/<W>]`), built from the
//! stored hashes the proofs read ([`StoredTree`]), so a monitor or a witness can copy and
//! check the whole tree without asking for proofs. Which tiles exist and where their hashes
//! are stored is `glassbox_log::tiles`.
//!
//! A tile is served once every hash in it is committed; stored hashes never change, so a
//! tile's bytes never change either (a partial tile of width W is the first W hashes of the
//! tile that will be full later).

use super::proofs::{log_reaches, ProofError, StoredTree};
use glassbox_log::tiles::{tile_bytes, TileId};

/// The bytes of `tile` (its hashes, concatenated), or `OutOfRange` if the log does not hold
/// all of its hashes yet.
pub async fn tile(tree: &impl StoredTree, tile: TileId) -> Result<Vec<u8>, ProofError> {
    let beyond = || {
        ProofError::OutOfRange(format!(
            "the log does not hold tile {} yet: it is beyond the tree's size",
            tile.path()
        ))
    };
    // The smallest log that holds the tile's last hash.
    let needed = tile.leaves_needed().ok_or_else(beyond)?;
    if log_reaches(tree, needed).await?.is_err() {
        return Err(beyond());
    }
    let ids = tile.stored_hash_ids();
    let found = tree.read_hashes(&ids).await?;
    let hashes = ids
        .iter()
        .map(|i| found.get(i).copied())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the stored Merkle tree lacks a hash of tile {}",
                tile.path()
            )
        })?;
    Ok(tile_bytes(&hashes))
}
