//! Access requests (and grants: an approved request inside its window).

use super::{on_pool, on_tx, ts, CorruptRow, Db, Tx};
use app::model::{
    AccessRequestStatus, JustificationCode, MailboxId, OwnerId, RequestId, Scope, StaffId,
    StaffRole,
};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new request as the store writes it (already validated by the domain).
#[derive(Clone, Debug)]
pub struct NewRequestRow {
    /// Id.
    pub id: RequestId,
    /// Mailbox.
    pub mailbox_id: MailboxId,
    /// Who asks.
    pub agent_id: StaffId,
    /// What for.
    pub scopes: Vec<Scope>,
    /// Why.
    pub justification_code: JustificationCode,
    /// Why, in words.
    pub justification_text: String,
    /// Ticket.
    pub ticket: Option<String>,
    /// Grant length once approved.
    pub duration_minutes: i64,
    /// Initial status (always `pending` outside the demo seed).
    pub status: AccessRequestStatus,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Pending until.
    pub expires_at: OffsetDateTime,
    /// Decided (demo seed of decided requests).
    pub decided_at: Option<OffsetDateTime>,
    /// Reason for a denial.
    pub decision_reason: Option<String>,
    /// Grant window start.
    pub grant_starts_at: Option<OffsetDateTime>,
    /// Grant window end.
    pub grant_ends_at: Option<OffsetDateTime>,
    /// When it reached a final state.
    pub closed_at: Option<OffsetDateTime>,
}

#[derive(FromRow)]
struct RequestDbRow {
    id: Uuid,
    mailbox_id: Uuid,
    mailbox: String,
    agent_id: Uuid,
    agent_pseudonym: String,
    agent_role: String,
    agent_name: String,
    scopes: String,
    justification_code: String,
    justification_text: String,
    ticket: Option<String>,
    duration_minutes: i64,
    status: String,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    decided_at: Option<OffsetDateTime>,
    decision_reason: Option<String>,
    grant_starts_at: Option<OffsetDateTime>,
    grant_ends_at: Option<OffsetDateTime>,
}

/// A request as read back, with the names needed to show it.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// Id.
    pub id: RequestId,
    /// Mailbox.
    pub mailbox_id: MailboxId,
    /// Mailbox address.
    pub mailbox: String,
    /// Who asked.
    pub agent_id: StaffId,
    /// Their pseudonym.
    pub agent_pseudonym: String,
    /// Their role.
    pub agent_role: StaffRole,
    /// Their name (staff views only).
    pub agent_name: String,
    /// What for.
    pub scopes: Vec<Scope>,
    /// Why.
    pub justification_code: JustificationCode,
    /// Why, in words.
    pub justification_text: String,
    /// Ticket.
    pub ticket: Option<String>,
    /// Grant length.
    pub duration_minutes: i64,
    /// Status.
    pub status: AccessRequestStatus,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Pending until.
    pub expires_at: OffsetDateTime,
    /// Decided.
    pub decided_at: Option<OffsetDateTime>,
    /// Denial reason.
    pub decision_reason: Option<String>,
    /// Grant start.
    pub grant_starts_at: Option<OffsetDateTime>,
    /// Grant end.
    pub grant_ends_at: Option<OffsetDateTime>,
}

fn corrupt(e: impl ToString) -> CorruptRow {
    CorruptRow {
        table: "access_requests",
        detail: e.to_string(),
    }
}

