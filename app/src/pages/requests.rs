//! `/me/requests`: every request about the owner's mailboxes, newest first.

use crate::api::requests::load_requests;
use crate::components::error_view::ErrorView;
use crate::components::request_card::RequestCard;
use crate::model::AccessRequestStatus;
use leptos::prelude::*;
use leptos_meta::Title;

/// The owner's request history page.
#[component]
pub fn RequestsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| load_requests());
    view! {
        <Title text="Your requests — Glassbox"/>
        <h1>"Requests for access"</h1>
        <p class="lead">"Every time staff asked to access your mailbox, and what happened."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"Nobody has asked for access."</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|r| {
                        let label = if r.status == AccessRequestStatus::Pending { "Review and decide" } else { "Details" };
                        let link = (format!("/me/requests/{}", r.id), label);
                        view! { <RequestCard request=r link=link under_title=true/> }
                    }).collect_view().into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
