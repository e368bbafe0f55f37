//! The access-request state machine and the parsing of new requests. Pure: no I/O, time
//! passed in.
//!
//! A request only moves along `pending → approved | denied | expired | cancelled` and
//! `approved → revoked | ended`. Time makes some moves without anyone acting: a pending
//! request past `expires_at` *is* expired, and an approved grant past `grant_ends_at` *is*
//! ended, whether or not the sweeper has written that down yet ([`effective_status`]).
//! The store applies each [`Change`] as one conditional update (`… WHERE status = <from>`),
//! so of two racing decisions exactly one wins.

use app::model::{
    AccessRequestStatus as Status, JustificationCode, OwnerId, RequestField, Scope, StaffId,
};
use time::{Duration, OffsetDateTime};

/// Longest justification text, in bytes.
pub const MAX_JUSTIFICATION_CHARS: usize = 4096;
/// Longest ticket reference.
pub const MAX_TICKET_CHARS: usize = 64;
/// Longest reason an owner may give for a denial.
pub const MAX_REASON_CHARS: usize = 1000;
/// Longest mailbox address (RFC 5321 path limit).
pub const MAX_ADDRESS_CHARS: usize = 254;

/// A request as submitted, before validation (from the API or the staff console): the
/// same unvalidated shape the staff console's form sends.
pub use app::model::RequestForm as AccessRequestInput;

/// A validated new request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccessRequest {
    /// The mailbox, lower-cased.
    pub mailbox: String,
    /// What for, without duplicates, in a stable order.
    pub scopes: Vec<Scope>,
    /// Why.
    pub justification_code: JustificationCode,
    /// Why, in words.
    pub justification_text: String,
    /// The support ticket the requester cited, if any.
    pub ticket: Option<String>,
    /// Grant length.
    pub duration_minutes: i64,
}

/// Why a new request is refused. Each message says what to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Bad mailbox address.
    #[error("`mailbox` must be an email address of at most 254 characters")]
    Mailbox,
    /// No or unknown scopes.
    #[error("`scopes` must list at least one of: metadata, content, attachments, settings{0}")]
    Scopes(String),
    /// Unknown justification code.
    #[error("`justification.code` must be one of: customer_initiated_support, provider_initiated_review, legal_request, service_maintenance")]
    Code,
    /// Break-glass goes through its own path.
    #[error("break-glass access cannot be requested here: it needs a second security admin")]
    BreakGlass,
    /// An emergency access names a reason that is not an emergency.
    #[error("an emergency access must be for `break_glass_emergency` or `legal_request`")]
    EmergencyCode,
    /// An emergency access without the reference it is for.
    #[error("an emergency access needs a reference (`justification.ticket`): the incident, case or legal order it is for")]
    ReferenceMissing,
    /// Missing or oversized text.
    #[error(
        "`justification.text` must say why, in 1 to 4096 characters, without control characters"
    )]
    Text,
    /// A ticket is required for this justification and there is none.
    #[error("`justification.ticket` is required when the owner asked for help (customer_initiated_support)")]
    TicketMissing,
    /// The ticket is too long or holds other characters.
    #[error(
        "`justification.ticket` must be at most 64 characters: letters, digits and - _ # . / :"
    )]
    TicketForm,
    /// Duration out of range.
    #[error("`duration_minutes` must be between 1 and {0}")]
    Duration(i64),
}

impl ParseError {
    /// The field of the request form this is about.
    pub fn field(&self) -> RequestField {
        match self {
            ParseError::Mailbox => RequestField::Mailbox,
            ParseError::Scopes(_) => RequestField::Scopes,
            ParseError::Code | ParseError::BreakGlass | ParseError::EmergencyCode => {
                RequestField::Code
            }
            ParseError::Text => RequestField::Text,
            ParseError::TicketMissing | ParseError::TicketForm | ParseError::ReferenceMissing => {
                RequestField::Ticket
            }
            ParseError::Duration(_) => RequestField::Duration,
        }
    }

    /// What to change, in the words of the staff console's form (the API keeps the field
    /// names of its document: the `Display` text).
    pub fn plain_words(&self) -> String {
        match self {
            ParseError::Mailbox => {
                "Write the owner's mailbox address, like owner@example.org.".into()
            }
            ParseError::Scopes(_) => {
                "Tick at least one part of the mailbox you need to see.".into()
            }
            ParseError::Code => "Choose why you need access from the list.".into(),
            ParseError::BreakGlass => {
                "Emergency access is opened by a security admin, not from this form.".into()
            }
            ParseError::EmergencyCode => {
                "Choose why this cannot wait for the owner: a life-safety emergency or a legal request.".into()
            }
            ParseError::ReferenceMissing => {
                "Give the reference it is for: the incident, case or legal order number.".into()
            }
            ParseError::Text => {
                "Explain why you need access, in at most 4,096 characters of plain text.".into()
            }
            ParseError::TicketMissing => {
                "Give the ticket number: the owner asked for help, so the request needs one.".into()
            }
            ParseError::TicketForm => {
                "A ticket number has at most 64 letters, digits and - _ # . / : (no spaces).".into()
            }
            ParseError::Duration(max) => format!("Choose from 1 to {max} minutes."),
        }
    }
}

/// Grant length limits from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct GrantLimits {
    /// Used when a request names none.
    pub default_minutes: i64,
    /// The longest allowed.
    pub max_minutes: i64,
}

/// Whether several-line person-written text meets the one text policy ([`super::text`]).
fn clean_text(s: &str) -> bool {
    super::text::accept(s, super::text::Lines::Many).is_some()
}

/// Parses a mailbox address loosely but safely: one `@`, a dot in the domain, no spaces or
/// control characters. Lower-cased.
pub fn parse_mailbox(s: &str) -> Result<String, ParseError> {
    // The length is counted as sent (surrounding white space included), like the API
    // document's `maxLength`.
    let sent = s.chars().count();
    let s = s.trim();
    let ok = sent <= MAX_ADDRESS_CHARS
        && s.chars().all(|c| c.is_ascii_graphic())
        && matches!(s.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(ParseError::Mailbox)
    }
}

/// Which path a new request comes by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// An agent asks the owner.
    AskTheOwner,
    /// A security admin opens an emergency access (break-glass): no owner's consent, a
    /// second security admin approves.
    Emergency,
}

