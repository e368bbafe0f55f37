//! Typed notices: one builder per email Glassbox sends, each describing its content as one
//! [`Body`], which [`render`] turns into plain text and accessible HTML. Builders take view
//! types ([`Addressee`], [`RequestFacts`], …) that say what the email is about; callers
//! convert their database rows into them, so a builder can neither query nor depend on a
//! table's shape. Everything that came from a person (justifications, reasons) is escaped
//! in HTML; subjects only hold Glassbox's own words, pseudonyms and addresses.
//!
//! - [`requests`]: a request's life (submitted, approved, denied, expired);
//! - [`access`]: what was done under a grant (first access, revoked, ended, daily digest);
//! - [`changes`]: every other change the owner is told of (expired, withdrawn, shortened,
//!   ending soon, refused attempts);
//! - [`incidents`]: the security incident notice and its follow-ups.

pub mod access;
pub mod changes;
pub mod incidents;
pub mod render;
pub mod reports;
pub mod requests;

use crate::db::outbox::NewOutboxMessage;
use app::components::format::sentence_list;
use app::model::{JustificationCode, Scope, StaffRole};
use time::OffsetDateTime;

/// Which email this is. The names are stored in `outbox.kind` and sent as
/// `X-Glassbox-Notice`: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// To the owner: someone asks for access.
    RequestSubmitted,
    /// To the agent: the owner approved.
    RequestApproved,
    /// To the agent: the owner said no.
    RequestDenied,
    /// To the agent: nobody decided in time.
    RequestExpired,
    /// To the owner: they revoked a grant (with what was accessed).
    GrantRevoked,
    /// To the owner: a grant ended (with what was accessed).
    GrantEnded,
    /// To the owner: the first access under a grant happened.
    FirstAccess,
    /// To the owner: a day's accesses.
    AccessDigest,
    /// To an affected owner: a confirmed security incident touched their mailbox.
    IncidentNotice,
    /// To an affected owner: the security team's update on an incident.
    IncidentFollowUp,
    /// To the owner: nobody decided a request in time.
    OwnerRequestExpired,
    /// To the owner: a pending request was withdrawn.
    RequestWithdrawn,
    /// To the owner: they shortened a grant.
    GrantShortened,
    /// To the agent: the owner shortened their grant.
    GrantShortenedAgent,
    /// To the owner: a grant ends in a few minutes.
    GrantEndingSoon,
    /// To the owner: access attempts were refused (one email per burst).
    AccessRefused,
    /// To each security admin: an owner does not recognise an access or a request.
    OwnerReport,
    /// To the owner, at once: an emergency access (break-glass) to their mailbox started.
    EmergencyAccessOpened,
    /// To the staff member who will use it: a second security admin approved or refused an
    /// emergency access.
    EmergencyAccessDecided,
    /// To the owner, on its release date: the notice of an emergency access held back under
    /// a legal hold, word for word as sealed.
    SealedNoticeReleased,
}

impl NoticeKind {
    /// Every kind, for tests and listings.
    pub const ALL: &'static [NoticeKind] = &[
        Self::RequestSubmitted,
        Self::RequestApproved,
        Self::RequestDenied,
        Self::RequestExpired,
        Self::GrantRevoked,
        Self::GrantEnded,
        Self::FirstAccess,
        Self::AccessDigest,
        Self::IncidentNotice,
        Self::IncidentFollowUp,
        Self::OwnerRequestExpired,
        Self::RequestWithdrawn,
        Self::GrantShortened,
        Self::GrantShortenedAgent,
        Self::GrantEndingSoon,
        Self::AccessRefused,
        Self::OwnerReport,
        Self::EmergencyAccessOpened,
        Self::EmergencyAccessDecided,
        Self::SealedNoticeReleased,
    ];

    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestSubmitted => "request_submitted",
            Self::RequestApproved => "request_approved",
            Self::RequestDenied => "request_denied",
            Self::RequestExpired => "request_expired",
            Self::GrantRevoked => "grant_revoked",
            Self::GrantEnded => "grant_ended",
            Self::FirstAccess => "first_access",
            Self::AccessDigest => "access_digest",
            Self::IncidentNotice => "incident_notice",
            Self::IncidentFollowUp => "incident_follow_up",
            Self::OwnerRequestExpired => "owner_request_expired",
            Self::RequestWithdrawn => "request_withdrawn",
            Self::GrantShortened => "grant_shortened",
            Self::GrantShortenedAgent => "grant_shortened_agent",
            Self::GrantEndingSoon => "grant_ending_soon",
            Self::AccessRefused => "access_refused",
            Self::OwnerReport => "owner_report",
            Self::EmergencyAccessOpened => "emergency_access_opened",
            Self::EmergencyAccessDecided => "emergency_access_decided",
            Self::SealedNoticeReleased => "sealed_notice_released",
        }
    }

    /// What the outbox idempotency key starts with (before `:`). Incident notices and
    /// follow-ups share `incident`, because an incident's progress is counted over the key
    /// range `crate::db::incidents::notice_key_prefix` names; every other kind uses its own
    /// name. Stored in existing rows: never change one.
    fn key_namespace(self) -> &'static str {
        match self {
            Self::IncidentNotice | Self::IncidentFollowUp => "incident",
            other => other.as_str(),
        }
    }
}

