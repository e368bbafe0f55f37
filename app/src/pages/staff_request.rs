//! `/staff/requests/{id}`: one of the agent's own requests. For a live grant that includes
//! message content the agent makes the IMAP credential here (shown once: only its hash is
//! kept) and sees the IMAP sessions Glassbox allowed, and when a revoke ended them.

use crate::api::staff::{load_staff_request, IssueImapCredential};
use crate::components::error_view::ErrorView;
use crate::components::format::date_time;
use crate::components::request_card::RequestCard;
use crate::model::ImapAccessView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The agent's page for one request.
#[component]
pub fn StaffRequestPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let issue = ServerAction::<IssueImapCredential>::new();
    let detail = Resource::new(
        move || (id(), issue.version().get()),
        |(id, _)| load_staff_request(id),
    );
    view! {
        <Title text="Access request — Glassbox staff console"/>
        <p><a href="/staff">"← Staff console"</a></p>
        <h1>"Access request"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => {
                        let id = d.item.request.id.to_string();
                        view! {
                            <RequestCard request=d.item.request agent_name=d.item.agent_name/>
                            <ImapAccess imap=d.imap id issue/>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ImapAccess(
    imap: ImapAccessView,
    id: String,
    issue: ServerAction<IssueImapCredential>,
) -> impl IntoView {
    let login = imap.login.clone().unwrap_or_default();
    let issued = imap.credential_issued_at.map(|t| {
        format!(
            "A credential was made {}; it is not shown again. Making a new one replaces it.",
            date_time(t)
        )
    });
    view! {
        <section aria-labelledby="imap-heading">
            <h2 id="imap-heading">"IMAP access"</h2>
            {if imap.can_issue {
                view! {
                    <p>"Log in with any IMAP client as " <code>{login}</code> " with the credential below as password. It works only for this mailbox, for you, while this grant lasts."</p>
                    {issued.map(|t| view! { <p>{t}</p> })}
                    {move || issue.value().get().map(|r| match r {
                        Ok(c) => view! {
                            <div class="notice notice-success" role="status">
                                <p>"Copy it now: it is shown only once."</p>
                                <p>"User: " <code data-testid="imap-login">{c.login}</code></p>
                                <p>"Password: " <code data-testid="imap-secret">{c.secret}</code></p>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                    <ActionForm action=issue attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="button button-primary">"Make IMAP credential"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <p class="empty">"IMAP access needs a live grant that includes message content."</p> }.into_any()
            }}
            {(!imap.sessions.is_empty()).then(|| view! {
                <table>
                    <thead><tr><th>"Logged in"</th><th>"From"</th><th>"Ended by Glassbox"</th></tr></thead>
                    <tbody>
                        {imap.sessions.into_iter().map(|s| view! {
                            <tr>
                                <td>{date_time(s.started_at)}</td>
                                <td>{s.client_ip}</td>
                                <td>{s.cut_at.map(date_time).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
