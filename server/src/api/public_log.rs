//! The public log endpoints (no sign-in; hashes only, never event details):
//! `GET /log/checkpoint`, `/log/checkpoint/witnessed`, `/log/witnesses`, `/log/key`, `/log/key-changes`, `/log/proof/inclusion?index=&size=`,
//! `/log/proof/consistency?from=&to=`, and the tree as C2SP `tlog-tiles` at
//! `/tile/<L>/<N>[.p/<W>]` and `/log/tile/…`.

use super::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::transparency::{proofs, witnesses};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use glassbox_log::{ConsistencyProof, InclusionProof};
use serde::Deserialize;

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const OCTETS: HeaderValue = HeaderValue::from_static("application/octet-stream");
/// A full tile never changes (its hashes are insert-only): cache it for a year.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// A partial tile's bytes never change either, but one that is not there yet will be: a
/// cache keeps it (and its 404) briefly.
const SHORT_LIVED: HeaderValue = HeaderValue::from_static("public, max-age=10");

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

fn no_checkpoint() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::NoCheckpoint,
        "No checkpoint has been signed yet; retry in a second.",
    )
}

/// `GET /log/checkpoint`: the latest signed checkpoint (C2SP tlog-checkpoint, signed note),
/// with the witnesses' cosignatures once they have cosigned it.
pub async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let row = crate::db::tree::latest_checkpoint(&state.db)
        .await
        .map_err(|e| ApiError::from_service(anyhow::Error::from(e).into(), "log checkpoint"))?
        .ok_or_else(no_checkpoint)?;
    let note = witnesses::with_cosignatures(&state.db, &row)
        .await
        .map_err(|e| ApiError::from_service(e.into(), "log checkpoint"))?;
    Ok((
        [
            (header::CONTENT_TYPE, TEXT),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        note,
    ))
}

/// `GET /log/checkpoint/witnessed`: the newest checkpoint that enough witnesses cosigned
/// (`/log/witnesses` says which and how many), with their cosignatures: the one owners'
/// browsers verify against. 503 until the witnesses first cosign; 404 for a log without
/// witnesses.
pub async fn witnessed_checkpoint(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let policy = state.witnesses.policy();
    if policy.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "This log has no witnesses configured; /log/checkpoint is its checkpoint.",
        ));
    }
    let (_, note) = witnesses::newest_witnessed(&state.db, policy)
        .await
        .map_err(|e| ApiError::from_service(e.into(), "witnessed checkpoint"))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::NoCheckpoint,
                format!(
                    "No checkpoint has been cosigned by {} of the witnesses yet; they are asked every {} seconds.",
                    policy.quorum, state.settings.log.witness_interval_seconds
                ),
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

/// `GET /log/witnesses`: the witnesses that cosign this log's checkpoints and how many of
/// them a verifier should require, as JSON `{"quorum": k, "witnesses": [<verifier key>…]}`
/// (a verifier that pins them, as the owner's browser does, is not at the operator's mercy
/// later).
pub async fn witness_policy(State(state): State<AppState>) -> impl IntoResponse {
    let policy = state.witnesses.policy();
    Json(serde_json::json!({
        "quorum": policy.quorum,
        "witnesses": policy.witnesses.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))
}

/// `GET /log/key`: the note verifier keys of the checkpoints, one a line: the key signing
/// now first, then every key that signed before a rotation.
pub async fn key(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let current = crate::transparency::signer::NoteSigner::verifier_key(&*state.log_signer);
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

fn tile_not_found(message: String) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
}

/// `GET /tile/<L>/<N>[.p/<W>]` (and the same under `/log/tile/`, the log's C2SP prefix being
/// its origin `<host>/log`): a hash tile (C2SP `tlog-tiles`): level 0 holds leaf hashes,
/// level L the roots of the complete subtrees of 256^L leaves. Full tiles are immutable;
/// partial ones are cached briefly. A malformed path, or a tile beyond the tree, is a 404.
///
/// Entry bundles (`/tile/entries/…`) are not served: each entry holds its mailbox id and
/// the salt that keeps its leaf hash unguessable, so publishing entries would publish
/// everyone's access history. A 404 says so.
pub async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    use glassbox_log::tiles::TilePath;
    let tile = match TilePath::parse(&format!("tile/{path}")) {
        Ok(TilePath::Hashes(t)) => t,
        Ok(TilePath::Entries { .. }) => {
            return Err(tile_not_found(
                "Entry bundles are not published: every entry holds a mailbox id and the salt that keeps its leaf hash private. The hash tiles (/tile/<L>/<N>) hold the whole tree.".into(),
            ))
        }
        Err(e) => return Err(tile_not_found(format!("{e}."))),
    };
    let bytes = crate::transparency::tiles::tile(&*state.tree, tile)
        .await
        .map_err(|e| match e {
            proofs::ProofError::OutOfRange(m) => tile_not_found(format!("{m}.")),
            e => ApiError::from_service(e.into(), "log tile"),
        })?;
    let cache = if tile.is_full() {
        IMMUTABLE
    } else {
        SHORT_LIVED
    };
    Ok((
        [
            (header::CONTENT_TYPE, OCTETS),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    ))
}
