//! The outbox sender: claims due rows in batches, sends them concurrently over the mailer's
//! connection pool, and writes down each outcome.
//!
//! - **Sent**: marked `sent`.
//! - **Temporary failure** (4xx, connection refused or dropped, timeout): queued again
//!   after a capped exponential back-off with jitter; after `max_attempts`, `failed`.
//! - **Permanent failure** (5xx, an address that cannot be used): `failed` at once, never
//!   retried; admins see it (`glassbox outbox failed`).
//! - **The sender dies** mid-batch: its rows stay `sending` until their lease runs out,
//!   then any sender claims them again. A message the server had already accepted when the
//!   sender died is sent a second time with the same Message-ID, so the receiving side can
//!   drop the duplicate; nothing is ever lost.
//!
//! Several instances may run on PostgreSQL (claims skip locked rows); on SQLite there is one.

use crate::config::EmailSettings;
use crate::db::outbox;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::email::{Mailer, SendError};
use rand::Rng as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// What one round of [`dispatch_batch`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Rows claimed.
    pub claimed: usize,
    /// Accepted by the server.
    pub sent: usize,
    /// Queued again after a temporary failure.
    pub retried: usize,
    /// Given up on.
    pub failed: usize,
}

/// Paces sends to at most `per_second` (0: no limit), shared by a sender's tasks.
#[derive(Debug)]
pub struct RateLimit {
    per_second: u32,
    next: Mutex<Instant>,
    /// One permit per message a second may hold; a send keeps its permit until a full
    /// second after it finished ([`SendSlot`]).
    window: Arc<Semaphore>,
}

/// How long a finished send still counts against the limit.
const WINDOW: Duration = Duration::from_secs(1);

/// The right to send one message now. Held while the message is sent, and for a second
/// after: the receiving server stamps a message somewhere between our start and our end,
/// so this is what keeps *its* count in any one-second window within the limit, whatever
/// the sends' durations (spacing the starts alone let a slow send land beside later ones:
/// 53 in one second at a limit of 50, under load).
pub struct SendSlot(Option<OwnedSemaphorePermit>);

impl Drop for SendSlot {
    fn drop(&mut self) {
        if let Some(permit) = self.0.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    tokio::time::sleep(WINDOW).await;
                    drop(permit);
                });
            }
        }
    }
}

impl RateLimit {
    /// A limit of `per_second` sends (0: none).
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second,
            next: Mutex::new(Instant::now()),
            window: Arc::new(Semaphore::new(per_second.max(1) as usize)),
        }
    }

    /// Waits for the right to send one message: a permit of the window, then its turn in
    /// an even spacing of starts (so the limit is a steady pace, not bursts).
    pub async fn wait(&self) -> SendSlot {
        if self.per_second == 0 {
            return SendSlot(None);
        }
        let permit = self.window.clone().acquire_owned().await.ok();
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + Duration::from_secs_f64(1.0 / f64::from(self.per_second));
            slot
        };
        tokio::time::sleep_until(slot).await;
        SendSlot(permit)
    }
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones: `base · 2^(n-1)`
/// capped at `max`, then "equal jitter" (half fixed, half random) so that many messages
/// failing together do not all come back at the same second.
pub fn backoff(attempts: i32, base_seconds: i64, max_seconds: i64) -> time::Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = base_seconds
        .max(1)
        .saturating_mul(1_i64 << exp)
        .min(max_seconds.max(1));
    let half = full / 2;
    let jitter = if full - half > 0 {
        rand::thread_rng().gen_range(0..=(full - half))
    } else {
        0
    };
    time::Duration::seconds((half + jitter).max(1))
}

/// Claims one batch and sends it. `Outcome::claimed == 0` means nothing was due.
pub async fn dispatch_batch(
    db: &Db,
    mailer: &Mailer,
    clock: &Clock,
    settings: &EmailSettings,
    limit: &Arc<RateLimit>,
) -> anyhow::Result<Outcome> {
    let now = crate::db::ts(clock.now());
    let lease_until = now + time::Duration::seconds(settings.lease_seconds.max(1));
    let batch = outbox::claim(db, now, lease_until, settings.batch_size.max(1)).await?;
    let mut outcome = Outcome {
        claimed: batch.len(),
        ..Outcome::default()
    };
    let mut tasks = tokio::task::JoinSet::new();
    for m in batch {
        let (mailer, limit) = (mailer.clone(), limit.clone());
        tasks.spawn(async move {
            let slot = limit.wait().await;
            let result = mailer.send(&m).await;
            drop(slot);
            (m, result)
        });
    }
    let mut results = Vec::with_capacity(outcome.claimed);
    while let Some(joined) = tasks.join_next().await {
        results.push(joined?);
    }
    // One transaction records the whole batch: a sender killed before it commits leaves
    // the batch to be sent again after the lease (duplicates, never losses).
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    let mut sent = Vec::new();
    for (m, result) in &results {
        let to = crate::email::mask(&m.recipient);
        match result {
            Ok(()) => {
                sent.push(m.id);
                tracing::debug!(email.message_id = %m.message_id, email.to = %to, email.kind = %m.kind, email.attempts = m.attempts, "email sent");
            }
            Err(SendError::Temporary(e)) if m.attempts < settings.max_attempts => {
                let retry_at = now
                    + backoff(
                        m.attempts,
                        settings.retry_base_seconds,
                        settings.retry_max_seconds,
                    );
                outbox::mark_retry(&mut tx, m.id, retry_at, e).await?;
                tracing::warn!(email.message_id = %m.message_id, email.to = %to, email.attempts = m.attempts, error = %e, "email not sent yet; will try again");
                outcome.retried += 1;
            }
            Err(SendError::Temporary(e)) => {
                let why = format!("gave up after {} attempts; last: {e}", m.attempts);
                outbox::mark_failed(&mut tx, m.id, now, &why).await?;
                tracing::error!(email.message_id = %m.message_id, email.to = %to, error = %why, "email failed");
                outcome.failed += 1;
            }
            Err(SendError::Permanent(e)) => {
                outbox::mark_failed(&mut tx, m.id, now, e).await?;
                tracing::error!(email.message_id = %m.message_id, email.to = %to, error = %e, "email refused permanently; not retried");
                outcome.failed += 1;
            }
        }
    }
    outbox::mark_sent(&mut tx, &sent, now).await?;
    tx.commit().await?;
    outcome.sent = sent.len();
    metrics::counter!("glassbox_email_sent_total").increment(outcome.sent as u64);
    metrics::counter!("glassbox_email_failed_total").increment(outcome.failed as u64);
    if outcome.sent > 0 {
        tracing::info!(emails.sent = outcome.sent, "emails sent");
    }
    Ok(outcome)
}

