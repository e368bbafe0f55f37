//! RFC 9162 Merkle tree hashing (SHA-256, 0x00 leaf prefix, 0x01 node prefix) and the
//! verification algorithms of sections 2.1.3.2 (inclusion) and 2.1.4.2 (consistency).

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Why a proof does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index or sizes cannot belong together (index beyond the tree, from > to).
    #[error("the proof's positions are impossible: {0}")]
    BadPositions(&'static str),
    /// The proof has the wrong number of hashes for its positions.
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    /// The hashes do not lead to the expected root(s).
    #[error("the proof does not lead to the signed root hash")]
    RootMismatch,
}

/// The hash of a leaf: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The Merkle tree hash (RFC 9162 section 2.1.1) of a list of leaf hashes, in O(n) time
/// and O(log n) memory.
pub fn root_of(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return EMPTY_ROOT;
    }
    // A stack of complete subtrees, largest first: (height, hash).
    let mut stack: Vec<(u32, Hash)> = Vec::new();
    for leaf in leaves {
        let mut node = (0u32, *leaf);
        while let Some(&(h, left)) = stack.last() {
            if h != node.0 {
                break;
            }
            stack.pop();
            node = (h + 1, node_hash(&left, &node.1));
        }
        stack.push(node);
    }
    // Fold the incomplete right edge: smaller subtrees are right children.
    let mut iter = stack.into_iter().rev();
    let mut acc = iter.next().map(|(_, h)| h).unwrap_or(EMPTY_ROOT);
    for (_, left) in iter {
        acc = node_hash(&left, &acc);
    }
    acc
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves whose root is `root`
/// (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::BadPositions(
            "the index is not below the tree size",
        ));
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `from` leaves with root `from_root` is a prefix of the tree of
/// `to` leaves with root `to_root` (RFC 9162 section 2.1.4.2). Equal sizes need an empty
/// proof and equal roots; the empty tree is a prefix of every tree.
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if from > to {
        return Err(ProofError::BadPositions(
            "the old size is larger than the new size",
        ));
    }
    if from == to {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if from_root == to_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if from == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let (mut fnode, mut snode) = (from - 1, to - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != from_root || &sr != to_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162's recursive definitions, written as the RFC states them (O(n) per call): the
/// reference the fast code is tested against, and a proof maker for tests elsewhere.
pub mod reference {
    use super::{node_hash, Hash, EMPTY_ROOT};

    /// The recursive definition of RFC 9162 section 2.1.1, as written there.
    pub fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => EMPTY_ROOT,
            1 => d[0],
            n => {
                let k = (n as u64 - 1).next_power_of_two() as usize;
                let k = if k >= n { k / 2 } else { k };
                node_hash(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    /// PATH(m, D[n]) of RFC 9162 section 2.1.3.1.
    pub fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
        let n = d.len();
        if n <= 1 {
            return vec![];
        }
        let k = largest_pow2_below(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// SUBPROOF(m, D[n], b) of RFC 9162 section 2.1.4.1.
    pub fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = largest_pow2_below(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    fn largest_pow2_below(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// The inclusion proof of leaf `m` in `d` (RFC 9162 section 2.1.3.1).
    pub fn inclusion(m: usize, d: &[Hash]) -> Vec<Hash> {
        path(m, d)
    }

    /// The consistency proof from the first `m` leaves of `d` to all of `d` (section 2.1.4.1).
    pub fn consistency(m: usize, d: &[Hash]) -> Vec<Hash> {
        if m == 0 || m == d.len() {
            Vec::new()
        } else {
            subproof(m, d, true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reference::{mth, path, subproof};
    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn the_empty_tree_hashes_to_sha256_of_nothing() {
        assert_eq!(root_of(&[]), <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn the_streaming_root_matches_the_recursive_definition() {
        for n in 0..70 {
            let l = leaves(n);
            assert_eq!(root_of(&l), mth(&l), "n = {n}");
        }
    }

    #[test]
    fn every_inclusion_proof_of_the_rfc_definition_verifies_and_any_change_fails() {
        for n in 1..40u64 {
            let l = leaves(n);
            let root = mth(&l);
            for m in 0..n {
                let p = path(m as usize, &l);
                assert_eq!(verify_inclusion(m, n, &l[m as usize], &p, &root), Ok(()));
                let wrong_leaf = leaf_hash(b"forged");
                assert!(verify_inclusion(m, n, &wrong_leaf, &p, &root).is_err());
                if m + 1 < n {
                    assert!(verify_inclusion(m + 1, n, &l[m as usize], &p, &root).is_err());
                }
                if !p.is_empty() {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_inclusion(m, n, &l[m as usize], &bad, &root).is_err());
                    assert!(verify_inclusion(m, n, &l[m as usize], &p[1..], &root).is_err());
                }
                let mut longer = p.clone();
                longer.push(root);
                assert!(verify_inclusion(m, n, &l[m as usize], &longer, &root).is_err());
            }
        }
    }

    #[test]
    fn every_consistency_proof_of_the_rfc_definition_verifies_and_any_change_fails() {
        for n in 1..40u64 {
            let l = leaves(n);
            let new_root = mth(&l);
            for m in 1..=n {
                let old_root = mth(&l[..m as usize]);
                let p = subproof(m as usize, &l, true);
                assert_eq!(
                    verify_consistency(m, n, &old_root, &new_root, &p),
                    Ok(()),
                    "{m} -> {n}"
                );
                let forged_old = leaf_hash(b"other history");
                assert!(verify_consistency(m, n, &forged_old, &new_root, &p).is_err());
                assert!(verify_consistency(m, n, &old_root, &forged_old, &p).is_err());
                if !p.is_empty() {
                    let mut bad = p.clone();
                    let last = bad.len() - 1;
                    bad[last][31] ^= 1;
                    assert!(verify_consistency(m, n, &old_root, &new_root, &bad).is_err());
                }
            }
        }
    }

    #[test]
    fn two_different_roots_of_one_size_are_never_consistent() {
        let a = root_of(&leaves(5));
        let mut other = leaves(5);
        other[2] = leaf_hash(b"split view");
        let b = root_of(&other);
        assert_eq!(
            verify_consistency(5, 5, &a, &b, &[]),
            Err(ProofError::RootMismatch)
        );
    }
}
