//! Server functions for the owner's pages.

use crate::error::AppError;
use crate::model::{HistoryCursor, HistoryFilter, HistoryPage, LogProofs, OwnerOverview};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The signed-in owner's overview.
#[server(endpoint = "load_overview")]
pub async fn load_overview() -> Result<OwnerOverview, AppError> {
    super::ssr::with_status(
        async move {
            use crate::model::Viewer;
            match super::ssr::viewer().await? {
                Some(Viewer::Owner { owner_id, .. }) => {
                    super::ssr::portal()?.owner_overview(owner_id).await
                }
                Some(Viewer::Staff { .. }) => Err(AppError::Forbidden),
                None => Err(AppError::Unauthorized),
            }
        }
        .await,
    )
}

/// "Stop all access": only with the confirmation box ticked (checked here, on the server,
/// whatever the page did). Posted without JavaScript, the browser goes back to `/me` with
/// what happened in the address (`?stopped=&cancelled=`).
#[server(endpoint = "stop_all_access")]
pub async fn stop_all_access(
    confirm: Option<String>,
    form_key: Option<String>,
) -> Result<crate::model::StopAllOutcome, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            if confirm.as_deref() != Some("yes") {
                return Err(AppError::Invalid(
                    "Tick the box to confirm that you want to stop every access and request; nothing was changed.".into(),
                ));
            }
            super::ssr::portal()?
                .owner_stop_all(owner, super::requests::parse_key(form_key)?)
                .await
                .inspect(|o| {
                    super::ssr::after_plain_form_post(&format!(
                        "/me?stopped={}&cancelled={}",
                        o.revoked, o.cancelled
                    ))
                })
        }
        .await,
    )
}

/// One page of the signed-in owner's access history.
#[server(endpoint = "load_history", input = Json)]
pub async fn load_history(
    cursor: Option<HistoryCursor>,
    filter: HistoryFilter,
) -> Result<HistoryPage, AppError> {
    super::ssr::with_status(
        async move {
            use crate::model::Viewer;
            match super::ssr::viewer().await? {
                Some(Viewer::Owner { owner_id, .. }) => {
                    super::ssr::portal()?
                        .owner_history(owner_id, cursor, filter)
                        .await
                }
                Some(Viewer::Staff { .. }) => Err(AppError::Forbidden),
                None => Err(AppError::Unauthorized),
            }
        }
        .await,
    )
}

/// What the owner's browser needs to verify the log itself: key, latest checkpoint,
/// inclusion proofs for the events on the page and a consistency proof from the
/// checkpoint it saw last. At most 100 indexes.
#[server(endpoint = "load_log_proofs", input = Json)]
pub async fn load_log_proofs(indexes: Vec<u64>, since: Option<u64>) -> Result<LogProofs, AppError> {
    super::ssr::with_status(
        async move {
            use crate::model::Viewer;
            if indexes.len() > 100 {
                return Err(AppError::Invalid(
                    "Ask for at most 100 proofs at once.".into(),
                ));
            }
            match super::ssr::viewer().await? {
                Some(Viewer::Owner { .. }) => {
                    super::ssr::portal()?.log_proofs(indexes, since).await
                }
                Some(Viewer::Staff { .. }) => Err(AppError::Forbidden),
                None => Err(AppError::Unauthorized),
            }
        }
        .await,
    )
}
