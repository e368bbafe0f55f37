//! `/verify/export`: anyone, with no account, checks an owner's exported access history
//! (the `glassbox-export/v1` proof file) in their own browser. The file is read locally and
//! checked by the same code as `glassbox verify export` (`glassbox_log::export`, compiled
//! to WASM): nothing is sent, no network request is made for the check. Without JavaScript
//! the page says how to run the same check on the command line.

use glassbox_log::export::{check_export, EventResult, ExportCheck, ExportFile, KeyTrust};
use glassbox_log::witness::WitnessPolicy;
use glassbox_log::VerifierKey;
use leptos::prelude::*;
use leptos_meta::Title;

/// What the page shows after a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    /// The verdict in one sentence.
    pub verdict: String,
    /// Whether anything failed.
    pub failed: bool,
    /// How the key was trusted, in words.
    pub key_note: String,
    /// What the witnesses' cosignatures on the file's checkpoint say, in words.
    pub witness_note: String,
    /// What is wrong with the file as a whole (removed or added events…).
    pub problems: Vec<String>,
    /// Per event: (time, what, decision, log index, result class, result text).
    pub rows: Vec<ReportRow>,
}

/// One event's line in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// When (RFC 3339 UTC, as in the file).
    pub time: String,
    /// What was done, to which part.
    pub what: String,
    /// Allowed or refused.
    pub decision: String,
    /// Its log index, in words.
    pub index: String,
    /// `verified`, `unchecked` or `failed`.
    pub state: &'static str,
    /// The result in words.
    pub result: String,
}

/// Reads and checks an export's text with `key` pinned (when not empty), and, when
/// `witnesses` (witness keys, one a line) is not empty, requires `quorum` of them (a
/// majority when empty) to have cosigned the file's checkpoint. Pure: the page and its
/// tests run exactly this.
pub fn report(
    text: &str,
    key: &str,
    witnesses: &str,
    quorum: &str,
) -> Result<ExportReport, String> {
    let file = ExportFile::parse(text).map_err(|e| e.to_string())?;
    let pinned = if key.trim().is_empty() {
        None
    } else {
        let keys = key
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(VerifierKey::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                "The log key you gave is not a verifier key (it looks like name+1234abcd+base64)."
                    .to_string()
            })?;
        Some(keys)
    };
    let keys: Vec<String> = witnesses
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let quorum = match quorum.trim() {
        "" => keys.len() / 2 + usize::from(!keys.is_empty()),
        q => q
            .parse()
            .map_err(|_| "How many witnesses must have cosigned is a whole number.".to_string())?,
    };
    let policy = WitnessPolicy::new(&keys, quorum).map_err(|e| format!("The witnesses: {e}."))?;
    let check = check_export(&file, pinned.as_deref());
    let mut r = describe(&file, &check);
    if policy.is_empty() {
        let lines = glassbox_log::witness::split_note(&file.log.checkpoint)
            .map(|(_, l)| l.len())
            .unwrap_or(0);
        if lines > 1 {
            r.witness_note = format!("The checkpoint carries {} more signatures, likely witnesses' cosignatures; paste the witnesses' keys to require them.", lines - 1);
        }
    } else {
        match policy.check(&file.log.checkpoint) {
            Ok(found) => {
                r.witness_note =
                    format!(
                    "The checkpoint is cosigned by {} ({} of the {} witnesses you gave needed).",
                    found.iter().map(|c| c.witness.as_str()).collect::<Vec<_>>().join(", "),
                    policy.quorum,
                    policy.witnesses.len()
                );
            }
            Err(e) => {
                r.failed = true;
                r.verdict = format!("Not accepted: {e}.");
                r.witness_note = "The witnesses you gave did not vouch for this checkpoint.".into();
            }
        }
    }
    Ok(r)
}

