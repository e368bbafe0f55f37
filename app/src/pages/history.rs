//! `/me/history`: every access to the owner's mailboxes, newest first, a page at a time,
//! narrowed by agent, part of the mailbox, result and dates, and downloadable as CSV or
//! JSON. Pages are found by keyset (`before=` / `after=` an event), never by OFFSET, so page
//! 1 000 costs what page 1 costs. After hydration, paging happens in place without a reload.

use crate::api::overview::load_history;
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::history_filter::FilterForm;
use crate::components::log_verification::{LogBanner, LogChecks};
use crate::error::AppError;
use crate::model::{FilterError, HistoryCursor, HistoryFilter, HistoryPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

pub(crate) fn with_filter(path: &str, filter_query: &str, rest: &str) -> String {
    let parts: Vec<&str> = [filter_query, rest]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// What the page shows: a page of accesses, or the filter form with what to fix in it (no
/// accesses: none match a filter that cannot be applied).
#[derive(Clone, Serialize, Deserialize)]
enum Shown {
    Page(HistoryPage, HistoryFilter),
    Problem(FilterError, Vec<String>),
}

/// The access history page.
#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let request = move || {
        query.with(|q| {
            let cursor =
                HistoryCursor::from_query(q.get("before").as_deref(), q.get("after").as_deref());
            let filter = HistoryFilter::from_query(|k| q.get(k));
            (cursor, filter)
        })
    };
    let page = Resource::new(request, |(cursor, filter)| async move {
        match (cursor, filter) {
            (Ok(cursor), Ok(filter)) => load_history(cursor, filter.clone())
                .await
                .map(|p| Shown::Page(p, filter)),
            (Ok(_), Err(problem)) => {
                // The staff list of the form still comes from the whole history.
                let agents = load_history(None, HistoryFilter::default()).await?.agents;
                Ok(Shown::Problem(problem, agents))
            }
            (Err(message), _) => Err(AppError::Invalid(message)),
        }
    });
    // After hydration the browser verifies each page of events against the log itself.
    let checks = LogChecks::provide();
    Effect::new(move |_| {
        if let Some(Ok(Shown::Page(p, _))) = page.get() {
            checks.check(p.events);
        }
    });
    view! {
        <Title text="Access history — Glassbox"/>
        <h1>"Access history"</h1>
        <p class="lead">"Every time staff or the mail system touched your mailbox, allowed or refused, newest first."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Shown::Problem(problem, agents)) => view! {
                        <FilterForm filter=problem.filter.clone() agents=Some(agents) problem=Some(problem) action="/me/history" label="Filter your access history"/>
                        <p class="count">"No accesses are shown until the filter is corrected."</p>
                    }.into_any(),
                    Ok(Shown::Page(p, filter)) => {
                        let fq = filter.to_query();
                        let newer = p.newer.map(|c| with_filter("/me/history", &fq, &c.to_query()));
                        let older = p.older.map(|c| with_filter("/me/history", &fq, &c.to_query()));
                        let newest = with_filter("/me/history", &fq, "");
                        let at_newest = p.at_newest;
                        let filtered = !filter.is_empty();
                        view! {
                            <FilterForm filter=filter.clone() agents=Some(p.agents.clone()) problem=None action="/me/history" label="Filter your access history"/>
                            <p class="count">
                                {if filtered { format!("{} matching accesses.", p.total) } else { format!("{} accesses in all.", p.total) }}
                                " Download: "
                                <a href=with_filter("/me/history/export.csv", &fq, "") download="">"CSV"</a>
                                " · "
                                <a href=with_filter("/me/history/export.json", &fq, "") download="">"JSON with proofs"</a>
                                " · "
                                <a href=with_filter("/me/history/export.zip", &fq, "") download="">"ZIP (both, and how to check them)"</a>
                                " · "
                                <a href="/verify/export">"Check an exported file"</a>
                            </p>
                            <LogBanner/>
                            <EventTable events=p.events caption="Accesses to your mailbox, newest first"/>
                            <nav class="pager" aria-label="Pages of your access history">
                                {(!at_newest).then(|| view! {
                                    <A href=newest attr:class="button">"Newest"</A>
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
