//! The email outbox: every email is first a row here, written in the same transaction as the
//! change that causes it ([`enqueue`], [`enqueue_many`]); the sender ([`crate::jobs::outbox`])
//! claims rows, sends them and writes down the outcome.
//!
//! Invariants kept here:
//! - a row's `idempotency_key` is unique: enqueueing the same notice twice keeps the first;
//! - a claim moves rows from `queued` (due) or `sending` (lease expired: its sender died) to
//!   `sending` with a new lease, in one statement; on PostgreSQL the candidate rows are
//!   locked `FOR UPDATE SKIP LOCKED`, so several instances claim disjoint rows without
//!   waiting on each other; SQLite has a single writer, so the one statement suffices;
//! - `sent` and `failed` are final.

use super::{on_pool, on_tx, ts, Db, Tx};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// Rows per multi-row `INSERT` in [`enqueue_many`]: 11 parameters each stays far below
/// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
pub const ENQUEUE_CHUNK: usize = 500;

/// An email to queue, fully rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// Row id.
    pub id: Uuid,
    /// What makes this message unique (`request_submitted:<request id>`): a second enqueue
    /// with the same key is ignored.
    pub idempotency_key: String,
    /// The stable `Message-ID` (with angle brackets), the same on every attempt.
    pub message_id: String,
    /// Which notification this is (a stable machine name).
    pub kind: String,
    /// The recipient's address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: String,
    /// One-click unsubscribe URL (digests only).
    pub list_unsubscribe: Option<String>,
    /// When it was queued (and first due).
    pub created_at: OffsetDateTime,
}

/// Where a row is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Waiting to be sent (first time or after a temporary failure).
    Queued,
    /// Claimed by a sender until its lease runs out.
    Sending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up on: a permanent refusal or too many attempts.
    Failed,
}

impl OutboxStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for OutboxStatus {
    type Err = super::CorruptRow;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            other => {
                return Err(super::CorruptRow {
                    table: "outbox",
                    detail: format!("unknown status {other:?}"),
                })
            }
        })
    }
}

/// A row claimed for sending.
#[derive(Clone, Debug, FromRow)]
pub struct ClaimedMessage {
    /// Row id.
    pub id: Uuid,
    /// Stable `Message-ID`.
    pub message_id: String,
    /// Idempotency key (also sent as a header, so a sink can deduplicate).
    pub idempotency_key: String,
    /// Which notification.
    pub kind: String,
    /// The address the email goes to (logs show it masked, never whole).
    pub recipient: String,
    /// The rendered subject line.
    pub subject: String,
    /// Text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: String,
    /// One-click unsubscribe URL.
    pub list_unsubscribe: Option<String>,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// When it was queued.
    pub created_at: OffsetDateTime,
}

/// A row as shown to admins and in the development mailbox.
#[derive(Clone, Debug, FromRow)]
pub struct OutboxRow {
    /// Row id.
    pub id: Uuid,
    /// Stable `Message-ID`.
    pub message_id: String,
    /// Which notification.
    pub kind: String,
    /// The address the email goes to (logs show it masked, never whole).
    pub recipient: String,
    /// The rendered subject line.
    pub subject: String,
    /// Text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: String,
    /// Stored status.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last failure, as the SMTP server or the connection reported it.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// When it was accepted.
    pub sent_at: Option<OffsetDateTime>,
    /// When it was given up on.
    pub failed_at: Option<OffsetDateTime>,
}

const INSERT_HEAD: &str = "INSERT INTO outbox (id, idempotency_key, message_id, kind, recipient, subject, \
     body_text, body_html, list_unsubscribe, status, attempts, next_attempt_at, created_at) VALUES ";

/// Queues one message inside the caller's transaction. Returns false when a message with
/// the same idempotency key is already queued (nothing changes).
pub async fn enqueue(tx: &mut Tx, m: &NewOutboxMessage) -> sqlx::Result<bool> {
    Ok(enqueue_many(tx, std::slice::from_ref(m)).await? == 1)
}

