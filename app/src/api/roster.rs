//! Server functions for the staff roster (`/admin/staff`): security admins only. Disabling
//! and recertifying each need the confirmation box ticked; without JavaScript the browser
//! is sent back to the roster, which says what was done.

use crate::error::AppError;
use crate::model::RosterView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
async fn act(
    member: String,
    confirm: Option<String>,
    act: crate::model::RosterAct,
    unconfirmed: &'static str,
    done: &'static str,
) -> Result<RosterView, AppError> {
    let staff = super::ssr::staff().await?;
    let target: crate::model::StaffId = member.parse().map_err(|_| AppError::NotFound)?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::Invalid(unconfirmed.into()));
    }
    let confirmed = super::ssr::passkey_confirmed().await;
    let view = super::ssr::portal()?
        .roster_act(staff, target, act, confirmed)
        .await?;
    super::ssr::after_plain_form_post(&format!("/admin/staff?done={done}&member={target}"));
    Ok(view)
}

/// The roster.
#[server(endpoint = "load_roster")]
pub async fn load_roster() -> Result<RosterView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?.roster(staff).await
        }
        .await,
    )
}

/// Disables a staff member (with the box ticked). Disabling twice changes nothing more.
#[server(endpoint = "disable_staff")]
pub async fn disable_staff(
    member: String,
    confirm: Option<String>,
) -> Result<RosterView, AppError> {
    super::ssr::with_status(
        act(
            member,
            confirm,
            crate::model::RosterAct::Disable,
            "Tick the box to confirm that this account is to be disabled.",
            "disabled",
        )
        .await,
    )
}

/// Recertifies a support agent for another period (with the box ticked).
#[server(endpoint = "recertify_staff")]
pub async fn recertify_staff(
    member: String,
    confirm: Option<String>,
) -> Result<RosterView, AppError> {
    super::ssr::with_status(
        act(
            member,
            confirm,
            crate::model::RosterAct::Recertify,
            "Tick the box to confirm that you checked this agent still needs to ask for access.",
            "recertified",
        )
        .await,
    )
}

/// One staff member's activity over time (`/admin/staff/{id}`).
#[server(endpoint = "load_agent_activity")]
pub async fn load_agent_activity(id: String) -> Result<crate::model::AgentActivityView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            let agent: crate::model::StaffId = id.parse().map_err(|_| AppError::NotFound)?;
            super::ssr::portal()?.agent_activity(staff, agent).await
        }
        .await,
    )
}

/// One staff member's accesses, a page at a time (`/admin/staff/{id}/accesses`).
#[server(endpoint = "load_agent_history", input = leptos::server_fn::codec::Json)]
pub async fn load_agent_history(
    id: String,
    cursor: Option<crate::model::HistoryCursor>,
    filter: crate::model::HistoryFilter,
) -> Result<crate::model::AgentHistory, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            let agent: crate::model::StaffId = id.parse().map_err(|_| AppError::NotFound)?;
            super::ssr::portal()?
                .agent_history(staff, agent, cursor, filter)
                .await
        }
        .await,
    )
}
