//! `/me/requests/{id}`: one request, in plain words, with the owner's choices. This is the
//! page email links lead to: opening it changes nothing; only its buttons do.

use crate::api::requests::{load_request, ApproveRequest, DenyRequest, RevokeGrant, ShortenGrant};
use crate::components::action_result::ActionResult;
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::format::{duration_minutes, sentence_list};
use crate::components::log_verification::{LogBanner, LogCell, LogChecks};
use crate::components::request_card::RequestCard;
use crate::components::when::When;
use crate::model::log_check::PageRow;
use crate::model::{AccessRequestStatus, FormKey, OwnerImapSessionView, RequestStep, RequestView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The request detail page.
#[component]
pub fn RequestDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let query = use_query_map();
    let done = move || query.with_untracked(|q| q.get("done"));
    let approve = ServerAction::<ApproveRequest>::new();
    let deny = ServerAction::<DenyRequest>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let shorten = ServerAction::<ShortenGrant>::new();
    let request = Resource::new(
        move || {
            (
                id(),
                approve.version().get(),
                deny.version().get(),
                revoke.version().get(),
                shorten.version().get(),
            )
        },
        |(id, ..)| load_request(id),
    );
    // One idempotency key per rendered form, made on the server and handed to the browser
    // with the page: a double-click or a resent form is one decision.
    let keys = StoredValue::new(
        SharedValue::new(|| FormKeys {
            approve: FormKey::new(),
            deny: FormKey::new(),
            revoke: FormKey::new(),
        })
        .into_inner(),
    );
    // After hydration the browser verifies each step against the log itself; a step that
    // is not in the log yet (it enters within a second of the change) is fetched again
    // until it is, so the page never stays with a step marked "not yet in the log".
    let checks = LogChecks::provide();
    let refetches = StoredValue::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(r)) = request.get() {
            let unlogged = r.steps.iter().any(|s| s.log_index.is_none());
            // The steps, and the logins and receipts of the IMAP sessions, in one check.
            let rows: Vec<PageRow> = r
                .steps
                .into_iter()
                .map(PageRow::Step)
                .chain(r.imap_sessions.into_iter().flat_map(|s| {
                    std::iter::once(s.login)
                        .chain(s.receipts)
                        .map(|e| PageRow::Event(Box::new(e)))
                }))
                .chain(r.accesses.into_iter().map(|e| PageRow::Event(Box::new(e))))
                .collect();
            checks.check(rows);
            if unlogged && refetches.get_value() < UNLOGGED_REFETCHES {
                refetches.update_value(|n| *n += 1);
                // Only while the page is still shown (its state is gone once it is left).
                set_timeout(
                    move || {
                        if refetches.try_get_value().is_some() {
                            request.refetch();
                        }
                    },
                    std::time::Duration::from_secs(1),
                );
            }
        }
    });
    view! {
        <h1>"Access request"</h1>
        <ActionResult result=approve.value().into() done=approved/>
        <ActionResult result=deny.value().into() done=denied/>
        <ActionResult result=revoke.value().into() done=revoked/>
        <ActionResult result=shorten.value().into() done=shortened/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match request.await {
                    Ok(r) => {
                        // A decision posted without JavaScript lands here (`?done=`): say
                        // what happened, if the request shows it did.
                        let said = done().and_then(|d| confirmation(&d, &r)).map(|text| view! {
                            <p class="notice notice-success" role="status">{text}</p>
                        });
                        // Each request's page has its own title (tabs and history tell them apart).
                        let title = format!(
                            "Request from {} for {} ({}) — Glassbox",
                            r.agent_pseudonym, r.mailbox, r.status.label().to_lowercase()
                        );
                        view! { <Title text=title/>{said}<Decision request=r keys=keys.get_value() approve deny revoke shorten/> }.into_any()
                    }
                    Err(e) => view! { <Title text="Access request — Glassbox"/><ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
        <p><a href="/me/requests">"All your requests"</a></p>
        <p>
            <a class="report-link" href=move || format!("/me/report?request={}", id())>"I don't recognise this request"</a>
        </p>
    }
}

fn approved(r: &RequestView) -> AnyView {
    let ends = r
        .grant_ends_at
        .map(|t| view! { " Access ends at "<When at=t/>"." });
    let what = if r.allowed_less() {
        let allowed: Vec<&str> = r.scopes.iter().map(|s| s.plain_words()).collect();
        format!(
            "You allowed less than asked: to {} for {}.",
            sentence_list(&allowed),
            duration_minutes(r.granted_minutes.unwrap_or(r.duration_minutes))
        )
    } else {
        "You approved this request.".to_string()
    };
    view! {
        {what}{ends}" "
        <a rel="external" href="/me/keys">"Approve only with your security key from now on (passkeys)"</a>
    }
    .into_any()
}

fn denied(_: &RequestView) -> AnyView {
    "You denied this request. Nobody gets access.".into_any()
}

fn revoked(_: &RequestView) -> AnyView {
    "You revoked this access. It stopped at once.".into_any()
}

fn shortened(r: &RequestView) -> AnyView {
    let ends = r
        .grant_ends_at
        .map(|t| view! { "Access now ends at "<When at=t/>"." });
    ends.into_any()
}

/// The confirmation of `done` (the owner's decision, from the URL) when the request's
/// state bears it out; nothing for a stale or made-up one.
fn confirmation(done: &str, r: &RequestView) -> Option<AnyView> {
    use AccessRequestStatus as S;
    match (done, r.status) {
        ("approved", S::Approved) => Some(approved(r)),
        ("denied", S::Denied) => Some(denied(r)),
        ("revoked", S::Revoked) => Some(revoked(r)),
        ("shortened", S::Approved) => Some(shortened(r)),
        _ => None,
    }
}

/// How many times the page fetches the request again while one of its steps is not in the
/// log yet (once a second).
const UNLOGGED_REFETCHES: u32 = 20;

/// The idempotency keys of the page's decision forms.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct FormKeys {
    approve: FormKey,
    deny: FormKey,
    revoke: FormKey,
}

