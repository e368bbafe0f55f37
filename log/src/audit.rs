//! Checking a whole copy of the log, row by row, against a signed checkpoint: the offline
//! verifier behind `glassbox verify database` and the tamper tests. It names the first
//! index whose event does not match what the log committed to.

use crate::merkle::root_of;
use crate::{Checkpoint, Hash};
use std::fmt;

/// One stored event, as the auditor recomputes it.
#[derive(Clone, Debug)]
pub struct AuditRow {
    /// The index the row claims (`None`: not in the log yet).
    pub index: Option<u64>,
    /// The leaf hash recomputed from the row's columns and salt.
    pub leaf: Hash,
    /// The leaf hash stored with the row.
    pub stored_leaf: Option<Hash>,
}

/// What is wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The first index that does not verify (`None` when the damage cannot be placed).
    pub index: Option<u64>,
    /// What is wrong there.
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "index {i}: {}", self.problem),
            None => write!(f, "{}", self.problem),
        }
    }
}

fn at(index: u64, problem: &str) -> Finding {
    Finding {
        index: Some(index),
        problem: problem.to_string(),
    }
}

/// Checks `rows` (sorted by index, unlogged rows anywhere) against `checkpoint`, whose
/// signature the caller has verified. `tree_leaf(i)` is the leaf hash the stored tree holds
/// at index `i`. Rows beyond the checkpoint are not covered by it and are skipped.
pub fn audit(
    rows: &[AuditRow],
    tree_leaf: impl Fn(u64) -> Option<Hash>,
    checkpoint: &Checkpoint,
) -> Result<(), Finding> {
    let mut expected = 0u64;
    let mut leaves = Vec::with_capacity(checkpoint.size as usize);
    for row in rows {
        let Some(i) = row.index else { continue };
        if i >= checkpoint.size {
            continue;
        }
        if i < expected {
            return Err(at(i, "two events claim this index"));
        }
        if i > expected {
            return Err(at(expected, "the entry at this index is missing"));
        }
        if row.stored_leaf != Some(row.leaf) {
            return Err(at(
                i,
                "the entry does not match the leaf hash recorded with it",
            ));
        }
        if tree_leaf(i) != Some(row.leaf) {
            return Err(at(
                i,
                "the entry is not the one the tree holds at this index",
            ));
        }
        leaves.push(row.leaf);
        expected += 1;
    }
    if expected < checkpoint.size {
        return Err(at(expected, "the entry at this index is missing"));
    }
    if root_of(&leaves) != checkpoint.root {
        return Err(Finding {
            index: None,
            problem: "the entries and the stored tree agree, but not with the signed checkpoint: both were rewritten".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaf_hash;

    fn setup(n: u64) -> (Vec<AuditRow>, Vec<Hash>, Checkpoint) {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let rows = leaves
            .iter()
            .enumerate()
            .map(|(i, l)| AuditRow {
                index: Some(i as u64),
                leaf: *l,
                stored_leaf: Some(*l),
            })
            .collect();
        let cp = Checkpoint {
            origin: "t".into(),
            size: n,
            root: root_of(&leaves),
        };
        (rows, leaves, cp)
    }

    #[test]
    fn an_untouched_log_passes() {
        let (rows, tree, cp) = setup(10);
        assert_eq!(audit(&rows, |i| tree.get(i as usize).copied(), &cp), Ok(()));
    }

    #[test]
    fn a_changed_deleted_or_swapped_event_is_named() {
        let (rows, tree, cp) = setup(10);
        let t = |i: u64| tree.get(i as usize).copied();
        let mut changed = rows.clone();
        changed[4].leaf = leaf_hash(b"x");
        assert_eq!(audit(&changed, t, &cp).unwrap_err().index, Some(4));
        let mut deleted = rows.clone();
        deleted.remove(6);
        assert_eq!(audit(&deleted, t, &cp).unwrap_err().index, Some(6));
        let mut swapped = rows.clone();
        swapped.swap(2, 7);
        swapped[2].index = Some(2);
        swapped[7].index = Some(7);
        assert_eq!(audit(&swapped, t, &cp).unwrap_err().index, Some(2));
        let mut last_gone = rows;
        last_gone.pop();
        assert_eq!(audit(&last_gone, t, &cp).unwrap_err().index, Some(9));
    }

    #[test]
    fn a_consistently_rewritten_copy_is_caught_by_the_signed_root() {
        let (mut rows, mut tree, cp) = setup(10);
        rows[3].leaf = leaf_hash(b"x");
        rows[3].stored_leaf = Some(rows[3].leaf);
        tree[3] = rows[3].leaf;
        assert_eq!(
            audit(&rows, |i| tree.get(i as usize).copied(), &cp)
                .unwrap_err()
                .index,
            None
        );
    }
}
