//! Signs a checkpoint of the log every interval while the tree grows (nothing when it did
//! not). Safe with several instances: a checkpoint is a deterministic function of the tree
//! and the key (Ed25519 signatures are deterministic), and a second copy of one size is
//! ignored.

use crate::domain::clock::Clock;
use crate::transparency::checkpoints;
use crate::transparency::signer::LogSigner;
use crate::transparency::tree_cache::TreeCache;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Runs until `shutdown` changes; reads the tree through the server's `tree` cache.
pub async fn run_until_stopped(
    tree: Arc<TreeCache>,
    clock: Clock,
    signer: Arc<LogSigner>,
    every: Duration,
    shutdown: watch::Receiver<bool>,
) {
    super::run_every("checkpoint signer", every, shutdown, || async {
        checkpoints::sign_checkpoint(&*tree, &clock, &*signer)
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:#}"))
    })
    .await
}
