//! The verifiable log's tables: events entered into the log (`access_events.log_index`,
//! `leaf_salt`, `leaf_hash`), the Merkle tree's stored hashes (`log_hashes`), signed
//! checkpoints and the signing key. Every table here is insert-only, apart from the one
//! update that enters a not-yet-logged event into the log (enforced by triggers).

use super::events::NewEventRow;
use super::{on_conn, on_tx, ts, Conn, CorruptRow, Tx};
use glassbox_log::Hash;
use sqlx::FromRow;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Parameters per statement stay well below SQLite's limit.
const CHUNK_PARAMS: usize = 900;

/// An event with everything its log entry is made of.
#[derive(Clone, Debug, FromRow)]
pub struct EventEntryRow {
    /// Insertion order (not part of the log).
    pub seq: i64,
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// When it happened (UTC, whole seconds, as every stored time).
    pub occurred_at: OffsetDateTime,
    /// The mailbox concerned (`mailboxes.id`).
    pub mailbox_id: Uuid,
    /// Staff member.
    pub agent_id: Option<Uuid>,
    /// Request (grant).
    pub request_id: Option<Uuid>,
    /// The scope's stable code (`metadata`, `content`, `attachments`, `settings`).
    pub scope: String,
    /// What the staff tool did (`list_folders`, `read_message`, …), as the mail system reported it.
    pub action: String,
    /// The opaque id of what was touched (`folder:inbox`, `message:…`), as reported.
    pub resource: String,
    /// `allowed` or `denied`.
    pub decision: String,
    /// Why the check decided so, in words for the owner.
    pub reason: String,
    /// The network the staff tool called from, when the mail system reported it.
    pub source_network: Option<String>,
    /// Position in the log, once entered.
    pub log_index: Option<i64>,
    /// The entry's salt, once entered.
    pub leaf_salt: Option<Vec<u8>>,
    /// The leaf hash, once entered.
    pub leaf_hash: Option<Vec<u8>>,
}

impl EventEntryRow {
    /// The row a new event becomes (not yet in the log).
    pub fn from_new(e: &NewEventRow) -> Self {
        Self {
            seq: 0,
            id: e.id,
            occurred_at: ts(e.occurred_at),
            mailbox_id: e.mailbox_id.0,
            agent_id: e.agent_id.map(|a| a.0),
            request_id: e.request_id.map(|r| r.0),
            scope: e.scope.as_str().into(),
            action: e.action.clone(),
            resource: e.resource.clone(),
            decision: e.decision.as_str().into(),
            reason: e.reason.clone(),
            source_network: e.source_network.clone(),
            log_index: None,
            leaf_salt: None,
            leaf_hash: None,
        }
    }
}

const ENTRY_COLUMNS: &str =
    "seq, id, occurred_at, mailbox_id, agent_id, request_id, scope, action, resource, \
     decision, reason, source_network, log_index, leaf_salt, leaf_hash";

/// A new event with its place in the log.
pub struct LoggedEvent<'a> {
    /// The event.
    pub event: &'a NewEventRow,
    /// Its index.
    pub index: u64,
    /// Its salt.
    pub salt: [u8; glassbox_log::entry::SALT_LEN],
    /// Its leaf hash.
    pub leaf: Hash,
}

/// The placeholders of a multi-row `VALUES` list: `rows` tuples of `cols` parameters.
/// SQLite gets anonymous `?`: sqlx looks up the name of every numbered parameter, and SQLite
/// finds a name by scanning the statement's list of them, which made binding a 900-parameter
/// insert quadratic (seen in the B3 profile). PostgreSQL needs `$n`.
fn values_list(tx: &Tx, rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            match tx {
                Tx::Sqlite(_) => sql.push('?'),
                Tx::Postgres(_) => {
                    sql.push('$');
                    sql += &(r * cols + c + 1).to_string();
                }
            }
        }
        sql.push(')');
    }
    sql
}

fn index_param(i: u64) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

