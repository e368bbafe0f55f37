//! Incidents: their rows, the affected set computed from the access log, the notices queued
//! for affected owners, and the owners' checklists.

use super::{on_pool, on_tx, ts, CorruptRow, Db, Tx};
use app::model::{
    AffectedCounts, Exposure, GuidanceStep, IncidentCause, IncidentId,
    IncidentStatus, NoticeCounts, OwnerId, StaffId,
};
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
    /// Id.
    pub id: IncidentId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Cause.
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
}

/// An incident row with the names it refers to.
#[derive(Clone, Debug)]
pub struct IncidentRecord {
    /// Id.
    pub id: IncidentId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Cause.
    pub cause: IncidentCause,
    /// The staff member named as the cause.
    pub cause_staff: Option<StaffId>,
    /// Their name and address.
    pub cause_staff_name: Option<String>,
    /// The token named as the cause.
    pub cause_token: Option<Uuid>,
    /// Its name.
    pub cause_token_name: Option<String>,
    /// Window start.
    pub window_start: OffsetDateTime,
    /// Window end.
    pub window_end: OffsetDateTime,
    /// Status.
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
        })
    }
}

const SELECT: &str = "SELECT i.id, i.title, i.description, i.cause_kind, i.cause_staff_id, \
     cs.display_name || ' <' || cs.email || '>' AS cause_staff_name, i.cause_token_id, t.name AS cause_token_name, \
     i.window_start, i.window_end, i.status, i.declared_by, d.display_name AS declared_by_name, \
     c.display_name AS confirmed_by_name, i.created_at, i.confirmed_at \
     FROM incidents i JOIN staff d ON d.id = i.declared_by LEFT JOIN staff c ON c.id = i.confirmed_by \
     LEFT JOIN staff cs ON cs.id = i.cause_staff_id LEFT JOIN service_tokens t ON t.id = i.cause_token_id";

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

/// An open incident (draft or confirmed) with the same cause and window as `i`, if any.
pub async fn find_same_in(tx: &mut Tx, i: &NewIncident) -> sqlx::Result<Option<IncidentId>> {
    let row = on_tx!(tx, pool => sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM incidents WHERE status <> 'closed' AND cause_kind = $1 \
         AND COALESCE(cause_staff_id, cause_token_id) IS NOT DISTINCT FROM COALESCE($2, $3) \
         AND window_start = $4 AND window_end = $5 LIMIT 1",
    )
    .bind(i.cause.as_str())
    .bind(i.cause_staff.map(|s| s.0))
    .bind(i.cause_token)
    .bind(ts(i.window_start))
    .bind(ts(i.window_end))
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(IncidentId))
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

/// The affected set as a subquery over the access log: every mailbox with an allowed access
/// in `[$1, $2]` (by the staff member `$3` when one is named), its exposure (`content` if any
/// access read message text or attachments) and its number of accesses.
fn affected_sql(by_staff: bool) -> String {
    format!(
        "SELECT e.mailbox_id, CASE WHEN COUNT(CASE WHEN e.scope IN ('content', 'attachments') THEN 1 END) > 0 \
         THEN 'content' ELSE 'metadata' END AS exposure, COUNT(*) AS event_count \
         FROM access_events e WHERE e.decision = 'allowed' AND e.occurred_at >= $1 AND e.occurred_at <= $2{} \
         GROUP BY e.mailbox_id",
        if by_staff { " AND e.agent_id = $3" } else { "" }
    )
}

#[derive(FromRow)]
struct CountsRow {
    content: i64,
    metadata: i64,
    events: i64,
}

impl From<CountsRow> for AffectedCounts {
    fn from(r: CountsRow) -> Self {
        Self {
            content: r.content,
            metadata: r.metadata,
            events: r.events,
        }
    }
}

const COUNTS: &str = "SELECT COUNT(CASE WHEN a.exposure = 'content' THEN 1 END) AS content, \
     COUNT(CASE WHEN a.exposure = 'metadata' THEN 1 END) AS metadata, \
     CAST(COALESCE(SUM(a.event_count), 0) AS BIGINT) AS events";

