//! What notifications need to know: who to tell about a request, what was accessed under a
//! grant, owners' notice preferences, and the markers that make each notice happen once
//! (`access_requests.first_access_noticed_at`, `owners.digest_sent_through`). Reads
//! `access_events` but never writes it.

use super::{on_pool, on_tx, ts, CorruptRow, Db, Tx};
use app::model::{AccessRequestStatus, Decision, OwnerId, RequestId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// How an owner wants to hear about accesses (requests are always sent at once).
pub use app::model::AccessNotices;

fn parse_notices(s: &str) -> Result<AccessNotices, CorruptRow> {
    s.parse()
        .map_err(|e: app::model::ParseVocabularyError| CorruptRow {
            table: "owners",
            detail: e.to_string(),
        })
}

/// The people a request's notices go to.
#[derive(Clone, Debug)]
pub struct RequestContacts {
    /// The mailbox owner.
    pub owner_id: OwnerId,
    /// Their name.
    pub owner_name: String,
    /// Their contact address.
    pub owner_email: String,
    /// Their access-notice preference.
    pub access_notices: AccessNotices,
    /// The agent's work address.
    pub agent_email: String,
    /// The agent's name (agents are told about their own requests).
    pub agent_name: String,
}

#[derive(FromRow)]
struct ContactsDbRow {
    owner_id: Uuid,
    owner_name: String,
    owner_email: String,
    access_notices: String,
    agent_email: String,
    agent_name: String,
}

/// Who to tell about request `id`, read inside the caller's transaction.
pub async fn contacts(tx: &mut Tx, id: RequestId) -> anyhow::Result<Option<RequestContacts>> {
    const SQL: &str = "SELECT o.id AS owner_id, o.display_name AS owner_name, o.email AS owner_email, \
         o.access_notices, s.email AS agent_email, s.display_name AS agent_name \
         FROM access_requests r JOIN mailboxes m ON m.id = r.mailbox_id JOIN owners o ON o.id = m.owner_id \
         JOIN staff s ON s.id = r.agent_id WHERE r.id = $1";
    let row = on_tx!(tx, conn => sqlx::query_as::<_, ContactsDbRow>(SQL).bind(id.0).fetch_optional(conn).await)?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(RequestContacts {
        owner_id: OwnerId(r.owner_id),
        owner_name: r.owner_name,
        owner_email: r.owner_email,
        access_notices: parse_notices(&r.access_notices)?,
        agent_email: r.agent_email,
        agent_name: r.agent_name,
    }))
}

/// One line of an access summary: how many allowed accesses of one kind.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct AccessCount {
    /// The scope (`metadata`, `content`, …).
    pub scope: String,
    /// The action (`read_message`, …).
    pub action: String,
    /// How many.
    pub count: i64,
    /// The first of them.
    pub first_at: OffsetDateTime,
}

/// What was accessed under grant `id`, by scope and action.
pub async fn access_summary(tx: &mut Tx, id: RequestId) -> sqlx::Result<Vec<AccessCount>> {
    on_tx!(tx, conn => sqlx::query_as::<_, AccessCount>(
        "SELECT scope, action, COUNT(*) AS count, MIN(occurred_at) AS first_at FROM access_events \
         WHERE request_id = $1 AND decision = $2 GROUP BY scope, action ORDER BY MIN(occurred_at), scope, action",
    )
    .bind(id.0)
    .bind(Decision::Allowed.as_str())
    .fetch_all(conn)
    .await)
}

/// Approved grants with at least one allowed access whose owner has not been told about
/// the first one yet; at most `limit`. (A grant that closes is marked as it closes: its
/// closing email carries the summary, so it never waits here.)
pub async fn grants_awaiting_first_access_notice(
    db: &Db,
    limit: i64,
) -> sqlx::Result<Vec<RequestId>> {
    let rows: Vec<(Uuid,)> = on_pool!(db, pool => sqlx::query_as(
        &format!("SELECT r.id FROM access_requests r WHERE r.first_access_noticed_at IS NULL AND r.status = $1 \
         AND EXISTS (SELECT 1 FROM access_events e WHERE e.request_id = r.id AND e.decision = $2) AND {} \
         ORDER BY r.grant_starts_at, r.id LIMIT $3", super::not_held("r.id")),
    )
    .bind(AccessRequestStatus::Approved.as_str())
    .bind(Decision::Allowed.as_str())
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| RequestId(id)).collect())
}

/// Marks grant `id` as noticed, only if it was not yet; returns whether this call did it
/// (false: another sender got there first, and this one must not queue a second email).
pub async fn mark_first_access_noticed(
    tx: &mut Tx,
    id: RequestId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE access_requests SET first_access_noticed_at = $1 WHERE id = $2 AND first_access_noticed_at IS NULL",
    )
    .bind(ts(now))
    .bind(id.0)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Marks every grant not yet noticed as noticed (seeding history that is old news).
