//! `/admin/emergency`: emergency access (break-glass), for security admins only. One admin
//! opens an emergency access (mailbox, what, why, the reference it is for, how long); a
//! second, different admin approves it and it starts at once, without the owner's consent;
//! the owner is emailed at once and sees it marked everywhere, or, for a legal request whose
//! order forbids telling them yet, the notice is sealed until its release date (a legal
//! hold, extended only by two admins). The rules are stated on the page itself. Works without JavaScript: the forms post, and the page they come back to
//! says what was done.

use crate::api::emergency::{load_emergency_page, DecideEmergencyAccess, OpenEmergencyAccess};
use crate::components::action_result::ActionNotice;
use crate::components::error_view::ErrorView;
use crate::components::format::duration_minutes;
use crate::components::when::When;
use crate::error::AppError;
use crate::model::{
    AccessRequestStatus, EmergencyAccessView, EmergencyPage, FormKey, HoldState, HoldView,
    JustificationCode, RequestId, Scope,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The emergency access page.
#[component]
pub fn AdminEmergencyPage() -> impl IntoView {
    let open = ServerAction::<OpenEmergencyAccess>::new();
    let decide = ServerAction::<DecideEmergencyAccess>::new();
    // The open form's idempotency key: made on the server with the page, the same for a
    // double-click, and a new one once an emergency access was opened.
    let form_key = RwSignal::new(SharedValue::new(FormKey::new).into_inner());
    Effect::new(move |_| {
        if let Some(Ok(_)) = open.value().get() {
            form_key.set(FormKey::new());
        }
    });
    let page = Resource::new(
        move || (open.version().get(), decide.version().get()),
        |_| load_emergency_page(),
    );
    let query = use_query_map();
    let done = query.with_untracked(|q| q.get("done"));
    view! {
        <Title text="Emergency access — Glassbox"/>
        <h1>"Emergency access"</h1>
        <p class="lead">"The one way into a mailbox without its owner's consent: for a life-safety emergency or a legal request that cannot wait. Two security admins are needed, the second approves with their passkey (confirmed in the last few minutes), and the owner is told at once."</p>
        {done.and_then(|d| done_words(&d)).map(|w| view! { <p class="notice notice-success" role="status">{w}</p> })}
        <ActionNotice result=open.value().into() done="Opened. It waits for a second security admin to approve it; until then nobody can use it."/>
        <ActionNotice result=decide.value().into() done="Done. The page below shows where each emergency access stands."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Accesses page=p.clone() decide/><OpenForm page=p open form_key/><Rules/> }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the page says after a form posted without JavaScript (`?done=…`).
fn done_words(done: &str) -> Option<&'static str> {
    Some(match done {
        "opened" => "Opened. It waits for a second security admin to approve it; until then nobody can use it.",
        "approved" => "Approved. The access works now. The owner has been emailed, or, under a legal hold, the notice is sealed until its release date.",
        "refused" => "Refused. Nobody can use it.",
        "cancelled" => "Cancelled before anyone approved it.",
        "ended" => "Ended. The access stopped at once, and the owner has been emailed (or, under a legal hold, will be on its release date).",
        "extension_asked" => "Extension asked for. It waits for a second security admin; until then the release date stays as it was.",
        "extended" => "Extended. The new release date and its commitment are in the verifiable log.",
        "extension_refused" => "Extension refused. The release date stays as it was.",
        _ => return None,
    })
}

fn status_words(a: &EmergencyAccessView) -> String {
    match a.status {
        AccessRequestStatus::Pending => "Waiting for a second security admin".into(),
        AccessRequestStatus::Approved => {
            format!(
                "Live: approved by {}",
                a.approved_by.clone().unwrap_or_default()
            )
        }
        AccessRequestStatus::Denied => "Refused by a second security admin".into(),
        AccessRequestStatus::Expired => {
            "Expired: no second security admin approved it in time".into()
        }
        AccessRequestStatus::Cancelled => "Cancelled by the admin who opened it".into(),
        AccessRequestStatus::Revoked => "Ended early by a security admin".into(),
        AccessRequestStatus::Ended => "Ended at its time".into(),
    }
}

#[component]
fn Accesses(page: EmergencyPage, decide: ServerAction<DecideEmergencyAccess>) -> impl IntoView {
    let waiting = page.accesses.iter().filter(|a| a.waiting()).count();
    let list = if page.accesses.is_empty() {
        view! { <p class="empty">"No emergency access has been opened."</p> }.into_any()
    } else {
        view! {
            <ul class="report-list">
                {page.accesses.into_iter().map(|a| view! { <Access access=a decide/> }.into_any()).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="emergency-list-heading">
            <h2 id="emergency-list-heading">"Emergency accesses"</h2>
            <p>{format!("{waiting} waiting for a second security admin.")}</p>
            {list}
        </section>
    }
}

#[component]
fn Access(
    access: EmergencyAccessView,
    decide: ServerAction<DecideEmergencyAccess>,
) -> impl IntoView {
    let heading = format!("emergency-{}", access.id.0.simple());
    let id = access.id.to_string();
    let may = access.may;
    let scopes = access
        .scopes
        .iter()
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join(", ");
    let (approve_id, refuse_id, end_id) = (
        format!("approve-{}", access.id.0.simple()),
        format!("refuse-{}", access.id.0.simple()),
        format!("end-{}", access.id.0.simple()),
    );
    let (id_a, id_r, id_c, id_e) = (id.clone(), id.clone(), id.clone(), id);
    let waits_until = access.expires_at;
    view! {
        <li>
            <article class="report emergency" aria-labelledby=heading.clone()>
                <h3 id=heading.clone()>{format!("{} · {}", access.mailbox, status_words(&access))}</h3>
                <dl>
                    <dt>"Opened"</dt><dd><When at=access.opened_at/>{format!(" by {}", access.opened_by)}</dd>
                    <dt>"Used by"</dt><dd>{access.agent.clone()}</dd>
                    <dt>"What"</dt><dd>{scopes}</dd>
                    <dt>"Why"</dt><dd>{format!("{}: {}", access.justification_code.plain_words(), access.justification_text)}</dd>
                    <dt>"Reference"</dt><dd>{access.reference.clone()}</dd>
                    <dt>"For how long"</dt><dd>{duration_minutes(access.duration_minutes)}</dd>
                    {access.ends_at.map(|end| view! { <dt>"Ends"</dt><dd><When at=end/></dd> })}
                    {access.waiting().then(|| view! { <dt>"Expires unused"</dt><dd><When at=waits_until/></dd> })}
                    {access.reason.clone().map(|r| view! { <dt>"Reason given"</dt><dd>{r}</dd> })}
                    {access.hold.clone().map(|h| view! { <dt>"Owner's notice"</dt><dd>{hold_words(&h)}</dd> })}
                    {access.hold.as_ref().and_then(|h| h.commitment.clone()).map(|c| view! { <dt>"Commitment in the log"</dt><dd><code class="hash">{c}</code></dd> })}
                </dl>
                {access.hold.clone().map(|h| view! { <HoldForms hold=h id=access.id decide/> })}
                {(access.waiting() && !may.decide).then(|| view! {
                    <p class="hint">"You cannot approve this one: it needs a security admin other than the one who opened it and the one who will use it."</p>
                })}
                {may.decide.then(move || view! {
                    <ActionForm action=decide attr:class="roster-form">
                        <input type="hidden" name="id" value=id_a/>
                        <input type="hidden" name="act" value="approve"/>
                        <label for=approve_id.clone()>
                            <input id=approve_id.clone() type="checkbox" name="confirm" value="yes" required/>
                            " I checked the reason and the reference myself"
                        </label>
                        <button type="submit" class="button button-danger">"Approve emergency access"</button>
                    </ActionForm>
                    <ActionForm action=decide attr:class="roster-form">
                        <input type="hidden" name="id" value=id_r/>
                        <input type="hidden" name="act" value="refuse"/>
                        <label for=refuse_id.clone()>"Why you refuse"</label>
                        <input id=refuse_id.clone() name="reason" required maxlength="1000"/>
                        <button type="submit" class="button">"Refuse"</button>
                    </ActionForm>
                })}
                {may.cancel.then(move || view! {
                    <ActionForm action=decide attr:class="inline-form">
                        <input type="hidden" name="id" value=id_c/>
                        <input type="hidden" name="act" value="cancel"/>
                        <button type="submit" class="button">"Cancel it"</button>
                    </ActionForm>
                })}
                {may.end.then(move || view! {
                    <ActionForm action=decide attr:class="roster-form">
                        <input type="hidden" name="id" value=id_e/>
                        <input type="hidden" name="act" value="end"/>
                        <label for=end_id.clone()>"Why it ends now (the owner reads this)"</label>
                        <input id=end_id.clone() name="reason" required maxlength="1000"/>
                        <button type="submit" class="button button-danger">"End now"</button>
                    </ActionForm>
                })}
            </article>
        </li>
    }
}

fn hold_words(h: &HoldView) -> String {
    match h.state {
        HoldState::Waiting => format!(
            "To be held back until {} (a legal hold): sealed when the access starts.",
            h.release_on
        ),
        HoldState::Sealed => format!(
            "Sealed: held back until {} under a legal hold, then sent and shown to the owner.",
            h.release_on
        ),
        HoldState::Released => format!("Released to the owner (held back until {}).", h.release_on),
    }
}

/// Asking for, approving or refusing a later release date of a sealed notice.
#[component]
fn HoldForms(
    hold: HoldView,
    id: RequestId,
    decide: ServerAction<DecideEmergencyAccess>,
) -> impl IntoView {
    let key = id.0.simple().to_string();
    let (date_id, why_id) = (format!("extend-date-{key}"), format!("extend-why-{key}"));
    let (id_x, id_a, id_r) = (id.to_string(), id.to_string(), id.to_string());
    let waiting = hold.extension.clone();
    view! {
        {waiting.map(|e| {
            let may = e.may_decide;
            view! {
                <p class="hint">{format!("{} asked to hold the notice back until {}: {}", e.proposed_by, e.release_on, e.reason)}</p>
                {(!may).then(|| view! { <p class="hint">"A second security admin, not the one who asked, approves or refuses it."</p> })}
                {may.then(move || view! {
                    <ActionForm action=decide attr:class="inline-form">
                        <input type="hidden" name="id" value=id_a/>
                        <input type="hidden" name="act" value="approve_extension"/>
                        <button type="submit" class="button button-danger">"Approve the extension"</button>
                    </ActionForm>
                    <ActionForm action=decide attr:class="inline-form">
                        <input type="hidden" name="id" value=id_r/>
                        <input type="hidden" name="act" value="refuse_extension"/>
                        <button type="submit" class="button">"Refuse the extension"</button>
                    </ActionForm>
                })}
            }
        })}
        {hold.may_extend.then(move || view! {
            <ActionForm action=decide attr:class="roster-form">
                <input type="hidden" name="id" value=id_x/>
                <input type="hidden" name="act" value="extend"/>
                <label for=date_id.clone()>"Hold the notice back until (a later date; a second admin must approve)"</label>
                <input id=date_id.clone() name="release_on" type="date" required/>
                <label for=why_id.clone()>"Why: the order's reference and what it says"</label>
                <input id=why_id.clone() name="reason" required maxlength="1000"/>
                <button type="submit" class="button">"Ask for an extension"</button>
            </ActionForm>
        })}
    }
}

#[component]
fn OpenForm(
    page: EmergencyPage,
    open: ServerAction<OpenEmergencyAccess>,
    form_key: RwSignal<FormKey>,
) -> impl IntoView {
    let max = page.max_minutes;
    let default = max.min(60);
    let problem = move || {
        open.value().with(|v| match v {
            Some(Err(AppError::InvalidField { message, .. })) => Some(message.clone()),
            _ => None,
        })
    };
    view! {
        <section aria-labelledby="open-heading" class="ask">
            <h2 id="open-heading">"Open an emergency access"</h2>
            <p>{format!("A second security admin must approve it within {} minutes, or it expires unused. It lasts at most {}.", page.approve_within_minutes, duration_minutes(max))}</p>
            {move || problem().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            <ActionForm action=open attr:class="request-form">
                <input type="hidden" name="form_key" value=move || form_key.with(|k| k.as_str().to_string())/>
                <label for="bg-mailbox">"Mailbox"</label>
                <input id="bg-mailbox" name="mailbox" type="email" required autocomplete="off" placeholder="owner@example.org"/>
                <label for="bg-agent">"Who will use it"</label>
                <select id="bg-agent" name="agent">
                    <option value="">"Me"</option>
                    {page.staff.into_iter().map(|s| view! { <option value=s.id>{s.label}</option> }).collect_view()}
                </select>
                <fieldset>
                    <legend>"What they need to see"</legend>
                    {Scope::ALL.iter().map(|s| view! {
                        <label class="check">
                            <input type="checkbox" name=format!("scope_{}", s.as_str()) value="yes"/>
                            {format!(" {} — {}", s.label(), s.plain_words())}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label for="bg-code">"Why it cannot wait for the owner"</label>
                <select id="bg-code" name="justification_code" required>
                    {[JustificationCode::BreakGlassEmergency, JustificationCode::LegalRequest].into_iter().map(|c| view! {
                        <option value=c.as_str()>{c.plain_words()}</option>
                    }).collect_view()}
                </select>
                <label for="bg-text">"Explain, in words the owner will read"</label>
                <textarea id="bg-text" name="justification_text" required maxlength="4096" rows="3"></textarea>
                <label for="bg-reference">"Reference: the incident, case or legal order number"</label>
                <input id="bg-reference" name="reference" required maxlength="64" autocomplete="off"/>
                <label for="bg-duration">"For how long (minutes)"</label>
                <input id="bg-duration" name="duration_minutes" type="number" min="1" max=max.to_string() value=default.to_string() required/>
                <label for="bg-hold">"Legal request only: hold the owner's notice back until (leave empty to tell the owner at once)"</label>
                <input id="bg-hold" name="notice_release_on" type="date" aria-describedby="bg-hold-hint"/>
                <p id="bg-hold-hint" class="hint">{format!("Only when the order forbids telling the owner yet; at most {} days from today. The notice is written and sealed when the access starts, and sent on that date.", page.legal_hold_max_days)}</p>
                <label for="bg-confirm" class="check">
                    <input id="bg-confirm" type="checkbox" name="confirm" value="yes" required/>
                    " This cannot wait for the owner's consent"
                </label>
                <button type="submit" class="button button-danger" disabled=move || open.pending().get()>"Open emergency access"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Rules() -> impl IntoView {
    view! {
        <section aria-labelledby="emergency-rules-heading">
            <h2 id="emergency-rules-heading">"Who may do what"</h2>
            <ul class="rules">
                <li>"Only a security admin opens an emergency access, and only for a life-safety emergency or a legal request, with the reference it is for."</li>
                <li>"A second security admin approves or refuses it: never the admin who opened it, nor the staff member who will use it. Until then nobody can use it."</li>
                <li>"Once approved it starts at once, without asking the owner, and ends on its own at its time. Any security admin may end it earlier, saying why."</li>
                <li>"The owner is emailed at once. The access and everything done under it are marked as emergency access on the owner's pages, emails and exports, and the owner cannot approve, deny or stop it."</li>
                <li>"Every step (opened, approved, refused, ended) is an entry in the verifiable log, like every access."</li>
                <li>"Legal hold: only for a legal request whose order forbids telling the owner yet. The owner's notice is then deferred, never dropped: when the access starts it is written in full and sealed, and a commitment to it and its release date enters the verifiable log. Until that date the access and what was done under it do not appear on the owner's pages or emails; on that date the notice is sent and shown, and anyone can check it against the commitment."</li>
                <li>"A release date only moves later, and only with two security admins: one asks, a second, different one approves. Each extension is a new entry in the log. Nobody can release a notice early, and nobody can cancel one."</li>
                <li>"Everyone can see how many notices are held back, per month and reason, on the public transparency page; never whose, never what."</li>
            </ul>
        </section>
    }
}
