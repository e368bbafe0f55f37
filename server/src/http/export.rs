//! `/me/history/export.csv`, `.json` and `.zip`: the signed-in owner's access history
//! (with the page's filters) as a download. Only ever the owner's own events. The JSON is a
//! proof file (`glassbox-export/v1`) that `glassbox verify export` and `/verify/export`
//! check offline; the zip holds the CSV, that JSON and a README saying how to check it.

use crate::http::error::HttpError;
use crate::services::error::ServiceError;
use crate::services::{history, history_export};
use crate::state::AppState;
use app::model::{HistoryFilter, OwnerId, Viewer};
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
    /// The proof file.
    Json,
    /// The CSV, the proof file and a README.
    Zip,
}

/// The names of the files, in the zip and as downloads.
const BASE_NAME: &str = "glassbox-access-history";

fn owner_of(viewer: Option<Viewer>) -> Result<OwnerId, HttpError> {
    match viewer {
        Some(Viewer::Owner { owner_id, .. }) => Ok(owner_id),
        Some(_) => Err(HttpError::Forbidden(
            "Only a mailbox owner can export their access history.",
        )),
        None => Err(HttpError::Unauthorized),
    }
}

fn service_error(e: ServiceError) -> HttpError {
    match e {
        ServiceError::Invalid(m) | ServiceError::Conflict(m) => HttpError::BadRequest(m),
        other => HttpError::unexpected("export history", other),
    }
}

/// The CSV, the proof file and the README, zipped.
fn zip(csv: &str, json: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in [
        (format!("{BASE_NAME}.csv"), csv),
        (format!("{BASE_NAME}.json"), json),
        ("README.txt".to_string(), history_export::ZIP_README),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(body.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

async fn export(
    state: AppState,
    viewer: Option<Viewer>,
    query: HashMap<String, String>,
    format: Format,
) -> Result<Response, HttpError> {
    let owner = owner_of(viewer)?;
    let filter = HistoryFilter::from_query(|k| query.get(k).cloned())
        .map_err(|e| HttpError::BadRequest(e.message))?;
    let (body, content_type, ext): (Vec<u8>, &str, &str) = match format {
        Format::Csv => {
            let events = history::export(&state.db, owner, &filter)
                .await
                .map_err(service_error)?;
            (
                history::to_csv(&events).into_bytes(),
                "text/csv; charset=utf-8",
                "csv",
            )
        }
        Format::Json | Format::Zip => {
            let export = history_export::proof_export(
                &state.db,
                &*state.tree,
                &*state.log_signer,
                state.witnesses.policy(),
                state.clock.now(),
                owner,
                &filter,
            )
            .await
            .map_err(service_error)?;
            let json = serde_json::to_string_pretty(&export.file)
                .map_err(|e| HttpError::unexpected("export history", e))?;
            match format {
                Format::Json => (json.into_bytes(), "application/json", "json"),
                _ => (
                    zip(&history::to_csv(&export.events), &json)
                        .map_err(|e| HttpError::unexpected("zip history", e))?,
                    "application/zip",
                    "zip",
                ),
            }
        }
    };
    let name = format!("attachment; filename=\"{BASE_NAME}.{ext}\"");
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

/// `GET /me/history/export.zip`.
pub async fn zip_export(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    export(state, viewer, query, Format::Zip).await
}

/// `GET /me/notices/{id}.json`: one of the signed-in owner's released notices (held back
/// under a legal hold), with its nonce and each step's log entry: the file
/// `glassbox verify notice` checks against the site's log.
pub async fn released_notice(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Result<Response, HttpError> {
    let owner = owner_of(viewer)?;
    let not_found = || HttpError::NotFound;
    let id: app::model::RequestId = file
        .strip_suffix(".json")
        .and_then(|id| id.parse().ok())
        .ok_or_else(not_found)?;
    let notice = crate::services::legal_holds::released_for_owner(&state.db, owner)
        .await
        .map_err(service_error)?
        .into_iter()
        .find(|n| n.request == id)
        .ok_or_else(not_found)?;
    let json = serde_json::to_string_pretty(&notice)
        .map_err(|e| HttpError::unexpected("export a released notice", e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"glassbox-notice-{id}.json\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        json,
    )
        .into_response())
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
