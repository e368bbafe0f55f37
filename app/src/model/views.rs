//! View types: what a page shows, already scoped to the person looking at it.

use super::{
    AccessRequestStatus, ChangeActor, Decision, EventSeq, JustificationCode, OwnerId,
    RequestChangeKind, RequestId, Scope, StaffId, StaffRole,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Who is looking at a page. Anonymous visitors have no `Viewer` at all (`Option<Viewer>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Viewer {
    /// A mailbox owner.
    Owner {
        /// The owner's id.
        owner_id: OwnerId,
        /// The name to greet them with.
        display_name: String,
        /// Whether their sign-in is too old to approve a request without signing in again.
        step_up_needed: bool,
    },
    /// A staff member.
    Staff {
        /// The staff member's id.
        staff_id: StaffId,
        /// What they may do.
        role: StaffRole,
        /// Their name (staff see their own name; owners only see a pseudonym).
        display_name: String,
    },
}

impl Viewer {
    /// The name to show in the header.
    pub fn display_name(&self) -> &str {
        match self {
            Viewer::Owner { display_name, .. } | Viewer::Staff { display_name, .. } => display_name,
        }
    }
}

/// A one-click identity of the local demo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoIdentity {
    /// What the sign-in form posts (`owner:<id>` or `staff:<id>`).
    pub key: String,
    /// The person's name.
    pub name: String,
    /// What they are, in a few words ("Mailbox owner", "Support agent", …).
    pub role_label: String,
    /// What signing in as them shows.
    pub description: String,
}

/// One access request, as its owner or the staff member sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    /// The request.
    pub id: RequestId,
    /// The mailbox address it is about.
    pub mailbox: String,
    /// The staff member, by stable pseudonym (never a personal name).
    pub agent_pseudonym: String,
    /// The staff member's role.
    pub agent_role: StaffRole,
    /// What it allows: what the staff member asked to see, or once approved, what the
    /// owner allowed.
    pub scopes: Vec<Scope>,
    /// What the staff member asked to see (more than `scopes` when the owner allowed less).
    #[serde(default)]
    pub asked_scopes: Vec<Scope>,
    /// Why.
    pub justification_code: JustificationCode,
    /// Why, in the staff member's words.
    pub justification_text: String,
    /// The support ticket, when there is one.
    pub ticket: Option<String>,
    /// How long the access would last once approved, as asked.
    pub duration_minutes: i64,
    /// How long the owner allowed (none until approved).
    #[serde(default)]
    pub granted_minutes: Option<i64>,
    /// Where the request is in its life.
    pub status: AccessRequestStatus,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When a pending request expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When an approved grant ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub grant_ends_at: Option<OffsetDateTime>,
    /// The owner's reason for a denial, if they gave one.
    pub decision_reason: Option<String>,
    /// For a live grant: whole minutes left (rounded up).
    pub minutes_left: Option<i64>,
    /// Each step in the request's life, oldest first, with its place in the verifiable log
    /// (filled on the request's own page; empty in lists).
    #[serde(default)]
    pub steps: Vec<RequestStep>,
    /// The staff IMAP sessions under this grant, with what their receipts show (filled on
    /// the owner's request page; empty elsewhere).
    #[serde(default)]
    pub imap_sessions: Vec<OwnerImapSessionView>,
    /// Every access decided under this request, newest first, allowed or refused (filled on
    /// the owner's request page, up to [`RequestView::ACCESSES_SHOWN`]; empty elsewhere).
    #[serde(default)]
    pub accesses: Vec<EventView>,
    /// An emergency access (break-glass): opened by a security admin and approved by a
    /// second one, without asking the owner.
    #[serde(default)]
    pub break_glass: bool,
}

impl RequestView {
    /// How many of a request's accesses its page lists (the history has them all).
    pub const ACCESSES_SHOWN: i64 = 200;

    /// Whether the owner allowed less than was asked: fewer scopes or a shorter time.
    pub fn allowed_less(&self) -> bool {
        self.scopes.len() < self.asked_scopes.len()
            || self
                .granted_minutes
                .is_some_and(|m| m < self.duration_minutes)
    }
}

/// One staff IMAP session under a grant, as its owner sees it: what Dovecot reported the
/// agent did, summed up in words, each receipt with its place in the verifiable log, and
/// when Glassbox cut the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerImapSessionView {
    /// When the login was allowed.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// The login event (its place in the log).
    pub login: EventView,
    /// What the receipts show, in one sentence ("… opened Inbox and read 3 messages (bodies).").
    pub summary: String,
    /// The receipts, oldest first.
    pub receipts: Vec<EventView>,
    /// When Glassbox ended the session (doveadm confirmed the kick), if it did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub cut_at: Option<OffsetDateTime>,
    /// When the agent's client logged out by itself, if Dovecot reported it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub logged_out_at: Option<OffsetDateTime>,
}

/// One step in a request's life, as the verifiable log records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestStep {
    /// What happened.
    pub change: RequestChangeKind,
    /// Who did it.
    pub by: ChangeActor,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Where it is in the log (none for the moment between the step and its entry).
    pub log_index: Option<u64>,
    /// Its canonical log entry (base64), for the owner's browser to verify.
    pub log_entry: Option<String>,
}

impl RequestStep {
    /// Who took the step, in plain words. Glassbox takes two kinds of step on its own: when
    /// time runs out, and when it refuses a new request by the owner's standing rule.
    pub fn by_words(&self) -> &'static str {
        match (self.by, self.change) {
            (ChangeActor::Glassbox, RequestChangeKind::Denied) => "Glassbox, by your standing rule",
            (by, _) => by.label(),
        }
    }
}

/// One access event, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// Position in the log.
    pub seq: EventSeq,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The mailbox it touched.
    pub mailbox: String,
    /// Who, by pseudonym; `None` for the mail system itself.
    pub agent_pseudonym: Option<String>,
    /// Their role.
    pub agent_role: Option<StaffRole>,
    /// Which part of the mailbox.
    pub scope: Scope,
    /// What was done (`list_folders`, `read_message`, …).
    pub action: String,
    /// Which folder or message, as the mail system names it (`folder:INBOX`, `message:…`).
    #[serde(default)]
    pub resource: String,
    /// Where the access came from (the network the mail system reported), if it said.
    #[serde(default)]
    pub source_network: Option<String>,
    /// The request it was decided under, if any.
    #[serde(default)]
    pub request_id: Option<RequestId>,
    /// Allowed or denied.
    pub decision: Decision,
    /// Why it was allowed or denied, in plain words.
    pub reason: String,
    /// Its index in the verifiable log, once it is there.
    #[serde(default)]
    pub log_index: Option<u64>,
    /// Its canonical log entry (base64): the bytes whose hash is the log's leaf, so the
    /// browser can check the log holds exactly this event.
    #[serde(default)]
    pub log_entry: Option<String>,
    /// For a receipt of a staff IMAP session: the position of that session's login event,
    /// so the history shows the receipt under it.
    #[serde(default)]
    pub in_session_of: Option<EventSeq>,
    /// Decided under an emergency access (break-glass), which the owner was not asked for.
    #[serde(default)]
    pub break_glass: bool,
    /// How the agent had signed in (their last completed sign-in before the access), if
    /// Glassbox recorded one: the strength of the session behind it.
    #[serde(default)]
    pub agent_sign_in: Option<AgentSignIn>,
}

/// The factor and time of the staff sign-in in force when an access happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSignIn {
    /// Passkey, TOTP or the demo's sign-in.
    pub factor: super::SignInFactor,
    /// When that sign-in completed.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What the browser needs to verify the events on a page itself: the log's verifier key,
/// its latest signed checkpoint, an inclusion proof for each event the checkpoint covers,
/// and a consistency proof from the checkpoint the browser saw last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogProofs {
    /// The note verifier key (`<name>+<id>+<key>`).
    pub key: String,
    /// The latest signed checkpoint (a signed note).
    pub checkpoint: String,
    /// Inclusion proofs at the checkpoint's size.
    pub inclusion: Vec<glassbox_log::InclusionProof>,
    /// From the size the browser asked about to the checkpoint's size.
    pub consistency: Option<glassbox_log::ConsistencyProof>,
    /// Every key-change statement of the log, each signed by the key before the next (so a
    /// browser that trusted an older key can follow the log to its current one).
    #[serde(default)]
    pub key_changes: Vec<String>,
    /// The witnesses the log names (verifier keys); empty when it has none.
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// How many of them must have cosigned the checkpoint (0: no witness is needed).
    #[serde(default)]
    pub quorum: usize,
}

/// An opaque position in an owner's history, used for keyset pagination: the page after
/// (older than) or before (newer than) a given event. Never an OFFSET.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistoryCursor {
    /// Events older than this one.
    Before(EventSeq),
    /// Events newer than this one.
    After(EventSeq),
}

impl HistoryCursor {
    /// The cursor as URL query parameters (`before=N` or `after=N`).
    pub fn to_query(self) -> String {
        match self {
            HistoryCursor::Before(s) => format!("before={s}"),
            HistoryCursor::After(s) => format!("after={s}"),
        }
    }

    /// Reads a cursor back from the `before` / `after` query values; `None` means the
    /// newest page. A value that is not a positive number is an error.
    pub fn from_query(before: Option<&str>, after: Option<&str>) -> Result<Option<Self>, String> {
        let parse = |v: &str| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(EventSeq)
                .ok_or_else(|| {
                    "That page link is not valid. Start again from the newest accesses.".to_string()
                })
        };
        match (
            before.filter(|v| !v.is_empty()),
            after.filter(|v| !v.is_empty()),
        ) {
            (None, None) => Ok(None),
            (Some(b), None) => parse(b).map(|s| Some(HistoryCursor::Before(s))),
            (None, Some(a)) => parse(a).map(|s| Some(HistoryCursor::After(s))),
            (Some(_), Some(_)) => Err("A page link may go forward or back, not both.".to_string()),
        }
    }
}

/// The history filter's `agent` value for the mail system's own accesses (no staff member).
/// Pseudonyms always start with "Agent ", so it never names a person.
pub const MAIL_SYSTEM: &str = "mail-system";

/// Which accesses the history shows. Every field narrows; none set means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Only this staff member, by pseudonym.
    pub agent: Option<String>,
    /// Only this part of the mailbox.
    pub scope: Option<Scope>,
    /// Only allowed or only refused accesses.
    pub decision: Option<Decision>,
    /// From this day (`YYYY-MM-DD`, UTC), inclusive.
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, UTC), inclusive.
    pub to: Option<String>,
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A field of the staff console's request form (a refusal is shown beside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestField {
    Mailbox,
    Scopes,
    Code,
    Text,
    Ticket,
    Duration,
}

impl RequestField {
    /// The form control's id (the scopes: their fieldset).
    pub fn input_id(self) -> &'static str {
        match self {
            RequestField::Mailbox => "ask-mailbox",
            RequestField::Scopes => "ask-scopes",
            RequestField::Code => "ask-code",
            RequestField::Text => "ask-text",
            RequestField::Ticket => "ask-ticket",
            RequestField::Duration => "ask-duration",
        }
    }

    /// The id of the message shown beside the field.
    pub fn message_id(self) -> &'static str {
        match self {
            RequestField::Mailbox => "ask-mailbox-problem",
            RequestField::Scopes => "ask-scopes-problem",
            RequestField::Code => "ask-code-problem",
            RequestField::Text => "ask-text-problem",
            RequestField::Ticket => "ask-ticket-problem",
            RequestField::Duration => "ask-duration-problem",
        }
    }
}

/// A field of the history filter form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterField {
    Scope,
    Decision,
    From,
    To,
}

impl FilterField {
    /// The form control's id (its message is tied to it with `aria-describedby`).
    pub fn input_id(self) -> &'static str {
        match self {
            FilterField::Scope => "f-scope",
            FilterField::Decision => "f-decision",
            FilterField::From => "f-from",
            FilterField::To => "f-to",
        }
    }
}

/// A filter that cannot be applied: what could be read of it (a bad value left out, so the
/// form shows the rest as chosen), the field to fix and what to do, in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterError {
    pub filter: HistoryFilter,
    pub field: FilterField,
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl HistoryFilter {
    /// Reads a filter from query values; empty values mean "any". An unknown scope or
    /// result, a malformed day, or a range that ends before it starts, is an error naming
    /// the field and saying what to fix.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Result<Self, FilterError> {
        let some = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut problem: Option<(FilterField, &'static str)> = None;
        let mut note = |field, message| {
            problem.get_or_insert((field, message));
        };
        let scope = some("scope").and_then(|v| {
            v.parse::<Scope>()
                .map_err(|_| {
                    note(
                        FilterField::Scope,
                        "Choose a part of the mailbox from the list.",
                    )
                })
                .ok()
        });
        let decision = some("decision").and_then(|v| {
            v.parse::<Decision>()
                .map_err(|_| {
                    note(
                        FilterField::Decision,
                        "Choose allowed or refused from the list.",
                    )
                })
                .ok()
        });
        let mut day = |k: &str, field| {
            some(k).and_then(|v| match parse_day(&v) {
                Some(_) => Some(v),
                None => {
                    note(field, "Write the date as year-month-day, like 2026-11-29.");
                    None
                }
            })
        };
        let (from, to) = (day("from", FilterField::From), day("to", FilterField::To));
        if let (Some(f), Some(t)) = (
            from.as_deref().and_then(parse_day),
            to.as_deref().and_then(parse_day),
        ) {
            if f > t {
                note(
                    FilterField::To,
                    "The end date is before the start date: choose an end date on or after it.",
                );
            }
        }
        let agent = some("agent").filter(|a| a.chars().count() <= 64);
        let filter = HistoryFilter {
            agent,
            scope,
            decision,
            from,
            to,
        };
        match problem {
            None => Ok(filter),
            Some((field, message)) => Err(FilterError {
                filter,
                field,
                message: message.to_string(),
            }),
        }
    }

    /// The filter as URL query parameters (empty when nothing is filtered).
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.agent {
            parts.push(format!("agent={}", encode_component(a)));
        }
        if let Some(s) = self.scope {
            parts.push(format!("scope={}", s.as_str()));
        }
        if let Some(d) = self.decision {
            parts.push(format!("decision={}", d.as_str()));
        }
        if let Some(f) = &self.from {
            parts.push(format!("from={}", encode_component(f)));
        }
        if let Some(t) = &self.to {
            parts.push(format!("to={}", encode_component(t)));
        }
        parts.join("&")
    }

    /// Whether anything is filtered.
    pub fn is_empty(&self) -> bool {
        *self == HistoryFilter::default()
    }
}

/// One page of an owner's access history, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// The events on this page, newest first.
    pub events: Vec<EventView>,
    /// The link to older events, if there are any.
    pub older: Option<HistoryCursor>,
    /// The link to newer events, if there are any.
    pub newer: Option<HistoryCursor>,
    /// How many events the owner's mailboxes have in all.
    pub total: i64,
    /// Whether this is the newest page (no cursor).
    pub at_newest: bool,
    /// Every staff pseudonym in the owner's history (for the filter).
    pub agents: Vec<String>,
}

/// What an owner sees first after signing in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerOverview {
    /// The owner's name.
    pub display_name: String,
    /// The owner's mailbox addresses.
    pub mailboxes: Vec<String>,
    /// Requests waiting for a decision.
    pub pending: Vec<RequestView>,
    /// Grants that allow access right now.
    pub active_grants: Vec<RequestView>,
    /// The latest accesses.
    pub recent: Vec<EventView>,
    /// Accesses in the last 30 days.
    pub accesses_last_30_days: i64,
    /// Denied accesses in the last 30 days.
    pub denied_last_30_days: i64,
    /// Staff at this provider who can ask to access mailboxes now (support agents, not
    /// disabled, recertified in time).
    pub staff_who_can_ask: i64,
    /// Staff who accessed any mailbox at this provider in the last 30 days.
    pub staff_who_accessed_last_30_days: i64,
}

/// A request as the staff console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRequestView {
    /// The request as a whole.
    pub request: RequestView,
    /// The staff member's own name (only staff see it).
    pub agent_name: String,
}

/// The staff console's home page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffHome {
    /// The staff member's name.
    pub display_name: String,
    /// Their role.
    pub role: StaffRole,
    /// Their pseudonym, as owners see it.
    pub pseudonym: String,
    /// Emails Glassbox gave up on, newest first (security admins only; empty for others).
    pub failed_emails: Vec<FailedEmailView>,
    /// Where a support agent stands with recertification (not applicable to admins).
    pub recertification: super::Recertification,
}

/// An email that could not be delivered, as a security admin sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedEmailView {
    /// The outbox id (for `glassbox outbox retry`).
    pub id: String,
    /// Which notice it was.
    pub kind: String,
    /// The recipient, masked (`a***@example.org`).
    pub recipient: String,
    /// When it was given up on.
    pub failed_at: Option<OffsetDateTime>,
    /// How many attempts were made.
    pub attempts: i32,
    /// What the SMTP server or the connection said.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_cursor_round_trips_through_the_query_string() {
        for c in [
            HistoryCursor::Before(EventSeq(42)),
            HistoryCursor::After(EventSeq(7)),
        ] {
            let q = c.to_query();
            let (k, v) = q.split_once('=').unwrap();
            let back = if k == "before" {
                HistoryCursor::from_query(Some(v), None)
            } else {
                HistoryCursor::from_query(None, Some(v))
            };
            assert_eq!(back, Ok(Some(c)));
        }
    }

    #[test]
    fn no_cursor_means_the_newest_page() {
        assert_eq!(HistoryCursor::from_query(None, None), Ok(None));
        assert_eq!(HistoryCursor::from_query(Some(""), None), Ok(None));
    }

    #[test]
    fn a_history_filter_round_trips_through_the_query_string() {
        let f = HistoryFilter {
            agent: Some("Agent Kestrel-0042".into()),
            scope: Some(Scope::Content),
            decision: Some(Decision::Denied),
            from: Some("2026-01-01".into()),
            to: Some("2026-02-01".into()),
        };
        let q = f.to_query();
        assert_eq!(q, "agent=Agent%20Kestrel-0042&scope=content&decision=denied&from=2026-01-01&to=2026-02-01");
        let map: std::collections::HashMap<String, String> = q
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.replace("%20", " "))
            })
            .collect();
        assert_eq!(HistoryFilter::from_query(|k| map.get(k).cloned()), Ok(f));
    }

    #[test]
    fn a_bad_filter_says_what_to_fix() {
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            HistoryFilter::from_query(move |k| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            })
        };
        let e = q(&[("scope", "everything"), ("decision", "allowed")]).unwrap_err();
        assert_eq!(e.field, FilterField::Scope);
        assert!(e.message.contains("part of the mailbox"));
        assert_eq!(
            e.filter.decision,
            Some(Decision::Allowed),
            "the rest is kept"
        );
        assert_eq!(
            q(&[("decision", "maybe")]).unwrap_err().field,
            FilterField::Decision
        );
        let e = q(&[("from", "29/11/2026")]).unwrap_err();
        assert_eq!(e.field, FilterField::From);
        assert!(e.message.contains("2026-11-29"));
        let e = q(&[("from", "2026-02-01"), ("to", "2026-01-01")]).unwrap_err();
        assert_eq!(e.field, FilterField::To);
        assert!(e.message.contains("before the start date"));
        assert_eq!(
            (e.filter.from.as_deref(), e.filter.to.as_deref()),
            (Some("2026-02-01"), Some("2026-01-01")),
            "both dates stay in the form to be corrected"
        );
        assert_eq!(
            q(&[("scope", ""), ("agent", " ")]),
            Ok(HistoryFilter::default())
        );
    }

    #[test]
    fn a_forged_cursor_is_rejected_not_guessed() {
        assert!(HistoryCursor::from_query(Some("abc"), None).is_err());
        assert!(HistoryCursor::from_query(Some("-5"), None).is_err());
        assert!(HistoryCursor::from_query(Some("0"), None).is_err());
        assert!(HistoryCursor::from_query(Some("1"), Some("2")).is_err());
    }
}

/// What "Stop all access" did to the owner's mailboxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopAllOutcome {
    /// Grants revoked.
    pub revoked: u32,
    /// Pending requests cancelled.
    pub cancelled: u32,
}

impl StopAllOutcome {
    /// What happened, in one plain sentence for the owner.
    pub fn sentence(&self) -> String {
        fn count(n: u32, one: &str, many: &str) -> String {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        }
        format!(
            "Stopped {} and cancelled {}. Nobody has access to your mailbox now.",
            count(self.revoked, "access", "accesses"),
            count(self.cancelled, "request", "requests")
        )
    }
}

/// What an owner decides about one of their requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnerDecision {
    /// Allow access, starting now: to what was asked, or to less.
    Approve {
        /// Only these of the asked scopes (`None`: all of them).
        scopes: Option<Vec<Scope>>,
        /// Only this many minutes (`None`: as long as asked).
        minutes: Option<i64>,
    },
    /// Refuse, optionally saying why.
    Deny {
        /// The reason, shown to the agent.
        reason: Option<String>,
    },
    /// Withdraw an approval: access stops at once.
    Revoke,
    /// End the grant earlier: this many minutes from now.
    Shorten {
        /// Minutes from now.
        minutes: i64,
    },
}

/// What a staff member does to one of their requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffAct {
    /// Withdraw a pending request.
    Cancel,
    /// End an approved grant early.
    End,
}

/// A new access request as the staff console's form sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestForm {
    /// Mailbox address.
    pub mailbox: String,
    /// Scope names.
    pub scopes: Vec<String>,
    /// Justification code.
    pub justification_code: String,
    /// Justification text.
    pub justification_text: String,
    /// Ticket.
    pub ticket: Option<String>,
    /// Grant length in minutes.
    pub duration_minutes: Option<i64>,
}

/// One request on its agent's page in the staff console (`/staff/requests/{id}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRequestDetail {
    /// The request.
    pub item: StaffRequestView,
    /// Its IMAP access (Dovecot).
    pub imap: ImapAccessView,
}

/// The IMAP side of a grant as its agent sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapAccessView {
    /// The IMAP user name to log in with (`mailbox*agent`), when the agent has a handle.
    pub login: Option<String>,
    /// Whether a credential can be made now (a live grant including message content).
    pub can_issue: bool,
    /// When the live credential was made (its secret is never shown again).
    #[serde(with = "time::serde::rfc3339::option")]
    pub credential_issued_at: Option<OffsetDateTime>,
    /// The IMAP sessions Glassbox allowed under this grant.
    pub sessions: Vec<ImapSessionView>,
}

/// One IMAP session Glassbox allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapSessionView {
    /// When the login was allowed.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// The client's address.
    pub client_ip: String,
    /// When Glassbox ended it (revoke, end, disable), if it did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub cut_at: Option<OffsetDateTime>,
}

/// A just-made IMAP credential: shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapCredentialView {
    /// The IMAP user name.
    pub login: String,
    /// The secret (IMAP password), `gbg_…`.
    pub secret: String,
}

impl std::fmt::Debug for ImapCredentialView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapCredentialView")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod stop_all_tests {
    use super::StopAllOutcome;

    #[test]
    fn the_stop_all_sentence_counts_in_plain_words() {
        let o = StopAllOutcome {
            revoked: 2,
            cancelled: 1,
        };
        assert_eq!(
            o.sentence(),
            "Stopped 2 accesses and cancelled 1 request. Nobody has access to your mailbox now."
        );
    }
}
