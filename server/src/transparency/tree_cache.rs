//! An in-process cache of the log's stored Merkle hashes, so that inclusion and consistency
//! proofs, the checkpoint root and the browser's page proofs are served from memory instead
//! of one SQL query per proof (B8).
//!
//! Why it is safe: a stored hash never changes once committed (`log_hashes` is insert-only,
//! enforced by triggers), so a cached hash is never stale. The invariant this module keeps is
//! that **only committed hashes enter it**: hashes read from the pool (which only sees
//! committed rows), and the hashes the log writer hands over *after* its batch committed
//! ([`TreeCache::remember_committed`]). A batch that rolls back never reaches it.
//!
//! Memory is bounded by `log.proof_cache_mb` ([`crate::config::LogSettings`]). When full, it
//! evicts from the **lowest tree level first**, oldest first within a level: every proof
//! touches the upper levels, while a leaf-level hash serves only the proofs of its two
//! leaves. A miss reads exactly the missing hashes in one query and keeps them.

use super::proofs::StoredTree;
use crate::db::tree as store;
use crate::db::Db;
use glassbox_log::Hash;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// What one cached hash may cost at most, in bytes: a hash-table slot (8-byte index, 32-byte
/// hash, one control byte) at the table's lowest load factor (7/16, just after it doubled:
/// ≤ 94 bytes), plus the eviction queue's index (8 bytes, up to 16 while it doubles). The
/// B8 bench measured 91 bytes per hash with the whole tree of 10⁶ leaves held (see
/// `BENCHMARKS.md`).
pub const BYTES_PER_HASH: u64 = 112;

/// Levels of a tree of at most 2⁶⁴ leaves.
const LEVELS: usize = 64;

/// The cache's size: how many stored hashes it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheCapacity(usize);

impl CacheCapacity {
    /// As many hashes as fit in `megabytes` (see [`BYTES_PER_HASH`]); 0 keeps none.
    pub fn from_megabytes(megabytes: u64) -> Self {
        let bytes = megabytes.saturating_mul(1024 * 1024);
        Self(usize::try_from(bytes / BYTES_PER_HASH).unwrap_or(usize::MAX))
    }

    /// Exactly `hashes` stored hashes.
    pub fn hashes(hashes: usize) -> Self {
        Self(hashes)
    }

    /// How many hashes.
    pub fn get(self) -> usize {
        self.0
    }
}

/// What the cache holds and has done (for tests, benchmarks and logs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Hashes held now.
    pub held: usize,
    /// Hashes answered from memory.
    pub hits: u64,
    /// Hashes read from the database because they were missing.
    pub read_from_database: u64,
}

struct Entries {
    hashes: HashMap<u64, Hash>,
    /// Per tree level, the indexes held, oldest first: the eviction order.
    order: Vec<VecDeque<u64>>,
}

impl Entries {
    fn insert(&mut self, capacity: usize, index: u64, hash: Hash) {
        if capacity == 0 || self.hashes.insert(index, hash).is_some() {
            return;
        }
        let (level, _) = tlog_tiles::split_stored_hash_index(index);
        if let Some(queue) = self.order.get_mut(usize::from(level)) {
            queue.push_back(index);
        }
        while self.hashes.len() > capacity {
            let Some(lowest) = self.order.iter_mut().find(|q| !q.is_empty()) else {
                break;
            };
            if let Some(evicted) = lowest.pop_front() {
                self.hashes.remove(&evicted);
            }
        }
    }
}

/// The stored Merkle hashes of one database's log, kept in memory (cheap to share: put it in
/// an `Arc`). Also remembers the largest log size known to be committed, so that proof
/// requests within it need no size query.
pub struct TreeCache {
    db: Db,
    capacity: usize,
    entries: RwLock<Entries>,
    committed_size: AtomicU64,
    hits: AtomicU64,
    read_from_database: AtomicU64,
}

impl std::fmt::Debug for TreeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeCache")
            .field("capacity", &self.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}

impl TreeCache {
    /// An empty cache over `db` holding at most `capacity` hashes. The hash table is
    /// reserved at once, so it never grows (and never doubles its memory) later; untouched
    /// pages cost no resident memory.
    pub fn new(db: Db, capacity: CacheCapacity) -> Self {
        let capacity = capacity.get();
        Self {
            db,
            capacity,
            entries: RwLock::new(Entries {
                // Reserve what the bound allows, but not absurd amounts for a huge setting.
                hashes: HashMap::with_capacity(capacity.min(1 << 26)),
                order: vec![VecDeque::new(); LEVELS],
            }),
            committed_size: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            read_from_database: AtomicU64::new(0),
        }
    }

