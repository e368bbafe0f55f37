//! Sends the newest checkpoint to the log's witnesses every interval
//! (`GLASSBOX__LOG__WITNESS_INTERVAL_SECONDS`) and keeps their cosignatures. A witness that
//! refuses a checkpoint is an error in the log and a metric: it means the log showed it a
//! history that contradicts an earlier one. One that cannot be reached is a warning; the
//! next round tries again.

use crate::transparency::tree_cache::TreeCache;
use crate::transparency::witnesses::{Outcome, Witnesses};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `shutdown` changes.
pub async fn run_until_stopped(
    tree: Arc<TreeCache>,
    witnesses: Arc<Witnesses>,
    every: Duration,
    shutdown: watch::Receiver<bool>,
) {
    super::run_every("witnesses", every, shutdown, || async {
        let outcomes = witnesses
            .submit_newest(&*tree)
            .await
            .map_err(|e| format!("{e:#}"))?;
        for (witness, outcome) in outcomes {
            let label = match &outcome {
                Outcome::Cosigned(size) => {
                    tracing::debug!(%witness, size, "witness cosigned");
                    "cosigned"
                }
                Outcome::AlreadyCosigned | Outcome::Ahead(_) => "unchanged",
                Outcome::Refused(why) => {
                    tracing::error!(%witness, %why, "a witness refused the log's checkpoint");
                    "refused"
                }
                Outcome::Unreachable(why) => {
                    tracing::warn!(%witness, %why, "could not get a witness's cosignature");
                    "unreachable"
                }
            };
            metrics::counter!("glassbox_witness_submissions_total", "witness" => witness, "outcome" => label)
                .increment(1);
        }
        Ok::<(), String>(())
    })
    .await
}
