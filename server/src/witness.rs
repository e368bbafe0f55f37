//! `glassbox witness`: a small, separate role that a partner, a regulator or the provider's
//! own second site runs, so that somebody other than the operator vouches for each
//! checkpoint (C2SP `tlog-witness`). It knows the logs it witnesses by their public keys,
//! keeps the latest checkpoint it cosigned for each (one file per log, replaced atomically
//! and synced before it answers), and cosigns a new checkpoint only if it is consistent with
//! that one: it never cosigns a rollback, a second tree of one size, or a rewritten history.
//! Refused checkpoints that the log signed are kept in `refused.log` as evidence.
//!
//! It needs no database and no Glassbox configuration: `glassbox witness serve --key FILE
//! --state DIR --log <log's verifier key> …`.

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use glassbox_log::witness::{decide, split_note, AddCheckpoint, Refusal, WitnessSigner};
use glassbox_log::{b64, hash_from_b64, Checkpoint, NoteError, VerifierKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The largest request body a witness reads (a checkpoint, 63 proof lines and signatures).
const MAX_BODY: usize = 64 * 1024;
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const SIZE: HeaderValue = HeaderValue::from_static("text/x.tlog.size");

/// What a witness remembers of one log: the latest checkpoint it cosigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latest {
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's size.
    pub size: u64,
    /// Its root hash (base64).
    pub root: String,
    /// The signed checkpoint as submitted.
    pub note: String,
}

/// The state directory: one file per log, named by the SHA-256 of its origin.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
    /// Held for the process's life: a second witness on the same state would race it.
    _lock: std::fs::File,
}

