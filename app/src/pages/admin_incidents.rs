//! `/admin/incidents` (declare; every incident) and `/admin/incidents/{id}` (the affected
//! set, four-eyes confirmation, notice delivery, acknowledgements, follow-ups): security
//! admins only.

use crate::api::incidents::{
    load_admin_incident, load_admin_incidents, CloseIncident, ConfirmIncident, DeclareIncident,
    DiscardIncident, EditIncident, FollowUpIncident,
};
use crate::components::action_result::ActionNotice;
use crate::components::error_view::ErrorView;
use crate::components::when::When;
use crate::model::{IncidentAdminView, IncidentCause, IncidentForm, IncidentStatus};
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
                                        <td>{match i.status {
                                            IncidentStatus::Draft => "not yet recorded".to_string(),
                                            IncidentStatus::Discarded => "none (discarded)".to_string(),
                                            _ => i.affected_mailboxes.to_string(),
                                        }}</td>
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
    let edit = ServerAction::<EditIncident>::new();
    let discard = ServerAction::<DiscardIncident>::new();
    let acts = Acts {
        confirm,
        follow_up,
        close,
        edit,
        discard,
    };
    let incident = Resource::new(
        move || {
            (
                id(),
                confirm.version().get(),
                follow_up.version().get(),
                close.version().get(),
                edit.version().get(),
                discard.version().get(),
            )
        },
        |(id, ..)| load_admin_incident(id),
    );
    view! {
        <Title text="Incident — Glassbox"/>
        <ActionNotice result=confirm.value().into() done="Confirmed. The measures are in place and the notices are being queued."/>
        <ActionNotice result=follow_up.value().into() done="The follow-up is being queued for every affected owner."/>
        <ActionNotice result=close.value().into() done="Closed."/>
        <ActionNotice result=edit.value().into() done="Saved. The draft below shows the corrected declaration; a second security admin still has to confirm it."/>
        <ActionNotice result=discard.value().into() done="Discarded. Nothing was done or sent; the incident stays listed as discarded."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match incident.await {
                    Ok(i) => view! { <Dashboard incident=i acts/> }.into_any(),
                    Err(e) => view! { <h1>"Incident"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
        <p><a href="/admin/incidents">"All incidents"</a></p>
    }
}

/// Every day from the first to the last in `days` (`YYYY-MM-DD`, UTC), with a count of 0
/// for the days without acknowledgements, so the bars are evenly spaced in time.
fn every_day(days: &[(String, i64)]) -> Vec<(String, i64)> {
    let parsed: Option<Vec<(time::Date, i64)>> = days
        .iter()
        .map(|(d, n)| crate::model::parse_day(d).map(|d| (d, *n)))
        .collect();
    let (Some(parsed), Some(first), Some(last)) = (
        parsed,
        days.first().and_then(|(d, _)| crate::model::parse_day(d)),
        days.last().and_then(|(d, _)| crate::model::parse_day(d)),
    ) else {
        return days.to_vec();
    };
    // At most a year of days: beyond that, the days as stored.
    if (last - first).whole_days() > 366 {
        return days.to_vec();
    }
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        let n = parsed
            .iter()
            .find(|(d, _)| *d == day)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        out.push((day.to_string(), n));
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

/// Acknowledgements per day as a bar chart: a y-axis from 0 to the highest day, day labels
/// under the x-axis (the first, the last and every few between), a visible caption, and
/// the same numbers as a table (the chart's text alternative).
fn ack_chart(days: &[(String, i64)]) -> impl IntoView {
    if days.is_empty() {
        return view! { <p class="empty">"No owner has acknowledged the notice yet."</p> }
            .into_any();
    }
    let days = every_day(days);
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let count = days.len() as i64;
    let (left, top, plot_h, bottom) = (44i64, 12i64, 120i64, 40i64);
    let bar = (560 / count).clamp(6, 48);
    let plot_w = bar * count;
    let width = left + plot_w + 16;
    let height = top + plot_h + bottom;
    let base = top + plot_h;
    // Label the first and last day and about six in between, so labels never overlap.
    let every = ((count + 5) / 6).max(1);
    let short = |d: &str| d.get(5..).unwrap_or(d).to_string();
    let total: i64 = days.iter().map(|(_, n)| n).sum();
    let caption = format!(
        "Owners who acknowledged the notice, per day (UTC): {total} in all, at most {max} on one day."
    );
    view! {
        <figure class="chart" aria-labelledby="ack-chart-caption">
            <figcaption id="ack-chart-caption">{caption}</figcaption>
            <svg role="img" aria-label="Acknowledgements per day, as a bar chart; the numbers are in the table below."
                viewBox=format!("0 0 {width} {height}") width="100%" style=format!("max-width: {width}px")>
                // The y-axis: 0 and the highest day.
                <line x1=left.to_string() y1=top.to_string() x2=left.to_string() y2=base.to_string() stroke="currentColor"/>
                <line x1=(left - 4).to_string() y1=top.to_string() x2=left.to_string() y2=top.to_string() stroke="currentColor"/>
                <text x=(left - 8).to_string() y=(top + 4).to_string() text-anchor="end" font-size="12" fill="currentColor">{max.to_string()}</text>
                <text x=(left - 8).to_string() y=(base + 4).to_string() text-anchor="end" font-size="12" fill="currentColor">"0"</text>
                <text x="12" y=(top + plot_h / 2).to_string() font-size="12" fill="currentColor" text-anchor="middle"
                    transform=format!("rotate(-90 12 {})", top + plot_h / 2)>"owners"</text>
                // The x-axis and the bars.
                <line x1=left.to_string() y1=base.to_string() x2=(left + plot_w).to_string() y2=base.to_string() stroke="currentColor"/>
                {days.iter().enumerate().map(|(i, (d, n))| {
                    let i = i as i64;
                    let h = n * plot_h / max;
                    let x = left + i * bar;
                    let labelled = i == 0 || i == count - 1 || i % every == 0;
                    view! {
                        <rect x=(x + 2).to_string() y=(base - h).to_string() width=(bar - 4).max(2).to_string() height=h.to_string() fill="#2f6f4f"/>
                        {labelled.then(|| view! {
                            <text x=(x + bar / 2).to_string() y=(base + 16).to_string() text-anchor="middle" font-size="11" fill="currentColor">{short(d)}</text>
                        })}
                    }
                }).collect_view()}
                <text x=(left + plot_w / 2).to_string() y=(height - 6).to_string() text-anchor="middle" font-size="12" fill="currentColor">"day (month-day, UTC)"</text>
            </svg>
            <table class="events">
                <caption>"Acknowledgements per day (UTC)"</caption>
                <thead><tr><th scope="col">"Day"</th><th scope="col">"Owners who acknowledged"</th></tr></thead>
                <tbody>
                    {days.iter().filter(|(_, n)| *n > 0).map(|(d, n)| view! {
                        <tr><td>{d.clone()}</td><td>{*n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
    .into_any()
}

/// What an incident's page can do.
#[derive(Clone, Copy)]
struct Acts {
    confirm: ServerAction<ConfirmIncident>,
    follow_up: ServerAction<FollowUpIncident>,
    close: ServerAction<CloseIncident>,
    edit: ServerAction<EditIncident>,
    discard: ServerAction<DiscardIncident>,
}

/// The draft's correction form (its declaration, as declared or last corrected) and the
/// discard form, which asks to confirm.
#[component]
fn DraftChanges(id: String, form: IncidentForm, acts: Acts) -> impl IntoView {
    let id_discard = id.clone();
    let cause = form.cause.clone();
    view! {
        <section aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Correct the draft"</h2>
            <p>"Until a second security admin confirms it, the declaration can be corrected. The admin who saves a correction cannot confirm the incident either."</p>
            <ActionForm action=acts.edit attr:class="decision-form">
                <input type="hidden" name="id" value=id/>
                <label for="edit-title">"Title (owners read it)"</label>
                <input id="edit-title" name="title" maxlength="200" required value=form.title/>
                <label for="edit-description">"What happened, in plain words"</label>
                <textarea id="edit-description" name="description" rows="4" maxlength="5000" required prop:value=form.description.clone()>{form.description.clone()}</textarea>
                <label for="edit-cause">"Cause"</label>
                <select id="edit-cause" name="cause">
                    {IncidentCause::ALL.iter().map(|c| view! { <option value=c.as_str() selected=cause == c.as_str()>{c.plain_words()}</option> }).collect_view()}
                </select>
                <label for="edit-staff">"Staff member (work email or handle) — for a misused sign-in"</label>
                <input id="edit-staff" name="staff_member" autocomplete="off" value=form.staff.unwrap_or_default()/>
                <label for="edit-token">"Service token name — for a leaked key"</label>
                <input id="edit-token" name="token" autocomplete="off" value=form.token.unwrap_or_default()/>
                <label for="edit-start">"Window start (UTC)"</label>
                <input id="edit-start" name="window_start" type="datetime-local" step="1" required value=form.window_start/>
                <label for="edit-end">"Window end (UTC)"</label>
                <input id="edit-end" name="window_end" type="datetime-local" step="1" required value=form.window_end/>
                <button type="submit" class="button">"Save the corrections"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="discard-heading">
            <h2 id="discard-heading">"Discard the draft"</h2>
            <ActionForm action=acts.discard attr:class="decision-form">
                <input type="hidden" name="id" value=id_discard/>
                <label class="confirm">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    " I confirm: this draft is not an incident. Nothing has been done or sent; it stays listed as discarded, with my name."
                </label>
                <button type="submit" class="button button-danger">"Discard the draft"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Dashboard(incident: IncidentAdminView, acts: Acts) -> impl IntoView {
    let Acts {
        confirm,
        follow_up,
        close,
        ..
    } = acts;
    let id = incident.id.to_string();
    let (id_confirm, id_follow, id_close) = (id.clone(), id.clone(), id.clone());
    let a = incident.affected;
    let draft = incident.status == IncidentStatus::Draft;
    // Confirmed or closed: the affected set and the notices are recorded.
    let recorded = matches!(
        incident.status,
        IncidentStatus::Confirmed | IncidentStatus::Closed
    );
    let actions = match incident.status {
        IncidentStatus::Draft if incident.can_confirm => view! {
            <section aria-labelledby="confirm-heading">
                <h2 id="confirm-heading">"Confirm"</h2>
                <ActionForm action=confirm attr:class="decision-form">
                    <input type="hidden" name="id" value=id_confirm/>
                    // The revision read: a draft corrected since is not confirmed unseen.
                    <input type="hidden" name="revision" value=incident.revision.to_string()/>
                    <label class="confirm">
                        <input type="checkbox" name="confirm" value="yes" required/>
                        " I checked this incident. Disable what caused it, withdraw its access, and tell every affected owner."
                    </label>
                    <button type="submit" class="button button-danger">"Confirm the incident"</button>
                </ActionForm>
            </section>
        }.into_any(),
        IncidentStatus::Draft => view! { <p class="notice">"Waiting for a second security admin to confirm. You cannot confirm an incident you declared or corrected last."</p> }.into_any(),
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
        IncidentStatus::Discarded => view! {
            <p class="notice" role="status">
                {format!("This draft was discarded by {}", incident.discarded_by.clone().unwrap_or_else(|| "a security admin".into()))}
                {incident.discarded_at.map(|t| view! { " on "<When at=t/> })}
                ". Nothing was done or sent."
            </p>
        }.into_any(),
    };
    let changes = incident
        .draft_form
        .clone()
        .map(|form| view! { <DraftChanges id=id.clone() form acts/> });
    let edited = incident.edited_by.clone().map(|who| view! {
        <dt>"Last corrected by"</dt><dd>{who}{incident.edited_at.map(|t| view! { " on "<When at=t/> })}</dd>
    });
    view! {
        <h1>{incident.title}</h1>
        <p class="lead">{incident.description}</p>
        <dl class="facts">
            <dt>"Status"</dt><dd>{incident.status.as_str()}</dd>
            <dt>"Cause"</dt><dd>{format!("{}{}", incident.cause.plain_words(), incident.cause_subject.map(|s| format!(": {s}")).unwrap_or_default())}</dd>
            <dt>"Window"</dt><dd><When at=incident.window_start/>" to "<When at=incident.window_end/></dd>
            <dt>"Declared by"</dt><dd>{incident.declared_by}</dd>
            {edited}
            <dt>"Confirmed by"</dt><dd>{incident.confirmed_by.unwrap_or_else(|| "nobody yet".into())}</dd>
        </dl>
        {(draft || recorded).then(|| view! {
        <section aria-labelledby="affected-heading">
            <h2 id="affected-heading">{if draft { "Affected mailboxes, from the access log now" } else { "Affected mailboxes, as recorded at confirmation" }}</h2>
            <ul class="stats">
                <li><strong>{a.mailboxes()}</strong>" mailboxes"</li>
                <li><strong>{a.content}</strong>" with message text or attachments read"</li>
                <li><strong>{a.metadata}</strong>" with metadata only"</li>
                <li><strong>{a.events}</strong>" accesses"</li>
            </ul>
            {recorded.then(|| view! { <p><a href=format!("/admin/incidents/{}/affected.csv", id) rel="external" download="">"Download the affected mailboxes (CSV)"</a></p> })}
        </section>
        })}
        {recorded.then(|| view! {
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
        {changes}
    }
}
