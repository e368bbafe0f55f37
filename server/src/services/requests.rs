//! Access-request use cases: submit, decide (approve, deny, cancel, revoke, end, shorten),
//! read, and the sweeper that writes down what time already decided. Every change of state
//! goes through [`transitions::apply`] inside the use case's transaction: of two racing
//! decisions one wins and the other is told the request was already decided.

use super::error::ServiceError;
use super::link_tokens::Purpose;
use super::{notifications, transitions};
use crate::config::Settings;
use crate::db::changes;
use crate::db::requests::{self, NewRequestRow, RequestRecord};
use crate::db::{action_tokens, form_submissions, owner_rules, owners, staff, Db, Tx};
use crate::domain::access_request::{
    effective_status, AccessRequestInput, Action, Actor, GrantLimits, NewAccessRequest,
};
use crate::domain::clock::Clock;
use crate::domain::staff::{may_request, RequestRefusal};
use crate::domain::standing_rules;
use app::model::{
    AccessRequestStatus, ChangeActor, FormKey, MailboxId, OwnerId, RequestId, RequestView, StaffId,
};
use time::Duration;

/// Who submits a request.
#[derive(Clone, Copy, Debug)]
pub enum Submitter<'a> {
    /// A signed-in support agent, for themselves.
    Agent(StaffId),
    /// The mail system (service token), on behalf of the agent with this handle.
    OnBehalfOf(&'a str),
}

/// A submission of a page's form, which acts once however often it arrives: who sent it and
/// the key of the rendered form (see `db::form_submissions`).
#[derive(Clone, Debug)]
pub struct FormOnce {
    /// The owner's or staff member's id.
    pub actor: uuid::Uuid,
    /// The form's key.
    pub key: FormKey,
}

/// What claiming a form's key found.
enum Claim {
    /// The first submission: go on in this transaction and commit.
    First(Tx),
    /// The form was submitted before (the transaction is rolled back): the request its
    /// first submission made or changed, as it is now.
    Repeat(Box<RequestRecord>),
}

/// Claims `once` (if any) in `tx` for request `id`.
async fn claim(
    db: &Db,
    mut tx: Tx,
    once: Option<&FormOnce>,
    id: RequestId,
    now: time::OffsetDateTime,
) -> Result<Claim, ServiceError> {
    let Some(once) = once else {
        return Ok(Claim::First(tx));
    };
    if form_submissions::claim(&mut tx, once.actor, &once.key, id, now).await? {
        return Ok(Claim::First(tx));
    }
    tx.rollback().await?;
    let first = form_submissions::first_request(db, once.actor, &once.key)
        .await?
        .ok_or(ServiceError::NotFound("request"))?;
    tracing::info!(request.id = %first, "form submitted again: answered with its first result");
    let record = requests::get(db, first)
        .await?
        .ok_or(ServiceError::NotFound("request"))?;
    Ok(Claim::Repeat(Box::new(record)))
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
    once: Option<&FormOnce>,
) -> Result<RequestRecord, ServiceError> {
    let new = NewAccessRequest::parse(input, limits(settings))?;
    let agent = match by {
        Submitter::Agent(id) => staff::get_staff(db, id).await?,
        Submitter::OnBehalfOf(handle) => {
            staff::find_staff_by_handle(db, &handle.trim().to_ascii_lowercase()).await?
        }
    };
    let agent = agent.ok_or(ServiceError::Unknown(
        "`agent` is not a known staff handle".into(),
    ))?;
    // Who may ask is the domain's rule: enabled support agents whose certification is
    // current (a security admin recertifies each agent every `staff.recertify_every_days`).
    let now = crate::db::ts(clock.now());
    let every = settings.staff.recertify_every();
    match may_request(agent.standing(), every, now) {
        Ok(()) => {}
        Err(RequestRefusal::Disabled) => return Err(ServiceError::Forbidden),
        Err(RequestRefusal::NotSupport) => {
            return Err(ServiceError::Invalid(
                "only support agents request access to mailboxes".into(),
            ))
        }
        Err(RequestRefusal::Lapsed { since }) => {
            tracing::warn!(agent.id = %agent.id, "refused a request: the agent's certification lapsed");
            return Err(ServiceError::Refused(format!(
                "This support agent's permission to ask for access lapsed on {}: a security admin must recertify every support agent every {} days, and nobody did in time. Ask a security admin to recertify them on the staff roster (/admin/staff); until then every request is refused.",
                app::components::format::date_time(since),
                settings.staff.recertify_every_days
            )));
        }
    }
    let mailbox = owners::find_mailbox(db, &new.mailbox)
        .await?
        .ok_or(ServiceError::Unknown(
            "`mailbox` is not a mailbox Glassbox knows".into(),
        ))?;
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
        break_glass: false,
        opened_by: None,
    };
    let mut tx = db.begin().await?;
    // The key refers to the new row, so it is claimed right after the insert.
    requests::insert_request(&mut tx, &row).await?;
    let mut tx = match claim(db, tx, once, row.id, now).await? {
        Claim::First(tx) => tx,
        Claim::Repeat(first) => return Ok(*first),
    };
    let record = transitions::record_step(&mut tx, row.id, None, ChangeActor::Staff, now).await?;
    // The owner's standing rules, read with the request they decide.
    let rules = owner_rules::get(&mut tx, OwnerId(mailbox.owner_id)).await?;
    let ticket = row.ticket.as_deref();
    match standing_rules::refusal(&rules, &row.scopes, row.justification_code, ticket) {
        None => notifications::request_submitted(&mut tx, settings, &record, now).await?,
        Some(rule) => {
            // The rule decides for the owner, who is not asked: refused at once, through the
            // state machine like any decision (the agent hears why; the owner sees it marked).
            let refuse = Action::RefuseByRule {
                reason: rule.reason(),
            };
            transitions::apply(&mut tx, settings, row.id, Actor::System, &refuse, now).await?;
            tracing::info!(request.id = %row.id, rule = ?rule, "request refused by the owner's standing rule");
        }
    }
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
    decide_with(db, clock, settings, id, actor, action, None, None).await
}

