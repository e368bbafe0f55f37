//! The affected set of an incident: every mailbox with an allowed access in the incident's
//! window (by the named staff member, if any), computed from the access log. Previewed
//! while a draft is written, recorded once in the confirming transaction, and read back
//! from that record afterwards (the log may grow; the set an incident names does not).

use super::super::{on_pool, on_tx, ts, Db, Tx};
use app::model::{AffectedCounts, IncidentId, StaffId};
use sqlx::FromRow;
use time::OffsetDateTime;

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

/// One affected mailbox, for the CSV export.
#[derive(Clone, Debug, FromRow)]
pub struct AffectedRow {
    /// Mailbox address.
    pub address: String,
    /// `content` if any access read message text or attachments, else `metadata`.
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
