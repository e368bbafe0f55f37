//! The access-history filter form (who, part of the mailbox, result, dates), shared by an
//! owner's history and a security admin's view of one staff member's accesses.

use crate::model::{Decision, FilterError, FilterField, HistoryFilter, Scope, MAIL_SYSTEM};
use leptos::prelude::*;

/// The filter form. With `problem`, the field to fix is marked invalid, focused, and
/// described by the message shown beside it (announced by screen readers).
#[component]
pub fn FilterForm(
    filter: HistoryFilter,
    /// The staff pseudonyms to choose from; `None`: no "Who" choice (one agent's page).
    agents: Option<Vec<String>>,
    problem: Option<FilterError>,
    /// Where the form goes (`GET`).
    #[prop(into)]
    action: String,
    /// The form's accessible name.
    label: &'static str,
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
        <form method="get" action=action.clone() class="filters" aria-label=label>
            {agents.map(|agents| view! {
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
            })}
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
                <a href=action.clone()>"Clear"</a>
            </div>
        </form>
    }
}
