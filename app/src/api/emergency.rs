//! Server functions for emergency access (break-glass, `/admin/emergency`): security admins
//! only. Opening one and approving one each need their confirmation box ticked; without
//! JavaScript the browser is sent back to the page, which says what was done.

// A form's fields are a server function's arguments (the macro makes the client side too).
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use crate::model::EmergencyPage;
use leptos::prelude::*;

/// The emergency access page.
#[server(endpoint = "load_emergency_page")]
pub async fn load_emergency_page() -> Result<EmergencyPage, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?.emergency_page(staff).await
        }
        .await,
    )
}

/// Opens an emergency access (with the box ticked): it waits for a second security admin.
#[server(endpoint = "open_emergency_access")]
pub async fn open_emergency_access(
    mailbox: String,
    agent: Option<String>,
    scope_metadata: Option<String>,
    scope_content: Option<String>,
    scope_attachments: Option<String>,
    scope_settings: Option<String>,
    justification_code: String,
    justification_text: String,
    reference: String,
    duration_minutes: Option<i64>,
    notice_release_on: Option<String>,
    confirm: Option<String>,
    form_key: Option<String>,
) -> Result<EmergencyPage, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            if confirm.as_deref() != Some("yes") {
                return Err(AppError::Invalid(
                    "Tick the box to confirm that this cannot wait for the owner's consent.".into(),
                ));
            }
            let scopes = [
                (scope_metadata, "metadata"),
                (scope_content, "content"),
                (scope_attachments, "attachments"),
                (scope_settings, "settings"),
            ]
            .into_iter()
            .filter_map(|(v, name)| v.map(|_| name.to_string()))
            .collect();
            let form = crate::model::EmergencyForm {
                mailbox,
                agent,
                scopes,
                justification_code,
                justification_text,
                reference,
                duration_minutes,
                notice_release_on,
                form_key: super::requests::parse_key(form_key)?,
            };
            let page = super::ssr::portal()?.open_emergency(staff, form).await?;
            super::ssr::after_plain_form_post("/admin/emergency?done=opened");
            Ok(page)
        }
        .await,
    )
}

/// Approves, refuses, cancels or ends emergency access `id`: `act` is `approve` (with the
/// box ticked), `refuse` or `end` (each with a reason), or `cancel`; for the sealed notice
/// of a legal hold, `extend` (a later `release_on`, with a reason), `approve_extension` or
/// `refuse_extension` (a second admin).
#[server(endpoint = "decide_emergency_access")]
pub async fn decide_emergency_access(
    id: String,
    act: String,
    reason: Option<String>,
    release_on: Option<String>,
    confirm: Option<String>,
) -> Result<EmergencyPage, AppError> {
    super::ssr::with_status(
        async move {
            use crate::model::EmergencyAct;
            let staff = super::ssr::staff().await?;
            let id: crate::model::RequestId = id.parse().map_err(|_| AppError::NotFound)?;
            let reason = reason.unwrap_or_default();
            let (act, done) = match act.as_str() {
                "approve" if confirm.as_deref() == Some("yes") => (EmergencyAct::Approve, "approved"),
                "approve" => {
                    return Err(AppError::Invalid(
                        "Tick the box to confirm that you checked the reason and the reference yourself.".into(),
                    ))
                }
                "refuse" => (EmergencyAct::Refuse { reason }, "refused"),
                "cancel" => (EmergencyAct::Cancel, "cancelled"),
                "end" => (EmergencyAct::End { reason }, "ended"),
                "extend" => (
                    EmergencyAct::ExtendHold {
                        release_on: release_on.unwrap_or_default(),
                        reason,
                    },
                    "extension_asked",
                ),
                "approve_extension" => (EmergencyAct::ApproveExtension, "extended"),
                "refuse_extension" => (EmergencyAct::RefuseExtension, "extension_refused"),
                _ => return Err(AppError::Invalid("Choose what to do with this emergency access.".into())),
            };
            let confirmed = super::ssr::passkey_confirmed().await;
            let page = super::ssr::portal()?
                .emergency_act(staff, id, act, confirmed)
                .await?;
            super::ssr::after_plain_form_post(&format!("/admin/emergency?done={done}"));
            Ok(page)
        }
        .await,
    )
}

/// How many owners' notices legal holds deferred, per month and reason: anyone may ask (no
/// sign-in); it says neither whose nor what.
#[server(endpoint = "load_held_notice_counts")]
pub async fn load_held_notice_counts() -> Result<crate::model::HeldNoticeCounts, AppError> {
    super::ssr::with_status(async move { super::ssr::portal()?.held_notice_counts().await }.await)
}

/// The signed-in owner's notices that legal holds deferred and that are now released.
#[server(endpoint = "load_released_notices")]
pub async fn load_released_notices() -> Result<Vec<crate::model::ReleasedNotice>, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?.released_notices(owner).await
        }
        .await,
    )
}
