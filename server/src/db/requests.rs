//! Access requests (and grants: an approved request inside its window).

use super::{bind_all, not_held, on_conn, on_tx, ts, Conn, CorruptRow, Param, Tx};
use crate::domain::access_request::{Change, RequestFacts};
use crate::domain::check::Grant;
use crate::domain::request_list::{ListFilter, ListKey, Position};
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
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: RequestId,
    /// The mailbox concerned (`mailboxes.id`).
    pub mailbox_id: MailboxId,
    /// Who asks.
    pub agent_id: StaffId,
    /// What for.
    pub scopes: Vec<Scope>,
    /// Why.
    pub justification_code: JustificationCode,
    /// Why, in words.
    pub justification_text: String,
    /// The support ticket the requester cited, if any.
    pub ticket: Option<String>,
    /// Grant length once approved.
    pub duration_minutes: i64,
    /// Initial status (always `pending` outside the demo seed).
    pub status: AccessRequestStatus,
    /// When the request was submitted.
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
    /// An emergency access (break-glass): the owner is not asked.
    pub break_glass: bool,
    /// The security admin who opened it (break-glass only).
    pub opened_by: Option<StaffId>,
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
    agent_handle: Option<String>,
    scopes: String,
    asked_scopes: Option<String>,
    justification_code: String,
    justification_text: String,
    ticket: Option<String>,
    duration_minutes: i64,
    granted_minutes: Option<i64>,
    status: String,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    decided_at: Option<OffsetDateTime>,
    decision_reason: Option<String>,
    grant_starts_at: Option<OffsetDateTime>,
    grant_ends_at: Option<OffsetDateTime>,
    break_glass: bool,
    opened_by: Option<Uuid>,
    approved_by: Option<Uuid>,
}

/// A request as read back, with the names needed to show it.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: RequestId,
    /// The mailbox concerned (`mailboxes.id`).
    pub mailbox_id: MailboxId,
    /// The mailbox's email address, for showing it.
    pub mailbox: String,
    /// Who asked.
    pub agent_id: StaffId,
    /// Their pseudonym.
    pub agent_pseudonym: String,
    /// Their role.
    pub agent_role: StaffRole,
    /// Their name (staff views only).
    pub agent_name: String,
    /// Their handle (API views).
    pub agent_handle: Option<String>,
    /// What it allows: what was asked, or once approved, what the owner granted.
    pub scopes: Vec<Scope>,
    /// What the agent asked for (the same as `scopes` unless the owner allowed less).
    pub asked_scopes: Vec<Scope>,
    /// Why.
    pub justification_code: JustificationCode,
    /// Why, in words.
    pub justification_text: String,
    /// The support ticket the requester cited, if any.
    pub ticket: Option<String>,
    /// Grant length asked for.
    pub duration_minutes: i64,
    /// The length of the window the owner approved (none until approved).
    pub granted_minutes: Option<i64>,
    /// Where the request is as last written; a deadline may have passed since (see `effective_status` in the domain).
    pub status: AccessRequestStatus,
    /// When the request was submitted.
    pub created_at: OffsetDateTime,
    /// Pending until.
    pub expires_at: OffsetDateTime,
    /// When the owner approved or denied it (none while pending).
    pub decided_at: Option<OffsetDateTime>,
    /// Denial reason.
    pub decision_reason: Option<String>,
    /// When the approved access window opens (none until approved).
    pub grant_starts_at: Option<OffsetDateTime>,
    /// When the approved access window closes; revoking or shortening moves it earlier.
    pub grant_ends_at: Option<OffsetDateTime>,
    /// An emergency access (break-glass): opened by a security admin, approved by a second
    /// one, without the owner's consent.
    pub break_glass: bool,
    /// The security admin who opened it (break-glass only).
    pub opened_by: Option<StaffId>,
    /// The second security admin who approved it (break-glass only, once approved).
    pub approved_by: Option<StaffId>,
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
            agent_handle: r.agent_handle,
            asked_scopes: match &r.asked_scopes {
                Some(asked) => decode_scopes(asked)?,
                None => decode_scopes(&r.scopes)?,
            },
            scopes: decode_scopes(&r.scopes)?,
            justification_code: r.justification_code.parse().map_err(corrupt)?,
            justification_text: r.justification_text,
            ticket: r.ticket,
            duration_minutes: r.duration_minutes,
            // Approved before the owner could choose: as asked.
            granted_minutes: r
                .granted_minutes
                .or(r.grant_starts_at.map(|_| r.duration_minutes)),
            status: r.status.parse().map_err(corrupt)?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            decided_at: r.decided_at,
            decision_reason: r.decision_reason,
            grant_starts_at: r.grant_starts_at,
            grant_ends_at: r.grant_ends_at,
            break_glass: r.break_glass,
            opened_by: r.opened_by.map(StaffId),
            approved_by: r.approved_by.map(StaffId),
        })
    }
}