impl NewAccessRequest {
    /// Validates a submitted request.
    pub fn parse(input: &AccessRequestInput, limits: GrantLimits) -> Result<Self, ParseError> {
        Self::parse_on(input, limits, Path::AskTheOwner)
    }

    /// Validates an emergency access a security admin opens (break-glass): its reason is
    /// `break_glass_emergency` or `legal_request`, it cites a reference (the incident, case
    /// or legal order), and it lasts at most `limits.max_minutes` (the break-glass cap).
    pub fn parse_emergency(
        input: &AccessRequestInput,
        limits: GrantLimits,
    ) -> Result<Self, ParseError> {
        Self::parse_on(input, limits, Path::Emergency)
    }

    fn parse_on(
        input: &AccessRequestInput,
        limits: GrantLimits,
        path: Path,
    ) -> Result<Self, ParseError> {
        let mailbox = parse_mailbox(&input.mailbox)?;
        let mut scopes = Vec::new();
        for s in &input.scopes {
            let scope: Scope = s.parse().map_err(|_| {
                ParseError::Scopes(format!(
                    " (`{}` is not one)",
                    s.chars().take(32).collect::<String>()
                ))
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(ParseError::Scopes(String::new()));
        }
        scopes.sort();
        let justification_code: JustificationCode = input
            .justification_code
            .parse()
            .map_err(|_| ParseError::Code)?;
        match path {
            Path::AskTheOwner if justification_code == JustificationCode::BreakGlassEmergency => {
                return Err(ParseError::BreakGlass)
            }
            Path::Emergency
                if !matches!(
                    justification_code,
                    JustificationCode::BreakGlassEmergency | JustificationCode::LegalRequest
                ) =>
            {
                return Err(ParseError::EmergencyCode)
            }
            _ => {}
        }
        // Counted as sent, like the API document's `maxLength`.
        let text = input.justification_text.trim();
        if text.is_empty()
            || input.justification_text.chars().count() > MAX_JUSTIFICATION_CHARS
            || !clean_text(&input.justification_text)
        {
            return Err(ParseError::Text);
        }
        let ticket = match input
            .ticket
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t)
                if t.chars().count() > MAX_TICKET_CHARS
                    || !t
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_#./:".contains(c)) =>
            {
                return Err(ParseError::TicketForm)
            }
            Some(t) => Some(t.to_string()),
            None if path == Path::Emergency => return Err(ParseError::ReferenceMissing),
            None if justification_code == JustificationCode::CustomerInitiatedSupport => {
                return Err(ParseError::TicketMissing)
            }
            None => None,
        };
        let duration_minutes = input.duration_minutes.unwrap_or(limits.default_minutes);
        if !(1..=limits.max_minutes).contains(&duration_minutes) {
            return Err(ParseError::Duration(limits.max_minutes));
        }
        Ok(NewAccessRequest {
            mailbox,
            scopes,
            justification_code,
            justification_text: text.to_string(),
            ticket,
            duration_minutes,
        })
    }
}

/// What the state machine needs to know about a stored request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFacts {
    /// Stored status.
    pub status: Status,
    /// The owner of the mailbox.
    pub owner_id: OwnerId,
    /// The owner's contact address (to tell an owner from the agent).
    pub owner_email: String,
    /// The requesting agent.
    pub agent_id: StaffId,
    /// The agent's work address.
    pub agent_email: String,
    /// Pending until.
    pub expires_at: OffsetDateTime,
    /// Grant length asked for.
    pub duration_minutes: i64,
    /// The scopes asked for (once approved: granted).
    pub scopes: Vec<Scope>,
    /// Grant window, once approved.
    pub grant_starts_at: Option<OffsetDateTime>,
    /// Grant end, once approved.
    pub grant_ends_at: Option<OffsetDateTime>,
    /// An emergency access (break-glass): the owner is not asked and cannot decide it.
    pub break_glass: bool,
    /// The security admin who opened it (break-glass only).
    pub opened_by: Option<StaffId>,
}

/// The status once time is taken into account.
pub fn effective_status(
    status: Status,
    expires_at: OffsetDateTime,
    grant_ends_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Status {
    match status {
        Status::Pending if now >= expires_at => Status::Expired,
        Status::Approved if grant_ends_at.is_none_or(|end| now >= end) => Status::Ended,
        other => other,
    }
}

/// Who acts on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The mailbox owner, signed in.
    Owner(OwnerId),
    /// A staff member (signed in, or named by the mail system with a service token).
    Staff(StaffId),
    /// Glassbox itself (expiry, end of grants).
    System,
    /// A security admin acting on an incident (or any future measure of the security team):
    /// may withdraw any open request or grant of the staff member concerned.
    Security,
    /// A security admin acting in their own name on an emergency access (break-glass): the
    /// second admin who approves or refuses it, the opener who cancels it, any admin who
    /// ends it.
    Admin(StaffId),
}

/// What someone wants to do to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The owner says yes: to all that was asked, or to less ([`Grant`]).
    Approve(Grant),
    /// The owner says no, optionally saying why.
    Deny {
        /// The reason.
        reason: Option<String>,
    },
    /// The agent withdraws a pending request.
    Cancel,
    /// The owner withdraws an approval.
    Revoke,
    /// The agent ends a grant early.
    End,
    /// The owner shortens a grant to end at `until`.
    Shorten {
        /// The new end.
        until: OffsetDateTime,
    },
    /// Time ran out for a pending request.
    Expire,
    /// Time ran out for a grant.
    EndAtTime,
    /// The owner stops everything on their mailbox ("Stop all access"): a live grant is
    /// revoked, a pending request cancelled.
    StopAll,
    /// Glassbox refuses a new request for its owner, by one of the owner's standing rules
    /// (`domain::standing_rules`); the rule in words is the recorded reason.
    RefuseByRule {
        /// The rule, in words.
        reason: String,
    },
    /// The security team withdraws whatever is open: a grant is revoked, a pending request
    /// cancelled, with the reason recorded.
    Withdraw {
        /// Why (shown to the owner).
        reason: String,
    },
    /// A second security admin approves an emergency access (four eyes: never the admin who
    /// opened it, nor the agent who will use it). It starts at once, without the owner.
    ApproveEmergency,
    /// A second security admin refuses an emergency access, saying why.
    RefuseEmergency {
        /// Why (shown to the opener).
        reason: String,
    },
}

