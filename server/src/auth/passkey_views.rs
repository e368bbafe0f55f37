//! The pieces every passkey page shares: the key's name field, and what the page's script
//! (`/pkg/passkeys.js`) needs beside a ceremony's button.

use leptos::prelude::*;

/// The field naming a new key (the button's `data-name-input="key-name"` reads it).
pub fn key_name_field() -> AnyView {
    view! {
        <label for="key-name">"A name for this key"</label>
        <input id="key-name" name="name" maxlength="64" autocomplete="off" placeholder="e.g. YubiKey on my keyring"/>
    }
    .into_any()
}

/// What a ceremony's button needs: the words shown when scripts are off (`needs_script`),
/// the live region the script speaks in, and the script itself.
pub fn ceremony_support(needs_script: &'static str) -> AnyView {
    view! {
        <p data-passkey-needs-script>{needs_script}</p>
        <p id="passkey-status" aria-live="polite"></p>
        <script src="/pkg/passkeys.js" defer></script>
    }
    .into_any()
}
