//! The log writer: one task that decides checks and appends their events to the log with
//! group commit. Checks queue here; the task takes up to `batch_max_events` of them (waiting
//! at most `batch_max_wait_micros` after the first), and in ONE transaction it takes the
//! sequencer role, checks that each asking service token is still live (once per token per
//! batch; the API identifies tokens from memory), reads the grants and decides each check,
//! inserts the events with their log index, salt and leaf hash, and the new Merkle tree
//! hashes, then commits. Only after the commit does any waiting check get its answer.
//! Deciding inside the transaction keeps the guarantee of the one-transaction-per-check
//! design: on SQLite the batch holds the write lock (`BEGIN IMMEDIATE`) and on PostgreSQL
//! tokens and grants are read `FOR SHARE`, so a revocation (of a grant or of a token)
//! commits either before the batch reads it or after the batch's events.
//!
//! Request lifecycle changes (requested, approved, denied, cancelled, expired, revoked,
//! ended, shortened) are written in the same transaction as the change itself, without a
//! log index; so are events written without the writer (older releases). Every batch first
//! enters such rows into the log, oldest first, and when no check comes the task looks for
//! them five times a second.
//!
//! Several instances on one PostgreSQL database each run a writer; the transaction-scoped
//! advisory lock makes them take turns, each batch reading the tree size under the lock,
//! so the log has no gap, duplicate or fork, and a dead instance's lock is released with
//! its connection.

use super::check::decide;
use super::error::ServiceError;
use super::log::{change_entry_of, entry_of, new_salt};
use super::tree_cache::TreeCache;
use crate::config::LogSettings;
use crate::db::changes;
use crate::db::events::NewEventRow;
use crate::db::log::{self as store, EventEntryRow, LoggedEvent};
use crate::db::requests::{self, GrantRow};
use crate::db::{owners, service_tokens, staff};
use crate::db::{ts, Db};
use crate::domain::clock::Clock;
use app::model::{Decision, MailboxId, Scope, StaffId};
use glassbox_log::Hash;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tlog_tiles::{stored_hash_index, HashReader};
use tokio::sync::{mpsc, oneshot, watch};

/// A check waiting for its decision and event (input already validated).
#[derive(Clone, Debug)]
pub struct PendingCheck {
    /// The service token that asked: it must still be live when the event commits.
    pub token: uuid::Uuid,
    /// The mailbox address (normalised).
    pub mailbox: String,
    /// The staff member's handle (normalised).
    pub agent: String,
    /// Scope asked for.
    pub scope: Scope,
    /// Action.
    pub action: String,
    /// Resource.
    pub resource: String,
    /// Source network.
    pub source_network: Option<String>,
}

/// A decided check whose event is durable and in the log.
#[derive(Clone, Debug)]
pub struct Decided {
    /// Allowed or denied.
    pub decision: Decision,
    /// Why.
    pub reason: &'static str,
    /// The grant that allowed it.
    pub grant: Option<GrantRow>,
    /// The event.
    pub event_id: uuid::Uuid,
    /// Its index in the log.
    pub log_index: u64,
}

/// Why a batch recorded nothing for a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NotRecorded {
    /// The mailbox or the agent (named) does not exist.
    Unknown(&'static str),
    /// The service token that asked was revoked before the batch read it.
    TokenRevoked,
}

/// What a batch answers one check: decided and recorded, or not recorded and why, or the
/// batch failed (nothing recorded).
type Reply = Result<Result<Decided, NotRecorded>, String>;

struct Job {
    check: PendingCheck,
    reply: oneshot::Sender<Reply>,
}

/// The handle checks are sent through (cheap to clone).
#[derive(Clone, Debug)]
pub struct LogWriter {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("check", &self.check).finish()
    }
}

