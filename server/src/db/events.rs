//! Access events: append-only. This module has an insert and reads; there is deliberately
//! no update or delete, and the database refuses them anyway.

use super::{bind_all, on_pool, on_tx, ts, CorruptRow, Db, Param, Tx};
use app::model::{Decision, EventSeq, MailboxId, OwnerId, RequestId, Scope, StaffId, StaffRole};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new event.
#[derive(Clone, Debug)]
pub struct NewEventRow {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// When it happened (UTC, whole seconds, as every stored time).
    pub occurred_at: OffsetDateTime,
    /// Which mailbox.
    pub mailbox_id: MailboxId,
    /// Which staff member, if any.
    pub agent_id: Option<StaffId>,
    /// Under which request (grant), if any.
    pub request_id: Option<RequestId>,
    /// The part of the mailbox the access touched.
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
    resource: String,
    decision: String,
    reason: String,
    log_index: Option<i64>,
    request_id: Option<Uuid>,
    source_network: Option<String>,
    break_glass: bool,
    agent_factor: Option<String>,
    agent_signed_in_at: Option<OffsetDateTime>,
}

/// An event as an owner may see it.
#[derive(Clone, Debug)]
pub struct EventRecord {
    /// Log position.
    pub seq: EventSeq,
    /// When it happened (UTC, whole seconds, as every stored time).
    pub occurred_at: OffsetDateTime,
    /// The mailbox's email address, for showing it.
    pub mailbox: String,
    /// Staff pseudonym.
    pub agent_pseudonym: Option<String>,
    /// Staff role.
    pub agent_role: Option<StaffRole>,
    /// The part of the mailbox the access touched.
    pub scope: Scope,
    /// What the staff tool did (`list_folders`, `read_message`, …), as the mail system reported it.
    pub action: String,
    /// The opaque resource id.
    pub resource: String,
    /// Whether the check allowed or refused the access.
    pub decision: Decision,
    /// Why the check decided so, in words for the owner.
    pub reason: String,
    /// Its index in the verifiable log (from 0), once the log writer entered it.
    pub log_index: Option<u64>,
    /// The request it was decided under, if any.
    pub request_id: Option<RequestId>,
    /// Where it came from, as the mail system reported it.
    pub source_network: Option<String>,
    /// Decided under an emergency access (break-glass), which the owner was not asked for.
    pub break_glass: bool,
    /// The agent's sign-in in force at the time (their last completed one before it), from
    /// the append-only `staff_sign_ins`.
    pub agent_sign_in: Option<app::model::AgentSignIn>,
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
            resource: r.resource,
            decision: r.decision.parse().map_err(corrupt)?,
            reason: r.reason,
            log_index: r
                .log_index
                .map(|i| u64::try_from(i).map_err(corrupt))
                .transpose()?,
            request_id: r.request_id.map(RequestId),
            source_network: r.source_network,
            break_glass: r.break_glass,
            agent_sign_in: match (r.agent_factor, r.agent_signed_in_at) {
                (Some(f), Some(at)) => Some(app::model::AgentSignIn {
                    factor: f.parse().map_err(corrupt)?,
                    at,
                }),
                _ => None,
            },
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
     s.role AS agent_role, e.scope, e.action, e.resource, e.decision, e.reason, e.log_index, e.request_id, e.source_network, \
     COALESCE(ar.break_glass, FALSE) AS break_glass, si.factor AS agent_factor, si.signed_in_at AS agent_signed_in_at \
     FROM access_events e JOIN mailboxes m ON m.id = e.mailbox_id LEFT JOIN staff s ON s.id = e.agent_id \
     LEFT JOIN access_requests ar ON ar.id = e.request_id \
     LEFT JOIN staff_sign_ins si ON si.seq = (SELECT l.seq FROM staff_sign_ins l WHERE l.staff_id = e.agent_id \
     AND l.signed_in_at <= e.occurred_at ORDER BY l.signed_in_at DESC, l.seq DESC LIMIT 1)";

/// Whose accesses a filter keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// One staff member, by the pseudonym owners see.
    Staff(String),
    /// The mail system itself (spam and virus filtering, service checks): no staff member.
    MailSystem,
}

