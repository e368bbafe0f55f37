//! The log's signing key, kept in a file apart from the database
//! (`GLASSBOX__LOG__SIGNING_KEY_FILE`), and the public verifier keys of every key that ever
//! signed a checkpoint, kept in the database so old checkpoints verify after a rotation.

use super::signer::{ExternalSigner, LogSigner, NoteSigner as _};
use crate::config::{Environment, Settings};
use crate::db::tree as store;
use crate::db::Db;
use crate::domain::clock::Clock;
use anyhow::Context as _;
use glassbox_log::{CheckpointSigner, VerifierKey};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Loads the checkpoint signer from the key file, in this order:
/// - the file exists: it must be readable by its owner only; a leftover database row
///   (from before key files) is retired, its public key kept;
/// - the database still holds the key (an installation from before key files): its secret
///   is written to the file (0600, synced) first, its public key recorded, and only then
///   the row deleted, so a crash in between loses nothing;
/// - neither, and the log never signed: in local mode a new key is made (the demo needs no
///   setup); in production the server refuses to start and says how to make one;
/// - neither, but the log signed before: the server refuses to start (a new key made here
///   would quietly rotate the log's key).
///
/// The current key's verifier key is recorded among the known keys.
pub async fn load_signer(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
) -> anyhow::Result<CheckpointSigner> {
    let path = settings.log.signing_key_file_for(&settings.data_dir);
    let origin = settings.log.origin_for(&settings.public_url);
    let row = store::signing_key(db).await?;
    let signer = if path.exists() {
        read_key_file(&path)?
    } else if let Some((name, secret)) = &row {
        let signer = row_signer(name, secret)?;
        write_new_key_file(&path, &signer)?;
        tracing::info!(path = %path.display(), "moved the log signing key from the database into its key file");
        signer
    } else if let Some(known) = store::verifier_keys(db).await?.first() {
        // A log that has signed before lost its key file (or is started from another
        // directory): making a new key here would quietly rotate it.
        anyhow::bail!(
            "the log signing key file {} does not exist, but this log was signed with {known}; point GLASSBOX__LOG__SIGNING_KEY_FILE at its key file, or make a new key with `glassbox log keygen --out {}` (its checkpoints will then be signed by the new key; old ones keep verifying)",
            path.display(),
            path.display()
        );
    } else if settings.environment == Environment::Local {
        let signer = CheckpointSigner::new(&origin, &new_secret())
            .map_err(|e| anyhow::anyhow!("log signing key for {origin}: {e}"))?;
        write_new_key_file(&path, &signer)?;
        tracing::info!(path = %path.display(), "made a new log signing key");
        signer
    } else {
        anyhow::bail!(
            "the log signing key file {} does not exist; make it with `glassbox log keygen --out {}` (or set GLASSBOX__LOG__SIGNING_KEY_FILE to where it is)",
            path.display(),
            path.display()
        );
    };
    if let Some((name, secret)) = &row {
        // The secret is in the file now (or the file holds a newer key): keep the row's
        // public key so what it signed still verifies, then retire the row.
        let old = row_signer(name, secret)?.verifier_key();
        store::insert_verifier_key_if_absent(db, &old.to_string(), clock.now()).await?;
        if old != signer.verifier_key() {
            tracing::warn!(retired = %old, "the database held another log signing key than the key file; its public key is kept, its secret retired");
        }
        store::delete_signing_key(db).await?;
    }
    store::insert_verifier_key_if_absent(db, &signer.verifier_key().to_string(), clock.now())
        .await?;
    if signer.name() != origin {
        tracing::warn!(log.name = %signer.name(), configured = %origin, "the log keeps the name it was created with; GLASSBOX__LOG__ORIGIN is ignored");
    }
    Ok(signer)
}

/// The log's signer: the external signer when `GLASSBOX__LOG__SIGNER_COMMAND` is set, else
/// the key file ([`load_signer`]). The external signer's key must be one that signed this
/// log before, or the log's first; moving from a key file to an external signer is a
/// rotation: the key file's key signs a key-change statement naming the external key (so
/// pinned browsers follow), and only then does the external signer sign.
pub async fn load_log_signer(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
) -> anyhow::Result<LogSigner> {
    let command = settings.log.signer_command();
    if command.is_empty() {
        return Ok(LogSigner::File(load_signer(db, clock, settings).await?));
    }
    let known = store::verifier_keys(db).await?;
    // A log keeps its name: the name of the keys it signed with, else the configured one.
    let name = known
        .first()
        .and_then(|k| VerifierKey::parse(k).ok())
        .map(|k| k.name().to_string())
        .unwrap_or_else(|| settings.log.origin_for(&settings.public_url));
    let external = ExternalSigner::start(&command, &name).await?;
    let key = external.verifier_key().to_string();
    if !known.is_empty() && !known.contains(&key) {
        let path = settings.log.signing_key_file_for(&settings.data_dir);
        anyhow::ensure!(
            path.exists(),
            "the external signer's key {key} never signed this log, and no key file ({}) is there to hand over to it; a log may only change keys with a statement signed by its old key",
            path.display()
        );
        let old = read_key_file(&path)?;
        anyhow::ensure!(
            known.contains(&old.verifier_key().to_string()),
            "neither the external signer's key nor the key file's signed this log before"
        );
        store::insert_verifier_key_if_absent(db, &key, clock.now()).await?;
        let statement = old.sign_key_change(&external.verifier_key());
        store::set_key_introduction(db, &key, &statement).await?;
        tracing::warn!(old = %old.verifier_key(), new = %key, "the log's key moved from the key file to the external signer; the key file's key signed the hand-over. Keep the key file offline, or destroy it.");
    }
    store::insert_verifier_key_if_absent(db, &key, clock.now()).await?;
    Ok(LogSigner::External(external))
}