/// Scopes are stored as a comma-separated list of machine names.
pub fn encode_scopes(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_scopes(s: &str) -> Result<Vec<Scope>, CorruptRow> {
    s.split(',')
        .map(|p| p.parse::<Scope>().map_err(corrupt))
        .collect()
}

impl TryFrom<RequestDbRow> for RequestRecord {
    type Error = CorruptRow;
    fn try_from(r: RequestDbRow) -> Result<Self, Self::Error> {
        Ok(RequestRecord {
            id: RequestId(r.id),
            mailbox_id: MailboxId(r.mailbox_id),
            mailbox: r.mailbox,
            agent_id: StaffId(r.agent_id),
            agent_pseudonym: r.agent_pseudonym,
            agent_role: r.agent_role.parse().map_err(corrupt)?,
            agent_name: r.agent_name,
            scopes: decode_scopes(&r.scopes)?,
            justification_code: r.justification_code.parse().map_err(corrupt)?,
            justification_text: r.justification_text,
            ticket: r.ticket,
            duration_minutes: r.duration_minutes,
            status: r.status.parse().map_err(corrupt)?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            decided_at: r.decided_at,
            decision_reason: r.decision_reason,
            grant_starts_at: r.grant_starts_at,
            grant_ends_at: r.grant_ends_at,
        })
    }
}

const SELECT: &str = "SELECT r.id, r.mailbox_id, m.address AS mailbox, r.agent_id, s.pseudonym AS agent_pseudonym, \
     s.role AS agent_role, s.display_name AS agent_name, r.scopes, r.justification_code, r.justification_text, \
     r.ticket, r.duration_minutes, r.status, r.created_at, r.expires_at, r.decided_at, r.decision_reason, \
     r.grant_starts_at, r.grant_ends_at \
     FROM access_requests r JOIN mailboxes m ON m.id = r.mailbox_id JOIN staff s ON s.id = r.agent_id";

fn records(rows: Vec<RequestDbRow>) -> anyhow::Result<Vec<RequestRecord>> {
    Ok(rows
        .into_iter()
        .map(RequestRecord::try_from)
        .collect::<Result<_, _>>()?)
}

/// Writes a new request.
pub async fn insert_request(tx: &mut Tx, r: &NewRequestRow) -> sqlx::Result<()> {
    on_tx!(tx, pool => sqlx::query(
        "INSERT INTO access_requests (id, mailbox_id, agent_id, scopes, justification_code, justification_text, \
         ticket, duration_minutes, status, created_at, expires_at, decided_at, decision_reason, grant_starts_at, \
         grant_ends_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(r.id.0)
    .bind(r.mailbox_id.0)
    .bind(r.agent_id.0)
    .bind(encode_scopes(&r.scopes))
    .bind(r.justification_code.as_str())
    .bind(&r.justification_text)
    .bind(&r.ticket)
    .bind(r.duration_minutes)
    .bind(r.status.as_str())
    .bind(ts(r.created_at))
    .bind(ts(r.expires_at))
    .bind(r.decided_at.map(ts))
    .bind(&r.decision_reason)
    .bind(r.grant_starts_at.map(ts))
    .bind(r.grant_ends_at.map(ts))
    .bind(r.closed_at.map(ts))
    .execute(pool)
    .await
    .map(|_| ()))
}

/// The owner's requests that still wait for a decision at `now`, oldest first.
pub async fn pending_for_owner(
    db: &Db,
    owner: OwnerId,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql = format!("{SELECT} WHERE m.owner_id = $1 AND r.status = $2 AND r.expires_at > $3 ORDER BY r.created_at, r.id");
    let rows = on_pool!(db, pool => sqlx::query_as::<_, RequestDbRow>(&sql)
        .bind(owner.0)
        .bind(AccessRequestStatus::Pending.as_str())
        .bind(ts(now))
        .fetch_all(pool)
        .await)?;
    records(rows)
}

/// The owner's grants that allow access at `now`, ending soonest first.
pub async fn active_grants_for_owner(
    db: &Db,
    owner: OwnerId,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql = format!(
        "{SELECT} WHERE m.owner_id = $1 AND r.status = $2 AND r.grant_starts_at <= $3 AND r.grant_ends_at > $3 \
         ORDER BY r.grant_ends_at, r.id"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, RequestDbRow>(&sql)
        .bind(owner.0)
        .bind(AccessRequestStatus::Approved.as_str())
        .bind(ts(now))
        .fetch_all(pool)
        .await)?;
    records(rows)
}

/// The newest `limit` requests made by one agent, or by everyone when `agent` is `None`.
pub async fn list_recent(
    db: &Db,
    agent: Option<StaffId>,
    limit: i64,
) -> anyhow::Result<Vec<RequestRecord>> {
    let rows = match agent {
        Some(agent) => {
            let sql = format!(
                "{SELECT} WHERE r.agent_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
            );
            on_pool!(db, pool => sqlx::query_as::<_, RequestDbRow>(&sql).bind(agent.0).bind(limit).fetch_all(pool).await)?
        }
        None => {
            let sql = format!("{SELECT} ORDER BY r.created_at DESC, r.id DESC LIMIT $1");
            on_pool!(db, pool => sqlx::query_as::<_, RequestDbRow>(&sql).bind(limit).fetch_all(pool).await)?
        }
    };
    records(rows)
}

/// How many requests are in each status, for one agent or everyone.
pub async fn count_by_status(
    db: &Db,
    agent: Option<StaffId>,
) -> anyhow::Result<Vec<(AccessRequestStatus, i64)>> {
    let rows: Vec<(String, i64)> = match agent {
        Some(agent) => on_pool!(db, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM access_requests WHERE agent_id = $1 GROUP BY status",
        ).bind(agent.0).fetch_all(pool).await)?,
        None => on_pool!(db, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM access_requests GROUP BY status",
        ).fetch_all(pool).await)?,
    };
    let mut counts = rows
        .into_iter()
        .map(|(s, n)| Ok((s.parse::<AccessRequestStatus>().map_err(corrupt)?, n)))
        .collect::<Result<Vec<_>, CorruptRow>>()?;
    counts.sort_by_key(|(s, _)| *s);
    Ok(counts)
}
