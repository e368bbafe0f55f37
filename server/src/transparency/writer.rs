//! The log writer: one task that decides checks and appends their events to the log with
//! group commit. Checks queue here; the task takes up to `batch_max_events` of them (waiting
//! at most `batch_max_wait_micros` after the first), and in ONE transaction it takes the
//! sequencer role, checks that each asking service token is still live (once per token per
//! batch; the API identifies tokens from memory), reads the grants and decides each check,
//! inserts the events with their log index, salt and leaf hash, and the new Merkle tree
//! hashes, then commits. Only after the commit does any waiting check get its answer.
//! Every fact a decision depends on (the token, the mailbox, the agent and whether they are
//! disabled, the grants) is read inside that transaction: on SQLite the batch holds the
//! write lock (`BEGIN IMMEDIATE`) and on PostgreSQL those rows are read `FOR SHARE`, so a
//! revocation of a grant or a token, or a disable, commits either before the batch reads it
//! or after the batch's events. The decision itself is the domain's
//! ([`crate::domain::check::decide`]); the tree grows from its right edge
//! ([`glassbox_log::frontier::Growing`]).
//!
//! Request lifecycle changes (requested, approved, denied, cancelled, expired, revoked,
//! ended, shortened) and staff changes (added, disabled, recertified, lapsed) are written
//! in the same transaction as the change itself, without a log index; so are events written without the writer (older releases). Every batch first
//! enters such rows into the log, oldest first, and when no check comes the task looks for
//! them five times a second.
//!
//! Several instances on one PostgreSQL database each run a writer; the transaction-scoped
//! advisory lock makes them take turns, each batch reading the tree size under the lock,
//! so the log has no gap, duplicate or fork, and a dead instance's lock is released with
//! its connection.

use super::entries::{change_entry_of, entry_of, new_salt, notice_entry_of, staff_change_entry_of};
use super::tree_cache::TreeCache;
use crate::config::LogSettings;
use crate::db::events::NewEventRow;
use crate::db::imap::{self as imap_store, NewSessionRow};
use crate::db::tree::{self as store, EventEntryRow, LoggedEvent};
use crate::db::{changes, legal_holds, staff_changes};
use crate::db::{owners, requests, service_tokens, staff};
use crate::db::{ts, Db};
use crate::domain::check::{decide, decide_imap_login, Grant, PresentedCredential};
use crate::domain::clock::Clock;
use app::model::{Decision, MailboxId, Scope, StaffId};
use glassbox_log::frontier::{frontier_ids, Growing};
use glassbox_log::Hash;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
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
    /// What the staff tool did (`list_folders`, `read_message`, …), as the mail system reported it.
    pub action: String,
    /// The opaque id of what was touched (`folder:inbox`, `message:…`), as reported.
    pub resource: String,
    /// The network the staff tool called from, when the mail system reported it.
    pub source_network: Option<String>,
    /// Set when this is a staff IMAP login (Dovecot's master passdb): decided by
    /// [`crate::domain::check::decide_imap_login`] instead of the plain check, and an
    /// allowed login's session is written with its event.
    pub imap: Option<ImapLogin>,
}

/// What an IMAP login adds to a check.
#[derive(Clone)]
pub struct ImapLogin {
    /// The keyed hash of the presented secret (the secret itself never reaches the writer).
    pub secret_hash: Vec<u8>,
    /// Dovecot's session id.
    pub session: String,
    /// The client's address.
    pub client_ip: String,
}

impl std::fmt::Debug for ImapLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapLogin")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// A decided check whose event is durable and in the log.
#[derive(Clone, Debug)]
pub struct Decided {
    /// Allowed or denied.
    pub decision: Decision,
    /// Why.
    pub reason: &'static str,
    /// The grant that allowed it.
    pub grant: Option<Grant>,
    /// The event.
    pub event_id: uuid::Uuid,
    /// Its index in the log.
    pub log_index: u64,
}

/// Why a batch recorded nothing for a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRecorded {
    /// The mailbox or the agent (named) does not exist.
    Unknown(&'static str),
    /// The service token that asked was revoked before the batch read it.
    TokenRevoked,
}

/// What a batch answers one check: decided and recorded, or not recorded and why, or the
/// batch failed (nothing recorded).
type Reply = Result<Result<Decided, NotRecorded>, Failure>;

