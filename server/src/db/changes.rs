//! Request changes: every step in an access request's life, written in the same transaction
//! as the step and entered into the verifiable log afterwards by the log writer (see
//! `migrations/*/0007_request_changes.sql`). Append-only like `access_events`; the one
//! update allowed is entering a change into the log. These rows are not accesses: the
//! history, incidents and notices never read them.

use super::{on_pool, on_tx, ts, Db, Tx};
use app::model::{ChangeActor, MailboxId, OwnerId, RequestChangeKind, RequestId, StaffId};
use glassbox_log::Hash;
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new change (not yet in the log).
#[derive(Clone, Debug)]
pub struct NewChangeRow {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: OffsetDateTime,
    /// The request.
    pub request_id: RequestId,
    /// Its mailbox.
    pub mailbox_id: MailboxId,
    /// The staff member who asked.
    pub agent_id: StaffId,
    /// What happened.
    pub change: RequestChangeKind,
    /// Who did it.
    pub actor: ChangeActor,
    /// The scopes, encoded as the request stores them.
    pub scopes: String,
    /// When the grant ends, once there is one.
    pub grant_ends_at: Option<OffsetDateTime>,
    /// The reason given, if any.
    pub reason: Option<String>,
}

/// A stored change with everything its log entry is made of.
#[derive(Clone, Debug, FromRow)]
pub struct ChangeEntryRow {
    /// Insertion order (not part of the log).
    pub seq: i64,
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// When it happened (UTC, whole seconds, as every stored time).
    pub occurred_at: OffsetDateTime,
    /// The request concerned (`access_requests.id`).
    pub request_id: Uuid,
    /// The mailbox concerned (`mailboxes.id`).
    pub mailbox_id: Uuid,
    /// Staff member who asked.
    pub agent_id: Uuid,
    /// The change's stable code (`requested`, `approved`, …), as in the log entry.
    pub change: String,
    /// Who made the change, as a stable code (the owner, the staff member, or Glassbox itself).
    pub actor: String,
    /// The request's scopes, encoded as the request stores them.
    pub scopes: String,
    /// When the approved access window closes; revoking or shortening moves it earlier.
    pub grant_ends_at: Option<OffsetDateTime>,
    /// The reason given with the change (a denial's), if any.
    pub reason: Option<String>,
    /// Position in the log, once entered.
    pub log_index: Option<i64>,
    /// The entry's salt, once entered.
    pub leaf_salt: Option<Vec<u8>>,
    /// The leaf hash, once entered.
    pub leaf_hash: Option<Vec<u8>>,
}

const COLUMNS: &str = "seq, id, occurred_at, request_id, mailbox_id, agent_id, change, actor, \
     scopes, grant_ends_at, reason, log_index, leaf_salt, leaf_hash";

/// Writes changes within the caller's transaction (the one that makes them).
pub async fn insert(tx: &mut Tx, rows: &[NewChangeRow]) -> sqlx::Result<()> {
    for r in rows {
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, grant_ends_at, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(r.id)
        .bind(ts(r.occurred_at))
        .bind(r.request_id.0)
        .bind(r.mailbox_id.0)
        .bind(r.agent_id.0)
        .bind(r.change.as_str())
        .bind(r.actor.as_str())
        .bind(&r.scopes)
        .bind(r.grant_ends_at.map(ts))
        .bind(r.reason.as_deref())
        .execute(conn)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

/// Up to `limit` changes not yet in the log, oldest first.
pub async fn unlogged(tx: &mut Tx, limit: i64) -> sqlx::Result<Vec<ChangeEntryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM request_changes WHERE log_index IS NULL ORDER BY seq LIMIT $1"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, ChangeEntryRow>(&sql).bind(limit).fetch_all(conn).await)
}

/// Enters a change into the log (the one update the table allows).
pub async fn enter(
    tx: &mut Tx,
    seq: i64,
    index: u64,
    salt: &[u8],
    leaf: &Hash,
) -> sqlx::Result<()> {
    enter_into(tx, "request_changes", seq, index, salt, leaf).await
}

/// Enters row `seq` of an append-only change table (`request_changes`, `staff_changes`)
/// into the log: the one update those tables allow, and only once.
pub(super) async fn enter_into(
    tx: &mut Tx,
    table: &'static str,
    seq: i64,
    index: u64,
    salt: &[u8],
    leaf: &Hash,
) -> sqlx::Result<()> {
    let sql = format!(
        "UPDATE {table} SET log_index = $1, leaf_salt = $2, leaf_hash = $3 WHERE seq = $4 AND log_index IS NULL"
    );
    on_tx!(tx, conn => sqlx::query(&sql)
    .bind(i64::try_from(index).unwrap_or(i64::MAX))
    .bind(salt.to_vec())
    .bind(leaf.to_vec())
    .bind(seq)
    .execute(conn)
    .await
    .map(|_| ()))
}

/// Every change in the log, by index (the offline auditor).
pub async fn all_logged(tx: &mut Tx) -> sqlx::Result<Vec<ChangeEntryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM request_changes WHERE log_index IS NOT NULL ORDER BY log_index, seq"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, ChangeEntryRow>(&sql).fetch_all(conn).await)
}

/// The changes of one request, oldest first, if the request is the owner's (none otherwise).
pub async fn for_owners_request(
    db: &Db,
    owner: OwnerId,
    request: RequestId,
) -> sqlx::Result<Vec<ChangeEntryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM request_changes WHERE request_id = $1 \
         AND mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $2) AND {} ORDER BY seq",
        super::not_held("request_changes.request_id")
    );
    on_pool!(db, pool => sqlx::query_as::<_, ChangeEntryRow>(&sql)
        .bind(request.0)
        .bind(owner.0)
        .fetch_all(pool)
        .await)
}

/// The changes of one request, oldest first (staff and API views).
pub async fn for_request(db: &Db, request: RequestId) -> sqlx::Result<Vec<ChangeEntryRow>> {
    let sql = format!("SELECT {COLUMNS} FROM request_changes WHERE request_id = $1 ORDER BY seq");
    on_pool!(db, pool => sqlx::query_as::<_, ChangeEntryRow>(&sql)
        .bind(request.0)
        .fetch_all(pool)
        .await)
}

/// How many of `owner`'s requests `owner` revoked and cancelled at `at` (the one moment of
/// a "Stop all access", whose changes all carry its time).
pub async fn owner_stops_at(
    db: &Db,
    owner: OwnerId,
    at: OffsetDateTime,
) -> sqlx::Result<(i64, i64)> {
    let count = |kind: RequestChangeKind| {
        let kind = kind.as_str();
        async move {
            on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM request_changes WHERE actor = $1 AND change = $2 AND occurred_at = $3 \
                 AND mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $4)",
            )
            .bind(ChangeActor::Owner.as_str())
            .bind(kind)
            .bind(ts(at))
            .bind(owner.0)
            .fetch_one(pool)
            .await)
        }
    };
    Ok((
        count(RequestChangeKind::Revoked).await?,
        count(RequestChangeKind::Cancelled).await?,
    ))
}
