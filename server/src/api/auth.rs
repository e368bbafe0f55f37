//! Service-token authentication and per-token rate limiting for the API.

use super::error::ApiError;
use crate::services::tokens;
use crate::startup::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The service token that authenticated a request.
#[derive(Clone, Debug)]
pub struct ServiceCaller {
    /// Token id.
    pub token_id: uuid::Uuid,
    /// Token name.
    pub name: String,
}

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

/// The bearer token of a request, if it sent one.
fn presented(req: &Request) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_string)
}

const SEND_A_TOKEN: &str = "Send `Authorization: Bearer <service token>`; create one with `glassbox service-token create NAME`.";

/// Rejects requests without a live service token (401) or over their rate (429). Reads
/// the token's liveness per request.
pub async fn require_service_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(presented) = presented(&req) else {
        return unauthorized(SEND_A_TOKEN);
    };
    let found = tokens::authenticate(&state.db, &state.settings, &presented)
        .await
        .map(|row| {
            row.map(|r| ServiceCaller {
                token_id: r.id,
                name: r.name,
            })
        });
    admit(&state, found, req, next).await
}

/// For the access check only: identifies the service token from memory when it was seen
/// live before (no query per check), else from the database. Revocation stays exact because
/// the log writer re-reads the token's liveness in the batch that records the check (the
/// handler answers 401 when it finds it revoked). Unknown tokens get 401 here, as on every
/// other route.
pub async fn identify_service_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(presented) = presented(&req) else {
        return unauthorized(SEND_A_TOKEN);
    };
    let found = state
        .tokens
        .identify(&state.db, &state.settings, &presented)
        .await
        .map(|known| {
            known.map(|k| ServiceCaller {
                token_id: k.id,
                name: k.name,
            })
        });
    admit(&state, found, req, next).await
}

async fn admit(
    state: &AppState,
    found: Result<Option<ServiceCaller>, crate::services::error::ServiceError>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = match found {
        Ok(Some(caller)) => caller,
        Ok(None) => {
            tracing::warn!("API call with an unknown or revoked service token");
            return unauthorized(super::error::UNKNOWN_OR_REVOKED);
        }
        Err(e) => return ApiError::from_service(e, "authenticate service token").into_response(),
    };
    if let Err(wait) = state.api_limiter.take(caller.token_id, Instant::now()) {
        tracing::warn!(token.name = %caller.name, "API rate limit reached");
        return ApiError::rate_limited(wait).into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

fn unauthorized(message: &'static str) -> Response {
    ApiError::unauthorized(message).into_response()
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
