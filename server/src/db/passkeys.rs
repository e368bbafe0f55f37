//! `passkeys` and `staff_sign_ins`: the WebAuthn credentials of staff and owners, and the
//! append-only record of each staff sign-in's factor.

use super::{on_conn, ts, Conn};
use crate::domain::passkey::KeyHolder;
use app::model::{SignInFactor, StaffId};
use time::OffsetDateTime;
use uuid::Uuid;

/// One stored passkey.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PasskeyRow {
    /// Glassbox's id for the key (removal names it).
    pub id: Uuid,
    /// The holder's label.
    pub name: String,
    /// webauthn-rs's `Passkey` as JSON: the public key and the signature counter.
    pub credential: String,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last signed in or confirmed an action.
    pub last_used_at: Option<OffsetDateTime>,
}

fn holder_column(holder: KeyHolder) -> (&'static str, Uuid) {
    match holder {
        KeyHolder::Staff(s) => ("staff_id", s.0),
        KeyHolder::Owner(o) => ("owner_id", o.0),
    }
}

/// The holder's keys, oldest first.
pub async fn list(conn: impl Into<Conn<'_>>, holder: KeyHolder) -> sqlx::Result<Vec<PasskeyRow>> {
    let (column, id) = holder_column(holder);
    let sql = format!(
        "SELECT id, name, credential, created_at, last_used_at FROM passkeys WHERE {column} = $1 ORDER BY created_at, id"
    );
    on_conn!(conn, c => sqlx::query_as::<_, PasskeyRow>(&sql).bind(id).fetch_all(c).await)
}

/// How many keys the holder has.
pub async fn count(conn: impl Into<Conn<'_>>, holder: KeyHolder) -> sqlx::Result<i64> {
    let (column, id) = holder_column(holder);
    let sql = format!("SELECT COUNT(*) FROM passkeys WHERE {column} = $1");
    on_conn!(conn, c => sqlx::query_scalar::<_, i64>(&sql).bind(id).fetch_one(c).await)
}

/// Stores a new key. `false` when its credential id is already stored (the same
/// authenticator registered twice): nothing is written.
pub async fn insert(
    conn: impl Into<Conn<'_>>,
    holder: KeyHolder,
    credential_id: &str,
    name: &str,
    credential: &str,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let (staff, owner) = match holder {
        KeyHolder::Staff(s) => (Some(s.0), None),
        KeyHolder::Owner(o) => (None, Some(o.0)),
    };
    on_conn!(conn, c => sqlx::query(
        "INSERT INTO passkeys (id, staff_id, owner_id, credential_id, name, credential, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(staff)
    .bind(owner)
    .bind(credential_id)
    .bind(name)
    .bind(credential)
    .bind(ts(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Writes a key's new state after a use, only if it is still the state the use was checked
/// against (`previous`): of two uses racing with one counter value, one wins and the other
/// finds the key changed. `false`: nothing written.
pub async fn record_use(
    conn: impl Into<Conn<'_>>,
    id: Uuid,
    previous: &str,
    credential: &str,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_conn!(conn, c => sqlx::query(
        "UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3 AND credential = $4",
    )
    .bind(credential)
    .bind(ts(now))
    .bind(id)
    .bind(previous)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Removes one of the holder's keys; `false` when the holder has no such key (someone
/// else's key is never touched).
pub async fn remove(conn: impl Into<Conn<'_>>, holder: KeyHolder, id: Uuid) -> sqlx::Result<bool> {
    let (column, holder_id) = holder_column(holder);
    let sql = format!("DELETE FROM passkeys WHERE id = $1 AND {column} = $2");
    on_conn!(conn, c => sqlx::query(&sql)
        .bind(id)
        .bind(holder_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Writes down a completed staff sign-in and its factor.
pub async fn record_sign_in(
    conn: impl Into<Conn<'_>>,
    staff: StaffId,
    factor: SignInFactor,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, c => sqlx::query(
        "INSERT INTO staff_sign_ins (staff_id, signed_in_at, factor) VALUES ($1, $2, $3)",
    )
    .bind(staff.0)
    .bind(ts(at))
    .bind(factor.as_str())
    .execute(c)
    .await
    .map(|_| ()))
}