const SELECT: &str = "SELECT r.id, r.mailbox_id, m.address AS mailbox, r.agent_id, s.pseudonym AS agent_pseudonym, \
     s.role AS agent_role, s.display_name AS agent_name, s.handle AS agent_handle, r.scopes, r.asked_scopes, r.justification_code, r.justification_text, \
     r.ticket, r.duration_minutes, r.granted_minutes, r.status, r.created_at, r.expires_at, r.decided_at, r.decision_reason, \
     r.grant_starts_at, r.grant_ends_at, r.break_glass, r.opened_by, r.approved_by \
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
         grant_ends_at, closed_at, break_glass, opened_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
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
    .bind(r.break_glass)
    .bind(r.opened_by.map(|s| s.0))
    .execute(pool)
    .await
    .map(|_| ()))
}

/// The owner's requests that still wait for their decision at `now`, oldest first (an
/// emergency access waiting for its second security admin is not the owner's to decide).
pub async fn pending_for_owner(
    conn: impl Into<Conn<'_>>,
    owner: OwnerId,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql = format!("{SELECT} WHERE m.owner_id = $1 AND r.status = $2 AND r.expires_at > $3 AND NOT r.break_glass AND {} ORDER BY r.created_at, r.id", not_held("r.id"));
    let rows = on_conn!(conn, pool => sqlx::query_as::<_, RequestDbRow>(&sql)
        .bind(owner.0)
        .bind(AccessRequestStatus::Pending.as_str())
        .bind(ts(now))
        .fetch_all(pool)
        .await)?;
    records(rows)
}

/// The owner's grants that allow access at `now`, ending soonest first.
pub async fn active_grants_for_owner(
    conn: impl Into<Conn<'_>>,
    owner: OwnerId,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql = format!(
        "{SELECT} WHERE m.owner_id = $1 AND r.status = $2 AND r.grant_starts_at <= $3 AND r.grant_ends_at > $3 \
         AND {} ORDER BY r.grant_ends_at, r.id",
        not_held("r.id")
    );
    let rows = on_conn!(conn, pool => sqlx::query_as::<_, RequestDbRow>(&sql)
        .bind(owner.0)
        .bind(AccessRequestStatus::Approved.as_str())
        .bind(ts(now))
        .fetch_all(pool)
        .await)?;
    records(rows)
}

/// The newest `limit` emergency accesses (break-glass), newest first: the security admins'
/// page of them.
pub async fn list_emergency(
    conn: impl Into<Conn<'_>>,
    limit: i64,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql =
        format!("{SELECT} WHERE r.break_glass ORDER BY r.created_at DESC, r.id DESC LIMIT $1");
    let rows = on_conn!(conn, c => sqlx::query_as::<_, RequestDbRow>(&sql).bind(limit).fetch_all(c).await)?;
    records(rows)
}