pub async fn mark_all_first_access_noticed(tx: &mut Tx, now: OffsetDateTime) -> sqlx::Result<u64> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE access_requests SET first_access_noticed_at = $1 WHERE first_access_noticed_at IS NULL",
    )
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))
}

/// An owner's notice preference.
pub async fn access_notices(db: &Db, owner: OwnerId) -> anyhow::Result<Option<AccessNotices>> {
    let row: Option<(String,)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT access_notices FROM owners WHERE id = $1",
    )
    .bind(owner.0)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(s,)| parse_notices(&s)).transpose()?)
}

/// Sets an owner's notice preference. Moving to the digest starts it from `now`, so the
/// first digest does not repeat accesses already sent one by one.
pub async fn set_access_notices(
    tx: &mut Tx,
    owner: OwnerId,
    value: AccessNotices,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE owners SET access_notices = $1, digest_sent_through = CASE WHEN access_notices = $1 THEN digest_sent_through ELSE $2 END WHERE id = $3",
    )
    .bind(value.as_str())
    .bind(ts(now))
    .bind(owner.0)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// An owner whose daily digest is due.
#[derive(Clone, Debug, FromRow)]
pub struct DigestOwner {
    /// Owner id.
    pub id: Uuid,
    /// Their name.
    pub display_name: String,
    /// Their contact address.
    pub email: String,
    /// Accesses up to this time were already in a digest.
    pub digest_sent_through: Option<OffsetDateTime>,
}

/// Owners on the daily digest whose last digest covered accesses up to `before` or earlier;
/// at most `limit`.
pub async fn owners_due_for_digest(
    db: &Db,
    before: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<DigestOwner>> {
    on_pool!(db, pool => sqlx::query_as::<_, DigestOwner>(
        "SELECT id, display_name, email, digest_sent_through FROM owners WHERE access_notices = $1 \
         AND (digest_sent_through IS NULL OR digest_sent_through <= $2) ORDER BY id LIMIT $3",
    )
    .bind(AccessNotices::DailyDigest.as_str())
    .bind(ts(before))
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// Moves an owner's digest marker from `from` to `through`, only if nobody moved it
/// meanwhile; returns whether this call did.
pub async fn advance_digest(
    tx: &mut Tx,
    owner: OwnerId,
    from: Option<OffsetDateTime>,
    through: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = match from {
        Some(from) => on_tx!(tx, conn => sqlx::query(
            "UPDATE owners SET digest_sent_through = $1 WHERE id = $2 AND digest_sent_through = $3",
        )
        .bind(ts(through))
        .bind(owner.0)
        .bind(ts(from))
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?,
        None => on_tx!(tx, conn => sqlx::query(
            "UPDATE owners SET digest_sent_through = $1 WHERE id = $2 AND digest_sent_through IS NULL",
        )
        .bind(ts(through))
        .bind(owner.0)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?,
    };
    Ok(done == 1)
}

/// One line of a digest: allowed accesses by one agent in one scope.
#[derive(Clone, Debug, FromRow)]
pub struct DigestLine {
    /// The mailbox.
    pub mailbox: String,
    /// The agent's pseudonym.
    pub agent_pseudonym: String,
    /// The scope.
    pub scope: String,
    /// How many accesses.
    pub count: i64,
}

/// The owner's allowed accesses with `after < occurred_at <= through`.
pub async fn accesses_between(
    tx: &mut Tx,
    owner: OwnerId,
    after: Option<OffsetDateTime>,
    through: OffsetDateTime,
) -> sqlx::Result<Vec<DigestLine>> {
    let after = after.map(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let sql = format!(
        "SELECT m.address AS mailbox, COALESCE(s.pseudonym, 'Glassbox') AS agent_pseudonym, e.scope, COUNT(*) AS count \
         FROM access_events e JOIN mailboxes m ON m.id = e.mailbox_id LEFT JOIN staff s ON s.id = e.agent_id \
         WHERE m.owner_id = $1 AND e.decision = $2 AND e.occurred_at > $3 AND e.occurred_at <= $4 AND {} \
         GROUP BY m.address, s.pseudonym, e.scope ORDER BY m.address, s.pseudonym, e.scope",
        super::not_held("e.request_id")
    );
    on_tx!(tx, conn => sqlx::query_as::<_, DigestLine>(
        &sql,
    )
    .bind(owner.0)
    .bind(Decision::Allowed.as_str())
    .bind(after)
    .bind(ts(through))
    .fetch_all(conn)
    .await)
}