/// The affected set of a window (and staff member), computed from the log now.
pub async fn preview_affected(
    db: &Db,
    staff: Option<StaffId>,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> sqlx::Result<AffectedCounts> {
    let sql = format!("{COUNTS} FROM ({}) a", affected_sql(staff.is_some()));
    let row = on_pool!(db, pool => {
        let mut q = sqlx::query_as::<_, CountsRow>(&sql).bind(ts(start)).bind(ts(end));
        if let Some(s) = staff {
            q = q.bind(s.0);
        }
        q.fetch_one(pool).await
    })?;
    Ok(row.into())
}

/// The affected set recorded when the incident was confirmed.
pub async fn recorded_affected(db: &Db, id: IncidentId) -> sqlx::Result<AffectedCounts> {
    let sql = format!("{COUNTS} FROM incident_mailboxes a WHERE a.incident_id = $1");
    let row = on_pool!(db, pool => sqlx::query_as::<_, CountsRow>(&sql).bind(id.0).fetch_one(pool).await)?;
    Ok(row.into())
}

/// Moves a draft to confirmed, only if it is still a draft and `by` is not who declared it.
pub async fn confirm(
    tx: &mut Tx,
    id: IncidentId,
    by: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE incidents SET status = 'confirmed', confirmed_by = $1, confirmed_at = $2 \
         WHERE id = $3 AND status = 'draft' AND declared_by <> $1",
    )
    .bind(by.0)
    .bind(ts(now))
    .bind(id.0)
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

/// Records the affected set of a confirmed incident (one statement: the log is read and the
/// set written inside the confirming transaction). Returns the number of mailboxes.
pub async fn record_affected(
    tx: &mut Tx,
    id: IncidentId,
    staff: Option<StaffId>,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> sqlx::Result<u64> {
    let id_param = if staff.is_some() { "$4" } else { "$3" };
    let sql = format!(
        "INSERT INTO incident_mailboxes (incident_id, mailbox_id, exposure, event_count) \
         SELECT {id_param}, a.mailbox_id, a.exposure, a.event_count FROM ({}) a",
        affected_sql(staff.is_some())
    );
    on_tx!(tx, conn => {
        let mut q = sqlx::query(&sql).bind(ts(start)).bind(ts(end));
        if let Some(s) = staff {
            q = q.bind(s.0);
        }
        q.bind(id.0).execute(conn).await.map(|r| r.rows_affected())
    })
}

/// Starts notice round `round` (1 is the first notice; later ones are follow-ups), only if
/// it does not exist yet.
pub async fn add_round(
    tx: &mut Tx,
    id: IncidentId,
    round: i64,
    message: Option<&str>,
    by: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO incident_rounds (incident_id, round, message, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id, round) DO NOTHING",
    )
    .bind(id.0)
    .bind(round)
    .bind(message)
    .bind(by.0)
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// The rounds of an incident, in order: (round, follow-up message).
pub async fn rounds(db: &Db, id: IncidentId) -> sqlx::Result<Vec<(i64, Option<String>)>> {
    on_pool!(db, pool => sqlx::query_as::<_, (i64, Option<String>)>(
        "SELECT CAST(round AS BIGINT), message FROM incident_rounds WHERE incident_id = $1 ORDER BY round",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await)
}

/// The oldest notice round not fully queued yet, of a confirmed incident: (incident, round).
pub async fn next_to_notify(db: &Db) -> sqlx::Result<Option<(IncidentId, i64)>> {
    let row = on_pool!(db, pool => sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT r.incident_id, CAST(r.round AS BIGINT) FROM incident_rounds r JOIN incidents i ON i.id = r.incident_id \
         WHERE i.status = 'confirmed' AND r.queued_at IS NULL ORDER BY r.created_at, r.round LIMIT 1",
    )
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(id, round)| (IncidentId(id), round)))
}

/// An affected owner to write to.
#[derive(Clone, Debug, FromRow)]
pub struct Recipient {
    /// The mailbox.
    pub mailbox_id: Uuid,
    /// Its address.
    pub address: String,
    /// The owner's contact address.
    pub owner_email: String,
    /// The owner's name.
    pub owner_name: String,
    /// What was exposed.
    pub exposure: String,
    /// How many accesses.
    pub event_count: i64,
}

/// The next `limit` affected mailboxes not yet written to in `round`, in mailbox order,
/// after mailbox `after` (a keyset: each batch starts where the last ended, along the
/// primary key, so a million-owner incident costs the same per batch at the end as at the
/// start).
pub async fn recipients(
    tx: &mut Tx,
    id: IncidentId,
    round: i64,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Recipient>> {
    let sql = format!(
        "SELECT im.mailbox_id, m.address, o.email AS owner_email, o.display_name AS owner_name, im.exposure, \
         CAST(im.event_count AS BIGINT) AS event_count FROM incident_mailboxes im \
         JOIN mailboxes m ON m.id = im.mailbox_id JOIN owners o ON o.id = m.owner_id \
         WHERE im.incident_id = $1 AND im.notified_round < $2{} ORDER BY im.mailbox_id LIMIT $3",
        if after.is_some() { " AND im.mailbox_id > $4" } else { "" }
    );
    on_tx!(tx, conn => {
        let mut q = sqlx::query_as::<_, Recipient>(&sql).bind(id.0).bind(round).bind(limit);
        if let Some(a) = after {
            q = q.bind(a);
        }
        q.fetch_all(conn).await
    })
}

/// Records that every notice of `round` is in the outbox.
pub async fn round_queued(
    db: &Db,
    id: IncidentId,
    round: i64,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE incident_rounds SET queued_at = $1 WHERE incident_id = $2 AND round = $3 AND queued_at IS NULL",
    )
    .bind(ts(now))
    .bind(id.0)
    .bind(round)
    .execute(pool)
    .await
    .map(|_| ()))
}