/// What an owner allows when approving: all that was asked, or less. `None` keeps what
/// was asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    /// Only these of the asked scopes.
    pub scopes: Option<Vec<Scope>>,
    /// Only this many minutes (at most what was asked).
    pub minutes: Option<i64>,
}

impl Grant {
    /// Everything the agent asked for, for as long as they asked.
    pub const AS_ASKED: Grant = Grant {
        scopes: None,
        minutes: None,
    };
}

/// A change to write: move from `from` to `to`, setting these fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The status the row must still have for the change to apply.
    pub from: Status,
    /// The new status.
    pub to: Status,
    /// `decided_at` to set.
    pub decided_at: Option<OffsetDateTime>,
    /// `decision_reason` to set.
    pub decision_reason: Option<String>,
    /// `grant_starts_at` to set.
    pub grant_starts_at: Option<OffsetDateTime>,
    /// `grant_ends_at` to set.
    pub grant_ends_at: Option<OffsetDateTime>,
    /// `closed_at` to set (final states).
    pub closed_at: Option<OffsetDateTime>,
    /// On an approval of less than was asked: the scopes granted (the asked ones are kept
    /// aside as `asked_scopes`).
    pub narrowed_scopes: Option<Vec<Scope>>,
    /// On an approval: the length of the window granted.
    pub granted_minutes: Option<i64>,
    /// On the approval of an emergency access: the second security admin.
    pub approved_by: Option<StaffId>,
}

/// Why a transition is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The actor may not do this to this request.
    #[error("you may not do this to this request")]
    NotAllowed,
    /// Somebody decided first, or time did.
    #[error("this request was already {}", .0.as_str())]
    AlreadyDecided(Status),
    /// The new end of a grant is not within the current window.
    #[error("the new end must be later than now and earlier than the current end")]
    BadShorten,
    /// The denial reason is too long or holds control characters.
    #[error("the reason must be at most 1000 characters, without control characters")]
    BadReason,
    /// An approval that allows nothing: no scope left ticked.
    #[error("an approval must allow at least one of the asked scopes")]
    NothingGranted,
    /// An approval that allows a scope the agent did not ask for.
    #[error("an approval may only allow scopes that were asked for")]
    MoreThanAsked,
    /// An approval for longer than asked, or for no time at all: 1 to the asked minutes.
    #[error("an approval must last from 1 to {0} minutes")]
    GrantLength(i64),
    /// An emergency access approved by the admin who opened it or the agent who will use it.
    #[error("a second security admin must approve an emergency access: not the one who opened it, nor the one who will use it")]
    SecondAdminNeeded,
    /// The owner acting on an emergency access, which is not theirs to decide.
    #[error("an emergency access is not decided by the owner")]
    NotTheOwners,
}

