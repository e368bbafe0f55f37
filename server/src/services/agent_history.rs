//! One staff member's accesses to any mailbox, for security admins: the same filters,
//! keyset pages and exports as an owner's history (`services::history`), scoped to the
//! agent instead of an owner's mailboxes.

use super::error::ServiceError;
use super::history;
use super::roles::security_admin;
use crate::db::events::EventRecord;
use crate::db::{staff, Db};
use app::model::{AgentHistory, HistoryCursor, HistoryFilter, StaffId};

/// The staff member, or `NotFound` (after the role check, so nobody learns who exists).
async fn member(db: &Db, admin: StaffId, agent: StaffId) -> Result<staff::StaffRow, ServiceError> {
    security_admin(db, admin).await?;
    staff::get_staff(db, agent)
        .await?
        .ok_or(ServiceError::NotFound("staff member"))
}

/// One page of `agent`'s accesses matching `filter`, for security admin `admin`.
pub async fn page(
    db: &Db,
    admin: StaffId,
    agent: StaffId,
    cursor: Option<HistoryCursor>,
    filter: &HistoryFilter,
) -> Result<AgentHistory, ServiceError> {
    let m = member(db, admin, agent).await?;
    Ok(AgentHistory {
        agent,
        name: m.display_name,
        email: m.email,
        page: history::agent_page(db, agent, cursor, filter).await?,
    })
}

/// Every access of `agent` matching `filter`, for security admin `admin` to download.
pub async fn export(
    db: &Db,
    admin: StaffId,
    agent: StaffId,
    filter: &HistoryFilter,
) -> Result<Vec<EventRecord>, ServiceError> {
    member(db, admin, agent).await?;
    history::export_agent(db, agent, filter).await
}
