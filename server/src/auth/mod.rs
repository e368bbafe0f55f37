//! Who is signed in: the session store, the identity kept in a session, and the sign-in
//! and sign-out routes.

pub mod flow;
pub mod identity;
pub mod passkey_views;
pub mod passkeys;
pub mod routes;
pub mod store;

use crate::http::security::sign_in_rate_limit;
use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The sign-in and sign-out routes. Sign-in is rate limited per client address; the staff
/// sign-in only answers on the staff networks.
pub fn routes(state: AppState) -> Router<AppState> {
    let staff = Router::new()
        .route("/staff/login", get(flow::staff_login))
        .route("/staff/totp", get(flow::totp_form).post(flow::totp_submit))
        .route(
            "/staff/passkey/sign-in/options",
            post(passkeys::sign_in_options),
        )
        .route("/staff/passkey/sign-in", post(passkeys::sign_in_finish))
        .route(
            "/staff/passkey/enrol/options",
            post(passkeys::enrol_options),
        )
        .route("/staff/passkey/enrol", post(passkeys::enrol_finish))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            flow::staff_networks_only,
        ));
    Router::new()
        .route("/auth/demo", post(routes::demo_sign_in))
        .route("/auth/login", get(flow::owner_login))
        .route("/auth/callback", get(flow::callback))
        .merge(staff)
        .route("/passkeys/add/options", post(passkeys::add_options))
        .route("/passkeys/add", post(passkeys::add_finish))
        .route("/passkeys/confirm/options", post(passkeys::confirm_options))
        .route("/passkeys/confirm", post(passkeys::confirm_finish))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            sign_in_rate_limit,
        ))
        .route("/auth/logout", post(routes::logout))
        .route("/passkeys/{id}/remove", post(passkeys::remove))
        .route("/staff/keys", get(passkeys::keys_page))
        .route("/me/keys", get(passkeys::keys_page))
        .route("/staff/confirm", get(passkeys::confirm_page))
        .route("/me/confirm", get(passkeys::confirm_page))
}
