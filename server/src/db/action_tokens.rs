//! Action tokens: the secrets in email links. Only a keyed hash is stored; a token is bound
//! to one purpose, one owner and (for request links) one request, expires, is used once,
//! and dies with its request (`revoke_for_request`, called in every transaction that moves
//! a request out of `pending`).

use super::{on_pool, on_tx, ts, Db, Tx};
use app::model::{OwnerId, RequestId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// A token as stored.
#[derive(Clone, Debug, FromRow)]
pub struct ActionTokenRow {
    /// What it may be used for (`decide_request`, `unsubscribe_digest`).
    pub purpose: String,
    /// Whose it is.
    pub owner_id: Uuid,
    /// The request it is about, if any.
    pub request_id: Option<Uuid>,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// When it was used (or revoked).
    pub used_at: Option<OffsetDateTime>,
}

/// Stores a new token's hash.
pub async fn insert(
    tx: &mut Tx,
    token_hash: &[u8],
    purpose: &str,
    owner: OwnerId,
    request: Option<RequestId>,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO action_tokens (token_hash, purpose, owner_id, request_id, expires_at, used_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6)",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(owner.0)
    .bind(request.map(|r| r.0))
    .bind(ts(expires_at))
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|_| ()))
}

/// The token with this hash, whatever its state.
pub async fn find(db: &Db, token_hash: &[u8]) -> sqlx::Result<Option<ActionTokenRow>> {
    on_pool!(db, pool => sqlx::query_as::<_, ActionTokenRow>(
        "SELECT purpose, owner_id, request_id, expires_at, used_at FROM action_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await)
}

/// Uses the token inside the caller's transaction: only if it has this purpose, is unused
/// and has not expired at `now`. Returns whether it was used now (false: somebody used it
/// first, or it is no longer valid).
pub async fn consume(
    tx: &mut Tx,
    token_hash: &[u8],
    purpose: &str,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE action_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(ts(now))
    .bind(token_hash)
    .bind(purpose)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Ends every unused token of a request (it was decided, expired or cancelled).
pub async fn revoke_for_request(
    tx: &mut Tx,
    request: RequestId,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE action_tokens SET used_at = $1 WHERE request_id = $2 AND used_at IS NULL",
    )
    .bind(ts(now))
    .bind(request.0)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))
}
