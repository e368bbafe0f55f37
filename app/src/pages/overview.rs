//! `/me`: the owner's overview — what is waiting for them, what is allowed now, and the
//! latest accesses.

use crate::api::overview::load_overview;
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::log_verification::{LogBanner, LogChecks};
use crate::components::request_card::RequestCard;
use leptos::prelude::*;
use leptos_meta::Title;

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
    let overview = Resource::new(|| (), |_| load_overview());
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
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! {
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
                                o.active_grants.into_iter().map(|r| { let link = (format!("/me/requests/{}", r.id), "Revoke or shorten"); view! { <RequestCard request=r link=link/> } }).collect_view().into_any()
                            }}
                        </section>
                        <section aria-labelledby="recent-heading">
                            <h2 id="recent-heading">"Latest accesses"</h2>
                            <LogBanner/>
                            <EventTable events=o.recent caption="The latest accesses to your mailbox"/>
                            <p><a href="/me/history">"See your whole access history"</a></p>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <h1>"Your mailbox"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