/// As [`decide`], also using up an action token (its hash and purpose) in the same
/// transaction: the decision happens only if the token was still unused, so a link is
/// single use even when two clicks race. With `once`, a repeat of the same form is answered
/// with the request as its first submission left it, and decides nothing.
#[tracing::instrument(skip_all, fields(request.id = %id))]
#[expect(
    clippy::too_many_arguments,
    reason = "the decision, and the two ways it is made once"
)]
pub async fn decide_with(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    id: RequestId,
    actor: Actor,
    action: Action,
    token: Option<(Vec<u8>, Purpose)>,
    once: Option<&FormOnce>,
) -> Result<RequestRecord, ServiceError> {
    let now = crate::db::ts(clock.now());
    let mut tx = match claim(db, db.begin().await?, once, id, now).await? {
        Claim::First(tx) => tx,
        Claim::Repeat(first) if first.id == id => return Ok(*first),
        Claim::Repeat(_) => {
            return Err(ServiceError::Invalid(
                "This form was already sent for another request; reload the page.".into(),
            ))
        }
    };
    if let Some((hash, purpose)) = &token {
        if !action_tokens::consume(&mut tx, hash, purpose.as_str(), now).await? {
            return Err(ServiceError::Conflict(
                "This link no longer works: it was used, it expired, or the request was already decided.".into(),
            ));
        }
    }
    transitions::apply(&mut tx, settings, id, actor, &action, now).await?;
    tx.commit().await?;
    requests::get(db, id)
        .await?
        .ok_or(ServiceError::NotFound("request"))
}

