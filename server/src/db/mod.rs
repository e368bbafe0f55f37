//! The store layer: the only place with SQL. Glassbox runs on SQLite (one file, zero set-up)
//! or PostgreSQL (production, several instances); [`Db`] holds either pool and every store
//! function runs the same SQL text on both (`$1` placeholders work on both).
//!
//! Invariants kept here:
//! - every time written is UTC and truncated to whole seconds ([`ts`]), so SQLite's text
//!   timestamps compare in time order;
//! - `access_events` rows are only ever inserted; the database refuses updates and deletes
//!   (see the triggers in `migrations/*/0001_initial.sql`).

pub mod action_tokens;
pub mod backup;
pub mod changes;
pub mod cosignatures;
pub mod events;
pub mod form_submissions;
pub mod gauges;
pub mod imap;
pub mod incidents;
pub mod legal_holds;
pub mod notices;
pub mod outbox;
pub mod owner_alerts;
pub mod owner_reports;
pub mod owner_rules;
pub mod owners;
pub mod passkeys;
pub mod requests;
pub mod service_tokens;
pub mod staff;
pub mod staff_changes;
pub mod tree;

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds. The body is compiled once
/// per backend, so generic sqlx calls type-check against each.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs `$body` with `$conn` bound to the connection of whichever transaction `$tx` holds.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// Runs `$body` with `$c` bound to the executor of a [`Conn`] (anything `Into<Conn>`: a
/// `&Db` or a `&mut Tx`). The body is compiled once per backend and kind.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $crate::db::Conn::from_any($conn) {
            $crate::db::Conn::SqlitePool($c) => $body,
            $crate::db::Conn::PgPool($c) => $body,
            $crate::db::Conn::SqliteTx($c) => $body,
            $crate::db::Conn::PgTx($c) => $body,
        }
    };
}
pub(crate) use on_conn;

/// A bind parameter of a query assembled at run time (a filtered list: the WHERE clause
/// and its parameters grow together, `$n` numbered by `params.len()`).
pub(crate) enum Param {
    Uuid(uuid::Uuid),
    Text(String),
    Time(OffsetDateTime),
    Int(i64),
}

/// Binds `$params` (a slice of [`Param`]) to `$query` in order.
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for p in $params {
            q = match p {
                $crate::db::Param::Uuid(v) => q.bind(*v),
                $crate::db::Param::Text(v) => q.bind(v.clone()),
                $crate::db::Param::Time(v) => q.bind(*v),
                $crate::db::Param::Int(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// Where a store function runs: on the pool (each statement on its own connection, seeing
/// what is committed) or inside a transaction (seeing and locking what the transaction
/// decides on). Store functions that read take `impl Into<Conn>`, so reading inside the
/// deciding transaction is the same call as reading outside it: pass `&mut tx` instead of
/// `&db`.
#[derive(Debug)]
pub enum Conn<'c> {
    /// The SQLite pool.
    SqlitePool(&'c SqlitePool),
    /// The PostgreSQL pool.
    PgPool(&'c PgPool),
    /// A SQLite transaction's connection.
    SqliteTx(&'c mut sqlx::SqliteConnection),
    /// A PostgreSQL transaction's connection.
    PgTx(&'c mut sqlx::PgConnection),
}

impl<'c> From<&'c Db> for Conn<'c> {
    fn from(db: &'c Db) -> Self {
        match db {
            Db::Sqlite(p) => Conn::SqlitePool(p),
            Db::Postgres(p) => Conn::PgPool(p),
        }
    }
}

impl<'c> From<&'c mut Tx> for Conn<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Sqlite(t) => Conn::SqliteTx(t),
            Tx::Postgres(t) => Conn::PgTx(t),
        }
    }
}

impl<'c> Conn<'c> {
    /// Anything that is a connection (the macros' entry).
    pub fn from_any(c: impl Into<Conn<'c>>) -> Self {
        c.into()
    }
}

impl Conn<'_> {
    /// The same connection for one more statement.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::SqlitePool(p) => Conn::SqlitePool(p),
            Conn::PgPool(p) => Conn::PgPool(p),
            Conn::SqliteTx(c) => Conn::SqliteTx(c),
            Conn::PgTx(c) => Conn::PgTx(c),
        }
    }

    /// The locking clause that makes a concurrent change of the rows read wait for this
    /// transaction: `FOR SHARE` in a PostgreSQL transaction; nothing on SQLite (a
    /// transaction there holds the write lock from `BEGIN IMMEDIATE`) or on a pool.
    pub fn share_lock(&self) -> &'static str {
        match self {
            Conn::PgTx(_) => " FOR SHARE",
            _ => "",
        }
    }
}

