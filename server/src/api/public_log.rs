//! The public log endpoints (no sign-in; hashes only, never event details):
//! `GET /log/checkpoint`, `/log/key`, `/log/key-changes`, `/log/proof/inclusion?index=&size=`,
//! `/log/proof/consistency?from=&to=`.

use super::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::transparency::{checkpoints, proofs};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use glassbox_log::{ConsistencyProof, InclusionProof};
use serde::Deserialize;

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// `?index=&size=`.
#[derive(Debug, Deserialize)]
pub struct InclusionQuery {
    index: u64,
    size: u64,
}

/// `?from=&to=`.
#[derive(Debug, Deserialize)]
pub struct ConsistencyQuery {
    from: u64,
    to: u64,
}

fn query<T>(q: Result<Query<T>, QueryRejection>, expected: &str) -> Result<T, ApiError> {
    q.map(|Query(q)| q).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidQuery,
            format!("Give {expected} as whole numbers."),
        )
    })
}

/// `GET /log/checkpoint`: the latest signed checkpoint (C2SP tlog-checkpoint, signed note).
pub async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let note = checkpoints::latest_note(&state.db)
        .await
        .map_err(|e| ApiError::from_service(e.into(), "log checkpoint"))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::NoCheckpoint,
                "No checkpoint has been signed yet; retry in a second.",
            )
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, TEXT),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        note,
    ))
}

/// `GET /log/key`: the note verifier keys of the checkpoints, one a line: the key signing
/// now first, then every key that signed before a rotation.
pub async fn key(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let current = state.log_signer.verifier_key();
    let mut text = format!("{current}\n");
    for k in crate::transparency::keys::known_keys(&state.db)
        .await
        .map_err(|e| ApiError::from_service(e.into(), "log keys"))?
    {
        if k != current {
            text.push_str(&format!("{k}\n"));
        }
    }
    Ok(([(header::CONTENT_TYPE, TEXT)], text))
}

/// `GET /log/key-changes`: every key-change statement (a signed note by the key before,
/// naming the next), oldest first, as JSON `{"statements": [...]}`. Whoever pinned an older
/// key follows them to the current one (`glassbox_log::key_change_leads_to`).
pub async fn key_changes(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let statements = crate::db::tree::key_changes(&state.db)
        .await
        .map_err(|e| ApiError::from_service(e.into(), "log key changes"))?;
    Ok(Json(serde_json::json!({ "statements": statements })))
}

/// `GET /log/proof/inclusion?index=&size=`.
pub async fn inclusion(
    State(state): State<AppState>,
    q: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Json<InclusionProof>, ApiError> {
    let q = query(q, "`index` and `size`")?;
    proofs::inclusion_proof(&*state.tree, q.index, q.size)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_service(e.into(), "inclusion proof"))
}

/// `GET /log/proof/consistency?from=&to=`.
pub async fn consistency(
    State(state): State<AppState>,
    q: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let q = query(q, "`from` and `to`")?;
    proofs::consistency_proof(&*state.tree, q.from, q.to)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_service(e.into(), "consistency proof"))
}
