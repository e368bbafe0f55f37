//! `/me/incidents/{id}`: what an incident did to *this* owner's mailbox, what the provider
//! has done, and a checklist of what to do. The target of the incident email's link:
//! opening it changes nothing; only its buttons do.

use crate::api::incidents::{
    load_incident_notices, load_owner_incident, AcknowledgeIncident, HideIncidentReminder,
    TickIncidentStep,
};
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::log_verification::{LogBanner, LogChecks};
use crate::components::when::When;
use crate::error::AppError;
use crate::model::OwnerIncidentView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The owner's incident page.
#[component]
pub fn OwnerIncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let tick = ServerAction::<TickIncidentStep>::new();
    let ack = ServerAction::<AcknowledgeIncident>::new();
    let incident = Resource::new(
        move || (id(), tick.version().get(), ack.version().get()),
        |(id, ..)| load_owner_incident(id),
    );
    // The accesses involved show their real place in the log, checked in the browser.
    let checks = LogChecks::provide();
    Effect::new(move |_| {
        if let Some(Ok(i)) = incident.get() {
            checks.check(i.accesses);
        }
    });
    view! {
        <Title text="Security incident — Glassbox"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match incident.await {
                    Ok(i) => view! { <IncidentDetail incident=i tick ack/> }.into_any(),
                    Err(e) => view! { <h1>"Security incident"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
        <ShowError result=tick.value().into()/>
        <ShowError result=ack.value().into()/>
    }
}

#[component]
fn ShowError(result: Signal<Option<Result<OwnerIncidentView, AppError>>>) -> impl IntoView {
    move || match result.get() {
        Some(Err(e)) => {
            Some(view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> })
        }
        _ => None,
    }
}

#[component]
fn IncidentDetail(
    incident: OwnerIncidentView,
    tick: ServerAction<TickIncidentStep>,
    ack: ServerAction<AcknowledgeIncident>,
) -> impl IntoView {
    let id = incident.id.to_string();
    let done = incident.steps.iter().filter(|(_, d)| *d).count();
    let total = incident.steps.len();
    let steps = incident
        .steps
        .into_iter()
        .map(|(step, is_done)| {
            let id = id.clone();
            let label = step.plain_words();
            let field = format!("step-{}", step.as_str());
            view! {
                <li>
                    <ActionForm action=tick attr:class="step-form">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="step" value=step.as_str()/>
                        <input type="hidden" name="done" value=if is_done { "no" } else { "yes" }/>
                        <span id=field.clone() class=if is_done { "step step-done" } else { "step" }>
                            {if is_done { "Done: " } else { "" }}{label}
                        </span>
                        <button type="submit" class="button" aria-describedby=field>
                            {if is_done { "Mark as not done" } else { "Mark as done" }}
                        </button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let acknowledged = match incident.acknowledged_at {
        Some(at) => view! { <p class="notice notice-success" role="status">"You confirmed you read this on "<When at/>"."</p> }.into_any(),
        None => view! {
            <ActionForm action=ack attr:class="decision-form">
                <input type="hidden" name="id" value=id.clone()/>
                <button type="submit" class="button button-primary">"I have read this"</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <h1>{incident.title}</h1>
        <p class="lead">{incident.description}</p>
        <section aria-labelledby="what-heading">
            <h2 id="what-heading">"What happened to your mailbox"</h2>
            <p>{format!("{}. It happened between ", incident.cause.plain_words())}<When at=incident.window_start/>" and "<When at=incident.window_end/>"."</p>
            <p><strong>{incident.exposure.plain_words()}</strong></p>
            {incident.follow_ups.into_iter().map(|m| view! { <p class="notice">{format!("Update: {m}")}</p> }).collect_view()}
        </section>
        <section aria-labelledby="done-heading">
            <h2 id="done-heading">"What we have done"</h2>
            <ul>{incident.measures.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
        </section>
        <section aria-labelledby="todo-heading">
            <h2 id="todo-heading">"What you should do"</h2>
            <p>
                {format!("{done} of {total} done. ")}
                {if incident.password_url.is_empty() {
                    view! { "Change your password in your mail account's settings." }.into_any()
                } else {
                    view! { <a href=incident.password_url rel="external">"Change your password"</a> }.into_any()
                }}
            </p>
            <ol class="checklist">{steps}</ol>
            {acknowledged}
        </section>
        <section aria-labelledby="accesses-heading">
            <h2 id="accesses-heading">"The accesses involved"</h2>
            <LogBanner covers="every access listed here"/>
            <EventTable events=incident.accesses caption="Every access to your mailbox that was part of this incident, from the access log"/>
        </section>
        <p>"Questions? Contact "{contact_link(incident.contact)}"."</p>
        <p><a href="/me/incidents">"All incidents"</a></p>
    }
}

/// A banner on the owner's pages for every open incident that touched them, until they
/// have done every step of its checklist or hide it (reading it is not enough). Shows
/// nothing for anyone else.
#[component]
pub fn IncidentBanner() -> impl IntoView {
    let hide = ServerAction::<HideIncidentReminder>::new();
    let notices = Resource::new(move || hide.version().get(), |_| load_incident_notices());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                notices.await.unwrap_or_default().into_iter().filter(|n| n.reminds()).map(|n| {
                    let progress = format!(" {} of {} steps done.", n.steps_done, n.steps_total);
                    view! {
                        <div class="notice notice-error incident-banner" role="alert">
                            <strong>"A security incident affected your mailbox. "</strong>
                            <a href=format!("/me/incidents/{}", n.id)>{format!("Read what happened and what to do: {}", n.title)}</a>
                            {progress}
                            <ActionForm action=hide attr:class="inline-form">
                                <input type="hidden" name="id" value=n.id.to_string()/>
                                <button type="submit" class="button">"Hide this reminder"</button>
                            </ActionForm>
                        </div>
                    }
                }).collect_view()
            })}
        </Transition>
    }
}

/// The incident's contact as a link when it is an email address or a web address (the
/// security team's configured contact), as plain text otherwise.
pub(crate) fn contact_link(contact: String) -> AnyView {
    let href = if contact.starts_with("https://") || contact.starts_with("http://") {
        Some(contact.clone())
    } else if is_email_address(&contact) {
        Some(format!("mailto:{contact}"))
    } else {
        None
    };
    match href {
        Some(href) => view! { <a href=href>{contact}</a> }.into_any(),
        None => contact.into_any(),
    }
}

fn is_email_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
}

#[cfg(test)]
mod tests {
    use super::is_email_address;

    #[test]
    fn a_contact_is_an_email_address_only_when_it_looks_like_one() {
        assert!(is_email_address("security@example.org"));
        assert!(!is_email_address("Security team, room 4"));
        assert!(is_email_address("security@localhost"));
        assert!(!is_email_address("security@"));
        assert!(!is_email_address("@example.org"));
        assert!(!is_email_address("a b@example.org"));
        assert!(!is_email_address("a@b@example.org"));
        assert!(!is_email_address("\"x\"@example.org"));
    }
}
