//! Who is signed in: the session store, the identity kept in a session, and the sign-in
//! and sign-out routes.

pub mod flow;
pub mod identity;
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
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            flow::staff_networks_only,
        ));
    Router::new()
        .route("/auth/demo", post(routes::demo_sign_in))
        .route("/auth/login", get(flow::owner_login))
        .route("/auth/callback", get(flow::callback))
        .merge(staff)
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            sign_in_rate_limit,
        ))
        .route("/auth/logout", post(routes::logout))
}
