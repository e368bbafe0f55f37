//! Server functions for incidents: the affected owner's page and the security admins'
//! declaration, correction or discarding of a draft, confirmation, follow-up and closing.

// A declaration's fields arrive as one form's fields, one argument each (so the form works
// without JavaScript); the `#[server]` expansion for the browser needs the allowance on
// the module, an item's attribute does not reach it.
#![allow(
    clippy::too_many_arguments,
    reason = "a declaration's form fields are the server function's arguments"
)]

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::model::{IncidentAdminAct, IncidentForm, IncidentId, OwnerIncidentAct};
use crate::model::{IncidentAdminView, IncidentNotice, IncidentSummary, OwnerIncidentView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<IncidentId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// The incidents that touched the signed-in owner (for the banner).
#[server(endpoint = "load_incident_notices")]
pub async fn load_incident_notices() -> Result<Vec<IncidentNotice>, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?.owner_incident_notices(owner).await
        }
        .await,
    )
}

/// One incident as it touched the signed-in owner.
#[server(endpoint = "load_owner_incident")]
pub async fn load_owner_incident(id: String) -> Result<OwnerIncidentView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?
                .owner_incident(owner, parse_id(&id)?)
                .await
        }
        .await,
    )
}

/// Ticks (`done=yes`) or unticks a step of the checklist.
#[server(endpoint = "tick_incident_step")]
pub async fn tick_incident_step(
    id: String,
    step: String,
    done: Option<String>,
) -> Result<OwnerIncidentView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            let step = step
                .parse()
                .map_err(|e: crate::model::ParseVocabularyError| {
                    AppError::Invalid(e.to_string())
                })?;
            let act = OwnerIncidentAct::Tick {
                step,
                done: done.as_deref() == Some("yes"),
            };
            super::ssr::portal()?
                .owner_incident_act(owner, parse_id(&id)?, act)
                .await
        }
        .await,
    )
}

/// The owner says they have read the notice.
#[server(endpoint = "acknowledge_incident")]
pub async fn acknowledge_incident(id: String) -> Result<OwnerIncidentView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?
                .owner_incident_act(owner, parse_id(&id)?, OwnerIncidentAct::Acknowledge)
                .await
        }
        .await,
    )
}

/// Every incident (security admins).
#[server(endpoint = "load_admin_incidents")]
pub async fn load_admin_incidents() -> Result<Vec<IncidentSummary>, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?.admin_incidents(staff).await
        }
        .await,
    )
}

/// Declares an incident; answers with its id.
#[server(endpoint = "declare_incident")]
pub async fn declare_incident(
    title: String,
    description: String,
    cause: String,
    staff_member: Option<String>,
    token: Option<String>,
    window_start: String,
    window_end: String,
) -> Result<String, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            let form = IncidentForm {
                title,
                description,
                cause,
                staff: staff_member,
                token,
                window_start,
                window_end,
            };
            super::ssr::portal()?
                .declare_incident(staff, form)
                .await
                .map(|id| id.to_string())
        }
        .await,
    )
}

/// One incident as its admins follow it.
#[server(endpoint = "load_admin_incident")]
pub async fn load_admin_incident(id: String) -> Result<IncidentAdminView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?
                .admin_incident(staff, parse_id(&id)?)
                .await
        }
        .await,
    )
}

/// Confirms a draft (a second security admin, with the box ticked).
#[server(endpoint = "confirm_incident")]
pub async fn confirm_incident(
    id: String,
    confirm: Option<String>,
    revision: Option<String>,
) -> Result<IncidentAdminView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            if confirm.as_deref() != Some("yes") {
                return Err(AppError::Invalid(
                    "Tick the box to confirm the measures and the notices.".into(),
                ));
            }
            super::ssr::portal()?
                .admin_incident_act(
                    staff,
                    parse_id(&id)?,
                    IncidentAdminAct::Confirm {
                        revision: match revision.as_deref().map(str::trim) {
                            None | Some("") => None,
                            Some(r) => Some(r.parse().map_err(|_| {
                                AppError::Invalid("Reload the incident and confirm again.".into())
                            })?),
                        },
                    },
                )
                .await
        }
        .await,
    )
}

/// Sends the affected owners a further notice.
#[server(endpoint = "follow_up_incident")]
pub async fn follow_up_incident(
    id: String,
    message: String,
) -> Result<IncidentAdminView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?
                .admin_incident_act(
                    staff,
                    parse_id(&id)?,
                    IncidentAdminAct::FollowUp { message },
                )
                .await
        }
        .await,
    )
}

/// Closes an incident.
#[server(endpoint = "close_incident")]
pub async fn close_incident(
    id: String,
    confirm: Option<String>,
) -> Result<IncidentAdminView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            if confirm.as_deref() != Some("yes") {
                return Err(AppError::Invalid(
                    "Tick the box to confirm that the incident is over; nothing was changed."
                        .into(),
                ));
            }
            super::ssr::portal()?
                .admin_incident_act(staff, parse_id(&id)?, IncidentAdminAct::Close)
                .await
        }
        .await,
    )
}

/// Corrects a draft (security admins; only while it is a draft). The fields are those of
/// the declaration, checked the same way.
#[server(endpoint = "edit_incident")]
pub async fn edit_incident(
    id: String,
    title: String,
    description: String,
    cause: String,
    staff_member: Option<String>,
    token: Option<String>,
    window_start: String,
    window_end: String,
) -> Result<IncidentAdminView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            let form = IncidentForm {
                title,
                description,
                cause,
                staff: staff_member,
                token,
                window_start,
                window_end,
            };
            super::ssr::portal()?
                .admin_incident_act(staff, parse_id(&id)?, IncidentAdminAct::Edit(form))
                .await
        }
        .await,
    )
}

/// Discards a draft (security admins, with the box ticked; only while it is a draft).
#[server(endpoint = "discard_incident")]
pub async fn discard_incident(
    id: String,
    confirm: Option<String>,
) -> Result<IncidentAdminView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            if confirm.as_deref() != Some("yes") {
                return Err(AppError::Invalid(
                    "Tick the box to confirm that this draft should be discarded; nothing was changed."
                        .into(),
                ));
            }
            super::ssr::portal()?
                .admin_incident_act(staff, parse_id(&id)?, IncidentAdminAct::Discard)
                .await
        }
        .await,
    )
}

/// The owner hides an incident's reminder banner (before doing every step).
#[server(endpoint = "hide_incident_reminder")]
pub async fn hide_incident_reminder(id: String) -> Result<OwnerIncidentView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?
                .owner_incident_act(owner, parse_id(&id)?, OwnerIncidentAct::HideReminder)
                .await
        }
        .await,
    )
}
