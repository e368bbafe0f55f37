//! `/staff`: the staff console — ask an owner for access, and follow the consent status of
//! requests live (the list refreshes itself every few seconds without reloading the page).
//! The list is narrowed by a plain `GET` form (status, agent, mailbox, days, words) and
//! paged by keyset links (`before=` / `after=` a request), so both work without JavaScript.

use crate::api::requests::{CancelRequest, EndGrant, SubmitAccessRequest};
use crate::api::staff::{load_staff_home, load_staff_requests};
use crate::components::action_result::ActionResult;
use crate::components::error_view::ErrorView;
use crate::components::request_card::RequestCard;
use crate::components::when::When;
use crate::error::AppError;
use crate::model::{
    AccessRequestStatus, FormKey, JustificationCode, RequestField, Scope, StaffChoice,
    StaffListField, StaffListProblem, StaffListQuery, StaffRequestList, StaffRequestView,
    StaffRole,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// How often the request list refreshes itself.
const REFRESH_SECONDS: u64 = 4;

/// The staff console home page.
#[component]
pub fn StaffConsolePage() -> impl IntoView {
    let submit = ServerAction::<SubmitAccessRequest>::new();
    // The request form's idempotency key: made on the server with the page, the same for a
    // double-click, and a new one once a request was sent (the next request is another).
    let form_key = RwSignal::new(SharedValue::new(FormKey::new).into_inner());
    Effect::new(move |_| {
        if let Some(Ok(_)) = submit.value().get() {
            form_key.set(FormKey::new());
        }
    });
    let cancel = ServerAction::<CancelRequest>::new();
    let end = ServerAction::<EndGrant>::new();
    let tick = RwSignal::new(0u64);
    let home = Resource::new(
        move || {
            (
                tick.get(),
                submit.version().get(),
                cancel.version().get(),
                end.version().get(),
            )
        },
        |_| load_staff_home(),
    );
    let url = use_query_map();
    let query = move || url.with(|q| StaffListQuery::from_query(|k| q.get(k)));
    let list = Resource::new(
        move || {
            (
                query(),
                tick.get(),
                submit.version().get(),
                cancel.version().get(),
                end.version().get(),
            )
        },
        |(q, ..)| load_staff_requests(q),
    );
    // The filter form follows the address only: the live refresh must not re-render it
    // (and empty what is being typed).
    let filters = Resource::new(query, |q| async move {
        let answer = load_staff_requests(q.clone()).await;
        (q, answer.map(|l| (l.agents, l.problem)))
    });
    // Loaded once: the form must not be re-rendered (and emptied) by the live refresh.
    let profile = Resource::new(|| (), |_| load_staff_home());
    // Live status: poll while the page is open (browser only; effects do not run on the server).
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            std::time::Duration::from_secs(REFRESH_SECONDS),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <Title text="Staff console — Glassbox"/>
        <h1>"Staff console"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                profile.await.ok().map(|h| {
                    let intro = format!("Signed in as {} ({}). Owners see you as {}.", h.display_name, h.role.label(), h.pseudonym);
                    let is_support = h.role == StaffRole::Support;
                    let standing = match h.recertification {
                        crate::model::Recertification::Lapsed { since } => Some(view! {
                            <p class="notice notice-error" role="alert">"Your permission to ask for access lapsed on "<When at=since/>": no security admin recertified you in time. Ask a security admin to recertify you on the staff roster; until then Glassbox refuses your requests."</p>
                        }.into_any()),
                        crate::model::Recertification::DueSoon { until } => Some(view! {
                            <p class="notice" role="status">"Your permission to ask for access runs out on "<When at=until/>" unless a security admin recertifies you. Ask one before then."</p>
                        }.into_any()),
                        _ => None,
                    };
                    view! {
                        <p class="lead">{intro}</p>
                        {standing}
                        {is_support.then(|| view! { <RequestAccessForm submit form_key/> })}
                    }
                })
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (q, answer) = filters.await;
                answer.ok().map(|(agents, problem)| view! { <ListFilterForm query=q agents problem/> })
            })}
        </Suspense>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = query();
                match list.await {
                    Ok(l) => view! { <RequestList list=l query=q cancel end/> }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(h) => {
                        let is_support = h.role == StaffRole::Support;
                        let failed = h.failed_emails;
                        let delivery = (!is_support).then(|| view! {
                            <section aria-labelledby="delivery-heading">
                                <h2 id="delivery-heading">"Email delivery problems"</h2>
                                {if failed.is_empty() {
                                    view! { <p class="empty">"Every email was delivered or is on its way."</p> }.into_any()
                                } else {
                                    view! {
                                        <p>"These emails were refused by the mail server or failed too many times. Fix the cause, then queue one again with "<code>"glassbox outbox retry ID"</code>"."</p>
                                        <table>
                                            <thead><tr><th>"Failed"</th><th>"Email"</th><th>"To"</th><th>"Attempts"</th><th>"Why"</th><th>"ID"</th></tr></thead>
                                            <tbody>
                                                {failed.into_iter().map(|f| view! {
                                                    <tr>
                                                        <td>{f.failed_at.map(|t| view! { <When at=t/> })}</td>
                                                        <td>{f.kind.replace('_', " ")}</td>
                                                        <td>{f.recipient}</td>
                                                        <td>{f.attempts}</td>
                                                        <td>{f.reason}</td>
                                                        <td><code>{f.id}</code></td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                        });
                        view! {
                            {delivery}
                        }.into_any()
                    }
                    // The request list above says what went wrong (signed out, not allowed…).
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// One page of the request list: the counts the filter selects, where the page is in the
/// list, the requests, and links to the newer and older pages.
#[component]
fn RequestList(
    list: StaffRequestList,
    query: StaffListQuery,
    cancel: ServerAction<CancelRequest>,
    end: ServerAction<EndGrant>,
) -> impl IntoView {
    let own = list.own;
    let heading = if own {
        "Your access requests"
    } else {
        "All access requests"
    };
    if list.problem.is_some() {
        return view! {
            <section aria-labelledby="requests-heading">
                <h2 id="requests-heading">{heading}</h2>
                <p class="empty">"No requests are shown until the filter is corrected (see the message beside the field above)."</p>
            </section>
        }
        .into_any();
    }
    let filtered = query.is_filtered();
    let shown = list.requests.len() as i64;
    let position = if list.total == 0 {
        if filtered {
            "No requests match this filter.".to_string()
        } else {
            "No requests yet.".to_string()
        }
    } else if shown == 0 {
        // A page link past the oldest request (made by hand, or its requests are gone).
        format!(
            "No requests on this page; {} in all. Start again from the newest.",
            list.total
        )
    } else {
        let what = if filtered {
            "matching requests"
        } else {
            "requests"
        };
        format!(
            "Showing {}–{} of {} {what}, newest first.",
            list.first,
            list.first + shown - 1,
            list.total
        )
    };
    let newer = list.newer.as_deref().map(|p| query.link(Some(p)));
    let older = list.older.as_deref().map(|p| query.link(Some(p)));
    let newest = (shown == 0 && list.total > 0).then(|| query.link(None));
    let pager = (newer.is_some() || older.is_some() || newest.is_some()).then(|| view! {
        <nav class="pager" aria-label="Pages of requests">
            {newest.map(|href| view! { <a href=href class="button">"Newest requests"</a> })}
            {newer.map(|href| view! { <a href=href class="button" rel="prev">"← Newer requests"</a> })}
            {older.map(|href| view! { <a href=href class="button" rel="next">"Older requests →"</a> })}
        </nav>
    }.into_any());
    let counts_label = if filtered {
        "Matching requests by status"
    } else {
        "Requests by status"
    };
    let stats = view! {
        <ul class="stats" aria-label=counts_label>
            {list.counts.into_iter().map(|(status, n)| view! {
                <li><strong>{n}</strong>{format!(" {}", status.label().to_lowercase())}</li>
            }).collect_view()}
        </ul>
    }
    .into_any();
    let cards = list
        .requests
        .into_iter()
        .map(|r| view! { <StaffRequest item=r cancel end own/> }.into_any())
        .collect_view()
        .into_any();
    view! {
        {stats}
        <section aria-labelledby="requests-heading">
            <h2 id="requests-heading">{heading}</h2>
            <p class="count">{position}</p>
            <ActionResult result=cancel.value().into() done=|_| "Request cancelled.".into_any()/>
            <ActionResult result=end.value().into() done=|_| "Access ended.".into_any()/>
            {cards}
            {pager}
        </section>
    }
    .into_any()
}

/// The list's filter form: a plain `GET` to `/staff`, so it works without JavaScript. A
/// value that cannot be used is marked invalid and explained beside its field, and the form
/// keeps what was chosen.
#[component]
fn ListFilterForm(
    query: StaffListQuery,
    agents: Vec<StaffChoice>,
    problem: Option<StaffListProblem>,
) -> impl IntoView {
    // A filter to correct is a bad request (for scripts and tests; people see the form).
    #[cfg(feature = "ssr")]
    if problem.is_some() {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::BAD_REQUEST);
        }
    }
    let bad = |field: StaffListField| {
        problem
            .as_ref()
            .filter(|p| p.field == field)
            .map(|p| p.message.clone())
    };
    let message = |field: StaffListField| {
        bad(field)
            .map(|m| view! { <p id=field.message_id() class="field-error" role="alert">{m}</p> })
    };
    let invalid = |field: StaffListField| bad(field).map(|_| "true");
    let described = |field: StaffListField| bad(field).map(|_| field.message_id());
    let focus = |field: StaffListField| bad(field).is_some();
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let status = value(&query.status);
    let agent = value(&query.agent);
    let page_problem = message(StaffListField::Page);
    view! {
        <form method="get" action="/staff" class="filters" aria-label="Filter the requests">
            {page_problem}
            <div class="field">
                <label for="sl-status">"Status"</label>
                <select id="sl-status" name="status" aria-invalid=invalid(StaffListField::Status)
                    aria-describedby=described(StaffListField::Status) autofocus=focus(StaffListField::Status)>
                    <option value="">"Any status"</option>
                    {AccessRequestStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=status == s.as_str()>{capitalise(s.as_str())}</option>
                    }).collect_view()}
                </select>
                {message(StaffListField::Status)}
            </div>
            {(!agents.is_empty()).then(|| view! {
                <div class="field">
                    <label for="sl-agent">"Staff member"</label>
                    <select id="sl-agent" name="agent" aria-invalid=invalid(StaffListField::Agent)
                        aria-describedby=described(StaffListField::Agent) autofocus=focus(StaffListField::Agent)>
                        <option value="">"Anyone"</option>
                        {agents.into_iter().map(|a| {
                            let selected = a.id == agent;
                            view! { <option value=a.id selected=selected>{a.label}</option> }
                        }).collect_view()}
                    </select>
                    {message(StaffListField::Agent)}
                </div>
            })}
            <div class="field">
                <label for="sl-mailbox">"Address asked about"</label>
                <input id="sl-mailbox" name="mailbox" type="text" inputmode="email" autocomplete="off"
                    placeholder="owner@example.org" value=value(&query.mailbox)
                    aria-invalid=invalid(StaffListField::Mailbox) aria-describedby=described(StaffListField::Mailbox)
                    autofocus=focus(StaffListField::Mailbox)/>
                {message(StaffListField::Mailbox)}
            </div>
            <div class="field">
                <label for="sl-from">"Made from (UTC)"</label>
                <input id="sl-from" name="from" type="date" value=value(&query.from)
                    aria-invalid=invalid(StaffListField::From) aria-describedby=described(StaffListField::From)
                    autofocus=focus(StaffListField::From)/>
                {message(StaffListField::From)}
            </div>
            <div class="field">
                <label for="sl-to">"Made until (UTC)"</label>
                <input id="sl-to" name="to" type="date" value=value(&query.to)
                    aria-invalid=invalid(StaffListField::To) aria-describedby=described(StaffListField::To)
                    autofocus=focus(StaffListField::To)/>
                {message(StaffListField::To)}
            </div>
            <div class="field">
                <label for="sl-q">"Search mailbox, ticket and reason"</label>
                <input id="sl-q" name="q" type="search" maxlength="100" autocomplete="off" value=value(&query.q)
                    aria-invalid=invalid(StaffListField::Search) aria-describedby=described(StaffListField::Search)
                    autofocus=focus(StaffListField::Search)/>
                {message(StaffListField::Search)}
            </div>
            <div class="field actions">
                <button type="submit" class="button">"Show"</button>
                <a href="/staff">"Clear"</a>
            </div>
        </form>
    }
}

#[component]
fn StaffRequest(
    item: StaffRequestView,
    cancel: ServerAction<CancelRequest>,
    end: ServerAction<EndGrant>,
    own: bool,
) -> impl IntoView {
    let id_cancel = item.request.id.to_string();
    let id_end = id_cancel.clone();
    let page = format!("/staff/requests/{id_cancel}");
    let status = item.request.status;
    view! {
        <RequestCard request=item.request agent_name=item.agent_name>
            {own.then(|| view! { <p><a href=page>"Open this request"</a>{(status == AccessRequestStatus::Approved).then_some(" (IMAP access)")}</p> })}
            {(own && status == AccessRequestStatus::Pending).then(move || view! {
                <ActionForm action=cancel attr:class="inline-form">
                    <input type="hidden" name="id" value=id_cancel/>
                    <button type="submit" class="button">"Cancel request"</button>
                </ActionForm>
            })}
            {(own && status == AccessRequestStatus::Approved).then(move || view! {
                <ActionForm action=end attr:class="inline-form">
                    <input type="hidden" name="id" value=id_end/>
                    <button type="submit" class="button">"End access now"</button>
                </ActionForm>
            })}
        </RequestCard>
    }
}

/// The request form. A refusal of one field is shown beside that field (marked invalid,
/// described by the message, focused); other failures above the form. A sent request empties
/// the form for the next one.
#[component]
fn RequestAccessForm(
    submit: ServerAction<SubmitAccessRequest>,
    form_key: RwSignal<FormKey>,
) -> impl IntoView {
    let problem = move |field: RequestField| {
        submit.value().with(|v| match v {
            Some(Err(AppError::InvalidField { field: f, message })) if *f == field => {
                Some(message.clone())
            }
            _ => None,
        })
    };
    let message = move |field: RequestField| {
        move || {
            problem(field).map(|m| {
                view! {
                    <p id=field.message_id() class="field-error" role="alert">{m}</p>
                }
            })
        }
    };
    let invalid = move |field: RequestField| move || problem(field).map(|_| "true");
    let described = move |field: RequestField| move || problem(field).map(|_| field.message_id());
    // Not a field's: shown above the form.
    let general = Signal::derive(move || {
        submit
            .value()
            .get()
            .filter(|r| !matches!(r, Err(AppError::InvalidField { .. })))
    });
    let form = NodeRef::<leptos::html::Form>::new();
    let mailbox = NodeRef::<leptos::html::Input>::new();
    let first_scope = NodeRef::<leptos::html::Input>::new();
    let code = NodeRef::<leptos::html::Select>::new();
    let text = NodeRef::<leptos::html::Textarea>::new();
    let ticket = NodeRef::<leptos::html::Input>::new();
    let duration = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(_)) => {
            if let Some(f) = form.get() {
                f.reset();
            }
        }
        Some(Err(AppError::InvalidField { field, .. })) => {
            let _ = match field {
                RequestField::Mailbox => mailbox.get().map(|e| e.focus()),
                RequestField::Scopes => first_scope.get().map(|e| e.focus()),
                RequestField::Code => code.get().map(|e| e.focus()),
                RequestField::Text => text.get().map(|e| e.focus()),
                RequestField::Ticket => ticket.get().map(|e| e.focus()),
                RequestField::Duration => duration.get().map(|e| e.focus()),
            };
        }
        _ => {}
    });
    view! {
        <section aria-labelledby="ask-heading" class="ask">
            <h2 id="ask-heading">"Ask an owner for access"</h2>
            <ActionResult result=general done=|r| match (r.status, &r.decision_reason) {
                // Refused at once by one of the owner's standing rules: the owner was not asked.
                (AccessRequestStatus::Denied, Some(reason)) => format!("Not sent to the owner of {}. {reason}", r.mailbox).into_any(),
                _ => format!("Request sent to the owner of {}. It waits for their decision.", r.mailbox).into_any(),
            }/>
            <ActionForm action=submit node_ref=form attr:class="request-form">
                <input type="hidden" name="form_key" value=move || form_key.with(|k| k.as_str().to_string())/>
                <label for="ask-mailbox">"Mailbox"</label>
                <input id="ask-mailbox" node_ref=mailbox name="mailbox" type="email" required autocomplete="off" placeholder="owner@example.org"
                    aria-invalid=invalid(RequestField::Mailbox) aria-describedby=described(RequestField::Mailbox)/>
                {message(RequestField::Mailbox)}
                <fieldset id="ask-scopes" aria-invalid=invalid(RequestField::Scopes) aria-describedby=described(RequestField::Scopes)>
                    <legend>"What you need to see"</legend>
                    {Scope::ALL.iter().enumerate().map(|(i, s)| {
                        let node = if i == 0 { first_scope } else { NodeRef::new() };
                        view! {
                            <label class="check">
                                <input type="checkbox" node_ref=node name=format!("scope_{}", s.as_str()) value="yes"/>
                                {format!(" {} — {}", capitalise(s.as_str()), s.plain_words())}
                            </label>
                        }
                    }).collect_view()}
                    {message(RequestField::Scopes)}
                </fieldset>
                <label for="ask-code">"Why"</label>
                <select id="ask-code" node_ref=code name="justification_code" required
                    aria-invalid=invalid(RequestField::Code) aria-describedby=described(RequestField::Code)>
                    {JustificationCode::ALL.iter().filter(|c| **c != JustificationCode::BreakGlassEmergency).map(|c| view! {
                        <option value=c.as_str()>{c.plain_words()}</option>
                    }).collect_view()}
                </select>
                {message(RequestField::Code)}
                <label for="ask-text">"Explain, in words the owner will read"</label>
                <textarea id="ask-text" node_ref=text name="justification_text" required maxlength="4096" rows="3"
                    aria-invalid=invalid(RequestField::Text) aria-describedby=described(RequestField::Text)></textarea>
                {message(RequestField::Text)}
                <label for="ask-ticket">"Ticket (required when the owner asked for help)"</label>
                <input id="ask-ticket" node_ref=ticket name="ticket" maxlength="64" autocomplete="off"
                    aria-invalid=invalid(RequestField::Ticket) aria-describedby=described(RequestField::Ticket)/>
                {message(RequestField::Ticket)}
                <label for="ask-duration">"For how long (minutes)"</label>
                <input id="ask-duration" node_ref=duration name="duration_minutes" type="number" min="1" max="480" value="60" required
                    aria-invalid=invalid(RequestField::Duration) aria-describedby=described(RequestField::Duration)/>
                {message(RequestField::Duration)}
                <button type="submit" class="button button-primary" disabled=move || submit.pending().get()>"Send request"</button>
            </ActionForm>
        </section>
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
