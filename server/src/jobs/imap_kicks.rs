//! Ends the IMAP sessions of grants that ended: sends the `kick` calls queued in
//! `imap_kicks` (written in the transaction of the revoke, end, shorten or disable) to
//! doveadm's HTTP API, and retries each, with backoff, until Dovecot confirms. Idempotent:
//! kicking a session that is already gone is confirmed too. Without
//! `GLASSBOX__DOVECOT__DOVEADM_URL` the kicks wait in the table.

use crate::config::Settings;
use crate::db::imap::{self, KickRow};
use crate::db::Db;
use crate::domain::clock::Clock;
use anyhow::Context as _;
use base64::Engine as _;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// doveadm's exit code when no user matched: the session is already gone.
const EX_NOUSER: i64 = 67;

/// Runs until `shutdown` changes.
pub async fn run_until_stopped(
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (Some(url), Some(key)) = (
        settings.dovecot.doveadm_url.clone(),
        settings.dovecot.doveadm_api_key.clone(),
    ) else {
        let _ = shutdown.changed().await;
        return;
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.dovecot.kick_timeout_ms))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for doveadm: IMAP sessions will not be ended");
            let _ = shutdown.changed().await;
            return;
        }
    };
    let auth = format!(
        "X-Dovecot-API {}",
        base64::engine::general_purpose::STANDARD.encode(key.expose_secret())
    );
    let endpoint = format!("{}/doveadm/v1", url.trim_end_matches('/'));
    super::run_every(
        "IMAP kicks",
        Duration::from_millis(settings.dovecot.kick_poll_ms),
        shutdown,
        || {
            let round = dispatch_due(&db, &clock, &client, &endpoint, &auth);
            async move { round.await.map(|_| ()) }
        },
    )
    .await
}

/// Sends every kick that is due; returns how many Dovecot confirmed.
pub async fn dispatch_due(
    db: &Db,
    clock: &Clock,
    client: &reqwest::Client,
    endpoint: &str,
    auth: &str,
) -> anyhow::Result<usize> {
    let mut confirmed = 0;
    for kick in imap::due_kicks(db, clock.now(), 20).await? {
        match send(client, endpoint, auth, &kick).await {
            Ok(()) => {
                let mut tx = db.begin().await?;
                imap::kick_done(&mut tx, &kick, clock.now()).await?;
                tx.commit().await?;
                tracing::info!(request.id = %kick.request_id, "IMAP sessions of an ended grant were cut");
                confirmed += 1;
            }
            Err(e) => {
                let backoff = Duration::from_secs(1u64 << kick.attempts.clamp(0, 6));
                let next = clock.now() + backoff;
                tracing::warn!(request.id = %kick.request_id, error = %format!("{e:#}"), "doveadm kick failed; will retry");
                imap::kick_failed(db, kick.id, &format!("{e:#}"), next).await?;
            }
        }
    }
    Ok(confirmed)
}

async fn send(
    client: &reqwest::Client,
    endpoint: &str,
    auth: &str,
    kick: &KickRow,
) -> anyhow::Result<()> {
    let tag = kick.id.simple().to_string();
    let body = serde_json::json!([["kick", {"mask": [kick.mailbox, kick.client_ip]}, tag]]);
    let res = client
        .post(endpoint)
        .header(reqwest::header::AUTHORIZATION, auth)
        .json(&body)
        .send()
        .await
        .context("doveadm did not answer")?;
    let status = res.status();
    anyhow::ensure!(status.is_success(), "doveadm answered HTTP {status}");
    let answer: serde_json::Value = res.json().await.context("doveadm's answer is not JSON")?;
    let first = answer.get(0).context("doveadm's answer is empty")?;
    match first.get(0).and_then(|v| v.as_str()) {
        Some("doveadmResponse") => Ok(()),
        Some("error")
            if first
                .get(1)
                .and_then(|e| e.get("exitCode"))
                .and_then(|c| c.as_i64())
                == Some(EX_NOUSER) =>
        {
            Ok(())
        }
        _ => anyhow::bail!("doveadm refused the kick: {first}"),
    }
}