impl LogWriter {
    /// Decides `check` and records its event; returns once the event is durable.
    pub async fn check(&self, check: PendingCheck) -> Result<Decided, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { check, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the log writer has stopped"))?;
        match answer.await {
            Ok(Ok(Ok(decided))) => Ok(decided),
            Ok(Ok(Err(NotRecorded::Unknown(what)))) => Err(ServiceError::NotFound(what)),
            Ok(Ok(Err(NotRecorded::TokenRevoked))) => Err(ServiceError::Unauthorized),
            Ok(Err(cause)) => {
                Err(anyhow::anyhow!("the access log could not be written: {cause}").into())
            }
            Err(_) => Err(anyhow::anyhow!("the log writer stopped before answering").into()),
        }
    }
}

/// The task behind a [`LogWriter`].
pub struct Sequencer {
    db: Db,
    clock: Clock,
    jobs: mpsc::Receiver<Job>,
    max_events: usize,
    max_wait: Duration,
    /// The tree size this task last saw, when its frontier is current.
    size: Option<u64>,
    /// The stored hashes the next append reads: the roots of the complete subtrees on the
    /// tree's right edge (at most one per level).
    frontier: HashMap<u64, Hash>,
    /// Receives each batch's new hashes once the batch has committed.
    tree_cache: Arc<TreeCache>,
    /// When the last batch looked for rows waiting to enter the log.
    backlog_checked: std::time::Instant,
}

/// How often, at most, a batch with checks also looks for rows waiting to enter the log.
const BACKLOG_EVERY: Duration = Duration::from_millis(10);

/// The rows `query` finds, if `look`; none otherwise (the query is not run).
async fn backlog<T>(
    query: impl std::future::Future<Output = sqlx::Result<Vec<T>>>,
    look: bool,
) -> sqlx::Result<Vec<T>> {
    if look {
        query.await
    } else {
        Ok(Vec::new())
    }
}

/// Makes a writer and its task; run the task with [`Sequencer::run_until_stopped`]. The
/// task hands every committed batch's hashes to `tree_cache`.
pub fn channel(
    db: Db,
    clock: Clock,
    settings: &LogSettings,
    tree_cache: Arc<TreeCache>,
) -> (LogWriter, Sequencer) {
    let max_events = settings.batch_max_events.max(1);
    let (tx, rx) = mpsc::channel(max_events.max(64) * 4);
    (
        LogWriter { jobs: tx },
        Sequencer {
            db,
            clock,
            jobs: rx,
            max_events,
            max_wait: Duration::from_micros(settings.batch_max_wait_micros),
            size: None,
            frontier: HashMap::new(),
            tree_cache,
            backlog_checked: std::time::Instant::now(),
        },
    )
}

/// The stored-hash indexes of the right-edge complete subtrees of a tree of `size` leaves.
pub fn frontier_ids(size: u64) -> Vec<u64> {
    (0..64u8)
        .filter(|l| (size >> l) & 1 == 1)
        .map(|l| stored_hash_index(l, (size >> l) - 1))
        .collect()
}

struct MapReader<'a>(&'a HashMap<u64, Hash>);

impl HashReader for MapReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| self.0.get(i).map(|h| tlog_tiles::Hash(*h)))
            .collect::<Option<Vec<_>>>()
            .ok_or(tlog_tiles::Error::IndexesNotInTree)
    }
}

/// The tree growing within one batch: from its right edge, each new leaf adds its stored
/// hashes (public for the benchmarks). Only the right edge is kept for the next leaf; every
/// hash made is in [`Growing::added`].
pub struct Growing {
    size: u64,
    hashes: HashMap<u64, Hash>,
    new: Vec<(u64, Hash)>,
}

impl Growing {
    /// A tree of `size` leaves known by its right edge (see [`frontier_ids`]).
    pub fn new(size: u64, frontier: HashMap<u64, Hash>) -> Self {
        Self {
            size,
            hashes: frontier,
            new: Vec::new(),
        }
    }