/// The newest `limit` requests made by one agent, or by everyone when `agent` is `None`.
pub async fn list_recent(
    conn: impl Into<Conn<'_>>,
    agent: Option<StaffId>,
    limit: i64,
) -> anyhow::Result<Vec<RequestRecord>> {
    let rows = match agent {
        Some(agent) => {
            let sql = format!(
                "{SELECT} WHERE r.agent_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
            );
            on_conn!(conn, pool => sqlx::query_as::<_, RequestDbRow>(&sql).bind(agent.0).bind(limit).fetch_all(pool).await)?
        }
        None => {
            let sql = format!("{SELECT} ORDER BY r.created_at DESC, r.id DESC LIMIT $1");
            on_conn!(conn, pool => sqlx::query_as::<_, RequestDbRow>(&sql).bind(limit).fetch_all(pool).await)?
        }
    };
    records(rows)
}

/// The WHERE clause selecting what `filter` selects, with its parameters (more conditions
/// may follow, numbered from `params.len() + 1`). Every value is a bound parameter; the
/// search pattern comes escaped from the domain (`ESCAPE '\'`).
fn list_where(filter: &ListFilter, params: &mut Vec<Param>) -> String {
    let mut sql = String::from(" WHERE 1 = 1");
    if let Some(status) = filter.status {
        params.push(Param::Text(status.as_str().into()));
        sql += &format!(" AND r.status = ${}", params.len());
    }
    if let Some(agent) = filter.agent {
        params.push(Param::Uuid(agent.0));
        sql += &format!(" AND r.agent_id = ${}", params.len());
    }
    if let Some(mailbox) = &filter.mailbox {
        params.push(Param::Text(mailbox.clone()));
        sql += &format!(" AND LOWER(m.address) = ${}", params.len());
    }
    if let Some(since) = filter.since {
        params.push(Param::Time(ts(since)));
        sql += &format!(" AND r.created_at >= ${}", params.len());
    }
    if let Some(until) = filter.until {
        params.push(Param::Time(ts(until)));
        sql += &format!(" AND r.created_at < ${}", params.len());
    }
    if let Some(pattern) = &filter.search {
        params.push(Param::Text(pattern.clone()));
        let n = params.len();
        sql += &format!(
            " AND (LOWER(m.address) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(r.ticket, '')) LIKE ${n} ESCAPE '\\' \
             OR LOWER(r.justification_text) LIKE ${n} ESCAPE '\\')"
        );
    }
    sql
}

/// The condition "comes before `key`" (`older`) or "after `key`" in the list's order
/// (newest first by `created_at`, then `id`), with its parameters.
fn beyond(key: &ListKey, older: bool, params: &mut Vec<Param>) -> String {
    params.push(Param::Time(ts(key.created_at)));
    let at = params.len();
    params.push(Param::Uuid(key.id.0));
    let id = params.len();
    let op = if older { "<" } else { ">" };
    format!(" AND (r.created_at {op} ${at} OR (r.created_at = ${at} AND r.id {op} ${id}))")
}

/// Up to `limit` requests that `filter` selects around a keyset position, newest first,
/// plus whether more exist in the direction of travel. Never uses OFFSET.
pub async fn list_page(
    conn: impl Into<Conn<'_>>,
    filter: &ListFilter,
    position: Position,
    limit: i64,
) -> anyhow::Result<(Vec<RequestRecord>, bool)> {
    let mut params = Vec::new();
    let mut sql = format!("{SELECT}{}", list_where(filter, &mut params));
    let order = match position {
        Position::Newest => "DESC",
        Position::Before(key) => {
            sql += &beyond(&key, true, &mut params);
            "DESC"
        }
        Position::After(key) => {
            sql += &beyond(&key, false, &mut params);
            "ASC"
        }
    };
    params.push(Param::Int(limit + 1));
    sql += &format!(
        " ORDER BY r.created_at {order}, r.id {order} LIMIT ${}",
        params.len()
    );
    let rows: Vec<RequestDbRow> = on_conn!(conn, c => bind_all!(sqlx::query_as::<_, RequestDbRow>(&sql), &params).fetch_all(c).await)?;
    let more = rows.len() as i64 > limit;
    let mut list = records(rows.into_iter().take(limit as usize).collect())?;
    if matches!(position, Position::After(_)) {
        list.reverse();
    }
    Ok((list, more))
}

