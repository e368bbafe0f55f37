//! `/me/report?access=…` or `?request=…`: "I don't recognise this". The owner sees what
//! they are reporting, may add a note, and reports it to the security team; then (and
//! before, for anyone who wants them) the steps that secure their account.

use super::incident::contact_link;
use crate::api::reports::{load_report_page, ReportUnrecognised};
use crate::components::error_view::ErrorView;
use crate::components::event_table::EventTable;
use crate::components::request_card::RequestCard;
use crate::components::when::When;
use crate::model::{ReportPage, ReportSubject};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The owner's report page.
#[component]
pub fn ReportPage() -> impl IntoView {
    let query = use_query_map();
    let report = ServerAction::<ReportUnrecognised>::new();
    let page = Resource::new(
        move || {
            let (access, request) = query.with(|q| (q.get("access"), q.get("request")));
            (access, request, report.version().get())
        },
        |(access, request, _)| load_report_page(access, request),
    );
    view! {
        <Title text="Report something you do not recognise — Glassbox"/>
        <h1>"Report something you do not recognise"</h1>
        {move || report.value().get().and_then(|r| r.err()).map(|e| view! {
            <p class="notice notice-error" role="alert">{e.to_string()}</p>
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Report page=p action=report/> }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Report(page: ReportPage, action: ServerAction<ReportUnrecognised>) -> impl IntoView {
    let (access_field, request_field) = match page.subject {
        ReportSubject::Access(seq) => (seq.0.to_string(), String::new()),
        ReportSubject::Request(id) => (String::new(), id.to_string()),
    };
    let what = match (page.access, page.request) {
        (Some(e), _) => view! {
            <EventTable events=vec![e] caption="The access you are reporting" report=false/>
        }
        .into_any(),
        (_, Some(r)) => {
            let href = format!("/me/requests/{}", r.id);
            view! {
                <RequestCard request=r link=(href, "Open this request")/>
            }
            .into_any()
        }
        _ => ().into_any(),
    };
    let state = match page.reported_at {
        Some(at) => view! {
            <div class="notice notice-success" role="status">
                <p>"You reported this on "<When at=at/>". The security team has been told and will look into it."</p>
                {page.handled_at.map(|t| view! { <p>"The security team marked your report as looked into on "<When at=t/>"."</p> })}
            </div>
        }
        .into_any(),
        None => view! {
            <ActionForm action=action attr:class="decision-form">
                <input type="hidden" name="access" value=access_field/>
                <input type="hidden" name="request" value=request_field/>
                <label for="report-note">"What seems wrong (optional; the security team will read it)"</label>
                <textarea id="report-note" name="note" maxlength="1000" rows="4"></textarea>
                <button type="submit" class="button button-danger" disabled=move || action.pending().get()>"Report this to the security team"</button>
            </ActionForm>
        }
        .into_any(),
    };
    let password = if page.password_url.is_empty() {
        view! { <p>"Change your password in your mail account's settings."</p> }.into_any()
    } else {
        view! { <p><a href=page.password_url.clone() rel="external">"Change your mailbox password"</a></p> }.into_any()
    };
    view! {
        <section aria-labelledby="reported-heading">
            <h2 id="reported-heading">"What you are reporting"</h2>
            {what}
            {state}
        </section>
        <section aria-labelledby="secure-heading">
            <h2 id="secure-heading">"Secure your account"</h2>
            <p>"If you do not recognise an access, someone may have more than they should. Take these steps now, in this order:"</p>
            <ol class="checklist">
                {page.steps.iter().map(|s| view! { <li>{s.plain_words()}</li> }).collect_view()}
            </ol>
            {password}
            <p>"To stop every access to your mailbox at once, use "<a href="/me#stop-all-heading">"Stop all access"</a>" on your overview."</p>
            <p>"Questions: "{contact_link(page.contact.clone())}</p>
        </section>
    }
}
