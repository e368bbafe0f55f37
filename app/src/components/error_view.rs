//! How every page shows an [`AppError`]: in plain words, with the next step to take.

use crate::error::AppError;
use leptos::prelude::*;

/// Shows an error and, during server rendering, sets the page's HTTP status.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(code) = axum::http::StatusCode::from_u16(error.status_code()) {
            opts.set_status(code);
        }
    }
    let next = match &error {
        AppError::Unauthorized => view! {
            <p><a class="button" href="/auth/login" rel="external">"Sign in"</a></p>
        }
        .into_any(),
        AppError::Forbidden => view! {
            <p><a href="/">"Go to the start page"</a></p>
        }
        .into_any(),
        _ => ().into_any(),
    };
    view! {
        <section class="notice notice-error" role="alert">
            <h2>"We could not show this"</h2>
            <p>{error.to_string()}</p>
            {next}
        </section>
    }
}
