//! Rate limits: a token bucket per key (a service token, a client address), kept by
//! `governor` (GCRA, lock-free per key). Memory stays bounded whatever callers send:
//! buckets that have refilled completely are indistinguishable from new ones and are
//! dropped by [`RateLimiter::retain_recent`] (run on a timer and whenever the map reaches
//! its cap), and while the map is full of buckets still in use, requests that would need a
//! new one are refused (429) rather than admitted unlimited. So at most `max_keys` buckets
//! exist at any time.

use governor::clock::{Clock, DefaultClock, QuantaClock, Reference as _};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Governor};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

/// How many buckets a limiter holds at most (each is a key and 8 bytes of state in a
/// sharded map: roughly 64 bytes with the map's overhead, so 65,536 keys ≈ 4 MiB).
pub const DEFAULT_MAX_KEYS: usize = 65_536;

/// governor's keyed limiter, as this module uses it.
type Keyed<K, C> = Governor<K, DefaultKeyedStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A rate limit per key: `rate` requests per `period`, bursts up to `burst`.
pub struct RateLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    inner: Option<Keyed<K, C>>,
    clock: C,
    max_keys: usize,
    /// When the map was last pruned because it was full: a full map is pruned at most once
    /// per [`PRUNE_AT_MOST_EVERY`], so a flood cannot make every request scan it.
    pruned_at: std::sync::Mutex<Option<C::Instant>>,
}

/// How often, at most, a full map is pruned on the request path.
const PRUNE_AT_MOST_EVERY: Duration = Duration::from_secs(1);

impl<K: Hash + Eq + Clone, C: Clock + Clone> std::fmt::Debug for RateLimiter<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("on", &self.inner.is_some())
            .field("keys", &self.len())
            .field("max_keys", &self.max_keys)
            .finish()
    }
}

impl<K: Hash + Eq + Clone> RateLimiter<K, QuantaClock> {
    /// `per_second` requests a second, bursts up to `burst`; `per_second == 0` switches
    /// limiting off.
    pub fn per_second(per_second: u32, burst: u32) -> Self {
        Self::with_clock(
            per_second,
            Duration::from_secs(1),
            burst,
            DEFAULT_MAX_KEYS,
            QuantaClock::default(),
        )
    }

    /// `per_minute` requests a minute, bursts up to `burst`; `per_minute == 0` switches
    /// limiting off.
    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        Self::with_clock(
            per_minute,
            Duration::from_secs(60),
            burst,
            DEFAULT_MAX_KEYS,
            QuantaClock::default(),
        )
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> RateLimiter<K, C> {
    /// `count` requests per `period` with bursts up to `burst`, at most `max_keys` buckets,
    /// on `clock` (tests pass a fake one).
    pub fn with_clock(count: u32, period: Duration, burst: u32, max_keys: usize, clock: C) -> Self {
        let inner = NonZeroU32::new(count).and_then(|n| {
            let quota =
                Quota::with_period(period / n.get())?.allow_burst(NonZeroU32::new(burst.max(1))?);
            Some(Governor::new(
                quota,
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ))
        });
        Self {
            inner,
            clock,
            max_keys: max_keys.max(1),
            pruned_at: std::sync::Mutex::new(None),
        }
    }

    /// Takes one request from `key`'s bucket; `Err(seconds)` to wait when it is empty (or
    /// when no bucket can be made for a new key because the map is full).
    pub fn take(&self, key: K) -> Result<(), u64> {
        let Some(limiter) = &self.inner else {
            return Ok(());
        };
        if limiter.len() >= self.max_keys {
            let now = self.clock.now();
            if let Ok(mut pruned_at) = self.pruned_at.try_lock() {
                let due = pruned_at
                    .is_none_or(|at| Duration::from(now.duration_since(at)) >= PRUNE_AT_MOST_EVERY);
                if due {
                    limiter.retain_recent();
                    *pruned_at = Some(now);
                }
            }
            if limiter.len() >= self.max_keys {
                // Every bucket is in use: a flood of distinct keys. Refuse rather than grow.
                return Err(1);
            }
        }
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }

    /// Drops the buckets that have refilled completely (they are the same as new ones).
    pub fn retain_recent(&self) {
        if let Some(limiter) = &self.inner {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// How many buckets exist now.
    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |l| l.len())
    }

    /// Whether no bucket exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn limiter(
        count: u32,
        period: Duration,
        burst: u32,
        max_keys: usize,
    ) -> (RateLimiter<u64, FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimiter::with_clock(count, period, burst, max_keys, clock.clone()),
            clock,
        )
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let (limiter, clock) = limiter(10, Duration::from_secs(1), 3, 100);
        assert!(limiter.take(1).is_ok());
        assert!(limiter.take(1).is_ok());
        assert!(limiter.take(1).is_ok());
        assert_eq!(limiter.take(1), Err(1));
        clock.advance(Duration::from_millis(100));
        assert!(limiter.take(1).is_ok(), "one more after 1/rate");
        assert!(limiter.take(2).is_ok(), "buckets are per key");
    }

    #[test]
    fn a_zero_rate_switches_limiting_off() {
        let (limiter, _) = limiter(0, Duration::from_secs(1), 0, 100);
        for _ in 0..10_000 {
            assert!(limiter.take(1).is_ok());
        }
        assert!(limiter.is_empty());
    }

    #[test]
    fn two_hundred_thousand_distinct_keys_never_hold_more_than_the_cap_and_idle_ones_go() {
        // 20 sign-ins a minute, bursts of 10, at most 50,000 buckets.
        let (limiter, clock) = limiter(20, Duration::from_secs(60), 10, 50_000);
        let mut refused = 0;
        for key in 0..200_000u64 {
            if limiter.take(key).is_err() {
                refused += 1;
            }
            assert!(
                limiter.len() <= 50_000,
                "{} buckets after {key} keys",
                limiter.len()
            );
            if key % 20_000 == 0 {
                clock.advance(Duration::from_millis(10));
            }
        }
        assert!(
            refused > 0,
            "a flood of new keys beyond the cap is refused, not admitted"
        );
        // Once their buckets have refilled (10 × 3 s), they are all dropped.
        clock.advance(Duration::from_secs(31));
        limiter.retain_recent();
        assert_eq!(limiter.len(), 0);
        assert!(limiter.take(7).is_ok(), "and new callers are served again");
    }
}