/// Why a batch failed, as each of its checks is told.
#[derive(Clone, Debug)]
struct Failure {
    /// The cause, in words (logged where the check's answer is made).
    cause: String,
    /// The database could not take the batch now ([`crate::db::Unavailable`]).
    unavailable: bool,
}

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

/// Why a check has no answer.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Nothing was recorded, for this reason (the caller says so to the mail system).
    #[error("the check was not recorded: {0:?}")]
    NotRecorded(NotRecorded),
    /// The log could not be written (nothing was recorded: the check fails closed).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl LogWriter {
    /// Decides `check` and records its event; returns once the event is durable.
    pub async fn check(&self, check: PendingCheck) -> Result<Decided, CheckError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { check, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the log writer has stopped"))?;
        match answer.await {
            Ok(Ok(Ok(decided))) => Ok(decided),
            Ok(Ok(Err(why))) => Err(CheckError::NotRecorded(why)),
            Ok(Err(Failure {
                cause,
                unavailable: true,
            })) => Err(anyhow::Error::new(crate::db::Unavailable(cause))
                .context("the access log could not be written")
                .into()),
            Ok(Err(Failure { cause, .. })) => {
                Err(anyhow::anyhow!("the access log could not be written: {cause}").into())
            }
            Err(_) => Err(anyhow::anyhow!("the log writer stopped before answering").into()),
        }
    }
}

