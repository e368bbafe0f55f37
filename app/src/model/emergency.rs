//! Emergency access (break-glass), as the security admins' page (`/admin/emergency`) shows
//! it: who opened each, for whom, why, who approved it, and what each admin may do now.

use super::{AccessRequestStatus, JustificationCode, RequestId, Scope, StaffChoice};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One emergency access, for security admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyAccessView {
    /// The request it is.
    pub id: RequestId,
    /// The mailbox.
    pub mailbox: String,
    /// The staff member who will use it: name and handle.
    pub agent: String,
    /// The security admin who opened it.
    pub opened_by: String,
    /// The second security admin who approved it, once approved.
    pub approved_by: Option<String>,
    /// What it allows.
    pub scopes: Vec<Scope>,
    /// Why: a life-safety emergency or a legal request.
    pub justification_code: JustificationCode,
    /// Why, in the opener's words.
    pub justification_text: String,
    /// The incident, case or legal order it is for.
    pub reference: String,
    /// How long it lasts once approved.
    pub duration_minutes: i64,
    /// Where it is, as of now.
    pub status: AccessRequestStatus,
    /// When it was opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// A pending one expires unused at this time.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When an approved one ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ends_at: Option<OffsetDateTime>,
    /// The refusal's or early end's reason, if any.
    pub reason: Option<String>,
    /// What the signed-in admin may do to it now.
    pub may: EmergencyMay,
    /// Its legal hold, when the owner's notice is held back.
    #[serde(default)]
    pub hold: Option<HoldView>,
}

/// Where a legal hold's notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HoldState {
    /// The access has not started: nothing is sealed yet (it is if it starts).
    Waiting,
    /// The notice is written and sealed; its commitment is in the log.
    Sealed,
    /// The notice was released to the owner.
    Released,
}

/// A legal hold on an emergency access's notice, for security admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldView {
    /// The release date (`2027-03-01`, UTC).
    pub release_on: String,
    /// Where the notice is.
    pub state: HoldState,
    /// The commitment in the log (hex), once sealed.
    pub commitment: Option<String>,
    /// When it was released.
    #[serde(with = "time::serde::rfc3339::option")]
    pub released_at: Option<OffsetDateTime>,
    /// An extension waiting for a second admin.
    pub extension: Option<ExtensionView>,
    /// Whether the signed-in admin may ask for an extension now.
    pub may_extend: bool,
}

/// A later release date one admin asked for, waiting for a second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionView {
    /// The release date asked for.
    pub release_on: String,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub proposed_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub proposed_at: OffsetDateTime,
    /// Whether the signed-in admin may approve or refuse it (never its asker).
    pub may_decide: bool,
}

/// What the signed-in security admin may do to one emergency access now. Four eyes: the
/// admin who opened it (or who will use it) can never approve it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyMay {
    /// Approve or refuse it (a second admin, while it waits).
    pub decide: bool,
    /// Cancel it (its opener, while it waits).
    pub cancel: bool,
    /// End it now (any security admin, while it is live).
    pub end: bool,
}

/// The security admins' emergency access page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyPage {
    /// The newest emergency accesses, waiting ones first.
    pub accesses: Vec<EmergencyAccessView>,
    /// Who can be named as the staff member to use one (enabled staff).
    pub staff: Vec<StaffChoice>,
    /// The longest emergency access the configuration allows, in minutes.
    pub max_minutes: i64,
    /// A waiting emergency access expires unused after this many minutes.
    pub approve_within_minutes: i64,
    /// The furthest a legal hold's release date may be, in days from today.
    #[serde(default)]
    pub legal_hold_max_days: i64,
}

/// What a security admin does to an emergency access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmergencyAct {
    /// Approve it, as the second security admin: it starts at once.
    Approve,
    /// Refuse it, as the second security admin, saying why.
    Refuse {
        /// Why.
        reason: String,
    },
    /// Cancel it, as its opener, before anyone approved it.
    Cancel,
    /// End it now, saying why.
    End {
        /// Why (shown to the owner).
        reason: String,
    },
    /// Ask for a later release date of its sealed notice (a second admin must approve).
    ExtendHold {
        /// The new release date (`2027-03-01`).
        release_on: String,
        /// Why: the order's reference and what it says.
        reason: String,
    },
    /// Approve the extension another admin asked for.
    ApproveExtension,
    /// Refuse the extension another admin asked for.
    RefuseExtension,
}

/// A new emergency access as the page's form sends it (validated by the server).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyForm {
    /// The mailbox address.
    pub mailbox: String,
    /// The id of the staff member who will use it; empty: the opener.
    pub agent: Option<String>,
    /// Scope names.
    pub scopes: Vec<String>,
    /// `break_glass_emergency` or `legal_request`.
    pub justification_code: String,
    /// Why, in words.
    pub justification_text: String,
    /// The incident, case or legal order.
    pub reference: String,
    /// How long, in minutes.
    pub duration_minutes: Option<i64>,
    /// For a legal request whose order forbids telling the owner yet: the date (UTC,
    /// `2027-03-01`) until which the owner's notice is held back. Empty: told at once.
    #[serde(default)]
    pub notice_release_on: Option<String>,
    /// The rendered form's idempotency key: a double-click or a resent form opens one
    /// emergency access, not two.
    #[serde(default)]
    pub form_key: Option<super::FormKey>,
}

impl EmergencyAccessView {
    /// Whether it is waiting for a second admin.
    pub fn waiting(&self) -> bool {
        self.status == AccessRequestStatus::Pending
    }
}
