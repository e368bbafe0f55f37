//! Witnesses' cosignatures on the log's checkpoints (`log_cosignatures`, insert-only): one
//! note signature line per witness and checkpoint size.

use super::{on_conn, ts, Conn};
use time::OffsetDateTime;

/// A cosignature as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CosignatureRow {
    /// The checkpoint's size.
    pub size: i64,
    /// The witness's verifier key.
    pub witness: String,
    /// The note signature line (without its newline).
    pub cosignature: String,
}

/// Records a witness's cosignature of the checkpoint of `size`; a second one of the same
/// witness and size is ignored (another instance got it first).
pub async fn insert(
    conn: impl Into<Conn<'_>>,
    size: u64,
    witness: &str,
    cosignature: &str,
    cosigned_at: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, pool => sqlx::query(
        "INSERT INTO log_cosignatures (size, witness, cosignature, cosigned_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size, witness) DO NOTHING",
    )
    .bind(i64::try_from(size).unwrap_or(i64::MAX))
    .bind(witness)
    .bind(cosignature.trim_end_matches('\n'))
    .bind(ts(cosigned_at))
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The largest size `witness` cosigned, if it ever did.
pub async fn latest_size(conn: impl Into<Conn<'_>>, witness: &str) -> sqlx::Result<Option<i64>> {
    on_conn!(conn, pool => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(size) FROM log_cosignatures WHERE witness = $1",
    )
    .bind(witness)
    .fetch_one(pool)
    .await)
}

/// The cosignatures of the newest checkpoints (newest first, at most `limit` rows): where
/// the newest checkpoint with a quorum is found.
pub async fn newest(conn: impl Into<Conn<'_>>, limit: i64) -> sqlx::Result<Vec<CosignatureRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, CosignatureRow>(
        "SELECT size, witness, cosignature FROM log_cosignatures ORDER BY size DESC, witness LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// The cosignatures of the checkpoint of `size`.
pub async fn at_size(conn: impl Into<Conn<'_>>, size: i64) -> sqlx::Result<Vec<CosignatureRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, CosignatureRow>(
        "SELECT size, witness, cosignature FROM log_cosignatures WHERE size = $1 ORDER BY witness",
    )
    .bind(size)
    .fetch_all(pool)
    .await)
}
