//! Action links: what the tokens in email links ([`super::link_tokens`]) may do. Mail
//! scanners fetch every link in an email, so **opening a link never changes anything**:
//! [`view_request`] only reads; [`deny_with_token`] and [`unsubscribe_with_token`] are
//! reached by POST from the page the link opens. Approving needs the signed-in owner (with
//! a recent sign-in), so a request link can never approve on its own.

use super::error::ServiceError;
use super::link_tokens::{hash, Purpose};
use super::requests;
use crate::config::Settings;
use crate::db::action_tokens;
use crate::db::notices::{self, AccessNotices};
use crate::db::requests::{self as stored, RequestRecord};
use crate::db::Db;
use crate::domain::access_request::{Action, Actor};
use crate::domain::clock::Clock;
use app::model::{AccessRequestStatus, OwnerId, RequestId};
use time::OffsetDateTime;

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
    let request = stored::get(db, id).await?.ok_or_else(dead_link)?;
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
    requests::decide_with(
        db,
        clock,
        settings,
        linked.request.id,
        Actor::Owner(linked.owner),
        Action::Deny { reason },
        Some((hash(settings, token), Purpose::DecideRequest)),
        None,
    )
    .await
    .map_err(|e| match e {
        ServiceError::NotFound(_) => dead_link(),
        other => other,
    })
}

/// The request a request link denied: what the page after the denial shows (the browser
/// comes back to it by GET, so Back and reload never post the form again). Only for a link
/// that was used and whose request is denied; everything else is a dead link.
pub async fn denied_by_link(
    db: &Db,
    settings: &Settings,
    token: &str,
) -> Result<RequestRecord, ServiceError> {
    if token.is_empty() || token.len() > 128 {
        return Err(dead_link());
    }
    let row = action_tokens::find(db, &hash(settings, token))
        .await?
        .ok_or_else(dead_link)?;
    if row.purpose != Purpose::DecideRequest.as_str() || row.used_at.is_none() {
        return Err(dead_link());
    }
    let id = RequestId(row.request_id.ok_or_else(dead_link)?);
    let request = stored::get(db, id).await?.ok_or_else(dead_link)?;
    if request.status != AccessRequestStatus::Denied {
        return Err(dead_link());
    }
    Ok(request)
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
