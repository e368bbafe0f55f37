//! A table of access events, readable on a phone (each row becomes a card on narrow screens).

use super::log_verification::LogCell;
use super::when::When;
use crate::model::{Decision, EventView};
use leptos::prelude::*;

/// The events, newest first, with a caption naming what they are; each names the request
/// it was decided under with a link to it, unless `link_requests` is false (the request's
/// own page).
#[component]
pub fn EventTable(
    events: Vec<EventView>,
    caption: &'static str,
    #[prop(default = true)] link_requests: bool,
    /// Each row offers "I don't recognise this" (the owner's own pages; not the report page).
    #[prop(default = true)]
    report: bool,
    /// The owner is reading (rows speak to them: "you were not asked"); a security admin
    /// reads another person's accesses otherwise.
    #[prop(default = true)]
    owners: bool,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="empty">"No accesses to show."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="events">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Result"</th>
                        <th scope="col">"Log entry"</th>
                    </tr>
                </thead>
                <tbody>
                    {
                        let on_page: std::collections::HashSet<_> = events.iter().map(|e| e.seq).collect();
                        events
                            .into_iter()
                            .map(|e| {
                                let login_on_page = e.in_session_of.is_some_and(|l| on_page.contains(&l));
                                view! { <EventRow event=e login_on_page link_requests report owners/> }
                            })
                            .collect_view()
                    }
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A folder or message as the mail system names it, in words: `folder:INBOX` is folder
/// "INBOX", `message:42` is message 42; anything else as it was reported.
pub fn resource_words(resource: &str) -> String {
    match resource.split_once(':') {
        Some(("folder", name)) if !name.is_empty() => format!("folder \u{201c}{name}\u{201d}"),
        Some(("message", id)) if !id.is_empty() => format!("message {id}"),
        _ => resource.to_string(),
    }
}

#[component]
fn EventRow(
    event: EventView,
    login_on_page: bool,
    link_requests: bool,
    report: bool,
    owners: bool,
) -> impl IntoView {
    let flag = if owners {
        "Emergency access — you were not asked"
    } else {
        "Emergency access — the owner was not asked"
    };
    let who = match (&event.agent_pseudonym, event.agent_role) {
        (Some(p), Some(r)) => format!("{p} ({})", r.label()),
        (Some(p), None) => p.clone(),
        _ => "The mail system".to_string(),
    };
    // The strength of the sign-in behind it: the agent's last completed sign-in before it.
    let sign_in = event
        .agent_pseudonym
        .as_ref()
        .map(|_| match event.agent_sign_in {
            Some(s) => view! {
                <span class=format!("sign-in sign-in-{}", s.factor.as_str())>
                    {s.factor.plain_words()}" at "<When at=s.at/>
                </span>
            }
            .into_any(),
            None => view! { <span class="sign-in">"no staff sign-in recorded before this"</span> }
                .into_any(),
        });
    let (result_class, result_label) = match event.decision {
        Decision::Allowed => ("decision decision-allowed", "Allowed"),
        Decision::Denied => ("decision decision-denied", "Refused"),
    };
    // A receipt of a staff IMAP session: shown under its login event (the history puts it
    // right below when the login is on the same page). Its login's position is a history
    // position, not the log index the rows show, so it is not printed.
    let session = event.in_session_of.map(|_| {
        let words = if login_on_page {
            "In the IMAP session logged in above: "
        } else {
            "In an IMAP session logged in earlier (an older page): "
        };
        view! { <span class="in-session">{words}</span> }
    });
    let row_class = if event.in_session_of.is_some() {
        "receipt"
    } else {
        ""
    };
    view! {
        <tr class=row_class>
            <td data-label="When"><When at=event.occurred_at/></td>
            <td data-label="Who">{who}{sign_in}</td>
            <td data-label="What">
                {event.break_glass.then(|| view! { <span class="emergency-flag">{flag}</span> })}
                {session}
                <span class="action">{event.action.replace('_', " ")}</span>
                <span class="scope">{format!(" — {}", event.scope.plain_words())}</span>
                <span class="mailbox">{event.mailbox}</span>
                {(!event.resource.is_empty()).then(|| view! { <span class="resource">{resource_words(&event.resource)}</span> })}
                {event.source_network.map(|n| view! { <span class="network">{format!("from {n}")}</span> })}
                {event.request_id.filter(|_| link_requests).map(|id| {
                    let short = id.to_string().chars().take(8).collect::<String>();
                    view! { <a class="under-request" href=format!("/me/requests/{id}")>{format!("Request {short}")}</a> }
                })}
            </td>
            <td data-label="Result">
                <span class=result_class>{result_label}</span>
                <span class="reason">{event.reason}</span>
            </td>
            <td data-label="Log entry">
                <LogCell index=event.log_index/>
                {report.then(|| view! {
                    <a class="report-link" href=format!("/me/report?access={}", event.seq.0)>"I don't recognise this"</a>
                })}
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_messages_are_named_in_words_and_anything_else_as_reported() {
        assert_eq!(
            resource_words("folder:INBOX"),
            "folder \u{201c}INBOX\u{201d}"
        );
        assert_eq!(resource_words("message:e2e"), "message e2e");
        assert_eq!(resource_words("folder:"), "folder:");
        assert_eq!(resource_words("calendar/7"), "calendar/7");
    }
}
