//! The one seam between the user interface and the server: the server crate implements
//! [`Portal`] over its domain services and provides it through Leptos context.

use crate::error::AppError;
use crate::model::{
    AccessNotices, DemoIdentity, FormKey, HistoryCursor, HistoryFilter, HistoryPage,
    IncidentAdminAct, IncidentAdminView, IncidentForm, IncidentId, IncidentNotice, IncidentSummary,
    LogProofs, OwnerDecision, OwnerId, OwnerIncidentAct, OwnerIncidentView, OwnerOverview,
    RequestForm, RequestId, RequestView, RosterAct, RosterView, StaffAct, StaffHome, StaffId,
};
use crate::model::{AdminReportView, ReportPage, ReportSubject};
use crate::model::{
    ImapCredentialView, StaffListQuery, StaffRequestDetail, StaffRequestList, StandingRules,
};
use async_trait::async_trait;

/// Everything the pages ask of the server. Every method takes the identity it acts for;
/// the implementation scopes every query to that identity.
#[async_trait]
pub trait Portal: Send + Sync + 'static {
    /// The owner's overview: pending requests, active grants, recent accesses.
    async fn owner_overview(&self, owner: OwnerId) -> Result<OwnerOverview, AppError>;

    /// One page of the owner's access history, newest first.
    async fn owner_history(
        &self,
        owner: OwnerId,
        cursor: Option<HistoryCursor>,
        filter: HistoryFilter,
    ) -> Result<HistoryPage, AppError>;

    /// The staff console's home page.
    async fn staff_home(&self, staff: StaffId) -> Result<StaffHome, AppError>;

    /// One page of the requests the staff member may see that `query` selects.
    async fn staff_requests(
        &self,
        staff: StaffId,
        query: StaffListQuery,
    ) -> Result<StaffRequestList, AppError>;

    /// One request about one of the owner's mailboxes (`NotFound` for anyone else's).
    async fn owner_request(&self, owner: OwnerId, id: RequestId) -> Result<RequestView, AppError>;

    /// The newest requests about the owner's mailboxes, in any state.
    async fn owner_requests(&self, owner: OwnerId) -> Result<Vec<RequestView>, AppError>;

    /// The owner approves, denies, revokes or shortens. With the form's `key`, a repeat of
    /// the same form decides nothing and answers with the request as the first one left it.
    async fn owner_decide(
        &self,
        owner: OwnerId,
        id: RequestId,
        decision: OwnerDecision,
        key: Option<FormKey>,
        confirmed: crate::model::PasskeyConfirmed,
    ) -> Result<RequestView, AppError>;

    /// "Stop all access": revokes every live grant and cancels every pending request of the
    /// owner's mailboxes. With the form's `key`, a repeat changes nothing and answers with
    /// what the first did.
    async fn owner_stop_all(
        &self,
        owner: OwnerId,
        key: Option<FormKey>,
    ) -> Result<crate::model::StopAllOutcome, AppError>;

    /// A support agent asks for access. With the form's `key`, a repeat of the same form
    /// makes no second request and answers with the first.
    async fn staff_submit(
        &self,
        staff: StaffId,
        form: RequestForm,
        key: Option<FormKey>,
    ) -> Result<RequestView, AppError>;

    /// A staff member cancels a pending request or ends a grant early.
    async fn staff_act(
        &self,
        staff: StaffId,
        id: RequestId,
        act: StaffAct,
    ) -> Result<RequestView, AppError>;

    /// One of the agent's own requests, with its IMAP access (`NotFound` for anyone else's).
    async fn staff_request(
        &self,
        staff: StaffId,
        id: RequestId,
    ) -> Result<StaffRequestDetail, AppError>;

    /// Makes the IMAP credential of the agent's live content grant (replacing any earlier
    /// one); the secret is in the answer only.
    async fn issue_imap_credential(
        &self,
        staff: StaffId,
        id: RequestId,
    ) -> Result<ImapCredentialView, AppError>;

    /// How the owner hears about accesses.
    async fn owner_access_notices(&self, owner: OwnerId) -> Result<AccessNotices, AppError>;

    /// Changes how the owner hears about accesses.
    async fn set_owner_access_notices(
        &self,
        owner: OwnerId,
        choice: AccessNotices,
    ) -> Result<AccessNotices, AppError>;

    /// The owner's standing rules.
    async fn owner_standing_rules(&self, owner: OwnerId) -> Result<StandingRules, AppError>;

    /// Replaces the owner's standing rules.
    async fn set_owner_standing_rules(
        &self,
        owner: OwnerId,
        rules: StandingRules,
    ) -> Result<StandingRules, AppError>;

    /// The owner's report page for an access or request of theirs ("I don't recognise this").
    async fn owner_report_page(
        &self,
        owner: OwnerId,
        subject: ReportSubject,
    ) -> Result<ReportPage, AppError>;

    /// The owner reports an access or request of theirs; the security admins are told.
    async fn owner_report(
        &self,
        owner: OwnerId,
        subject: ReportSubject,
        note: Option<String>,
    ) -> Result<ReportPage, AppError>;

    /// Owners' reports, for a security admin.
    async fn admin_reports(&self, staff: StaffId) -> Result<Vec<AdminReportView>, AppError>;

    /// A security admin marks an owner's report handled.
    async fn handle_report(
        &self,
        staff: StaffId,
        id: uuid::Uuid,
    ) -> Result<AdminReportView, AppError>;

    /// The identities offered by the demo sign-in page; `NotFound` when it is switched off.
    async fn demo_identities(&self) -> Result<Vec<DemoIdentity>, AppError>;

    /// The log's key, latest checkpoint, inclusion proofs of `indexes` and a consistency
    /// proof from size `since` (public data: hashes only).
    async fn log_proofs(
        &self,
        indexes: Vec<u64>,
        since: Option<u64>,
    ) -> Result<LogProofs, AppError>;

    /// The confirmed incidents that touched the owner's mailboxes.
    async fn owner_incident_notices(&self, owner: OwnerId)
        -> Result<Vec<IncidentNotice>, AppError>;

    /// One incident as it touched the owner (`NotFound` if it did not).
    async fn owner_incident(
        &self,
        owner: OwnerId,
        id: IncidentId,
    ) -> Result<OwnerIncidentView, AppError>;

    /// The owner ticks a step or acknowledges.
    async fn owner_incident_act(
        &self,
        owner: OwnerId,
        id: IncidentId,
        act: OwnerIncidentAct,
    ) -> Result<OwnerIncidentView, AppError>;

    /// Every incident (security admins).
    async fn admin_incidents(&self, staff: StaffId) -> Result<Vec<IncidentSummary>, AppError>;

    /// Declares an incident (security admins).
    async fn declare_incident(
        &self,
        staff: StaffId,
        form: IncidentForm,
    ) -> Result<IncidentId, AppError>;

    /// One incident as its admins follow it.
    async fn admin_incident(
        &self,
        staff: StaffId,
        id: IncidentId,
    ) -> Result<IncidentAdminView, AppError>;

    /// Confirms, follows up on or closes an incident.
    async fn admin_incident_act(
        &self,
        staff: StaffId,
        id: IncidentId,
        act: IncidentAdminAct,
    ) -> Result<IncidentAdminView, AppError>;

    /// The staff roster (security admins).
    async fn roster(&self, staff: StaffId) -> Result<RosterView, AppError>;

    /// Disables or recertifies `target` from the roster (security admins); answers with the
    /// roster as it is afterwards.
    async fn roster_act(
        &self,
        staff: StaffId,
        target: StaffId,
        act: RosterAct,
        confirmed: crate::model::PasskeyConfirmed,
    ) -> Result<RosterView, AppError>;

    /// One staff member's accesses, a page at a time, filtered (security admins).
    async fn agent_history(
        &self,
        staff: StaffId,
        agent: StaffId,
        cursor: Option<crate::model::HistoryCursor>,
        filter: crate::model::HistoryFilter,
    ) -> Result<crate::model::AgentHistory, AppError>;

    /// Emergency access (break-glass): the security admins' page.
    async fn emergency_page(&self, staff: StaffId)
        -> Result<crate::model::EmergencyPage, AppError>;

    /// Opens an emergency access (a security admin); it waits for a second security admin.
    /// Answers with the page as it is afterwards.
    async fn open_emergency(
        &self,
        staff: StaffId,
        form: crate::model::EmergencyForm,
    ) -> Result<crate::model::EmergencyPage, AppError>;

    /// Approves, refuses, cancels or ends emergency access `id` (a security admin; four eyes
    /// as the domain keeps them). Answers with the page as it is afterwards.
    async fn emergency_act(
        &self,
        staff: StaffId,
        id: RequestId,
        act: crate::model::EmergencyAct,
        confirmed: crate::model::PasskeyConfirmed,
    ) -> Result<crate::model::EmergencyPage, AppError>;

    /// One staff member's activity over time (security admins).
    async fn agent_activity(
        &self,
        staff: StaffId,
        agent: StaffId,
    ) -> Result<crate::model::AgentActivityView, AppError>;

    /// How many owners' notices legal holds deferred, per month and reason (anyone: it
    /// says neither whose nor what).
    async fn held_notice_counts(&self) -> Result<crate::model::HeldNoticeCounts, AppError>;

    /// The owner's notices that legal holds deferred and that are now released.
    async fn released_notices(
        &self,
        owner: OwnerId,
    ) -> Result<Vec<crate::model::ReleasedNotice>, AppError>;
}