/// Decides whether `actor` may do `action` to the request at `now`, and what changes.
pub fn transition(
    facts: &RequestFacts,
    actor: Actor,
    action: &Action,
    now: OffsetDateTime,
) -> Result<Change, TransitionError> {
    let current = effective_status(facts.status, facts.expires_at, facts.grant_ends_at, now);
    let is_owner = matches!(actor, Actor::Owner(o) if o == facts.owner_id);
    let is_agent = matches!(actor, Actor::Staff(s) if s == facts.agent_id);
    let base = Change {
        from: facts.status,
        to: facts.status,
        decided_at: None,
        decision_reason: None,
        grant_starts_at: None,
        grant_ends_at: None,
        closed_at: None,
        narrowed_scopes: None,
        granted_minutes: None,
        approved_by: None,
    };
    let require = |allowed: bool| {
        if allowed {
            Ok(())
        } else {
            Err(TransitionError::NotAllowed)
        }
    };
    let require_state = |wanted: Status| {
        if current == wanted {
            Ok(())
        } else {
            Err(TransitionError::AlreadyDecided(current))
        }
    };
    // An emergency access is not the owner's to decide, nor an ordinary request a security
    // admin's: each path has its own actions.
    let owners = matches!(
        action,
        Action::Approve(_)
            | Action::Deny { .. }
            | Action::Revoke
            | Action::Shorten { .. }
            | Action::StopAll
    );
    if facts.break_glass && owners {
        return Err(if is_owner {
            TransitionError::NotTheOwners
        } else {
            TransitionError::NotAllowed
        });
    }
    let admin = match actor {
        Actor::Admin(a) if facts.break_glass => Some(a),
        _ => None,
    };
    match action {
        Action::ApproveEmergency => {
            let by = admin.ok_or(TransitionError::NotAllowed)?;
            if Some(by) == facts.opened_by || by == facts.agent_id {
                return Err(TransitionError::SecondAdminNeeded);
            }
            require_state(Status::Pending)?;
            Ok(Change {
                to: Status::Approved,
                decided_at: Some(now),
                grant_starts_at: Some(now),
                grant_ends_at: Some(now + Duration::minutes(facts.duration_minutes)),
                granted_minutes: Some(facts.duration_minutes),
                approved_by: Some(by),
                ..base
            })
        }
        Action::RefuseEmergency { reason } => {
            let by = admin.ok_or(TransitionError::NotAllowed)?;
            if Some(by) == facts.opened_by {
                // The opener withdraws it instead (Cancel): a refusal is the second admin's.
                return Err(TransitionError::SecondAdminNeeded);
            }
            require_state(Status::Pending)?;
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS || !clean_text(reason)
            {
                return Err(TransitionError::BadReason);
            }
            Ok(Change {
                to: Status::Denied,
                decided_at: Some(now),
                decision_reason: Some(reason.to_string()),
                closed_at: Some(now),
                ..base
            })
        }
        Action::Approve(grant) => {
            require(is_owner)?;
            // Nobody approves their own request, even someone who is both owner and agent.
            require(!facts.owner_email.eq_ignore_ascii_case(&facts.agent_email))?;
            require_state(Status::Pending)?;
            let minutes = grant.minutes.unwrap_or(facts.duration_minutes);
            if !(1..=facts.duration_minutes).contains(&minutes) {
                return Err(TransitionError::GrantLength(facts.duration_minutes));
            }
            let narrowed_scopes = match &grant.scopes {
                None => None,
                Some(chosen) => {
                    if chosen.iter().any(|s| !facts.scopes.contains(s)) {
                        return Err(TransitionError::MoreThanAsked);
                    }
                    // Kept in the asked order, without duplicates; all of them is as asked.
                    let granted: Vec<Scope> = facts
                        .scopes
                        .iter()
                        .copied()
                        .filter(|s| chosen.contains(s))
                        .collect();
                    if granted.is_empty() {
                        return Err(TransitionError::NothingGranted);
                    }
                    (granted.len() < facts.scopes.len()).then_some(granted)
                }
            };
            Ok(Change {
                to: Status::Approved,
                decided_at: Some(now),
                grant_starts_at: Some(now),
                grant_ends_at: Some(now + Duration::minutes(minutes)),
                narrowed_scopes,
                granted_minutes: Some(minutes),
                ..base
            })
        }
        Action::Deny { reason } => {
            require(is_owner)?;
            require_state(Status::Pending)?;
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS || !clean_text(r)) {
                return Err(TransitionError::BadReason);
            }
            Ok(Change {
                to: Status::Denied,
                decided_at: Some(now),
                decision_reason: reason.map(str::to_string),
                closed_at: Some(now),
                ..base
            })
        }
        Action::RefuseByRule { reason } => {
            require(actor == Actor::System)?;
            require_state(Status::Pending)?;
            Ok(Change {
                to: Status::Denied,
                decided_at: Some(now),
                decision_reason: Some(reason.clone()),
                closed_at: Some(now),
                ..base
            })
        }
        Action::Cancel => {
            require(is_agent || (admin.is_some() && admin == facts.opened_by))?;
            require_state(Status::Pending)?;
            Ok(Change {
                to: Status::Cancelled,
                closed_at: Some(now),
                ..base
            })
        }
        Action::Revoke => {
            require(is_owner)?;
            require_state(Status::Approved)?;
            Ok(Change {
                to: Status::Revoked,
                closed_at: Some(now),
                ..base
            })
        }
        Action::End => {
            require(is_agent)?;
            require_state(Status::Approved)?;
            Ok(Change {
                to: Status::Ended,
                grant_ends_at: Some(now),
                closed_at: Some(now),
                ..base
            })
        }
        Action::Shorten { until } => {
            require(is_owner)?;
            require_state(Status::Approved)?;
            if *until <= now || facts.grant_ends_at.is_none_or(|end| *until >= end) {
                return Err(TransitionError::BadShorten);
            }
            Ok(Change {
                to: Status::Approved,
                grant_ends_at: Some(*until),
                ..base
            })
        }
        Action::Expire => {
            require(actor == Actor::System)?;
            require_state(Status::Expired)?;
            if facts.status != Status::Pending {
                return Err(TransitionError::AlreadyDecided(facts.status));
            }
            Ok(Change {
                to: Status::Expired,
                closed_at: Some(facts.expires_at),
                ..base
            })
        }
        Action::StopAll => {
            require(is_owner)?;
            let to = match current {
                Status::Approved => Status::Revoked,
                Status::Pending => Status::Cancelled,
                other => return Err(TransitionError::AlreadyDecided(other)),
            };
            Ok(Change {
                to,
                closed_at: Some(now),
                ..base
            })
        }
        Action::Withdraw { reason } => {
            require(actor == Actor::Security || admin.is_some())?;
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS || !clean_text(reason)
            {
                return Err(TransitionError::BadReason);
            }
            let to = match current {
                Status::Approved => Status::Revoked,
                Status::Pending => Status::Cancelled,
                other => return Err(TransitionError::AlreadyDecided(other)),
            };
            Ok(Change {
                to,
                decision_reason: Some(reason.to_string()),
                closed_at: Some(now),
                ..base
            })
        }
        Action::EndAtTime => {
            require(actor == Actor::System)?;
            require_state(Status::Ended)?;
            if facts.status != Status::Approved {
                return Err(TransitionError::AlreadyDecided(facts.status));
            }
            Ok(Change {
                to: Status::Ended,
                closed_at: facts.grant_ends_at,
                ..base
            })
        }
    }
}

