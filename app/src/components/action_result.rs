//! The outcome of a form's server action, announced to screen readers: a confirmation in a
//! `status` region, or the error in an `alert`.

use crate::error::AppError;
use crate::model::RequestView;
use leptos::prelude::*;

/// Shows the latest result of an action, if any.
#[component]
pub fn ActionResult(
    result: Signal<Option<Result<RequestView, AppError>>>,
    /// The confirmation to show on success.
    done: fn(&RequestView) -> AnyView,
) -> impl IntoView {
    move || {
        result.get().map(|r| match r {
            Ok(v) => {
                view! { <p class="notice notice-success" role="status">{done(&v)}</p> }.into_any()
            }
            Err(AppError::StepUpRequired { sign_in_url }) => view! {
                <p class="notice notice-error" role="alert">
                    {AppError::StepUpRequired { sign_in_url: String::new() }.to_string()}
                    " "
                    <a rel="external" href=sign_in_url>"Sign in again"</a>
                </p>
            }
            .into_any(),
            Err(e) => {
                view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
            }
        })
    }
}