fn describe(file: &ExportFile, check: &ExportCheck) -> ExportReport {
    let failed = check.failed();
    let (verified, after, unlogged) = check.counts();
    let verdict = if failed {
        let n = check.findings().len();
        format!(
            "Tampering detected: {n} problem{} found. This file is not what the log holds.",
            if n == 1 { "" } else { "s" }
        )
    } else {
        let mut v = format!(
            "Verified: all {verified} logged events are in the log exactly as shown, and none was removed or added."
        );
        if after + unlogged > 0 {
            v.push_str(&format!(
                " {} newer events were not yet in the file's checkpoint and are not checked.",
                after + unlogged
            ));
        }
        v
    };
    let key_note = match &check.key {
        KeyTrust::Pinned => "Checked against the log key you gave.".to_string(),
        KeyTrust::FollowedKeyChange(k) => format!(
            "The log's key changed to {k}; the key you gave signed the change."
        ),
        KeyTrust::FromFile => "Checked against the key inside the file itself: this shows the file is consistent, not that it comes from this log. Paste the log's key (from /log/key) to be sure.".to_string(),
    };
    let problems = check
        .findings()
        .iter()
        .filter(|f| {
            // Per-event failures are shown on their rows.
            !check.events.iter().any(|e| {
                e.log_index == f.index
                    && f.index.is_some()
                    && matches!(e.result, EventResult::Failed(_))
            })
        })
        .map(ToString::to_string)
        .collect();
    let rows = file
        .events
        .iter()
        .zip(check.events.iter())
        .map(|(e, c)| {
            let (state, result) = match &c.result {
                EventResult::Verified => ("verified", "✓ verified".to_string()),
                EventResult::AfterCheckpoint => (
                    "unchecked",
                    "newer than the file's checkpoint: not checked".to_string(),
                ),
                EventResult::NotInLog => {
                    ("unchecked", "not yet in the log: not checked".to_string())
                }
                EventResult::Failed(why) => ("failed", format!("✗ {why}")),
            };
            ReportRow {
                time: e.time.clone(),
                what: format!("{} ({})", e.action, e.scope),
                decision: e.decision.clone(),
                index: e
                    .log_index
                    .map(|i| format!("index {i}"))
                    .unwrap_or_else(|| "not in the log".into()),
                state,
                result,
            }
        })
        .collect();
    ExportReport {
        verdict,
        failed,
        key_note,
        witness_note: String::new(),
        problems,
        rows,
    }
}