/// Whether a grant allows an access in `scope` at `now`: approved, inside its window, and
/// covering the scope. The one rule every `check` answer comes from.
pub fn grant_allows(
    status: Status,
    scopes: &[Scope],
    grant_starts_at: Option<OffsetDateTime>,
    grant_ends_at: Option<OffsetDateTime>,
    scope: Scope,
    now: OffsetDateTime,
) -> bool {
    status == Status::Approved
        && grant_starts_at.is_some_and(|start| start <= now)
        && grant_ends_at.is_some_and(|end| now < end)
        && scopes.contains(&scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);
    const LIMITS: GrantLimits = GrantLimits {
        default_minutes: 60,
        max_minutes: 480,
    };

    fn owner() -> OwnerId {
        OwnerId(uuid::Uuid::from_u128(1))
    }
    fn agent() -> StaffId {
        StaffId(uuid::Uuid::from_u128(2))
    }
    fn pending() -> RequestFacts {
        RequestFacts {
            status: Status::Pending,
            owner_id: owner(),
            owner_email: "alice@example.org".into(),
            agent_id: agent(),
            agent_email: "sam@staff.example.org".into(),
            expires_at: T0 + Duration::hours(24),
            duration_minutes: 60,
            scopes: vec![Scope::Metadata, Scope::Content],
            grant_starts_at: None,
            grant_ends_at: None,
            break_glass: false,
            opened_by: None,
        }
    }
    fn apply(facts: &mut RequestFacts, c: &Change) {
        facts.status = c.to;
        if c.grant_starts_at.is_some() {
            facts.grant_starts_at = c.grant_starts_at;
        }
        if c.grant_ends_at.is_some() {
            facts.grant_ends_at = c.grant_ends_at;
        }
        if let Some(granted) = &c.narrowed_scopes {
            facts.scopes = granted.clone();
        }
    }
    fn approved() -> RequestFacts {
        let mut f = pending();
        let c = transition(
            &f,
            Actor::Owner(owner()),
            &Action::Approve(Grant::AS_ASKED),
            T0,
        )
        .unwrap();
        apply(&mut f, &c);
        f
    }
    fn input() -> AccessRequestInput {
        AccessRequestInput {
            mailbox: "Alice@Example.org".into(),
            scopes: vec!["content".into(), "metadata".into(), "content".into()],
            justification_code: "customer_initiated_support".into(),
            justification_text: "  You asked us to restore a folder ".into(),
            ticket: Some("T-123".into()),
            duration_minutes: None,
        }
    }

    fn opener() -> StaffId {
        StaffId(uuid::Uuid::from_u128(3))
    }
    fn second_admin() -> StaffId {
        StaffId(uuid::Uuid::from_u128(4))
    }
    /// An emergency access opened by `opener()` for `agent()` to use.
    fn emergency() -> RequestFacts {
        RequestFacts {
            break_glass: true,
            opened_by: Some(opener()),
            ..pending()
        }
    }
    fn emergency_input() -> AccessRequestInput {
        AccessRequestInput {
            justification_code: "break_glass_emergency".into(),
            justification_text: "A life is at risk: the police asked for the last sign-in".into(),
            ticket: Some("INC-77".into()),
            duration_minutes: Some(240),
            ..input()
        }
    }
    const CAP: GrantLimits = GrantLimits {
        default_minutes: 60,
        max_minutes: 240,
    };

    #[test]
    fn an_emergency_access_is_for_an_emergency_or_a_legal_request_and_cites_a_reference() {
        assert!(NewAccessRequest::parse_emergency(&emergency_input(), CAP).is_ok());
        let legal = AccessRequestInput {
            justification_code: "legal_request".into(),
            ..emergency_input()
        };
        assert!(NewAccessRequest::parse_emergency(&legal, CAP).is_ok());
        let support = AccessRequestInput {
            justification_code: "customer_initiated_support".into(),
            ..emergency_input()
        };
        assert_eq!(
            NewAccessRequest::parse_emergency(&support, CAP),
            Err(ParseError::EmergencyCode)
        );
        let unreferenced = AccessRequestInput {
            ticket: None,
            ..emergency_input()
        };
        assert_eq!(
            NewAccessRequest::parse_emergency(&unreferenced, CAP),
            Err(ParseError::ReferenceMissing)
        );
        let too_long = AccessRequestInput {
            duration_minutes: Some(241),
            ..emergency_input()
        };
        assert_eq!(
            NewAccessRequest::parse_emergency(&too_long, CAP),
            Err(ParseError::Duration(240)),
            "the break-glass cap"
        );
        assert_eq!(
            NewAccessRequest::parse(&emergency_input(), LIMITS),
            Err(ParseError::BreakGlass),
            "never through the ordinary form"
        );
    }

    #[test]
    fn a_second_security_admin_approves_an_emergency_access_and_it_starts_at_once() {
        let c = transition(
            &emergency(),
            Actor::Admin(second_admin()),
            &Action::ApproveEmergency,
            T0,
        )
        .unwrap();
        assert_eq!(c.to, Status::Approved);
        assert_eq!(c.approved_by, Some(second_admin()));
        assert_eq!(c.grant_starts_at, Some(T0));
        assert_eq!(c.grant_ends_at, Some(T0 + Duration::minutes(60)));
    }

    #[test]
    fn neither_the_opener_nor_the_agent_who_will_use_it_approves_an_emergency_access() {
        for who in [opener(), agent()] {
            assert_eq!(
                transition(
                    &emergency(),
                    Actor::Admin(who),
                    &Action::ApproveEmergency,
                    T0
                ),
                Err(TransitionError::SecondAdminNeeded),
                "{who:?}"
            );
        }
        let refuse = Action::RefuseEmergency {
            reason: "No case number".into(),
        };
        assert_eq!(
            transition(&emergency(), Actor::Admin(opener()), &refuse, T0),
            Err(TransitionError::SecondAdminNeeded),
            "the opener cancels instead"
        );
        assert_eq!(
            transition(&emergency(), Actor::Admin(opener()), &Action::Cancel, T0)
                .unwrap()
                .to,
            Status::Cancelled
        );
    }

    #[test]
    fn the_owner_cannot_decide_an_emergency_access_nor_an_admin_an_ordinary_request() {
        let mut live = emergency();
        apply(
            &mut live,
            &transition(
                &emergency(),
                Actor::Admin(second_admin()),
                &Action::ApproveEmergency,
                T0,
            )
            .unwrap(),
        );
        let o = Actor::Owner(owner());
        assert_eq!(
            transition(&emergency(), o, &Action::Approve(Grant::AS_ASKED), T0),
            Err(TransitionError::NotTheOwners)
        );
        assert_eq!(
            transition(&emergency(), o, &Action::Deny { reason: None }, T0),
            Err(TransitionError::NotTheOwners)
        );
        for action in [Action::Revoke, Action::StopAll] {
            assert_eq!(
                transition(&live, o, &action, T0),
                Err(TransitionError::NotTheOwners),
                "{action:?}"
            );
        }
        // An ordinary request is the owner's alone.
        assert_eq!(
            transition(
                &pending(),
                Actor::Admin(second_admin()),
                &Action::ApproveEmergency,
                T0
            ),
            Err(TransitionError::NotAllowed)
        );
        // Any security admin may end an emergency access early.
        let end = Action::Withdraw {
            reason: "The emergency is over".into(),
        };
        assert_eq!(
            transition(
                &live,
                Actor::Admin(opener()),
                &end,
                T0 + Duration::minutes(5)
            )
            .unwrap()
            .to,
            Status::Revoked
        );
    }

    #[test]
    fn a_valid_request_is_normalised() {
        let r = NewAccessRequest::parse(&input(), LIMITS).unwrap();
        assert_eq!(r.mailbox, "alice@example.org");
        assert_eq!(r.scopes, vec![Scope::Metadata, Scope::Content]);
        assert_eq!(r.justification_text, "You asked us to restore a folder");
        assert_eq!(r.duration_minutes, 60, "the configured default");
    }

    #[test]
    fn customer_initiated_support_needs_a_ticket() {
        let mut i = input();
        i.ticket = None;
        assert_eq!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::TicketMissing)
        );
        i.ticket = Some("T 1".into());
        assert_eq!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::TicketForm)
        );
        i.ticket = None;
        i.justification_code = "service_maintenance".into();
        assert!(NewAccessRequest::parse(&i, LIMITS).is_ok());
    }

    #[test]
    fn every_refusal_names_its_field_in_plain_words_for_the_form() {
        for (e, field) in [
            (ParseError::Mailbox, RequestField::Mailbox),
            (ParseError::Scopes(String::new()), RequestField::Scopes),
            (ParseError::Code, RequestField::Code),
            (ParseError::BreakGlass, RequestField::Code),
            (ParseError::EmergencyCode, RequestField::Code),
            (ParseError::ReferenceMissing, RequestField::Ticket),
            (ParseError::Text, RequestField::Text),
            (ParseError::TicketMissing, RequestField::Ticket),
            (ParseError::TicketForm, RequestField::Ticket),
            (ParseError::Duration(480), RequestField::Duration),
        ] {
            assert_eq!(e.field(), field, "{e:?}");
            let words = e.plain_words();
            assert!(
                !words.contains('`')
                    && !words.contains("justification")
                    && !words.contains("_minutes")
                    && !words.contains("_support"),
                "no API wording: {words}"
            );
            assert!(words.ends_with('.'), "{words}");
        }
        assert!(ParseError::Duration(59).plain_words().contains("59"));
    }

    #[test]
    fn oversized_or_hidden_text_is_refused() {
        let mut i = input();
        i.justification_text = "x".repeat(MAX_JUSTIFICATION_CHARS + 1);
        assert_eq!(NewAccessRequest::parse(&i, LIMITS), Err(ParseError::Text));
        i.justification_text = "looks fine\u{202E}txt.exe".into();
        assert_eq!(NewAccessRequest::parse(&i, LIMITS), Err(ParseError::Text));
        i.justification_text = "nul\0byte".into();
        assert_eq!(NewAccessRequest::parse(&i, LIMITS), Err(ParseError::Text));
        i.justification_text = "   ".into();
        assert_eq!(NewAccessRequest::parse(&i, LIMITS), Err(ParseError::Text));
    }

    #[test]
    fn unknown_scopes_codes_and_durations_are_refused() {
        let mut i = input();
        i.scopes = vec!["everything".into()];
        assert!(matches!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::Scopes(_))
        ));
        i.scopes = vec![];
        assert!(matches!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::Scopes(_))
        ));
        let mut i = input();
        i.justification_code = "because".into();
        assert_eq!(NewAccessRequest::parse(&i, LIMITS), Err(ParseError::Code));
        i.justification_code = "break_glass_emergency".into();
        assert_eq!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::BreakGlass)
        );
        let mut i = input();
        i.duration_minutes = Some(481);
        assert_eq!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::Duration(480))
        );
        i.duration_minutes = Some(0);
        assert_eq!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::Duration(480))
        );
    }

    #[test]
    fn bad_mailboxes_and_tickets_are_refused() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.org",
            "a b@example.org",
            "a@b@c.org",
            "alice@localhost",
            "x\r\n@e.org",
        ] {
            assert_eq!(parse_mailbox(bad), Err(ParseError::Mailbox), "{bad:?}");
        }
        let mut i = input();
        i.ticket = Some("T-1\r\nBcc: evil@example.org".into());
        assert_eq!(
            NewAccessRequest::parse(&i, LIMITS),
            Err(ParseError::TicketForm)
        );
    }

    #[test]
    fn the_owner_approves_a_pending_request_and_the_grant_starts_now() {
        let c = transition(
            &pending(),
            Actor::Owner(owner()),
            &Action::Approve(Grant::AS_ASKED),
            T0,
        )
        .unwrap();
        assert_eq!((c.from, c.to), (Status::Pending, Status::Approved));
        assert_eq!(c.grant_starts_at, Some(T0));
        assert_eq!(c.grant_ends_at, Some(T0 + Duration::minutes(60)));
    }

    #[test]
    fn an_agent_cannot_approve() {
        assert_eq!(
            transition(
                &pending(),
                Actor::Staff(agent()),
                &Action::Approve(Grant::AS_ASKED),
                T0
            ),
            Err(TransitionError::NotAllowed)
        );
    }

    #[test]
    fn another_owner_cannot_approve_deny_or_revoke() {
        let stranger = Actor::Owner(OwnerId(uuid::Uuid::from_u128(99)));
        assert_eq!(
            transition(&pending(), stranger, &Action::Approve(Grant::AS_ASKED), T0),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            transition(&pending(), stranger, &Action::Deny { reason: None }, T0),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            transition(&approved(), stranger, &Action::Revoke, T0),
            Err(TransitionError::NotAllowed)
        );
    }

    #[test]
    fn nobody_approves_their_own_request() {
        let mut f = pending();
        f.agent_email = "ALICE@example.org".into();
        assert_eq!(
            transition(
                &f,
                Actor::Owner(owner()),
                &Action::Approve(Grant::AS_ASKED),
                T0
            ),
            Err(TransitionError::NotAllowed)
        );
    }

    #[test]
    fn a_denied_request_cannot_be_approved() {
        let mut f = pending();
        let c = transition(
            &f,
            Actor::Owner(owner()),
            &Action::Deny {
                reason: Some("no".into()),
            },
            T0,
        )
        .unwrap();
        assert_eq!(c.decision_reason.as_deref(), Some("no"));
        apply(&mut f, &c);
        assert_eq!(
            transition(
                &f,
                Actor::Owner(owner()),
                &Action::Approve(Grant::AS_ASKED),
                T0
            ),
            Err(TransitionError::AlreadyDecided(Status::Denied))
        );
    }

    #[test]
    fn a_pending_request_past_its_expiry_is_expired_and_cannot_be_approved() {
        let at = T0 + Duration::hours(24);
        assert_eq!(
            transition(
                &pending(),
                Actor::Owner(owner()),
                &Action::Approve(Grant::AS_ASKED),
                at
            ),
            Err(TransitionError::AlreadyDecided(Status::Expired))
        );
        let c = transition(&pending(), Actor::System, &Action::Expire, at).unwrap();
        assert_eq!(c.to, Status::Expired);
        assert_eq!(
            transition(
                &pending(),
                Actor::System,
                &Action::Expire,
                at - Duration::seconds(1)
            ),
            Err(TransitionError::AlreadyDecided(Status::Pending))
        );
    }

    #[test]
    fn only_the_requesting_agent_cancels_and_only_while_pending() {
        assert_eq!(
            transition(&pending(), Actor::Staff(agent()), &Action::Cancel, T0)
                .unwrap()
                .to,
            Status::Cancelled
        );
        assert_eq!(
            transition(
                &pending(),
                Actor::Staff(StaffId(uuid::Uuid::from_u128(3))),
                &Action::Cancel,
                T0
            ),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            transition(&pending(), Actor::Owner(owner()), &Action::Cancel, T0),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            transition(&approved(), Actor::Staff(agent()), &Action::Cancel, T0),
            Err(TransitionError::AlreadyDecided(Status::Approved))
        );
    }

    #[test]
    fn stop_all_revokes_a_grant_and_cancels_a_pending_request_for_their_owner_only() {
        let at = T0 + Duration::minutes(5);
        let owner = Actor::Owner(owner());
        let revoked = transition(&approved(), owner, &Action::StopAll, at).unwrap();
        assert_eq!(
            (revoked.from, revoked.to),
            (Status::Approved, Status::Revoked)
        );
        let cancelled = transition(&pending(), owner, &Action::StopAll, at).unwrap();
        assert_eq!(
            (cancelled.from, cancelled.to),
            (Status::Pending, Status::Cancelled)
        );
        let stranger = Actor::Owner(OwnerId(uuid::Uuid::from_u128(99)));
        for actor in [stranger, Actor::Staff(agent()), Actor::System] {
            assert_eq!(
                transition(&approved(), actor, &Action::StopAll, at),
                Err(TransitionError::NotAllowed)
            );
        }
        assert_eq!(
            transition(
                &approved(),
                owner,
                &Action::StopAll,
                T0 + Duration::minutes(60)
            ),
            Err(TransitionError::AlreadyDecided(Status::Ended))
        );
    }

    #[test]
    fn the_owner_revokes_a_live_grant() {
        let c = transition(
            &approved(),
            Actor::Owner(owner()),
            &Action::Revoke,
            T0 + Duration::minutes(5),
        )
        .unwrap();
        assert_eq!((c.from, c.to), (Status::Approved, Status::Revoked));
        assert_eq!(
            transition(&pending(), Actor::Owner(owner()), &Action::Revoke, T0),
            Err(TransitionError::AlreadyDecided(Status::Pending))
        );
    }

    #[test]
    fn a_grant_past_its_end_is_ended_and_cannot_be_revoked() {
        let after = T0 + Duration::minutes(60);
        assert_eq!(
            transition(&approved(), Actor::Owner(owner()), &Action::Revoke, after),
            Err(TransitionError::AlreadyDecided(Status::Ended))
        );
        assert_eq!(
            transition(&approved(), Actor::System, &Action::EndAtTime, after)
                .unwrap()
                .to,
            Status::Ended
        );
        assert!(transition(
            &approved(),
            Actor::System,
            &Action::EndAtTime,
            after - Duration::seconds(1)
        )
        .is_err());
    }

    #[test]
    fn the_security_team_withdraws_a_grant_as_a_revocation_with_its_reason() {
        let at = T0 + Duration::minutes(10);
        let withdraw = Action::Withdraw {
            reason: "Withdrawn during an incident".into(),
        };
        let c = transition(&approved(), Actor::Security, &withdraw, at).unwrap();
        assert_eq!((c.from, c.to), (Status::Approved, Status::Revoked));
        assert_eq!(
            c.decision_reason.as_deref(),
            Some("Withdrawn during an incident")
        );
        assert_eq!(c.closed_at, Some(at));
    }

    #[test]
    fn the_security_team_withdraws_a_pending_request_as_a_cancellation() {
        let withdraw = Action::Withdraw {
            reason: "Withdrawn during an incident".into(),
        };
        let c = transition(&pending(), Actor::Security, &withdraw, T0).unwrap();
        assert_eq!((c.from, c.to), (Status::Pending, Status::Cancelled));
    }

    #[test]
    fn only_the_security_team_withdraws_and_never_a_closed_request() {
        let withdraw = Action::Withdraw { reason: "x".into() };
        for actor in [Actor::Owner(owner()), Actor::Staff(agent()), Actor::System] {
            assert_eq!(
                transition(&approved(), actor, &withdraw, T0),
                Err(TransitionError::NotAllowed)
            );
        }
        let mut ended = approved();
        ended.status = Status::Ended;
        assert_eq!(
            transition(&ended, Actor::Security, &withdraw, T0),
            Err(TransitionError::AlreadyDecided(Status::Ended))
        );
        let empty = Action::Withdraw {
            reason: "  ".into(),
        };
        assert_eq!(
            transition(&approved(), Actor::Security, &empty, T0),
            Err(TransitionError::BadReason)
        );
    }

    #[test]
    fn the_agent_ends_a_grant_early() {
        let at = T0 + Duration::minutes(10);
        let c = transition(&approved(), Actor::Staff(agent()), &Action::End, at).unwrap();
        assert_eq!(c.to, Status::Ended);
        assert_eq!(c.grant_ends_at, Some(at));
    }

    #[test]
    fn the_owner_shortens_but_never_lengthens_a_grant() {
        let f = approved();
        let at = T0 + Duration::minutes(10);
        let c = transition(
            &f,
            Actor::Owner(owner()),
            &Action::Shorten {
                until: T0 + Duration::minutes(20),
            },
            at,
        )
        .unwrap();
        assert_eq!(
            (c.to, c.grant_ends_at),
            (Status::Approved, Some(T0 + Duration::minutes(20)))
        );
        for bad in [
            T0 + Duration::minutes(60),
            T0 + Duration::minutes(90),
            at,
            at - Duration::minutes(1),
        ] {
            assert_eq!(
                transition(
                    &f,
                    Actor::Owner(owner()),
                    &Action::Shorten { until: bad },
                    at
                ),
                Err(TransitionError::BadShorten),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_grant_allows_only_its_scopes_inside_its_window() {
        let start = Some(T0);
        let end = Some(T0 + Duration::minutes(60));
        let scopes = [Scope::Metadata];
        assert!(grant_allows(
            Status::Approved,
            &scopes,
            start,
            end,
            Scope::Metadata,
            T0
        ));
        assert!(!grant_allows(
            Status::Approved,
            &scopes,
            start,
            end,
            Scope::Content,
            T0
        ));
        assert!(!grant_allows(
            Status::Approved,
            &scopes,
            start,
            end,
            Scope::Metadata,
            T0 + Duration::minutes(60)
        ));
        assert!(!grant_allows(
            Status::Approved,
            &scopes,
            start,
            end,
            Scope::Metadata,
            T0 - Duration::seconds(1)
        ));
        for s in [
            Status::Pending,
            Status::Denied,
            Status::Revoked,
            Status::Ended,
            Status::Expired,
            Status::Cancelled,
        ] {
            assert!(
                !grant_allows(s, &scopes, start, end, Scope::Metadata, T0),
                "{s}"
            );
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Act(u8),
        Wait(i64),
        Check(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..10).prop_map(Op::Act),
            (0i64..200).prop_map(Op::Wait),
            (0u8..4).prop_map(Op::Check)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// No sequence of decisions, cancellations, revocations, expiries and waiting ever
        /// yields `allow` unless the owner approved, nobody revoked or ended it, the window
        /// is still open and the scope was granted.
        #[test]
        fn no_sequence_of_operations_allows_access_without_a_live_approved_grant(ops in proptest::collection::vec(op(), 1..40)) {
            let mut facts = pending();
            facts.expires_at = T0 + Duration::minutes(300);
            let granted = [Scope::Metadata, Scope::Content];
            let mut now = T0;
            // The independent model: when the owner approved, and whether the grant was cut.
            let mut approved_at: Option<OffsetDateTime> = None;
            let mut cut_at: Option<OffsetDateTime> = None;
            for op in ops {
                match op {
                    Op::Wait(m) => now += Duration::minutes(m),
                    Op::Act(a) => {
                        let (actor, action) = match a {
                            0 => (Actor::Owner(owner()), Action::Approve(Grant::AS_ASKED)),
                            1 => (Actor::Owner(owner()), Action::Deny { reason: None }),
                            2 => (Actor::Staff(agent()), Action::Cancel),
                            3 => (Actor::Owner(owner()), Action::Revoke),
                            4 => (Actor::Staff(agent()), Action::End),
                            5 => (Actor::System, Action::Expire),
                            6 => (Actor::System, Action::EndAtTime),
                            7 => (Actor::Staff(agent()), Action::Approve(Grant::AS_ASKED)),
                            8 => (Actor::Security, Action::Withdraw { reason: "incident".into() }),
                            _ => (Actor::Owner(owner()), Action::Shorten { until: now + Duration::minutes(5) }),
                        };
                        if let Ok(change) = transition(&facts, actor, &action, now) {
                            match action {
                                Action::Approve(_) => approved_at = Some(now),
                                Action::Revoke | Action::End | Action::Withdraw { .. } => cut_at = Some(now),
                                Action::Shorten { until } => cut_at = Some(cut_at.map_or(until, |c| c.min(until))),
                                _ => {}
                            }
                            apply(&mut facts, &change);
                        }
                    }
                    Op::Check(s) => {
                        let scope = Scope::ALL[usize::from(s) % Scope::ALL.len()];
                        let allowed = grant_allows(facts.status, &granted, facts.grant_starts_at, facts.grant_ends_at, scope, now);
                        let live = approved_at.is_some_and(|at| {
                            now >= at
                                && now < at + Duration::minutes(facts.duration_minutes)
                                && cut_at.is_none_or(|c| now < c)
                                && at < facts.expires_at
                        }) && granted.contains(&scope);
                        prop_assert!(!allowed || live, "allowed without a live approved grant at {now}: {facts:?}");
                        prop_assert!(allowed || !live, "denied although the grant is live at {now}: {facts:?}");
                    }
                }
            }
        }
    }

    fn approve_only(scopes: Option<Vec<Scope>>, minutes: Option<i64>) -> Action {
        Action::Approve(Grant { scopes, minutes })
    }

    #[test]
    fn an_owner_may_allow_fewer_scopes_and_a_shorter_time_than_asked() {
        let c = transition(
            &pending(),
            Actor::Owner(owner()),
            &approve_only(Some(vec![Scope::Metadata]), Some(15)),
            T0,
        )
        .unwrap();
        assert_eq!(c.to, Status::Approved);
        assert_eq!(c.narrowed_scopes, Some(vec![Scope::Metadata]));
        assert_eq!(c.granted_minutes, Some(15));
        assert_eq!(c.grant_ends_at, Some(T0 + Duration::minutes(15)));
    }

    #[test]
    fn approving_as_asked_narrows_nothing_and_grants_the_asked_length() {
        for action in [
            Action::Approve(Grant::AS_ASKED),
            approve_only(
                Some(vec![Scope::Content, Scope::Metadata, Scope::Content]),
                Some(60),
            ),
        ] {
            let c = transition(&pending(), Actor::Owner(owner()), &action, T0).unwrap();
            assert_eq!(c.narrowed_scopes, None);
            assert_eq!(c.granted_minutes, Some(60));
            assert_eq!(c.grant_ends_at, Some(T0 + Duration::minutes(60)));
        }
    }

    #[test]
    fn an_approval_never_allows_more_than_asked_nor_nothing() {
        let owner = Actor::Owner(owner());
        assert_eq!(
            transition(
                &pending(),
                owner,
                &approve_only(Some(vec![Scope::Settings]), None),
                T0
            ),
            Err(TransitionError::MoreThanAsked)
        );
        assert_eq!(
            transition(&pending(), owner, &approve_only(Some(vec![]), None), T0),
            Err(TransitionError::NothingGranted)
        );
        for minutes in [0, -5, 61, i64::MAX] {
            assert_eq!(
                transition(&pending(), owner, &approve_only(None, Some(minutes)), T0),
                Err(TransitionError::GrantLength(60)),
                "{minutes} minutes"
            );
        }
    }
}
