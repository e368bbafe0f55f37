//! Access-request use cases: submit, decide (approve, deny, cancel, revoke, end, shorten),
//! read, and the sweeper that writes down what time already decided. Each decision is one
//! transaction holding one conditional update: of two racing decisions one wins and the
//! other is told the request was already decided.

use super::error::ServiceError;
use super::{action_links, notifications};
use crate::config::Settings;
use crate::db::changes::{self, NewChangeRow};
use crate::db::requests::{self, NewRequestRow, RequestRecord};
use crate::db::{action_tokens, Tx};
use crate::db::{owners, staff, Db};
use crate::domain::access_request::{
    self, AccessRequestInput, Action, Actor, GrantLimits, NewAccessRequest, TransitionError,
};
use crate::domain::clock::Clock;
use app::model::{
    AccessRequestStatus, ChangeActor, MailboxId, OwnerId, RequestChangeKind, RequestId, StaffId,
    StaffRole,
};
use time::{Duration, OffsetDateTime};

/// Who submits a request.
#[derive(Clone, Copy, Debug)]
pub enum Submitter<'a> {
    /// A signed-in support agent, for themselves.
    Agent(StaffId),
    /// The mail system (service token), on behalf of the agent with this handle.
    OnBehalfOf(&'a str),
}

fn limits(settings: &Settings) -> GrantLimits {
    GrantLimits {
        default_minutes: settings.requests.default_grant_minutes,
        max_minutes: settings.requests.max_grant_minutes,
    }
}

/// Validates and stores a new pending request.
#[tracing::instrument(skip_all)]
pub async fn submit(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    by: Submitter<'_>,
    input: &AccessRequestInput,
) -> Result<RequestRecord, ServiceError> {
    let new = NewAccessRequest::parse(input, limits(settings))
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let agent = match by {
        Submitter::Agent(id) => staff::get_staff(db, id).await?,
        Submitter::OnBehalfOf(handle) => {
            staff::find_staff_by_handle(db, &handle.trim().to_ascii_lowercase()).await?
        }
    };
    let agent = agent.ok_or(ServiceError::Invalid(
        "`agent` is not a known staff handle".into(),
    ))?;
    if agent.disabled_at.is_some() {
        return Err(ServiceError::Forbidden);
    }
    if agent.role != StaffRole::Support {
        return Err(ServiceError::Invalid(
            "only support agents request access to mailboxes".into(),
        ));
    }
    let mailbox = owners::find_mailbox(db, &new.mailbox)
        .await?
        .ok_or(ServiceError::Invalid(
            "`mailbox` is not a mailbox Glassbox knows".into(),
        ))?;
    let now = crate::db::ts(clock.now());
    let row = NewRequestRow {
        id: RequestId::new(),
        mailbox_id: MailboxId(mailbox.id),
        agent_id: agent.id,
        scopes: new.scopes,
        justification_code: new.justification_code,
        justification_text: new.justification_text,
        ticket: new.ticket,
        duration_minutes: new.duration_minutes,
        status: AccessRequestStatus::Pending,
        created_at: now,
        expires_at: now + Duration::minutes(settings.requests.pending_expiry_minutes),
        decided_at: None,
        decision_reason: None,
        grant_starts_at: None,
        grant_ends_at: None,
        closed_at: None,
    };
    let mut tx = db.begin().await?;
    requests::insert_request(&mut tx, &row).await?;
    let record = log_change(&mut tx, row.id, None, ChangeActor::Staff, now).await?;
    notifications::request_submitted(&mut tx, settings, &record, now).await?;
    tx.commit().await?;
    tracing::info!(request.id = %row.id, agent.id = %agent.id, "access request submitted");
    requests::get(db, row.id)
        .await?
        .ok_or(ServiceError::NotFound("request"))
}

/// Applies `action` by `actor` to request `id`. A request the actor may not see is
/// `NotFound`, never `Forbidden`, so ids cannot be probed.
pub async fn decide(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    id: RequestId,
    actor: Actor,
    action: Action,
) -> Result<RequestRecord, ServiceError> {
    decide_with(db, clock, settings, id, actor, action, None).await
}

/// As [`decide`], also using up an action token (its hash and purpose) in the same
/// transaction: the decision happens only if the token was still unused, so a link is
/// single use even when two clicks race.
#[tracing::instrument(skip_all, fields(request.id = %id))]
pub async fn decide_with(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    id: RequestId,
    actor: Actor,
    action: Action,
    token: Option<(Vec<u8>, action_links::Purpose)>,
) -> Result<RequestRecord, ServiceError> {
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    if let Some((hash, purpose)) = &token {
        if !action_tokens::consume(&mut tx, hash, purpose.as_str(), now).await? {
            return Err(ServiceError::Conflict(
                "This link no longer works: it was used, it expired, or the request was already decided.".into(),
            ));
        }
    }
    let facts = requests::facts(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("request"))?;
    let visible = match actor {
        Actor::Owner(o) => o == facts.owner_id,
        Actor::Staff(s) => s == facts.agent_id,
        Actor::System => true,
    };
    if !visible {
        return Err(ServiceError::NotFound("request"));
    }
    let change = access_request::transition(&facts, actor, &action, now).map_err(|e| match e {
        TransitionError::NotAllowed => ServiceError::Forbidden,
        TransitionError::AlreadyDecided(status) => ServiceError::Conflict(already(status)),
        TransitionError::BadShorten | TransitionError::BadReason => {
            ServiceError::Invalid(e.to_string())
        }
    })?;
    if !requests::apply_change(&mut tx, id, &change).await? {
        // Someone else decided between our read and our write (PostgreSQL re-checks the
        // condition on the newest row): report what it is now.
        drop(tx);
        let status = requests::get(db, id)
            .await?
            .map(|r| r.status)
            .unwrap_or(facts.status);
        return Err(ServiceError::Conflict(already(status)));
    }
    let by = match actor {
        Actor::Owner(_) => ChangeActor::Owner,
        Actor::Staff(_) => ChangeActor::Staff,
        Actor::System => ChangeActor::Glassbox,
    };
    let record = log_change(&mut tx, id, Some(change.from), by, now).await?;
    notifications::request_changed(&mut tx, settings, &record, &change, now).await?;
    tx.commit().await?;
    tracing::info!(request.from = %change.from, request.to = %change.to, "access request decided");
    requests::get(db, id)
        .await?
        .ok_or(ServiceError::NotFound("request"))
}

