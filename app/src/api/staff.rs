//! Server functions for the staff console.

use crate::error::AppError;
use crate::model::StaffHome;
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