impl StateDir {
    /// Opens (making it if needed) the state directory and locks it for this process.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not make the state directory {}", dir.display()))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))
            .with_context(|| format!("could not open {}", dir.join("lock").display()))?;
        lock.try_lock().map_err(|_| {
            anyhow::anyhow!(
                "another witness is using the state directory {}; two on one state could cosign a rollback",
                dir.display()
            )
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    fn file(&self, origin: &str) -> PathBuf {
        let name: String = Sha256::digest(origin.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The latest checkpoint cosigned for `origin`, if any. A damaged file is an error: a
    /// witness that forgot what it cosigned must not start over quietly.
    pub fn latest(&self, origin: &str) -> anyhow::Result<Option<Latest>> {
        let path = self.file(origin);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
        };
        let latest: Latest = serde_json::from_str(&text)
            .with_context(|| format!("the witness state {} is damaged", path.display()))?;
        anyhow::ensure!(
            latest.origin == origin,
            "the witness state {} is for {}, not {origin}",
            path.display(),
            latest.origin
        );
        Ok(Some(latest))
    }

    /// Replaces the latest checkpoint of its log: written beside, synced, renamed over, and
    /// the directory synced, so a crash leaves the old state or the new one.
    pub fn store(&self, latest: &Latest) -> anyhow::Result<()> {
        let path = self.file(&latest.origin);
        let tmp = path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("could not write {}", tmp.display()))?;
        f.write_all(serde_json::to_string_pretty(latest)?.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("could not replace {}", path.display()))?;
        std::fs::File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    /// Appends a refused, log-signed request to `refused.log` (evidence of misbehaviour).
    fn keep_evidence(&self, why: &str, body: &str) {
        let entry = format!(
            "=== {} refused: {why}\n{body}\n",
            time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        );
        let res = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("refused.log"))
            .and_then(|mut f| f.write_all(entry.as_bytes()).and_then(|()| f.sync_all()));
        if let Err(e) = res {
            tracing::error!(error = %e, "could not keep the refused checkpoint as evidence");
        }
    }
}

/// A running witness's state.
pub struct Witness {
    signer: WitnessSigner,
    /// The logs witnessed: origin → every key that may sign its checkpoints.
    logs: BTreeMap<String, Vec<VerifierKey>>,
    /// Held across check and store, so two submissions never interleave (C2SP
    /// `tlog-witness`: checking the old size and persisting the new one are atomic).
    state: Mutex<StateDir>,
}

impl Witness {
    /// A witness with its key, the logs' keys (several of one origin: a rotated log) and
    /// its state.
    pub fn new(signer: WitnessSigner, log_keys: Vec<VerifierKey>, state: StateDir) -> Self {
        let mut logs: BTreeMap<String, Vec<VerifierKey>> = BTreeMap::new();
        for k in log_keys {
            logs.entry(k.name().to_string()).or_default().push(k);
        }
        Self {
            signer,
            logs,
            state: Mutex::new(state),
        }
    }

    /// Answers one `add-checkpoint` body: the status and the body to send.
    pub async fn add_checkpoint(&self, body: &[u8], now: u64) -> (StatusCode, HeaderValue, String) {
        let bad = |m: &str| (StatusCode::BAD_REQUEST, TEXT, format!("{m}\n"));
        let Ok(text) = std::str::from_utf8(body) else {
            return bad("the body is not UTF-8");
        };
        let Some(request) = AddCheckpoint::parse(text) else {
            return bad(
                "the body is not an old size line, proof lines, an empty line and a checkpoint",
            );
        };
        let Ok((note_text, _)) = split_note(&request.checkpoint) else {
            return bad("the checkpoint is not a signed note");
        };
        let Ok(claimed) = Checkpoint::parse_body(&note_text) else {
            return bad("the checkpoint body is malformed");
        };
        let Some(keys) = self.logs.get(&claimed.origin) else {
            return (
                StatusCode::NOT_FOUND,
                TEXT,
                format!("this witness does not witness {}\n", claimed.origin),
            );
        };
        let checkpoint = match glassbox_log::open_with_any(keys, &request.checkpoint) {
            Ok((c, _)) => c,
            Err(NoteError::WrongOrigin { .. } | NoteError::BadBody) => {
                return bad("the checkpoint body is malformed")
            }
            Err(_) => {
                return (
                    StatusCode::FORBIDDEN,
                    TEXT,
                    "no signature on the checkpoint verifies with the log's keys\n".into(),
                )
            }
        };
        let state = self.state.lock().await;
        let latest = match state.latest(&checkpoint.origin) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "witness state unreadable");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    TEXT,
                    "the witness cannot read its state\n".into(),
                );
            }
        };
        let seen = match latest
            .as_ref()
            .map(|l| hash_from_b64(&l.root).map(|r| (l.size, r)))
        {
            Some(None) => {
                tracing::error!(origin = %checkpoint.origin, "witness state holds a malformed root");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    TEXT,
                    "the witness cannot read its state\n".into(),
                );
            }
            Some(Some(s)) => Some(s),
            None => None,
        };
        if let Err(refusal) = decide(seen, &request, &checkpoint) {
            tracing::warn!(origin = %checkpoint.origin, size = checkpoint.size, %refusal, "refused a checkpoint");
            return match refusal {
                Refusal::BadRequest(m) => bad(m),
                Refusal::WrongOldSize(size) => (StatusCode::CONFLICT, SIZE, format!("{size}\n")),
                Refusal::SplitView(size) => {
                    state.keep_evidence(&refusal.to_string(), text);
                    (StatusCode::CONFLICT, SIZE, format!("{size}\n"))
                }
                Refusal::Inconsistent(_) => {
                    state.keep_evidence(&refusal.to_string(), text);
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        TEXT,
                        format!("{refusal}\n"),
                    )
                }
            };
        }
        let record = Latest {
            origin: checkpoint.origin.clone(),
            size: checkpoint.size,
            root: b64(&checkpoint.root),
            note: request.checkpoint.clone(),
        };
        if let Err(e) = state.store(&record) {
            tracing::error!(error = %format!("{e:#}"), "could not store the witness state");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                TEXT,
                "the witness could not record the checkpoint; nothing was cosigned\n".into(),
            );
        }
        drop(state);
        tracing::info!(origin = %checkpoint.origin, size = checkpoint.size, "cosigned");
        (
            StatusCode::OK,
            TEXT,
            self.signer.cosign(&checkpoint.body(), now),
        )
    }
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let (status, kind, text) = witness.add_checkpoint(&body, now).await;
    (status, [(header::CONTENT_TYPE, kind)], text).into_response()
}

async fn key(State(witness): State<Arc<Witness>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, TEXT)],
        format!("{}\n", witness.signer.verifier_key()),
    )
}

/// The witness's routes: `POST /add-checkpoint` (C2SP `tlog-witness`) and `GET /key` (its
/// verifier key).
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/key", get(key))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(witness)
}

/// Reads a witness key file, refusing one that others than its owner can read.
pub fn read_key_file(path: &Path) -> anyhow::Result<WitnessSigner> {
    let text = crate::transparency::keys::read_owner_only(path, "witness key file")?;
    WitnessSigner::from_key_file(&text)
        .map_err(|e| anyhow::anyhow!("the witness key file {} is damaged: {e}", path.display()))
}

