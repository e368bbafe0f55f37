//! `/me/history`: every access to the owner's mailboxes, newest first, a page at a time,
//! narrowed by agent, part of the mailbox, result and dates, and downloadable as CSV or
//! JSON. Pages are found by keyset (`before=` / `after=` an event), never by OFFSET, so page
//! 1 000 costs what page 1 costs. After hydration, paging happens in place without a reload.

use crate::api::overview::load_history;
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::log_verification::{LogBanner, LogChecks};
use crate::error::AppError;
use crate::model::{
    Decision, FilterError, FilterField, HistoryCursor, HistoryFilter, HistoryPage, Scope,
    MAIL_SYSTEM,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

fn with_filter(path: &str, filter_query: &str, rest: &str) -> String {
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
                        <FilterForm filter=problem.filter.clone() agents problem=Some(problem)/>
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
                            <FilterForm filter=filter.clone() agents=p.agents.clone() problem=None/>
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

/// The filter form. With `problem`, the field to fix is marked invalid, focused, and
/// described by the message shown beside it (announced by screen readers).
#[component]
fn FilterForm(
    filter: HistoryFilter,
    agents: Vec<String>,
    problem: Option<FilterError>,
) -> impl IntoView {
    // A filter to correct is a bad request (for scripts and tests; people see the form).
    #[cfg(feature = "ssr")]
    if problem.is_some() {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::BAD_REQUEST);
        }
    }
    let selected_agent = filter.agent.clone().unwrap_or_default();
    let bad = |field: FilterField| {
        problem
            .as_ref()
            .filter(|p| p.field == field)
            .map(|p| p.message.clone())
    };
    let message = |field: FilterField| {
        bad(field).map(|m| {
            view! {
                <p id="f-problem" class="field-error" role="alert">{m}</p>
            }
        })
    };
    let invalid = |field: FilterField| bad(field).map(|_| "true");
    let described = |field: FilterField| bad(field).map(|_| "f-problem");
    let focus = |field: FilterField| bad(field).is_some();
    view! {
        <form method="get" action="/me/history" class="filters" aria-label="Filter your access history">
            <div class="field">
                <label for="f-agent">"Who"</label>
                <select id="f-agent" name="agent">
                    <option value="">"Anyone"</option>
                    <option value=MAIL_SYSTEM selected=selected_agent == MAIL_SYSTEM>"The mail system"</option>
                    {agents.into_iter().map(|a| {
                        let selected = a == selected_agent;
                        view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-scope">"Part of the mailbox"</label>
                <select id="f-scope" name="scope" aria-invalid=invalid(FilterField::Scope)
                    aria-describedby=described(FilterField::Scope) autofocus=focus(FilterField::Scope)>
                    <option value="">"Any"</option>
                    {Scope::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=filter.scope == Some(*s)>{s.label()}</option>
                    }).collect_view()}
                </select>
                {message(FilterField::Scope)}
            </div>
            <div class="field">
                <label for="f-decision">"Result"</label>
                <select id="f-decision" name="decision" aria-invalid=invalid(FilterField::Decision)
                    aria-describedby=described(FilterField::Decision) autofocus=focus(FilterField::Decision)>
                    <option value="">"Allowed or refused"</option>
                    <option value="allowed" selected=filter.decision == Some(Decision::Allowed)>"Allowed"</option>
                    <option value="denied" selected=filter.decision == Some(Decision::Denied)>"Refused"</option>
                </select>
                {message(FilterField::Decision)}
            </div>
            <div class="field">
                <label for="f-from">"From"</label>
                <input id="f-from" type="date" name="from" value=filter.from.clone().unwrap_or_default()
                    aria-invalid=invalid(FilterField::From) aria-describedby=described(FilterField::From)
                    autofocus=focus(FilterField::From)/>
                {message(FilterField::From)}
            </div>
            <div class="field">
                <label for="f-to">"To"</label>
                <input id="f-to" type="date" name="to" value=filter.to.clone().unwrap_or_default()
                    aria-invalid=invalid(FilterField::To) aria-describedby=described(FilterField::To)
                    autofocus=focus(FilterField::To)/>
                {message(FilterField::To)}
            </div>
            <div class="field actions">
                <button type="submit" class="button">"Show"</button>
                <a href="/me/history">"Clear"</a>
            </div>
        </form>
    }
}
