//! `/me/history/export.csv` and `/me/history/export.json`: the signed-in owner's access
//! history (with the page's filters) as a download. Only ever the owner's own events.

use crate::http::error::HttpError;
use crate::services::error::ServiceError;
use crate::services::history;
use crate::state::AppState;
use app::model::{HistoryFilter, Viewer};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::collections::HashMap;

/// The export formats.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    /// Comma-separated values, for spreadsheets.
    Csv,
    /// A JSON array.
    Json,
}

async fn export(
    state: AppState,
    viewer: Option<Viewer>,
    query: HashMap<String, String>,
    format: Format,
) -> Result<Response, HttpError> {
    let owner = match viewer {
        Some(Viewer::Owner { owner_id, .. }) => owner_id,
        Some(_) => {
            return Err(HttpError::Forbidden(
                "Only a mailbox owner can export their access history.",
            ))
        }
        None => return Err(HttpError::Unauthorized),
    };
    let filter = HistoryFilter::from_query(|k| query.get(k).cloned())
        .map_err(|e| HttpError::BadRequest(e.message))?;
    let events = history::export(&state.db, owner, &filter)
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(m) => HttpError::BadRequest(m),
            other => HttpError::unexpected("export history", other),
        })?;
    let (body, content_type, ext) = match format {
        Format::Csv => (history::to_csv(&events), "text/csv; charset=utf-8", "csv"),
        Format::Json => (
            history::to_json(&events).to_string(),
            "application/json",
            "json",
        ),
    };
    let name = format!("attachment; filename=\"glassbox-access-history.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

/// `GET /me/history/export.csv`.
pub async fn csv(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    export(state, viewer, query, Format::Csv).await
}

/// `GET /me/history/export.json`.
pub async fn json(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    export(state, viewer, query, Format::Json).await
}

/// `GET /admin/incidents/{id}/affected.csv`: the affected mailboxes of an incident
/// (security admins only).
pub async fn incident_affected_csv(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, HttpError> {
    let staff = match viewer {
        Some(Viewer::Staff { staff_id, .. }) => staff_id,
        Some(_) => {
            return Err(HttpError::Forbidden(
                "Only security admins can export this.",
            ))
        }
        None => return Err(HttpError::Unauthorized),
    };
    let id = id.parse().map_err(|_| HttpError::NotFound)?;
    let body = crate::services::incidents::affected_csv(&state.db, staff, id)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => HttpError::NotFound,
            ServiceError::Forbidden => {
                HttpError::Forbidden("Only security admins can export this.")
            }
            ServiceError::Conflict(m) | ServiceError::Invalid(m) => HttpError::BadRequest(m),
            other => HttpError::unexpected("export incident", other),
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"incident-{id}-affected.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}
