//! `/staff`: the staff console's home — the requests in view and their consent status.

use crate::api::staff::load_staff_home;
use crate::components::error_view::ErrorView;
use crate::components::request_card::RequestCard;
use crate::model::StaffRole;
use leptos::prelude::*;
use leptos_meta::Title;

/// The staff console home page.
#[component]
pub fn StaffConsolePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| load_staff_home());
    view! {
        <Title text="Staff console — Glassbox"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(h) => {
                        let scope = match h.role {
                            StaffRole::Support => "Your access requests",
                            StaffRole::SecurityAdmin => "All access requests",
                        };
                        view! {
                            <h1>"Staff console"</h1>
                            <p class="lead">
                                {format!("Signed in as {} ({}). Owners see you as {}.", h.display_name, h.role.label(), h.pseudonym)}
                            </p>
                            <ul class="stats" aria-label="Requests by status">
                                {h.counts.into_iter().map(|(status, n)| view! {
                                    <li><strong>{n}</strong>{format!(" {}", status.label().to_lowercase())}</li>
                                }).collect_view()}
                            </ul>
                            <section aria-labelledby="requests-heading">
                                <h2 id="requests-heading">{scope}</h2>
                                {if h.requests.is_empty() {
                                    view! { <p class="empty">"No requests yet."</p> }.into_any()
                                } else {
                                    h.requests.into_iter().map(|r| view! {
                                        <RequestCard request=r.request agent_name=r.agent_name/>
                                    }).collect_view().into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <h1>"Staff console"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
