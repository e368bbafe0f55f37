//! Service API v1: JSON over HTTP for the mail system and support tooling, authenticated
//! with a service token (`Authorization: Bearer gbx_…`), and the public log endpoints
//! (`/log/*`, no token: anyone may audit the log). The contract is the OpenAPI
//! document served at `/api/v1/openapi.json` (the README's "Service API" section shows it
//! in use); errors have the shape of [`crate::http::error::ErrorBody`].

pub mod auth;
pub mod docs;
pub mod error;
pub mod openapi;
pub mod public_log;
pub mod v1;

use crate::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The `/api/v1` routes, and the OpenAPI document made from them.
pub fn routes(state: AppState) -> Router<AppState> {
    let (router, doc) = documented_routes(state.clone()).split_for_parts();
    let doc = openapi::document(doc, &state.settings);
    let json = match doc.to_pretty_json() {
        Ok(json) => json,
        // The document is built from types; serialising it cannot fail.
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document did not serialise");
            String::new()
        }
    };
    let served = std::sync::Arc::new(json);
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let served = served.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        served.to_string(),
                    )
                        .into_response()
                }
            }),
        )
        .route("/api/docs", get(docs::page))
        // The public log: no token, anyone may audit it.
        .route("/log/checkpoint", get(public_log::checkpoint))
        .route(
            "/log/checkpoint/witnessed",
            get(public_log::witnessed_checkpoint),
        )
        .route("/log/witnesses", get(public_log::witness_policy))
        .route("/log/key", get(public_log::key))
        .route("/log/key-changes", get(public_log::key_changes))
        .route("/log/proof/inclusion", get(public_log::inclusion))
        .route("/log/proof/consistency", get(public_log::consistency))
        // C2SP tlog-tiles: the log's prefix is its origin, `<host>/log`, so a tiles client
        // reads `/log/checkpoint` and `/log/tile/…`; `/tile/…` is the same, shorter.
        .route("/tile/{*path}", get(public_log::tile))
        .route("/log/tile/{*path}", get(public_log::tile))
        .merge(router)
}

/// The API routes, each mounted where its `#[utoipa::path]` says, so the document and the
/// router cannot disagree.
pub fn documented_routes(state: AppState) -> OpenApiRouter<AppState> {
    let (receipt_schemas, receipt_paths, receipts) = routes!(v1::imap_receipts);
    let receipts = (
        receipt_schemas,
        receipt_paths,
        receipts.layer(axum::extract::DefaultBodyLimit::max(v1::RECEIPT_BODY_LIMIT)),
    );
    let authed = OpenApiRouter::new()
        .routes(routes!(v1::create_request))
        .routes(routes!(v1::get_request))
        .routes(routes!(v1::cancel_request))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_service_token,
        ))
        .route_layer(axum::middleware::from_fn(crate::http::security::no_store));
    // Receipts: bounded in size, and rate-limited apart from the rest of the API.
    let receipts = OpenApiRouter::new()
        .routes(receipts)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_service_token_for_receipts,
        ))
        .route_layer(axum::middleware::from_fn(crate::http::security::no_store));
    // The check and the IMAP login identify their token from memory; the log writer
    // checks it is live.
    let check = OpenApiRouter::new()
        .routes(routes!(v1::check))
        .routes(routes!(v1::imap_login))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            auth::identify_service_token,
        ))
        .route_layer(axum::middleware::from_fn(crate::http::security::no_store));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(authed)
        .merge(receipts)
        .merge(check)
}