/// Which of an owner's events to read. Every field narrows; none set means all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only the accesses of this staff member, or only the mail system's own.
    pub who: Option<Who>,
    /// Only this scope.
    pub scope: Option<Scope>,
    /// Only allowed or only denied.
    pub decision: Option<Decision>,
    /// From this instant (inclusive).
    pub since: Option<OffsetDateTime>,
    /// Before this instant (exclusive).
    pub until: Option<OffsetDateTime>,
}

/// Whose events a query reads: the events of an owner's mailboxes, or the accesses of one
/// staff member (a security admin's view of an agent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whose {
    /// Every event of this owner's mailboxes.
    Owner(OwnerId),
    /// Every access this staff member made, to any mailbox.
    Agent(StaffId),
}

impl From<OwnerId> for Whose {
    fn from(owner: OwnerId) -> Self {
        Whose::Owner(owner)
    }
}

/// The WHERE clause scoping events to `whose` and `filter`, with its parameters; more
/// conditions may follow, numbered from `params.len() + 1`.
fn scope_to(whose: impl Into<Whose>, filter: &EventFilter, params: &mut Vec<Param>) -> String {
    let mut sql = match whose.into() {
        // An owner never sees what was done under a legal hold until its notice is released.
        Whose::Owner(owner) => {
            params.push(Param::Uuid(owner.0));
            format!(
                " WHERE e.mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1) AND {}",
                super::not_held("e.request_id")
            )
        }
        Whose::Agent(agent) => {
            params.push(Param::Uuid(agent.0));
            String::from(" WHERE e.agent_id = $1")
        }
    };
    match &filter.who {
        Some(Who::Staff(p)) => {
            params.push(Param::Text(p.clone()));
            sql += &format!(
                " AND e.agent_id IN (SELECT id FROM staff WHERE pseudonym = ${})",
                params.len()
            );
        }
        Some(Who::MailSystem) => sql += " AND e.agent_id IS NULL",
        None => {}
    }
    if let Some(scope) = filter.scope {
        params.push(Param::Text(scope.as_str().into()));
        sql += &format!(" AND e.scope = ${}", params.len());
    }
    if let Some(decision) = filter.decision {
        params.push(Param::Text(decision.as_str().into()));
        sql += &format!(" AND e.decision = ${}", params.len());
    }
    if let Some(since) = filter.since {
        params.push(Param::Time(ts(since)));
        sql += &format!(" AND e.occurred_at >= ${}", params.len());
    }
    if let Some(until) = filter.until {
        params.push(Param::Time(ts(until)));
        sql += &format!(" AND e.occurred_at < ${}", params.len());
    }
    sql
}

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

