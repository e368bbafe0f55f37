//! Service-token authentication and per-token rate limiting for the API.

use super::error::ApiError;
use crate::services::tokens;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The service token that authenticated a request.
#[derive(Clone, Debug)]
pub struct ServiceCaller {
    /// Which service token authenticated the call (`service_tokens.id`).
    pub token_id: uuid::Uuid,
    /// Token name.
    pub name: String,
}

/// The bearer token of a request, if it sent one.
/// HTTP Basic is accepted too, with the token as the password: Dovecot 2.3's event exporter
/// can authenticate only with the user and password of its URL.
fn presented(req: &Request) -> Option<String> {
    use base64::Engine as _;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.trim().to_string());
    }
    let basic = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':').map(|(_, token)| token.to_string())
}

const SEND_A_TOKEN: &str = "Send `Authorization: Bearer <service token>`; create one with `glassbox service-token create NAME`.";

/// Rejects requests without a live service token (401) or over their rate (429). Reads
/// the token's liveness per request.
pub async fn require_service_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    authenticate_and_admit(&state, &state.api_limiter, req, next).await
}

/// As [`require_service_token`], for `POST /api/v1/imap/receipts`: counted against the
/// receipts' own limit (`GLASSBOX__API__RECEIPTS_RATE_LIMIT_*`), not the API's. Dovecot's
/// exporter posts one event per IMAP command and never resends one that was refused.
pub async fn require_service_token_for_receipts(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    authenticate_and_admit(&state, &state.receipts_limiter, req, next).await
}

/// The token's liveness read from the database, then `limiter`'s verdict.
async fn authenticate_and_admit(
    state: &AppState,
    limiter: &crate::rate_limit::RateLimiter<uuid::Uuid>,
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
    admit(limiter, found, req, next).await
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
    admit(&state.api_limiter, found, req, next).await
}

async fn admit(
    limiter: &crate::rate_limit::RateLimiter<uuid::Uuid>,
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
    if let Err(wait) = limiter.take(caller.token_id) {
        tracing::warn!(token.name = %caller.name, "API rate limit reached");
        crate::metrics::rate_limited("api");
        return ApiError::rate_limited(wait).into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

fn unauthorized(message: &'static str) -> Response {
    ApiError::unauthorized(message).into_response()
}
