//! `/me`: the owner's overview — what is waiting for them, what is allowed now, and the
//! latest accesses.

use crate::api::overview::{load_overview, StopAllAccess};
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::log_verification::{LogBanner, LogChecks};
use crate::components::request_card::RequestCard;
use crate::error::AppError;
use crate::model::{FormKey, StopAllOutcome};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn people(n: i64) -> String {
    if n == 1 {
        "1 staff member".into()
    } else {
        format!("{n} staff members")
    }
}

/// The provider's staff in one plain sentence, from the two counts.
fn staff_sentence(can_ask: i64, accessed: i64) -> String {
    let accessed = match accessed {
        0 => "no staff member accessed any mailbox here in the last 30 days".to_string(),
        n => format!("{} accessed a mailbox here in the last 30 days", people(n)),
    };
    format!(
        "{} can ask to access mailboxes at this provider; {accessed}.",
        people(can_ask)
    )
}

/// The owner's overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let stop_all = ServerAction::<StopAllAccess>::new();
    let overview = Resource::new(move || stop_all.version().get(), |_| load_overview());
    // Posted without JavaScript, "Stop all access" comes back here saying what it did.
    let query = use_query_map();
    let stopped = query.with_untracked(|q| {
        Some(StopAllOutcome {
            revoked: q.get("stopped")?.parse().ok()?,
            cancelled: q.get("cancelled")?.parse().ok()?,
        })
    });
    // The form's idempotency key, made on the server with the page: a double-click is one stop.
    let key = StoredValue::new(SharedValue::new(FormKey::new).into_inner());
    // The latest accesses show their real place in the log, checked in the browser like
    // the history's.
    let checks = LogChecks::provide();
    Effect::new(move |_| {
        if let Some(Ok(o)) = overview.get() {
            checks.check(o.recent);
        }
    });
    view! {
        <Title text="Your mailbox — Glassbox"/>
        <crate::pages::incident::IncidentBanner/>
        {stopped.map(|o| view! { <p class="notice notice-success" role="status">{o.sentence()}</p> })}
        <StopAllResult result=stop_all.value().into()/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => { let open = !o.pending.is_empty() || o.active_grants.iter().any(|g| !g.break_glass); view! {
                        <h1>"Your mailbox"</h1>
                        <p class="lead">
                            {format!("Hello {}. ", o.display_name)}
                            {format!("Glassbox watches {}.", o.mailboxes.join(", "))}
                        </p>
                        <ul class="stats" aria-label="The last 30 days">
                            <li><strong>{o.accesses_last_30_days}</strong>" accesses in the last 30 days"</li>
                            <li><strong>{o.denied_last_30_days}</strong>" of them refused"</li>
                            <li><strong>{o.pending.len()}</strong>" requests waiting for you"</li>
                            <li><strong>{o.active_grants.len()}</strong>" active grants"</li>
                        </ul>
                        <section aria-labelledby="staff-heading">
                            <h2 id="staff-heading">"Staff at your provider"</h2>
                            <p>{staff_sentence(o.staff_who_can_ask, o.staff_who_accessed_last_30_days)}</p>
                            <p class="hint">"Counted from Glassbox's records just now: the first number is support agents whose account is active and whose permission a security admin renewed in time; the second is staff with at least one allowed access to any mailbox at this provider, yours or anyone else's."</p>
                        </section>
                        <crate::pages::held_notices::HeldNoticeSection/>
                        <section aria-labelledby="pending-heading">
                            <h2 id="pending-heading">"Waiting for your decision"</h2>
                            {if o.pending.is_empty() {
                                view! { <p class="empty">"No requests are waiting for you."</p> }.into_any()
                            } else {
                                o.pending.into_iter().map(|r| { let link = (format!("/me/requests/{}", r.id), "Review and decide"); view! { <RequestCard request=r link=link/> } }).collect_view().into_any()
                            }}
                        </section>
                        <section aria-labelledby="grants-heading">
                            <h2 id="grants-heading">"Access allowed right now"</h2>
                            {if o.active_grants.is_empty() {
                                view! { <p class="empty">"Nobody can access your mailbox right now."</p> }.into_any()
                            } else {
                                o.active_grants.into_iter().map(|r| { let link = (format!("/me/requests/{}", r.id), if r.break_glass { "See this emergency access" } else { "Revoke or shorten" }); view! { <RequestCard request=r link=link/> } }).collect_view().into_any()
                            }}
                        </section>
                        <StopAllForm action=stop_all key=key.get_value() open=open/>
                        <section aria-labelledby="recent-heading">
                            <h2 id="recent-heading">"Latest accesses"</h2>
                            <LogBanner/>
                            <EventTable events=o.recent caption="The latest accesses to your mailbox"/>
                            <p><a href="/me/history">"See your whole access history"</a></p>
                        </section>
                    }.into_any() }
                    Err(e) => view! { <h1>"Your mailbox"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What "Stop all access" answered, when it was sent from this page with JavaScript.
#[component]
fn StopAllResult(result: Signal<Option<Result<StopAllOutcome, AppError>>>) -> impl IntoView {
    move || {
        result.get().map(|r| match r {
            Ok(o) => view! { <p class="notice notice-success" role="status">{o.sentence()}</p> }
                .into_any(),
            Err(e) => {
                view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
            }
        })
    }
}

/// One button that stops every access and request at once, after a ticked confirmation;
/// offered only when there is something to stop.
#[component]
fn StopAllForm(action: ServerAction<StopAllAccess>, key: FormKey, open: bool) -> impl IntoView {
    if !open {
        return view! {
            <section aria-labelledby="stop-all-heading">
                <h2 id="stop-all-heading">"Stop all access"</h2>
                <p class="empty">"There is nothing to stop: no access is allowed and no request is waiting."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="decide" aria-labelledby="stop-all-heading">
            <h2 id="stop-all-heading">"Stop all access"</h2>
            <ActionForm action=action attr:class="decision-form">
                <input type="hidden" name="form_key" value=key.as_str().to_string()/>
                <p>"This revokes every access allowed right now and cancels every request waiting for you, on all your mailboxes, at once. Staff will have to ask again."</p>
                <label class="confirm">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    " I want to stop every access and request now."
                </label>
                <button type="submit" class="button button-danger" disabled=move || action.pending().get()>"Stop all access"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
