//! The markers of the owner's alerts that no request transition causes: "this access ends
//! in 10 minutes" (`access_requests.end_warned_for`) and "access attempts were refused"
//! (`owners.refusals_alerted_through/_at`). Each is moved by a conditional update, so an
//! alert is written once even with several instances. Reads `access_events`, never writes it.

use super::{on_pool, on_tx, ts, Db, Tx};
use app::model::{AccessRequestStatus, Decision, OwnerId, RequestId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// Live grants that end within `(now, until]`, whose end nobody was warned of yet, and that
/// were asked for longer than `longer_than_minutes` (a grant as short as the warning's lead
/// gets none: its approval said when it ends); at most `limit`, soonest end first.
pub async fn grants_ending_soon(
    db: &Db,
    now: OffsetDateTime,
    until: OffsetDateTime,
    longer_than_minutes: i64,
    limit: i64,
) -> sqlx::Result<Vec<RequestId>> {
    let sql = format!(
        "SELECT id FROM access_requests WHERE status = $1 AND grant_ends_at > $2 AND grant_ends_at <= $3 \
         AND duration_minutes > $4 AND (end_warned_for IS NULL OR end_warned_for <> grant_ends_at) AND {} \
         ORDER BY grant_ends_at, id LIMIT $5",
        super::not_held("access_requests.id")
    );
    let rows: Vec<(Uuid,)> = on_pool!(db, pool => sqlx::query_as(
        &sql,
    )
    .bind(AccessRequestStatus::Approved.as_str())
    .bind(ts(now))
    .bind(ts(until))
    .bind(longer_than_minutes)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| RequestId(id)).collect())
}

/// Records that the owner knows grant `id` ends at `end` (warned, or told by the email of
/// the change that set it), only if it still ends then and nobody recorded it yet; returns
/// whether this call did.
pub async fn mark_end_warned(
    tx: &mut Tx,
    id: RequestId,
    end: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = on_tx!(tx, conn => sqlx::query(
        "UPDATE access_requests SET end_warned_for = $1 WHERE id = $2 AND status = $3 AND grant_ends_at = $1 \
         AND (end_warned_for IS NULL OR end_warned_for <> $1)",
    )
    .bind(ts(end))
    .bind(id.0)
    .bind(AccessRequestStatus::Approved.as_str())
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// An owner with refused access attempts not yet alerted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalBurst {
    /// The owner.
    pub owner: OwnerId,
    /// Attempts up to this sequence number were alerted before.
    pub after_seq: i64,
    /// The newest refused attempt in this burst.
    pub through_seq: i64,
    /// The first and last refused attempt in it.
    pub first_at: OffsetDateTime,
    /// The last refused attempt.
    pub last_at: OffsetDateTime,
}

#[derive(FromRow)]
struct BurstRow {
    owner_id: Uuid,
    after_seq: i64,
    through_seq: i64,
    first_at: OffsetDateTime,
    last_at: OffsetDateTime,
}

/// Owners with refused attempts since `recent` that were not in an alert yet, with the
/// first and last of them; at most `limit`. The caller decides which bursts are over.
pub async fn refusal_bursts(
    db: &Db,
    recent: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<RefusalBurst>> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, BurstRow>(
        "SELECT o.id AS owner_id, o.refusals_alerted_through AS after_seq, MAX(e.seq) AS through_seq, \
         MIN(e.occurred_at) AS first_at, MAX(e.occurred_at) AS last_at \
         FROM access_events e JOIN mailboxes m ON m.id = e.mailbox_id JOIN owners o ON o.id = m.owner_id \
         WHERE e.decision = $1 AND e.occurred_at >= $2 AND e.seq > o.refusals_alerted_through \
         GROUP BY o.id, o.refusals_alerted_through ORDER BY MIN(e.occurred_at), o.id LIMIT $3",
    )
    .bind(Decision::Denied.as_str())
    .bind(ts(recent))
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| RefusalBurst {
            owner: OwnerId(r.owner_id),
            after_seq: r.after_seq,
            through_seq: r.through_seq,
            first_at: r.first_at,
            last_at: r.last_at,
        })
        .collect())
}

/// One line of a refusal alert: refused attempts on one mailbox by one agent.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct RefusedLine {
    /// The mailbox.
    pub mailbox: String,
    /// The agent's pseudonym ("Glassbox" for attempts without a known agent).
    pub agent_pseudonym: String,
    /// Why they were refused, as recorded.
    pub reason: String,
    /// How many.
    pub count: i64,
}

/// The owner's refused attempts with `after < seq <= through`, by mailbox, agent and reason.
pub async fn refused_between(
    tx: &mut Tx,
    owner: OwnerId,
    after: i64,
    through: i64,
) -> sqlx::Result<Vec<RefusedLine>> {
    let sql = format!(
        "SELECT m.address AS mailbox, COALESCE(s.pseudonym, 'Glassbox') AS agent_pseudonym, e.reason, COUNT(*) AS count \
         FROM access_events e JOIN mailboxes m ON m.id = e.mailbox_id LEFT JOIN staff s ON s.id = e.agent_id \
         WHERE m.owner_id = $1 AND e.decision = $2 AND e.seq > $3 AND e.seq <= $4 AND {} \
         GROUP BY m.address, s.pseudonym, e.reason ORDER BY m.address, s.pseudonym, e.reason",
        super::not_held("e.request_id")
    );
    on_tx!(tx, conn => sqlx::query_as::<_, RefusedLine>(
        &sql,
    )
    .bind(owner.0)
    .bind(Decision::Denied.as_str())
    .bind(after)
    .bind(through)
    .fetch_all(conn)
    .await)
}

/// Moves the owner's refusal marker from `after` to `through` at `now`, only if nobody
/// moved it meanwhile; returns whether this call did.
pub async fn advance_refusals(
    tx: &mut Tx,
    owner: OwnerId,
    after: i64,
    through: i64,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = on_tx!(tx, conn => sqlx::query(
        "UPDATE owners SET refusals_alerted_through = $1, refusals_alerted_at = $2 \
         WHERE id = $3 AND refusals_alerted_through = $4",
    )
    .bind(through)
    .bind(ts(now))
    .bind(owner.0)
    .bind(after)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Counts every refused attempt stored so far as alerted, for every owner (a seeded history
/// is old news).
pub async fn mark_all_refusals_alerted(tx: &mut Tx) -> sqlx::Result<u64> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE owners SET refusals_alerted_through = (SELECT COALESCE(MAX(seq), 0) FROM access_events)",
    )
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))
}

/// Who an owner alert goes to, and how they chose to hear about accesses.
#[derive(Clone, Debug)]
pub struct OwnerContact {
    /// Their name.
    pub name: String,
    /// Their contact address.
    pub email: String,
    /// Their choice.
    pub access_notices: app::model::AccessNotices,
}

/// The owner's contact, read in the caller's transaction.
pub async fn owner_contact(tx: &mut Tx, owner: OwnerId) -> anyhow::Result<Option<OwnerContact>> {
    let row: Option<(String, String, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT display_name, email, access_notices FROM owners WHERE id = $1",
    )
    .bind(owner.0)
    .fetch_optional(conn)
    .await)?;
    let Some((name, email, notices)) = row else {
        return Ok(None);
    };
    let access_notices = notices
        .parse()
        .map_err(|e: app::model::ParseVocabularyError| super::CorruptRow {
            table: "owners",
            detail: e.to_string(),
        })?;
    Ok(Some(OwnerContact {
        name,
        email,
        access_notices,
    }))
}
