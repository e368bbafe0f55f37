//! Service tokens: the mail system's credentials for the API. Only a keyed hash of each
//! token is stored; the token itself is shown once, at creation.

use super::{on_conn, on_tx, ts, Conn, Tx};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A stored token, without its secret.
#[derive(Clone, Debug, FromRow)]
pub struct ServiceTokenRow {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// Its name (who uses it).
    pub name: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Stores a new token's hash under `name`.
pub async fn insert(
    tx: &mut Tx,
    id: Uuid,
    name: &str,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO service_tokens (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(name)
    .bind(token_hash)
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|_| ()))
}

/// The live (not revoked) token with this hash.
pub async fn find_live_by_hash(
    conn: impl Into<Conn<'_>>,
    token_hash: &[u8],
) -> sqlx::Result<Option<ServiceTokenRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, ServiceTokenRow>(
        "SELECT id, name, revoked_at FROM service_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await)
}

/// Whether the token with this id is live, within the log writer's batch transaction. On
/// PostgreSQL the row is read `FOR SHARE`: a revocation waits until the batch has
/// committed, and a batch waits for a revocation in progress and then sees it (the same
/// guarantee as the grants). On SQLite the batch already holds the write lock.
pub async fn is_live(conn: impl Into<Conn<'_>>, id: Uuid) -> sqlx::Result<bool> {
    let conn = conn.into();
    let sql = format!(
        "SELECT revoked_at FROM service_tokens WHERE id = $1{}",
        conn.share_lock()
    );
    let revoked: Option<Option<OffsetDateTime>> =
        on_conn!(conn, c => sqlx::query_scalar(&sql).bind(id).fetch_optional(c).await)?;
    Ok(matches!(revoked, Some(None)))
}

/// Revokes the token named `name`; returns whether one was live.
pub async fn revoke(
    conn: impl Into<Conn<'_>>,
    name: &str,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_conn!(conn, c => sqlx::query(
        "UPDATE service_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
    )
    .bind(ts(now))
    .bind(name)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Revokes the token with id `id`; returns whether it was live.
pub async fn revoke_by_id(
    conn: impl Into<Conn<'_>>,
    id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_conn!(conn, c => sqlx::query(
        "UPDATE service_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(ts(now))
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Every token, by name.
pub async fn list(conn: impl Into<Conn<'_>>) -> sqlx::Result<Vec<ServiceTokenRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, ServiceTokenRow>(
        "SELECT id, name, revoked_at FROM service_tokens ORDER BY name",
    )
    .fetch_all(pool)
    .await)
}