/// An open transaction on either backend. Every write goes through one, so a use case
/// commits all of its changes or none.
#[derive(Debug)]
pub enum Tx {
    /// SQLite.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    /// Makes every change durable.
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// Undoes every change and ends the transaction now (on SQLite this frees the write
    /// lock at once, where dropping the transaction would hold it until the connection is
    /// next used).
    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

/// A connection pool to the configured database.
#[derive(Clone, Debug)]
pub enum Db {
    /// A SQLite file (WAL, foreign keys on, `synchronous=FULL`).
    Sqlite(SqlitePool),
    /// A PostgreSQL server.
    Postgres(PgPool),
}

/// Which database a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). A SQLite file and its folder are
    /// created when missing.
    pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<Self> {
        let url = url.expose_secret();
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() && path != ":memory:" {
                    std::fs::create_dir_all(parent).with_context(|| {
                        format!("could not create the database folder {}", parent.display())
                    })?;
                }
            }
            let pool = sqlite_pool_options(max_connections)
                .connect_with(sqlite_options(url)?)
                .await
                .context("could not open the SQLite database")?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .context("GLASSBOX__DATABASE__URL is not a valid postgres:// URL")?;
            // While PostgreSQL is down, a connection attempt is retried (with back-off, at
            // most a second apart) until the acquire timeout; so the pool reconnects within
            // about a second of a restart. Each connection is tested before it is handed
            // out, so one that died with the server is replaced, not used. A caller waits
            // at most the acquire timeout and then fails closed ("unavailable").
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(PG_ACQUIRE_TIMEOUT)
                .test_before_acquire(true)
                .connect_with(options)
                .await
                .context("could not connect to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!("GLASSBOX__DATABASE__URL must start with sqlite:// or postgres://")
        }
    }

    /// Applies every pending migration for this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await,
        }
        .context("could not apply the database migrations")
    }

    /// Starts a transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock at
    /// once (waiting up to the busy timeout), so a use case that reads then writes never
    /// fails half-way on a lock upgrade.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// How long a caller waits for a PostgreSQL connection before it fails closed.
const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The options every SQLite connection opens with: the file created when missing, WAL,
/// `synchronous=FULL`, foreign keys on, a 10 s busy timeout.
pub fn sqlite_options(url: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)
        .context("GLASSBOX__DATABASE__URL is not a valid sqlite:// URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

/// The pool every SQLite database is opened with. A transaction that SQLite rolled back by
/// itself (on a full disk or an I/O error, SQLite may end the transaction at the failing
/// statement) is still counted as open by sqlx: the ROLLBACK of the dropped transaction
/// then fails, and every later `BEGIN` on that connection would be refused ("non-zero
/// transaction depth"). Such a connection is closed, not handed out again, so the service
/// recovers by itself once space returns.
pub fn sqlite_pool_options(max_connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .before_acquire(|conn, _| {
            Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
        })
}

/// The database could not take the work now, so nothing was changed: it cannot be reached
/// (down, restarting, refusing connections), or it is out of disk space or memory, or it
/// stayed busy past the timeout. A caller answers "unavailable, retry later" (HTTP 503)
/// instead of "internal error", and never acts as if the work was done.
#[derive(Debug, thiserror::Error)]
#[error("the database is unavailable: {0}")]
pub struct Unavailable(pub String);

/// Whether `e` is a [`Unavailable`] failure of the database (see there).
pub fn is_unavailable_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // 08: connection exception; 53: insufficient resources (53100 disk full);
                // 57P: shutting down, crashed, starting up; 58030: I/O error.
                let code = pg.code();
                code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("57P")
                    || code == "58030"
            } else {
                // SQLite's primary result codes (the low byte of the extended code):
                // BUSY, LOCKED, NOMEM, IOERR, FULL, CANTOPEN.
                d.code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(|c| matches!(c & 0xff, 5 | 6 | 7 | 10 | 13 | 14))
            }
        }
        _ => false,
    }
}

