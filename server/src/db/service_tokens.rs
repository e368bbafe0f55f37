//! Service tokens: the mail system's credentials for the API. Only a keyed hash of each
//! token is stored; the token itself is shown once, at creation.

use super::{on_pool, on_tx, ts, Db, Tx};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A stored token, without its secret.
#[derive(Clone, Debug, FromRow)]
pub struct ServiceTokenRow {
    /// Id.
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
    db: &Db,
    token_hash: &[u8],
) -> sqlx::Result<Option<ServiceTokenRow>> {
    on_pool!(db, pool => sqlx::query_as::<_, ServiceTokenRow>(
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
pub async fn is_live(tx: &mut Tx, id: Uuid) -> sqlx::Result<bool> {
    let revoked: Option<Option<OffsetDateTime>> = match tx {
        Tx::Sqlite(t) => {
            sqlx::query_scalar("SELECT revoked_at FROM service_tokens WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_scalar("SELECT revoked_at FROM service_tokens WHERE id = $1 FOR SHARE")
                .bind(id)
                .fetch_optional(&mut **t)
                .await?
        }
    };
    Ok(matches!(revoked, Some(None)))
}

const REVOKE: &str =
    "UPDATE service_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL";

/// Revokes the token named `name`; returns whether one was live.
pub async fn revoke(db: &Db, name: &str, now: OffsetDateTime) -> sqlx::Result<bool> {
    on_pool!(db, pool => sqlx::query(REVOKE)
    .bind(ts(now))
    .bind(name)
    .execute(pool)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// As [`revoke`], within the caller's transaction.
pub async fn revoke_in(tx: &mut Tx, name: &str, now: OffsetDateTime) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(REVOKE)
    .bind(ts(now))
    .bind(name)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Every token, by name.
pub async fn list(db: &Db) -> sqlx::Result<Vec<ServiceTokenRow>> {
    on_pool!(db, pool => sqlx::query_as::<_, ServiceTokenRow>(
        "SELECT id, name, revoked_at FROM service_tokens ORDER BY name",
    )
    .fetch_all(pool)
    .await)
}
