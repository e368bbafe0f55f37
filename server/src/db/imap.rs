//! What the Dovecot integration keeps: per-grant IMAP credentials (only their keyed hash),
//! the IMAP sessions Glassbox allowed, and the outbox of doveadm `kick` calls that end the
//! sessions of a grant that ended (see `migrations/*/0008_imap.sql`).

use super::{on_conn, on_tx, ts, Conn, Tx};
use app::model::{MailboxId, RequestId, StaffId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A stored credential, without its secret.
#[derive(Clone, Debug, FromRow)]
pub struct CredentialRow {
    /// Id.
    pub id: Uuid,
    /// The request (grant) it opens.
    pub request_id: Uuid,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Revokes the request's live credentials (a new one replaces them).
pub async fn revoke_credentials(
    tx: &mut Tx,
    request: RequestId,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE imap_credentials SET revoked_at = $1 WHERE request_id = $2 AND revoked_at IS NULL",
    )
    .bind(ts(now))
    .bind(request.0)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Stores a new credential's hash for `request`.
pub async fn insert_credential(
    tx: &mut Tx,
    id: Uuid,
    request: RequestId,
    secret_hash: &[u8],
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO imap_credentials (id, request_id, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(request.0)
    .bind(secret_hash)
    .bind(ts(now))
    .execute(c)
    .await
    .map(|_| ()))
}

/// The credential with this hash (revoked or not). Inside the log writer's batch on
/// PostgreSQL the row is read `FOR SHARE`, so a revocation waits for the batch.
pub async fn find_credential(
    conn: impl Into<Conn<'_>>,
    secret_hash: &[u8],
) -> sqlx::Result<Option<CredentialRow>> {
    let conn = conn.into();
    let sql = format!(
        "SELECT id, request_id, created_at, revoked_at FROM imap_credentials WHERE secret_hash = $1{}",
        conn.share_lock()
    );
    on_conn!(conn, c => sqlx::query_as::<_, CredentialRow>(&sql).bind(secret_hash).fetch_optional(c).await)
}

/// The request's live credential, if it has one.
pub async fn live_credential(
    conn: impl Into<Conn<'_>>,
    request: RequestId,
) -> sqlx::Result<Option<CredentialRow>> {
    on_conn!(conn, c => sqlx::query_as::<_, CredentialRow>(
        "SELECT id, request_id, created_at, revoked_at FROM imap_credentials \
         WHERE request_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1",
    )
    .bind(request.0)
    .fetch_optional(c)
    .await)
}

/// A session Glassbox allowed, as written with its login event.
#[derive(Clone, Debug)]
pub struct NewSessionRow {
    /// Id.
    pub id: Uuid,
    /// Dovecot's session id (`req.session` in the passdb, `session` in command events).
    pub dovecot_session: String,
    /// The grant it was allowed under.
    pub request_id: RequestId,
    /// The mailbox.
    pub mailbox_id: MailboxId,
    /// The agent.
    pub agent_id: StaffId,
    /// The client's address as Dovecot saw it.
    pub client_ip: String,
    /// The login's access event.
    pub login_event_id: Uuid,
    /// When.
    pub created_at: OffsetDateTime,
}

/// Writes an allowed session (in the login event's transaction). A session id seen before
/// keeps its first row: a replayed id must not fail the log writer's whole batch.
pub async fn insert_session(tx: &mut Tx, s: &NewSessionRow) -> sqlx::Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO imap_sessions (id, dovecot_session, request_id, mailbox_id, agent_id, client_ip, login_event_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dovecot_session) DO NOTHING",
    )
    .bind(s.id)
    .bind(&s.dovecot_session)
    .bind(s.request_id.0)
    .bind(s.mailbox_id.0)
    .bind(s.agent_id.0)
    .bind(&s.client_ip)
    .bind(s.login_event_id)
    .bind(ts(s.created_at))
    .execute(c)
    .await
    .map(|_| ()))
}

/// A session as read back.
#[derive(Clone, Debug, FromRow)]
pub struct SessionRow {
    /// Id.
    pub id: Uuid,
    /// Dovecot's session id.
    pub dovecot_session: String,
    /// The grant.
    pub request_id: Uuid,
    /// The mailbox.
    pub mailbox_id: Uuid,
    /// The agent.
    pub agent_id: Uuid,
    /// The client's address.
    pub client_ip: String,
    /// The login's event.
    pub login_event_id: Uuid,
    /// When it was allowed.
    pub created_at: OffsetDateTime,
    /// When Glassbox ended it, if it did.
    pub cut_at: Option<OffsetDateTime>,
}