/// The page.
#[component]
pub fn VerifyExportPage() -> impl IntoView {
    let result = RwSignal::new(None::<Result<ExportReport, String>>);
    let file_input = NodeRef::<leptos::html::Input>::new();
    let key_input = NodeRef::<leptos::html::Input>::new();
    let witnesses_input = NodeRef::<leptos::html::Textarea>::new();
    let quorum_input = NodeRef::<leptos::html::Input>::new();
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let run = move || {
        #[cfg(feature = "hydrate")]
        {
            let key = key_input.get().map(|k| k.value()).unwrap_or_default();
            let witnesses = witnesses_input.get().map(|k| k.value()).unwrap_or_default();
            let quorum = quorum_input.get().map(|k| k.value()).unwrap_or_default();
            let Some(file) = file_input
                .get()
                .and_then(|i| i.files())
                .and_then(|f| f.get(0))
            else {
                return;
            };
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string());
                result.set(Some(match text {
                    Some(t) => report(&t, &key, &witnesses, &quorum),
                    None => Err("The file could not be read.".into()),
                }));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (file_input, key_input, witnesses_input, quorum_input, result);
    };
    view! {
        <Title text="Check an exported access history — Glassbox"/>
        <h1>"Check an exported access history"</h1>
        <p class="lead">
            "Choose the JSON file of an access history exported from Glassbox "
            "(glassbox-access-history.json; in the .zip download it is one of the files). "
            "Your browser checks it itself: the file is not sent anywhere, and no account is needed."
        </p>
        <form class="verify-form" on:submit=move |ev| { ev.prevent_default(); run(); }>
            <p>
                <label for="export-file">"Export file (.json)"</label>
                <input id="export-file" name="file" type="file" accept=".json,application/json"
                    node_ref=file_input on:change=move |_| run()/>
            </p>
            <p>
                <label for="log-key">"The log's verifier key (optional)"</label>
                <input id="log-key" name="key" type="text" autocomplete="off" spellcheck="false"
                    aria-describedby="log-key-help" node_ref=key_input/>
                <span id="log-key-help" class="hint">
                    "The key the log publishes at "<a href="/log/key">"/log/key"</a>
                    ". Without it the file is checked against the key it carries."
                </span>
            </p>
            <p>
                <label for="witness-keys">"Witnesses' keys (optional, one a line)"</label>
                <textarea id="witness-keys" name="witnesses" rows="3" autocomplete="off" spellcheck="false"
                    aria-describedby="witness-keys-help" node_ref=witnesses_input></textarea>
                <span id="witness-keys-help" class="hint">
                    "The witnesses the log names at "<a href="/log/witnesses">"/log/witnesses"</a>
                    ", or ones you trust. Given, the file's checkpoint must be cosigned by enough of them."
                </span>
            </p>
            <p>
                <label for="witness-quorum">"How many of them must have cosigned (optional)"</label>
                <input id="witness-quorum" name="quorum" type="text" inputmode="numeric" autocomplete="off"
                    aria-describedby="witness-quorum-help" node_ref=quorum_input/>
                <span id="witness-quorum-help" class="hint">"A majority when left empty."</span>
            </p>
            <p><button type="submit" class="button button-primary">"Check the file"</button></p>
        </form>
        {move || (!live.get()).then(|| view! {
            <p class="notice">
                "This check runs in your browser with JavaScript. Without it, run "
                <code>"glassbox verify export glassbox-access-history.json --key LOG-KEY"</code>
                " on any computer: it makes the same check."
            </p>
        })}
        <div role="status" aria-live="polite" class="verify-result">
            {move || result.get().map(|r| match r {
                Err(e) => view! {
                    <p class="verdict verdict-unreadable" data-verdict="unreadable">
                        <strong>"This file cannot be checked. "</strong>{e}
                    </p>
                }.into_any(),
                Ok(r) => {
                    let class = if r.failed { "verdict verdict-failed" } else { "verdict verdict-verified" };
                    let attr = if r.failed { "failed" } else { "verified" };
                    view! {
                        <p class=class data-verdict=attr><strong>{r.verdict.clone()}</strong></p>
                        <p class="hint">{r.key_note.clone()}</p>
                        {(!r.witness_note.is_empty()).then(|| view! {
                            <p class="hint" data-witnesses="note">{r.witness_note.clone()}</p>
                        })}
                        {(!r.problems.is_empty()).then(|| view! {
                            <ul class="verify-problems">
                                {r.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}
                            </ul>
                        })}
                        <div class="table-wrap">
                            <table class="events">
                                <caption>"Each event of the file, as checked"</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"When (UTC)"</th>
                                        <th scope="col">"What"</th>
                                        <th scope="col">"Result"</th>
                                        <th scope="col">"Log entry"</th>
                                        <th scope="col">"Check"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {r.rows.iter().map(|row| view! {
                                        <tr data-check=row.state>
                                            <td data-label="When (UTC)">{row.time.clone()}</td>
                                            <td data-label="What">{row.what.clone()}</td>
                                            <td data-label="Result">{row.decision.clone()}</td>
                                            <td data-label="Log entry">{row.index.clone()}</td>
                                            <td data-label="Check" class=format!("check-{}", row.state)>{row.result.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_an_export_is_reported_as_unreadable() {
        assert!(report("[]", "", "", "").is_err());
        assert!(report("{\"format\": \"other/v1\"}", "", "", "").is_err());
    }
}