#[component]
fn Decision(
    request: RequestView,
    keys: FormKeys,
    approve: ServerAction<ApproveRequest>,
    deny: ServerAction<DenyRequest>,
    revoke: ServerAction<RevokeGrant>,
    shorten: ServerAction<ShortenGrant>,
) -> impl IntoView {
    let id = request.id.to_string();
    let (id_approve, id_deny, id_revoke, id_shorten) = (id.clone(), id.clone(), id.clone(), id);
    // The owner may allow less than asked: untick scopes, choose a shorter time. The
    // sentence they confirm follows their choice (once the page is live; without
    // JavaScript the form itself is what they allow, and the page says so).
    let asked_minutes = request.duration_minutes;
    let choices = StoredValue::new(
        request
            .scopes
            .iter()
            .map(|s| (*s, RwSignal::new(true)))
            .collect::<Vec<_>>(),
    );
    let minutes = RwSignal::new(asked_minutes);
    // Once the page is live (effects run only in the browser), the sentence follows the
    // choices and the note for pages without JavaScript goes.
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let agent = request.agent_pseudonym.clone();
    let consent = move || {
        let what: Vec<&str> = choices.with_value(|c| {
            c.iter()
                .filter(|(_, on)| on.get())
                .map(|(s, _)| s.plain_words())
                .collect()
        });
        if what.is_empty() {
            "Tick at least one part of the mailbox above, or deny the request.".to_string()
        } else {
            format!(
                "I allow {agent} to {} for {}, starting now.",
                sentence_list(&what),
                duration_minutes(minutes.get())
            )
        }
    };
    let scope_boxes = choices.with_value(|c| {
        c.iter()
            .map(|(scope, on)| {
                let on = *on;
                let field = format!("approve-scope-{}", scope.as_str());
                view! {
                    <li>
                        <input type="checkbox" id=field.clone() name=format!("scope_{}", scope.as_str()) value="yes" checked=true
                            on:change=move |ev| on.set(event_target_checked(&ev))/>
                        <label for=field>{scope.plain_words()}</label>
                    </li>
                }
            })
            .collect_view()
    });
    // Every button waits while any decision of this page is on its way.
    let busy = move || {
        approve.pending().get()
            || deny.pending().get()
            || revoke.pending().get()
            || shorten.pending().get()
    };
    // Shortening offers only what remains: the new end must come before the current one.
    let most = request.minutes_left.map_or(0, |m| m - 1);
    let shorten_form = if most >= 1 {
        let hint = format!(
            "At most {most} minutes: this access ends in {} minutes.",
            most + 1
        );
        view! {
            <ActionForm action=shorten attr:class="decision-form inline-form">
                <input type="hidden" name="id" value=id_shorten/>
                <label for="shorten-minutes">"End it sooner: minutes from now"</label>
                <input id="shorten-minutes" type="number" name="minutes" min="1" max=most.to_string() value=most.min(10).to_string() required aria-describedby="shorten-hint"/>
                <p id="shorten-hint" class="hint">{hint}</p>
                <button type="submit" class="button" disabled=busy>"Shorten"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <p class="hint">"This access ends in less than a minute."</p> }.into_any()
    };
    let controls = match request.status {
        // An emergency access is not the owner's to decide: no buttons that would be refused.
        _ if request.break_glass => view! {
            <p class="empty">"There is nothing for you to decide: this is an emergency access. If you think it is wrong, tell the security team with the link \u{201c}I don't recognise this request\u{201d} on this page."</p>
        }
        .into_any(),
        AccessRequestStatus::Pending => view! {
            <section class="decide" aria-labelledby="decide-heading">
                <h2 id="decide-heading">"Your decision"</h2>
                <ActionForm action=approve attr:class="decision-form">
                    <input type="hidden" name="id" value=id_approve/>
                    <input type="hidden" name="form_key" value=keys.approve.as_str().to_string()/>
                    <input type="hidden" name="choose" value="yes"/>
                    <fieldset class="grant-choice">
                        <legend>"What you allow"</legend>
                        <p class="hint" id="grant-choice-hint">"Untick what you do not want to allow, or choose a shorter time. The agent sees what you allowed."</p>
                        <ul class="choice-list" aria-describedby="grant-choice-hint">{scope_boxes}</ul>
                        <label for="approve-minutes">{format!("For how many minutes (at most {asked_minutes}, as asked)")}</label>
                        <input id="approve-minutes" type="number" name="minutes" min="1" max=asked_minutes.to_string() value=asked_minutes.to_string() required
                            on:input=move |ev| {
                                if let Ok(m) = event_target_value(&ev).parse::<i64>() {
                                    minutes.set(m.clamp(1, asked_minutes));
                                }
                            }/>
                    </fieldset>
                    {move || (!live.get()).then(|| view! {
                        <p class="hint">"Without JavaScript the sentence below does not follow your choices above: what you tick and choose above is what you allow."</p>
                    })}
                    <label class="confirm">
                        <input type="checkbox" name="confirm" value="yes" required/>
                        " "{consent}
                    </label>
                    <button type="submit" class="button button-primary" disabled=busy>"Approve access"</button>
                </ActionForm>
                <ActionForm action=deny attr:class="decision-form">
                    <input type="hidden" name="id" value=id_deny/>
                    <input type="hidden" name="form_key" value=keys.deny.as_str().to_string()/>
                    <label for="deny-reason">"Reason (optional; the agent will see it)"</label>
                    <textarea id="deny-reason" name="reason" maxlength="1000" rows="3"></textarea>
                    <button type="submit" class="button button-danger" disabled=busy>"Deny"</button>
                </ActionForm>
            </section>
        }
        .into_any(),
        AccessRequestStatus::Approved => view! {
            <section class="decide" aria-labelledby="decide-heading">
                <h2 id="decide-heading">"Access is allowed right now"</h2>
                <ActionForm action=revoke attr:class="decision-form">
                    <input type="hidden" name="id" value=id_revoke/>
                    <input type="hidden" name="form_key" value=keys.revoke.as_str().to_string()/>
                    <p>"Revoking stops the access at once. The agent will have to ask again."</p>
                    <button type="submit" class="button button-danger" disabled=busy>"Revoke access now"</button>
                </ActionForm>
                {shorten_form}
            </section>
        }
        .into_any(),
        _ => view! { <p class="empty">"This request is closed; there is nothing left to decide."</p> }.into_any(),
    };
    let steps = request.steps.clone();
    let sessions = request.imap_sessions.clone();
    let accesses = request.accesses.clone();
    let shown_all = (accesses.len() as i64) < RequestView::ACCESSES_SHOWN;
    view! {
        <RequestCard request=request under_title=true/>
        {controls}
        <ImapSessions sessions/>
        <section aria-labelledby="accesses-heading">
            <h2 id="accesses-heading">"Accesses under this request"</h2>
            <EventTable events=accesses caption="Every access decided under this request, newest first" link_requests=false/>
            {(!shown_all).then(|| view! {
                <p>"Only the newest are listed here; your "<a href="/me/history">"access history"</a>" has them all."</p>
            })}
        </section>
        <Steps steps/>
    }
}

