//! The owner's own check of the access log, in the browser: after the history page loads,
//! it fetches the log's key, latest signed checkpoint and proofs, verifies every event on
//! the page with the same code as `glassbox verify` (compiled to WASM), checks the log
//! only grew since the checkpoint this browser remembered (localStorage), and shows the
//! result on each row and in a banner. Without JavaScript the rows say where each event is
//! in the log, and `glassbox verify` does the same check.

use crate::model::log_check::{HistoryCheck, LogRow, PageCheck, Remembered, RowCheck, Witnessing};
use leptos::prelude::*;
use std::time::Duration;

/// The page's check, shared with every row (none until the browser has checked). Each
/// [`LogChecks::check`] starts a new run; a run that an earlier load started and that
/// answers late is dropped, so the page never shows the verdict on rows it no longer shows.
#[derive(Clone, Copy, Debug)]
pub struct LogChecks {
    result: RwSignal<Option<PageCheck>>,
    run: StoredValue<u64>,
    /// Whether the page runs in a browser with JavaScript (false on the server and until
    /// hydration): without it nothing will check, and the page says so.
    live: RwSignal<bool>,
}

/// How often, and how many times, the page checks again while a row is newer than the
/// latest signed checkpoint (a checkpoint is signed every second while the log grows).
const RECHECK_EVERY: Duration = Duration::from_secs(1);
const RECHECKS: u32 = 30;

impl LogChecks {
    /// Provides a fresh, unchecked state to the components below.
    pub fn provide() -> Self {
        let checks = LogChecks {
            result: RwSignal::new(None),
            run: StoredValue::new(0),
            live: RwSignal::new(false),
        };
        Effect::new(move |_| checks.live.set(true));
        provide_context(checks);
        checks
    }

    /// Verifies `events` (access events, or a request's steps) in the browser, replacing
    /// any check still under way, and checks again while some are not yet in a signed
    /// checkpoint.
    pub fn check<R: LogRow + Clone + 'static>(self, events: Vec<R>) {
        let Some(run) = self.run.try_get_value().map(|r| r + 1) else {
            return;
        };
        self.run.set_value(run);
        self.result.set(None);
        self.check_run(events, run, 0);
    }

    fn check_run<R: LogRow + Clone + 'static>(self, events: Vec<R>, run: u64, attempt: u32) {
        leptos::task::spawn_local(async move {
            let result = verify_in_browser(&events).await;
            // The page may have been left while the check ran (its state is gone then), or
            // a newer check started: either way this verdict is not for what is shown.
            if self.run.try_get_value() != Some(run) {
                return;
            }
            let again = result.awaiting_checkpoint() && !result.failed() && attempt < RECHECKS;
            if self.result.try_set(Some(result)).is_some() {
                return;
            }
            if again {
                set_timeout(
                    move || self.check_run(events, run, attempt + 1),
                    RECHECK_EVERY,
                );
            }
        });
    }
}

const KEY_ITEM: &str = "glassbox.log.key";
const CHECKPOINT_ITEM: &str = "glassbox.log.checkpoint";
const WITNESSES_ITEM: &str = "glassbox.log.witnesses";

/// What this browser remembered from its last visit.
pub fn load_remembered() -> Remembered {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        if let Some(s) = storage {
            return Remembered {
                key: s.get_item(KEY_ITEM).ok().flatten(),
                checkpoint: s.get_item(CHECKPOINT_ITEM).ok().flatten(),
                witnesses: s.get_item(WITNESSES_ITEM).ok().flatten(),
            };
        }
    }
    Remembered::default()
}