fn already(status: AccessRequestStatus) -> String {
    match status {
        AccessRequestStatus::Pending => "This request is still waiting for a decision.".into(),
        AccessRequestStatus::Approved => "This request was already approved.".into(),
        s => format!(
            "This request was already {}; nothing changed.",
            s.label().to_lowercase()
        ),
    }
}

/// One request by id (the API: the mail system may read any request).
pub async fn get(db: &Db, id: RequestId) -> Result<RequestRecord, ServiceError> {
    requests::get(db, id)
        .await?
        .ok_or(ServiceError::NotFound("request"))
}

/// The steps of one of the owner's requests, oldest first, with their places in the log.
pub async fn steps_for_owner(
    db: &Db,
    owner: OwnerId,
    id: RequestId,
) -> Result<Vec<app::model::RequestStep>, ServiceError> {
    changes::for_owners_request(db, owner, id)
        .await?
        .into_iter()
        .map(|c| {
            Ok(app::model::RequestStep {
                change: c.change.parse().map_err(anyhow::Error::from)?,
                by: c.actor.parse().map_err(anyhow::Error::from)?,
                at: c.occurred_at,
                log_index: c.log_index.map(|i| i as u64),
                log_entry: super::log::logged_change(&c).map(|e| glassbox_log::b64(&e.encode())),
            })
        })
        .collect()
}

/// Cancels a pending request on behalf of the agent who made it (the API acts for agents).
pub async fn cancel_for_its_agent(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    id: RequestId,
) -> Result<RequestRecord, ServiceError> {
    let agent = get(db, id).await?.agent_id;
    decide(db, clock, settings, id, Actor::Staff(agent), Action::Cancel).await
}

/// A request as its owner may see it.
pub async fn get_for_owner(
    db: &Db,
    owner: OwnerId,
    id: RequestId,
) -> Result<RequestRecord, ServiceError> {
    requests::get_for_owner(db, owner, id)
        .await?
        .ok_or(ServiceError::NotFound("request"))
}

/// Writes down every expiry and grant end that time has already decided, and queues their
/// emails (the agent's "expired", the owner's "ended" with what was accessed) in the same
/// transaction.
pub async fn sweep(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
) -> Result<(u64, u64), ServiceError> {
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    let expired = requests::expire_due_in(&mut tx, now).await?;
    for id in &expired {
        let from = Some(AccessRequestStatus::Pending);
        let record = log_change(&mut tx, *id, from, ChangeActor::Glassbox, now).await?;
        let change = swept(AccessRequestStatus::Pending, AccessRequestStatus::Expired);
        notifications::request_changed(&mut tx, settings, &record, &change, now).await?;
    }
    let ended = requests::end_due_in(&mut tx, now).await?;
    for id in &ended {
        let from = Some(AccessRequestStatus::Approved);
        let record = log_change(&mut tx, *id, from, ChangeActor::Glassbox, now).await?;
        let change = swept(AccessRequestStatus::Approved, AccessRequestStatus::Ended);
        notifications::request_changed(&mut tx, settings, &record, &change, now).await?;
    }
    tx.commit().await?;
    let (expired, ended) = (expired.len() as u64, ended.len() as u64);
    if expired + ended > 0 {
        tracing::info!(
            requests.expired = expired,
            grants.ended = ended,
            "request sweep"
        );
    }
    Ok((expired, ended))
}

/// Writes down, in the caller's transaction, the step that just moved request `id` from
/// `from` (none: it was just made) to the status it has now, for the verifiable log; the
/// log writer enters it into the log once the transaction commits. `at` is now; a step time
/// decided is dated at its deadline. Returns the request as it is now.
pub(crate) async fn log_change(
    tx: &mut Tx,
    id: RequestId,
    from: Option<AccessRequestStatus>,
    by: ChangeActor,
    at: OffsetDateTime,
) -> Result<RequestRecord, ServiceError> {
    let record = requests::get_in(tx, id)
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

/// The change a sweep made (time decided it; nothing else is set by the caller).
fn swept(from: AccessRequestStatus, to: AccessRequestStatus) -> access_request::Change {
    access_request::Change {
        from,
        to,
        decided_at: None,
        decision_reason: None,
        grant_starts_at: None,
        grant_ends_at: None,
        closed_at: None,
    }
}
