//! [`PortalService`]: the server's implementation of the UI's [`Portal`] port. Every query
//! is scoped to the identity passed in, which the caller took from the session — never
//! from the URL.

//!
//! It is a thin adapter: each method calls one use case in `services` and turns its error
//! into the page-facing [`AppError`]; it runs no SQL of its own.

use crate::config::Settings;
use crate::db::Db;
use crate::domain::access_request::{Action, Actor};
use crate::domain::clock::Clock;
use crate::services::error::ServiceError;
use crate::services::requests::{self, FormOnce, Submitter};
use crate::services::{
    break_glass, console, history, imap, incidents, overview, owner_reports, sign_in, staff,
};
use crate::transparency::tree_cache::TreeCache;
use app::api::port::Portal;
use app::error::AppError;
use app::model::{
    DemoIdentity, FormKey, HistoryCursor, HistoryFilter, HistoryPage, OwnerDecision, OwnerId,
    OwnerOverview, RequestField, RequestForm, RequestId, RequestView, RosterAct, RosterView,
    StaffAct, StaffHome, StaffId,
};
use app::model::{
    IncidentAdminAct, IncidentAdminView, IncidentForm, IncidentId, IncidentNotice, IncidentSummary,
    OwnerIncidentAct, OwnerIncidentView,
};
use async_trait::async_trait;
use std::sync::Arc;

/// The portal over the database.
#[derive(Clone)]
pub struct PortalService {
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    /// The log's stored hashes, shared with the `/log/*` routes and the checkpoint job.
    tree: Arc<TreeCache>,
}

impl PortalService {
    /// A portal over `db`, reading the log's tree through `tree`.
    pub fn new(db: Db, clock: Clock, settings: Arc<Settings>, tree: Arc<TreeCache>) -> Self {
        Self {
            db,
            clock,
            settings,
            tree,
        }
    }
}

