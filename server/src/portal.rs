//! [`PortalService`]: the server's implementation of the UI's [`Portal`] port. Every query
//! is scoped to the identity passed in, which the caller took from the session — never
//! from the URL.

use crate::services::history::{self, event_view};
use crate::services::incidents;
use crate::services::requests::{self, Submitter};
use crate::transparency::tree_cache::TreeCache;
use crate::services::unexpected;
use crate::config::Settings;
use crate::db::events::{self, EventFilter, Keyset};
use crate::db::requests::{self as db_requests, RequestRecord};
use crate::db::{owners, staff, Db};
use crate::domain::access_request::{effective_status, Action, Actor};
use crate::domain::clock::Clock;
use app::api::port::Portal;
use app::error::AppError;
use app::model::{
    AccessRequestStatus, Decision, DemoIdentity, HistoryCursor, HistoryFilter, HistoryPage,
    OwnerDecision, OwnerId, OwnerOverview, RequestForm, RequestId, RequestView, StaffAct,
    StaffHome, StaffId, StaffRequestView, StaffRole,
};
use app::model::{
    IncidentAdminAct, IncidentAdminView, IncidentForm, IncidentId, IncidentNotice, IncidentSummary,
    OwnerIncidentAct, OwnerIncidentView,
};
use async_trait::async_trait;
use std::sync::Arc;

/// How many recent events the overview shows.
const RECENT_EVENTS: i64 = 8;
/// How many requests the staff console lists.
const STAFF_REQUESTS: i64 = 50;

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

/// A request as the UI shows it, with its status as of `now` (a pending request past
/// its expiry shows as expired even before the sweeper writes that down).
pub fn request_view(r: RequestRecord, now: time::OffsetDateTime) -> RequestView {
    let status = effective_status(r.status, r.expires_at, r.grant_ends_at, now);
    RequestView {
        id: r.id,
        mailbox: r.mailbox,
        agent_pseudonym: r.agent_pseudonym,
        agent_role: r.agent_role,
        scopes: r.scopes,
        justification_code: r.justification_code,
        justification_text: r.justification_text,
        ticket: r.ticket,
        duration_minutes: r.duration_minutes,
        status,
        created_at: r.created_at,
        expires_at: r.expires_at,
        grant_ends_at: r.grant_ends_at,
        decision_reason: r.decision_reason,
        minutes_left: match (status, r.grant_ends_at) {
            (AccessRequestStatus::Approved, Some(end)) => {
                Some(((end - now).whole_seconds() + 59) / 60)
            }
            _ => None,
        },
        steps: Vec::new(),
    }
}

