//! Server functions for the owner's email settings.

use crate::error::AppError;
use crate::model::AccessNotices;
use leptos::prelude::*;

/// How the signed-in owner hears about accesses.
#[server(endpoint = "load_access_notices")]
pub async fn load_access_notices() -> Result<AccessNotices, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?.owner_access_notices(owner).await
        }
        .await,
    )
}

/// Changes how the signed-in owner hears about accesses.
#[server(endpoint = "save_access_notices")]
pub async fn save_access_notices(choice: String) -> Result<AccessNotices, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            let choice: AccessNotices = choice
                .parse()
                .map_err(|_| AppError::Invalid("Choose one of the options.".into()))?;
            super::ssr::portal()?
                .set_owner_access_notices(owner, choice)
                .await
        }
        .await,
    )
}
