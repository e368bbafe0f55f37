//! Service API v1: JSON over HTTP for the mail system and support tooling, authenticated
//! with a service token (`Authorization: Bearer gbx_…`), and the public log endpoints
//! (`/log/*`, no token: anyone may audit the log). The contract is the OpenAPI
//! document served at `/api/v1/openapi.json` (the README's "Service API" section shows it
//! in use); errors have the shape of [`crate::http::error::ErrorBody`].

pub mod auth;
pub mod error;
pub mod public_log;
pub mod v1;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The `/api/v1` routes.
pub fn routes(state: AppState) -> Router<AppState> {
    let authed = Router::new()
        .route("/api/v1/access-requests", post(v1::create_request))
        .route("/api/v1/access-requests/{id}", get(v1::get_request))
        .route(
            "/api/v1/access-requests/{id}/cancel",
            post(v1::cancel_request),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_service_token,
        ))
        .route_layer(axum::middleware::from_fn(crate::http::security::no_store));
    // Receipts: bounded in size, and rate-limited apart from the rest of the API.
    let receipts = Router::new()
        .route(
            "/api/v1/imap/receipts",
            post(v1::imap_receipts)
                .layer(axum::extract::DefaultBodyLimit::max(v1::RECEIPT_BODY_LIMIT)),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_service_token_for_receipts,
        ))
        .route_layer(axum::middleware::from_fn(crate::http::security::no_store));
    // The check and the IMAP login identify their token from memory; the log writer
    // checks it is live.
    let check = Router::new()
        .route("/api/v1/access/check", post(v1::check))
        .route("/api/v1/imap/login", post(v1::imap_login))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            auth::identify_service_token,
        ))
        .route_layer(axum::middleware::from_fn(crate::http::security::no_store));
    Router::new()
        .route("/api/v1/openapi.json", get(v1::openapi))
        // The public log: no token, anyone may audit it.
        .route("/log/checkpoint", get(public_log::checkpoint))
        .route("/log/key", get(public_log::key))
        .route("/log/proof/inclusion", get(public_log::inclusion))
        .route("/log/proof/consistency", get(public_log::consistency))
        .merge(authed)
        .merge(receipts)
        .merge(check)
}
