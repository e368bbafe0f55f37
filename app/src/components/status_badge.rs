//! A request's status as a labelled badge (colour is never the only signal).

use crate::model::AccessRequestStatus;
use leptos::prelude::*;

/// The status in words, styled by state.
#[component]
pub fn StatusBadge(status: AccessRequestStatus) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", status.as_str())>{status.label()}</span> }
}
