//! Server functions about who is signed in.

use crate::error::AppError;
use crate::model::{DemoIdentity, Viewer};
use leptos::prelude::*;

/// Who is signed in, if anybody.
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Viewer>, AppError> {
    super::ssr::with_status(async move { super::ssr::viewer().await }.await)
}

/// The one-click identities of the local demo. `NotFound` when demo sign-in is off.
#[server(endpoint = "demo_identities")]
pub async fn demo_identities() -> Result<Vec<DemoIdentity>, AppError> {
    super::ssr::with_status(async move { super::ssr::portal()?.demo_identities().await }.await)
}