fn hash_of(bytes: Vec<u8>) -> Result<Hash, CorruptRow> {
    bytes.try_into().map_err(|_| CorruptRow {
        table: "log_hashes",
        detail: "a hash is not 32 bytes".into(),
    })
}

/// Takes the log writer role for this transaction. On PostgreSQL, where several instances
/// may write, a transaction-scoped advisory lock: held until commit or rollback, released
/// by the server if the instance dies. On SQLite `BEGIN IMMEDIATE` already holds the
/// database's write lock.
pub async fn take_writer_role(tx: &mut Tx) -> sqlx::Result<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7414051677)")
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// The log's size: its entries are access events, request changes, staff changes and the
/// steps of sealed notices, numbered together.
const SIZE: &str = "SELECT MAX(m) + 1 FROM (SELECT MAX(log_index) AS m FROM access_events \
     UNION ALL SELECT MAX(log_index) AS m FROM request_changes \
     UNION ALL SELECT MAX(log_index) AS m FROM staff_changes \
     UNION ALL SELECT MAX(log_index) AS m FROM legal_hold_changes) AS sizes";

/// How many entries the log holds (within the caller's transaction).
pub async fn size(tx: &mut Tx) -> sqlx::Result<u64> {
    let n: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar(SIZE).fetch_one(conn).await)?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// How many entries the log holds now.