/// How many batches the sender keeps going at once: the next batch is claimed (and the
/// previous one recorded) while the current one is still being sent, so the claim's and the
/// record's commits do not stand between sends. They share the mailer's connection pool and
/// the rate limit.
pub const BATCHES_IN_FLIGHT: usize = 4;

/// Sends until `shutdown` changes: while batches come back with rows, up to
/// [`BATCHES_IN_FLIGHT`] of them are kept going (one when `max_per_second` is set: the
/// limit paces the sends then, and more claimed rows would only wait in line, their lease
/// running); after an empty or failed round the sender lets the others finish and waits
/// `poll_interval_ms`.
pub async fn run_until_stopped(
    db: Db,
    mailer: Mailer,
    clock: Clock,
    settings: EmailSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let limit = Arc::new(RateLimit::new(settings.max_per_second));
    let idle = Duration::from_millis(settings.poll_interval_ms.max(10));
    let batches = if settings.max_per_second == 0 {
        BATCHES_IN_FLIGHT
    } else {
        1
    };
    let mut in_flight = tokio::task::JoinSet::new();
    let mut busy = true;
    loop {
        while busy && in_flight.len() < batches {
            let (db, mailer, clock, settings, limit) = (
                db.clone(),
                mailer.clone(),
                clock.clone(),
                settings.clone(),
                limit.clone(),
            );
            in_flight.spawn(async move {
                dispatch_batch(&db, &mailer, &clock, &settings, &limit).await
            });
        }
        if in_flight.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(idle) => busy = true,
                _ = shutdown.changed() => break,
            }
            continue;
        }
        tokio::select! {
            done = in_flight.join_next() => {
                let claimed = match done {
                    Some(Ok(Ok(o))) => o.claimed > 0,
                    Some(Ok(Err(e))) => {
                        tracing::warn!(job = "outbox", error = ?e, "email sender round failed; will try again");
                        false
                    }
                    Some(Err(e)) => {
                        tracing::error!(job = "outbox", error = %e, "email sender round stopped unexpectedly; will try again");
                        false
                    }
                    None => false,
                };
                if !claimed {
                    busy = false;
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    // Batches still in flight stop here; their rows go out again after their lease.
    in_flight.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_the_base_and_stops_at_the_cap() {
        for _ in 0..200 {
            let first = backoff(1, 30, 3600).whole_seconds();
            assert!((15..=30).contains(&first), "{first}");
            let third = backoff(3, 30, 3600).whole_seconds();
            assert!((60..=120).contains(&third), "{third}");
            let late = backoff(20, 30, 3600).whole_seconds();
            assert!((1800..=3600).contains(&late), "{late}");
        }
    }

    #[test]
    fn back_off_is_jittered() {
        let waits: std::collections::HashSet<i64> = (0..50)
            .map(|_| backoff(5, 30, 3600).whole_seconds())
            .collect();
        assert!(waits.len() > 5, "{waits:?}");
    }

    #[test]
    fn logs_show_a_masked_address() {
        assert_eq!(crate::email::mask("alice@example.org"), "a***@example.org");
        assert_eq!(crate::email::mask("nonsense"), "***");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_send_never_lands_beside_a_full_seconds_worth_of_others() {
        // At 5 a second: the first send takes 900 ms, the rest are instant. Spacing the
        // starts alone puts 6 ends within one second (200, 400, 600, 800, 900, 1000 ms).
        let limit = Arc::new(RateLimit::new(5));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8u64 {
            let limit = limit.clone();
            tasks.spawn(async move {
                let slot = limit.wait().await;
                if i == 0 {
                    tokio::time::sleep(Duration::from_millis(900)).await;
                }
                let done = start.elapsed().as_secs_f64();
                drop(slot);
                done
            });
            // Started in order.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut ends = Vec::new();
        while let Some(done) = tasks.join_next().await {
            ends.push(done.unwrap_or_default());
        }
        ends.sort_by(f64::total_cmp);
        let busiest = (0..ends.len())
            .map(|i| ends[i..].iter().take_while(|e| **e - ends[i] < 1.0).count())
            .max()
            .unwrap_or(0);
        assert!(
            busiest <= 5,
            "{busiest} sends ended within one second: {ends:?}"
        );
    }

    #[tokio::test]
    async fn the_rate_limit_spaces_sends_out() {
        let limit = RateLimit::new(20);
        let start = Instant::now();
        for _ in 0..5 {
            drop(limit.wait().await);
        }
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
    }
}