/// Queues many messages inside the caller's transaction, in multi-row inserts of
/// [`ENQUEUE_CHUNK`] rows (an incident queues up to a million notices this way). Messages
/// whose idempotency key is already queued are skipped; returns how many were queued.
pub async fn enqueue_many(tx: &mut Tx, messages: &[NewOutboxMessage]) -> sqlx::Result<u64> {
    let mut queued = 0;
    for chunk in messages.chunks(ENQUEUE_CHUNK) {
        let mut sql = String::with_capacity(INSERT_HEAD.len() + chunk.len() * 64);
        sql.push_str(INSERT_HEAD);
        for i in 0..chunk.len() {
            let b = i * 11;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, '{}', 0, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                OutboxStatus::Queued.as_str(),
                b + 10,
                b + 11
            ));
        }
        sql.push_str(" ON CONFLICT (idempotency_key) DO NOTHING");
        queued += on_tx!(tx, conn => {
            let mut q = sqlx::query(&sql);
            for m in chunk {
                let at = ts(m.created_at);
                q = q
                    .bind(m.id)
                    .bind(&m.idempotency_key)
                    .bind(&m.message_id)
                    .bind(&m.kind)
                    .bind(&m.recipient)
                    .bind(&m.subject)
                    .bind(&m.body_text)
                    .bind(&m.body_html)
                    .bind(&m.list_unsubscribe)
                    .bind(at)
                    .bind(at);
            }
            q.execute(conn).await?.rows_affected()
        });
    }
    Ok(queued)
}

const CLAIM_COLUMNS: &str =
    "id, message_id, idempotency_key, kind, recipient, subject, body_text, body_html, \
     list_unsubscribe, attempts, created_at";

/// Claims up to `limit` rows that are due at `now` (queued and due, or being sent by a
/// sender whose lease ran out), marks them `sending` until `lease_until` and counts the
/// attempt. Oldest due first.
pub async fn claim(
    db: &Db,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<ClaimedMessage>> {
    let candidates = match db {
        // Each kind of due row is read in its index's order (`outbox_lease`, `outbox_due`),
        // at most `limit` of each, and the earliest `limit` of those are taken: a claim reads
        // O(limit) rows however long the queue is. (One `WHERE … OR … ORDER BY` made SQLite
        // sort every due row for each batch; see B15 in BENCHMARKS.md.)
        Db::Sqlite(_) => {
            "SELECT id FROM (\
               SELECT id, due FROM (SELECT id, lease_until AS due FROM outbox \
                 WHERE status = $2 AND lease_until <= $1 ORDER BY lease_until LIMIT $4) \
               UNION ALL \
               SELECT id, due FROM (SELECT id, next_attempt_at AS due FROM outbox \
                 WHERE status = $3 AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $4) \
             ) ORDER BY due LIMIT $4"
        }
        Db::Postgres(_) => {
            "SELECT id FROM outbox WHERE (status = $3 AND next_attempt_at <= $1) \
             OR (status = $2 AND lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $4 \
             FOR UPDATE SKIP LOCKED"
        }
    };
    let sql = format!(
        "UPDATE outbox SET status = $2, lease_until = $5, attempts = attempts + 1 \
         WHERE id IN ({candidates}) RETURNING {CLAIM_COLUMNS}"
    );
    let mut rows = on_pool!(db, pool => sqlx::query_as::<_, ClaimedMessage>(&sql)
        .bind(ts(now))
        .bind(OutboxStatus::Sending.as_str())
        .bind(OutboxStatus::Queued.as_str())
        .bind(limit)
        .bind(ts(lease_until))
        .fetch_all(pool)
        .await)?;
    rows.sort_by_key(|r| (r.created_at, r.id));
    Ok(rows)
}

/// Writes down that the server accepted these claimed rows (one statement per
/// [`ENQUEUE_CHUNK`] ids, inside the caller's transaction: a whole batch costs one commit).
pub async fn mark_sent(tx: &mut Tx, ids: &[Uuid], now: OffsetDateTime) -> sqlx::Result<()> {
    for chunk in ids.chunks(ENQUEUE_CHUNK) {
        let list = (0..chunk.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE outbox SET status = $1, sent_at = $2, lease_until = NULL, last_error = NULL \
             WHERE status = '{}' AND id IN ({list})",
            OutboxStatus::Sending.as_str()
        );
        on_tx!(tx, conn => {
            let mut q = sqlx::query(&sql).bind(OutboxStatus::Sent.as_str()).bind(ts(now));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// Puts a claimed row back in the queue after a temporary failure, due again at `retry_at`.
pub async fn mark_retry(
    tx: &mut Tx,
    id: Uuid,
    retry_at: OffsetDateTime,
    error: &str,
) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE outbox SET status = $1, next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE id = $4 AND status = $5",
    )
    .bind(OutboxStatus::Queued.as_str())
    .bind(ts(retry_at))
    .bind(error)
    .bind(id)
    .bind(OutboxStatus::Sending.as_str())
    .execute(conn)
    .await
    .map(|_| ()))
}

/// Gives up on a claimed row (a permanent refusal, or too many attempts).
pub async fn mark_failed(
    tx: &mut Tx,
    id: Uuid,
    now: OffsetDateTime,
    error: &str,
) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE outbox SET status = $1, failed_at = $2, lease_until = NULL, last_error = $3 WHERE id = $4 AND status = $5",
    )
    .bind(OutboxStatus::Failed.as_str())
    .bind(ts(now))
    .bind(error)
    .bind(id)
    .bind(OutboxStatus::Sending.as_str())
    .execute(conn)
    .await
    .map(|_| ()))
}