/// The text of a secret key file (`what` names it in errors), refusing one that others than
/// its owner can read or write: the log's signing key, a witness's key.
pub fn read_owner_only(path: &Path, what: &str) -> anyhow::Result<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("could not read {}", path.display()))?
            .permissions()
            .mode();
        anyhow::ensure!(
            mode & 0o077 == 0,
            "the {what} {} can be read by others than its owner (mode {:04o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o7777,
            path.display()
        );
    }
    std::fs::read_to_string(path)
        .with_context(|| format!("could not read the {what} {}", path.display()))
}

/// Reads a key file, refusing one that others than its owner can read or write.
pub fn read_key_file(path: &Path) -> anyhow::Result<CheckpointSigner> {
    let text = read_owner_only(path, "log signing key file")?;
    CheckpointSigner::from_key_file(&text).map_err(|e| {
        anyhow::anyhow!(
            "the log signing key file {} is damaged: {e}",
            path.display()
        )
    })
}

/// `glassbox log keygen`: makes a new key named `name` in `path`, which must not exist.
pub fn keygen(path: &Path, name: &str) -> anyhow::Result<CheckpointSigner> {
    let signer = CheckpointSigner::new(name, &new_secret())
        .map_err(|e| anyhow::anyhow!("log signing key for {name}: {e}"))?;
    write_new_key_file(path, &signer)?;
    Ok(signer)
}

/// What [`rotate`] did.
pub struct Rotation {
    /// The key that signed until now.
    pub old: VerifierKey,
    /// The key that signs from the next start on.
    pub new: VerifierKey,
    /// Where the old secret was kept (mode 0600): destroy it once nothing needs it.
    pub retired: PathBuf,
}

/// `glassbox log rotate-key`: a new key of the same name takes the old one's place in the
/// key file; both public keys are known, so checkpoints signed by either verify, and the old
/// key signs a statement naming the new one, so a browser that pinned it can follow. The new
/// public key is recorded before the file changes, and the file is replaced in one rename,
/// so the path always holds a whole key, old or new.
pub async fn rotate(db: &Db, clock: &Clock, path: &Path) -> anyhow::Result<Rotation> {
    let old = read_key_file(path)?;
    let new = CheckpointSigner::new(old.name(), &new_secret())
        .map_err(|e| anyhow::anyhow!("log signing key: {e}"))?;
    store::insert_verifier_key_if_absent(db, &old.verifier_key().to_string(), clock.now()).await?;
    store::insert_verifier_key_if_absent(db, &new.verifier_key().to_string(), clock.now()).await?;
    // The old key vouches for the new one: a browser that pinned it follows the change.
    let statement = old.sign_key_change(&new.verifier_key());
    store::set_key_introduction(db, &new.verifier_key().to_string(), &statement).await?;
    let retired = sibling(path, &format!("retired-{}", clock.now().unix_timestamp()));
    std::fs::hard_link(path, &retired)
        .with_context(|| format!("could not keep the old key as {}", retired.display()))?;
    let staged = sibling(path, "new");
    write_synced(&staged, &new.to_key_file())?;
    std::fs::rename(&staged, path)
        .with_context(|| format!("could not put the new key in {}", path.display()))?;
    sync_dir(path)?;
    Ok(Rotation {
        old: old.verifier_key(),
        new: new.verifier_key(),
        retired,
    })
}

/// Every verifier key that ever signed this log's checkpoints, newest first.
pub async fn known_keys(db: &Db) -> anyhow::Result<Vec<VerifierKey>> {
    let mut keys = Vec::new();
    for k in store::verifier_keys(db).await? {
        keys.push(
            VerifierKey::parse(&k)
                .map_err(|e| anyhow::anyhow!("a stored verifier key is malformed ({k}): {e}"))?,
        );
    }
    if keys.is_empty() {
        // A database from before key files whose server has not started since.
        if let Some((name, secret)) = store::signing_key(db).await? {
            keys.push(row_signer(&name, &secret)?.verifier_key());
        }
    }
    Ok(keys)
}

fn row_signer(name: &str, secret: &[u8]) -> anyhow::Result<CheckpointSigner> {
    let secret: [u8; 32] = secret
        .try_into()
        .map_err(|_| anyhow::anyhow!("the stored log signing key is not 32 bytes"))?;
    CheckpointSigner::new(name, &secret).map_err(|e| anyhow::anyhow!("log signing key: {e}"))
}

fn new_secret() -> [u8; 32] {
    use rand::RngCore as _;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

/// Writes the key to a staged file (0600, synced), then links it into place, which fails
/// if `path` exists: a key file is never overwritten.
fn write_new_key_file(path: &Path, signer: &CheckpointSigner) -> anyhow::Result<()> {
    anyhow::ensure!(
        !path.exists(),
        "{} already exists; a key file is never overwritten (move it away first, or use `glassbox log rotate-key`)",
        path.display()
    );
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not make {}", dir.display()))?;
    }
    let staged = sibling(path, "new");
    write_synced(&staged, &signer.to_key_file())?;
    let linked = std::fs::hard_link(&staged, path);
    let _ = std::fs::remove_file(&staged);
    linked.with_context(|| {
        format!(
            "could not write {} (a key file is never overwritten)",
            path.display()
        )
    })?;
    sync_dir(path)
}

fn write_synced(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    #[cfg(unix)]
    {
        // A leftover staged file keeps its old mode; make sure.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()
        .with_context(|| format!("could not sync {}", path.display()))
}

fn sync_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("could not sync {}", dir.display()))?;
    }
    Ok(())
}