pub async fn current_size(conn: impl Into<Conn<'_>>) -> sqlx::Result<u64> {
    let n: Option<i64> = on_conn!(conn, pool => sqlx::query_scalar(SIZE).fetch_one(pool).await)?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// Inserts new events with their place in the log.
pub async fn insert_logged(tx: &mut Tx, rows: &[LoggedEvent<'_>]) -> sqlx::Result<()> {
    const COLS: usize = 14;
    for chunk in rows.chunks(CHUNK_PARAMS / COLS) {
        let mut sql = String::from(
            "INSERT INTO access_events (id, occurred_at, mailbox_id, agent_id, request_id, scope, action, resource, \
             decision, reason, source_network, log_index, leaf_salt, leaf_hash) VALUES ",
        );
        sql += &values_list(tx, chunk.len(), COLS);
        on_tx!(tx, conn => {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                let e = r.event;
                q = q
                    .bind(e.id)
                    .bind(ts(e.occurred_at))
                    .bind(e.mailbox_id.0)
                    .bind(e.agent_id.map(|a| a.0))
                    .bind(e.request_id.map(|r| r.0))
                    .bind(e.scope.as_str())
                    .bind(e.action.as_str())
                    .bind(e.resource.as_str())
                    .bind(e.decision.as_str())
                    .bind(e.reason.as_str())
                    .bind(e.source_network.as_deref())
                    .bind(index_param(r.index))
                    .bind(r.salt.to_vec())
                    .bind(r.leaf.to_vec());
            }
            q.execute(conn).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Up to `limit` events not yet in the log, oldest first.
pub async fn unlogged(tx: &mut Tx, limit: i64) -> sqlx::Result<Vec<EventEntryRow>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM access_events WHERE log_index IS NULL ORDER BY seq LIMIT $1"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, EventEntryRow>(&sql).bind(limit).fetch_all(conn).await)
}

/// Whether any event or request change waits to be entered into the log.
pub async fn any_unlogged(conn: impl Into<Conn<'_>>) -> sqlx::Result<bool> {
    on_conn!(conn, pool => sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM access_events WHERE log_index IS NULL) \
         OR EXISTS (SELECT 1 FROM request_changes WHERE log_index IS NULL) \
         OR EXISTS (SELECT 1 FROM staff_changes WHERE log_index IS NULL) \
         OR EXISTS (SELECT 1 FROM legal_hold_changes WHERE log_index IS NULL)"
    )
    .fetch_one(pool)
    .await)
}

/// Enters an existing event into the log (the one update the table allows).
pub async fn enter(
    tx: &mut Tx,
    seq: i64,
    index: u64,
    salt: &[u8],
    leaf: &Hash,
) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE access_events SET log_index = $1, leaf_salt = $2, leaf_hash = $3 WHERE seq = $4 AND log_index IS NULL",
    )
    .bind(index_param(index))
    .bind(salt.to_vec())
    .bind(leaf.to_vec())
    .bind(seq)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Inserts tree hashes by stored-hash index.
pub async fn insert_hashes(tx: &mut Tx, hashes: &[(u64, Hash)]) -> sqlx::Result<()> {
    for chunk in hashes.chunks(CHUNK_PARAMS / 2) {
        let mut sql = String::from("INSERT INTO log_hashes (id, hash) VALUES ");
        sql += &values_list(tx, chunk.len(), 2);
        on_tx!(tx, conn => {
            let mut q = sqlx::query(&sql);
            for (id, h) in chunk {
                q = q.bind(index_param(*id)).bind(h.to_vec());
            }
            q.execute(conn).await.map(|_| ())
        })?;
    }
    Ok(())
}

#[derive(FromRow)]
struct HashRow {
    id: i64,
    hash: Vec<u8>,
}

fn in_list(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn into_map(rows: Vec<HashRow>) -> anyhow::Result<HashMap<u64, Hash>> {
    rows.into_iter()
        .map(|r| Ok((r.id as u64, hash_of(r.hash)?)))
        .collect()
}

/// The tree hashes with these stored-hash indexes (missing ones are absent from the map).
pub async fn read_hashes(
    conn: impl Into<Conn<'_>>,
    ids: &[u64],
) -> anyhow::Result<HashMap<u64, Hash>> {
    let mut conn = conn.into();
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK_PARAMS) {
        let sql = format!(
            "SELECT id, hash FROM log_hashes WHERE id IN ({})",
            in_list(chunk.len())
        );
        let part: Vec<HashRow> = on_conn!(conn.reborrow(), pool => {
            let mut q = sqlx::query_as::<_, HashRow>(&sql);
            for id in chunk {
                q = q.bind(index_param(*id));
            }
            q.fetch_all(pool).await
        })?;
        rows.extend(part);
    }
    into_map(rows)
}

/// Every stored tree hash (the offline auditor reads the whole tree).
pub async fn all_hashes(tx: &mut Tx) -> anyhow::Result<HashMap<u64, Hash>> {
    let rows: Vec<HashRow> = on_tx!(tx, conn => sqlx::query_as::<_, HashRow>("SELECT id, hash FROM log_hashes").fetch_all(conn).await)?;
    into_map(rows)
}

/// Every event in the log, by index (the offline auditor).
pub async fn all_logged(tx: &mut Tx) -> sqlx::Result<Vec<EventEntryRow>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM access_events WHERE log_index IS NOT NULL ORDER BY log_index, seq"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, EventEntryRow>(&sql).fetch_all(conn).await)
}

/// The log entries of some of an owner's events (by `seq`); others' events are never
/// returned.
pub async fn entries_for_owner(
    conn: impl Into<Conn<'_>>,
    owner: app::model::OwnerId,
    seqs: &[i64],
) -> sqlx::Result<Vec<EventEntryRow>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let seqs = &seqs[..seqs.len().min(CHUNK_PARAMS)];
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM access_events WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $1) \
         AND seq IN ({})",
        (2..seqs.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    on_conn!(conn, pool => {
        let mut q = sqlx::query_as::<_, EventEntryRow>(&sql).bind(owner.0);
        for s in seqs {
            q = q.bind(*s);
        }
        q.fetch_all(pool).await
    })
}

/// A stored signed checkpoint.
#[derive(Clone, Debug, FromRow)]
pub struct CheckpointRow {
    /// How many entries the tree held when this checkpoint was signed.
    pub size: i64,
    /// The Merkle root of the first `size` entries.
    pub root: Vec<u8>,
    /// The signed note.
    pub note: String,
}