/// What staff did over IMAP under this grant, session by session, as Dovecot reported it.
#[component]
fn ImapSessions(sessions: Vec<OwnerImapSessionView>) -> impl IntoView {
    if sessions.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="imap-sessions" aria-labelledby="imap-sessions-heading">
            <h2 id="imap-sessions-heading">"What staff read over IMAP"</h2>
            <p class="hint">"Your mail server reports what was opened and read in each session; each report is recorded in the log."</p>
            {sessions
                .into_iter()
                .map(|s| {
                    // Named by its heading, so the name reads the time as shown (the reader's zone).
                    let heading = format!("imap-session-{}", s.login.seq.0);
                    view! {
                        <article class="imap-session" aria-labelledby=heading.clone()>
                            <h3 id=heading.clone()>"Session from "<When at=s.started_at/></h3>
                            <p class="imap-summary">{s.summary}</p>
                            {s.cut_at.map(|t| view! { <p class="imap-cut">"Session cut at "<When at=t/></p> })}
                            {s.logged_out_at.map(|t| view! { <p>"Logged out at "<When at=t/></p> })}
                            <ul class="receipt-list">
                                <li><When at=s.started_at/>" — logged in · "<LogCell index=s.login.log_index/></li>
                                {s.receipts
                                    .into_iter()
                                    .map(|r| view! {
                                        <li><When at=r.occurred_at/>{format!(" — {} · ", r.reason)}<LogCell index=r.log_index/></li>
                                    })
                                    .collect_view()}
                            </ul>
                        </article>
                    }
                })
                .collect_view()}
        </section>
    }
    .into_any()
}

/// The request's life, step by step, each with its place in the verifiable log.
#[component]
fn Steps(steps: Vec<RequestStep>) -> impl IntoView {
    if steps.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="steps" aria-labelledby="steps-heading">
            <h2 id="steps-heading">"What happened, step by step"</h2>
            <p class="hint">"Each step is recorded in Glassbox's tamper-evident log, like every access to your mailbox."</p>
            <LogBanner covers="every step on this page"/>
            <ol class="step-list">
                {steps
                    .into_iter()
                    .map(|s| {
                        view! {
                            <li>
                                <When at=s.at/>
                                " — "{s.change.label()}" by "{s.by_words()}" · "<LogCell index=s.log_index/>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
    .into_any()
}
