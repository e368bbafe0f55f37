//! Background work that runs beside the HTTP server and stops with it.

pub mod checkpoints;
pub mod expiry;
pub mod imap_kicks;
pub mod incident_notices;
pub mod notices;
pub mod outbox;
pub mod rate_limits;
pub mod session_cleanup;
pub mod witnesses;

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Runs `work` every `every` until `shutdown` changes; a failed round is logged and retried
/// at the next tick.
pub async fn run_every<F, Fut, E>(
    name: &'static str,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut work: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = work().await {
                    tracing::warn!(job = name, error = %e, "background job failed; will try again");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}