/// Whom an email is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addressee {
    /// How the greeting names them.
    pub name: String,
    /// Where it goes.
    pub email: String,
}

/// An access request as its emails describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFacts {
    /// The mailbox it is about.
    pub mailbox: String,
    /// The agent, by pseudonym (never a personal name).
    pub agent_pseudonym: String,
    /// The agent's role.
    pub agent_role: StaffRole,
    /// What the agent could do (once approved: what the owner allowed).
    pub scopes: Vec<Scope>,
    /// What the agent asked for (more than `scopes` when the owner allowed less).
    pub asked_scopes: Vec<Scope>,
    /// Why, as a code.
    pub justification_code: JustificationCode,
    /// Why, in the agent's words.
    pub justification_text: String,
    /// The support ticket, if any.
    pub ticket: Option<String>,
    /// How long a grant lasts, as asked.
    pub duration_minutes: i64,
    /// How long the owner allowed (approved requests).
    pub granted_minutes: Option<i64>,
    /// When a pending request expires.
    pub expires_at: OffsetDateTime,
    /// When a grant ends (approved requests).
    pub grant_ends_at: Option<OffsetDateTime>,
    /// The owner's reason for a denial.
    pub decision_reason: Option<String>,
    /// An emergency access (break-glass): the owner was not asked.
    pub break_glass: bool,
}

impl RequestFacts {
    /// "Agent-7 (Support agent)".
    fn who(&self) -> String {
        format!("{} ({})", self.agent_pseudonym, self.agent_role.label())
    }

    fn why(&self) -> String {
        format!(
            "{}: {}",
            self.justification_code.plain_words(),
            self.justification_text
        )
    }

    fn scopes_in_words(&self) -> String {
        let words: Vec<&str> = self.scopes.iter().map(|s| s.plain_words()).collect();
        sentence_list(&words)
    }

    /// What an approval left out of the ask, in words for the agent: the scopes not
    /// allowed and a shorter time. `None` when the owner allowed all that was asked.
    fn allowed_less(&self) -> Option<String> {
        let left_out: Vec<&str> = self
            .asked_scopes
            .iter()
            .filter(|s| !self.scopes.contains(s))
            .map(|s| s.label())
            .collect();
        let shorter = self.granted_minutes.filter(|m| *m < self.duration_minutes);
        if left_out.is_empty() && shorter.is_none() {
            return None;
        }
        let mut text = "The owner allowed less than you asked.".to_string();
        if !left_out.is_empty() {
            text.push_str(&format!(" Not allowed: {}.", left_out.join(", ")));
        }
        if let Some(m) = shorter {
            text.push_str(&format!(
                " The access lasts {} instead of the {} you asked for.",
                app::components::format::duration_minutes(m),
                app::components::format::duration_minutes(self.duration_minutes)
            ));
        }
        Some(text)
    }
}

/// A labelled link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// What the link does, in words.
    pub label: String,
    /// Where it goes.
    pub url: String,
}

