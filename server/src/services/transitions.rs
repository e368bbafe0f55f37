//! The one authority for a request's state: [`apply`] runs an action (decide, cancel,
//! revoke, end, shorten, expire, end at time, withdraw) against a request inside the
//! caller's transaction. It reads the request's facts in that transaction, asks the pure
//! state machine ([`crate::domain::access_request::transition`]), writes the change as one
//! conditional update, writes the step for the verifiable log, ends the request's email
//! links when it leaves `pending`, and queues the emails the change causes. The owner, the
//! agent, email links, the API, the sweeper and an incident confirmation all come here;
//! nothing else changes a request's status.

use super::error::ServiceError;
use super::notifications;
use crate::config::Settings;
use crate::db::changes::{self, NewChangeRow};
use crate::db::requests::{self, RequestRecord};
use crate::db::{action_tokens, imap, Tx};
use crate::domain::access_request::{self, Action, Actor, Change, TransitionError};
use app::model::{AccessRequestStatus, ChangeActor, RequestChangeKind, RequestId};
use time::OffsetDateTime;

/// What [`apply`] did.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The change written.
    pub change: Change,
    /// The request as it is now, inside the transaction.
    pub request: RequestRecord,
}

/// Applies `action` by `actor` to request `id` in `tx` at `now` (the caller commits). A
/// request the actor may not see is `NotFound`, never `Forbidden`, so ids cannot be probed;
/// of two racing decisions one wins and the other gets `Conflict` saying what won.
#[tracing::instrument(skip_all, fields(request.id = %id))]
pub async fn apply(
    tx: &mut Tx,
    settings: &Settings,
    id: RequestId,
    actor: Actor,
    action: &Action,
    now: OffsetDateTime,
) -> Result<Applied, ServiceError> {
    let facts = requests::facts(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound("request"))?;
    let visible = match actor {
        Actor::Owner(o) => o == facts.owner_id,
        Actor::Staff(s) => s == facts.agent_id,
        Actor::System | Actor::Security => true,
        // A security admin in their own name acts only on emergency accesses.
        Actor::Admin(_) => facts.break_glass,
    };
    if !visible {
        return Err(ServiceError::NotFound("request"));
    }
    let change = access_request::transition(&facts, actor, action, now).map_err(|e| match e {
        TransitionError::NotAllowed => ServiceError::Forbidden,
        TransitionError::AlreadyDecided(status) => ServiceError::Conflict(already(status)),
        TransitionError::BadShorten => {
            ServiceError::Invalid(shorten_limit(facts.grant_ends_at, now))
        }
        TransitionError::BadReason => ServiceError::Invalid(e.to_string()),
        TransitionError::NothingGranted => ServiceError::Invalid(
            "Tick at least one part of the mailbox to allow, or deny the request.".into(),
        ),
        TransitionError::MoreThanAsked => {
            ServiceError::Invalid("You can only allow what the agent asked for.".into())
        }
        TransitionError::GrantLength(asked) => ServiceError::Invalid(format!(
            "Choose from 1 to {asked} minutes: the agent asked for {asked}."
        )),
        TransitionError::SecondAdminNeeded => ServiceError::Refused(
            "A second security admin must decide this emergency access: not the one who opened it, nor the one who will use it. Ask another security admin to approve or refuse it; you may cancel it if you opened it.".into(),
        ),
        TransitionError::NotTheOwners => ServiceError::Refused(
            "This is an emergency access the security team opened without asking you; it is not yours to approve, deny or stop. It is shown here so you know; it ends on its own at the time shown. If you think it is wrong, tell the security team with \"I don't recognise this\".".into(),
        ),
    })?;
    if !requests::apply_change(&mut *tx, id, &change).await? {
        // Someone else decided between our read and our write (PostgreSQL re-checks the
        // condition on the newest row): report what it is now, as committed.
        let status = requests::get(&mut *tx, id)
            .await?
            .map_or(facts.status, |r| r.status);
        return Err(ServiceError::Conflict(already(status)));
    }
    // A grant that stops being live ends its open IMAP sessions: the kicks are queued here,
    // with the change, and sent (and retried) by jobs::imap_kicks.
    let grant_over = change.from == AccessRequestStatus::Approved
        && (change.to != AccessRequestStatus::Approved
            || change.grant_ends_at.is_some_and(|end| end <= now));
    if grant_over {
        imap::queue_kicks(&mut *tx, Some(id), None, now).await?;
    }
    if change.from == AccessRequestStatus::Pending && change.to != AccessRequestStatus::Pending {
        // A link to decide dies with the pending request.
        action_tokens::revoke_for_request(&mut *tx, id, now).await?;
    }
    let by = match actor {
        Actor::Owner(_) => ChangeActor::Owner,
        Actor::Staff(_) => ChangeActor::Staff,
        Actor::System => ChangeActor::Glassbox,
        Actor::Security | Actor::Admin(_) => ChangeActor::Security,
    };
    let request = record_step(&mut *tx, id, Some(change.from), by, now).await?;
    notifications::request_changed(&mut *tx, settings, &request, &change, by, now).await?;
    tracing::info!(request.from = %change.from, request.to = %change.to, "access request changed");
    Ok(Applied { change, request })
}

/// What a refused shortening tells the owner: the limit, in minutes from now.
fn shorten_limit(ends: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    match ends.map(|end| (end - now).whole_seconds()) {
        Some(left) if left > 60 => {
            let most = (left - 1) / 60;
            format!(
                "Choose between 1 and {most} minutes: this access already ends in {} minutes.",
                (left + 59) / 60
            )
        }
        _ => "This access ends in less than a minute; it cannot be shortened further.".into(),
    }
}

/// What a refused decision tells the person: the state the request is in.
pub fn already(status: AccessRequestStatus) -> String {
    match status {
        AccessRequestStatus::Pending => "This request is still waiting for a decision.".into(),
        AccessRequestStatus::Approved => "This request was already approved.".into(),
        s => format!(
            "This request was already {}; nothing changed.",
            s.label().to_lowercase()
        ),
    }
}

/// Writes down, in the caller's transaction, the step that just moved request `id` from
/// `from` (none: it was just made) to the status it has now, for the verifiable log; the
/// log writer enters it into the log once the transaction commits. `at` is now; a step time
/// decided is dated at its deadline. Returns the request as it is now.
pub async fn record_step(
    tx: &mut Tx,
    id: RequestId,
    from: Option<AccessRequestStatus>,
    by: ChangeActor,
    at: OffsetDateTime,
) -> Result<RequestRecord, ServiceError> {
    let record = requests::get(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound("request"))?;
    let change = RequestChangeKind::of(from, record.status);
    // What time decided happened at its deadline, which may be before the sweep saw it.
    let at = match (by, change) {
        (ChangeActor::Glassbox, RequestChangeKind::Expired) => record.expires_at.min(at),
        (ChangeActor::Glassbox, RequestChangeKind::Ended) => {
            record.grant_ends_at.map_or(at, |end| end.min(at))
        }
        _ => at,
    };
    let reason = match change {
        RequestChangeKind::Denied | RequestChangeKind::Cancelled | RequestChangeKind::Revoked => {
            record.decision_reason.clone()
        }
        _ => None,
    };
    changes::insert(
        tx,
        &[NewChangeRow {
            id: uuid::Uuid::now_v7(),
            occurred_at: at,
            request_id: id,
            mailbox_id: record.mailbox_id,
            agent_id: record.agent_id,
            change,
            actor: by,
            scopes: requests::encode_scopes(&record.scopes),
            grant_ends_at: record.grant_ends_at,
            reason,
        }],
    )
    .await?;
    Ok(record)
}
