//! `/me/incidents`: every security incident that touched the owner's mailboxes, newest
//! first, with how far along their checklist they are, so an incident can always be found
//! again after its banner is gone.

use crate::api::incidents::load_incident_notices;
use crate::components::error_view::ErrorView;
use crate::components::when::When;
use leptos::prelude::*;
use leptos_meta::Title;

/// The owner's list of incidents.
#[component]
pub fn OwnerIncidentsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| load_incident_notices());
    view! {
        <Title text="Security incidents — Glassbox"/>
        <h1>"Security incidents"</h1>
        <p class="lead">"Incidents that touched your mailbox, what happened, and the steps that keep your account safe."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No security incident has touched your mailbox."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="incident-list">
                            {list.into_iter().map(|n| {
                                let state = if n.closed { "Closed" } else { "Being handled" };
                                let told = n.confirmed_at.map(|t| view! { " · told on "<When at=t/> });
                                let progress = format!("{} of {} steps done", n.steps_done, n.steps_total);
                                let read = if n.acknowledged { " · you read it" } else { " · not read yet" };
                                view! {
                                    <li>
                                        <a href=format!("/me/incidents/{}", n.id)>{n.title}</a>
                                        <p class="hint">{state}{told}{format!(" · {progress}{read}")}</p>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
