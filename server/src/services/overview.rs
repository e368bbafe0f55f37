//! The owner's overview: who they are, their mailboxes, what waits for their decision,
//! which grants are live, the latest accesses and the last 30 days in two numbers — and,
//! for the whole provider, how many staff can ask for access and how many used it.

use super::error::ServiceError;
use super::history::views_for_owner;
use super::requests;
use crate::config::Settings;
use crate::db::events::{self, EventFilter, Keyset};
use crate::db::requests as stored;
use crate::db::{owners, Db};
use crate::domain::clock::Clock;
use anyhow::Context as _;
use app::model::{Decision, OwnerId, OwnerOverview, RequestView};

/// How many recent events the overview shows.
const RECENT_EVENTS: i64 = 8;
/// How many of the owner's requests their list shows.
const OWNER_REQUESTS: i64 = 100;

/// The overview of `owner` at the clock's now (`Unauthorized` when the owner is gone).
pub async fn owner_overview(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    owner: OwnerId,
) -> Result<OwnerOverview, ServiceError> {
    let now = clock.now();
    let person = owners::get_owner(db, owner)
        .await
        .context("load the owner")?
        .ok_or(ServiceError::Unauthorized)?;
    let mailboxes = owners::mailboxes_of(db, owner)
        .await
        .context("load the mailboxes")?;
    let pending = stored::pending_for_owner(db, owner, now).await?;
    let grants = stored::active_grants_for_owner(db, owner, now).await?;
    let (recent, _) = events::page_for(
        db,
        owner,
        &EventFilter::default(),
        Keyset::Newest,
        RECENT_EVENTS,
    )
    .await
    .context("load the recent events")?;
    let since = now - time::Duration::days(30);
    let accesses = events::count_for_owner(db, owner, Some(since), None)
        .await
        .context("count the events")?;
    let denied = events::count_for_owner(db, owner, Some(since), Some(Decision::Denied))
        .await
        .context("count the denied events")?;
    // The provider's staff in aggregate (no names, no pseudonyms): who can ask, by the
    // domain's rule, and who accessed any mailbox.
    let staff_who_can_ask = super::staff::count_who_can_ask(db, settings, now).await?;
    let staff_who_accessed = crate::db::staff::count_staff_who_accessed(db, since)
        .await
        .context("count the staff who accessed mailboxes")?;
    Ok(OwnerOverview {
        display_name: person.display_name,
        mailboxes: mailboxes.into_iter().map(|m| m.address).collect(),
        pending: pending
            .into_iter()
            .map(|r| requests::view(r, now))
            .collect(),
        active_grants: grants.into_iter().map(|r| requests::view(r, now)).collect(),
        recent: views_for_owner(db, owner, recent).await?,
        accesses_last_30_days: accesses,
        denied_last_30_days: denied,
        staff_who_can_ask,
        staff_who_accessed_last_30_days: staff_who_accessed,
    })
}

/// The newest requests about the owner's mailboxes, in any state.
pub async fn owner_requests(
    db: &Db,
    clock: &Clock,
    owner: OwnerId,
) -> Result<Vec<RequestView>, ServiceError> {
    let now = clock.now();
    let list = stored::list_for_owner(db, owner, OWNER_REQUESTS).await?;
    Ok(list.into_iter().map(|r| requests::view(r, now)).collect())
}
