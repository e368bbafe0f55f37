//! Notices held back under legal holds.
//!
//! - `/transparency` (anyone, no sign-in) and a section of the owner's overview: how many
//!   owners' notices were deferred, per month and reason, and how many are still sealed.
//!   Never whose, never what.
//! - `/me/notices` (the owner): their released notices, word for word as sealed, with the
//!   values a commitment is made of and the check of each step in the log, recomputed in
//!   the owner's browser.

use crate::api::emergency::{load_held_notice_counts, load_released_notices};
use crate::components::error_view::ErrorView;
use crate::components::log_verification::{LogBanner, LogCell, LogChecks};
use crate::components::when::When;
use crate::model::{HeldNoticeCounts, ReleasedNotice};
use leptos::prelude::*;
use leptos_meta::Title;

/// The month `2026-12` as "December 2026".
fn month_words(month: &str) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = month.splitn(2, '-');
    match (
        parts.next(),
        parts
            .next()
            .and_then(|m| m.parse::<usize>().ok())
            .filter(|m| (1..=12).contains(m)),
    ) {
        (Some(year), Some(m)) => format!("{} {year}", NAMES[m - 1]),
        _ => month.to_string(),
    }
}

/// The counts as a table, or one plain sentence when there are none.
#[component]
pub fn HeldNoticeTable(counts: HeldNoticeCounts) -> impl IntoView {
    if counts.months.is_empty() {
        return view! { <p class="empty">"No owner's notice has been held back under a legal order here."</p> }.into_any();
    }
    let still = counts.still_sealed();
    view! {
        <p>{match still {
            0 => "None is held back today: every deferred notice has been released to its owner.".to_string(),
            1 => "1 notice is held back today.".to_string(),
            n => format!("{n} notices are held back today."),
        }}</p>
        <div class="table-wrap">
            <table>
                <caption>"Owners' notices deferred under legal holds, by the month they were sealed"</caption>
                <thead>
                    <tr><th scope="col">"Month"</th><th scope="col">"Reason"</th><th scope="col">"Deferred"</th><th scope="col">"Still held back"</th></tr>
                </thead>
                <tbody>
                    {counts.months.into_iter().map(|m| view! {
                        <tr>
                            <th scope="row">{month_words(&m.month)}</th>
                            <td>{m.reason.plain_words()}</td>
                            <td>{m.deferred}</td>
                            <td>{m.still_sealed}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The counts, loaded on their own (a section of another page).
#[component]
pub fn HeldNoticeSection() -> impl IntoView {
    let counts = Resource::new(|| (), |_| load_held_notice_counts());
    view! {
        <section aria-labelledby="held-heading">
            <h2 id="held-heading">"Notices held back under legal orders"</h2>
            <p class="hint">"When a court order forbids telling an owner yet, the security team may hold the owner's notice back until a date. It is sealed, committed to in the verifiable log the same day, and sent on that date. These are the counts for everyone at this provider: never whose, never what."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match counts.await {
                        Ok(c) => view! { <HeldNoticeTable counts=c/> }.into_any(),
                        Err(e) => view! { <ErrorView error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href="/me/notices">"Notices released to you"</a>" · "<a href="/transparency">"The public page"</a></p>
        </section>
    }
}

/// `/transparency`: the public counts.
#[component]
pub fn TransparencyPage() -> impl IntoView {
    let counts = Resource::new(|| (), |_| load_held_notice_counts());
    view! {
        <Title text="Transparency — Glassbox"/>
        <h1>"Transparency"</h1>
        <p class="lead">"How often this provider's security team held back an owner's notice of an emergency access because a legal order did not allow telling them yet. Anyone can read this page."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match counts.await {
                    Ok(c) => view! { <HeldNoticeTable counts=c/> }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <section aria-labelledby="how-heading">
            <h2 id="how-heading">"How a held-back notice works"</h2>
            <ul class="rules">
                <li>"Two security admins must open and approve the emergency access; a legal hold is only possible for a legal request."</li>
                <li>"When the access starts, the owner's notice is written in full and sealed. A commitment to it and its release date (a SHA-256 hash, with a random value that keeps the notice secret) enters the verifiable log that day."</li>
                <li>"On the release date the notice is emailed and shown to the owner, with the values to recompute the commitment, so they can check it was not rewritten."</li>
                <li>"A release date only moves later, with two security admins again, and each extension is a new entry in the log. A notice is never dropped."</li>
            </ul>
        </section>
    }
}

/// `/me/notices`: the owner's released notices.
#[component]
pub fn OwnerNoticesPage() -> impl IntoView {
    let notices = Resource::new(|| (), |_| load_released_notices());
    // The commitment is recomputed once the page is live in the browser: the words
    // "checked in your browser" are only shown after that.
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    // Each step's entry is checked against the signed log in the browser, as the history's
    // accesses are: it is in the log, at its index, exactly as shown.
    let checks = LogChecks::provide();
    Effect::new(move |_| {
        if let Some(Ok(list)) = notices.get() {
            checks.check(list.into_iter().flat_map(|n| n.steps).collect());
        }
    });
    view! {
        <Title text="Notices held back — Glassbox"/>
        <h1>"Notices that were held back"</h1>
        <p class="lead">"Notices about your mailbox that a legal order did not allow sending at once, released on their date, word for word as they were written."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match notices.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No notice about your mailbox has been held back and released."</p> }.into_any(),
                    Ok(list) => view! {
                        <LogBanner covers="every step of these notices"/>
                        {list.into_iter().map(|n| view! { <Released notice=n live/> }).collect_view()}
                    }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <HeldNoticeSection/>
    }
}

#[component]
fn Released(notice: ReleasedNotice, live: RwSignal<bool>) -> impl IntoView {
    let heading = format!("notice-{}", notice.request.0.simple());
    let matches = notice.matches_commitment();
    let steps = notice.steps.clone();
    view! {
        <article class="report" aria-labelledby=heading.clone()>
            <h2 id=heading.clone()>{notice.subject.clone()}</h2>
            <dl>
                <dt>"Mailbox"</dt><dd>{notice.mailbox.clone()}</dd>
                <dt>"Why it was held back"</dt><dd>{notice.reason.plain_words()}</dd>
                <dt>"Sealed"</dt><dd><When at=notice.sealed_at/></dd>
                <dt>"Held back until"</dt><dd>{notice.release_on.clone()}</dd>
                <dt>"Released"</dt><dd><When at=notice.released_at/></dd>
            </dl>
            <h3>"The notice as it was written"</h3>
            <pre class="sealed-notice">{notice.body.clone()}</pre>
            <p><a href=format!("/me/requests/{}", notice.request)>"See the emergency access and what was done under it"</a></p>
            <h3>"Check it against the log"</h3>
            <p role="status">{move || match (live.get(), matches) {
                (false, _) => "Checking…".to_string(),
                (true, true) => "Checked in your browser: this notice, word for word, gives the commitment of every step below, so it was written before the first of them entered the log and not changed since.".to_string(),
                (true, false) => "Warning: this notice does not give the commitment the log holds. It may have been rewritten; report it to the security team.".to_string(),
            }}</p>
            <dl>
                <dt>"Nonce"</dt><dd><code class="hash">{notice.nonce.clone()}</code></dd>
            </dl>
            <div class="table-wrap">
                <table>
                    <caption>"The notice's steps in the verifiable log"</caption>
                    <thead>
                        <tr><th scope="col">"Step"</th><th scope="col">"When"</th><th scope="col">"Release date"</th><th scope="col">"Commitment"</th><th scope="col">"In the log"</th></tr>
                    </thead>
                    <tbody>
                        {steps.into_iter().map(|s| view! {
                            <tr>
                                <th scope="row">{s.change.clone()}</th>
                                <td><When at=s.occurred_at/></td>
                                <td>{s.release_on.clone()}</td>
                                <td><code class="hash">{s.commitment.clone()}</code></td>
                                <td><LogCell index=s.log_index/></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p><a href=format!("/me/notices/{}.json", notice.request) rel="external" download="">"Download this notice to check it elsewhere"</a>" — "<code>"glassbox verify notice FILE --url THIS-SITE"</code>" checks it against the log."</p>
            <p class="hint">"Anyone can recompute a commitment: SHA-256 over \"glassbox-sealed-notice-commitment/v1\", a zero byte, then the subject, the text and the release date (each as its length in 4 bytes and its UTF-8 bytes), then the 32 bytes of the nonce."</p>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_reads_as_words_and_a_strange_one_as_itself() {
        assert_eq!(month_words("2026-12"), "December 2026");
        assert_eq!(month_words("2027-01"), "January 2027");
        assert_eq!(month_words("2027-13"), "2027-13");
        assert_eq!(month_words("soon"), "soon");
    }
}
