//! The access check: before every access the mail system asks whether this agent may do
//! this to this mailbox now. This use case validates the question; the log writer
//! ([`crate::transparency::writer`]) reads the facts, decides (the domain's
//! [`crate::domain::check::decide`]) and records the event in one transaction (a group commit shared with other checks), and the answer is
//! given only after that commits: an "allow" without a durable, logged record never leaves
//! Glassbox.

use super::error::ServiceError;
use crate::domain::access_request::parse_mailbox;
use crate::transparency::writer::{CheckError, LogWriter, NotRecorded, PendingCheck};
use app::model::{Decision, RequestId, Scope};
use time::OffsetDateTime;

/// A check as the mail system asks it (already decoded from JSON).
#[derive(Clone, Debug)]
pub struct CheckInput {
    /// The mailbox's email address, as the mail system names it.
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

pub(crate) fn token_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.chars().all(|c| c.is_ascii_graphic())
}

/// Decides and records one access check. `token` is the service token that asked; the log writer checks it is still live in the
/// transaction that records the event (`ServiceError::Unauthorized` when it is not, and
/// nothing is recorded).
#[tracing::instrument(skip_all)]
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
    // The token, the mailbox, the agent and the grants are read by the log writer inside
    // the batch's transaction, with the lock that makes a concurrent change wait.
    record(
        log,
        PendingCheck {
            token,
            mailbox,
            agent: input.agent.trim().to_ascii_lowercase(),
            scope,
            action: input.action.clone(),
            resource: input.resource.clone(),
            source_network: input.source_network.clone(),
            imap: None,
        },
    )
    .await
}

/// Has the log writer decide and record `pending`, and says what it decided.
pub(crate) async fn record(
    log: &LogWriter,
    pending: PendingCheck,
) -> Result<CheckOutcome, ServiceError> {
    let started = std::time::Instant::now();
    let decided = log.check(pending).await.map_err(|e| match e {
        CheckError::NotRecorded(NotRecorded::Unknown(what)) => ServiceError::NotFound(what),
        CheckError::NotRecorded(NotRecorded::TokenRevoked) => ServiceError::Unauthorized,
        CheckError::Failed(cause) => ServiceError::Unexpected(cause),
    })?;
    metrics::histogram!("glassbox_check_duration_seconds").record(started.elapsed().as_secs_f64());
    let label = match decided.decision {
        Decision::Allowed => "allow",
        Decision::Denied => "deny",
    };
    metrics::counter!("glassbox_check_decisions_total", "decision" => label).increment(1);
    Ok(CheckOutcome {
        decision: decided.decision,
        reason: decided.reason.to_string(),
        grant_id: decided.grant.as_ref().map(|g| g.id),
        grant_ends_at: decided.grant.and_then(|g| g.ends_at),
        event_id: decided.event_id,
        log_index: decided.log_index,
    })
}
