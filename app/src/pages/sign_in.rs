//! `/auth/demo`: one-click identities for the local demo. The server refuses this sign-in
//! outside local use; the page only lists what the server offers.

use crate::api::session::demo_identities;
use crate::components::error_view::ErrorView;
use leptos::prelude::*;
use leptos_meta::Title;

/// The demo sign-in page.
#[component]
pub fn DemoSignInPage() -> impl IntoView {
    let identities = Resource::new(|| (), |_| demo_identities());
    // Where the person was going (the server only follows local paths).
    let return_to = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("return_to")
        .unwrap_or_default();
    view! {
        <Title text="Demo sign-in — Glassbox"/>
        <h1>"Sign in to the demo"</h1>
        <p class="lead">"Choose who to be. This one-click sign-in exists only in the local demo."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let return_to = return_to.clone();
                Suspend::new(async move {
                match identities.await {
                    Ok(list) => view! {
                        <ul class="identities">
                            {list.into_iter().map(|i| view! {
                                <li>
                                    <form method="post" action="/auth/demo">
                                        <input type="hidden" name="identity" value=i.key.clone()/>
                                        <input type="hidden" name="return_to" value=return_to.clone()/>
                                        <button type="submit" class="identity">
                                            <span class="identity-name">{format!("Sign in as {}", i.name)}</span>
                                            <span class="identity-role">{i.role_label.clone()}</span>
                                            <span class="identity-desc">{i.description.clone()}</span>
                                        </button>
                                    </form>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}}
        </Suspense>
    }
}
