//! The access check: before every access the mail system asks whether this agent may do
//! this to this mailbox now. The log writer ([`super::sequencer`]) decides and records the
//! event in one transaction (a group commit shared with other checks), and the answer is
//! given only after that commits: an "allow" without a durable, logged record never leaves
//! Glassbox.

use super::error::ServiceError;
use super::sequencer::{LogWriter, PendingCheck};
use crate::db::requests::GrantRow;
use crate::domain::access_request::{grant_allows, parse_mailbox};
use app::model::{Decision, RequestId, Scope};
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
    /// Its position in the verifiable log.
    pub log_index: u64,
}

fn token_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.chars().all(|c| c.is_ascii_graphic())
}

/// Decides and records one access check.
#[tracing::instrument(skip_all)]
/// `token` is the service token that asked; the log writer checks it is still live in the
/// transaction that records the event (`ServiceError::Unauthorized` when it is not, and
/// nothing is recorded).
pub async fn check(
    log: &LogWriter,
    token: uuid::Uuid,
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
    // The mailbox and the agent are looked up by the log writer, once per batch, inside
    // the batch's transaction: a disabled account or a revoked grant is seen as it stands
    // when the event commits.
    let decided = log
        .check(PendingCheck {
            token,
            mailbox,
            agent: input.agent.trim().to_ascii_lowercase(),
            scope,
            action: input.action.clone(),
            resource: input.resource.clone(),
            source_network: input.source_network.clone(),
        })
        .await?;
    Ok(CheckOutcome {
        decision: decided.decision,
        reason: decided.reason.to_string(),
        grant_id: decided.grant.as_ref().map(|g| g.id),
        grant_ends_at: decided.grant.and_then(|g| g.grant_ends_at),
        event_id: decided.event_id,
        log_index: decided.log_index,
    })
}

/// The decision for one check from the agent's live grants on the mailbox at `now`. The
/// log writer calls it inside the transaction that records the event, so the grants it
/// sees are those in force when the event commits.
pub fn decide(
    agent_disabled: bool,
    grants: &[GrantRow],
    scope: Scope,
    now: OffsetDateTime,
) -> (Decision, &'static str, Option<GrantRow>) {
    if agent_disabled {
        return (
            Decision::Denied,
            "Refused: the staff account is disabled",
            None,
        );
    }
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
}
