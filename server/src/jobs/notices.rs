//! Looks, on an interval, for notices no request transition causes: the first access under
//! each grant (found after the fact, so an access check never waits for email), owners'
//! daily digests, "this access ends in 10 minutes", refused-access alerts and the notices
//! legal holds release on their date. Each notice is marked and queued in one transaction, so it is written
//! once even with several instances.

use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::services::{legal_holds, notifications, owner_alerts};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Grants (and owners) handled per round.
const PER_ROUND: i64 = 500;

/// Runs until `shutdown` changes.
pub async fn run_until_stopped(
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    every: Duration,
    shutdown: watch::Receiver<bool>,
) {
    super::run_every("access notices", every, shutdown, || async {
        notifications::send_first_access_notices(&db, &clock, &settings, PER_ROUND).await?;
        notifications::send_due_digests(&db, &clock, &settings, PER_ROUND).await?;
        owner_alerts::send_grant_ending_warnings(&db, &clock, &settings, PER_ROUND).await?;
        owner_alerts::send_refusal_alerts(&db, &clock, &settings, PER_ROUND).await?;
        legal_holds::release_due(&db, &clock, &settings, PER_ROUND).await?;
        Ok::<(), anyhow::Error>(())
    })
    .await
}
