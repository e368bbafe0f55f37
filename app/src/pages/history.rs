//! `/me/history`: every access to the owner's mailboxes, newest first, a page at a time.
//! Pages are found by keyset (`before=` / `after=` an event), never by OFFSET, so page 1 000
//! costs what page 1 costs. After hydration, paging happens in place without a reload.

use crate::api::overview::load_history;
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::error::AppError;
use crate::model::HistoryCursor;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The access history page.
#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let cursor = move || {
        query.with(|q| {
            HistoryCursor::from_query(q.get("before").as_deref(), q.get("after").as_deref())
        })
    };
    let page = Resource::new(cursor, |cursor| async move {
        match cursor {
            Ok(c) => load_history(c).await,
            Err(message) => Err(AppError::Invalid(message)),
        }
    });
    view! {
        <Title text="Access history — Glassbox"/>
        <h1>"Access history"</h1>
        <p class="lead">"Every time staff or the mail system touched your mailbox, allowed or refused, newest first."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let newer = p.newer.map(|c| format!("/me/history?{}", c.to_query()));
                        let older = p.older.map(|c| format!("/me/history?{}", c.to_query()));
                        let at_newest = p.at_newest;
                        view! {
                            <p class="count">{format!("{} accesses in all.", p.total)}</p>
                            <EventTable events=p.events caption="Accesses to your mailbox, newest first"/>
                            <nav class="pager" aria-label="Pages of your access history">
                                {(!at_newest).then(|| view! {
                                    <A href="/me/history" attr:class="button">"Newest"</A>
                                })}
                                {newer.map(|href| view! {
                                    <A href=href attr:class="button" attr:rel="prev">"Newer accesses"</A>
                                })}
                                {older.map(|href| view! {
                                    <A href=href attr:class="button" attr:rel="next">"Older accesses"</A>
                                })}
                            </nav>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
