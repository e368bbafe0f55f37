//! `/staff/requests/{id}`: one of the agent's own requests. For a live grant that includes
//! message content the agent makes the IMAP credential here (shown once: only its hash is
//! kept) and sees the IMAP sessions Glassbox allowed, and when a revoke ended them.
//!
//! The credential form is a plain form posting to the server's
//! `/staff/requests/{id}/imap-credential`, which answers a page showing the secret once,
//! with JavaScript on or off (a server function's form, without JavaScript, is answered by
//! a redirect that would lose the secret).

use crate::api::staff::load_staff_request;
use crate::components::error_view::ErrorView;
use crate::components::request_card::RequestCard;
use crate::components::when::When;
use crate::model::ImapAccessView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The agent's page for one request.
#[component]
pub fn StaffRequestPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new(id, load_staff_request);
    view! {
        <p><a href="/staff">"← Staff console"</a></p>
        <h1>"Access request"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => {
                        let id = d.item.request.id.to_string();
                        let title = format!(
                            "Request for {} ({}) — Glassbox staff console",
                            d.item.request.mailbox, d.item.request.status.label().to_lowercase()
                        );
                        view! {
                            <Title text=title/>
                            <RequestCard request=d.item.request agent_name=d.item.agent_name under_title=true/>
                            <ImapAccess imap=d.imap id/>
                        }.into_any()
                    }
                    Err(e) => view! { <Title text="Access request — Glassbox staff console"/><ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ImapAccess(imap: ImapAccessView, id: String) -> impl IntoView {
    let login = imap.login.clone().unwrap_or_default();
    let issued = imap.credential_issued_at.map(|t| {
        view! { "A credential was made "<When at=t/>"; it is not shown again. Making a new one replaces it." }
    });
    view! {
        <section aria-labelledby="imap-heading">
            <h2 id="imap-heading">"IMAP access"</h2>
            {if imap.can_issue {
                view! {
                    <p>"Log in with any IMAP client as " <code>{login}</code> " with the credential below as password. It works only for this mailbox, for you, while this grant lasts."</p>
                    {issued.map(|t| view! { <p>{t}</p> })}
                    <form class="inline-form" method="post" action=format!("/staff/requests/{id}/imap-credential")>
                        <button type="submit" class="button button-primary">"Make IMAP credential"</button>
                    </form>
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
                                <td><When at=s.started_at/></td>
                                <td>{s.client_ip}</td>
                                <td>{s.cut_at.map(|t| view! { <When at=t/> })}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