/// The task behind a [`LogWriter`].
pub struct LogWriterTask {
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

/// Makes a writer and its task; run the task with [`LogWriterTask::run_until_stopped`].
/// The task hands every committed batch's hashes to `tree_cache`.
pub fn log_writer(
    db: Db,
    clock: Clock,
    settings: &LogSettings,
    tree_cache: Arc<TreeCache>,
) -> (LogWriter, LogWriterTask) {
    let max_events = settings.batch_max_events.max(1);
    let (tx, rx) = mpsc::channel(max_events.max(64) * 4);
    (
        LogWriter { jobs: tx },
        LogWriterTask {
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

impl LogWriterTask {
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
                let failure = Failure {
                    cause: format!("{e:#}"),
                    unavailable: crate::db::is_unavailable(&e),
                };
                for job in jobs {
                    let _ = job.reply.send(Err(failure.clone()));
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
        store::take_writer_role(&mut tx).await?;
        let size = store::size(&mut tx).await?;
        if self.size != Some(size) {
            // First batch, or another instance appended since: reload the right edge.
            let ids = frontier_ids(size);
            let hashes = store::read_hashes(&mut tx, &ids).await?;
            anyhow::ensure!(
                ids.iter().all(|i| hashes.contains_key(i)),
                "the stored Merkle tree lacks hashes of its right edge at size {size}"
            );
            self.frontier = hashes;
        }
        let mut tree = Growing::new(size, std::mem::take(&mut self.frontier));

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
        // Staff changes (added, disabled, recertified, lapsed) likewise.
        for row in backlog(
            staff_changes::unlogged(&mut tx, self.max_events as i64),
            look,
        )
        .await?
        {
            let salt = new_salt();
            let leaf = staff_change_entry_of(&row, salt).leaf_hash();
            let index = tree.push(leaf)?;
            staff_changes::enter(&mut tx, row.seq, index, &salt, &leaf).await?;
        }
        // The steps of sealed notices (sealed, extended, released) likewise.
        for row in backlog(legal_holds::unlogged(&mut tx, self.max_events as i64), look).await? {
            let salt = new_salt();
            let leaf = notice_entry_of(&row, salt).leaf_hash();
            let index = tree.push(leaf)?;
            legal_holds::enter(&mut tx, row.seq, index, &salt, &leaf).await?;
        }

        // Every fact a decision depends on is read here, inside the batch's transaction and
        // with the lock that makes a concurrent change wait: on SQLite this transaction
        // holds the write lock since `BEGIN IMMEDIATE`; on PostgreSQL the token, mailbox,
        // agent and grant rows are read `FOR SHARE`. So a token revocation, a disable or a
        // grant revocation commits either before the batch reads it (and the check is
        // refused) or after the batch's events: a committed change is never followed by an
        // `allow`. Each fact is read once per batch.
        let mut tokens: HashMap<uuid::Uuid, bool> = HashMap::new();
        let mut mailboxes: HashMap<&str, Option<MailboxId>> = HashMap::new();
        let mut agents: HashMap<&str, Option<(StaffId, bool)>> = HashMap::new();
        let mut asked = Vec::with_capacity(checks.len());
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
                asked.push(Err(NotRecorded::TokenRevoked));
                continue;
            }
            if !mailboxes.contains_key(c.mailbox.as_str()) {
                let found = owners::find_mailbox(&mut tx, &c.mailbox).await?;
                mailboxes.insert(&c.mailbox, found.map(|m| MailboxId(m.id)));
            }
            if !agents.contains_key(c.agent.as_str()) {
                let found = staff::find_staff_by_handle(&mut tx, &c.agent).await?;
                agents.insert(&c.agent, found.map(|a| (a.id, a.disabled_at.is_some())));
            }
            let Some(mailbox_id) = mailboxes.get(c.mailbox.as_str()).copied().flatten() else {
                asked.push(Err(NotRecorded::Unknown("mailbox")));
                continue;
            };
            let Some((agent_id, disabled)) = agents.get(c.agent.as_str()).copied().flatten() else {
                asked.push(Err(NotRecorded::Unknown("agent")));
                continue;
            };
            asked.push(Ok((c, mailbox_id, agent_id, disabled)));
        }
        // The time is read after the rows are locked: nothing read above can change before
        // these events commit, so the events are dated while what they depend on holds.
        let now = ts(self.clock.now());
        let mut grants: HashMap<(MailboxId, StaffId), Vec<Grant>> = HashMap::new();
        let mut events = Vec::with_capacity(checks.len());
        let mut outcomes = Vec::with_capacity(checks.len());
        for a in asked {
            let (c, mailbox_id, agent_id, disabled) = match a {
                Ok(found) => found,
                Err(why) => {
                    outcomes.push(Err(why));
                    continue;
                }
            };
            let key = (mailbox_id, agent_id);
            if !disabled && !grants.contains_key(&key) {
                let live = requests::live_grants(&mut tx, mailbox_id, agent_id, now).await?;
                grants.insert(key, live);
            }
            let live = grants.get(&key).map(Vec::as_slice).unwrap_or_default();
            let decided = match &c.imap {
                None => decide(disabled, live, c.scope, now),
                Some(login) => {
                    let credential = imap_store::find_credential(&mut tx, &login.secret_hash)
                        .await?
                        .map(|row| PresentedCredential {
                            request: app::model::RequestId(row.request_id),
                            revoked: row.revoked_at.is_some(),
                        });
                    decide_imap_login(disabled, live, credential, now)
                }
            };
            let event = NewEventRow {
                id: uuid::Uuid::now_v7(),
                occurred_at: now,
                mailbox_id,
                agent_id: Some(agent_id),
                request_id: decided.grant.as_ref().map(|g| g.id),
                scope: c.scope,
                action: c.action.clone(),
                resource: c.resource.clone(),
                decision: decided.decision,
                reason: decided.reason.to_string(),
                source_network: c.source_network.clone(),
            };
            outcomes.push(Ok((
                decided.decision,
                decided.reason,
                decided.grant,
                events.len(),
            )));
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
        // An allowed IMAP login's session, so its command receipts can be matched to it and
        // a revoke can end it: written with the event, or not at all.
        for (c, outcome) in checks.iter().zip(&outcomes) {
            let (Some(login), Ok((Decision::Allowed, _, Some(grant), index))) = (&c.imap, outcome)
            else {
                continue;
            };
            let Some((event, Some(agent_id))) = events.get(*index).map(|e| (e, e.agent_id)) else {
                continue;
            };
            imap_store::insert_session(
                &mut tx,
                &NewSessionRow {
                    id: uuid::Uuid::now_v7(),
                    dovecot_session: login.session.clone(),
                    request_id: grant.id,
                    mailbox_id: event.mailbox_id,
                    agent_id,
                    client_ip: login.client_ip.clone(),
                    login_event_id: event.id,
                    created_at: now,
                },
            )
            .await?;
        }
        store::insert_hashes(&mut tx, tree.added()).await?;
        let committing = std::time::Instant::now();
        tx.commit().await?;
        metrics::histogram!("glassbox_log_commit_duration_seconds")
            .record(committing.elapsed().as_secs_f64());
        metrics::histogram!("glassbox_log_batch_size").record(events.len() as f64);
        // Only now, committed, may the new hashes enter the proof cache.
        self.tree_cache
            .remember_committed(tree.size(), tree.added());
        self.size = Some(tree.size());
        self.frontier = tree.into_edge();
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
