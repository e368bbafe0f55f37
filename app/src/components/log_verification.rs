//! The owner's own check of the access log, in the browser: after the history page loads,
//! it fetches the log's key, latest signed checkpoint and proofs, verifies every event on
//! the page with the same code as `glassbox verify` (compiled to WASM), checks the log
//! only grew since the checkpoint this browser remembered (localStorage), and shows the
//! result on each row and in a banner. Without JavaScript the rows say where each event is
//! in the log, and `glassbox verify` does the same check.

use crate::model::log_check::{HistoryCheck, LogRow, PageCheck, Remembered};
use leptos::prelude::*;

/// The page's check, shared with every row (none until the browser has checked).
#[derive(Clone, Copy, Debug)]
pub struct LogChecks(pub RwSignal<Option<PageCheck>>);

impl LogChecks {
    /// Provides a fresh, unchecked state to the components below.
    pub fn provide() -> Self {
        let checks = LogChecks(RwSignal::new(None));
        provide_context(checks);
        checks
    }
}

const KEY_ITEM: &str = "glassbox.log.key";
const CHECKPOINT_ITEM: &str = "glassbox.log.checkpoint";

/// What this browser remembered from its last visit.
pub fn load_remembered() -> Remembered {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        if let Some(s) = storage {
            return Remembered {
                key: s.get_item(KEY_ITEM).ok().flatten(),
                checkpoint: s.get_item(CHECKPOINT_ITEM).ok().flatten(),
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
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (r, KEY_ITEM, CHECKPOINT_ITEM);
}

/// Verifies `events` (access events, or a request's steps) in the browser and publishes
/// the result through `checks`.
pub async fn verify_in_browser<R: LogRow>(events: Vec<R>, checks: LogChecks) {
    use crate::model::log_check::{check_page, remembered_size};
    let remembered = load_remembered();
    let indexes: Vec<u64> = events
        .iter()
        .filter_map(|e| e.log_index())
        .take(100)
        .collect();
    let result =
        match crate::api::overview::load_log_proofs(indexes, remembered_size(&remembered)).await {
            Ok(proofs) => {
                let check = check_page(&events, &proofs, &remembered);
                if let Some(r) = check.remember(&proofs) {
                    save_remembered(&r);
                }
                check
            }
            Err(e) => PageCheck {
                checkpoint: Err(format!("could not fetch the proofs: {e}")),
                rows: Default::default(),
                history: HistoryCheck::FirstVisit,
            },
        };
    checks.0.set(Some(result));
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
        checks.0.with(|c| match c.as_ref().map(|c| c.rows.get(&i)) {
            None => ("log-proof log-checking", "checking…".to_string()),
            Some(Some(Ok(()))) => (
                "log-proof log-verified",
                "✓ verified in your browser".to_string(),
            ),
            Some(Some(Err(e))) => ("log-proof log-failed", format!("✗ {e}")),
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
        checks.0.with(|c| match c {
            None => view! {
                <div class="notice log-banner" data-log-check="pending">
                    <p>"Your browser is checking these accesses against the public, tamper-evident log…"</p>
                </div>
            }
            .into_any(),
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
                view! {
                    <div class=class data-log-check=state>
                        <p><strong>{headline}</strong></p>
                        <p>{detail}</p>
                    </div>
                }
                .into_any()
            }
        })
    }
}