/// Keeps `r` for the next visit.
pub fn save_remembered(r: &Remembered) {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        if let Some(s) = storage {
            if let Some(k) = &r.key {
                let _ = s.set_item(KEY_ITEM, k);
            }
            if let Some(c) = &r.checkpoint {
                let _ = s.set_item(CHECKPOINT_ITEM, c);
            }
            if let Some(w) = &r.witnesses {
                let _ = s.set_item(WITNESSES_ITEM, w);
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (r, KEY_ITEM, CHECKPOINT_ITEM, WITNESSES_ITEM);
}

/// Verifies `events` (access events, or a request's steps) against the log's proofs.
async fn verify_in_browser<R: LogRow>(events: &[R]) -> PageCheck {
    use crate::model::log_check::{check_page, remembered_size};
    let remembered = load_remembered();
    let indexes: Vec<u64> = events
        .iter()
        .filter_map(|e| e.log_index())
        .take(100)
        .collect();
    match crate::api::overview::load_log_proofs(indexes, remembered_size(&remembered)).await {
        Ok(proofs) => {
            let check = check_page(events, &proofs, &remembered);
            if let Some(r) = check.remember(&proofs, &remembered) {
                save_remembered(&r);
            }
            check
        }
        Err(e) => PageCheck {
            checkpoint: Err(format!("could not fetch the proofs: {e}")),
            rows: Default::default(),
            history: HistoryCheck::FirstVisit,
            unlogged: 0,
            key_changed: false,
            witnessed: Witnessing::NotRequired,
        },
    }
}

/// One row's state: where the event is in the log and whether the browser verified it.
#[component]
pub fn LogCell(index: Option<u64>) -> impl IntoView {
    let checks = use_context::<LogChecks>();
    let Some(i) = index else {
        return view! { <span class="log-pending">"Not yet in the log"</span> }.into_any();
    };
    let state = move || {
        let Some(checks) = checks else {
            return ("log-proof", String::new());
        };
        if !checks.live.get() {
            return ("log-proof", String::new());
        }
        checks
            .result
            .with(|c| match c.as_ref().map(|c| c.rows.get(&i)) {
                None => ("log-proof log-checking", "checking…".to_string()),
                Some(Some(RowCheck::Verified)) => (
                    "log-proof log-verified",
                    "✓ verified in your browser".to_string(),
                ),
                Some(Some(RowCheck::Pending(why))) => ("log-proof log-checking", why.clone()),
                Some(Some(RowCheck::Failed(e))) => ("log-proof log-failed", format!("✗ {e}")),
                Some(None) => ("log-proof", String::new()),
            })
    };
    view! {
        <span class="log-index">{format!("in the log at index {i}")}</span>
        " "
        <span class=move || state().0 data-log-index=i.to_string()>{move || state().1}</span>
    }
    .into_any()
}

/// This site's address for the command line (`https://glassbox.example.org`), as the
/// browser reached it; a placeholder when unknown.
fn site_url() -> String {
    #[cfg(feature = "ssr")]
    {
        if let Some(parts) = use_context::<axum::http::request::Parts>() {
            if let Some(host) = parts
                .headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
            {
                let scheme = if host.starts_with("127.0.0.1") || host.starts_with("localhost") {
                    "http"
                } else {
                    "https"
                };
                return format!("{scheme}://{host}");
            }
        }
    }
    #[cfg(feature = "hydrate")]
    {
        if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            return origin;
        }
    }
    "https://THIS-SITE".to_string()
}

/// The page's verdict; `covers` names what the page lists.
#[component]
pub fn LogBanner(
    #[prop(default = "every access on this page")] covers: &'static str,
) -> impl IntoView {
    let checks = use_context::<LogChecks>();
    move || {
        let Some(checks) = checks else {
            return view! { <span></span> }.into_any();
        };
        if !checks.live.get() {
            return view! {
                <div class="notice log-banner" data-log-check="needs-javascript">
                    <p>"Your browser checks these entries against the public, tamper-evident log with JavaScript, which is off or not loaded yet."</p>
                    <p>"You can check any entry yourself with Glassbox's command-line tool: "<code>"glassbox verify inclusion --url "{site_url()}" --index "<var>"N"</var></code>", where "<var>"N"</var>" is the entry's index in the log shown on its row."</p>
                </div>
            }
            .into_any();
        }
        checks.result.with(|c| match c {
            None => view! {
                <div class="notice log-banner" data-log-check="pending">
                    <p>"Your browser is checking these accesses against the public, tamper-evident log…"</p>
                </div>
            }
            .into_any(),
            // Nothing contradicts the page, but its newest entries are not in a signed
            // checkpoint yet: say so, never a tamper warning (the page checks again).
            Some(c) if c.pending() && !c.failed() => {
                let text = match &c.witnessed {
                    Witnessing::Waiting(why) => format!("Nothing on this page is verified yet: the log's checkpoints must be cosigned by independent witnesses first, and {why}."),
                    Witnessing::Cosigned { .. } => "Your browser checked what the witnessed checkpoint covers. The newest entries on this page are in the log, but not yet in a checkpoint the witnesses cosigned: they are asked every minute or so; checking again…".to_string(),
                    Witnessing::NotRequired => "Your browser checked what the log already covers. The newest entries on this page go into the next signed checkpoint, usually within seconds; checking again…".to_string(),
                };
                let state = if matches!(c.witnessed, Witnessing::Waiting(_)) { "awaiting-witnesses" } else { "pending" };
                view! {
                    <div class="notice log-banner" data-log-check=state>
                        <p>{text}</p>
                    </div>
                }
                .into_any()
            }
            Some(c) => {
                let (class, state, headline) = if c.all_good() {
                    ("notice notice-success log-banner", "verified", format!("Verified in your browser: {covers} is in the tamper-evident log."))
                } else {
                    ("notice notice-error log-banner", "failed", "Warning: the log did not verify. Your access history may have been altered; contact the provider's security team.".to_string())
                };
                let detail = match (&c.checkpoint, &c.history) {
                    (Err(e), _) => format!("The signed checkpoint did not verify: {e}."),
                    (Ok(cp), HistoryCheck::FirstVisit) => format!(
                        "Checked against checkpoint {} of size {}; this browser remembers it and checks on your next visit that the log only grew.",
                        cp.origin, cp.size
                    ),
                    (Ok(cp), HistoryCheck::OnlyGrew { from, to }) => format!(
                        "Checked against checkpoint {} of size {to}; since your last visit the log only grew (from {from} entries), nothing was changed or removed.",
                        cp.origin
                    ),
                    (Ok(_), HistoryCheck::Rewritten(e)) => format!("Since your last visit the log was rewritten: {e}."),
                };
                let witness_note = match (&c.witnessed, c.failed()) {
                    (Witnessing::Cosigned { by, quorum, of }, false) => Some(view! {
                        <p data-log-witnessed=by.len().to_string()>{format!(
                            "The checkpoint is cosigned by {} of the {of} witnesses your browser trusts ({}; {quorum} needed): they vouch that it is the only history of this log they were shown.",
                            by.len(),
                            by.join(", ")
                        )}</p>
                    }),
                    _ => None,
                };
                // Said openly: a key change is legitimate only because the old key signed it.
                let key_note = (c.key_changed && !c.failed()).then(|| view! {
                    <p data-log-key="changed">"The log's signing key changed since your last visit. The key your browser trusted signed the change, so it trusts the new key from now on."</p>
                });
                view! {
                    <div class=class data-log-check=state>
                        <p><strong>{headline}</strong></p>
                        <p>{detail}</p>
                        {witness_note}
                        {key_note}
                    </div>
                }
                .into_any()
            }
        })
    }
}
