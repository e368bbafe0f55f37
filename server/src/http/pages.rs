//! Responses for the pages the server renders outside the hydrated app (the sign-in steps,
//! the pages email links open, the development mailbox). Their views are Leptos
//! components written next to their handlers; the shell around them is the app's
//! [`app::components::page_shell::StandalonePage`], so every page of the site has the same
//! document, stylesheet and landmarks, and Leptos escapes everything they show.

use app::components::page_shell::render_standalone;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::IntoView;

/// A whole page with `status`: `title` is its `<title>`, `main` what goes in `<main>`
/// (starting with its `<h1>`).
pub fn page(status: StatusCode, title: &str, main: impl IntoView + 'static) -> Response {
    (status, Html(render_standalone(title, main))).into_response()
}
