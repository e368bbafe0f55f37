//! `/me/notifications`: how the owner hears about accesses. Requests for access are always
//! emailed at once; this only changes the emails about accesses that happen.

use crate::api::notifications::{load_access_notices, SaveAccessNotices};
use crate::components::error_view::ErrorView;
use crate::model::AccessNotices;
use leptos::prelude::*;
use leptos_meta::Title;

/// The email settings page.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let save = ServerAction::<SaveAccessNotices>::new();
    let current = Resource::new(move || save.version().get(), |_| load_access_notices());
    view! {
        <Title text="Email settings — Glassbox"/>
        <h1>"Email settings"</h1>
        <p class="lead">"Requests for access to your mailbox are always emailed to you at once, and so is the summary of what was accessed when an access is revoked or ends. Choose how you hear about the rest."</p>
        {move || save.value().get().map(|r| match r {
            Ok(c) => view! { <p class="notice notice-success" role="status">{format!("Saved: {}.", c.plain_words())}</p> }.into_any(),
            Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match current.await {
                    Ok(choice) => view! {
                        <ActionForm action=save attr:class="decision-form">
                            <fieldset>
                                <legend>"Emails about accesses"</legend>
                                {AccessNotices::ALL.iter().map(|c| {
                                    let id = format!("notices-{}", c.as_str());
                                    let hint = format!("{id}-hint");
                                    view! {
                                        <p>
                                            <input type="radio" name="choice" id=id.clone() value=c.as_str() checked=*c == choice aria-describedby=hint.clone()/>
                                            <label for=id>" "{c.plain_words()}</label>
                                            <br/><span class="choice-hint" id=hint>{c.what_it_sends()}</span>
                                        </p>
                                    }
                                }).collect_view()}
                            </fieldset>
                            <button type="submit" class="button button-primary">"Save"</button>
                        </ActionForm>
                    }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
