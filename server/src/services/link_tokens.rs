//! The tokens in email links: 32 random bytes (base64url), shown only in the email; the
//! database keeps an HMAC-SHA256 of it under the installation's secret key. Each token has
//! one purpose, one owner (and, for request links, one request), an expiry, and is used at
//! most once. This module makes and hashes them; what a link may do is
//! [`super::action_links`]'s.

use crate::config::Settings;
use crate::db::action_tokens;
use crate::db::Tx;
use app::model::{OwnerId, RequestId};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

/// What a token may be used for. Stored by name; never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Open one pending request and deny it (approving needs a sign-in).
    DecideRequest,
    /// Stop the daily digest (one-click `List-Unsubscribe`).
    UnsubscribeDigest,
}

impl Purpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DecideRequest => "decide_request",
            Self::UnsubscribeDigest => "unsubscribe_digest",
        }
    }
}

/// How long an unsubscribe link works.
pub const UNSUBSCRIBE_LINK_DAYS: i64 = 60;

/// The stored hash of a token.
pub fn hash(settings: &Settings, token: &str) -> Vec<u8> {
    let key = settings.security.secret_key.expose_secret().as_bytes();
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(b"glassbox-action-token-v1\0");
            mac.update(token.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => Vec::new(),
    }
}

/// Creates a token inside the caller's transaction and returns it (the only copy).
pub async fn issue(
    tx: &mut Tx,
    settings: &Settings,
    purpose: Purpose,
    owner: OwnerId,
    request: Option<RequestId>,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    action_tokens::insert(
        tx,
        &hash(settings, &token),
        purpose.as_str(),
        owner,
        request,
        expires_at,
        now,
    )
    .await?;
    Ok(token)
}

/// When an unsubscribe link issued at `now` stops working.
pub fn unsubscribe_expiry(now: OffsetDateTime) -> OffsetDateTime {
    now + Duration::days(UNSUBSCRIBE_LINK_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_hash_depends_on_the_secret_key_and_never_equals_the_token() {
        let a = Settings::default();
        let mut b = Settings::default();
        b.security.secret_key = secrecy::SecretString::from("another-secret-key-of-enough-length");
        assert_ne!(hash(&a, "tok"), hash(&b, "tok"));
        assert_ne!(hash(&a, "tok"), hash(&a, "tok2"));
        assert_eq!(hash(&a, "tok").len(), 32);
        assert_ne!(hash(&a, "tok"), b"tok".to_vec());
    }
}