/// Whether anything in `e`'s chain of causes is an [`Unavailable`] failure.
pub fn is_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<Unavailable>().is_some()
            || cause
                .downcast_ref::<sqlx::Error>()
                .is_some_and(is_unavailable_error)
    })
}

/// A time as the store writes it: UTC, whole seconds.
pub fn ts(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// SQL: request `request_col` is not under a legal hold whose notice is still sealed (an
/// `access_requests.id` or `access_events.request_id` expression; NULL passes). The one
/// condition every owner-facing query adds, so nothing under a sealed notice reaches an
/// owner before its release (see [`legal_holds`]).
pub fn not_held(request_col: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM legal_holds lh WHERE lh.request_id = {request_col} AND lh.released_at IS NULL)"
    )
}

/// A row that does not make sense (a status or scope the code does not know): the database
/// was changed outside Glassbox.
#[derive(Debug, thiserror::Error)]
#[error("corrupt row in {table}: {detail}")]
pub struct CorruptRow {
    /// The table.
    pub table: &'static str,
    /// What was wrong.
    pub detail: String,
}

/// Runs a `SELECT COUNT(*)`-style query returning one integer (test support: the API tests
/// inspect the database directly).
#[doc(hidden)]
pub async fn on_pool_for_tests(db: &Db, sql: &str) -> i64 {
    let result = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await);
    result.unwrap_or_else(|e| panic!("test query failed: {sql}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_database_that_cannot_take_work_is_unavailable_and_a_wrong_query_is_not() {
        assert!(is_unavailable_error(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable_error(&sqlx::Error::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionReset)
        )));
        assert!(!is_unavailable_error(&sqlx::Error::RowNotFound));
        let wrapped = anyhow::Error::from(sqlx::Error::PoolClosed).context("could not queue");
        assert!(is_unavailable(&wrapped), "found through the context");
        assert!(is_unavailable(&anyhow::Error::new(Unavailable("x".into()))));
        assert!(!is_unavailable(&anyhow::anyhow!("the tree lacks a hash")));
    }

    #[tokio::test]
    async fn a_full_sqlite_database_is_unavailable() {
        let db = Db::connect(&SecretString::from("sqlite::memory:"), 1)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let Db::Sqlite(pool) = &db else {
            unreachable!("SQLite")
        };
        let mut conn = pool.acquire().await.unwrap_or_else(|e| panic!("{e}"));
        for sql in ["CREATE TABLE t (x TEXT)", "PRAGMA max_page_count = 2"] {
            sqlx::query(sql)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let full = sqlx::query("INSERT INTO t VALUES (zeroblob(100000))")
            .execute(&mut *conn)
            .await
            .err();
        assert!(full.as_ref().is_some_and(is_unavailable_error), "{full:?}");
    }

    #[test]
    fn stored_times_are_utc_whole_seconds() {
        let t = datetime!(2026-11-29 23:59:59.999 +02:00);
        assert_eq!(ts(t), datetime!(2026-11-29 21:59:59 UTC));
        assert_eq!(ts(t).offset(), time::UtcOffset::UTC);
    }
}
