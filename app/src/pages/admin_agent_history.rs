//! `/admin/staff/{id}/accesses`: every access one staff member made to any mailbox, newest
//! first, a page at a time, narrowed by part of the mailbox, result and dates, and
//! downloadable as CSV or JSON — the same filters and export as an owner's history, for
//! security admins. Pages are found by keyset (`before=` / `after=`), never by OFFSET.

use crate::api::roster::load_agent_history;
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::history_filter::FilterForm;
use crate::error::AppError;
use crate::model::{HistoryCursor, HistoryFilter};
use crate::pages::history::with_filter;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// One staff member's accesses.
#[component]
pub fn AdminAgentHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let request = move || {
        let id = params.with(|p| p.get("id").unwrap_or_default());
        query.with(|q| {
            let cursor =
                HistoryCursor::from_query(q.get("before").as_deref(), q.get("after").as_deref());
            (id, cursor, HistoryFilter::from_query(|k| q.get(k)))
        })
    };
    let page = Resource::new(request, |(id, cursor, filter)| async move {
        match (cursor, filter) {
            (Ok(cursor), Ok(filter)) => load_agent_history(id.clone(), cursor, filter.clone())
                .await
                .map(|h| (id, Ok((h, filter)))),
            (Ok(_), Err(problem)) => Ok((id, Err(problem))),
            (Err(message), _) => Err(AppError::Invalid(message)),
        }
    });
    view! {
        <Title text="Staff accesses — Glassbox"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((id, Err(problem))) => {
                        let action = format!("/admin/staff/{id}/accesses");
                        view! {
                            <h1>"Accesses by one staff member"</h1>
                            <FilterForm filter=problem.filter.clone() agents=None problem=Some(problem) action label="Filter this staff member's accesses"/>
                            <p class="count">"No accesses are shown until the filter is corrected."</p>
                        }.into_any()
                    }
                    Ok((id, Ok((h, filter)))) => {
                        let base = format!("/admin/staff/{id}/accesses");
                        let fq = filter.to_query();
                        let p = h.page;
                        let newer = p.newer.map(|c| with_filter(&base, &fq, &c.to_query()));
                        let older = p.older.map(|c| with_filter(&base, &fq, &c.to_query()));
                        let newest = with_filter(&base, &fq, "");
                        let at_newest = p.at_newest;
                        let count = if filter.is_empty() { format!("{} accesses in all.", p.total) } else { format!("{} matching accesses.", p.total) };
                        let csv = with_filter(&format!("{base}.csv"), &fq, "");
                        let json = with_filter(&format!("{base}.json"), &fq, "");
                        view! {
                            <h1>{format!("Accesses by {}", h.name)}</h1>
                            <p class="lead">{format!("Every access {} ({}) made to any mailbox, allowed or refused, newest first. ", h.name, h.email)}<a href=format!("/admin/staff/{id}")>"Their requests and activity"</a></p>
                            <FilterForm filter=filter.clone() agents=None problem=None action=base.clone() label="Filter this staff member's accesses"/>
                            <p class="count">
                                {count}
                                " Download: "
                                <a href=csv download="">"CSV"</a>
                                " · "
                                <a href=json download="">"JSON"</a>
                            </p>
                            <EventTable events=p.events caption="This staff member's accesses, newest first" link_requests=false report=false owners=false/>
                            <nav class="pager" aria-label="Pages of this staff member's accesses">
                                {(!at_newest).then(|| view! { <A href=newest attr:class="button">"Newest"</A> })}
                                {newer.map(|href| view! { <A href=href attr:class="button" attr:rel="prev">"Newer accesses"</A> })}
                                {older.map(|href| view! { <A href=href attr:class="button" attr:rel="next">"Older accesses"</A> })}
                            </nav>
                        }.into_any()
                    }
                    Err(e) => view! { <h1>"Accesses by one staff member"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
