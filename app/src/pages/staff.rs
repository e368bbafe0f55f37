//! `/staff`: the staff console — ask an owner for access, and follow the consent status of
//! requests live (the list refreshes itself every few seconds without reloading the page).
//! The list is filtered, searched and paged through the query string (`status`, `agent`,
//! `mailbox`, `from`, `to`, `q`, and a keyset `before=`/`after=`), so it works the same
//! without JavaScript.

use crate::api::requests::{CancelRequest, EndGrant, SubmitAccessRequest};
use crate::api::staff::{load_staff_home, load_staff_requests};
use crate::components::action_result::ActionResult;
use crate::components::error_view::ErrorView;
use crate::components::request_card::RequestCard;
use crate::error::AppError;
use crate::model::{
    AccessRequestStatus, FormKey, JustificationCode, RequestField, RequestListCursor,
    RequestListFilter, RequestListPage, Scope, StaffRequestView, StaffRole,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
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
    // The list's filter and page come from the query string, so a plain GET form and plain
    // links page and filter it, with or without JavaScript.
    let query = use_query_map();
    let wanted = move || {
        query.with(|q| {
            let cursor = RequestListCursor::from_query(
                q.get("before").as_deref(),
                q.get("after").as_deref(),
            );
            let filter = RequestListFilter::from_query(|k| q.get(k));
            (cursor, filter)
        })
    };
    let list = Resource::new(
        move || {
            (
                wanted(),
                tick.get(),
                submit.version().get(),
                cancel.version().get(),
                end.version().get(),
            )
        },
        |((cursor, filter), ..)| async move {
            match (cursor, filter) {
                (Ok(cursor), Ok(filter)) => load_staff_requests(cursor, filter.clone())
                    .await
                    .map(|p| (p, filter)),
                (_, Err((_, problem))) | (Err(problem), _) => {
                    Err(AppError::Invalid(problem.to_string()))
                }
            }
        },
    );
    // The filter form is not refreshed by the live list (what is being typed stays); it
    // changes only when the query does.
    let form = Resource::new(wanted, |(cursor, filter)| async move {
        let (filter, problem) = match (filter, cursor) {
            (Err((f, p)), _) => (f, Some(p.to_string())),
            (Ok(f), Err(p)) => (f, Some(p.to_string())),
            (Ok(f), Ok(_)) => (f, None),
        };
        let agents = load_staff_requests(None, RequestListFilter::default())
            .await
            .map(|p| p.agents)
            .unwrap_or_default();
        (filter, problem, agents)
    });
    let home = Resource::new(move || tick.get() / 4, |_| load_staff_home());
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
                            <p class="notice notice-error" role="alert">{format!("Your permission to ask for access lapsed on {}: no security admin recertified you in time. Ask a security admin to recertify you on the staff roster; until then Glassbox refuses your requests.", crate::components::format::date_time(since))}</p>
                        }.into_any()),
                        crate::model::Recertification::DueSoon { until } => Some(view! {
                            <p class="notice" role="status">{format!("Your permission to ask for access runs out on {} unless a security admin recertifies you. Ask one before then.", crate::components::format::date_time(until))}</p>
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
        <section aria-labelledby="requests-heading">
            <Suspense fallback=|| view! { <h2 id="requests-heading">"Access requests"</h2> }>
                {move || Suspend::new(async move {
                    let support = profile.await.map(|h| h.role == StaffRole::Support).unwrap_or(true);
                    view! { <h2 id="requests-heading">{if support { "Your access requests" } else { "All access requests" }}</h2> }
                })}
            </Suspense>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let (filter, problem, agents) = form.await;
                    view! { <ListFilterForm filter agents problem/> }
                })}
            </Suspense>
            <ActionResult result=cancel.value().into() done=|_| "Request cancelled.".to_string()/>
            <ActionResult result=end.value().into() done=|_| "Access ended.".to_string()/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok((page, filter)) => view! { <RequestList page filter cancel end/> }.into_any(),
                        Err(AppError::Invalid(_)) => view! {
                            <p class="count">"No requests are shown until the filter is corrected."</p>
                        }.into_any(),
                        Err(e) => view! { <ErrorView error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                home.await.ok().filter(|h| h.role == StaffRole::SecurityAdmin).map(|h| {
                    let failed = h.failed_emails;
                    view! {
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
                                                    <td>{f.failed_at.map(crate::components::format::date_time).unwrap_or_default()}</td>
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
                    }
                })
            })}
        </Transition>
    }
}

