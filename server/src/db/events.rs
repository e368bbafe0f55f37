//! Access events: append-only. This module has an insert and reads; there is deliberately
//! no update or delete, and the database refuses them anyway.

use super::{on_pool, on_tx, ts, CorruptRow, Db, Tx};
use app::model::{Decision, EventSeq, MailboxId, OwnerId, RequestId, Scope, StaffId, StaffRole};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new event.
#[derive(Clone, Debug)]
pub struct NewEventRow {
    /// Id.
    pub id: Uuid,
    /// When.
    pub occurred_at: OffsetDateTime,
    /// Which mailbox.
    pub mailbox_id: MailboxId,
    /// Which staff member, if any.
    pub agent_id: Option<StaffId>,
    /// Under which request (grant), if any.
    pub request_id: Option<RequestId>,
    /// Scope.
    pub scope: Scope,
    /// Action (`list_folders`, `read_message`, …).
    pub action: String,
    /// Opaque resource id.
    pub resource: String,
    /// Allowed or denied.
    pub decision: Decision,
    /// Why, in plain words.
    pub reason: String,
    /// Source network, as the mail system reported it.
    pub source_network: Option<String>,
}

#[derive(FromRow)]
struct EventDbRow {
    seq: i64,
    occurred_at: OffsetDateTime,
    mailbox: String,
    agent_pseudonym: Option<String>,
    agent_role: Option<String>,
    scope: String,
    action: String,
    decision: String,
    reason: String,
}

/// An event as an owner may see it.
#[derive(Clone, Debug)]
pub struct EventRecord {
    /// Log position.
    pub seq: EventSeq,
    /// When.
    pub occurred_at: OffsetDateTime,
    /// Mailbox address.
    pub mailbox: String,
    /// Staff pseudonym.
    pub agent_pseudonym: Option<String>,
    /// Staff role.
    pub agent_role: Option<StaffRole>,
    /// Scope.
    pub scope: Scope,
    /// Action.
    pub action: String,
    /// Decision.
    pub decision: Decision,
    /// Reason.
    pub reason: String,
}

fn corrupt(e: impl ToString) -> CorruptRow {
    CorruptRow {
        table: "access_events",
        detail: e.to_string(),
    }
}

impl TryFrom<EventDbRow> for EventRecord {
    type Error = CorruptRow;
    fn try_from(r: EventDbRow) -> Result<Self, Self::Error> {
        Ok(EventRecord {
            seq: EventSeq(r.seq),
            occurred_at: r.occurred_at,
            mailbox: r.mailbox,
            agent_pseudonym: r.agent_pseudonym,
            agent_role: r
                .agent_role
                .map(|s| s.parse().map_err(corrupt))
                .transpose()?,
            scope: r.scope.parse().map_err(corrupt)?,
            action: r.action,
            decision: r.decision.parse().map_err(corrupt)?,
            reason: r.reason,
        })
    }
}

/// Appends one event and returns its position in the log.
pub async fn append(tx: &mut Tx, e: &NewEventRow) -> sqlx::Result<EventSeq> {
    let seq: i64 = on_tx!(tx, pool => sqlx::query_scalar(
        "INSERT INTO access_events (id, occurred_at, mailbox_id, agent_id, request_id, scope, action, resource, \
         decision, reason, source_network) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING seq",
    )
    .bind(e.id)
    .bind(ts(e.occurred_at))
    .bind(e.mailbox_id.0)
    .bind(e.agent_id.map(|a| a.0))
    .bind(e.request_id.map(|r| r.0))
    .bind(e.scope.as_str())
    .bind(&e.action)
    .bind(&e.resource)
    .bind(e.decision.as_str())
    .bind(&e.reason)
    .bind(&e.source_network)
    .fetch_one(pool)
    .await)?;
    Ok(EventSeq(seq))
}

