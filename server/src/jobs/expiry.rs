//! Writes down, on an interval, what time has already decided: pending requests past their
//! expiry become `expired`, grants past their end become `ended`, and support agents whose
//! recertification deadline passed get their `lapsed` staff change in the log. Access
//! checks and new requests never wait for this (they compare times themselves); it keeps
//! lists, the API's status and the log honest.
//! Safe with several instances: every update is conditional. The emails these changes
//! cause are queued in the same transaction.

use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::services::{requests, staff};
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
    super::run_every("request sweep", every, shutdown, || async {
        requests::sweep(&db, &clock, &settings).await?;
        staff::sweep_lapsed(&db, &clock, &settings)
            .await
            .map(|_| ())
    })
    .await
}