#[async_trait]
impl Portal for PortalService {
    #[tracing::instrument(skip_all, fields(owner.id = %owner))]
    async fn owner_overview(&self, owner: OwnerId) -> Result<OwnerOverview, AppError> {
        overview::owner_overview(&self.db, &self.clock, &self.settings, owner)
            .await
            .map_err(|e| e.into_app_error("load the owner's overview"))
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner))]
    async fn owner_history(
        &self,
        owner: OwnerId,
        cursor: Option<HistoryCursor>,
        filter: HistoryFilter,
    ) -> Result<HistoryPage, AppError> {
        history::page(&self.db, owner, cursor, &filter)
            .await
            .map_err(|e| e.into_app_error("load history page"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff_id))]
    async fn staff_home(&self, staff_id: StaffId) -> Result<StaffHome, AppError> {
        console::staff_home(&self.db, &self.clock, &self.settings, staff_id)
            .await
            .map_err(|e| e.into_app_error("load the staff console"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff_id))]
    async fn staff_requests(
        &self,
        staff_id: StaffId,
        query: app::model::StaffListQuery,
    ) -> Result<app::model::StaffRequestList, AppError> {
        console::staff_requests(&self.db, &self.clock, staff_id, &query)
            .await
            .map_err(|e| e.into_app_error("list the staff console's requests"))
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner, request.id = %id))]
    async fn owner_request(&self, owner: OwnerId, id: RequestId) -> Result<RequestView, AppError> {
        let r = requests::get_for_owner(&self.db, owner, id)
            .await
            .map_err(|e| e.into_app_error("load owner request"))?;
        let steps = requests::steps_for_owner(&self.db, owner, id)
            .await
            .map_err(|e| e.into_app_error("load the steps of an owner's request"))?;
        let imap_sessions = imap::owner_sessions(&self.db, owner, id, &r.agent_pseudonym)
            .await
            .map_err(|e| e.into_app_error("load the IMAP sessions of an owner's request"))?;
        let accesses = crate::services::history::under_request(&self.db, owner, id)
            .await
            .map_err(|e| e.into_app_error("load the accesses under an owner's request"))?;
        Ok(RequestView {
            steps,
            imap_sessions,
            accesses,
            ..requests::view(r, self.clock.now())
        })
    }

    async fn owner_requests(&self, owner: OwnerId) -> Result<Vec<RequestView>, AppError> {
        overview::owner_requests(&self.db, &self.clock, owner)
            .await
            .map_err(|e| e.into_app_error("list the owner's requests"))
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner, request.id = %id))]
    async fn owner_decide(
        &self,
        owner: OwnerId,
        id: RequestId,
        decision: OwnerDecision,
        key: Option<FormKey>,
        confirmed: app::model::PasskeyConfirmed,
    ) -> Result<RequestView, AppError> {
        let action = match decision {
            OwnerDecision::Approve { scopes, minutes } => {
                // An owner who added a passkey approves only with it.
                crate::services::passkeys::owner_may_approve(
                    &self.db,
                    &self.settings,
                    owner,
                    confirmed.0,
                    self.clock.now(),
                    &format!("/me/requests/{id}"),
                )
                .await
                .map_err(|e| e.into_app_error("check the owner's passkey"))?;
                Action::Approve(crate::domain::access_request::Grant { scopes, minutes })
            }
            OwnerDecision::Deny { reason } => Action::Deny { reason },
            OwnerDecision::Revoke => Action::Revoke,
            OwnerDecision::Shorten { minutes } => {
                if !(1..=24 * 60).contains(&minutes) {
                    return Err(AppError::Invalid(
                        "Choose how many minutes from now the access should end.".into(),
                    ));
                }
                Action::Shorten {
                    until: crate::db::ts(self.clock.now()) + time::Duration::minutes(minutes),
                }
            }
        };
        let once = key.map(|key| FormOnce {
            actor: owner.0,
            key,
        });
        let r = requests::decide_with(
            &self.db,
            &self.clock,
            &self.settings,
            id,
            Actor::Owner(owner),
            action,
            None,
            once.as_ref(),
        )
        .await
        .map_err(|e| e.into_app_error("owner decision"))?;
        Ok(requests::view(r, self.clock.now()))
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner))]
    async fn owner_stop_all(
        &self,
        owner: OwnerId,
        key: Option<FormKey>,
    ) -> Result<app::model::StopAllOutcome, AppError> {
        let once = key.map(|key| FormOnce {
            actor: owner.0,
            key,
        });
        requests::stop_all(&self.db, &self.clock, &self.settings, owner, once.as_ref())
            .await
            .map_err(|e| e.into_app_error("stop all access"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff_id))]
    async fn staff_submit(
        &self,
        staff_id: StaffId,
        form: RequestForm,
        key: Option<FormKey>,
    ) -> Result<RequestView, AppError> {
        let once = key.map(|key| FormOnce {
            actor: staff_id.0,
            key,
        });
        let r = requests::submit(
            &self.db,
            &self.clock,
            &self.settings,
            Submitter::Agent(staff_id),
            &form,
            once.as_ref(),
        )
        .await
        .map_err(|e| match e {
            // The agent is the one signed in: an unknown name can only be the mailbox.
            ServiceError::Unknown(_) => AppError::InvalidField {
                field: RequestField::Mailbox,
                message: "No mailbox at this provider has that address. Check it with the owner."
                    .into(),
            },
            e => e.into_app_error("submit request"),
        })?;
        Ok(requests::view(r, self.clock.now()))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff_id, request.id = %id))]
    async fn staff_act(
        &self,
        staff_id: StaffId,
        id: RequestId,
        act: StaffAct,
    ) -> Result<RequestView, AppError> {
        let action = match act {
            StaffAct::Cancel => Action::Cancel,
            StaffAct::End => Action::End,
        };
        let r = requests::decide(
            &self.db,
            &self.clock,
            &self.settings,
            id,
            Actor::Staff(staff_id),
            action,
        )
        .await
        .map_err(|e| e.into_app_error("staff action"))?;
        Ok(requests::view(r, self.clock.now()))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff_id, request.id = %id))]
    async fn staff_request(
        &self,
        staff_id: StaffId,
        id: RequestId,
    ) -> Result<app::model::StaffRequestDetail, AppError> {
        imap::staff_request(&self.db, &self.clock, staff_id, id)
            .await
            .map_err(|e| e.into_app_error("load a staff request"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff_id, request.id = %id))]
    async fn issue_imap_credential(
        &self,
        staff_id: StaffId,
        id: RequestId,
    ) -> Result<app::model::ImapCredentialView, AppError> {
        let issued = imap::issue_credential(&self.db, &self.clock, &self.settings, staff_id, id)
            .await
            .map_err(|e| e.into_app_error("issue an IMAP credential"))?;
        Ok(app::model::ImapCredentialView {
            login: issued.login,
            secret: issued.secret,
        })
    }

    async fn owner_access_notices(
        &self,
        owner: OwnerId,
    ) -> Result<app::model::AccessNotices, AppError> {
        crate::services::notifications::access_notices(&self.db, owner)
            .await
            .map_err(|e| e.into_app_error("load access notice choice"))
    }

    async fn owner_standing_rules(
        &self,
        owner: OwnerId,
    ) -> Result<app::model::StandingRules, AppError> {
        crate::services::owner_rules::rules(&self.db, owner)
            .await
            .map_err(|e| e.into_app_error("load standing rules"))
    }

    async fn owner_report_page(
        &self,
        owner: OwnerId,
        subject: app::model::ReportSubject,
    ) -> Result<app::model::ReportPage, AppError> {
        owner_reports::report_page(&self.db, &self.clock, &self.settings, owner, subject)
            .await
            .map_err(|e| e.into_app_error("load an owner's report page"))
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner))]
    async fn owner_report(
        &self,
        owner: OwnerId,
        subject: app::model::ReportSubject,
        note: Option<String>,
    ) -> Result<app::model::ReportPage, AppError> {
        owner_reports::report(
            &self.db,
            &self.clock,
            &self.settings,
            owner,
            subject,
            note.as_deref(),
        )
        .await
        .map_err(|e| e.into_app_error("record an owner's report"))
    }

    async fn admin_reports(
        &self,
        staff: StaffId,
    ) -> Result<Vec<app::model::AdminReportView>, AppError> {
        owner_reports::list(&self.db, staff)
            .await
            .map_err(|e| e.into_app_error("list owners' reports"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff))]
    async fn handle_report(
        &self,
        staff: StaffId,
        id: uuid::Uuid,
    ) -> Result<app::model::AdminReportView, AppError> {
        owner_reports::mark_handled(&self.db, &self.clock, staff, id)
            .await
            .map_err(|e| e.into_app_error("mark an owner's report handled"))
    }

    async fn set_owner_standing_rules(
        &self,
        owner: OwnerId,
        rules: app::model::StandingRules,
    ) -> Result<app::model::StandingRules, AppError> {
        crate::services::owner_rules::set_rules(&self.db, &self.clock, owner, rules)
            .await
            .map_err(|e| e.into_app_error("save standing rules"))
    }

    async fn set_owner_access_notices(
        &self,
        owner: OwnerId,
        choice: app::model::AccessNotices,
    ) -> Result<app::model::AccessNotices, AppError> {
        crate::services::notifications::set_access_notices(&self.db, &self.clock, owner, choice)
            .await
            .map_err(|e| e.into_app_error("save access notice choice"))
    }

    async fn log_proofs(
        &self,
        indexes: Vec<u64>,
        since: Option<u64>,
    ) -> Result<app::model::LogProofs, AppError> {
        let policy = self.settings.log.witness_policy().map_err(|e| {
            ServiceError::from(anyhow::anyhow!(e)).into_app_error("load log proofs")
        })?;
        crate::transparency::checkpoints::proofs_for_page(&*self.tree, &policy, &indexes, since)
            .await
            .map_err(|e| ServiceError::from(e).into_app_error("load log proofs"))
    }

    async fn demo_identities(&self) -> Result<Vec<DemoIdentity>, AppError> {
        if !self.settings.demo_sign_in() {
            return Err(AppError::NotFound);
        }
        sign_in::demo_identities(&self.db)
            .await
            .map_err(|e| e.into_app_error("list the demo identities"))
    }

    async fn owner_incident_notices(
        &self,
        owner: OwnerId,
    ) -> Result<Vec<IncidentNotice>, AppError> {
        incidents::owner_notices(&self.db, owner)
            .await
            .map_err(|e| e.into_app_error("owner incident notices"))
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner, incident.id = %id))]
    async fn owner_incident(
        &self,
        owner: OwnerId,
        id: IncidentId,
    ) -> Result<OwnerIncidentView, AppError> {
        incidents::owner_view(&self.db, &self.settings, owner, id)
            .await
            .map_err(|e| e.into_app_error("owner incident"))
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner, incident.id = %id))]
    async fn owner_incident_act(
        &self,
        owner: OwnerId,
        id: IncidentId,
        act: OwnerIncidentAct,
    ) -> Result<OwnerIncidentView, AppError> {
        incidents::owner_act(&self.db, &self.clock, owner, id, act)
            .await
            .map_err(|e| e.into_app_error("owner incident act"))?;
        self.owner_incident(owner, id).await
    }

    async fn admin_incidents(&self, staff: StaffId) -> Result<Vec<IncidentSummary>, AppError> {
        incidents::list(&self.db, staff)
            .await
            .map_err(|e| e.into_app_error("list incidents"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff))]
    async fn declare_incident(
        &self,
        staff: StaffId,
        form: IncidentForm,
    ) -> Result<IncidentId, AppError> {
        incidents::declare(&self.db, &self.clock, staff, &form)
            .await
            .map_err(|e| e.into_app_error("declare incident"))
    }

    async fn admin_incident(
        &self,
        staff: StaffId,
        id: IncidentId,
    ) -> Result<IncidentAdminView, AppError> {
        incidents::admin_view(&self.db, staff, id)
            .await
            .map_err(|e| e.into_app_error("incident"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff, incident.id = %id))]
    async fn admin_incident_act(
        &self,
        staff: StaffId,
        id: IncidentId,
        act: IncidentAdminAct,
    ) -> Result<IncidentAdminView, AppError> {
        incidents::act(&self.db, &self.clock, &self.settings, staff, id, &act)
            .await
            .map_err(|e| e.into_app_error("incident act"))?;
        if matches!(act, IncidentAdminAct::Confirm { .. }) {
            // Start queueing at once rather than at the job's next tick.
            let (db, clock, settings) =
                (self.db.clone(), self.clock.clone(), self.settings.clone());
            tokio::spawn(async move {
                if let Err(e) = incidents::queue_notices(&db, &clock, &settings).await {
                    tracing::warn!(error = %e, "queueing incident notices failed; the job will retry");
                }
            });
        }
        self.admin_incident(staff, id).await
    }

    #[tracing::instrument(skip_all, fields(staff.id = %admin))]
    async fn roster(&self, admin: StaffId) -> Result<RosterView, AppError> {
        staff::roster(&self.db, &self.clock, &self.settings, admin)
            .await
            .map_err(|e| e.into_app_error("load the staff roster"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %admin, target.id = %target))]
    async fn roster_act(
        &self,
        admin: StaffId,
        target: StaffId,
        act: RosterAct,
        confirmed: app::model::PasskeyConfirmed,
    ) -> Result<RosterView, AppError> {
        let done = match act {
            RosterAct::Disable => match crate::services::passkeys::require_fresh(
                &self.settings,
                confirmed.0,
                self.clock.now(),
                "/staff/confirm",
                "/admin/staff",
            ) {
                Err(e) => Err(e),
                Ok(()) => staff::disable(
                    &self.db,
                    &self.clock,
                    &self.settings,
                    target,
                    staff::ChangedBy::Admin(admin),
                )
                .await
                .map(|_| ()),
            },
            RosterAct::Recertify => staff::recertify(&self.db, &self.clock, admin, target).await,
        };
        done.map_err(|e| e.into_app_error("change the staff roster"))?;
        self.roster(admin).await
    }

    #[tracing::instrument(skip_all, fields(staff.id = %admin, agent.id = %agent))]
    async fn agent_activity(
        &self,
        admin: StaffId,
        agent: StaffId,
    ) -> Result<app::model::AgentActivityView, AppError> {
        staff::agent_activity(&self.db, &self.clock, &self.settings, admin, agent)
            .await
            .map_err(|e| e.into_app_error("load an agent's activity"))
    }

    async fn agent_history(
        &self,
        admin: StaffId,
        agent: StaffId,
        cursor: Option<HistoryCursor>,
        filter: HistoryFilter,
    ) -> Result<app::model::AgentHistory, AppError> {
        crate::services::agent_history::page(&self.db, admin, agent, cursor, &filter)
            .await
            .map_err(|e| e.into_app_error("load an agent's accesses"))
    }

    async fn emergency_page(&self, admin: StaffId) -> Result<app::model::EmergencyPage, AppError> {
        break_glass::page(&self.db, &self.clock, &self.settings, admin)
            .await
            .map_err(|e| e.into_app_error("load the emergency access page"))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %admin))]
    async fn open_emergency(
        &self,
        admin: StaffId,
        form: app::model::EmergencyForm,
    ) -> Result<app::model::EmergencyPage, AppError> {
        break_glass::open(&self.db, &self.clock, &self.settings, admin, &form)
            .await
            .map_err(|e| e.into_app_error("open an emergency access"))?;
        self.emergency_page(admin).await
    }

    #[tracing::instrument(skip_all, fields(staff.id = %admin, request.id = %id))]
    async fn emergency_act(
        &self,
        admin: StaffId,
        id: RequestId,
        act: app::model::EmergencyAct,
        confirmed: app::model::PasskeyConfirmed,
    ) -> Result<app::model::EmergencyPage, AppError> {
        break_glass::act(
            &self.db,
            &self.clock,
            &self.settings,
            admin,
            id,
            act,
            confirmed.0,
        )
        .await
        .map_err(|e| e.into_app_error("decide an emergency access"))?;
        self.emergency_page(admin).await
    }

    async fn held_notice_counts(&self) -> Result<app::model::HeldNoticeCounts, AppError> {
        crate::services::legal_holds::counts(&self.db)
            .await
            .map_err(|e| e.into_app_error("count the notices held back"))
    }

    async fn released_notices(
        &self,
        owner: OwnerId,
    ) -> Result<Vec<app::model::ReleasedNotice>, AppError> {
        crate::services::legal_holds::released_for_owner(&self.db, owner)
            .await
            .map_err(|e| e.into_app_error("load the released notices"))
    }
}