/// Appends many events within the caller's transaction (demo seeding, bulk import).
pub async fn append_batch(tx: &mut Tx, events: &[NewEventRow]) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO access_events (id, occurred_at, mailbox_id, agent_id, request_id, scope, action, \
         resource, decision, reason, source_network) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_tx!(tx, conn => {
        for e in events {
            sqlx::query(SQL)
                .bind(e.id)
                .bind(ts(e.occurred_at))
                .bind(e.mailbox_id.0)
                .bind(e.agent_id.map(|a| a.0))
                .bind(e.request_id.map(|r| r.0))
                .bind(e.scope.as_str())
                .bind(&e.action)
                .bind(&e.resource)
                .bind(e.decision.as_str())
                .bind(&e.reason)
                .bind(&e.source_network)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    })
}

const SELECT: &str = "SELECT e.seq, e.occurred_at, m.address AS mailbox, s.pseudonym AS agent_pseudonym, \
     s.role AS agent_role, e.scope, e.action, e.decision, e.reason \
     FROM access_events e JOIN mailboxes m ON m.id = e.mailbox_id LEFT JOIN staff s ON s.id = e.agent_id \
     WHERE e.mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1)";

/// Which way a keyset page goes from its cursor.
#[derive(Clone, Copy, Debug)]
pub enum Keyset {
    /// The newest events.
    Newest,
    /// Events with a smaller position than this, newest first.
    Before(EventSeq),
    /// Events with a larger position than this (returned newest first too).
    After(EventSeq),
}

/// Up to `limit` of the owner's events around a keyset cursor, newest first, plus whether
/// more exist in the direction of travel. Never uses OFFSET: the cost does not depend on
/// how deep the page is.
pub async fn page_for_owner(
    db: &Db,
    owner: OwnerId,
    keyset: Keyset,
    limit: i64,
) -> anyhow::Result<(Vec<EventRecord>, bool)> {
    let fetch = limit + 1;
    let rows: Vec<EventDbRow> = match keyset {
        Keyset::Newest => {
            let sql = format!("{SELECT} ORDER BY e.seq DESC LIMIT $2");
            on_pool!(db, pool => sqlx::query_as(&sql).bind(owner.0).bind(fetch).fetch_all(pool).await)?
        }
        Keyset::Before(seq) => {
            let sql = format!("{SELECT} AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3");
            on_pool!(db, pool => sqlx::query_as(&sql).bind(owner.0).bind(seq.0).bind(fetch).fetch_all(pool).await)?
        }
        Keyset::After(seq) => {
            let sql = format!("{SELECT} AND e.seq > $2 ORDER BY e.seq ASC LIMIT $3");
            on_pool!(db, pool => sqlx::query_as(&sql).bind(owner.0).bind(seq.0).bind(fetch).fetch_all(pool).await)?
        }
    };
    let more = rows.len() as i64 > limit;
    let mut events = rows
        .into_iter()
        .take(limit as usize)
        .map(EventRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(keyset, Keyset::After(_)) {
        events.reverse();
    }
    Ok((events, more))
}

/// Whether the owner has an event with a position above (`newer`) or below `seq`.
pub async fn exists_beyond(
    db: &Db,
    owner: OwnerId,
    seq: EventSeq,
    newer: bool,
) -> sqlx::Result<bool> {
    let sql = if newer {
        "SELECT EXISTS (SELECT 1 FROM access_events WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1) AND seq > $2)"
    } else {
        "SELECT EXISTS (SELECT 1 FROM access_events WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1) AND seq < $2)"
    };
    on_pool!(db, pool => sqlx::query_scalar::<_, bool>(sql).bind(owner.0).bind(seq.0).fetch_one(pool).await)
}

/// How many events the owner's mailboxes have since `since` (all events when `None`),
/// optionally only those with one decision.
pub async fn count_for_owner(
    db: &Db,
    owner: OwnerId,
    since: Option<OffsetDateTime>,
    decision: Option<Decision>,
) -> sqlx::Result<i64> {
    let since = since.map(ts);
    on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM access_events WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1) \
         AND ($2 IS NULL OR occurred_at >= $2) AND ($3 IS NULL OR decision = $3)",
    )
    .bind(owner.0)
    .bind(since)
    .bind(decision.map(|d| d.as_str()))
    .fetch_one(pool)
    .await)
}

/// Whether any event exists at all (the demo seed runs once).
pub async fn any(db: &Db) -> sqlx::Result<bool> {
    on_pool!(db, pool => sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM access_events)").fetch_one(pool).await)
}
