//! The pages' form idempotency keys (`form_submissions`, migration 0009): a key is claimed
//! in the transaction of the change its form makes, so it is stored exactly when that
//! change commits. Of two submissions racing with one key, the second's claim waits for the
//! first transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the primary key's insert lock)
//! and then finds the key taken.

use super::{on_pool, on_tx, ts, Db, Tx};
use app::model::{FormKey, RequestId};
use time::OffsetDateTime;
use uuid::Uuid;

/// Claims `key` for `actor` with the request its form acts on; false when that actor
/// already used the key (the form was submitted before).
pub async fn claim(
    tx: &mut Tx,
    actor: Uuid,
    key: &FormKey,
    request: RequestId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO form_submissions (actor_id, form_key, request_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (actor_id, form_key) DO NOTHING",
    )
    .bind(actor)
    .bind(key.as_str())
    .bind(request.0)
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// The request the first submission of `key` by `actor` made or changed.
pub async fn first_request(db: &Db, actor: Uuid, key: &FormKey) -> sqlx::Result<Option<RequestId>> {
    on_pool!(db, pool => sqlx::query_scalar::<_, Uuid>(
        "SELECT request_id FROM form_submissions WHERE actor_id = $1 AND form_key = $2",
    )
    .bind(actor)
    .bind(key.as_str())
    .fetch_optional(pool)
    .await
    .map(|r| r.map(RequestId)))
}

/// When the first submission of `key` by `actor` was stored (the time of its change).
pub async fn first_at(db: &Db, actor: Uuid, key: &FormKey) -> sqlx::Result<Option<OffsetDateTime>> {
    on_pool!(db, pool => sqlx::query_scalar::<_, OffsetDateTime>(
        "SELECT created_at FROM form_submissions WHERE actor_id = $1 AND form_key = $2",
    )
    .bind(actor)
    .bind(key.as_str())
    .fetch_optional(pool)
    .await)
}
