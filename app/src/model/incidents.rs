//! View types of incidents: what a security admin declares and follows, and what an
//! affected owner is told.

use super::{EventView, Exposure, GuidanceStep, IncidentCause, IncidentId, IncidentStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An incident as a security admin declares it (unvalidated: the server checks every field).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentForm {
    /// A short title.
    pub title: String,
    /// What happened, in plain words (owners read it).
    pub description: String,
    /// Cause name (`staff_credential`, `service_token`, `other`).
    pub cause: String,
    /// For a staff credential: the staff member's email or handle.
    pub staff: Option<String>,
    /// For a service token: its name.
    pub token: Option<String>,
    /// Start of the window, `YYYY-MM-DDTHH:MM` in UTC (what a `datetime-local` input sends).
    pub window_start: String,
    /// End of the window, same form.
    pub window_end: String,
}

/// How many mailboxes an incident touched, by exposure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedCounts {
    /// Mailboxes whose message text or attachments were read.
    pub content: i64,
    /// Mailboxes of which only metadata was seen.
    pub metadata: i64,
    /// Accesses in all.
    pub events: i64,
}

impl AffectedCounts {
    /// Mailboxes in all.
    pub fn mailboxes(&self) -> i64 {
        self.content + self.metadata
    }
}

/// Where the notices of an incident are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeCounts {
    /// Owners not yet written to (queued in batches).
    pub waiting: i64,
    /// In the outbox, not yet accepted by the mail server.
    pub queued: i64,
    /// Accepted by the mail server.
    pub sent: i64,
    /// Refused for good (bad address, …).
    pub failed: i64,
}

/// One incident in the admin list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSummary {
    /// The incident.
    pub id: IncidentId,
    /// Its title.
    pub title: String,
    /// Where it is.
    pub status: IncidentStatus,
    /// What caused it.
    pub cause: IncidentCause,
    /// When it was declared.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Affected mailboxes (known once confirmed).
    pub affected_mailboxes: i64,
}

/// One incident, as security admins follow it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentAdminView {
    /// The incident.
    pub id: IncidentId,
    /// Its title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// What caused it.
    pub cause: IncidentCause,
    /// The staff member or token named as the cause.
    pub cause_subject: Option<String>,
    /// Start of the window.
    #[serde(with = "time::serde::rfc3339")]
    pub window_start: OffsetDateTime,
    /// End of the window.
    #[serde(with = "time::serde::rfc3339")]
    pub window_end: OffsetDateTime,
    /// Where it is.
    pub status: IncidentStatus,
    /// Who declared it.
    pub declared_by: String,
    /// Who confirmed it.
    pub confirmed_by: Option<String>,
    /// When it was confirmed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    /// The affected set: computed from the log for a draft, as recorded once confirmed.
    pub affected: AffectedCounts,
    /// Whether the person looking may confirm it (a security admin other than the declarer).
    pub can_confirm: bool,
    /// The notices.
    pub notices: NoticeCounts,
    /// Owners who acknowledged the notice.
    pub acknowledged: i64,
    /// Acknowledgements per day (`YYYY-MM-DD`, count), oldest first.
    pub acknowledged_by_day: Vec<(String, i64)>,
    /// Follow-up notices sent after the first.
    pub follow_ups: Vec<String>,
    /// How many times the draft was corrected (a confirmation names the revision read).
    pub revision: i64,
    /// A draft's declaration as its correction form starts (`None` once it is not a draft).
    pub draft_form: Option<IncidentForm>,
    /// Who last corrected the draft, if anyone did.
    pub edited_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    /// Who discarded it (a discarded draft).
    pub discarded_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub discarded_at: Option<OffsetDateTime>,
}

/// What an incident's admin page can do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncidentAdminAct {
    /// Confirm a draft (a second security admin): measures taken, owners told. `revision`
    /// is the draft's revision the admin read (`None`: not checked — the demo, scripts).
    Confirm {
        /// The revision read; a draft corrected since is not confirmed.
        revision: Option<i64>,
    },
    /// Send the same owners a further notice.
    FollowUp {
        /// What to tell them.
        message: String,
    },
    /// Close the incident.
    Close,
    /// Correct a draft (its declaration as a whole, checked as a declaration is).
    Edit(IncidentForm),
    /// Discard a draft: nothing was done or sent; the incident stays listed as discarded.
    Discard,
}

/// An incident that touched the owner, as their list and banner show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentNotice {
    /// The incident.
    pub id: IncidentId,
    /// Its title.
    pub title: String,
    /// Whether it is closed (the provider finished handling it).
    pub closed: bool,
    /// When the owner was told.
    pub confirmed_at: Option<OffsetDateTime>,
    /// Whether the owner already acknowledged it.
    pub acknowledged: bool,
    /// Whether the owner hid its reminder.
    pub reminder_hidden: bool,
    /// Checklist steps the owner ticked.
    pub steps_done: usize,
    /// Checklist steps in all.
    pub steps_total: usize,
}

impl IncidentNotice {
    /// Whether the banner still reminds the owner: until every step is done or they hide
    /// it (reading the notice is not enough), and only while the incident is open.
    pub fn reminds(&self) -> bool {
        !self.closed && !self.reminder_hidden && self.steps_done < self.steps_total
    }
}

/// One incident, as an affected owner reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerIncidentView {
    /// The incident.
    pub id: IncidentId,
    /// Its title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// What caused it.
    pub cause: IncidentCause,
    /// Start of the window.
    #[serde(with = "time::serde::rfc3339")]
    pub window_start: OffsetDateTime,
    /// End of the window.
    #[serde(with = "time::serde::rfc3339")]
    pub window_end: OffsetDateTime,
    /// What of this owner's mailbox was exposed.
    pub exposure: Exposure,
    /// Exactly the accesses to this owner's mailboxes that were involved, from the log.
    pub accesses: Vec<EventView>,
    /// What the provider has done.
    pub measures: Vec<String>,
    /// Where to change the password (empty: in the mail account's settings, no link).
    pub password_url: String,
    /// Whom to contact.
    pub contact: String,
    /// The checklist, with what the owner ticked.
    pub steps: Vec<(GuidanceStep, bool)>,
    /// When the owner acknowledged the notice.
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
    /// Follow-up notices.
    pub follow_ups: Vec<String>,
}

/// What an owner does on their incident page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnerIncidentAct {
    /// Tick (or untick) one step.
    Tick {
        /// The step.
        step: GuidanceStep,
        /// Done or not.
        done: bool,
    },
    /// Say they have read the notice.
    Acknowledge,
    /// Hide the reminder banner before every step is done.
    HideReminder,
}
