//! Legal holds and their sealed notices (see `migrations/*/0021_legal_holds.sql`): the
//! hold itself (release date, the sealed notice once the access started, the release),
//! extensions waiting for a second admin, and each step of a sealed notice as an
//! append-only row the log writer enters into the verifiable log.
//!
//! [`super::not_held`] is the one condition every owner-facing query adds, so nothing under a
//! notice still sealed reaches an owner's page, email or export before its release.

use super::{on_conn, on_tx, ts, Conn, Tx};
use app::model::{OwnerId, RequestId, StaffId};
use glassbox_log::Hash;
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A stored hold.
#[derive(Clone, Debug, FromRow)]
pub struct HoldRow {
    /// The hold's (and its sealed notice's) id.
    pub id: Uuid,
    /// The emergency access it holds the notice of.
    pub request_id: Uuid,
    /// The justification code it was asked for (`legal_request`).
    pub reason: String,
    /// The release date (`YYYY-MM-DD`).
    pub release_on: String,
    /// When it was asked for.
    pub created_at: OffsetDateTime,
    /// The sealed notice's subject, once sealed.
    pub subject: Option<String>,
    /// The sealed notice's plain text, once sealed.
    pub body: Option<String>,
    /// The commitment's nonce, once sealed.
    pub nonce: Option<Vec<u8>>,
    /// The commitment to the notice and the current release date, once sealed.
    pub commitment: Option<Vec<u8>>,
    /// When the notice was sealed (the access started).
    pub sealed_at: Option<OffsetDateTime>,
    /// When the notice was released.
    pub released_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "lh.id, lh.request_id, lh.reason, lh.release_on, lh.created_at, lh.subject, \
     lh.body, lh.nonce, lh.commitment, lh.sealed_at, lh.released_at";

/// Writes a new hold within the transaction that opens its emergency access.
pub async fn insert(
    tx: &mut Tx,
    id: Uuid,
    request: RequestId,
    reason: &str,
    release_on: &str,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO legal_holds (id, request_id, reason, release_on, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(request.0)
    .bind(reason)
    .bind(release_on)
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|_| ()))
}

/// The hold on request `request`, if any.
pub async fn of_request(
    conn: impl Into<Conn<'_>>,
    request: RequestId,
) -> sqlx::Result<Option<HoldRow>> {
    let sql = format!("SELECT {COLUMNS} FROM legal_holds lh WHERE lh.request_id = $1");
    on_conn!(conn, c => sqlx::query_as::<_, HoldRow>(&sql).bind(request.0).fetch_optional(c).await)
}

/// The hold `id`, if any.
pub async fn get(conn: impl Into<Conn<'_>>, id: Uuid) -> sqlx::Result<Option<HoldRow>> {
    let sql = format!("SELECT {COLUMNS} FROM legal_holds lh WHERE lh.id = $1");
    on_conn!(conn, c => sqlx::query_as::<_, HoldRow>(&sql).bind(id).fetch_optional(c).await)
}

/// The newest `limit` holds, newest first (the security admins' page).
pub async fn newest(conn: impl Into<Conn<'_>>, limit: i64) -> sqlx::Result<Vec<HoldRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM legal_holds lh ORDER BY lh.created_at DESC, lh.id LIMIT $1");
    on_conn!(conn, c => sqlx::query_as::<_, HoldRow>(&sql).bind(limit).fetch_all(c).await)
}

/// Seals the notice of hold `id` (once; never after its release). Whether it did.
pub async fn seal(
    tx: &mut Tx,
    id: Uuid,
    (subject, body): (&str, &str),
    nonce: &[u8],
    commitment: &Hash,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE legal_holds SET subject = $1, body = $2, nonce = $3, commitment = $4, sealed_at = $5 \
         WHERE id = $6 AND sealed_at IS NULL AND released_at IS NULL",
    )
    .bind(subject)
    .bind(body)
    .bind(nonce.to_vec())
    .bind(commitment.to_vec())
    .bind(ts(now))
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Moves the release date of sealed, unreleased hold `id` from `from` to `to` with its new
/// commitment. Whether it did (not when the hold moved on meanwhile).
pub async fn move_release(
    tx: &mut Tx,
    id: Uuid,
    from: &str,
    to: &str,
    commitment: &Hash,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE legal_holds SET release_on = $1, commitment = $2 \
         WHERE id = $3 AND release_on = $4 AND sealed_at IS NOT NULL AND released_at IS NULL",
    )
    .bind(to)
    .bind(commitment.to_vec())
    .bind(id)
    .bind(from)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Up to `limit` unreleased holds due on or before `today` (`YYYY-MM-DD`), oldest first.