/// A headed part of an email after the facts: paragraphs, then a list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// Its heading.
    pub heading: String,
    /// Paragraphs under the heading.
    pub paragraphs: Vec<String>,
    /// A list after the paragraphs.
    pub items: Vec<String>,
}

/// The content of one email, before rendering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    /// The first line.
    pub greeting: String,
    /// The main heading (also the HTML title).
    pub heading: String,
    /// Paragraphs before the facts.
    pub intro: Vec<String>,
    /// Label → value pairs.
    pub facts: Vec<(String, String)>,
    /// Headed parts after the facts (what was accessed; what to do).
    pub sections: Vec<Section>,
    /// The one thing to do, if any.
    pub action: Option<Link>,
    /// Paragraphs after the action.
    pub outro: Vec<String>,
}

/// A rendered email for one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Which email.
    pub kind: NoticeKind,
    /// Recipient address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Content.
    pub body: Body,
    /// One-click unsubscribe URL (digests).
    pub list_unsubscribe: Option<String>,
}

impl Notice {
    /// The outbox row for this notice. `key` makes it unique within its kind (a second
    /// enqueue with the same key is ignored); `domain` is the right-hand side of its
    /// Message-ID.
    pub fn into_outbox(self, key: String, domain: &str, now: OffsetDateTime) -> NewOutboxMessage {
        let id = uuid::Uuid::now_v7();
        NewOutboxMessage {
            id,
            idempotency_key: format!("{}:{key}", self.kind.key_namespace()),
            message_id: format!("<{}@{domain}>", id.simple()),
            kind: self.kind.as_str().to_string(),
            recipient: self.recipient,
            subject: self.subject,
            body_text: render::render_text(&self.body),
            body_html: render::render_html(&self.body),
            list_unsubscribe: self.list_unsubscribe,
            created_at: now,
        }
    }
}

fn greeting(name: &str) -> String {
    format!("Hello {name},")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_kind_has_a_distinct_stable_name() {
        let names: std::collections::HashSet<_> =
            NoticeKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), NoticeKind::ALL.len());
        assert_eq!(NoticeKind::RequestSubmitted.as_str(), "request_submitted");
        assert_eq!(NoticeKind::IncidentNotice.as_str(), "incident_notice");
        assert_eq!(NoticeKind::IncidentFollowUp.as_str(), "incident_follow_up");
    }

    #[test]
    fn incident_notices_are_keyed_where_the_incident_counts_them() {
        let id = app::model::IncidentId(uuid::Uuid::nil());
        let notice = Notice {
            kind: NoticeKind::IncidentFollowUp,
            recipient: "a@example.org".into(),
            subject: "S".into(),
            body: Body::default(),
            list_unsubscribe: None,
        };
        let row = notice.into_outbox(
            format!("{id}:mailbox:2"),
            "example.org",
            OffsetDateTime::UNIX_EPOCH,
        );
        assert!(row
            .idempotency_key
            .starts_with(&crate::db::incidents::notice_key_prefix(id)));
        assert_eq!(row.kind, "incident_follow_up");
    }

    fn approved(scopes: Vec<Scope>, granted_minutes: i64) -> RequestFacts {
        RequestFacts {
            mailbox: "alice@example.org".into(),
            agent_pseudonym: "Agent-7".into(),
            agent_role: StaffRole::Support,
            scopes,
            asked_scopes: vec![Scope::Metadata, Scope::Content],
            justification_code: JustificationCode::CustomerInitiatedSupport,
            justification_text: "Lost mail".into(),
            ticket: None,
            duration_minutes: 60,
            granted_minutes: Some(granted_minutes),
            expires_at: OffsetDateTime::UNIX_EPOCH,
            grant_ends_at: None,
            decision_reason: None,
            break_glass: false,
        }
    }

    #[test]
    fn an_approval_of_less_than_asked_tells_the_agent_what_was_left_out() {
        let less = approved(vec![Scope::Metadata], 15).allowed_less().unwrap();
        assert!(less.contains("Not allowed: Message text."), "{less}");
        assert!(
            less.contains("lasts 15 minutes instead of the 1 hour you asked for"),
            "{less}"
        );
        assert_eq!(
            approved(vec![Scope::Metadata, Scope::Content], 60).allowed_less(),
            None
        );
    }
}
