//! How every page shows an [`AppError`]: in plain words, with the next step to take.

use crate::error::AppError;
use leptos::prelude::*;

/// Shows an error and, during server rendering, sets the page's HTTP status.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    error.set_response_status();
    let next = match &error {
        AppError::Unauthorized => {
            // Back here after signing in: the page asked for is where the person was going.
            let here = leptos_router::hooks::use_location()
                .pathname
                .get_untracked();
            let href = sign_in_href(&here);
            view! { <p><a class="button" href=href rel="external">"Sign in"</a></p> }.into_any()
        }
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

/// The sign-in address that comes back to `path` (a local path) afterwards.
pub fn sign_in_href(path: &str) -> String {
    if !path.starts_with('/') || path.starts_with("//") || path == "/" {
        return "/auth/login".into();
    }
    format!("/auth/login?return_to={}", path_param(path))
}

/// A local path as a query parameter value: percent-encoded except the characters plain
/// paths are made of.
pub fn path_param(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                encoded.push(b as char)
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_comes_back_to_the_page_and_only_to_a_local_one() {
        assert_eq!(
            sign_in_href("/me/requests/abc"),
            "/auth/login?return_to=/me/requests/abc"
        );
        assert_eq!(
            sign_in_href("/me/x?y&z"),
            "/auth/login?return_to=/me/x%3Fy%26z"
        );
        assert_eq!(sign_in_href("//evil.example"), "/auth/login");
        assert_eq!(sign_in_href("/"), "/auth/login");
    }
}