/// A hold whose emergency access still waits for its second admin is not due yet, whatever
/// its date: it is released once decided, sealed if the access started, so the owner's
/// notice always says what happened.
pub async fn due(tx: &mut Tx, today: &str, limit: i64) -> sqlx::Result<Vec<HoldRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM legal_holds lh JOIN access_requests r ON r.id = lh.request_id \
         WHERE lh.released_at IS NULL AND lh.release_on <= $1 AND (lh.sealed_at IS NOT NULL OR r.status <> $2) \
         ORDER BY lh.release_on, lh.id LIMIT $3"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, HoldRow>(&sql)
        .bind(today)
        .bind(app::model::AccessRequestStatus::Pending.as_str())
        .bind(limit)
        .fetch_all(conn)
        .await)
}

/// Marks hold `id` released (once). Whether it did: a second instance finds it done.
pub async fn release(tx: &mut Tx, id: Uuid, now: OffsetDateTime) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE legal_holds SET released_at = $1 WHERE id = $2 AND released_at IS NULL",
    )
    .bind(ts(now))
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Every sealed notice's seal time, reason and whether it is still sealed (the public
/// counts: never anything that says whose).
pub async fn sealed_summary(
    conn: impl Into<Conn<'_>>,
) -> sqlx::Result<Vec<(OffsetDateTime, String, bool)>> {
    on_conn!(conn, c => sqlx::query_as::<_, (OffsetDateTime, String, bool)>(
        "SELECT sealed_at, reason, released_at IS NULL FROM legal_holds WHERE sealed_at IS NOT NULL ORDER BY sealed_at",
    )
    .fetch_all(c)
    .await)
}

/// The released sealed notices about `owner`'s mailboxes, newest release first.
pub async fn released_for_owner(
    conn: impl Into<Conn<'_>>,
    owner: OwnerId,
) -> sqlx::Result<Vec<HoldRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM legal_holds lh JOIN access_requests r ON r.id = lh.request_id \
         JOIN mailboxes m ON m.id = r.mailbox_id \
         WHERE m.owner_id = $1 AND lh.released_at IS NOT NULL AND lh.sealed_at IS NOT NULL \
         ORDER BY lh.released_at DESC, lh.id"
    );
    on_conn!(conn, c => sqlx::query_as::<_, HoldRow>(&sql).bind(owner.0).fetch_all(c).await)
}

/// An extension asked for, waiting for a second admin, or decided.
#[derive(Clone, Debug, FromRow)]
pub struct ExtensionRow {
    /// Its id.
    pub id: Uuid,
    /// The hold it would extend.
    pub hold_id: Uuid,
    /// The admin who asked.
    pub proposed_by: Uuid,
    /// When.
    pub proposed_at: OffsetDateTime,
    /// The release date asked for.
    pub release_on: String,
    /// Why.
    pub reason: String,
    /// The second admin who decided, once decided.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: Option<OffsetDateTime>,
    /// Whether they approved it.
    pub approved: Option<bool>,
}

/// Asks for an extension; `false` when one already waits for this hold (the database
/// decides, so two racing requests cannot both wait).
pub async fn propose_extension(tx: &mut Tx, e: &ExtensionRow) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO legal_hold_extensions (id, hold_id, proposed_by, proposed_at, release_on, reason) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hold_id) WHERE decided_at IS NULL DO NOTHING",
    )
    .bind(e.id)
    .bind(e.hold_id)
    .bind(e.proposed_by)
    .bind(ts(e.proposed_at))
    .bind(&e.release_on)
    .bind(&e.reason)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// The extension waiting for a second admin on hold `hold`, if any.
pub async fn waiting_extension(
    conn: impl Into<Conn<'_>>,
    hold: Uuid,
) -> sqlx::Result<Option<ExtensionRow>> {
    on_conn!(conn, c => sqlx::query_as::<_, ExtensionRow>(
        "SELECT id, hold_id, proposed_by, proposed_at, release_on, reason, decided_by, decided_at, approved \
         FROM legal_hold_extensions WHERE hold_id = $1 AND decided_at IS NULL",
    )
    .bind(hold)
    .fetch_optional(c)
    .await)
}

