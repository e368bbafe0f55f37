//! Who signs the log's notes (checkpoints and exports' lists of events): the key file
//! ([`CheckpointSigner`], `GLASSBOX__LOG__SIGNING_KEY_FILE`), or an external signer
//! (`GLASSBOX__LOG__SIGNER_COMMAND`): a program that holds the key somewhere Glassbox cannot
//! read it (an HSM, a cloud KMS, another user's file) and signs what it is given.
//!
//! The external signer's protocol: `<command> public-key` prints the standard base64 of
//! the raw 32-byte Ed25519 public key; `<command> sign` reads the exact bytes to sign on
//! standard input and prints the standard base64 of the 64-byte Ed25519 signature. Each
//! signature is checked against the public key before it is used: a signer that fails,
//! hangs or answers wrongly fails closed (no checkpoint, no export), never a note that does
//! not verify.

use anyhow::Context as _;
use glassbox_log::{CheckpointSigner, VerifierKey};
use std::future::Future;
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

/// How long the external signer may take for one answer.
const SIGNER_TIMEOUT: Duration = Duration::from_secs(10);

/// Signs notes of the log.
pub trait NoteSigner: Send + Sync {
    /// The verifier key its notes open with.
    fn verifier_key(&self) -> VerifierKey;

    /// The signed note of `body`.
    fn sign_body(&self, body: &str) -> impl Future<Output = anyhow::Result<String>> + Send;
}

impl NoteSigner for CheckpointSigner {
    fn verifier_key(&self) -> VerifierKey {
        CheckpointSigner::verifier_key(self)
    }

    async fn sign_body(&self, body: &str) -> anyhow::Result<String> {
        Ok(self.sign_text(body))
    }
}

/// An external signer (see the module's protocol).
#[derive(Clone, Debug)]
pub struct ExternalSigner {
    command: Vec<String>,
    key: VerifierKey,
}

impl ExternalSigner {
    /// Asks `command` for its public key and names it `name` (the log's origin).
    pub async fn start(command: &[String], name: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !command.is_empty(),
            "GLASSBOX__LOG__SIGNER_COMMAND is empty"
        );
        let out = run(command, "public-key", None).await?;
        let raw = glassbox_log::unb64(out.trim()).map_err(|_| {
            anyhow::anyhow!(
                "the external signer's `public-key` answer is not base64: {:?}",
                out.trim()
            )
        })?;
        let public: [u8; 32] = raw.as_slice().try_into().map_err(|_| {
            anyhow::anyhow!(
                "the external signer's public key is {} bytes, not the 32 of an Ed25519 key",
                raw.len()
            )
        })?;
        let key = VerifierKey::from_public_key(name, &public)
            .map_err(|e| anyhow::anyhow!("the external signer's public key: {e}"))?;
        Ok(Self {
            command: command.to_vec(),
            key,
        })
    }
}

impl NoteSigner for ExternalSigner {
    fn verifier_key(&self) -> VerifierKey {
        self.key.clone()
    }

    async fn sign_body(&self, body: &str) -> anyhow::Result<String> {
        let out = run(&self.command, "sign", Some(body.as_bytes())).await?;
        let signature = glassbox_log::unb64(out.trim())
            .map_err(|_| anyhow::anyhow!("the external signer's signature is not base64"))?;
        self.key.attach(body, &signature).map_err(|_| {
            anyhow::anyhow!(
                "the external signer's signature does not verify with its public key {}; nothing was signed",
                self.key
            )
        })
    }
}

async fn run(command: &[String], verb: &str, input: Option<&[u8]>) -> anyhow::Result<String> {
    let (program, args) = command
        .split_first()
        .context("GLASSBOX__LOG__SIGNER_COMMAND is empty")?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .arg(verb)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("could not run the external signer {program}"))?;
    let mut stdin = child.stdin.take().context("the signer's input")?;
    let input = input.unwrap_or_default().to_vec();
    let write = async move {
        stdin.write_all(&input).await?;
        stdin.shutdown().await
    };
    let (written, out) = tokio::time::timeout(SIGNER_TIMEOUT, async {
        tokio::join!(write, child.wait_with_output())
    })
    .await
    .with_context(|| {
        format!(
            "the external signer {program} did not answer `{verb}` within {} s",
            SIGNER_TIMEOUT.as_secs()
        )
    })?;
    let out = out.with_context(|| format!("the external signer {program} failed"))?;
    written.with_context(|| format!("could not give the external signer {program} its input"))?;
    anyhow::ensure!(
        out.status.success(),
        "the external signer {program} `{verb}` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8(out.stdout).context("the external signer's answer is not text")
}

/// The log's signer, as configured.
pub enum LogSigner {
    /// The key file.
    File(CheckpointSigner),
    /// An external signer.
    External(ExternalSigner),
}

impl LogSigner {
    /// Whether the key is outside Glassbox (`glassbox log rotate-key` cannot rotate it).
    pub fn is_external(&self) -> bool {
        matches!(self, LogSigner::External(_))
    }
}

impl NoteSigner for LogSigner {
    fn verifier_key(&self) -> VerifierKey {
        match self {
            LogSigner::File(s) => s.verifier_key(),
            LogSigner::External(s) => s.verifier_key(),
        }
    }

    async fn sign_body(&self, body: &str) -> anyhow::Result<String> {
        match self {
            LogSigner::File(s) => Ok(s.sign_text(body)),
            LogSigner::External(s) => s.sign_body(body).await,
        }
    }
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.is_external() {
            "External"
        } else {
            "File"
        };
        write!(f, "LogSigner::{kind}({})", self.verifier_key())
    }
}
