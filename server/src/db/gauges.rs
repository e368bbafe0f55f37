//! What the metrics endpoint reports about the stored state: emails waiting, live sessions,
//! the log's size and its newest checkpoint, and the notices legal holds keep back.

use super::{on_pool, Db};
use time::OffsetDateTime;

/// The store's figures at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredFigures {
    /// Outbox rows by status (`queued`, `sending`, `sent`, `failed`).
    pub outbox: Vec<(String, i64)>,
    /// When the oldest email still waiting became due.
    pub oldest_due: Option<OffsetDateTime>,
    /// Sessions that have not expired.
    pub sessions: i64,
    /// When the newest checkpoint was signed.
    pub newest_checkpoint_at: Option<OffsetDateTime>,
    /// The log's size in that checkpoint.
    pub newest_checkpoint_size: i64,
    /// Dovecot kicks not yet confirmed.
    pub kicks_pending: i64,
    /// Owners' notices sealed under a legal hold and not yet released.
    pub holds_sealed: i64,
    /// Legal holds whose release date has come but that are not released yet: above 0 for
    /// more than a notice round (or, for an access still waiting for its second admin, an
    /// hour), an owner's notice is late.
    pub holds_due: i64,
}

/// Reads the figures (a few small indexed queries).
pub async fn read(db: &Db, now: OffsetDateTime) -> sqlx::Result<StoredFigures> {
    let outbox: Vec<(String, i64)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status",
    ).fetch_all(pool).await)?;
    let oldest_due: Option<OffsetDateTime> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'",
    ).fetch_one(pool).await)?;
    let sessions: i64 = match db {
        Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions WHERE expiry_date > $1")
                .bind(now.unix_timestamp())
                .fetch_one(pool)
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions.session WHERE expiry_date > $1")
                .bind(now)
                .fetch_one(pool)
                .await?
        }
    };
    let newest: Option<(i64, OffsetDateTime)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT size, signed_at FROM log_checkpoints ORDER BY size DESC LIMIT 1",
    ).fetch_optional(pool).await)?;
    let kicks_pending: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM imap_kicks WHERE done_at IS NULL",
    ).fetch_one(pool).await)?;
    let today = crate::domain::legal_hold::format_date(now.to_offset(time::UtcOffset::UTC).date());
    let (holds_sealed, holds_due): (i64, i64) = on_pool!(db, pool => sqlx::query_as(
        "SELECT COUNT(CASE WHEN sealed_at IS NOT NULL THEN 1 END), COUNT(CASE WHEN release_on <= $1 THEN 1 END) \
         FROM legal_holds WHERE released_at IS NULL",
    ).bind(&today).fetch_one(pool).await)?;
    Ok(StoredFigures {
        kicks_pending,
        holds_sealed,
        holds_due,
        outbox,
        oldest_due,
        sessions,
        newest_checkpoint_at: newest.map(|(_, at)| at),
        newest_checkpoint_size: newest.map_or(0, |(size, _)| size),
    })
}
