//! `glassbox backup FILE` and `glassbox restore FILE`. A backup is a consistent online copy
//! of the SQLite database; a restore puts one back in place of the configured database,
//! after checking that the copy is whole and its log verifies against its own latest
//! checkpoint, and — given the last checkpoint someone outside saw (a witness, an owner's
//! browser, a monitor) — that it does not roll the log back. An older copy would make
//! Glassbox serve a log shorter than one already shown to others: the log's whole promise
//! is that this is detected, so a restore refuses it unless told it is deliberate.

use crate::db::{backup, tree, Db};
use crate::transparency::proofs;
use crate::verify::{self as verifier, Verdict};
use anyhow::Context as _;
use glassbox_log::VerifierKey;
use secrecy::SecretString;
use std::path::{Path, PathBuf};

/// What a backup holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    /// Where it was written.
    pub file: PathBuf,
    /// The log's size in the copy's latest signed checkpoint (0: none yet).
    pub checkpoint_size: u64,
}

/// Writes a consistent copy of `db` to `to` and checks it opens and verifies.
pub async fn backup(db: &Db, to: &Path) -> anyhow::Result<BackupReport> {
    anyhow::ensure!(
        !to.exists(),
        "{} already exists: choose a new file name (a backup never overwrites)",
        to.display()
    );
    backup::vacuum_into(db, to).await?;
    let copy = open(to).await?;
    backup::integrity_check(&copy).await?;
    let checkpoint_size = tree::latest_checkpoint(&copy)
        .await?
        .map_or(0, |c| c.size as u64);
    copy.close().await;
    Ok(BackupReport {
        file: to.to_path_buf(),
        checkpoint_size,
    })
}

/// Why a restore was refused.
#[derive(Debug, thiserror::Error)]
pub enum RestoreRefused {
    /// The copy's log is shorter than, or different from, a checkpoint seen outside.
    #[error("{0}")]
    Rollback(String),
    /// The copy is damaged or its log does not verify.
    #[error("{0}")]
    Damaged(String),
}

/// What a restore found and did.
#[derive(Clone, Debug)]
pub struct RestoreReport {
    /// The log's size in the restored copy's latest checkpoint.
    pub checkpoint_size: u64,
    /// Whether it was compared with a checkpoint seen outside.
    pub checked_against_seen: bool,
}

/// Restores the SQLite backup `from` over the database file at `database_url` (the server
/// must be stopped). `seen` is the last signed checkpoint note someone outside saw; a copy
/// whose log does not contain it is refused unless `accept_rollback`.
pub async fn restore(
    database_url: &SecretString,
    from: &Path,
    seen: Option<&str>,
    accept_rollback: bool,
) -> Result<RestoreReport, anyhow::Error> {
    let target = sqlite_file(database_url)?;
    let copy = open(from).await?;
    backup::integrity_check(&copy)
        .await
        .map_err(|e| RestoreRefused::Damaged(format!("{e:#}")))?;
    let key = crate::transparency::keys::known_keys(&copy).await?;
    anyhow::ensure!(!key.is_empty(), "the backup holds no log key");
    match verifier::database(&copy, &key).await? {
        Verdict::Verified(_) => {}
        Verdict::Failed(why) => {
            return Err(
                RestoreRefused::Damaged(format!("the backup's log does not verify: {why}")).into(),
            )
        }
    }
    let checkpoint_size = tree::latest_checkpoint(&copy)
        .await?
        .map_or(0, |c| c.size as u64);
    if let Some(note) = seen {
        if let Err(why) = contains_seen(&copy, &key, note, checkpoint_size).await? {
            if !accept_rollback {
                return Err(RestoreRefused::Rollback(why).into());
            }
            tracing::warn!(problem = %why, "restoring a backup that rolls the log back, as asked");
        }
    }
    copy.close().await;
    // Replace the file in one rename; the old write-ahead log must not be replayed over it.
    let staged = target.with_extension("restoring");
    std::fs::copy(from, &staged)
        .with_context(|| format!("could not copy the backup next to {}", target.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side)
                .with_context(|| format!("could not remove {}", side.display()))?;
        }
    }
    std::fs::rename(&staged, &target)
        .with_context(|| format!("could not put the backup in place of {}", target.display()))?;
    Ok(RestoreReport {
        checkpoint_size,
        checked_against_seen: seen.is_some(),
    })
}

/// `Ok(Err(why))` when the copy's log does not contain the checkpoint `note` (shorter, or
/// a different tree at that size).
async fn contains_seen(
    copy: &Db,
    key: &[VerifierKey],
    note: &str,
    copy_size: u64,
) -> anyhow::Result<Result<(), String>> {
    let (seen, _) = glassbox_log::open_with_any(key, note).map_err(|e| {
        anyhow::anyhow!("the seen checkpoint does not verify with the log's key: {e}")
    })?;
    if copy_size < seen.size {
        return Ok(Err(format!(
            "rollback: the backup's log has {copy_size} entries, but a checkpoint of {} entries was already seen outside; restoring it would show people a log that lost entries they may have been shown",
            seen.size
        )));
    }
    let root = proofs::root(copy, seen.size).await?;
    if root != seen.root {
        return Ok(Err(format!(
            "fork: the backup's log at size {} is not the log that was seen outside",
            seen.size
        )));
    }
    Ok(Ok(()))
}

async fn open(file: &Path) -> anyhow::Result<Db> {
    anyhow::ensure!(file.exists(), "{} does not exist", file.display());
    Db::connect(
        &SecretString::from(format!("sqlite://{}", file.display())),
        2,
    )
    .await
}

fn sqlite_file(url: &SecretString) -> anyhow::Result<PathBuf> {
    use secrecy::ExposeSecret as _;
    let url = url.expose_secret();
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context(
            "restore puts back SQLite backups; on PostgreSQL use pg_restore into an empty database",
        )?;
    Ok(PathBuf::from(rest.split('?').next().unwrap_or_default()))
}
