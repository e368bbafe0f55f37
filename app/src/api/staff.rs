//! Server functions for the staff console.

use crate::error::AppError;
use crate::model::{
    ImapCredentialView, StaffHome, StaffListQuery, StaffRequestDetail, StaffRequestList,
};
use leptos::prelude::*;

/// The signed-in staff member's console home.
#[server(endpoint = "load_staff_home")]
pub async fn load_staff_home() -> Result<StaffHome, AppError> {
    super::ssr::with_status(
        async move {
            use crate::model::Viewer;
            match super::ssr::viewer().await? {
                Some(Viewer::Staff { staff_id, .. }) => {
                    super::ssr::portal()?.staff_home(staff_id).await
                }
                Some(Viewer::Owner { .. }) => Err(AppError::Forbidden),
                None => Err(AppError::Unauthorized),
            }
        }
        .await,
    )
}

/// One page of the requests the signed-in staff member may see that `query` selects (a
/// support agent: their own, whatever the query says).
#[server(endpoint = "load_staff_requests", input = leptos::server_fn::codec::Json)]
pub async fn load_staff_requests(query: StaffListQuery) -> Result<StaffRequestList, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?.staff_requests(staff, query).await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<crate::model::RequestId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// One of the signed-in agent's requests, with its IMAP access.
#[server(endpoint = "load_staff_request")]
pub async fn load_staff_request(id: String) -> Result<StaffRequestDetail, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?
                .staff_request(staff, parse_id(&id)?)
                .await
        }
        .await,
    )
}

/// Makes the IMAP credential for one of the agent's live content grants (shown once).
#[server(endpoint = "issue_imap_credential")]
pub async fn issue_imap_credential(id: String) -> Result<ImapCredentialView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?
                .issue_imap_credential(staff, parse_id(&id)?)
                .await
        }
        .await,
    )
}
