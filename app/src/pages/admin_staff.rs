//! `/admin/staff`: the staff roster, for security admins only — everyone who can ask for
//! access and how they sign in, what they did in the last 30 days, whose recertification
//! is due, and **Disable** / **Recertify** (each confirmed with a ticked box). The rules
//! of who may do what are stated on the page itself. Works without JavaScript: the forms
//! post, and the roster it comes back to says what was done. `/admin/staff/{id}`: one
//! agent's requests and activity over time, and whether owners refuse them far more often
//! than the others.

use crate::api::roster::{load_agent_activity, load_roster, DisableStaff, RecertifyStaff};
use crate::components::action_result::ActionNotice;
use crate::components::error_view::ErrorView;
use crate::components::when::{Phrase, When};
use crate::model::{
    AddedBy, AgentActivityView, Recertification, RefusalSignal, RosterMember, RosterView,
    StaffChangeBy, StaffId, StaffRole,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The roster page.
#[component]
pub fn AdminStaffPage() -> impl IntoView {
    let disable = ServerAction::<DisableStaff>::new();
    let recertify = ServerAction::<RecertifyStaff>::new();
    let roster = Resource::new(
        move || (disable.version().get(), recertify.version().get()),
        |_| load_roster(),
    );
    let query = use_query_map();
    view! {
        <Title text="Staff roster — Glassbox"/>
        <h1>"Staff roster"</h1>
        <ActionNotice result=disable.value().into() done="Disabled. Their sessions have ended, their open requests and grants were withdrawn, and their IMAP sessions are being closed."/>
        <ActionNotice result=recertify.value().into() done="Recertified. They may ask for access for another full period."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let done = query.with_untracked(|q| (q.get("done"), q.get("member")));
                match roster.await {
                    Ok(r) => view! { <Roster roster=r done disable recertify/> }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the roster says after a form posted without JavaScript (`?done=…&member=…`).
fn done_notice(done: (Option<String>, Option<String>), roster: &RosterView) -> Option<String> {
    let (what, member) = done;
    let name = member
        .and_then(|m| m.parse::<StaffId>().ok())
        .and_then(|id| roster.members.iter().find(|m| m.id == id))
        .map(|m| m.name.clone())?;
    match what.as_deref() {
        Some("disabled") => Some(format!("{name} is disabled. Their sessions have ended, their open requests and grants were withdrawn, and their IMAP sessions are being closed.")),
        Some("recertified") => Some(format!("{name} is recertified: they may ask for access for another full period.")),
        _ => None,
    }
}

fn recertification_text(r: Recertification) -> Phrase {
    match r {
        Recertification::NotApplicable => {
            Phrase::words("Not recertified (does not ask for access)")
        }
        Recertification::Current { until } => Phrase::around("Certified until ", until, ""),
        Recertification::DueSoon { until } => Phrase::around("Due: certified until ", until, ""),
        Recertification::Lapsed { since } => {
            Phrase::around("Lapsed on ", since, ": new requests are refused")
        }
    }
}

/// A member's status: disabled, or where their recertification stands.
fn status_text(disabled_at: Option<time::OffsetDateTime>, r: Recertification) -> Phrase {
    match disabled_at {
        Some(at) => Phrase::around("Disabled on ", at, ""),
        None => recertification_text(r),
    }
}

fn added_text(m: &RosterMember) -> impl IntoView {
    let by = match &m.added_by {
        AddedBy::BeforeRecords => "by whom: before records began".to_string(),
        AddedBy::Recorded {
            by: StaffChangeBy::SecurityAdmin,
            by_name,
        } => format!(
            "by {}",
            by_name.clone().unwrap_or_else(|| "a security admin".into())
        ),
        AddedBy::Recorded {
            by: StaffChangeBy::CommandLine,
            ..
        } => "on the server (glassbox staff add)".into(),
        AddedBy::Recorded {
            by: StaffChangeBy::Glassbox,
            ..
        } => "by Glassbox".into(),
    };
    view! { <When at=m.added_at/>{format!(", {by}")} }
}

/// When a member last signed in, if that was recorded.
fn last_sign_in(at: Option<time::OffsetDateTime>) -> AnyView {
    match at {
        Some(at) => view! { <When at/> }.into_any(),
        None => "not recorded yet".into_any(),
    }
}

/// Who made a change, as the end of a sentence ("Disabled by Inês Duarte").
fn by_text(by: StaffChangeBy, name: Option<String>) -> String {
    match by {
        StaffChangeBy::CommandLine => "on the server (command line)".into(),
        StaffChangeBy::SecurityAdmin => {
            format!("by {}", name.unwrap_or_else(|| "a security admin".into()))
        }
        StaffChangeBy::Glassbox => "by Glassbox (the deadline passed)".into(),
    }
}

/// The second factor a member holds, in words.
fn second_factor(passkeys: i64, totp: bool) -> String {
    let keys = match passkeys {
        0 => None,
        1 => Some("1 passkey".to_string()),
        n => Some(format!("{n} passkeys")),
    };
    match (keys, totp) {
        (Some(k), true) => format!("{k} and an authenticator app (TOTP)"),
        (Some(k), false) => k,
        (None, true) => "Authenticator app (TOTP) only, no passkey".to_string(),
        (None, false) => "None yet (asked at first sign-in)".to_string(),
    }
}

#[component]
fn Rules(every: u32, due_soon: u32, fresh_minutes: i64, passkeys_required: bool) -> impl IntoView {
    let sign_in = if passkeys_required {
        "Staff sign in through the organisation's provider and then with a passkey: codes from an authenticator app are not accepted here."
    } else {
        "Staff sign in through the organisation's provider and then with a passkey, or a code from an authenticator app (TOTP) where they have no passkey yet."
    };
    view! {
        <section aria-labelledby="rules-heading">
            <h2 id="rules-heading">"Who may do what"</h2>
            <ul class="rules">
                <li>"Staff accounts are added only on the server, with "<code>"glassbox staff add"</code>". Nobody can add an account, or change a role, from the web."</li>
                <li>"Support agents ask owners for access. They reach a mailbox only through a grant its owner approved, limited in scope and in time."</li>
                <li>"Security admins see every request, declare incidents (a second admin must confirm each), disable staff and recertify support agents. They do not ask owners for access to mailboxes; in an emergency one security admin opens an emergency access and a second, different one approves it (see "<a href="/admin/emergency">"Emergency access"</a>")."</li>
                <li>{format!("Every {every} days a security admin must recertify each support agent. If nobody does by the deadline, the agent's new requests are refused from that moment until an admin recertifies them; grants already approved keep their end time. Agents show as due {due_soon} days before their deadline.")}</li>
                <li>"Disabling an account ends the person's sessions, refuses their access checks, withdraws their open requests and grants (each owner is told), and closes their IMAP sessions. Nobody can disable their own account, and a disabled account cannot be turned back on from the web."</li>
                <li>{sign_in}</li>
                <li>{format!("Approving an emergency access and disabling an account need the admin's passkey, confirmed in the last {fresh_minutes} minutes: a stolen session or a phished code alone cannot do either.")}</li>
                <li>"Every addition, disable, recertification and lapse is an entry in the verifiable log, like every access."</li>
            </ul>
        </section>
    }
}

#[component]
fn Roster(
    roster: RosterView,
    done: (Option<String>, Option<String>),
    disable: ServerAction<DisableStaff>,
    recertify: ServerAction<RecertifyStaff>,
) -> impl IntoView {
    let notice = done_notice(done, &roster);
    let due: Vec<&RosterMember> = roster
        .members
        .iter()
        .filter(|m| {
            matches!(
                m.recertification,
                Recertification::DueSoon { .. } | Recertification::Lapsed { .. }
            )
        })
        .collect();
    let due_view = if due.is_empty() {
        view! { <p class="empty">"No support agent is due for recertification or lapsed."</p> }
            .into_any()
    } else {
        view! {
            <ul>
                {due.iter().map(|m| view! {
                    <li>{recertification_text(m.recertification).after_lead(&format!("{}: ", m.name)).view()}</li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let active = roster
        .members
        .iter()
        .filter(|m| m.disabled_at.is_none())
        .count();
    let me = roster.me;
    let rows = roster
        .members
        .into_iter()
        // Type-erased per row: the row's full view type is too deep for the WASM build.
        .map(|m| view! { <MemberRow member=m me disable recertify/> }.into_any())
        .collect_view();
    let changes = roster.changes;
    view! {
        {notice.map(|n| view! { <p class="notice notice-success" role="status">{n}</p> })}
        <p class="lead">{format!("{active} active staff accounts. Support agents are recertified every {} days.", roster.recertify_every_days)}</p>
        <section aria-labelledby="due-heading">
            <h2 id="due-heading">"Due for recertification, or lapsed"</h2>
            {due_view}
        </section>
        <section aria-labelledby="roster-heading">
            <h2 id="roster-heading">"Everyone with a staff account"</h2>
            <div class="table-scroll">
            <table class="events roster">
                <caption>"Staff accounts: active ones first. Figures are for the last 30 days."</caption>
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Added"</th>
                    <th scope="col">"Last sign-in"</th>
                    <th scope="col">"Second factor"</th>
                    <th scope="col">"Open grants"</th>
                    <th scope="col">"Requests (30 days)"</th>
                    <th scope="col">"Accesses (30 days)"</th>
                    <th scope="col">"Recertification"</th>
                    <th scope="col">"Actions"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
        </section>
        <section aria-labelledby="changes-heading">
            <h2 id="changes-heading">"Latest roster changes"</h2>
            {if changes.is_empty() {
                view! { <p class="empty">"No roster change has been recorded yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="roster-changes">
                        {changes.into_iter().map(|c| {
                            let index = c.log_index.map(|i| format!(" — in the log at index {i}")).unwrap_or_else(|| " — entering the log".into());
                            view! { <li><When at=c.at/>{format!(": {} — {} {}{index}", c.staff_name, c.change.label(), by_text(c.by, c.by_name))}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <Rules every=roster.recertify_every_days due_soon=roster.due_soon_days fresh_minutes=roster.passkey_fresh_minutes passkeys_required=roster.passkeys_required/>
    }
}

#[component]
fn MemberRow(
    member: RosterMember,
    me: StaffId,
    disable: ServerAction<DisableStaff>,
    recertify: ServerAction<RecertifyStaff>,
) -> impl IntoView {
    let id = member.id.to_string();
    let name = member.name.clone();
    let enabled = member.disabled_at.is_none();
    let can_recertify = enabled && member.role == StaffRole::Support;
    let can_disable = enabled && member.id != me;
    let status = status_text(member.disabled_at, member.recertification).view();
    let (recertify_id, disable_id) = (format!("recertify-{id}"), format!("disable-{id}"));
    let (id_r, name_r) = (id.clone(), name.clone());
    let actions = view! {
        {can_recertify.then(move || view! {
            <ActionForm action=recertify attr:class="roster-form">
                <input type="hidden" name="member" value=id_r/>
                <label for=recertify_id.clone()>
                    <input id=recertify_id.clone() type="checkbox" name="confirm" value="yes" required/>
                    {format!(" I checked that {name_r} still needs to ask for access")}
                </label>
                <button type="submit" class="button">"Recertify"</button>
            </ActionForm>
        })}
        {can_disable.then(move || view! {
            <ActionForm action=disable attr:class="roster-form">
                <input type="hidden" name="member" value=id/>
                <label for=disable_id.clone()>
                    <input id=disable_id.clone() type="checkbox" name="confirm" value="yes" required/>
                    {format!(" Yes, disable {name}")}
                </label>
                <button type="submit" class="button button-danger">"Disable"</button>
            </ActionForm>
        })}
        {(enabled && member.id == me).then(|| view! { <span class="hint">"You (another admin can disable you)"</span> })}
        {(!enabled).then(|| view! { <span class="hint">"None: disabled"</span> })}
    };
    view! {
        <tr>
            <th scope="row">
                <a href=format!("/admin/staff/{}", member.id)>{member.name.clone()}</a><br/>
                <span class="hint">{member.email.clone()}</span>
                {member.handle.clone().map(|h| view! { <br/><span class="hint">{format!("handle: {h}")}</span> })}
            </th>
            <td>{member.role.label()}</td>
            <td>{added_text(&member)}</td>
            <td>{last_sign_in(member.last_sign_in_at)}</td>
            <td>{second_factor(member.passkeys, member.totp_enrolled)}</td>
            <td>{member.open_grants}</td>
            <td>{member.requests_last_30_days}</td>
            <td>{member.accesses_last_30_days}</td>
            <td>{status}</td>
            <td>{actions.into_any()}</td>
        </tr>
    }
    .into_any()
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "no decisions yet".into()
    } else {
        format!("{} % of {whole}", part * 100 / whole)
    }
}

fn refusal_text(r: RefusalSignal) -> String {
    format!(
        "Owners refused {} of this person's decided requests ({}); they refused {} of everyone else's ({}).",
        r.denied,
        percent(r.denied, r.decided),
        r.others_denied,
        percent(r.others_denied, r.others_decided)
    )
}

/// One agent's activity over time.
#[component]
pub fn AdminAgentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let activity = Resource::new(id, load_agent_activity);
    view! {
        <Title text="Staff member — Glassbox"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match activity.await {
                    Ok(a) => view! { <AgentActivity activity=a/> }.into_any(),
                    Err(e) => view! { <h1>"Staff member"</h1><ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
        <p><a href="/admin/staff">"The whole roster"</a></p>
    }
}

#[component]
fn AgentActivity(activity: AgentActivityView) -> impl IntoView {
    let m = activity.member;
    let r = activity.refusals;
    let signal = if r.far_more_often {
        view! {
            <p class="notice notice-error" role="alert">
                <strong>"Refused far more often than others. "</strong>
                {refusal_text(r)}
                " Owners refuse requests they did not expect: look at this person's recent requests and tickets."
            </p>
        }
        .into_any()
    } else {
        view! { <p>{refusal_text(r)}</p> }.into_any()
    };
    let status = status_text(m.disabled_at, m.recertification).view();
    let counts = activity
        .counts
        .iter()
        .map(|(s, n)| format!("{}: {n}", s.label()))
        .collect::<Vec<_>>()
        .join(" · ");
    let months = activity.months;
    let requests = activity.requests;
    view! {
        <h1>{m.name.clone()}</h1>
        <dl class="facts">
            <dt>"Role"</dt><dd>{m.role.label()}</dd>
            <dt>"Work address"</dt><dd>{m.email.clone()}</dd>
            <dt>"Added"</dt><dd>{added_text(&m)}</dd>
            <dt>"Last sign-in"</dt><dd>{last_sign_in(m.last_sign_in_at)}</dd>
            <dt>"Status"</dt><dd>{status}</dd>
            <dt>"Open grants now"</dt><dd>{m.open_grants}</dd>
        </dl>
        <p>
            <a href=format!("/admin/staff/{}/accesses", m.id)>"Every access they made, with filters and downloads"</a>
            " · "
            <a href=format!("/staff?agent={}", m.id)>"All their requests, with filters"</a>
        </p>
        <section aria-labelledby="refusals-heading">
            <h2 id="refusals-heading">"How often owners refuse"</h2>
            {signal}
            <p class="hint">{format!("Flagged when, with at least {} owner decisions on each side, this person is refused at least twice as often as everyone else and by at least 20 percentage points more.", r.min_decided)}</p>
        </section>
        <section aria-labelledby="months-heading">
            <h2 id="months-heading">"Month by month (the last 12 months)"</h2>
            {if months.is_empty() {
                view! { <p class="empty">"No requests or accesses in the last 12 months."</p> }.into_any()
            } else {
                view! {
                    <table class="events">
                        <caption>"Requests and accesses per month, newest first (UTC)"</caption>
                        <thead><tr>
                            <th scope="col">"Month"</th><th scope="col">"Requests"</th><th scope="col">"Refused by owners"</th>
                            <th scope="col">"Allowed accesses"</th><th scope="col">"Refused checks"</th>
                        </tr></thead>
                        <tbody>
                            {months.into_iter().map(|mo| view! {
                                <tr><th scope="row">{mo.month}</th><td>{mo.requests}</td><td>{mo.denied}</td><td>{mo.accesses_allowed}</td><td>{mo.accesses_refused}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="requests-heading">
            <h2 id="requests-heading">"Requests"</h2>
            <p>{if counts.is_empty() { "No requests.".to_string() } else { counts }}</p>
            {(!requests.is_empty()).then(|| view! {
                <table class="events">
                    <caption>"The newest requests (at most 100)"</caption>
                    <thead><tr><th scope="col">"Asked"</th><th scope="col">"Mailbox"</th><th scope="col">"Scopes"</th><th scope="col">"Why"</th><th scope="col">"Status"</th></tr></thead>
                    <tbody>
                        {requests.into_iter().map(|v| {
                            let r = v.request;
                            view! {
                                <tr>
                                    <td><When at=r.created_at/></td>
                                    <td>{r.mailbox.clone()}</td>
                                    <td>{r.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                    <td>{r.justification_code.as_str()}</td>
                                    <td>{r.status.label()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
        <section aria-labelledby="agent-changes-heading">
            <h2 id="agent-changes-heading">"Roster changes"</h2>
            {if activity.changes.is_empty() {
                view! { <p class="empty">"None recorded."</p> }.into_any()
            } else {
                view! {
                    <ul class="roster-changes">
                        {activity.changes.into_iter().map(|c| view! {
                            <li><When at=c.at/>{format!(": {} {}", c.change.label(), by_text(c.by, c.by_name))}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
