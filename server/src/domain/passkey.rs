//! Passkey rules: who holds a key, what a key's name may be, and how recent a passkey
//! confirmation must be for the actions that need one.

use app::model::{OwnerId, StaffId};
use time::{Duration, OffsetDateTime};

/// Whose passkey it is. A passkey belongs to one staff member or one owner, never both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyHolder {
    /// A staff member: their second factor at sign-in.
    Staff(StaffId),
    /// A mailbox owner: approving needs it once they added one.
    Owner(OwnerId),
}

impl KeyHolder {
    /// The WebAuthn user handle: the person's id, so a key never names them otherwise.
    pub fn user_handle(self) -> uuid::Uuid {
        match self {
            KeyHolder::Staff(s) => s.0,
            KeyHolder::Owner(o) => o.0,
        }
    }
}

/// The longest name a key may have.
pub const MAX_NAME_CHARS: usize = 64;

/// A key's name as typed: trimmed, 1 to 64 characters, no control characters.
pub fn parse_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() {
        return Err("Give the key a name, so you can tell your keys apart (e.g. \"YubiKey on my keyring\").".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "A key's name may be at most {MAX_NAME_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A key's name may not contain line breaks or control characters.".into());
    }
    Ok(name.to_string())
}

/// Whether a passkey confirmed at `confirmed_at` is recent enough at `now` for an action that
/// needs a fresh one (approving an emergency access, disabling staff, an owner approving).
/// A confirmation from the future (a clock that jumped back) does not count.
pub fn is_fresh(
    confirmed_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    window: Duration,
) -> bool {
    confirmed_at.is_some_and(|at| at <= now && now - at <= window)
}

/// Whether a holder may remove one of their keys: never the last one while passkeys are
/// required for them (they could no longer sign in).
pub fn may_remove(keys_held: usize, required: bool) -> bool {
    keys_held > 1 || !required
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_counts_only_within_the_window_and_never_from_the_future() {
        let t0 = time::macros::datetime!(2026-12-03 12:00 UTC);
        let five = Duration::minutes(5);
        assert!(is_fresh(Some(t0), t0 + Duration::minutes(5), five));
        assert!(!is_fresh(
            Some(t0),
            t0 + Duration::minutes(5) + Duration::seconds(1),
            five
        ));
        assert!(!is_fresh(Some(t0 + Duration::minutes(1)), t0, five));
        assert!(!is_fresh(None, t0, five));
    }

    #[test]
    fn a_key_name_is_trimmed_and_must_be_short_and_printable() {
        assert_eq!(parse_name("  YubiKey  ").unwrap(), "YubiKey");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"k".repeat(65)).is_err());
        assert!(parse_name("two\nlines").is_err());
        assert_eq!(parse_name(&"é".repeat(64)).unwrap().chars().count(), 64);
    }

    #[test]
    fn the_last_key_stays_while_passkeys_are_required() {
        assert!(!may_remove(1, true));
        assert!(may_remove(2, true));
        assert!(may_remove(1, false));
    }
}
