//! Queues the notices owed to owners affected by confirmed incidents, in batches (see
//! [`crate::services::incidents::queue_notices`]). Safe with several instances: every notice
//! has an idempotency key, and each batch commits with its bookkeeping.

use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::services::incidents;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `shutdown` changes.
pub async fn run_until_stopped(
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    every: Duration,
    shutdown: watch::Receiver<bool>,
) {
    super::run_every("incident notices", every, shutdown, || async {
        let queued = incidents::queue_notices(&db, &clock, &settings).await?;
        if queued > 0 {
            tracing::info!(queued, "incident notices queued");
        }
        Ok::<_, crate::services::error::ServiceError>(())
    })
    .await
}
