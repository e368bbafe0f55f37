//! Consistent online copies of a SQLite database (`VACUUM INTO`: a snapshot of one read
//! transaction, so writers carry on and the copy is never half a batch).

use super::Db;
use anyhow::Context as _;
use std::path::Path;

/// Writes a consistent copy of the SQLite database to `to` (which must not exist).
/// PostgreSQL has its own tool for this: the error says which.
pub async fn vacuum_into(db: &Db, to: &Path) -> anyhow::Result<()> {
    let Db::Sqlite(pool) = db else {
        anyhow::bail!(
            "on PostgreSQL, take backups with pg_dump: `pg_dump --format=custom --file {} \"$GLASSBOX__DATABASE__URL\"` (restore with pg_restore into an empty database)",
            to.display()
        );
    };
    let target = to
        .to_str()
        .context("the backup file's path must be valid UTF-8")?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await
        .with_context(|| format!("could not write the backup to {}", to.display()))?;
    Ok(())
}

/// SQLite's own check of a database file: `Ok` when `PRAGMA integrity_check` says `ok`.
pub async fn integrity_check(db: &Db) -> anyhow::Result<()> {
    let Db::Sqlite(pool) = db else {
        return Ok(());
    };
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .context("could not check the database file")?;
    anyhow::ensure!(verdict == "ok", "the database file is damaged: {verdict}");
    Ok(())
}
