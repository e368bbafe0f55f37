//! Deletes expired sessions from the store on an interval, until shutdown.

use crate::auth::store::SessionBackend;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `shutdown` changes.
pub async fn run_until_stopped(
    store: SessionBackend,
    every: Duration,
    shutdown: watch::Receiver<bool>,
) {
    super::run_every("session cleanup", every, shutdown, || {
        store.delete_expired()
    })
    .await
}