/// How many requests `filter` selects that come before `key` in the list (are newer).
pub async fn count_newer(
    conn: impl Into<Conn<'_>>,
    filter: &ListFilter,
    key: &ListKey,
) -> anyhow::Result<i64> {
    let mut params = Vec::new();
    let mut sql = format!(
        "SELECT COUNT(*) FROM access_requests r JOIN mailboxes m ON m.id = r.mailbox_id{}",
        list_where(filter, &mut params)
    );
    sql += &beyond(key, false, &mut params);
    let n: i64 = on_conn!(conn, c => bind_all!(sqlx::query_scalar::<_, i64>(&sql), &params).fetch_one(c).await)?;
    Ok(n)
}

/// How many requests `filter` selects in each status.
pub async fn count_matching(
    conn: impl Into<Conn<'_>>,
    filter: &ListFilter,
) -> anyhow::Result<Vec<(AccessRequestStatus, i64)>> {
    let mut params = Vec::new();
    let sql = format!(
        "SELECT r.status, COUNT(*) FROM access_requests r JOIN mailboxes m ON m.id = r.mailbox_id{} GROUP BY r.status",
        list_where(filter, &mut params)
    );
    let rows: Vec<(String, i64)> = on_conn!(conn, c => bind_all!(sqlx::query_as::<_, (String, i64)>(&sql), &params).fetch_all(c).await)?;
    let mut counts = rows
        .into_iter()
        .map(|(s, n)| Ok((s.parse::<AccessRequestStatus>().map_err(corrupt)?, n)))
        .collect::<Result<Vec<_>, CorruptRow>>()?;
    counts.sort_by_key(|(s, _)| *s);
    Ok(counts)
}

