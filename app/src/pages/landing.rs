//! `/`: what Glassbox is, and the way in.

use leptos::prelude::*;
use leptos_meta::Title;

/// The landing page.
#[component]
pub fn LandingPage() -> impl IntoView {
    view! {
        <Title text="Glassbox — see who accessed your mailbox"/>
        <section class="hero">
            <h1>"See every time staff access your mailbox"</h1>
            <p class="lead">
                "Glassbox shows you each time a support agent or the mail system touches your mailbox, "
                "asks for your approval before anyone looks, and tells you plainly what to do if "
                "something goes wrong."
            </p>
            <p class="actions">
                <a class="button button-primary" href="/auth/demo">"Try the demo"</a>
                <a class="button" href="/auth/login" rel="external">"Sign in to your mailbox"</a>
            </p>
        </section>
        <section class="features" aria-label="What Glassbox does">
            <article>
                <h2>"Nothing without your consent"</h2>
                <p>"Staff can only reach your mailbox through a request you approved, for a part of it you chose and for a limited time."</p>
            </article>
            <article>
                <h2>"Every access on record"</h2>
                <p>"Every access and every refusal is written to a log that cannot be quietly changed, and you can check it yourself."</p>
            </article>
            <article>
                <h2>"The whole picture after an incident"</h2>
                <p>"If a staff account is ever misused, you learn exactly what happened to your mailbox and what to do next."</p>
            </article>
        </section>
    }
}