    /// The stored hashes added so far, by stored-hash index.
    pub fn added(&self) -> &[(u64, Hash)] {
        &self.new
    }

    /// Appends a leaf; returns its index.
    pub fn push(&mut self, leaf: Hash) -> anyhow::Result<u64> {
        let index = self.size;
        let stored = tlog_tiles::stored_hashes_for_record_hash(
            index,
            tlog_tiles::Hash(leaf),
            &MapReader(&self.hashes),
        )
        .map_err(|e| anyhow::anyhow!("the Merkle tree's right edge is missing: {e}"))?;
        let start = stored_hash_index(0, index);
        // Leaf `index` merges with the complete subtrees of its trailing one bits: those
        // leave the right edge, and of the hashes just made only the top one joins it. So
        // the map stays as small as the right edge (≤ 64 hashes) however long the batch.
        for level in 0..index.trailing_ones() {
            self.hashes
                .remove(&stored_hash_index(level as u8, (index >> level) - 1));
        }
        let top = stored.len().saturating_sub(1);
        for (k, h) in stored.into_iter().enumerate() {
            if k == top {
                self.hashes.insert(start + k as u64, h.0);
            }
            self.new.push((start + k as u64, h.0));
        }
        self.size += 1;
        Ok(index)
    }
}

impl Sequencer {
    /// Processes checks until `stop` turns true, then answers what is already queued.
    pub async fn run_until_stopped(mut self, mut stop: watch::Receiver<bool>) {
        // Request changes and events written without the writer wait at most this long.
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let first = tokio::select! {
                job = self.jobs.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
                _ = tick.tick() => {
                    // Events written without the writer are entered even when no check comes.
                    if matches!(store::any_unlogged(&self.db).await, Ok(true)) {
                        self.commit(Vec::new()).await;
                    }
                    continue;
                }
                _ = stop.changed() => break,
            };
            let batch = self.gather(first).await;
            self.commit(batch).await;
        }
        self.jobs.close();
        let mut rest = Vec::new();
        while let Ok(job) = self.jobs.try_recv() {
            rest.push(job);
        }
        if !rest.is_empty() {
            self.commit(rest).await;
        }
        // Request changes made just before the stop are not left for the next start.
        if let Err(e) = self.enter_backlog().await {
            tracing::warn!(error = %format!("{e:#}"), "request changes are left for the next start to enter into the log");
        }
    }

    async fn gather(&mut self, first: Job) -> Vec<Job> {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + self.max_wait;
        while batch.len() < self.max_events {
            match self.jobs.try_recv() {
                Ok(job) => {
                    batch.push(job);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) if self.max_wait.is_zero() => break,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            match tokio::time::timeout_at(deadline, self.jobs.recv()).await {
                Ok(Some(job)) => batch.push(job),
                _ => break,
            }
        }
        batch
    }

    /// Enters events written without the writer into the log (at start, before serving).
    pub async fn enter_backlog(&mut self) -> anyhow::Result<()> {
        while store::any_unlogged(&self.db).await? {
            self.write(&[]).await?;
        }
        Ok(())
    }

    async fn commit(&mut self, jobs: Vec<Job>) {
        let checks: Vec<&PendingCheck> = jobs.iter().map(|j| &j.check).collect();
        match self.write(&checks).await {
            Ok(decided) => {
                for (job, d) in jobs.into_iter().zip(decided) {
                    let _ = job.reply.send(Ok(d));
                }
            }
            Err(e) => {
                let cause = format!("{e:#}");
                for job in jobs {
                    let _ = job.reply.send(Err(cause.clone()));
                }
            }
        }
    }

    /// One group commit: decides `checks` and appends their events (after any backlog).
    async fn write(
        &mut self,
        checks: &[&PendingCheck],
    ) -> anyhow::Result<Vec<Result<Decided, NotRecorded>>> {
        let result = self.write_inner(checks).await;
        if result.is_err() {
            // The transaction rolled back: read the tree afresh next time.
            self.size = None;
            self.frontier.clear();
        }
        result
    }

    async fn write_inner(
        &mut self,
        checks: &[&PendingCheck],
    ) -> anyhow::Result<Vec<Result<Decided, NotRecorded>>> {
        let mut tx = self.db.begin().await?;
        store::take_sequencer_role(&mut tx).await?;
        let size = store::size(&mut tx).await?;
        if self.size != Some(size) {
            // First batch, or another instance appended since: reload the right edge.
            let ids = frontier_ids(size);
            let hashes = store::read_hashes_tx(&mut tx, &ids).await?;
            anyhow::ensure!(
                ids.iter().all(|i| hashes.contains_key(i)),
                "the stored Merkle tree lacks hashes of its right edge at size {size}"
            );
            self.frontier = hashes;
        }
        let mut tree = Growing {
            size,
            hashes: std::mem::take(&mut self.frontier),
            new: Vec::new(),
        };

        // Under load the backlog is looked for at most every BACKLOG_EVERY (two indexed
        // queries that almost always find nothing); always when there are no checks.
        let look = checks.is_empty() || self.backlog_checked.elapsed() >= BACKLOG_EVERY;
        if look {
            self.backlog_checked = std::time::Instant::now();
        }
        for row in backlog(store::unlogged(&mut tx, self.max_events as i64), look).await? {
            let salt = new_salt();
            let leaf = entry_of(&row, salt).leaf_hash();
            let index = tree.push(leaf)?;
            store::enter(&mut tx, row.seq, index, &salt, &leaf).await?;
        }
        // Request changes (approve, deny, revoke, expire, …) are written with the change
        // itself and entered here, in the order they were made.
        for row in backlog(changes::unlogged(&mut tx, self.max_events as i64), look).await? {
            let salt = new_salt();
            let leaf = change_entry_of(&row, salt).leaf_hash();
            let index = tree.push(leaf)?;
            changes::enter(&mut tx, row.seq, index, &salt, &leaf).await?;
        }

        // Read the time inside the transaction: on SQLite the write lock is already held,
        // so no revocation can commit between this instant and these events.
        let now = ts(self.clock.now());
        // Tokens, mailboxes, agents and grants are read once per batch, with the write lock
        // held (on SQLite by this transaction; on PostgreSQL tokens and grants are read FOR
        // SHARE): a revocation commits before the batch reads it or after its events.
        let mut tokens: HashMap<uuid::Uuid, bool> = HashMap::new();
        let mut mailboxes: HashMap<&str, Option<MailboxId>> = HashMap::new();
        let mut agents: HashMap<&str, Option<(StaffId, bool)>> = HashMap::new();
        let mut grants: HashMap<(MailboxId, StaffId), Vec<GrantRow>> = HashMap::new();
        let mut events = Vec::with_capacity(checks.len());
        let mut outcomes = Vec::with_capacity(checks.len());
        for c in checks {
            let live = match tokens.get(&c.token) {
                Some(live) => *live,
                None => {
                    let live = service_tokens::is_live(&mut tx, c.token).await?;
                    tokens.insert(c.token, live);
                    live
                }
            };
            if !live {
                outcomes.push(Err(NotRecorded::TokenRevoked));
                continue;
            }
            if !mailboxes.contains_key(c.mailbox.as_str()) {
                let found = owners::find_mailbox(&self.db, &c.mailbox).await?;
                mailboxes.insert(&c.mailbox, found.map(|m| MailboxId(m.id)));
            }
            if !agents.contains_key(c.agent.as_str()) {
                let found = staff::find_staff_by_handle(&self.db, &c.agent).await?;
                agents.insert(&c.agent, found.map(|a| (a.id, a.disabled_at.is_some())));
            }
            let Some(mailbox_id) = mailboxes.get(c.mailbox.as_str()).copied().flatten() else {
                outcomes.push(Err(NotRecorded::Unknown("mailbox")));
                continue;
            };
            let Some((agent_id, disabled)) = agents.get(c.agent.as_str()).copied().flatten() else {
                outcomes.push(Err(NotRecorded::Unknown("agent")));
                continue;
            };
            let key = (mailbox_id, agent_id);
            if !disabled && !grants.contains_key(&key) {
                let live = requests::live_grants(&mut tx, mailbox_id, agent_id, now).await?;
                grants.insert(key, live);
            }
            let live = grants.get(&key).map(Vec::as_slice).unwrap_or_default();
            let (decision, reason, grant) = decide(disabled, live, c.scope, now);
            let event = NewEventRow {
                id: uuid::Uuid::now_v7(),
                occurred_at: now,
                mailbox_id,
                agent_id: Some(agent_id),
                request_id: grant.as_ref().map(|g| g.id),
                scope: c.scope,
                action: c.action.clone(),
                resource: c.resource.clone(),
                decision,
                reason: reason.to_string(),
                source_network: c.source_network.clone(),
            };
            outcomes.push(Ok((decision, reason, grant, events.len())));
            events.push(event);
        }
        let mut logged = Vec::with_capacity(events.len());
        for event in &events {
            let salt = new_salt();
            let leaf = entry_of(&EventEntryRow::from_new(event), salt).leaf_hash();
            let index = tree.push(leaf)?;
            logged.push(LoggedEvent {
                event,
                index,
                salt,
                leaf,
            });
        }
        store::insert_logged(&mut tx, &logged).await?;
        store::insert_hashes(&mut tx, &tree.new).await?;
        tx.commit().await?;
        // Only now, committed, may the new hashes enter the proof cache.
        self.tree_cache.remember_committed(tree.size, &tree.new);

        let ids = frontier_ids(tree.size);
        self.frontier = ids
            .iter()
            .filter_map(|i| tree.hashes.get(i).map(|h| (*i, *h)))
            .collect();
        self.size = Some(tree.size);
        Ok(outcomes
            .into_iter()
            .map(|o| {
                o.map(|(decision, reason, grant, event)| Decided {
                    decision,
                    reason,
                    grant,
                    event_id: logged[event].event.id,
                    log_index: logged[event].index,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_edge_is_one_complete_subtree_per_set_bit_of_the_size() {
        assert!(frontier_ids(0).is_empty());
        assert_eq!(frontier_ids(1), vec![stored_hash_index(0, 0)]);
        assert_eq!(
            frontier_ids(6),
            vec![stored_hash_index(1, 2), stored_hash_index(2, 0)]
        );
    }

    #[test]
    fn a_tree_grown_from_its_right_edge_alone_has_the_root_of_all_its_leaves() {
        let leaves: Vec<Hash> = (0..300u32)
            .map(|i| glassbox_log::leaf_hash(&i.to_be_bytes()))
            .collect();
        let mut all: HashMap<u64, Hash> = HashMap::new();
        let mut size = 0u64;
        for chunk in leaves.chunks(37) {
            // Each batch starts from the right edge only, as after a restart.
            let edge = frontier_ids(size)
                .into_iter()
                .map(|i| (i, all[&i]))
                .collect();
            let mut tree = Growing {
                size,
                hashes: edge,
                new: Vec::new(),
            };
            for l in chunk {
                tree.push(*l).unwrap();
                // It keeps exactly the right edge, nothing more.
                let mut kept: Vec<u64> = tree.hashes.keys().copied().collect();
                kept.sort_unstable();
                let mut edge = frontier_ids(tree.size);
                edge.sort_unstable();
                assert_eq!(kept, edge);
            }
            all.extend(tree.new);
            size = tree.size;
            let root = tlog_tiles::tree_hash(size, &MapReader(&all)).unwrap().0;
            assert_eq!(root, glassbox_log::root_of(&leaves[..size as usize]));
        }
    }
}
