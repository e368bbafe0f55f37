//! The staff roster as a security admin reads it (`/admin/staff`): who can ask for access,
//! how they sign in, what they did in the last 30 days, and whose recertification is due.

use super::{StaffChangeBy, StaffChangeKind, StaffId, StaffRole};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where a support agent stands with recertification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recertification {
    /// Not recertified: security admins (they do not ask for access) and disabled accounts.
    NotApplicable,
    /// Certified until `until`, more than the warning period away.
    Current {
        /// The deadline.
        until: OffsetDateTime,
    },
    /// Certified until `until`, which is close: recertify soon.
    DueSoon {
        /// The deadline.
        until: OffsetDateTime,
    },
    /// The deadline `since` passed: new requests are refused until a security admin
    /// recertifies the agent.
    Lapsed {
        /// When the certification ran out.
        since: OffsetDateTime,
    },
}

/// Who added a staff member, as far as the records tell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddedBy {
    /// Added before Glassbox recorded who adds staff.
    BeforeRecords,
    /// Recorded: by whom (`by_name` names the admin when an admin did it).
    Recorded {
        /// Who.
        by: StaffChangeBy,
        /// The admin's name, when an admin did it.
        by_name: Option<String>,
    },
}

/// One staff member on the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterMember {
    /// Their id.
    pub id: StaffId,
    /// Their name.
    pub name: String,
    /// Their work address.
    pub email: String,
    /// How the mail system names them.
    pub handle: Option<String>,
    /// What they may do.
    pub role: StaffRole,
    /// When the account was made.
    pub added_at: OffsetDateTime,
    /// Who added them.
    pub added_by: AddedBy,
    /// When they last signed in completely (with the second factor), if recorded.
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// Whether a TOTP authenticator is enrolled.
    pub totp_enrolled: bool,
    /// How many passkeys they hold.
    #[serde(default)]
    pub passkeys: i64,
    /// When the account was disabled, if it was.
    pub disabled_at: Option<OffsetDateTime>,
    /// Grants that allow access right now.
    pub open_grants: i64,
    /// Requests they made in the last 30 days.
    pub requests_last_30_days: i64,
    /// Allowed accesses to mailboxes in the last 30 days.
    pub accesses_last_30_days: i64,
    /// Where they stand with recertification.
    pub recertification: Recertification,
}

/// One change to the roster, newest first on the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterChange {
    /// When.
    pub at: OffsetDateTime,
    /// Whose account.
    pub staff_name: String,
    /// What happened.
    pub change: StaffChangeKind,
    /// Who did it.
    pub by: StaffChangeBy,
    /// The admin's name, when an admin did it.
    pub by_name: Option<String>,
    /// Its place in the verifiable log, once entered.
    pub log_index: Option<u64>,
}

/// The roster page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterView {
    /// The admin looking at it (they cannot disable themselves).
    pub me: StaffId,
    /// Every staff member: active ones first, by role then name.
    pub members: Vec<RosterMember>,
    /// How many days a certification lasts (`staff.recertify_every_days`).
    pub recertify_every_days: u32,
    /// How many days before the deadline an agent shows as due soon.
    pub due_soon_days: u32,
    /// The latest roster changes, newest first.
    pub changes: Vec<RosterChange>,
    /// How recent a passkey confirmation must be to disable staff or approve an emergency
    /// access (`staff.passkey_fresh_minutes`).
    #[serde(default)]
    pub passkey_fresh_minutes: i64,
    /// Whether staff sign in with a passkey only (`staff.require_passkey`).
    #[serde(default)]
    pub passkeys_required: bool,
}

/// What a security admin does to a staff member on the roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RosterAct {
    /// Disable the account: sessions end, grants are withdrawn, IMAP sessions are closed.
    Disable,
    /// Re-approve a support agent for another period.
    Recertify,
}

/// One month of an agent's activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthActivity {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Requests made that month.
    pub requests: i64,
    /// Of them, refused by the owner.
    pub denied: i64,
    /// Allowed accesses to mailboxes.
    pub accesses_allowed: i64,
    /// Refused access checks.
    pub accesses_refused: i64,
}

/// How often owners refuse an agent's requests, against everyone else's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalSignal {
    /// The agent's requests owners refused.
    pub denied: i64,
    /// The agent's requests owners decided (approved or refused).
    pub decided: i64,
    /// Other agents' requests owners refused.
    pub others_denied: i64,
    /// Other agents' requests owners decided.
    pub others_decided: i64,
    /// Whether the agent is refused far more often than the others (the domain's rule).
    pub far_more_often: bool,
    /// The fewest decisions on each side before the rule compares at all.
    pub min_decided: i64,
}

/// One agent's activity over time (`/admin/staff/{id}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentActivityView {
    /// The agent as the roster shows them.
    pub member: RosterMember,
    /// Their newest requests, in any state.
    pub requests: Vec<super::StaffRequestView>,
    /// How many of their requests are in each state.
    pub counts: Vec<(super::AccessRequestStatus, i64)>,
    /// Their activity per month, newest first (the last 12 months).
    pub months: Vec<MonthActivity>,
    /// How often owners refuse them.
    pub refusals: RefusalSignal,
    /// Their roster changes, oldest first.
    pub changes: Vec<RosterChange>,
}

/// One staff member's accesses to any mailbox, a page at a time (security admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentHistory {
    /// The staff member.
    pub agent: super::StaffId,
    /// Their name.
    pub name: String,
    /// Their work address.
    pub email: String,
    /// The page of their accesses (its `agents` is empty).
    pub page: super::HistoryPage,
}
