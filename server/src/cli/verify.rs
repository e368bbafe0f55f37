//! `glassbox verify …`: checks the log from outside (over HTTP, with the log's published
//! key or one given) or from the database. Runs before the configuration is loaded, except
//! `verify database`, which needs it for the database URL.

use super::{VerifyCommand, WitnessArgs};
use crate::config::Settings;
use crate::db::Db;
use crate::verify::{self as verifier, Verdict};

/// The witnesses `args` name (else the log's own at `url`, else none).
async fn policy(
    url: Option<&str>,
    args: &WitnessArgs,
) -> anyhow::Result<glassbox_log::witness::WitnessPolicy> {
    verifier::witness_policy(&reqwest::Client::new(), url, &args.witness, args.quorum).await
}

/// Runs one verification; `Err` means it could not check (not that the log failed).
pub(super) async fn verify(cmd: VerifyCommand) -> anyhow::Result<Verdict> {
    match cmd {
        VerifyCommand::Inclusion {
            url,
            index,
            key,
            entry,
            leaf_hash,
            witnesses,
        } => {
            let policy = policy(Some(&url), &witnesses).await?;
            verifier::inclusion(
                &url,
                key.as_deref(),
                &policy,
                index,
                entry.as_deref(),
                leaf_hash.as_deref(),
            )
            .await
        }
        VerifyCommand::Consistency {
            old,
            new,
            url,
            key,
            witnesses,
        } => {
            let read = |p: &std::path::Path| {
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("could not read {}: {e}", p.display()))
            };
            let old_note = read(&old)?;
            let client = reqwest::Client::new();
            let base = url.as_deref().map(|u| u.trim_end_matches('/').to_string());
            let policy = policy(base.as_deref(), &witnesses).await?;
            let new_note = match (&new, &base) {
                (Some(p), _) => read(p)?,
                (None, Some(u)) => {
                    client
                        .get(format!("{u}{}", verifier::checkpoint_path(&policy)))
                        .send()
                        .await?
                        .error_for_status()?
                        .text()
                        .await?
                }
                (None, None) => {
                    anyhow::bail!("give --new FILE or --url to fetch the current checkpoint")
                }
            };
            let key = match (&key, &base) {
                (Some(k), _) => vec![glassbox_log::VerifierKey::parse(k)?],
                (None, Some(u)) => verifier::key(&client, u, None).await?,
                (None, None) => anyhow::bail!("give --key (or --url to use the log's own key)"),
            };
            verifier::consistency(base.as_deref(), &key, &policy, &old_note, &new_note).await
        }
        VerifyCommand::Export {
            file,
            key,
            witnesses,
        } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("could not read {}: {e}", file.display()))?;
            let policy = policy(None, &witnesses).await?;
            verifier::export(&bytes, key.as_deref(), &policy)
        }
        VerifyCommand::Tiles {
            url,
            key,
            witnesses,
        } => {
            let policy = policy(Some(&url), &witnesses).await?;
            verifier::tiles(&url, key.as_deref(), &policy).await
        }
        VerifyCommand::Notice {
            file,
            url,
            key,
            witnesses,
        } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("could not read {}: {e}", file.display()))?;
            let policy = policy(Some(&url), &witnesses).await?;
            verifier::notice(&url, key.as_deref(), &policy, &bytes).await
        }
        VerifyCommand::Database { key } => {
            let settings = Settings::load()?;
            let db = Db::connect(&settings.database_url(), 2).await?;
            let keys = match key {
                Some(k) => vec![glassbox_log::VerifierKey::parse(&k)?],
                None => crate::transparency::keys::known_keys(&db).await?,
            };
            anyhow::ensure!(!keys.is_empty(), "this database has no log key; give --key");
            verifier::database(&db, &keys).await
        }
    }
}
