//! The outcome of a form's server action, announced to screen readers: a confirmation in a
//! `status` region, or the error in an `alert`, with the way forward when the error has one
//! (sign in again, confirm with a passkey).

use crate::error::AppError;
use leptos::prelude::*;

/// An error as a notice: its words, and a link when the person can do something about it.
pub fn error_notice(error: AppError) -> AnyView {
    let words = error.to_string();
    let way_forward = match error {
        AppError::StepUpRequired { sign_in_url } => {
            Some(view! { " " <a rel="external" href=sign_in_url>"Sign in again"</a> }.into_any())
        }
        AppError::PasskeyRequired { confirm_url } => Some(
            view! { " " <a rel="external" href=confirm_url>"Confirm with your security key"</a> }
                .into_any(),
        ),
        _ => None,
    };
    view! { <p class="notice notice-error" role="alert">{words}{way_forward}</p> }.into_any()
}

/// Shows the latest result of an action, if any; `done` says what a success did.
#[component]
pub fn ActionResult<T>(
    result: Signal<Option<Result<T, AppError>>>,
    /// The confirmation to show on success.
    done: fn(&T) -> AnyView,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        result.get().map(|r| match r {
            Ok(v) => {
                view! { <p class="notice notice-success" role="status">{done(&v)}</p> }.into_any()
            }
            Err(e) => error_notice(e),
        })
    }
}

/// Shows the latest result of an action whose success is always told in the same words.
#[component]
pub fn ActionNotice<T>(
    result: Signal<Option<Result<T, AppError>>>,
    /// The confirmation to show on success.
    done: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        result.get().map(|r| match r {
            Ok(_) => view! { <p class="notice notice-success" role="status">{done}</p> }.into_any(),
            Err(e) => error_notice(e),
        })
    }
}
