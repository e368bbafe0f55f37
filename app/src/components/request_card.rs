//! One access request in plain words: who, what, why, for how long.

use super::format::{duration_minutes, sentence_list};
use super::status_badge::StatusBadge;
use super::when::{reader_now, When};
use crate::model::{AccessRequestStatus, RequestView};
use leptos::prelude::*;

/// A request as a card; `show_mailbox` when the viewer may have several mailboxes.
#[component]
pub fn RequestCard(
    request: RequestView,
    #[prop(optional)] agent_name: Option<String>,
    /// A link under the card (e.g. "Review and decide").
    #[prop(optional)]
    link: Option<(String, &'static str)>,
    /// Controls under the card (decision forms).
    #[prop(optional)]
    children: Option<Children>,
    /// The card is a section of the page right under its `<h1>` (its title is an `<h2>`,
    /// not an `<h3>`, so heading levels never skip).
    #[prop(optional)]
    under_title: bool,
) -> impl IntoView {
    let words = |scopes: &[crate::model::Scope]| {
        let what: Vec<&str> = scopes.iter().map(|s| s.plain_words()).collect();
        sentence_list(&what)
    };
    // Once the owner allowed less than asked, both: what was asked and what was allowed.
    let narrowed = request.scopes.len() < request.asked_scopes.len();
    let shorter = request
        .granted_minutes
        .filter(|m| *m < request.duration_minutes);
    // The server's count of what is left goes with its UTC text; the reader's clock says
    // "in 45 minutes" itself once the page is live.
    let left = request
        .minutes_left
        .map(|m| format!(" ({} left)", duration_minutes(m.max(1))));
    let now = reader_now();
    let left = move || left.clone().filter(|_| now.try_get().flatten().is_none());
    let when = match request.status {
        // Nobody asks the owner to decide an emergency access: it waits for a second
        // security admin.
        AccessRequestStatus::Pending if request.break_glass => {
            Some(("Expires unless approved by", request.expires_at))
        }
        AccessRequestStatus::Pending => Some(("Decide by", request.expires_at)),
        AccessRequestStatus::Approved => request.grant_ends_at.map(|t| ("Access ends", t)),
        _ => None,
    };
    let title = view! {
        {request.agent_pseudonym.clone()}
        <span class="role">{format!(" · {}", request.agent_role.label())}</span>
        {agent_name.map(|n| view! { <span class="staff-name">{format!(" · {n}")}</span> })}
    };
    view! {
        <article class="request-card" aria-label=if request.break_glass { format!("Emergency access for {}", request.agent_pseudonym) } else { format!("Request from {}", request.agent_pseudonym) }>
            <header>
                <StatusBadge status=request.status/>
                {if under_title {
                    view! { <h2>{title}</h2> }.into_any()
                } else {
                    view! { <h3>{title}</h3> }.into_any()
                }}
            </header>
            {request.break_glass.then(|| view! {
                <p class="emergency-flag" role="note">"Emergency access: the security team opened this without asking you, for a life-safety emergency or a legal request. One security admin opened it and a second, different one approved it. You cannot approve, deny or stop it; it ends on its own at the time shown, and every access under it is shown to you."</p>
            })}
            <dl>
                <dt>"Mailbox"</dt>
                <dd>{request.mailbox.clone()}</dd>
                {if narrowed {
                    view! {
                        <dt>"Asked to"</dt>
                        <dd>{words(&request.asked_scopes)}</dd>
                        <dt>"Allowed to"</dt>
                        <dd class="allowed-less">{words(&request.scopes)}</dd>
                    }
                    .into_any()
                } else {
                    view! { <dt>"Wants to"</dt><dd>{words(&request.scopes)}</dd> }.into_any()
                }}
                <dt>"Why"</dt>
                <dd>
                    {request.justification_code.plain_words()}
                    {(!request.justification_text.is_empty()).then(|| format!(": “{}”", request.justification_text))}
                </dd>
                {request.ticket.clone().map(|t| {
                    let label = if request.break_glass { "Reference" } else { "Ticket" };
                    view! { <dt>{label}</dt><dd>{t}</dd> }
                })}
                <dt>"Asked for"</dt>
                <dd>{duration_minutes(request.duration_minutes)}</dd>
                {shorter.map(|m| view! { <dt>"Allowed for"</dt><dd class="allowed-less">{duration_minutes(m)}</dd> })}
                {when.map(|(label, t)| view! { <dt>{label}</dt><dd><When at=t/>{left.clone()}</dd> })}
                {request.decision_reason.clone().map(|r| view! { <dt>"Reason given"</dt><dd>{r}</dd> })}
            </dl>
            {link.map(|(href, label)| view! { <p class="card-link"><a href=href>{label}</a></p> })}
            {children.map(|c| view! { <div class="card-actions">{c()}</div> })}
        </article>
    }
}