/// Up to `limit` of the events of `whose` (an owner's, or an agent's) matching `filter` around a keyset cursor, newest
/// first, plus whether more exist in the direction of travel. Never uses OFFSET: the cost
/// does not depend on how deep the page is.
pub async fn page_for(
    db: &Db,
    whose: impl Into<Whose>,
    filter: &EventFilter,
    keyset: Keyset,
    limit: i64,
) -> anyhow::Result<(Vec<EventRecord>, bool)> {
    let mut params = Vec::new();
    let mut sql = format!("{SELECT}{}", scope_to(whose, filter, &mut params));
    let order = match keyset {
        Keyset::Newest => "DESC",
        Keyset::Before(seq) => {
            params.push(Param::Int(seq.0));
            sql += &format!(" AND e.seq < ${}", params.len());
            "DESC"
        }
        Keyset::After(seq) => {
            params.push(Param::Int(seq.0));
            sql += &format!(" AND e.seq > ${}", params.len());
            "ASC"
        }
    };
    params.push(Param::Int(limit + 1));
    sql += &format!(" ORDER BY e.seq {order} LIMIT ${}", params.len());
    let rows: Vec<EventDbRow> = on_pool!(db, pool => bind_all!(sqlx::query_as::<_, EventDbRow>(&sql), &params).fetch_all(pool).await)?;
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

/// Whether the owner has an event matching `filter` with a position above (`newer`) or
/// below `seq`.
pub async fn exists_beyond(
    db: &Db,
    whose: impl Into<Whose>,
    filter: &EventFilter,
    seq: EventSeq,
    newer: bool,
) -> sqlx::Result<bool> {
    let mut params = Vec::new();
    let mut sql = format!(
        "SELECT EXISTS (SELECT 1 FROM access_events e{}",
        scope_to(whose, filter, &mut params)
    );
    params.push(Param::Int(seq.0));
    sql += &format!(
        " AND e.seq {} ${})",
        if newer { ">" } else { "<" },
        params.len()
    );
    on_pool!(db, pool => bind_all!(sqlx::query_scalar::<_, bool>(&sql), &params).fetch_one(pool).await)
}

/// How many of the owner's events match `filter`.
pub async fn count_matching(
    db: &Db,
    whose: impl Into<Whose>,
    filter: &EventFilter,
) -> sqlx::Result<i64> {
    let mut params = Vec::new();
    let sql = format!(
        "SELECT COUNT(*) FROM access_events e{}",
        scope_to(whose, filter, &mut params)
    );
    on_pool!(db, pool => bind_all!(sqlx::query_scalar::<_, i64>(&sql), &params).fetch_one(pool).await)
}

/// How many events the owner's mailboxes have since `since` (all events when `None`),
/// optionally only those with one decision.
pub async fn count_for_owner(
    db: &Db,
    owner: OwnerId,
    since: Option<OffsetDateTime>,
    decision: Option<Decision>,
) -> sqlx::Result<i64> {
    count_matching(
        db,
        owner,
        &EventFilter {
            since,
            decision,
            ..EventFilter::default()
        },
    )
    .await
}

/// The pseudonyms of every staff member who appears in the owner's history.
pub async fn agents_for_owner(db: &Db, owner: OwnerId) -> sqlx::Result<Vec<String>> {
    let sql = format!(
        "SELECT DISTINCT s.pseudonym FROM access_events e JOIN staff s ON s.id = e.agent_id \
         WHERE e.mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1) AND {} ORDER BY s.pseudonym",
        super::not_held("e.request_id")
    );
    on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        &sql,
    )
    .bind(owner.0)
    .fetch_all(pool)
    .await)
}

/// How many allowed events are stored (benchmarks check every `allow` they were answered).
pub async fn count_allowed(db: &Db) -> sqlx::Result<i64> {
    on_pool!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM access_events WHERE decision = 'allowed'").fetch_one(pool).await)
}

/// Whether any event exists at all (the demo seed runs once).
pub async fn any(db: &Db) -> sqlx::Result<bool> {
    on_pool!(db, pool => sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM access_events)").fetch_one(pool).await)
}

/// Up to `limit` of the owner's events decided under request `request`, newest first.
pub async fn under_request_for_owner(
    db: &Db,
    owner: OwnerId,
    request: RequestId,
    limit: i64,
) -> anyhow::Result<Vec<EventRecord>> {
    let mut params = Vec::new();
    let mut sql = format!(
        "{SELECT}{}",
        scope_to(owner, &EventFilter::default(), &mut params)
    );
    params.push(Param::Uuid(request.0));
    sql += &format!(" AND e.request_id = ${}", params.len());
    params.push(Param::Int(limit));
    sql += &format!(" ORDER BY e.seq DESC LIMIT ${}", params.len());
    let rows: Vec<EventDbRow> = on_pool!(db, pool => bind_all!(sqlx::query_as::<_, EventDbRow>(&sql), &params).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(EventRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?)
}

/// The owner's events at positions `seqs` (at most 900), oldest first.
pub async fn by_seqs_for_owner(
    db: &Db,
    owner: OwnerId,
    seqs: &[i64],
) -> anyhow::Result<Vec<EventRecord>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let seqs = &seqs[..seqs.len().min(900)];
    let mut params = Vec::new();
    let mut sql = format!(
        "{SELECT}{}",
        scope_to(owner, &EventFilter::default(), &mut params)
    );
    let first = params.len() + 1;
    sql += &format!(
        " AND e.seq IN ({}) ORDER BY e.seq",
        (first..first + seqs.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    params.extend(seqs.iter().map(|s| Param::Int(*s)));
    let rows: Vec<EventDbRow> = on_pool!(db, pool => bind_all!(sqlx::query_as::<_, EventDbRow>(&sql), &params).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(EventRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?)
}
