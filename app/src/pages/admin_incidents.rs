//! `/admin/incidents` (declare; every incident) and `/admin/incidents/{id}` (the affected
//! set, four-eyes confirmation, notice delivery, acknowledgements, follow-ups): security
//! admins only.

use crate::api::incidents::{
    load_admin_incident, load_admin_incidents, CloseIncident, ConfirmIncident, DeclareIncident,
    FollowUpIncident,
};
use crate::components::error_view::ErrorView;
use crate::components::when::When;
use crate::error::AppError;
use crate::model::{IncidentAdminView, IncidentCause, IncidentStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Every incident, and the form that declares one.
#[component]
pub fn AdminIncidentsPage() -> impl IntoView {
    let declare = ServerAction::<DeclareIncident>::new();
    let list = Resource::new(move || declare.version().get(), |_| load_admin_incidents());
    // A declared incident opens at once: its draft is what the admin reviews next (without
    // JavaScript, the notice below links to it).
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = declare.value().get() {
            navigate(&format!("/admin/incidents/{id}"), Default::default());
        }
    });
    let result = move || {
        declare.value().get().map(|r| match r {
            Ok(id) => view! {
                <p class="notice notice-success" role="status">
                    "Declared. Nothing has been done or sent yet. "
                    <a href=format!("/admin/incidents/{id}")>"Review the affected mailboxes"</a>
                    " and ask a second security admin to confirm."
                </p>
            }
            .into_any(),
            Err(e) => {
                view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
            }
        })
    };
    view! {
        <Title text="Incidents — Glassbox"/>
        <h1>"Incidents"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! { <p class="empty">"No incidents have been declared."</p> }.into_any(),
                    Ok(items) => view! {
                        <table class="events">
                            <caption>"Every incident, newest first"</caption>
                            <thead><tr><th scope="col">"Declared"</th><th scope="col">"Title"</th><th scope="col">"Status"</th><th scope="col">"Affected mailboxes"</th></tr></thead>
                            <tbody>
                                {items.into_iter().map(|i| view! {
                                    <tr>
                                        <td><When at=i.created_at/></td>
                                        <td><a href=format!("/admin/incidents/{}", i.id)>{i.title}</a></td>
                                        <td>{i.status.as_str()}</td>
                                        <td>{if i.status == IncidentStatus::Draft { "not yet recorded".to_string() } else { i.affected_mailboxes.to_string() }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <section aria-labelledby="declare-heading">
            <h2 id="declare-heading">"Declare an incident"</h2>
            <p>"Declaring does nothing yet: you will see which mailboxes the log says were touched, and a second security admin must confirm before anything is disabled or sent."</p>
            {result}
            <ActionForm action=declare attr:class="decision-form">
                <label for="incident-title">"Title (owners read it)"</label>
                <input id="incident-title" name="title" maxlength="200" required/>
                <label for="incident-description">"What happened, in plain words"</label>
                <textarea id="incident-description" name="description" rows="4" maxlength="5000" required></textarea>
                <label for="incident-cause">"Cause"</label>
                <select id="incident-cause" name="cause">
                    {IncidentCause::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.plain_words()}</option> }).collect_view()}
                </select>
                <label for="incident-staff">"Staff member (work email or handle) — for a misused sign-in"</label>
                <input id="incident-staff" name="staff_member" autocomplete="off"/>
                <label for="incident-token">"Service token name — for a leaked key"</label>
                <input id="incident-token" name="token" autocomplete="off"/>
                <label for="incident-start">"Window start (UTC)"</label>
                <input id="incident-start" name="window_start" type="datetime-local" required/>
                <label for="incident-end">"Window end (UTC)"</label>
                <input id="incident-end" name="window_end" type="datetime-local" required/>
                <button type="submit" class="button button-primary">"Declare and show the affected mailboxes"</button>
            </ActionForm>
        </section>
    }
}

/// One incident.
#[component]
pub fn AdminIncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let confirm = ServerAction::<ConfirmIncident>::new();
    let follow_up = ServerAction::<FollowUpIncident>::new();
    let close = ServerAction::<CloseIncident>::new();
    let incident = Resource::new(
        move || {
            (
                id(),
                confirm.version().get(),
                follow_up.version().get(),
                close.version().get(),
            )
        },
        |(id, ..)| load_admin_incident(id),
    );
    view! {
        <Title text="Incident — Glassbox"/>
        <ActResult result=confirm.value().into() done="Confirmed. The measures are in place and the notices are being queued."/>
        <ActResult result=follow_up.value().into() done="The follow-up is being queued for every affected owner."/>
        <ActResult result=close.value().into() done="Closed."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match incident.await {
                    Ok(i) => view! { <Dashboard incident=i confirm follow_up close/> }.into_any(),
                    Err(e) => view! { <h1>"Incident"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
        <p><a href="/admin/incidents">"All incidents"</a></p>
    }
}

#[component]
fn ActResult(
    result: Signal<Option<Result<IncidentAdminView, AppError>>>,
    done: &'static str,
) -> impl IntoView {
    move || {
        result.get().map(|r| match r {
            Ok(_) => view! { <p class="notice notice-success" role="status">{done}</p> }.into_any(),
            Err(e) => {
                view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
            }
        })
    }
}

/// Acknowledgements per day as a bar chart (inline SVG with a text alternative).
fn ack_chart(days: &[(String, i64)]) -> impl IntoView {
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let bar = 28;
    let width = (days.len() as i64 * bar).max(bar);
    let summary = days
        .iter()
        .map(|(d, n)| format!("{d}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <figure class="chart">
            <svg role="img" aria-label=format!("Acknowledgements per day. {summary}") viewBox=format!("0 0 {width} 110") width="100%" height="120" preserveAspectRatio="none">
                {days.iter().enumerate().map(|(i, (_, n))| {
                    let h = n * 100 / max;
                    view! { <rect x=(i as i64 * bar + 4).to_string() y=(105 - h).to_string() width=(bar - 8).to_string() height=h.to_string() fill="#2f6f4f"/> }
                }).collect_view()}
            </svg>
            <figcaption>{if days.is_empty() { "No acknowledgements yet.".to_string() } else { format!("Acknowledgements per day: {summary}") }}</figcaption>
        </figure>
    }
}

#[component]
fn Dashboard(
    incident: IncidentAdminView,
    confirm: ServerAction<ConfirmIncident>,
    follow_up: ServerAction<FollowUpIncident>,
    close: ServerAction<CloseIncident>,
) -> impl IntoView {
    let id = incident.id.to_string();
    let (id_confirm, id_follow, id_close) = (id.clone(), id.clone(), id.clone());
    let a = incident.affected;
    let draft = incident.status == IncidentStatus::Draft;
    let actions = match incident.status {
        IncidentStatus::Draft if incident.can_confirm => view! {
            <section aria-labelledby="confirm-heading">
                <h2 id="confirm-heading">"Confirm"</h2>
                <ActionForm action=confirm attr:class="decision-form">
                    <input type="hidden" name="id" value=id_confirm/>
                    <label class="confirm">
                        <input type="checkbox" name="confirm" value="yes" required/>
                        " I checked this incident. Disable what caused it, withdraw its access, and tell every affected owner."
                    </label>
                    <button type="submit" class="button button-danger">"Confirm the incident"</button>
                </ActionForm>
            </section>
        }.into_any(),
        IncidentStatus::Draft => view! { <p class="notice">"Waiting for a second security admin to confirm. You cannot confirm an incident you declared."</p> }.into_any(),
        IncidentStatus::Confirmed => view! {
            <section aria-labelledby="followup-heading">
                <h2 id="followup-heading">"Send a follow-up to the same owners"</h2>
                <ActionForm action=follow_up attr:class="decision-form">
                    <input type="hidden" name="id" value=id_follow/>
                    <label for="followup-message">"Message"</label>
                    <textarea id="followup-message" name="message" rows="3" maxlength="5000" required></textarea>
                    <button type="submit" class="button">"Send the follow-up"</button>
                </ActionForm>
                <ActionForm action=close attr:class="decision-form">
                    <input type="hidden" name="id" value=id_close/>
                    <label class="confirm">
                        <input type="checkbox" name="confirm" value="yes" required/>
                        " The incident is over: no further follow-up will be sent, and owners see it as closed."
                    </label>
                    <button type="submit" class="button">"Close the incident"</button>
                </ActionForm>
            </section>
        }.into_any(),
        IncidentStatus::Closed => view! { <p class="empty">"This incident is closed."</p> }.into_any(),
    };
    view! {
        <h1>{incident.title}</h1>
        <p class="lead">{incident.description}</p>
        <dl class="facts">
            <dt>"Status"</dt><dd>{incident.status.as_str()}</dd>
            <dt>"Cause"</dt><dd>{format!("{}{}", incident.cause.plain_words(), incident.cause_subject.map(|s| format!(": {s}")).unwrap_or_default())}</dd>
            <dt>"Window"</dt><dd><When at=incident.window_start/>" to "<When at=incident.window_end/></dd>
            <dt>"Declared by"</dt><dd>{incident.declared_by}</dd>
            <dt>"Confirmed by"</dt><dd>{incident.confirmed_by.unwrap_or_else(|| "nobody yet".into())}</dd>
        </dl>
        <section aria-labelledby="affected-heading">
            <h2 id="affected-heading">{if draft { "Affected mailboxes, from the access log now" } else { "Affected mailboxes, as recorded at confirmation" }}</h2>
            <ul class="stats">
                <li><strong>{a.mailboxes()}</strong>" mailboxes"</li>
                <li><strong>{a.content}</strong>" with message text or attachments read"</li>
                <li><strong>{a.metadata}</strong>" with metadata only"</li>
                <li><strong>{a.events}</strong>" accesses"</li>
            </ul>
            {(!draft).then(|| view! { <p><a href=format!("/admin/incidents/{}/affected.csv", id) rel="external" download="">"Download the affected mailboxes (CSV)"</a></p> })}
        </section>
        {(!draft).then(|| view! {
            <section aria-labelledby="notices-heading">
                <h2 id="notices-heading">"Notices and acknowledgements"</h2>
                <ul class="stats">
                    <li><strong>{incident.notices.waiting}</strong>" waiting to be queued"</li>
                    <li><strong>{incident.notices.queued}</strong>" queued"</li>
                    <li><strong>{incident.notices.sent}</strong>" sent"</li>
                    <li><strong>{incident.notices.failed}</strong>" failed"</li>
                    <li><strong>{incident.acknowledged}</strong>" owners acknowledged"</li>
                </ul>
                {ack_chart(&incident.acknowledged_by_day)}
                {incident.follow_ups.into_iter().map(|m| view! { <p class="notice">{format!("Follow-up sent: {m}")}</p> }).collect_view()}
            </section>
        })}
        {actions}
    }
}