/// "Stop all access": revokes every live grant and cancels every pending request of
/// `owner`'s mailboxes, each through [`transitions::apply`] (its logged step, its links
/// ended, its emails and IMAP kicks queued), all in ONE transaction: the owner's sentence
/// counts exactly what committed, and the form's key is claimed with it, so a repeat of the
/// same form changes nothing and is answered with the first result (counted back from the
/// steps that carry its moment). With nothing to stop, nothing is written.
#[tracing::instrument(skip_all, fields(owner.id = %owner))]
pub async fn stop_all(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    owner: OwnerId,
    once: Option<&FormOnce>,
) -> Result<app::model::StopAllOutcome, ServiceError> {
    if let Some(once) = once {
        if let Some(at) = form_submissions::first_at(db, once.actor, &once.key).await? {
            return stopped_at(db, owner, at).await;
        }
    }
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    // An emergency access is not the owner's to stop (the page says so): only their own
    // consents are.
    let mut grants = requests::active_grants_for_owner(&mut tx, owner, now).await?;
    grants.retain(|g| !g.break_glass);
    let pending = requests::pending_for_owner(&mut tx, owner, now).await?;
    let Some(first) = grants.first().or(pending.first()).map(|r| r.id) else {
        return Ok(app::model::StopAllOutcome {
            revoked: 0,
            cancelled: 0,
        });
    };
    let mut tx = match claim(db, tx, once, first, now).await? {
        Claim::First(tx) => tx,
        Claim::Repeat(_) => {
            let at = match once {
                Some(once) => form_submissions::first_at(db, once.actor, &once.key).await?,
                None => None,
            };
            return stopped_at(db, owner, at.unwrap_or(now)).await;
        }
    };
    let mut outcome = app::model::StopAllOutcome {
        revoked: 0,
        cancelled: 0,
    };
    for r in grants.iter().chain(&pending) {
        match transitions::apply(
            &mut tx,
            settings,
            r.id,
            Actor::Owner(owner),
            &Action::StopAll,
            now,
        )
        .await
        {
            Ok(applied) if applied.change.to == AccessRequestStatus::Revoked => {
                outcome.revoked += 1
            }
            Ok(_) => outcome.cancelled += 1,
            // Decided by someone else since it was read (the agent cancelled, time ran out):
            // nothing of ours to stop.
            Err(ServiceError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    tracing::info!(
        grants.revoked = outcome.revoked,
        requests.cancelled = outcome.cancelled,
        "owner stopped all access"
    );
    Ok(outcome)
}

/// What a "Stop all access" at `at` did, counted from its logged steps.
async fn stopped_at(
    db: &Db,
    owner: OwnerId,
    at: time::OffsetDateTime,
) -> Result<app::model::StopAllOutcome, ServiceError> {
    let (revoked, cancelled) = changes::owner_stops_at(db, owner, at).await?;
    tracing::info!("stop all access sent again: answered with its first result");
    Ok(app::model::StopAllOutcome {
        revoked: u32::try_from(revoked).unwrap_or(u32::MAX),
        cancelled: u32::try_from(cancelled).unwrap_or(u32::MAX),
    })
}

/// A request as the UI shows it, with its status as of `now` (a pending request past
/// its expiry shows as expired even before the sweeper writes that down).
pub fn view(r: RequestRecord, now: time::OffsetDateTime) -> RequestView {
    let status = effective_status(r.status, r.expires_at, r.grant_ends_at, now);
    RequestView {
        id: r.id,
        mailbox: r.mailbox,
        agent_pseudonym: r.agent_pseudonym,
        agent_role: r.agent_role,
        scopes: r.scopes,
        asked_scopes: r.asked_scopes,
        justification_code: r.justification_code,
        justification_text: r.justification_text,
        ticket: r.ticket,
        duration_minutes: r.duration_minutes,
        granted_minutes: r.granted_minutes,
        status,
        created_at: r.created_at,
        expires_at: r.expires_at,
        grant_ends_at: r.grant_ends_at,
        decision_reason: r.decision_reason,
        minutes_left: match (status, r.grant_ends_at) {
            (AccessRequestStatus::Approved, Some(end)) => {
                Some(((end - now).whole_seconds() + 59) / 60)
            }
            _ => None,
        },
        steps: Vec::new(),
        imap_sessions: Vec::new(),
        accesses: Vec::new(),
        break_glass: r.break_glass,
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
                log_entry: crate::transparency::entries::logged_change(&c)
                    .map(|e| glassbox_log::b64(&e.encode())),
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

/// How many requests one sweep transaction handles at most.
const SWEEP_BATCH: i64 = 500;

/// Writes down every expiry and grant end that time has already decided, through the state
/// machine like any other change, and queues their emails (the agent's "expired", the
/// owner's "ended" with what was accessed) in the same transaction. The store only selects
/// the candidates; a candidate another instance (or a person) changed first is skipped.
pub async fn sweep(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
) -> Result<(u64, u64), ServiceError> {
    let now = crate::db::ts(clock.now());
    let mut counts = [0u64; 2];
    for (k, action) in [Action::Expire, Action::EndAtTime].into_iter().enumerate() {
        loop {
            let mut tx = db.begin().await?;
            let due = match action {
                Action::Expire => requests::due_for_expiry(&mut tx, now, SWEEP_BATCH).await?,
                _ => requests::due_to_end(&mut tx, now, SWEEP_BATCH).await?,
            };
            for id in &due {
                match transitions::apply(&mut tx, settings, *id, Actor::System, &action, now).await
                {
                    Ok(_) => counts[k] += 1,
                    // Decided by someone else since it was selected: nothing to write down.
                    Err(ServiceError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            tx.commit().await?;
            if (due.len() as i64) < SWEEP_BATCH {
                break;
            }
        }
    }
    let [expired, ended] = counts;
    if expired + ended > 0 {
        tracing::info!(
            requests.expired = expired,
            grants.ended = ended,
            "request sweep"
        );
    }
    Ok((expired, ended))
}