/// Marks the mailboxes after `after` up to `last` (in mailbox order) as written to in
/// `round`: exactly the batch [`recipients`] returned.
pub async fn mark_notified(
    tx: &mut Tx,
    id: IncidentId,
    round: i64,
    after: Option<Uuid>,
    last: Uuid,
) -> sqlx::Result<u64> {
    let sql = format!(
        "UPDATE incident_mailboxes SET notified_round = $1 WHERE incident_id = $2 AND notified_round < $1 \
         AND mailbox_id <= $3{}",
        if after.is_some() { " AND mailbox_id > $4" } else { "" }
    );
    on_tx!(tx, conn => {
        let mut q = sqlx::query(&sql).bind(round).bind(id.0).bind(last);
        if let Some(a) = after {
            q = q.bind(a);
        }
        q.execute(conn).await.map(|r| r.rows_affected())
    })
}

/// The outbox key prefix of an incident's notices.
pub fn notice_key_prefix(id: IncidentId) -> String {
    format!("incident:{id}:")
}

/// Where an incident's notices are.
pub async fn notice_counts(db: &Db, id: IncidentId) -> sqlx::Result<NoticeCounts> {
    let prefix = notice_key_prefix(id);
    // The range [prefix, prefix with ':' → ';') is exactly the keys starting with it, and
    // uses the unique index on the key.
    let end = format!("{};", prefix.trim_end_matches(':'));
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM outbox WHERE idempotency_key >= $1 AND idempotency_key < $2 GROUP BY status",
    )
    .bind(&prefix)
    .bind(&end)
    .fetch_all(pool)
    .await)?;
    let waiting = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM incident_mailboxes im WHERE im.incident_id = $1 AND im.notified_round < \
         COALESCE((SELECT MAX(round) FROM incident_rounds r WHERE r.incident_id = $1), 0)",
    )
    .bind(id.0)
    .fetch_one(pool)
    .await)?;
    let mut counts = NoticeCounts {
        waiting,
        ..NoticeCounts::default()
    };
    for (status, n) in rows {
        match status.as_str() {
            "sent" => counts.sent += n,
            "failed" => counts.failed += n,
            _ => counts.queued += n,
        }
    }
    Ok(counts)
}

