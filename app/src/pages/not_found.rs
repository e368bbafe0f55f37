//! The page for addresses that lead nowhere (HTTP 404).

use crate::components::error_view::ErrorView;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any unknown path.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <Title text="Not found — Glassbox"/>
        <h1>"Page not found"</h1>
        <ErrorView error=AppError::NotFound/>
        <p><a href="/">"Go to the start page"</a></p>
    }
}
