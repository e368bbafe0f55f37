//! `/admin/reports`: what owners reported as not recognised, open ones first. A security
//! admin marks each handled once they have looked into it.

use crate::api::reports::{load_admin_reports, HandleReport};
use crate::components::error_view::ErrorView;
use crate::components::when::When;
use crate::model::AdminReportView;
use leptos::prelude::*;
use leptos_meta::Title;

/// The security admins' list of owners' reports.
#[component]
pub fn AdminReportsPage() -> impl IntoView {
    let handle = ServerAction::<HandleReport>::new();
    let reports = Resource::new(move || handle.version().get(), |_| load_admin_reports());
    view! {
        <Title text="Owners' reports — Glassbox"/>
        <h1>"Owners' reports"</h1>
        <p class="lead">"Accesses and requests that owners do not recognise. Each may be a stolen staff credential: look into it, then mark it handled."</p>
        {move || handle.value().get().map(|r| match r {
            Ok(_) => view! { <p class="notice notice-success" role="status">"Marked as handled."</p> }.into_any(),
            Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match reports.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No owner has reported anything."</p> }.into_any(),
                    Ok(list) => {
                        let open = list.iter().filter(|r| r.handled_at.is_none()).count();
                        view! {
                            <p>{format!("{open} open, {} handled.", list.len() - open)}</p>
                            <ul class="report-list">
                                {list.into_iter().map(|r| view! { <Report report=r action=handle/> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Report(report: AdminReportView, action: ServerAction<HandleReport>) -> impl IntoView {
    let heading = format!("report-{}", report.id.simple());
    let who = report.agent.clone().map(|(pseudonym, name)| {
        if name.is_empty() {
            pseudonym
        } else {
            format!("{pseudonym} — {name}")
        }
    });
    let state = match report.handled_at {
        Some(at) => view! {
            <p class="decision decision-allowed">"Handled on "<When at=at/>{report.handled_by.clone().map(|n| format!(" by {n}"))}</p>
        }
        .into_any(),
        None => view! {
            <ActionForm action=action attr:class="inline-form">
                <input type="hidden" name="id" value=report.id.to_string()/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Mark as handled"</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <li>
            <article class="report" aria-labelledby=heading.clone()>
                <h2 id=heading.clone()>{format!("{} · ", report.mailbox)}<When at=report.reported_at/></h2>
                <p>{report.summary}</p>
                <dl>
                    <dt>"Staff member"</dt>
                    <dd>{who.unwrap_or_else(|| "The mail system".into())}</dd>
                    {report.note.map(|n| view! { <dt>"The owner's note"</dt><dd>{n}</dd> })}
                </dl>
                {state}
            </article>
        </li>
    }
}
