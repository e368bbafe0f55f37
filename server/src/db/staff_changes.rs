//! Staff changes (added, disabled, recertified, lapsed): written in the same transaction
//! as the change and entered into the verifiable log afterwards by the log writer, like
//! request changes (see `migrations/*/0013_staff_roster.sql`). Append-only; the one update
//! allowed is entering a change into the log.

use super::{on_conn, on_tx, ts, Conn, Tx};
use app::model::{StaffChangeBy, StaffChangeKind, StaffId, StaffRole};
use glassbox_log::Hash;
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new staff change (not yet in the log).
#[derive(Clone, Debug)]
pub struct NewStaffChangeRow {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: OffsetDateTime,
    /// The staff member it changed.
    pub staff_id: StaffId,
    /// What happened.
    pub change: StaffChangeKind,
    /// Who did it.
    pub actor: StaffChangeBy,
    /// The security admin who did it (exactly when `actor` is an admin).
    pub actor_staff_id: Option<StaffId>,
    /// The staff member's role then.
    pub role: StaffRole,
    /// The reason given, if any.
    pub reason: Option<String>,
}

/// A stored staff change with everything its log entry is made of.
#[derive(Clone, Debug, FromRow)]
pub struct StaffChangeEntryRow {
    /// Insertion order (not part of the log).
    pub seq: i64,
    /// Primary key.
    pub id: Uuid,
    /// When it happened (UTC, whole seconds).
    pub occurred_at: OffsetDateTime,
    /// The staff member concerned (`staff.id`).
    pub staff_id: Uuid,
    /// The change's stable code (`added`, `disabled`, `recertified`, `lapsed`).
    pub change: String,
    /// Who made it, as a stable code (`command_line`, `security_admin`, `system`).
    pub actor: String,
    /// The admin who made it, when one did.
    pub actor_staff_id: Option<Uuid>,
    /// The staff member's role then.
    pub role: String,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// Position in the log, once entered.
    pub log_index: Option<i64>,
    /// The entry's salt, once entered.
    pub leaf_salt: Option<Vec<u8>>,
    /// The leaf hash, once entered.
    pub leaf_hash: Option<Vec<u8>>,
}

const COLUMNS: &str = "seq, id, occurred_at, staff_id, change, actor, actor_staff_id, role, \
     reason, log_index, leaf_salt, leaf_hash";

/// Writes a change within the caller's transaction (the one that makes it).
pub async fn insert(tx: &mut Tx, r: &NewStaffChangeRow) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO staff_changes (id, occurred_at, staff_id, change, actor, actor_staff_id, role, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(r.id)
    .bind(ts(r.occurred_at))
    .bind(r.staff_id.0)
    .bind(r.change.as_str())
    .bind(r.actor.as_str())
    .bind(r.actor_staff_id.map(|a| a.0))
    .bind(r.role.as_str())
    .bind(r.reason.as_deref())
    .execute(conn)
    .await
    .map(|_| ()))
}

/// Up to `limit` changes not yet in the log, oldest first.
pub async fn unlogged(tx: &mut Tx, limit: i64) -> sqlx::Result<Vec<StaffChangeEntryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM staff_changes WHERE log_index IS NULL ORDER BY seq LIMIT $1"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, StaffChangeEntryRow>(&sql).bind(limit).fetch_all(conn).await)
}

/// Enters a change into the log (the one update the table allows).
pub async fn enter(
    tx: &mut Tx,
    seq: i64,
    index: u64,
    salt: &[u8],
    leaf: &Hash,
) -> sqlx::Result<()> {
    super::changes::enter_into(tx, "staff_changes", seq, index, salt, leaf).await
}

/// Every change in the log, by index (the offline auditor).
pub async fn all_logged(tx: &mut Tx) -> sqlx::Result<Vec<StaffChangeEntryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM staff_changes WHERE log_index IS NOT NULL ORDER BY log_index, seq"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, StaffChangeEntryRow>(&sql).fetch_all(conn).await)
}

/// The newest `limit` changes, newest first (the roster).
pub async fn newest(
    conn: impl Into<Conn<'_>>,
    limit: i64,
) -> sqlx::Result<Vec<StaffChangeEntryRow>> {
    let sql = format!("SELECT {COLUMNS} FROM staff_changes ORDER BY seq DESC LIMIT $1");
    on_conn!(conn, c => sqlx::query_as::<_, StaffChangeEntryRow>(&sql).bind(limit).fetch_all(c).await)
}

/// Every `added` change: who added whom (staff added before migration 0013 have none).
pub async fn additions(conn: impl Into<Conn<'_>>) -> sqlx::Result<Vec<StaffChangeEntryRow>> {
    let sql = format!("SELECT {COLUMNS} FROM staff_changes WHERE change = $1 ORDER BY seq");
    on_conn!(conn, c => sqlx::query_as::<_, StaffChangeEntryRow>(&sql)
        .bind(StaffChangeKind::Added.as_str())
        .fetch_all(c)
        .await)
}

/// The changes of one staff member, oldest first.
pub async fn of_staff(
    conn: impl Into<Conn<'_>>,
    staff: StaffId,
) -> sqlx::Result<Vec<StaffChangeEntryRow>> {
    let sql = format!("SELECT {COLUMNS} FROM staff_changes WHERE staff_id = $1 ORDER BY seq");
    on_conn!(conn, c => sqlx::query_as::<_, StaffChangeEntryRow>(&sql)
        .bind(staff.0)
        .fetch_all(c)
        .await)
}
