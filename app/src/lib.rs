//! Glassbox's user interface: pages, components, server-function declarations and the view
//! types they exchange. Compiled twice: with `ssr` into the server, with `hydrate` to WASM
//! for the browser. It never touches the database: server functions go through
//! [`api::port::Portal`], which the server crate implements.

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;

use api::session::whoami;
use components::page_shell::{Document, SiteFooter, SkipLink, ICON};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use model::Viewer;

/// The HTML document around the app, rendered on the server (the same [`Document`] as the
/// pages the server renders outside the app). The stylesheet is linked here, by its
/// content-hashed name when the build made one (`css:` in the site's hash file, kept a
/// year), else as `/pkg/glassbox.css` (compiled into the server).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_csp_nonce();
    view! {
        <Document head=view! { <HashedStylesheet options=options.clone()/><HydrationScripts options/><MetaTags/> }.into_any()>
            <App/>
        </Document>
    }
}

/// Hands the per-request CSP nonce (set by the server's security-header middleware) to
/// Leptos, which puts it on the hydration script.
#[cfg(feature = "ssr")]
fn provide_csp_nonce() {
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        if let Some(nonce) = parts.extensions.get::<model::CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
        }
    }
}

/// The application: header, routes, footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Times on the page switch to the reader's zone once hydrated (components::when).
    components::when::provide_reader_clock();
    // Set only in the browser once hydration has run: tests and styles can tell a live page
    // from a server-rendered one.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // A page restored from the browser's back/forward cache shows what was true when it was
    // left (a request still "waiting for a decision" after it was approved): load it again.
    // Signed-in pages are `no-store`, which keeps most browsers from caching them at all.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::pageshow, |e| {
            if e.persisted() {
                let _ = window().location().reload();
            }
        });
        on_cleanup(move || handle.remove());
    });

    view! {
        <Link rel="icon" href=ICON type_="image/svg+xml"/>
        <Meta name="description" content="Glassbox shows mailbox owners every staff access to their mailbox."/>
        <Title text="Glassbox"/>
        <Router>
            <div class="page" data-hydrated=move || hydrated.get().then_some("true")>
                <SkipLink/>
                <SiteHeader/>
                <main id="main" tabindex="-1">
                    <Routes fallback=pages::not_found::NotFoundPage>
                        <Route path=path!("") view=pages::landing::LandingPage/>
                        <Route path=path!("/auth/demo") view=pages::sign_in::DemoSignInPage ssr=SsrMode::Async/>
                        <Route path=path!("/me") view=pages::overview::OverviewPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/history") view=pages::history::HistoryPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/notifications") view=pages::notifications::NotificationsPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/rules") view=pages::rules::StandingRulesPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/requests") view=pages::requests::RequestsPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/report") view=pages::report::ReportPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/requests/:id") view=pages::request_detail::RequestDetailPage ssr=SsrMode::Async/>
                        <Route path=path!("/staff") view=pages::staff::StaffConsolePage ssr=SsrMode::Async/>
                        <Route path=path!("/staff/requests/:id") view=pages::staff_request::StaffRequestPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/incidents") view=pages::incidents::OwnerIncidentsPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/incidents/:id") view=pages::incident::OwnerIncidentPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/incidents") view=pages::admin_incidents::AdminIncidentsPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/incidents/:id") view=pages::admin_incidents::AdminIncidentPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/reports") view=pages::admin_reports::AdminReportsPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/emergency") view=pages::admin_emergency::AdminEmergencyPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/staff") view=pages::admin_staff::AdminStaffPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/staff/:id") view=pages::admin_staff::AdminAgentPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/staff/:id/accesses") view=pages::admin_agent_history::AdminAgentHistoryPage ssr=SsrMode::Async/>
                        <Route path=path!("/verify/export") view=pages::verify_export::VerifyExportPage/>
                        <Route path=path!("/transparency") view=pages::held_notices::TransparencyPage ssr=SsrMode::Async/>
                        <Route path=path!("/me/notices") view=pages::held_notices::OwnerNoticesPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <SiteFooter/>
            </div>
        </Router>
    }
}

#[component]
fn SiteHeader() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| whoami());
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Glassbox"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let who = viewer.await.ok().flatten();
                    view! { <SiteNav viewer=who/> }
                })}
            </Suspense>
        </header>
    }
}

#[component]
fn SiteNav(viewer: Option<Viewer>) -> impl IntoView {
    let links = match &viewer {
        Some(Viewer::Owner { .. }) => view! {
            <li><a href="/me">"Overview"</a></li>
            <li><a href="/me/history">"Access history"</a></li>
            <li><a href="/me/requests">"Requests"</a></li>
            <li><a href="/me/incidents">"Incidents"</a></li>
            <li><a href="/me/rules">"Standing rules"</a></li>
            <li><a href="/me/notifications">"Email settings"</a></li>
            <li><a href="/me/keys" rel="external">"Passkeys"</a></li>
        }
        .into_any(),
        Some(Viewer::Staff {
            role: crate::model::StaffRole::SecurityAdmin,
            ..
        }) => view! {
            <li><a href="/staff">"Staff console"</a></li>
            <li><a href="/admin/incidents">"Incidents"</a></li>
            <li><a href="/admin/reports">"Owners' reports"</a></li>
            <li><a href="/admin/staff">"Staff roster"</a></li>
            <li><a href="/admin/emergency">"Emergency access"</a></li>
            <li><a href="/staff/keys" rel="external">"Passkeys"</a></li>
        }
        .into_any(),
        Some(Viewer::Staff { .. }) => view! {
            <li><a href="/staff">"Staff console"</a></li>
            <li><a href="/staff/keys" rel="external">"Passkeys"</a></li>
        }
        .into_any(),
        None => {
            // Signing in comes back to the page the person is on.
            let location = leptos_router::hooks::use_location();
            let href =
                move || crate::components::error_view::sign_in_href(&location.pathname.get());
            view! { <li><a href=href rel="external">"Sign in"</a></li> }.into_any()
        }
    };
    let account = viewer.map(|v| {
        view! {
            <span class="who">{format!("Signed in as {}", v.display_name())}</span>
            <form method="post" action="/auth/logout" class="inline">
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        }
    });
    view! {
        <nav aria-label="Main">
            <ul>{links}</ul>
        </nav>
        <div class="account">{account}</div>
    }
}

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
