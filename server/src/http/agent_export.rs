//! `/admin/staff/{id}/accesses.csv` and `.json`: one staff member's accesses to any mailbox
//! (with the page's filters) as a download, in the same columns as an owner's export.
//! Security admins only.

use crate::http::error::HttpError;
use crate::services::error::ServiceError;
use crate::services::{agent_history, history};
use crate::state::AppState;
use app::model::{HistoryFilter, StaffId, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::collections::HashMap;

const ONLY_ADMINS: &str = "Only security admins can export a staff member's accesses.";

async fn export(
    state: AppState,
    viewer: Option<Viewer>,
    id: &str,
    query: HashMap<String, String>,
    json: bool,
) -> Result<Response, HttpError> {
    let admin = match viewer {
        Some(Viewer::Staff { staff_id, .. }) => staff_id,
        Some(_) => return Err(HttpError::Forbidden(ONLY_ADMINS)),
        None => return Err(HttpError::Unauthorized),
    };
    let agent: StaffId = id.parse().map_err(|_| HttpError::NotFound)?;
    let filter = HistoryFilter::from_query(|k| query.get(k).cloned())
        .map_err(|e| HttpError::BadRequest(e.message))?;
    let events = agent_history::export(&state.db, admin, agent, &filter)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => HttpError::NotFound,
            ServiceError::Forbidden => HttpError::Forbidden(ONLY_ADMINS),
            ServiceError::Invalid(m) => HttpError::BadRequest(m),
            other => HttpError::unexpected("export an agent's accesses", other),
        })?;
    let (body, content_type, ext) = if json {
        (
            history::to_json(&events).to_string(),
            "application/json",
            "json",
        )
    } else {
        (history::to_csv(&events), "text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"glassbox-staff-{agent}-accesses.{ext}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

/// `GET /admin/staff/{id}/accesses.csv`.
pub async fn csv(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    export(state, viewer, &id, query, false).await
}

/// `GET /admin/staff/{id}/accesses.json`.
pub async fn json(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    export(state, viewer, &id, query, true).await
}
