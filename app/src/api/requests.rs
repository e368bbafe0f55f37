//! Server functions for access requests: the owner's decisions and the staff console's
//! requests. Authorisation is the server's (the portal checks who may do what); these only
//! say who is asking.

// Server functions take one argument per form field (a form works without JavaScript);
// the macro's browser-side functions do not carry a function's own `allow`.
#![allow(clippy::too_many_arguments, reason = "one argument per form field")]

use crate::error::AppError;
use crate::model::RequestView;
#[cfg(feature = "ssr")]
use crate::model::{FormKey, OwnerDecision, RequestForm, RequestId, StaffAct};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<RequestId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// The request's page saying what the owner just did (`?done=`), where a form posted
/// without JavaScript goes next.
#[cfg(feature = "ssr")]
fn done_page(r: &RequestView, done: &str) -> String {
    format!("/me/requests/{}?done={done}", r.id)
}

/// The form's idempotency key (the hidden `form_key` field), if it sent one.
#[cfg(feature = "ssr")]
pub(super) fn parse_key(key: Option<String>) -> Result<Option<FormKey>, AppError> {
    key.filter(|k| !k.is_empty())
        .map(|k| {
            FormKey::parse(&k).ok_or_else(|| {
                AppError::Invalid("This form is damaged; reload the page and try again.".into())
            })
        })
        .transpose()
}

/// One of the signed-in owner's requests.
#[server(endpoint = "load_request")]
pub async fn load_request(id: String) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?
                .owner_request(owner, parse_id(&id)?)
                .await
        }
        .await,
    )
}

/// The signed-in owner's requests, newest first.
#[server(endpoint = "load_requests")]
pub async fn load_requests() -> Result<Vec<RequestView>, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?.owner_requests(owner).await
        }
        .await,
    )
}

/// Approve: only with the confirmation box ticked. The owner may allow less than asked:
/// a form that says it chose (`choose=yes`) allows only the scopes ticked in it, and
/// `minutes` (when given) shortens the access; the domain checks both against the ask.
#[server(endpoint = "approve_request")]
pub async fn approve_request(
    id: String,
    confirm: Option<String>,
    form_key: Option<String>,
    choose: Option<String>,
    scope_metadata: Option<String>,
    scope_content: Option<String>,
    scope_attachments: Option<String>,
    scope_settings: Option<String>,
    minutes: Option<i64>,
) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            if let Some(crate::model::Viewer::Owner {
                step_up_needed: true,
                ..
            }) = super::ssr::viewer().await?
            {
                return Err(AppError::StepUpRequired {
                    sign_in_url: format!("/auth/login?fresh=1&return_to=/me/requests/{id}"),
                });
            }
            if confirm.as_deref() != Some("yes") {
                return Err(AppError::Invalid(
                    "Tick the box to confirm that you allow this access.".into(),
                ));
            }
            use crate::model::Scope;
            let scopes = (choose.as_deref() == Some("yes")).then(|| {
                [
                    (scope_metadata, Scope::Metadata),
                    (scope_content, Scope::Content),
                    (scope_attachments, Scope::Attachments),
                    (scope_settings, Scope::Settings),
                ]
                .into_iter()
                .filter_map(|(ticked, scope)| ticked.map(|_| scope))
                .collect()
            });
            super::ssr::portal()?
                .owner_decide(
                    owner,
                    parse_id(&id)?,
                    OwnerDecision::Approve { scopes, minutes },
                    parse_key(form_key)?,
                    super::ssr::passkey_confirmed().await,
                )
                .await
                .inspect(|r| super::ssr::after_plain_form_post(&done_page(r, "approved")))
        }
        .await,
    )
}

/// Deny, with an optional reason.
#[server(endpoint = "deny_request")]
pub async fn deny_request(
    id: String,
    reason: Option<String>,
    form_key: Option<String>,
) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            let reason = reason.filter(|r| !r.trim().is_empty());
            super::ssr::portal()?
                .owner_decide(
                    owner,
                    parse_id(&id)?,
                    OwnerDecision::Deny { reason },
                    parse_key(form_key)?,
                    super::ssr::passkey_confirmed().await,
                )
                .await
                .inspect(|r| super::ssr::after_plain_form_post(&done_page(r, "denied")))
        }
        .await,
    )
}

/// Revoke a grant: access stops at once.
#[server(endpoint = "revoke_grant")]
pub async fn revoke_grant(id: String, form_key: Option<String>) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?
                .owner_decide(
                    owner,
                    parse_id(&id)?,
                    OwnerDecision::Revoke,
                    parse_key(form_key)?,
                    super::ssr::passkey_confirmed().await,
                )
                .await
                .inspect(|r| super::ssr::after_plain_form_post(&done_page(r, "revoked")))
        }
        .await,
    )
}

/// End a grant sooner: `minutes` from now.
#[server(endpoint = "shorten_grant")]
pub async fn shorten_grant(id: String, minutes: i64) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?
                .owner_decide(
                    owner,
                    parse_id(&id)?,
                    OwnerDecision::Shorten { minutes },
                    None,
                    super::ssr::passkey_confirmed().await,
                )
                .await
                .inspect(|r| super::ssr::after_plain_form_post(&done_page(r, "shortened")))
        }
        .await,
    )
}

/// A support agent asks for access. Scope boxes arrive as separate fields so the form
/// works without JavaScript.
#[server(endpoint = "submit_access_request")]
pub async fn submit_access_request(
    mailbox: String,
    scope_metadata: Option<String>,
    scope_content: Option<String>,
    scope_attachments: Option<String>,
    scope_settings: Option<String>,
    justification_code: String,
    justification_text: String,
    ticket: Option<String>,
    duration_minutes: Option<i64>,
    form_key: Option<String>,
) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            let key = parse_key(form_key)?;
            let scopes = [
                (scope_metadata, "metadata"),
                (scope_content, "content"),
                (scope_attachments, "attachments"),
                (scope_settings, "settings"),
            ]
            .into_iter()
            .filter_map(|(v, name)| v.map(|_| name.to_string()))
            .collect();
            let form = RequestForm {
                mailbox,
                scopes,
                justification_code,
                justification_text,
                ticket,
                duration_minutes,
            };
            super::ssr::portal()?.staff_submit(staff, form, key).await
        }
        .await,
    )
}

/// Withdraw a pending request.
#[server(endpoint = "cancel_request")]
pub async fn cancel_request(id: String) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?
                .staff_act(staff, parse_id(&id)?, StaffAct::Cancel)
                .await
        }
        .await,
    )
}

/// End a grant early.
#[server(endpoint = "end_grant")]
pub async fn end_grant(id: String) -> Result<RequestView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?
                .staff_act(staff, parse_id(&id)?, StaffAct::End)
                .await
        }
        .await,
    )
}
