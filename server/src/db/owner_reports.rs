//! `owner_reports`: what owners reported as not recognised, for the security admins.

use super::{on_conn, on_tx, ts, Conn, Tx};
use app::model::{OwnerId, StaffId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new report.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// Primary key: a UUID chosen by the writer.
    pub id: Uuid,
    /// Who reports.
    pub owner_id: OwnerId,
    /// What about (`ReportSubject::key`).
    pub subject: String,
    /// The mailbox concerned.
    pub mailbox: String,
    /// The staff member concerned, by pseudonym (none: the mail system).
    pub agent_pseudonym: Option<String>,
    /// What the owner was shown, in words.
    pub summary: String,
    /// What the owner added.
    pub note: Option<String>,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A stored report, with the names the security admins see.
#[derive(Clone, Debug, FromRow)]
pub struct ReportRow {
    /// Primary key.
    pub id: Uuid,
    /// Who reported.
    pub owner_id: Uuid,
    /// What about.
    pub subject: String,
    /// The mailbox concerned.
    pub mailbox: String,
    /// The staff member concerned, by pseudonym.
    pub agent_pseudonym: Option<String>,
    /// Their name (none: the mail system, or no such staff member).
    pub agent_name: Option<String>,
    /// What the owner was shown.
    pub summary: String,
    /// What the owner added.
    pub note: Option<String>,
    /// When it was reported.
    pub created_at: OffsetDateTime,
    /// When it was handled.
    pub handled_at: Option<OffsetDateTime>,
    /// Who handled it.
    pub handled_by_name: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.owner_id, r.subject, r.mailbox, r.agent_pseudonym, a.display_name AS agent_name, \
     r.summary, r.note, r.created_at, r.handled_at, h.display_name AS handled_by_name \
     FROM owner_reports r LEFT JOIN staff a ON a.pseudonym = r.agent_pseudonym LEFT JOIN staff h ON h.id = r.handled_by";

/// Writes a report unless the owner already reported this subject. Returns whether it is new.
pub async fn insert(tx: &mut Tx, r: &NewReport) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO owner_reports (id, owner_id, subject, mailbox, agent_pseudonym, summary, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (owner_id, subject) DO NOTHING",
    )
    .bind(r.id)
    .bind(r.owner_id.0)
    .bind(&r.subject)
    .bind(&r.mailbox)
    .bind(&r.agent_pseudonym)
    .bind(&r.summary)
    .bind(&r.note)
    .bind(ts(r.created_at))
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1))
}

/// The owner's report of `subject`, if they made one.
pub async fn of_owner(
    conn: impl Into<Conn<'_>>,
    owner: OwnerId,
    subject: &str,
) -> sqlx::Result<Option<ReportRow>> {
    let sql = format!("{SELECT} WHERE r.owner_id = $1 AND r.subject = $2");
    on_conn!(conn, c => sqlx::query_as::<_, ReportRow>(&sql).bind(owner.0).bind(subject).fetch_optional(c).await)
}

/// The newest `limit` reports: those not handled yet first, newest first within each.
pub async fn newest(conn: impl Into<Conn<'_>>, limit: i64) -> sqlx::Result<Vec<ReportRow>> {
    let sql = format!(
        "{SELECT} ORDER BY CASE WHEN r.handled_at IS NULL THEN 0 ELSE 1 END, r.created_at DESC, r.id DESC LIMIT $1"
    );
    on_conn!(conn, c => sqlx::query_as::<_, ReportRow>(&sql).bind(limit).fetch_all(c).await)
}

/// Marks report `id` handled by `admin`, once. Returns whether this call did.
pub async fn mark_handled(
    tx: &mut Tx,
    id: Uuid,
    admin: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE owner_reports SET handled_at = $1, handled_by = $2 WHERE id = $3 AND handled_at IS NULL",
    )
    .bind(ts(now))
    .bind(admin.0)
    .bind(id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1))
}

/// Report `id`.
pub async fn get(conn: impl Into<Conn<'_>>, id: Uuid) -> sqlx::Result<Option<ReportRow>> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    on_conn!(conn, c => sqlx::query_as::<_, ReportRow>(&sql).bind(id).fetch_optional(c).await)
}
