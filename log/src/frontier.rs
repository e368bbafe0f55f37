//! Growing the tree from its right edge. A writer that appends leaves needs only the roots
//! of the complete subtrees on the tree's right edge (at most one per level), not the whole
//! tree: each new leaf merges with the subtrees of its trailing one bits. The hashes are
//! numbered as Go sumdb / C2SP tlog-tiles "stored hashes", the layout the server stores.

use crate::merkle::{node_hash, Hash};
use std::collections::HashMap;

/// The stored-hash index of the hash at `level` with index `n` in that level (Go sumdb's
/// `StoredHashIndex`): the hashes of a tree are stored in the order they are made.
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0u64;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + u64::from(level)
}

/// The stored-hash indexes of the right-edge complete subtrees of a tree of `size` leaves.
pub fn frontier_ids(size: u64) -> Vec<u64> {
    (0..64u8)
        .filter(|l| (size >> l) & 1 == 1)
        .map(|l| stored_hash_index(l, (size >> l) - 1))
        .collect()
}

/// The right edge does not hold a hash the next leaf needs: the edge given was not the
/// edge of a tree of that size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the Merkle tree's right edge lacks stored hash {0}")]
pub struct MissingEdge(pub u64);

/// The tree growing by appends: from its right edge, each new leaf adds its stored hashes.
/// Only the right edge is kept for the next leaf; every hash made is in [`Growing::added`].
#[derive(Clone, Debug)]
pub struct Growing {
    size: u64,
    edge: HashMap<u64, Hash>,
    added: Vec<(u64, Hash)>,
}

impl Growing {
    /// A tree of `size` leaves known by its right edge (the hashes of [`frontier_ids`]).
    pub fn new(size: u64, edge: HashMap<u64, Hash>) -> Self {
        Self {
            size,
            edge,
            added: Vec::new(),
        }
    }

    /// The number of leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The stored hashes added so far, by stored-hash index, in the order they were made.
    pub fn added(&self) -> &[(u64, Hash)] {
        &self.added
    }

    /// The right edge of the tree as it is now (what the next batch starts from).
    pub fn into_edge(self) -> HashMap<u64, Hash> {
        self.edge
    }

    /// Appends a leaf (its leaf hash); returns its index.
    pub fn push(&mut self, leaf: Hash) -> Result<u64, MissingEdge> {
        let index = self.size;
        // Leaf `index` merges with the complete subtrees of its trailing one bits, left
        // siblings from the lowest level up; those leave the right edge, and of the hashes
        // made only the top one joins it. So the edge stays ≤ 64 hashes however long the
        // batch.
        let merges = index.trailing_ones();
        let mut siblings = Vec::with_capacity(merges as usize);
        for level in 0..merges {
            let id = stored_hash_index(level as u8, (index >> level) - 1);
            siblings.push(*self.edge.get(&id).ok_or(MissingEdge(id))?);
        }
        let start = stored_hash_index(0, index);
        let mut made = Vec::with_capacity(merges as usize + 1);
        let mut h = leaf;
        made.push(h);
        for left in &siblings {
            h = node_hash(left, &h);
            made.push(h);
        }
        for level in 0..merges {
            self.edge
                .remove(&stored_hash_index(level as u8, (index >> level) - 1));
        }
        let top = made.len() - 1;
        for (k, h) in made.into_iter().enumerate() {
            if k == top {
                self.edge.insert(start + k as u64, h);
            }
            self.added.push((start + k as u64, h));
        }
        self.size += 1;
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, root_of};

    #[test]
    fn stored_hash_indexes_match_go_sumdb() {
        for level in 0..5u8 {
            for n in 0..200u64 {
                assert_eq!(
                    stored_hash_index(level, n),
                    tlog_tiles::stored_hash_index(level, n),
                    "level {level}, n {n}"
                );
            }
        }
    }

    #[test]
    fn the_right_edge_is_one_complete_subtree_per_set_bit_of_the_size() {
        assert!(frontier_ids(0).is_empty());
        assert_eq!(frontier_ids(1), vec![stored_hash_index(0, 0)]);
        assert_eq!(
            frontier_ids(6),
            vec![stored_hash_index(1, 2), stored_hash_index(2, 0)]
        );
    }

    struct MapReader<'a>(&'a HashMap<u64, Hash>);

    impl tlog_tiles::HashReader for MapReader<'_> {
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
            indexes
                .iter()
                .map(|i| self.0.get(i).map(|h| tlog_tiles::Hash(*h)))
                .collect::<Option<Vec<_>>>()
                .ok_or(tlog_tiles::Error::IndexesNotInTree)
        }
    }

    #[test]
    fn a_tree_grown_from_its_right_edge_alone_has_the_root_of_all_its_leaves() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut all: HashMap<u64, Hash> = HashMap::new();
        let mut size = 0u64;
        for chunk in leaves.chunks(37) {
            // Each batch starts from the right edge only, as after a restart.
            let edge = frontier_ids(size)
                .into_iter()
                .map(|i| (i, all[&i]))
                .collect();
            let mut tree = Growing::new(size, edge);
            for l in chunk {
                tree.push(*l).unwrap();
                // It keeps exactly the right edge, nothing more.
                let mut kept: Vec<u64> = tree.edge.keys().copied().collect();
                kept.sort_unstable();
                let mut edge = frontier_ids(tree.size);
                edge.sort_unstable();
                assert_eq!(kept, edge);
            }
            all.extend(tree.added().iter().copied());
            size = tree.size();
            let root = tlog_tiles::tree_hash(size, &MapReader(&all)).unwrap().0;
            assert_eq!(root, root_of(&leaves[..size as usize]));
        }
    }

    #[test]
    fn an_edge_that_is_not_the_trees_is_refused_not_guessed() {
        let mut tree = Growing::new(1, HashMap::new());
        assert!(matches!(tree.push(leaf_hash(b"x")), Err(MissingEdge(_))));
    }
}