#[async_trait]
impl Portal for PortalService {
    #[tracing::instrument(skip_all, fields(owner.id = %owner))]
    async fn owner_overview(&self, owner: OwnerId) -> Result<OwnerOverview, AppError> {
        let now = self.clock.now();
        let db = &self.db;
        let person = owners::get_owner(db, owner)
            .await
            .map_err(|e| unexpected("load owner", e))?;
        let Some(person) = person else {
            return Err(AppError::Unauthorized);
        };
        let mailboxes = owners::mailboxes_of(db, owner)
            .await
            .map_err(|e| unexpected("load mailboxes", e))?;
        let pending = db_requests::pending_for_owner(db, owner, now)
            .await
            .map_err(|e| unexpected("load pending", e))?;
        let grants = db_requests::active_grants_for_owner(db, owner, now)
            .await
            .map_err(|e| unexpected("load grants", e))?;
        let (recent, _) = events::page_for_owner(
            db,
            owner,
            &EventFilter::default(),
            Keyset::Newest,
            RECENT_EVENTS,
        )
        .await
        .map_err(|e| unexpected("load recent events", e))?;
        let since = now - time::Duration::days(30);
        let accesses = events::count_for_owner(db, owner, Some(since), None)
            .await
            .map_err(|e| unexpected("count events", e))?;
        let denied = events::count_for_owner(db, owner, Some(since), Some(Decision::Denied))
            .await
            .map_err(|e| unexpected("count denied events", e))?;
        Ok(OwnerOverview {
            display_name: person.display_name,
            mailboxes: mailboxes.into_iter().map(|m| m.address).collect(),
            pending: pending.into_iter().map(|r| request_view(r, now)).collect(),
            active_grants: grants.into_iter().map(|r| request_view(r, now)).collect(),
            recent: recent.into_iter().map(event_view).collect(),
            accesses_last_30_days: accesses,
            denied_last_30_days: denied,
        })
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
        let db = &self.db;
        let member = staff::get_staff(db, staff_id)
            .await
            .map_err(|e| unexpected("load staff", e))?;
        let Some(member) = member.filter(|m| m.disabled_at.is_none()) else {
            return Err(AppError::Unauthorized);
        };
        // Support agents see their own requests; security admins see everyone's.
        let in_view = match member.role {
            StaffRole::Support => Some(member.id),
            StaffRole::SecurityAdmin => None,
        };
        let now = self.clock.now();
        let list = db_requests::list_recent(db, in_view, STAFF_REQUESTS)
            .await
            .map_err(|e| unexpected("load staff requests", e))?;
        let counts = db_requests::count_by_status(db, in_view)
            .await
            .map_err(|e| unexpected("count requests", e))?;
        let failed_emails = match member.role {
            StaffRole::SecurityAdmin => {
                crate::db::outbox::list(db, Some(crate::db::outbox::OutboxStatus::Failed), 20)
                    .await
                    .map_err(|e| unexpected("list failed emails", e))?
                    .into_iter()
                    .map(|m| app::model::FailedEmailView {
                        id: m.id.to_string(),
                        kind: m.kind,
                        recipient: crate::email::mask(&m.recipient),
                        failed_at: m.failed_at,
                        attempts: m.attempts,
                        reason: m.last_error.unwrap_or_default(),
                    })
                    .collect()
            }
            StaffRole::Support => Vec::new(),
        };
        Ok(StaffHome {
            display_name: member.display_name,
            role: member.role,
            pseudonym: member.pseudonym,
            requests: list
                .into_iter()
                .map(|r| {
                    let agent_name = r.agent_name.clone();
                    StaffRequestView {
                        request: request_view(r, now),
                        agent_name,
                    }
                })
                .collect(),
            counts,
            failed_emails,
        })
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner, request.id = %id))]
    async fn owner_request(&self, owner: OwnerId, id: RequestId) -> Result<RequestView, AppError> {
        let r = requests::get_for_owner(&self.db, owner, id)
            .await
            .map_err(|e| e.into_app_error("load owner request"))?;
        let steps = requests::steps_for_owner(&self.db, owner, id)
            .await
            .map_err(|e| e.into_app_error("load the steps of an owner's request"))?;
        Ok(RequestView {
            steps,
            ..request_view(r, self.clock.now())
        })
    }

    async fn owner_requests(&self, owner: OwnerId) -> Result<Vec<RequestView>, AppError> {
        let now = self.clock.now();
        let list = db_requests::list_for_owner(&self.db, owner, 100)
            .await
            .map_err(|e| unexpected("list owner requests", e))?;
        Ok(list.into_iter().map(|r| request_view(r, now)).collect())
    }

    #[tracing::instrument(skip_all, fields(owner.id = %owner, request.id = %id))]
    async fn owner_decide(
        &self,
        owner: OwnerId,
        id: RequestId,
        decision: OwnerDecision,
    ) -> Result<RequestView, AppError> {
        let action = match decision {
            OwnerDecision::Approve => Action::Approve,
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
        let r = requests::decide(
            &self.db,
            &self.clock,
            &self.settings,
            id,
            Actor::Owner(owner),
            action,
        )
        .await
        .map_err(|e| e.into_app_error("owner decision"))?;
        Ok(request_view(r, self.clock.now()))
    }

    #[tracing::instrument(skip_all, fields(staff.id = %staff_id))]
    async fn staff_submit(
        &self,
        staff_id: StaffId,
        form: RequestForm,
    ) -> Result<RequestView, AppError> {
        let r = requests::submit(
            &self.db,
            &self.clock,
            &self.settings,
            Submitter::Agent(staff_id),
            &form,
        )
        .await
        .map_err(|e| e.into_app_error("submit request"))?;
        Ok(request_view(r, self.clock.now()))
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
        Ok(request_view(r, self.clock.now()))
    }

    async fn owner_access_notices(
        &self,
        owner: OwnerId,
    ) -> Result<app::model::AccessNotices, AppError> {
        crate::services::notifications::access_notices(&self.db, owner)
            .await
            .map_err(|e| e.into_app_error("load access notice choice"))
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
        crate::transparency::checkpoints::proofs_for_page(&*self.tree, &indexes, since)
            .await
            .map_err(|e| crate::services::error::ServiceError::from(e).into_app_error("load log proofs"))
    }

    async fn demo_identities(&self) -> Result<Vec<DemoIdentity>, AppError> {
        if !self.settings.demo_sign_in() {
            return Err(AppError::NotFound);
        }
        let db = &self.db;
        let people = owners::list_owners(db, 6)
            .await
            .map_err(|e| unexpected("list demo owners", e))?;
        let mut identities = Vec::with_capacity(people.len() + 4);
        for p in people {
            let mailboxes = owners::mailboxes_of(db, OwnerId(p.id))
                .await
                .map_err(|e| unexpected("list demo mailboxes", e))?;
            let addresses: Vec<String> = mailboxes.into_iter().map(|m| m.address).collect();
            identities.push(DemoIdentity {
                key: format!("owner:{}", p.id),
                name: p.display_name,
                role_label: "Mailbox owner".into(),
                description: format!("Sees the access history of {}.", addresses.join(", ")),
            });
        }
        for s in staff::list_active_staff(db)
            .await
            .map_err(|e| unexpected("list demo staff", e))?
        {
            let description = match s.role {
                StaffRole::Support => {
                    "Requests access to mailboxes and sees whether owners consented."
                }
                StaffRole::SecurityAdmin => "Sees every request and runs incidents.",
            };
            identities.push(DemoIdentity {
                key: format!("staff:{}", s.id),
                name: s.display_name,
                role_label: s.role.label().into(),
                description: description.into(),
            });
        }
        Ok(identities)
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
        if act == IncidentAdminAct::Confirm {
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
}