/// `glassbox witness keygen`: a new witness key named `name` in `path` (mode 0600, never
/// overwriting a file).
pub fn keygen(path: &Path, name: &str) -> anyhow::Result<WitnessSigner> {
    use rand::RngCore as _;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let signer = WitnessSigner::new(name, &secret).map_err(|_| {
        anyhow::anyhow!("{name:?} is not a witness name: no spaces or '+', not empty")
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("could not make {} (it must not exist)", path.display()))?;
    f.write_all(signer.to_key_file().as_bytes())?;
    f.sync_all()?;
    Ok(signer)
}

/// `glassbox witness serve`: serves until Ctrl-C or SIGTERM.
pub async fn serve(
    listen: std::net::SocketAddr,
    key_file: &Path,
    state_dir: &Path,
    log_keys: &[String],
) -> anyhow::Result<()> {
    let signer = read_key_file(key_file)?;
    anyhow::ensure!(
        !log_keys.is_empty(),
        "name at least one log to witness with --log <its verifier key>"
    );
    let keys = log_keys
        .iter()
        .map(|k| VerifierKey::parse(k).map_err(|e| anyhow::anyhow!("--log {k}: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let state = StateDir::open(state_dir)?;
    let vkey = signer.verifier_key();
    let witness = Arc::new(Witness::new(signer, keys, state));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, key = %vkey, "witness listening");
    println!("witness {vkey} listening on http://{addr}");
    axum::serve(listener, router(witness))
        .with_graceful_shutdown(crate::startup::shutdown_signal())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use glassbox_log::merkle::reference;
    use glassbox_log::CheckpointSigner;

    fn log() -> CheckpointSigner {
        CheckpointSigner::new("witnessed.test/log", &[5; 32]).unwrap()
    }

    fn leaves(n: usize) -> Vec<glassbox_log::Hash> {
        (0..n)
            .map(|i| glassbox_log::leaf_hash(&[i as u8]))
            .collect()
    }

    fn witness(dir: &Path) -> Arc<Witness> {
        let signer = WitnessSigner::new("w.test/witness", &[6; 32]).unwrap();
        Arc::new(Witness::new(
            signer,
            vec![log().verifier_key()],
            StateDir::open(dir).unwrap(),
        ))
    }

    fn request(old: usize, size: usize) -> Vec<u8> {
        let d = leaves(size);
        let proof = if old == 0 || old == size {
            vec![]
        } else {
            reference::consistency(old, &d)
        };
        AddCheckpoint {
            old_size: old as u64,
            proof,
            checkpoint: log().sign(size as u64, &reference::mth(&d)),
        }
        .to_body()
        .into_bytes()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_many_racing_first_submissions_exactly_one_is_cosigned() {
        let dir = tempfile::tempdir().unwrap();
        let w = witness(dir.path());
        let tasks: Vec<_> = (1..=16)
            .map(|size| {
                let w = w.clone();
                tokio::spawn(async move { w.add_checkpoint(&request(0, size), 1).await })
            })
            .collect();
        let mut cosigned = Vec::new();
        for (size, t) in (1..=16).zip(tasks) {
            let (status, _, body) = t.await.unwrap();
            match status {
                StatusCode::OK => cosigned.push(size),
                StatusCode::CONFLICT => {
                    assert_eq!(body.trim().parse::<u64>().ok().map(|_| ()), Some(()))
                }
                s => panic!("{s}: {body}"),
            }
        }
        assert_eq!(cosigned.len(), 1, "{cosigned:?}");
        let latest = w
            .state
            .lock()
            .await
            .latest("witnessed.test/log")
            .unwrap()
            .unwrap();
        assert_eq!(latest.size, cosigned[0] as u64);
    }

    #[tokio::test]
    async fn an_unknown_log_a_forged_signature_and_garbage_get_their_statuses() {
        let dir = tempfile::tempdir().unwrap();
        let w = witness(dir.path());
        let stranger = CheckpointSigner::new("other.test/log", &[5; 32]).unwrap();
        let body = format!("old 0\n\n{}", stranger.sign(1, &[1; 32]));
        assert_eq!(
            w.add_checkpoint(body.as_bytes(), 1).await.0,
            StatusCode::NOT_FOUND
        );
        let forger = CheckpointSigner::new("witnessed.test/log", &[7; 32]).unwrap();
        let body = format!("old 0\n\n{}", forger.sign(1, &[1; 32]));
        assert_eq!(
            w.add_checkpoint(body.as_bytes(), 1).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            w.add_checkpoint(b"hello", 1).await.0,
            StatusCode::BAD_REQUEST
        );
        // Nothing of that was recorded: the first real checkpoint is taken from size 0.
        assert_eq!(w.add_checkpoint(&request(0, 3), 1).await.0, StatusCode::OK);
        assert_eq!(w.add_checkpoint(&request(3, 8), 2).await.0, StatusCode::OK);
    }

    #[test]
    fn a_state_directory_is_held_by_one_witness_and_a_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateDir::open(dir.path()).unwrap();
        let second = StateDir::open(dir.path()).unwrap_err();
        assert!(
            format!("{second:#}").contains("another witness"),
            "{second:#}"
        );
        let key = dir.path().join("w.key");
        keygen(&key, "w.test/witness").unwrap();
        assert!(read_key_file(&key).is_ok());
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let Err(e) = read_key_file(&key) else {
            panic!("a key file others can read was accepted");
        };
        assert!(format!("{e:#}").contains("chmod 600"), "{e:#}");
        assert!(keygen(&key, "w.test/witness").is_err(), "never overwrites");
    }
}