const SESSION_COLUMNS: &str =
    "id, dovecot_session, request_id, mailbox_id, agent_id, client_ip, login_event_id, created_at, cut_at";

/// The allowed session with Dovecot's id `session`, if any.
pub async fn find_session(
    conn: impl Into<Conn<'_>>,
    session: &str,
) -> sqlx::Result<Option<SessionRow>> {
    on_conn!(conn, c => sqlx::query_as::<_, SessionRow>(
        &format!("SELECT {SESSION_COLUMNS} FROM imap_sessions WHERE dovecot_session = $1"),
    )
    .bind(session)
    .fetch_optional(c)
    .await)
}

/// The sessions allowed under `request`, oldest first.
pub async fn sessions_of_request(
    conn: impl Into<Conn<'_>>,
    request: RequestId,
) -> sqlx::Result<Vec<SessionRow>> {
    on_conn!(conn, c => sqlx::query_as::<_, SessionRow>(
        &format!("SELECT {SESSION_COLUMNS} FROM imap_sessions WHERE request_id = $1 ORDER BY created_at, id"),
    )
    .bind(request.0)
    .fetch_all(c)
    .await)
}

#[derive(FromRow)]
struct OpenRow {
    request_id: Uuid,
    address: String,
    client_ip: String,
}

/// Queues a `kick` for each (mailbox, client address) with a session still open under
/// `request` (or, with `agent`, under any of the agent's requests), in the caller's
/// transaction, unless the same kick is already waiting (a disable queues the agent's
/// kicks and then withdraws each grant, which would queue them again). Returns how many
/// were queued.
pub async fn queue_kicks(
    tx: &mut Tx,
    request: Option<RequestId>,
    agent: Option<StaffId>,
    now: OffsetDateTime,
) -> sqlx::Result<usize> {
    let rows: Vec<OpenRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT DISTINCT s.request_id, m.address, s.client_ip FROM imap_sessions s \
         JOIN mailboxes m ON m.id = s.mailbox_id \
         WHERE s.cut_at IS NULL AND s.logged_out_at IS NULL AND ($1 IS NULL OR s.request_id = $1) AND ($2 IS NULL OR s.agent_id = $2) \
         AND ($1 IS NOT NULL OR $2 IS NOT NULL) \
         AND NOT EXISTS (SELECT 1 FROM imap_kicks k WHERE k.done_at IS NULL AND k.request_id = s.request_id \
             AND k.mailbox = m.address AND k.client_ip = s.client_ip)",
    )
    .bind(request.map(|r| r.0))
    .bind(agent.map(|a| a.0))
    .fetch_all(&mut *c)
    .await)?;
    for r in &rows {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO imap_kicks (id, request_id, mailbox, client_ip, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(r.request_id)
        .bind(&r.address)
        .bind(&r.client_ip)
        .bind(ts(now))
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(rows.len())
}

/// A queued kick.
#[derive(Clone, Debug, FromRow)]
pub struct KickRow {
    /// Id.
    pub id: Uuid,
    /// The grant whose sessions it ends.
    pub request_id: Uuid,
    /// The mailbox (Dovecot's user name).
    pub mailbox: String,
    /// The agent's client address.
    pub client_ip: String,
    /// Attempts so far.
    pub attempts: i32,
}

/// Kicks due at `now`, oldest first.
pub async fn due_kicks(
    conn: impl Into<Conn<'_>>,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<KickRow>> {
    on_conn!(conn, c => sqlx::query_as::<_, KickRow>(
        "SELECT id, request_id, mailbox, client_ip, attempts FROM imap_kicks \
         WHERE done_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(ts(now))
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Dovecot confirmed `kick`: it is done, and the sessions it ended are marked cut.
pub async fn kick_done(tx: &mut Tx, kick: &KickRow, now: OffsetDateTime) -> sqlx::Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE imap_kicks SET done_at = $1, attempts = attempts + 1 WHERE id = $2 AND done_at IS NULL")
        .bind(ts(now))
        .bind(kick.id)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    on_tx!(tx, c => sqlx::query(
        "UPDATE imap_sessions SET cut_at = $1 WHERE request_id = $2 AND client_ip = $3 AND cut_at IS NULL AND logged_out_at IS NULL",
    )
    .bind(ts(now))
    .bind(kick.request_id)
    .bind(&kick.client_ip)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The attempt failed: try again at `next`.
pub async fn kick_failed(
    conn: impl Into<Conn<'_>>,
    id: Uuid,
    error: &str,
    next: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, c => sqlx::query(
        "UPDATE imap_kicks SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3 AND done_at IS NULL",
    )
    .bind(error)
    .bind(ts(next))
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Kicks not yet confirmed (tests and the console).
pub async fn pending_kicks(conn: impl Into<Conn<'_>>) -> sqlx::Result<i64> {
    on_conn!(conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM imap_kicks WHERE done_at IS NULL").fetch_one(c).await)
}

/// The agent's client logged out of `session` by itself (first report wins).
pub async fn session_logged_out(
    conn: impl Into<Conn<'_>>,
    session: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, c => sqlx::query(
        "UPDATE imap_sessions SET logged_out_at = $1 WHERE id = $2 AND logged_out_at IS NULL AND cut_at IS NULL",
    )
    .bind(ts(now))
    .bind(session)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Files the receipt event `event_id` under `session` (in the receipt's transaction).
pub async fn insert_receipt(
    tx: &mut Tx,
    event_id: Uuid,
    session: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO imap_receipts (event_id, session_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(event_id)
    .bind(session)
    .bind(ts(now))
    .execute(c)
    .await
    .map(|_| ()))
}

/// A session of a request as its owner's page shows it: when, its login's log position,
/// and when Glassbox cut it.
#[derive(Clone, Debug, FromRow)]
pub struct OwnerSessionRow {
    /// Id.
    pub id: Uuid,
    /// When it was allowed.
    pub created_at: OffsetDateTime,
    /// When Glassbox ended it (a kick doveadm confirmed), if it did.
    pub cut_at: Option<OffsetDateTime>,
    /// When the client logged out by itself, if it reported so.
    pub logged_out_at: Option<OffsetDateTime>,
    /// The login event's position.
    pub login_seq: i64,
}

/// The sessions allowed under `request` of one of `owner`'s mailboxes, oldest first.
pub async fn sessions_for_owner(
    conn: impl Into<Conn<'_>>,
    owner: app::model::OwnerId,
    request: RequestId,
) -> sqlx::Result<Vec<OwnerSessionRow>> {
    on_conn!(conn, c => sqlx::query_as::<_, OwnerSessionRow>(
        "SELECT s.id, s.created_at, s.cut_at, s.logged_out_at, e.seq AS login_seq FROM imap_sessions s \
         JOIN access_events e ON e.id = s.login_event_id \
         WHERE s.request_id = $1 AND s.mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $2) \
         ORDER BY s.created_at, s.id",
    )
    .bind(request.0)
    .bind(owner.0)
    .fetch_all(c)
    .await)
}

/// For each of `owner`'s events in `seqs` that is a receipt, its session and the position
/// of that session's login event: `(receipt seq, session id, login seq)`.
pub async fn receipt_sessions(
    conn: impl Into<Conn<'_>>,
    owner: app::model::OwnerId,
    seqs: &[i64],
) -> sqlx::Result<Vec<(i64, Uuid, i64)>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let seqs = &seqs[..seqs.len().min(900)];
    let sql = format!(
        "SELECT e.seq, r.session_id, l.seq FROM access_events e \
         JOIN imap_receipts r ON r.event_id = e.id \
         JOIN imap_sessions s ON s.id = r.session_id \
         JOIN access_events l ON l.id = s.login_event_id \
         WHERE e.mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1) AND e.seq IN ({})",
        (2..seqs.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    on_conn!(conn, c => {
        let mut q = sqlx::query_as::<_, (i64, Uuid, i64)>(&sql).bind(owner.0);
        for s in seqs {
            q = q.bind(*s);
        }
        q.fetch_all(c).await
    })
}

/// The seqs of the receipts filed under the sessions of `request` for one of `owner`'s
/// mailboxes, oldest first.
pub async fn receipt_seqs_of_request(
    conn: impl Into<Conn<'_>>,
    owner: app::model::OwnerId,
    request: RequestId,
) -> sqlx::Result<Vec<i64>> {
    on_conn!(conn, c => sqlx::query_scalar(
        "SELECT e.seq FROM access_events e JOIN imap_receipts r ON r.event_id = e.id \
         JOIN imap_sessions s ON s.id = r.session_id \
         WHERE s.request_id = $1 AND e.mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $2) \
         ORDER BY e.seq LIMIT 2000",
    )
    .bind(request.0)
    .bind(owner.0)
    .fetch_all(c)
    .await)
}
