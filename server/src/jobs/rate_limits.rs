//! Drops the rate limiters' buckets that have refilled completely, so memory follows the
//! callers active in the last minute, not every caller ever seen.

use crate::state::AppState;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `shutdown` changes.
pub async fn run_until_stopped(state: AppState, every: Duration, shutdown: watch::Receiver<bool>) {
    super::run_every("rate limit retention", every, shutdown, || async {
        state.api_limiter.retain_recent();
        state.receipts_limiter.retain_recent();
        state.sign_in_limiter.retain_recent();
        state.email_link_limiter.retain_recent();
        Ok::<(), std::convert::Infallible>(())
    })
    .await
}