/// The checkpoint of the largest tree.
pub async fn latest_checkpoint(conn: impl Into<Conn<'_>>) -> sqlx::Result<Option<CheckpointRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, CheckpointRow>(
        "SELECT size, root, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
    )
    .fetch_optional(pool)
    .await)
}

/// The checkpoint of exactly `size` entries, if one was signed.
pub async fn checkpoint_at(
    conn: impl Into<Conn<'_>>,
    size: i64,
) -> sqlx::Result<Option<CheckpointRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, CheckpointRow>(
        "SELECT size, root, note FROM log_checkpoints WHERE size = $1"
    )
    .bind(size)
    .fetch_optional(pool)
    .await)
}

/// Stores a signed checkpoint; a second one for the same size is ignored (several
/// instances sign the same deterministic note).
pub async fn insert_checkpoint(
    conn: impl Into<Conn<'_>>,
    size: u64,
    root: &Hash,
    note: &str,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, pool => sqlx::query(
        "INSERT INTO log_checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
    )
    .bind(index_param(size))
    .bind(root.to_vec())
    .bind(note)
    .bind(ts(now))
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The signing key: its name and 32-byte secret.
pub async fn signing_key(conn: impl Into<Conn<'_>>) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    on_conn!(conn, pool => sqlx::query_as::<_, (String, Vec<u8>)>("SELECT name, secret FROM log_signing_key WHERE id = 1")
        .fetch_optional(pool)
        .await)
}

/// Stores the signing key unless one exists (the first instance to start wins).
pub async fn insert_signing_key_if_absent(
    conn: impl Into<Conn<'_>>,
    name: &str,
    secret: &[u8],
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, pool => sqlx::query(
        "INSERT INTO log_signing_key (id, name, secret, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(name)
    .bind(secret.to_vec())
    .bind(ts(now))
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Runs one statement within a transaction (test support: the tamper tests change the
/// database directly, inside a transaction they roll back).
#[doc(hidden)]
pub async fn execute_in_tx_for_tests(tx: &mut Tx, sql: &str) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(sql).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// Retires the signing key row once its secret is safely in the key file.
pub async fn delete_signing_key(conn: impl Into<Conn<'_>>) -> sqlx::Result<()> {
    on_conn!(conn, pool => sqlx::query("DELETE FROM log_signing_key WHERE id = 1")
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Records a verifier key that signs (or signed) checkpoints, unless it is known.
pub async fn insert_verifier_key_if_absent(
    conn: impl Into<Conn<'_>>,
    verifier_key: &str,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, pool => sqlx::query(
        "INSERT INTO log_verifier_keys (verifier_key, added_at) VALUES ($1, $2) ON CONFLICT (verifier_key) DO NOTHING",
    )
    .bind(verifier_key)
    .bind(ts(now))
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Records the statement, signed by the key before it, that introduced `verifier_key`.
pub async fn set_key_introduction(
    conn: impl Into<Conn<'_>>,
    verifier_key: &str,
    statement: &str,
) -> sqlx::Result<()> {
    on_conn!(conn, pool => sqlx::query(
        "UPDATE log_verifier_keys SET introduced_by = $1 WHERE verifier_key = $2",
    )
    .bind(statement)
    .bind(verifier_key)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Every key-change statement, oldest key first.
pub async fn key_changes(conn: impl Into<Conn<'_>>) -> sqlx::Result<Vec<String>> {
    on_conn!(conn, pool => sqlx::query_scalar::<_, String>(
        "SELECT introduced_by FROM log_verifier_keys WHERE introduced_by IS NOT NULL ORDER BY added_at, verifier_key",
    )
    .fetch_all(pool)
    .await)
}

/// Every verifier key that ever signed, newest first.
pub async fn verifier_keys(conn: impl Into<Conn<'_>>) -> sqlx::Result<Vec<String>> {
    on_conn!(conn, pool => sqlx::query_scalar::<_, String>(
        "SELECT verifier_key FROM log_verifier_keys ORDER BY added_at DESC, verifier_key",
    )
    .fetch_all(pool)
    .await)
}
