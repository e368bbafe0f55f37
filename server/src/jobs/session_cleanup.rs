//! Deletes expired sessions from the store on an interval, until shutdown.

use crate::auth::store::SessionBackend;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `shutdown` turns true.
pub async fn run_until_stopped(
    store: SessionBackend,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = store.delete_expired().await {
                    tracing::warn!(error = %e, "could not delete expired sessions; will try again");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}
