//! Action links: the tokens in email links and what they may do.
//!
//! A token is 32 random bytes (base64url), shown only in the email; the database keeps an
//! HMAC-SHA256 of it under the installation's secret key. Each token has one purpose, one
//! owner (and, for request links, one request), an expiry, and is used at most once. Mail
//! scanners fetch every link in an email, so **opening a link never changes anything**:
//! [`view_request`] only reads; [`deny_with_token`] and [`unsubscribe_with_token`] are
//! reached by POST from the page the link opens. Approving needs the signed-in owner (with
//! a recent sign-in), so a request link can never approve on its own.

use super::error::ServiceError;
use crate::config::Settings;
use crate::db::action_tokens;
use crate::db::notices::{self, AccessNotices};
use crate::db::requests::{self, RequestRecord};
use crate::db::{Db, Tx};
use crate::domain::access_request::{Action, Actor};
use crate::domain::clock::Clock;
use app::model::{AccessRequestStatus, OwnerId, RequestId};
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

/// A link's token is unknown, used, expired, or for something else: all look the same
/// from outside, so a guess learns nothing.
fn dead_link() -> ServiceError {
    ServiceError::Conflict(
        "This link no longer works: it was used, it expired, or the request was already decided. Sign in to see your requests.".into(),
    )
}

async fn live_token(
    db: &Db,
    settings: &Settings,
    token: &str,
    purpose: Purpose,
    now: OffsetDateTime,
) -> Result<action_tokens::ActionTokenRow, ServiceError> {
    if token.is_empty() || token.len() > 128 {
        return Err(dead_link());
    }
    let row = action_tokens::find(db, &hash(settings, token))
        .await?
        .ok_or_else(dead_link)?;
    if row.purpose != purpose.as_str() || row.used_at.is_some() || row.expires_at <= now {
        return Err(dead_link());
    }
    Ok(row)
}

/// What a request link shows: the request, read only.
#[derive(Clone, Debug)]
pub struct LinkedRequest {
    /// The request.
    pub request: RequestRecord,
    /// Its owner (the page offers approval only to them, signed in).
    pub owner: OwnerId,
}

/// Opens a request link. Reads only: fetching it any number of times changes nothing.
pub async fn view_request(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    token: &str,
) -> Result<LinkedRequest, ServiceError> {
    let now = clock.now();
    let row = live_token(db, settings, token, Purpose::DecideRequest, now).await?;
    let id = RequestId(row.request_id.ok_or_else(dead_link)?);
    let request = requests::get(db, id).await?.ok_or_else(dead_link)?;
    if request.status != AccessRequestStatus::Pending || request.expires_at <= now {
        return Err(dead_link());
    }
    Ok(LinkedRequest {
        request,
        owner: OwnerId(row.owner_id),
    })
}

/// Denies the linked request with the token alone (a POST from the page the link opens).
/// The token is used up by the same transaction that denies; the decision itself goes
/// through the state machine as the owner's.
pub async fn deny_with_token(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    token: &str,
    reason: Option<String>,
) -> Result<RequestRecord, ServiceError> {
    let linked = view_request(db, clock, settings, token).await?;
    super::requests::decide_with(
        db,
        clock,
        settings,
        linked.request.id,
        Actor::Owner(linked.owner),
        Action::Deny { reason },
        Some((hash(settings, token), Purpose::DecideRequest)),
    )
    .await
    .map_err(|e| match e {
        ServiceError::NotFound(_) => dead_link(),
        other => other,
    })
}

/// Whose digest an unsubscribe link stops (read only).
pub async fn view_unsubscribe(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    token: &str,
) -> Result<OwnerId, ServiceError> {
    let row = live_token(db, settings, token, Purpose::UnsubscribeDigest, clock.now()).await?;
    Ok(OwnerId(row.owner_id))
}

/// Stops the owner's access emails (one-click unsubscribe, RFC 8058: a POST).
pub async fn unsubscribe_with_token(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    token: &str,
) -> Result<(), ServiceError> {
    let now = crate::db::ts(clock.now());
    let owner = view_unsubscribe(db, clock, settings, token).await?;
    let mut tx = db.begin().await?;
    if !action_tokens::consume(
        &mut tx,
        &hash(settings, token),
        Purpose::UnsubscribeDigest.as_str(),
        now,
    )
    .await?
    {
        return Err(dead_link());
    }
    notices::set_access_notices(&mut tx, owner, AccessNotices::Off, now).await?;
    tx.commit().await?;
    tracing::info!(owner.id = %owner.0, "access digest unsubscribed by link");
    Ok(())
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
