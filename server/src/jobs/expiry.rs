//! Writes down, on an interval, what time has already decided: pending requests past their
//! expiry become `expired`, grants past their end become `ended`. Access checks never wait
//! for this (they compare times themselves); it keeps lists and the API's status honest.
//! Safe with several instances: every update is conditional.

use crate::db::Db;
use crate::domain::clock::Clock;
use crate::services::requests;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `shutdown` changes.
pub async fn run_until_stopped(
    db: Db,
    clock: Clock,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = requests::sweep(&db, &clock).await {
                    tracing::warn!(error = %e, "request sweep failed; will try again");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}