/// Decides waiting extension `id` (once). Whether it did.
pub async fn decide_extension(
    tx: &mut Tx,
    id: Uuid,
    by: StaffId,
    approved: bool,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE legal_hold_extensions SET decided_by = $1, decided_at = $2, approved = $3 \
         WHERE id = $4 AND decided_at IS NULL",
    )
    .bind(by.0)
    .bind(ts(now))
    .bind(approved)
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// A new step of a sealed notice (not yet in the log).
#[derive(Clone, Debug)]
pub struct NewHoldChange {
    /// The step's id.
    pub id: Uuid,
    /// When.
    pub occurred_at: OffsetDateTime,
    /// The hold.
    pub hold_id: Uuid,
    /// `sealed`, `extended` or `released`.
    pub change: &'static str,
    /// The hold's reason code.
    pub reason: String,
    /// The release date the commitment covers.
    pub release_on: String,
    /// The commitment.
    pub commitment: Hash,
    /// The admin who asked for the step, if one did.
    pub by_staff_id: Option<StaffId>,
    /// The second admin who approved it, if one did.
    pub second_staff_id: Option<StaffId>,
}

/// A stored step with everything its log entry is made of.
#[derive(Clone, Debug, FromRow)]
pub struct HoldChangeRow {
    /// Insertion order (not part of the log).
    pub seq: i64,
    /// The step's id.
    pub id: Uuid,
    /// When (UTC, whole seconds).
    pub occurred_at: OffsetDateTime,
    /// The hold.
    pub hold_id: Uuid,
    /// `sealed`, `extended` or `released`.
    pub change: String,
    /// The hold's reason code.
    pub reason: String,
    /// The release date the commitment covers.
    pub release_on: String,
    /// The commitment.
    pub commitment: Vec<u8>,
    /// The admin who asked for it.
    pub by_staff_id: Option<Uuid>,
    /// The second admin who approved it.
    pub second_staff_id: Option<Uuid>,
    /// Position in the log, once entered.
    pub log_index: Option<i64>,
    /// The entry's salt, once entered.
    pub leaf_salt: Option<Vec<u8>>,
    /// The leaf hash, once entered.
    pub leaf_hash: Option<Vec<u8>>,
}

const CHANGE_COLUMNS: &str =
    "seq, id, occurred_at, hold_id, change, reason, release_on, commitment, \
     by_staff_id, second_staff_id, log_index, leaf_salt, leaf_hash";

/// Writes a step within the caller's transaction (the one that makes it).
pub async fn insert_change(tx: &mut Tx, c: &NewHoldChange) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO legal_hold_changes (id, occurred_at, hold_id, change, reason, release_on, commitment, \
         by_staff_id, second_staff_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(c.id)
    .bind(ts(c.occurred_at))
    .bind(c.hold_id)
    .bind(c.change)
    .bind(&c.reason)
    .bind(&c.release_on)
    .bind(c.commitment.to_vec())
    .bind(c.by_staff_id.map(|s| s.0))
    .bind(c.second_staff_id.map(|s| s.0))
    .execute(conn)
    .await
    .map(|_| ()))
}

/// Up to `limit` steps not yet in the log, oldest first.
pub async fn unlogged(tx: &mut Tx, limit: i64) -> sqlx::Result<Vec<HoldChangeRow>> {
    let sql = format!(
        "SELECT {CHANGE_COLUMNS} FROM legal_hold_changes WHERE log_index IS NULL ORDER BY seq LIMIT $1"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, HoldChangeRow>(&sql).bind(limit).fetch_all(conn).await)
}

/// Enters a step into the log (the one update the table allows).
pub async fn enter(
    tx: &mut Tx,
    seq: i64,
    index: u64,
    salt: &[u8],
    leaf: &Hash,
) -> sqlx::Result<()> {
    super::changes::enter_into(tx, "legal_hold_changes", seq, index, salt, leaf).await
}

/// Every step in the log, by index (the offline auditor).
pub async fn all_logged(tx: &mut Tx) -> sqlx::Result<Vec<HoldChangeRow>> {
    let sql = format!(
        "SELECT {CHANGE_COLUMNS} FROM legal_hold_changes WHERE log_index IS NOT NULL ORDER BY log_index, seq"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, HoldChangeRow>(&sql).fetch_all(conn).await)
}

/// The steps of hold `hold`, oldest first.
pub async fn changes_of(conn: impl Into<Conn<'_>>, hold: Uuid) -> sqlx::Result<Vec<HoldChangeRow>> {
    let sql =
        format!("SELECT {CHANGE_COLUMNS} FROM legal_hold_changes WHERE hold_id = $1 ORDER BY seq");
    on_conn!(conn, c => sqlx::query_as::<_, HoldChangeRow>(&sql).bind(hold).fetch_all(c).await)
}