fn with_query(filter_query: &str, rest: &str) -> String {
    let parts: Vec<&str> = [filter_query, rest]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        "/staff".to_string()
    } else {
        format!("/staff?{}", parts.join("&"))
    }
}

/// One page of the request list: what matches, how many in each state, and the pager.
#[component]
fn RequestList(
    page: RequestListPage,
    filter: RequestListFilter,
    cancel: ServerAction<CancelRequest>,
    end: ServerAction<EndGrant>,
) -> impl IntoView {
    let fq = filter.to_query();
    let newer = page.newer.map(|c| with_query(&fq, &c.to_query()));
    let older = page.older.map(|c| with_query(&fq, &c.to_query()));
    let newest = with_query(&fq, "");
    let own = page.agents.is_empty();
    let shown = page.requests.len();
    let summary = match (page.total, filter.is_empty()) {
        (0, true) => "No requests yet.".to_string(),
        (0, false) => "No requests match this filter.".to_string(),
        (n, unfiltered) => {
            let what = if unfiltered {
                "requests in all"
            } else {
                "matching requests"
            };
            if n as usize > shown || !page.at_newest {
                format!("{n} {what}; this page shows {shown}, newest first.")
            } else {
                format!("{n} {what}, newest first.")
            }
        }
    };
    let at_newest = page.at_newest;
    view! {
        <p class="count" role="status">{summary}</p>
        {(!page.counts.is_empty()).then(|| view! {
            <ul class="stats" aria-label="Matching requests by status">
                {page.counts.into_iter().map(|(status, n)| view! {
                    <li><strong>{n}</strong>{format!(" {}", status.label().to_lowercase())}</li>
                }).collect_view()}
            </ul>
        })}
        {page.requests.into_iter().map(|r| view! { <StaffRequest item=r cancel end own/> }.into_any()).collect_view()}
        <nav class="pager" aria-label="Pages of requests">
            {(!at_newest).then(|| view! { <A href=newest attr:class="button">"Newest"</A> })}
            {newer.map(|href| view! { <A href=href attr:class="button" attr:rel="prev">"Newer requests"</A> })}
            {older.map(|href| view! { <A href=href attr:class="button" attr:rel="next">"Older requests"</A> })}
        </nav>
    }
}

/// The list's filter and search: a GET form, so it works without JavaScript and its result
/// can be bookmarked. `problem` is shown beside the form and focused.
#[component]
fn ListFilterForm(
    filter: RequestListFilter,
    agents: Vec<(crate::model::StaffId, String)>,
    problem: Option<String>,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if problem.is_some() {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(axum::http::StatusCode::BAD_REQUEST);
        }
    }
    let has_problem = problem.is_some();
    let described = has_problem.then_some("list-problem");
    view! {
        <form method="get" action="/staff" class="filters" aria-label="Filter and search the requests">
            <div class="field">
                <label for="l-q">"Search"</label>
                <input id="l-q" type="search" name="q" maxlength="200" value=filter.q.clone().unwrap_or_default()
                    aria-describedby=described autofocus=has_problem/>
            </div>
            <div class="field">
                <label for="l-status">"Status"</label>
                <select id="l-status" name="status">
                    <option value="">"Any"</option>
                    {AccessRequestStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=filter.status == Some(*s)>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            {(!agents.is_empty()).then(|| view! {
                <div class="field">
                    <label for="l-agent">"Staff member"</label>
                    <select id="l-agent" name="agent">
                        <option value="">"Anyone"</option>
                        {agents.into_iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=filter.agent == Some(id)>{name}</option>
                        }).collect_view()}
                    </select>
                </div>
            })}
            <div class="field">
                <label for="l-mailbox">"Mailbox"</label>
                <input id="l-mailbox" type="email" name="mailbox" maxlength="200" autocomplete="off"
                    value=filter.mailbox.clone().unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="l-from">"Submitted from"</label>
                <input id="l-from" type="date" name="from" value=filter.from.clone().unwrap_or_default()
                    aria-describedby=described/>
            </div>
            <div class="field">
                <label for="l-to">"Submitted to"</label>
                <input id="l-to" type="date" name="to" value=filter.to.clone().unwrap_or_default()
                    aria-describedby=described/>
            </div>
            <div class="field actions">
                <button type="submit" class="button">"Show"</button>
                <a href="/staff">"Clear"</a>
            </div>
            {problem.map(|m| view! { <p id="list-problem" class="field-error" role="alert">{m}</p> })}
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
            <ActionResult result=general done=|r| format!("Request sent to the owner of {}. It waits for their decision.", r.mailbox)/>
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
