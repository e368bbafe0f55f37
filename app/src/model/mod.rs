//! The shared vocabulary of Glassbox: typed ids, states and the view types that cross the
//! wire between the server and the browser. Nothing here does I/O, and nothing here knows
//! about the database; the server maps its rows into these types.

mod emergency;
mod ids;
mod incidents;
mod legal_holds;
pub mod log_check;
mod reports;
mod roster;
mod rules;
mod staff_list;
mod views;
mod vocabulary;

pub use emergency::{
    EmergencyAccessView, EmergencyAct, EmergencyForm, EmergencyMay, EmergencyPage, ExtensionView,
    HoldState, HoldView,
};
pub use ids::{EventSeq, FormKey, IncidentId, MailboxId, OwnerId, RequestId, StaffId};
pub use incidents::{
    AffectedCounts, IncidentAdminAct, IncidentAdminView, IncidentForm, IncidentNotice,
    IncidentSummary, NoticeCounts, OwnerIncidentAct, OwnerIncidentView,
};
pub use legal_holds::{HeldNoticeCounts, HeldNoticeMonth, NoticeStep, ReleasedNotice};
pub use reports::{AdminReportView, ReportPage, ReportSubject, SECURE_ACCOUNT_STEPS};
pub use roster::{
    AddedBy, AgentActivityView, AgentHistory, MonthActivity, Recertification, RefusalSignal,
    RosterAct, RosterChange, RosterMember, RosterView,
};
pub use rules::StandingRules;
pub use staff_list::{
    StaffChoice, StaffListField, StaffListProblem, StaffListQuery, StaffRequestList,
    STAFF_PAGE_SIZE,
};
pub use views::{
    parse_day, AgentSignIn, DemoIdentity, EventView, FailedEmailView, FilterError, FilterField,
    HistoryCursor, HistoryFilter, HistoryPage, LogProofs, OwnerDecision, OwnerOverview,
    RequestField, RequestForm, RequestStep, RequestView, StaffAct, StaffHome, StaffRequestView,
    StopAllOutcome, Viewer, MAIL_SYSTEM,
};
pub use views::{
    ImapAccessView, ImapCredentialView, ImapSessionView, OwnerImapSessionView, StaffRequestDetail,
};
pub use vocabulary::{
    AccessNotices, AccessRequestStatus, ChangeActor, Decision, Exposure, GuidanceStep,
    IncidentCause, IncidentStatus, JustificationCode, ParseVocabularyError, RequestChangeKind,
    Scope, SignInFactor, StaffChangeBy, StaffChangeKind, StaffRole,
};

/// When the session last confirmed a passkey (at sign-in or on a confirmation page), put
/// into request extensions by the server: the actions that need a recent passkey read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PasskeyConfirmed(pub Option<time::OffsetDateTime>);

/// A per-request Content-Security-Policy nonce, put into request extensions by the server so
/// that the hydration script can carry it.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);
