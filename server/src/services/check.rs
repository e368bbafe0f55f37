//! The access check: before every access the mail system asks whether this agent may do
//! this to this mailbox now. The answer and its access event are written in one
//! transaction, and the answer is given only after that commits: an "allow" without a
//! durable record never leaves Glassbox.

use super::error::ServiceError;
use crate::db::events::{self, NewEventRow};
use crate::db::requests;
use crate::db::{owners, staff, Db};
use crate::domain::access_request::{grant_allows, parse_mailbox};
use crate::domain::clock::Clock;
use app::model::{Decision, EventSeq, MailboxId, RequestId, Scope};
use time::OffsetDateTime;

/// A check as the mail system asks it (already decoded from JSON).
#[derive(Clone, Debug)]
pub struct CheckInput {
    /// Mailbox address.
    pub mailbox: String,
    /// Agent handle.
    pub agent: String,
    /// Scope name.
    pub scope: String,
    /// Action name (`list_folders`, `read_message`, …).
    pub action: String,
    /// Opaque resource id.
    pub resource: String,
    /// Where the access comes from, as the mail system sees it.
    pub source_network: Option<String>,
}

/// The answer.
#[derive(Clone, Debug)]
pub struct CheckOutcome {
    /// Allowed or denied.
    pub decision: Decision,
    /// Why, in plain words (the owner reads the same words).
    pub reason: String,
    /// The grant that allowed it.
    pub grant_id: Option<RequestId>,
    /// When that grant ends.
    pub grant_ends_at: Option<OffsetDateTime>,
    /// The recorded event.
    pub event_id: uuid::Uuid,
    /// Its position in the log.
    pub log_index: EventSeq,
}

fn token_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.chars().all(|c| c.is_ascii_graphic())
}

/// Decides and records one access check.
#[tracing::instrument(skip_all)]
pub async fn check(
    db: &Db,
    clock: &Clock,
    input: &CheckInput,
) -> Result<CheckOutcome, ServiceError> {
    let mailbox =
        parse_mailbox(&input.mailbox).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let scope: Scope = input
        .scope
        .parse()
        .map_err(|e: app::model::ParseVocabularyError| {
            ServiceError::Invalid(format!("`scope`: {e}"))
        })?;
    if !(token_ok(&input.action, 64)
        && input
            .action
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()))
    {
        return Err(ServiceError::Invalid(
            "`action` must be 1 to 64 lower-case letters, digits or `_` (e.g. read_message)".into(),
        ));
    }
    if !token_ok(&input.resource, 256) {
        return Err(ServiceError::Invalid(
            "`resource` must be 1 to 256 printable characters without spaces".into(),
        ));
    }
    if input
        .source_network
        .as_deref()
        .is_some_and(|s| !token_ok(s, 64))
    {
        return Err(ServiceError::Invalid(
            "`source_network` must be at most 64 printable characters without spaces".into(),
        ));
    }
    let mailbox = owners::find_mailbox(db, &mailbox)
        .await?
        .ok_or(ServiceError::NotFound("mailbox"))?;
    let agent = staff::find_staff_by_handle(db, &input.agent.trim().to_ascii_lowercase())
        .await?
        .ok_or(ServiceError::NotFound("agent"))?;

    let mut tx = db.begin().await?;
    // Read the time inside the transaction: on SQLite the write lock is already held, so
    // no revocation can commit between this instant and our event.
    let now = crate::db::ts(clock.now());
    let (decision, reason, grant) = if agent.disabled_at.is_some() {
        (
            Decision::Denied,
            "Refused: the staff account is disabled",
            None,
        )
    } else {
        let grants = requests::live_grants(&mut tx, MailboxId(mailbox.id), agent.id, now).await?;
        match grants.iter().find(|g| {
            grant_allows(
                g.status,
                &g.scopes,
                g.grant_starts_at,
                g.grant_ends_at,
                scope,
                now,
            )
        }) {
            Some(g) => (
                Decision::Allowed,
                "Allowed: you approved this access",
                Some(g.clone()),
            ),
            None if !grants.is_empty() => {
                (Decision::Denied, "Refused: outside what you approved", None)
            }
            None => (Decision::Denied, "Refused: no approved request", None),
        }
    };
    let event = NewEventRow {
        id: uuid::Uuid::now_v7(),
        occurred_at: now,
        mailbox_id: MailboxId(mailbox.id),
        agent_id: Some(agent.id),
        request_id: grant.as_ref().map(|g| g.id),
        scope,
        action: input.action.clone(),
        resource: input.resource.clone(),
        decision,
        reason: reason.to_string(),
        source_network: input.source_network.clone(),
    };
    let seq = events::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(CheckOutcome {
        decision,
        reason: reason.to_string(),
        grant_id: grant.as_ref().map(|g| g.id),
        grant_ends_at: grant.and_then(|g| g.grant_ends_at),
        event_id: event.id,
        log_index: seq,
    })
}
