//! Rate limits: a token bucket per key (a service token, a client address).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A token bucket per key (a service token, a client address): `rate` requests per
/// second, bursts up to `burst`. A caller that keeps knocking only ever gets the next token
/// when it refills, so the wait grows with persistence.
#[derive(Debug)]
pub struct RateLimiter<K = uuid::Uuid> {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: std::hash::Hash + Eq> RateLimiter<K> {
    /// A limiter; `rate == 0` switches limiting off.
    pub fn new(rate: u32, burst: u32) -> Self {
        Self::with_rate(f64::from(rate), burst)
    }

    /// A limiter with a fractional rate (e.g. 0.5 per second).
    pub fn with_rate(rate: f64, burst: u32) -> Self {
        Self {
            rate,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket; `Err(seconds)` to wait when empty.
    pub fn take(&self, key: K, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (tokens, last) = buckets.entry(key).or_insert((self.burst, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * self.rate;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let limiter = RateLimiter::new(10, 3);
        let key = uuid::Uuid::from_u128(1);
        let t0 = Instant::now();
        assert!(limiter.take(key, t0).is_ok());
        assert!(limiter.take(key, t0).is_ok());
        assert!(limiter.take(key, t0).is_ok());
        assert_eq!(limiter.take(key, t0), Err(1));
        assert!(
            limiter.take(key, t0 + Duration::from_millis(100)).is_ok(),
            "one more after 1/rate"
        );
        assert!(
            limiter.take(uuid::Uuid::from_u128(2), t0).is_ok(),
            "buckets are per token"
        );
    }

    #[test]
    fn a_zero_rate_switches_limiting_off() {
        let limiter = RateLimiter::new(0, 0);
        for _ in 0..10_000 {
            assert!(limiter
                .take(uuid::Uuid::from_u128(1), Instant::now())
                .is_ok());
        }
    }
}