/// How many requests are in each status, for one agent or everyone.
pub async fn count_by_status(
    conn: impl Into<Conn<'_>>,
    agent: Option<StaffId>,
) -> anyhow::Result<Vec<(AccessRequestStatus, i64)>> {
    let rows: Vec<(String, i64)> = match agent {
        Some(agent) => on_conn!(conn, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM access_requests WHERE agent_id = $1 GROUP BY status",
        ).bind(agent.0).fetch_all(pool).await)?,
        None => on_conn!(conn, pool => sqlx::query_as(
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

/// One request by id (staff and API views: not scoped to an owner).
pub async fn get(
    conn: impl Into<Conn<'_>>,
    id: RequestId,
) -> anyhow::Result<Option<RequestRecord>> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row = on_conn!(conn, pool => sqlx::query_as::<_, RequestDbRow>(&sql).bind(id.0).fetch_optional(pool).await)?;
    Ok(row.map(RequestRecord::try_from).transpose()?)
}

/// One request by id, only if it is about one of `owner`'s mailboxes.
pub async fn get_for_owner(
    conn: impl Into<Conn<'_>>,
    owner: OwnerId,
    id: RequestId,
) -> anyhow::Result<Option<RequestRecord>> {
    let sql = format!(
        "{SELECT} WHERE r.id = $1 AND m.owner_id = $2 AND {}",
        not_held("r.id")
    );
    let row = on_conn!(conn, pool => sqlx::query_as::<_, RequestDbRow>(&sql).bind(id.0).bind(owner.0).fetch_optional(pool).await)?;
    Ok(row.map(RequestRecord::try_from).transpose()?)
}

/// The newest `limit` requests about the owner's mailboxes, in any state.
pub async fn list_for_owner(
    conn: impl Into<Conn<'_>>,
    owner: OwnerId,
    limit: i64,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql = format!(
        "{SELECT} WHERE m.owner_id = $1 AND {} ORDER BY r.created_at DESC, r.id DESC LIMIT $2",
        not_held("r.id")
    );
    let rows = on_conn!(conn, pool => sqlx::query_as::<_, RequestDbRow>(&sql).bind(owner.0).bind(limit).fetch_all(pool).await)?;
    records(rows)
}

#[derive(FromRow)]
struct FactsDbRow {
    status: String,
    owner_id: Uuid,
    owner_email: String,
    agent_id: Uuid,
    agent_email: String,
    expires_at: OffsetDateTime,
    duration_minutes: i64,
    scopes: String,
    grant_starts_at: Option<OffsetDateTime>,
    grant_ends_at: Option<OffsetDateTime>,
    break_glass: bool,
    opened_by: Option<Uuid>,
}

/// What the state machine needs about a request, read inside the deciding transaction.
pub async fn facts(tx: &mut Tx, id: RequestId) -> anyhow::Result<Option<RequestFacts>> {
    const SQL: &str = "SELECT r.status, m.owner_id, o.email AS owner_email, r.agent_id, s.email AS agent_email, \
         r.expires_at, r.duration_minutes, r.scopes, r.grant_starts_at, r.grant_ends_at, r.break_glass, r.opened_by \
         FROM access_requests r JOIN mailboxes m ON m.id = r.mailbox_id JOIN owners o ON o.id = m.owner_id \
         JOIN staff s ON s.id = r.agent_id WHERE r.id = $1";
    let row = on_tx!(tx, conn => sqlx::query_as::<_, FactsDbRow>(SQL).bind(id.0).fetch_optional(conn).await)?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(RequestFacts {
        status: r.status.parse().map_err(corrupt)?,
        owner_id: OwnerId(r.owner_id),
        owner_email: r.owner_email,
        agent_id: StaffId(r.agent_id),
        agent_email: r.agent_email,
        expires_at: r.expires_at,
        duration_minutes: r.duration_minutes,
        scopes: decode_scopes(&r.scopes)?,
        grant_starts_at: r.grant_starts_at,
        grant_ends_at: r.grant_ends_at,
        break_glass: r.break_glass,
        opened_by: r.opened_by.map(StaffId),
    }))
}

/// Applies a state-machine change as one conditional update: it only happens if the row
/// still has status `change.from`. Returns whether it applied (false: someone else won).
/// An approval of fewer scopes keeps the asked ones in `asked_scopes` (the right-hand
/// sides read the row as it was).
pub async fn apply_change(tx: &mut Tx, id: RequestId, change: &Change) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE access_requests SET status = $1, \
         decided_at = COALESCE($2, decided_at), decision_reason = COALESCE($3, decision_reason), \
         grant_starts_at = COALESCE($4, grant_starts_at), grant_ends_at = COALESCE($5, grant_ends_at), \
         closed_at = COALESCE($6, closed_at), \
         asked_scopes = CASE WHEN $9 IS NULL THEN asked_scopes ELSE scopes END, \
         scopes = COALESCE($9, scopes), granted_minutes = COALESCE($10, granted_minutes), \
         approved_by = COALESCE($11, approved_by) \
         WHERE id = $7 AND status = $8";
    let done = on_tx!(tx, conn => sqlx::query(SQL)
        .bind(change.to.as_str())
        .bind(change.decided_at.map(ts))
        .bind(&change.decision_reason)
        .bind(change.grant_starts_at.map(ts))
        .bind(change.grant_ends_at.map(ts))
        .bind(change.closed_at.map(ts))
        .bind(id.0)
        .bind(change.from.as_str())
        .bind(change.narrowed_scopes.as_deref().map(encode_scopes))
        .bind(change.granted_minutes)
        .bind(change.approved_by.map(|s| s.0))
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

#[derive(FromRow)]
struct GrantDbRow {
    id: Uuid,
    status: String,
    scopes: String,
    grant_starts_at: Option<OffsetDateTime>,
    grant_ends_at: Option<OffsetDateTime>,
    break_glass: bool,
}

/// The approved grants of `agent` on `mailbox` whose window contains `now`. Inside a
/// PostgreSQL transaction the rows are locked `FOR SHARE`, so a revocation commits only
/// after every check that already saw the grant has committed its event; a SQLite
/// transaction (`BEGIN IMMEDIATE`) gives the same order.
pub async fn live_grants(
    conn: impl Into<Conn<'_>>,
    mailbox: MailboxId,
    agent: StaffId,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Grant>> {
    let conn = conn.into();
    let sql = format!(
        "SELECT id, status, scopes, grant_starts_at, grant_ends_at, break_glass FROM access_requests \
         WHERE mailbox_id = $1 AND agent_id = $2 AND status = $3 AND grant_starts_at <= $4 AND grant_ends_at > $4 \
         ORDER BY grant_ends_at DESC{}",
        conn.share_lock()
    );
    let rows: Vec<GrantDbRow> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(mailbox.0)
        .bind(agent.0)
        .bind(AccessRequestStatus::Approved.as_str())
        .bind(ts(now))
        .fetch_all(c)
        .await)?;
    rows.into_iter()
        .map(|r| {
            Ok(Grant {
                id: RequestId(r.id),
                status: r.status.parse().map_err(corrupt)?,
                scopes: decode_scopes(&r.scopes)?,
                starts_at: r.grant_starts_at,
                ends_at: r.grant_ends_at,
                break_glass: r.break_glass,
            })
        })
        .collect()
}

/// The pending requests whose time ran out at `now`, oldest deadline first, at most
/// `limit` (candidates: the sweeper applies the state machine's
/// [`Expire`](crate::domain::access_request::Action::Expire) to each).
pub async fn due_for_expiry(
    conn: impl Into<Conn<'_>>,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<RequestId>> {
    let rows: Vec<(Uuid,)> = on_conn!(conn, c => sqlx::query_as(
        "SELECT id FROM access_requests WHERE status = $1 AND expires_at <= $2 ORDER BY expires_at, id LIMIT $3",
    )
    .bind(AccessRequestStatus::Pending.as_str())
    .bind(ts(now))
    .bind(limit)
    .fetch_all(c)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| RequestId(id)).collect())
}

/// The grants whose window closed at `now`, oldest end first, at most `limit` (candidates:
/// the sweeper applies the state machine's
/// [`EndAtTime`](crate::domain::access_request::Action::EndAtTime) to each).
pub async fn due_to_end(
    conn: impl Into<Conn<'_>>,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<RequestId>> {
    let rows: Vec<(Uuid,)> = on_conn!(conn, c => sqlx::query_as(
        "SELECT id FROM access_requests WHERE status = $1 AND grant_ends_at <= $2 ORDER BY grant_ends_at, id LIMIT $3",
    )
    .bind(AccessRequestStatus::Approved.as_str())
    .bind(ts(now))
    .bind(limit)
    .fetch_all(c)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| RequestId(id)).collect())
}

/// The requests of one staff member that are still open (approved grants and pending
/// requests), oldest first: the candidates an incident withdraws.
pub async fn open_of_agent(
    conn: impl Into<Conn<'_>>,
    agent: StaffId,
) -> sqlx::Result<Vec<RequestId>> {
    let rows: Vec<(Uuid,)> = on_conn!(conn, c => sqlx::query_as(
        "SELECT id FROM access_requests WHERE agent_id = $1 AND status IN ($2, $3) ORDER BY created_at, id",
    )
    .bind(agent.0)
    .bind(AccessRequestStatus::Approved.as_str())
    .bind(AccessRequestStatus::Pending.as_str())
    .fetch_all(c)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| RequestId(id)).collect())
}
