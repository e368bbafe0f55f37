//! Incidents: their rows (declared as drafts, confirmed by a second staff member, closed).
//! The affected set computed from the access log is in `affected.rs`, the notice rounds
//! queued for affected owners in `notices.rs`, and what each owner sees and ticks in
//! `owners.rs`.

mod affected;
mod notices;
mod owners;

pub use affected::{
    affected_page, preview_affected, record_affected, recorded_affected, AffectedRow,
};
pub use notices::{
    acknowledgements_by_day, add_round, mark_notified, next_to_notify, notice_counts,
    notice_key_prefix, recipients, round_queued, rounds, Recipient,
};
pub use owners::{
    acknowledge, for_owner, hide_reminder, list_for_owner, set_step, steps_done, OwnerIncident,
    OwnerIncidentListing,
};

use super::{on_pool, on_tx, ts, CorruptRow, Db, Tx};
use app::model::{IncidentCause, IncidentId, IncidentStatus, StaffId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn corrupt(e: impl ToString) -> CorruptRow {
    CorruptRow {
        table: "incidents",
        detail: e.to_string(),
    }
}

/// A new incident, as declared.
#[derive(Clone, Debug)]
pub struct NewIncident {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: IncidentId,
    /// A short headline, shown to staff and in the affected owners' notices.
    pub title: String,
    /// What happened, in plain words for the affected owners.
    pub description: String,
    /// What was abused; a staff credential or service token names which one.
    pub cause: IncidentCause,
    /// The staff member named as the cause.
    pub cause_staff: Option<StaffId>,
    /// The service token named as the cause.
    pub cause_token: Option<Uuid>,
    /// Window start (inclusive).
    pub window_start: OffsetDateTime,
    /// Window end (inclusive).
    pub window_end: OffsetDateTime,
    /// Who declared it.
    pub declared_by: StaffId,
}

#[derive(FromRow)]
struct IncidentDbRow {
    id: Uuid,
    title: String,
    description: String,
    cause_kind: String,
    cause_staff_id: Option<Uuid>,
    cause_staff_name: Option<String>,
    cause_token_id: Option<Uuid>,
    cause_token_name: Option<String>,
    window_start: OffsetDateTime,
    window_end: OffsetDateTime,
    status: String,
    declared_by: Uuid,
    declared_by_name: String,
    confirmed_by_name: Option<String>,
    created_at: OffsetDateTime,
    confirmed_at: Option<OffsetDateTime>,
    revision: i64,
    edited_by: Option<Uuid>,
    edited_by_name: Option<String>,
    edited_at: Option<OffsetDateTime>,
    discarded_by_name: Option<String>,
    discarded_at: Option<OffsetDateTime>,
}

/// An incident row with the names it refers to.
#[derive(Clone, Debug)]
pub struct IncidentRecord {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: IncidentId,
    /// A short headline, shown to staff and in the affected owners' notices.
    pub title: String,
    /// What happened, in plain words for the affected owners.
    pub description: String,
    /// What was abused; a staff credential or service token names which one.
    pub cause: IncidentCause,
    /// The staff member named as the cause.
    pub cause_staff: Option<StaffId>,
    /// Their name and address.
    pub cause_staff_name: Option<String>,
    /// The token named as the cause.
    pub cause_token: Option<Uuid>,
    /// Its name.
    pub cause_token_name: Option<String>,
    /// Start of the period the incident covers (inclusive): allowed accesses from then on are affected.
    pub window_start: OffsetDateTime,
    /// End of the period the incident covers (inclusive).
    pub window_end: OffsetDateTime,
    /// Draft, confirmed or closed.
    pub status: IncidentStatus,
    /// Who declared it.
    pub declared_by: StaffId,
    /// Their name.
    pub declared_by_name: String,
    /// Who confirmed it.
    pub confirmed_by_name: Option<String>,
    /// When it was declared.
    pub created_at: OffsetDateTime,
    /// When it was confirmed.
    pub confirmed_at: Option<OffsetDateTime>,
    /// How many times the draft was corrected.
    pub revision: i64,
    /// Who last corrected the draft.
    pub edited_by: Option<StaffId>,
    /// Their name.
    pub edited_by_name: Option<String>,
    /// When.
    pub edited_at: Option<OffsetDateTime>,
    /// Who discarded the draft.
    pub discarded_by_name: Option<String>,
    /// When.
    pub discarded_at: Option<OffsetDateTime>,
}

impl TryFrom<IncidentDbRow> for IncidentRecord {
    type Error = CorruptRow;
    fn try_from(r: IncidentDbRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: IncidentId(r.id),
            title: r.title,
            description: r.description,
            cause: r.cause_kind.parse().map_err(corrupt)?,
            cause_staff: r.cause_staff_id.map(StaffId),
            cause_staff_name: r.cause_staff_name,
            cause_token: r.cause_token_id,
            cause_token_name: r.cause_token_name,
            window_start: r.window_start,
            window_end: r.window_end,
            status: r.status.parse().map_err(corrupt)?,
            declared_by: StaffId(r.declared_by),
            declared_by_name: r.declared_by_name,
            confirmed_by_name: r.confirmed_by_name,
            created_at: r.created_at,
            confirmed_at: r.confirmed_at,
            revision: r.revision,
            edited_by: r.edited_by.map(StaffId),
            edited_by_name: r.edited_by_name,
            edited_at: r.edited_at,
            discarded_by_name: r.discarded_by_name,
            discarded_at: r.discarded_at,
        })
    }
}