/// Puts a failed row back in the queue, due at `now`, with a fresh attempt count (an admin
/// fixed the cause). Returns whether it was failed.
pub async fn requeue_failed(db: &Db, id: Uuid, now: OffsetDateTime) -> sqlx::Result<bool> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE outbox SET status = $1, next_attempt_at = $2, attempts = 0, failed_at = NULL WHERE id = $3 AND status = $4",
    )
    .bind(OutboxStatus::Queued.as_str())
    .bind(ts(now))
    .bind(id)
    .bind(OutboxStatus::Failed.as_str())
    .execute(pool)
    .await
    .map(|r| r.rows_affected() == 1))
}

const ROW_COLUMNS: &str =
    "id, message_id, kind, recipient, subject, body_text, body_html, status, attempts, \
     last_error, created_at, sent_at, failed_at";

/// The newest `limit` rows in `status` (all statuses when `None`).
pub async fn list(
    db: &Db,
    status: Option<OutboxStatus>,
    limit: i64,
) -> sqlx::Result<Vec<OutboxRow>> {
    match status {
        Some(s) => {
            let sql = format!("SELECT {ROW_COLUMNS} FROM outbox WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
            on_pool!(db, pool => sqlx::query_as::<_, OutboxRow>(&sql).bind(s.as_str()).bind(limit).fetch_all(pool).await)
        }
        None => {
            let sql = format!(
                "SELECT {ROW_COLUMNS} FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1"
            );
            on_pool!(db, pool => sqlx::query_as::<_, OutboxRow>(&sql).bind(limit).fetch_all(pool).await)
        }
    }
}

/// One row.
pub async fn get(db: &Db, id: Uuid) -> sqlx::Result<Option<OutboxRow>> {
    let sql = format!("SELECT {ROW_COLUMNS} FROM outbox WHERE id = $1");
    on_pool!(db, pool => sqlx::query_as::<_, OutboxRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// How many rows are in each status.
pub async fn count_by_status(db: &Db) -> sqlx::Result<Vec<(String, i64)>> {
    on_pool!(db, pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status",
    )
    .fetch_all(pool)
    .await)
}