    /// How many hashes it may hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// What it holds and has done so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            held: self.entries().hashes.len(),
            hits: self.hits.load(Ordering::Relaxed),
            read_from_database: self.read_from_database.load(Ordering::Relaxed),
        }
    }

    /// Takes the hashes of a batch that **has committed**, and the log size it committed.
    /// Call it only after `commit()` returned `Ok`: the cache must never hold a hash a
    /// rolled-back batch computed.
    pub fn remember_committed(&self, size: u64, hashes: &[(u64, Hash)]) {
        {
            let mut entries = self.entries_mut();
            for (index, hash) in hashes {
                entries.insert(self.capacity, *index, *hash);
            }
        }
        self.committed_size.fetch_max(size, Ordering::Relaxed);
    }

    /// The stored hashes with these indexes: those in memory, then the rest in one query
    /// (which are kept). Indexes not stored in the database are absent from the answer.
    pub async fn read(&self, ids: &[u64]) -> anyhow::Result<HashMap<u64, Hash>> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let entries = self.entries();
            for id in ids {
                match entries.hashes.get(id) {
                    Some(h) => {
                        found.insert(*id, *h);
                    }
                    None => missing.push(*id),
                }
            }
        }
        self.hits.fetch_add(found.len() as u64, Ordering::Relaxed);
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(found);
        }
        let fetched = store::read_hashes(&self.db, &missing).await?;
        self.read_from_database
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        {
            let mut entries = self.entries_mut();
            for (index, hash) in &fetched {
                entries.insert(self.capacity, *index, *hash);
            }
        }
        found.extend(fetched);
        Ok(found)
    }

    // A panic while the lock was held cannot leave the entries inconsistent in a way that
    // matters (each insert is one map insert plus one queue push; eviction rebalances), so
    // a poisoned lock is used as it is rather than failing every later proof.
    fn entries(&self) -> RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn entries_mut(&self) -> RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl StoredTree for TreeCache {
    fn db(&self) -> &Db {
        &self.db
    }

    async fn read_hashes(&self, ids: &[u64]) -> anyhow::Result<HashMap<u64, Hash>> {
        self.read(ids).await
    }

    fn committed_size(&self) -> u64 {
        self.committed_size.load(Ordering::Relaxed)
    }

    fn saw_committed_size(&self, size: u64) {
        self.committed_size.fetch_max(size, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::proofs as log;
    use glassbox_log::frontier::Growing;
    use secrecy::SecretString;
    use tlog_tiles::stored_hash_index;

    /// A SQLite database (in a temporary folder) holding the tree of `n` leaves; returns it
    /// with every stored hash.
    async fn stored_tree(n: u64) -> (tempfile::TempDir, Db, Vec<(u64, Hash)>) {
        let dir = tempfile::tempdir().unwrap();
        let url = SecretString::from(format!("sqlite://{}/tree.db", dir.path().display()));
        let db = Db::connect(&url, 2).await.unwrap();
        db.migrate().await.unwrap();
        let mut tree = Growing::new(0, HashMap::new());
        for i in 0..n {
            tree.push(glassbox_log::leaf_hash(&i.to_be_bytes()))
                .unwrap();
        }
        let mut tx = db.begin().await.unwrap();
        store::insert_hashes(&mut tx, tree.added()).await.unwrap();
        tx.commit().await.unwrap();
        (dir, db, tree.added().to_vec())
    }

    fn level_of(index: u64) -> u8 {
        tlog_tiles::split_stored_hash_index(index).0
    }

    #[tokio::test]
    async fn a_miss_reads_only_the_hashes_the_cache_lacks() {
        let (_dir, db, all) = stored_tree(64).await;
        let cache = TreeCache::new(db, CacheCapacity::hashes(1000));
        cache.remember_committed(64, &all[..10]);
        let wanted: Vec<u64> = all[5..15].iter().map(|(i, _)| *i).collect();

        let got = cache.read(&wanted).await.unwrap();

        assert_eq!(got.len(), 10);
        for (i, h) in &all[5..15] {
            assert_eq!(got.get(i), Some(h));
        }
        let stats = cache.stats();
        assert_eq!(stats.hits, 5, "five were in memory");
        assert_eq!(
            stats.read_from_database, 5,
            "only the five missing were read"
        );
        // The ones read are kept: asking again reads nothing more.
        cache.read(&wanted).await.unwrap();
        assert_eq!(cache.stats().read_from_database, 5);
        assert_eq!(cache.stats().held, 15);
    }

    #[tokio::test]
    async fn a_hash_the_database_does_not_hold_is_neither_answered_nor_kept() {
        let (_dir, db, all) = stored_tree(8).await;
        let cache = TreeCache::new(db, CacheCapacity::hashes(1000));
        let beyond = stored_hash_index(0, 100);

        let got = cache.read(&[all[0].0, beyond]).await.unwrap();

        assert_eq!(got.len(), 1);
        assert!(!got.contains_key(&beyond));
        assert_eq!(cache.stats().held, 1);
    }

    #[tokio::test]
    async fn a_full_cache_keeps_its_bound_and_gives_up_the_lowest_level_first() {
        let (_dir, db, all) = stored_tree(256).await;
        let capacity = 300;
        let cache = TreeCache::new(db, CacheCapacity::hashes(capacity));

        // Fed batch by batch, as the log writer does.
        for chunk in all.chunks(17) {
            cache.remember_committed(0, chunk);
            assert!(cache.stats().held <= capacity);
        }

        assert_eq!(cache.stats().held, capacity);
        let held: Vec<u64> = {
            let entries = cache.entries();
            entries.hashes.keys().copied().collect()
        };
        // 511 hashes: 256 leaves and 255 above. Every hash above the leaves is kept, and
        // the leaves kept are the newest ones.
        let upper = all.iter().filter(|(i, _)| level_of(*i) > 0).count();
        assert_eq!(held.iter().filter(|i| level_of(**i) > 0).count(), upper);
        let newest_leaves: Vec<u64> = (256 - (capacity - upper) as u64..256)
            .map(|n| stored_hash_index(0, n))
            .collect();
        assert!(newest_leaves.iter().all(|i| held.contains(i)));
    }

    #[tokio::test]
    async fn a_cache_of_size_zero_keeps_nothing_and_still_answers() {
        let (_dir, db, all) = stored_tree(16).await;
        let cache = TreeCache::new(db, CacheCapacity::from_megabytes(0));
        cache.remember_committed(16, &all);

        let got = cache.read(&[all[3].0]).await.unwrap();

        assert_eq!(got.get(&all[3].0), Some(&all[3].1));
        assert_eq!(cache.stats().held, 0);
    }

    #[tokio::test]
    async fn proofs_through_the_cache_equal_proofs_read_from_the_database() {
        let n = 300u64;
        let (_dir, db, all) = stored_tree(n).await;
        // A cache big enough for all, one so small it evicts during every proof, and one
        // warmed by the writer's hand-over.
        let big = TreeCache::new(db.clone(), CacheCapacity::hashes(10_000));
        let tiny = TreeCache::new(db.clone(), CacheCapacity::hashes(7));
        let warm = TreeCache::new(db.clone(), CacheCapacity::hashes(10_000));
        warm.remember_committed(n, &all);

        for size in [1, 2, 3, 7, 64, 65, 199, 300] {
            let root = log::root(&db, size).await.unwrap();
            for cache in [&big, &tiny, &warm] {
                assert_eq!(log::root(cache, size).await.unwrap(), root);
            }
            for index in [0, size / 3, size / 2, size - 1] {
                let expected = log::prove_inclusion(&db, index, size).await.unwrap();
                for cache in [&big, &tiny, &warm] {
                    let proof = log::prove_inclusion(cache, index, size).await.unwrap();
                    assert_eq!(proof.hashes, expected.hashes, "index {index} of {size}");
                    assert_eq!(proof.leaf_hash, expected.leaf_hash);
                    assert_eq!(proof.verify(&proof.leaf().unwrap(), &root), Ok(()));
                }
            }
            for from in [1, size / 2, size - 1] {
                let expected = log::prove_consistency(&db, from, size).await.unwrap();
                for cache in [&big, &tiny, &warm] {
                    let proof = log::prove_consistency(cache, from, size).await.unwrap();
                    assert_eq!(proof.hashes, expected.hashes, "{from} → {size}");
                }
            }
        }
        assert_eq!(
            warm.stats().read_from_database,
            0,
            "a cache fed by the writer needs no query"
        );
        assert!(tiny.stats().held <= 7);
    }
}