const SELECT: &str = "SELECT i.id, i.title, i.description, i.cause_kind, i.cause_staff_id, \
     cs.display_name || ' <' || cs.email || '>' AS cause_staff_name, i.cause_token_id, t.name AS cause_token_name, \
     i.window_start, i.window_end, i.status, i.declared_by, d.display_name AS declared_by_name, \
     c.display_name AS confirmed_by_name, i.created_at, i.confirmed_at, i.revision, i.edited_by, ed.display_name AS edited_by_name, \
     i.edited_at, dc.display_name AS discarded_by_name, i.discarded_at \
     FROM incidents i JOIN staff d ON d.id = i.declared_by LEFT JOIN staff c ON c.id = i.confirmed_by \
     LEFT JOIN staff cs ON cs.id = i.cause_staff_id LEFT JOIN service_tokens t ON t.id = i.cause_token_id \
     LEFT JOIN staff ed ON ed.id = i.edited_by LEFT JOIN staff dc ON dc.id = i.discarded_by";

/// Inserts a draft incident.
pub async fn insert(tx: &mut Tx, i: &NewIncident, now: OffsetDateTime) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO incidents (id, title, description, cause_kind, cause_staff_id, cause_token_id, window_start, \
         window_end, status, declared_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10)",
    )
    .bind(i.id.0)
    .bind(&i.title)
    .bind(&i.description)
    .bind(i.cause.as_str())
    .bind(i.cause_staff.map(|s| s.0))
    .bind(i.cause_token)
    .bind(ts(i.window_start))
    .bind(ts(i.window_end))
    .bind(i.declared_by.0)
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|_| ()))
}

/// Another open incident (draft or confirmed) than `i` with the same cause and window, if
/// any.
pub async fn find_same_in(tx: &mut Tx, i: &NewIncident) -> sqlx::Result<Option<IncidentId>> {
    let row = on_tx!(tx, pool => sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM incidents WHERE status IN ('draft', 'confirmed') AND cause_kind = $1 \
         AND COALESCE(cause_staff_id, cause_token_id) IS NOT DISTINCT FROM COALESCE($2, $3) \
         AND window_start = $4 AND window_end = $5 AND id <> $6 LIMIT 1",
    )
    .bind(i.cause.as_str())
    .bind(i.cause_staff.map(|s| s.0))
    .bind(i.cause_token)
    .bind(ts(i.window_start))
    .bind(ts(i.window_end))
    .bind(i.id.0)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(IncidentId))
}

/// Rewrites a draft's declaration as `i` says (its id and declarer stay), noting `by` as
/// its last editor; only if it is still a draft. Returns whether it applied.
pub async fn update_draft(
    tx: &mut Tx,
    i: &NewIncident,
    by: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE incidents SET title = $1, description = $2, cause_kind = $3, cause_staff_id = $4, \
         cause_token_id = $5, window_start = $6, window_end = $7, edited_by = $8, edited_at = $9, \
         revision = revision + 1 \
         WHERE id = $10 AND status = 'draft'",
    )
    .bind(&i.title)
    .bind(&i.description)
    .bind(i.cause.as_str())
    .bind(i.cause_staff.map(|s| s.0))
    .bind(i.cause_token)
    .bind(ts(i.window_start))
    .bind(ts(i.window_end))
    .bind(by.0)
    .bind(ts(now))
    .bind(i.id.0)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Discards a draft, noting who and when; only if it is still a draft. Returns whether it
/// applied.
pub async fn discard(
    tx: &mut Tx,
    id: IncidentId,
    by: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE incidents SET status = 'discarded', discarded_by = $1, discarded_at = $2 \
         WHERE id = $3 AND status = 'draft'",
    )
    .bind(by.0)
    .bind(ts(now))
    .bind(id.0)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// One incident.
pub async fn get(db: &Db, id: IncidentId) -> anyhow::Result<Option<IncidentRecord>> {
    let sql = format!("{SELECT} WHERE i.id = $1");
    let row = on_pool!(db, pool => sqlx::query_as::<_, IncidentDbRow>(&sql).bind(id.0).fetch_optional(pool).await)?;
    Ok(row.map(IncidentRecord::try_from).transpose()?)
}

/// The newest incidents, with how many mailboxes each recorded as affected.
pub async fn list(db: &Db, limit: i64) -> anyhow::Result<Vec<(IncidentRecord, i64)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        incident: IncidentDbRow,
        affected: i64,
    }
    let sql = format!(
        "SELECT x.*, (SELECT COUNT(*) FROM incident_mailboxes im WHERE im.incident_id = x.id) AS affected \
         FROM ({SELECT}) x ORDER BY x.created_at DESC LIMIT $1"
    );
    let rows =
        on_pool!(db, pool => sqlx::query_as::<_, Row>(&sql).bind(limit).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|r| Ok((IncidentRecord::try_from(r.incident)?, r.affected)))
        .collect()
}

/// Moves a draft to confirmed, only if it is still a draft, `by` is neither who declared it
/// nor who corrected it last, and (when given) it is still at `revision`.
pub async fn confirm(
    tx: &mut Tx,
    id: IncidentId,
    by: StaffId,
    now: OffsetDateTime,
    revision: Option<i64>,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE incidents SET status = 'confirmed', confirmed_by = $1, confirmed_at = $2 \
         WHERE id = $3 AND status = 'draft' AND declared_by <> $1 AND (edited_by IS NULL OR edited_by <> $1) \
         AND ($4 IS NULL OR revision = $4)",
    )
    .bind(by.0)
    .bind(ts(now))
    .bind(id.0)
    .bind(revision)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Closes a confirmed incident.
pub async fn close(db: &Db, id: IncidentId, now: OffsetDateTime) -> sqlx::Result<bool> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE incidents SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'confirmed'",
    )
    .bind(ts(now))
    .bind(id.0)
    .execute(pool)
    .await
    .map(|r| r.rows_affected() == 1))
}