/// Acknowledgements per day (`YYYY-MM-DD`, count), oldest first.
pub async fn acknowledgements_by_day(db: &Db, id: IncidentId) -> sqlx::Result<Vec<(String, i64)>> {
    on_pool!(db, pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT day, COUNT(*) FROM (SELECT SUBSTR(CAST(acknowledged_at AS TEXT), 1, 10) AS day FROM incident_mailboxes \
         WHERE incident_id = $1 AND acknowledged_at IS NOT NULL) d GROUP BY day ORDER BY day",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await)
}

/// One affected mailbox, for the CSV export.
#[derive(Clone, Debug, FromRow)]
pub struct AffectedRow {
    /// Mailbox address.
    pub address: String,
    /// Exposure.
    pub exposure: String,
    /// Accesses.
    pub event_count: i64,
    /// The last notice round written to it.
    pub notified_round: i64,
    /// When the owner acknowledged.
    pub acknowledged_at: Option<OffsetDateTime>,
}

/// Up to `limit` affected mailboxes after `after` (address order).
pub async fn affected_page(
    db: &Db,
    id: IncidentId,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<AffectedRow>> {
    on_pool!(db, pool => sqlx::query_as::<_, AffectedRow>(
        "SELECT m.address, im.exposure, CAST(im.event_count AS BIGINT) AS event_count, \
         CAST(im.notified_round AS BIGINT) AS notified_round, im.acknowledged_at \
         FROM incident_mailboxes im JOIN mailboxes m ON m.id = im.mailbox_id \
         WHERE im.incident_id = $1 AND m.address > $2 ORDER BY m.address LIMIT $3",
    )
    .bind(id.0)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// An incident as it touched one owner.
#[derive(Clone, Debug)]
pub struct OwnerIncident {
    /// The worst exposure over the owner's mailboxes.
    pub exposure: Exposure,
    /// When they acknowledged.
    pub acknowledged_at: Option<OffsetDateTime>,
}

/// How incident `id` touched `owner`, if it did and is confirmed (or closed).
pub async fn for_owner(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
) -> anyhow::Result<Option<OwnerIncident>> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (String, Option<OffsetDateTime>)>(
        "SELECT im.exposure, im.acknowledged_at FROM incident_mailboxes im JOIN mailboxes m ON m.id = im.mailbox_id \
         JOIN incidents i ON i.id = im.incident_id WHERE im.incident_id = $1 AND m.owner_id = $2 AND i.status <> 'draft'",
    )
    .bind(id.0)
    .bind(owner.0)
    .fetch_all(pool)
    .await)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut exposure = Exposure::Metadata;
    let mut acknowledged_at = None;
    for (e, ack) in rows {
        if e.parse::<Exposure>().map_err(corrupt)? == Exposure::Content {
            exposure = Exposure::Content;
        }
        acknowledged_at = acknowledged_at.or(ack);
    }
    Ok(Some(OwnerIncident {
        exposure,
        acknowledged_at,
    }))
}

/// The confirmed incidents that touched `owner`: (id, title, acknowledged), newest first.
pub async fn list_for_owner(
    db: &Db,
    owner: OwnerId,
) -> sqlx::Result<Vec<(IncidentId, String, bool)>> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (Uuid, String, i64)>(
        "SELECT i.id, i.title, COUNT(im.acknowledged_at) FROM incidents i \
         JOIN incident_mailboxes im ON im.incident_id = i.id JOIN mailboxes m ON m.id = im.mailbox_id \
         WHERE m.owner_id = $1 AND i.status = 'confirmed' GROUP BY i.id, i.title, i.confirmed_at \
         ORDER BY i.confirmed_at DESC",
    )
    .bind(owner.0)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, title, acks)| (IncidentId(id), title, acks > 0))
        .collect())
}

/// The steps `owner` ticked for incident `id`.
pub async fn steps_done(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
) -> anyhow::Result<Vec<GuidanceStep>> {
    let rows = on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT step FROM incident_steps WHERE incident_id = $1 AND owner_id = $2",
    )
    .bind(id.0)
    .bind(owner.0)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .iter()
        .map(|s| s.parse().map_err(corrupt))
        .collect::<Result<_, _>>()?)
}

/// Ticks or unticks a step.
pub async fn set_step(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
    step: GuidanceStep,
    done: bool,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_pool!(db, pool => {
        if done {
            sqlx::query(
                "INSERT INTO incident_steps (incident_id, owner_id, step, done_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (incident_id, owner_id, step) DO NOTHING",
            )
            .bind(id.0)
            .bind(owner.0)
            .bind(step.as_str())
            .bind(ts(now))
            .execute(pool)
            .await
            .map(|_| ())
        } else {
            sqlx::query("DELETE FROM incident_steps WHERE incident_id = $1 AND owner_id = $2 AND step = $3")
                .bind(id.0)
                .bind(owner.0)
                .bind(step.as_str())
                .execute(pool)
                .await
                .map(|_| ())
        }
    })
}

/// Records that `owner` acknowledged the notice (the first time only).
pub async fn acknowledge(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE incident_mailboxes SET acknowledged_at = $1 WHERE incident_id = $2 AND acknowledged_at IS NULL \
         AND mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $3)",
    )
    .bind(ts(now))
    .bind(id.0)
    .bind(owner.0)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
}
