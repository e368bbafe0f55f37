//! Notice rounds: the first notice to every affected owner and any follow-ups. A round is
//! queued in batches along the mailbox key, each batch in its own transaction, so a large
//! incident never holds the database for long and a restart resumes where it stopped.

use super::super::{on_pool, on_tx, ts, Db, Tx};
use app::model::{IncidentId, NoticeCounts, StaffId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

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
