//! Plain axum routes and middleware: health, assets, exports, the pages
//! email links open, the staff's IMAP credential, security headers, the CSRF defence, errors.

pub mod agent_export;
pub mod assets;
pub mod email_links;
pub mod error;
pub mod export;
pub mod health;
pub mod imap_credential;
pub mod pages;
pub mod security;
pub mod server;

use crate::state::AppState;
use axum::routing::get;
use axum::Router;

/// Routes anyone may call without a cookie: health, assets, and one-click
/// unsubscribe.
pub fn public_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/pkg/glassbox.css", get(assets::stylesheet))
        .route("/pkg/passkeys.js", get(assets::passkeys_script))
        .route("/favicon.svg", get(assets::favicon))
        .route("/favicon.ico", get(assets::favicon))
        .merge(assets::bundle_routes(&state.settings.http.site_root))
        .merge(
            email_links::one_click_routes().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                security::email_link_rate_limit,
            )),
        )
}

/// Routes that act for whoever the session cookie says: exports, the pages email links
/// open, and the staff's IMAP credential. Mounted inside the cookie session and its CSRF guard.
pub fn session_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/me/history/export.csv", get(export::csv))
        .route("/me/history/export.json", get(export::json))
        .route("/me/history/export.zip", get(export::zip_export))
        .route("/me/notices/{file}", get(export::released_notice))
        .route(
            "/admin/incidents/{id}/affected.csv",
            get(export::incident_affected_csv),
        )
        .route("/admin/staff/{id}/accesses.csv", get(agent_export::csv))
        .route("/admin/staff/{id}/accesses.json", get(agent_export::json))
        .merge(imap_credential::routes())
        .merge(
            email_links::routes().route_layer(axum::middleware::from_fn_with_state(
                state,
                security::email_link_rate_limit,
            )),
        )
}
