//! Handlers of Service API v1. Thin: decode, call a service, encode.

use super::auth::ServiceCaller;
use super::error::ApiError;
use crate::db::requests::RequestRecord;
use crate::domain::access_request::{effective_status, AccessRequestInput};
use crate::services::check::{self, CheckInput};
use crate::services::error::ServiceError;
use crate::services::requests::{self, Submitter};
use crate::state::AppState;
use app::model::{Decision, RequestId};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `POST /api/v1/access-requests` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequestBody {
    mailbox: String,
    agent: String,
    scopes: Vec<String>,
    justification: JustificationBody,
    duration_minutes: Option<i64>,
}

/// The justification part of a request.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JustificationBody {
    code: String,
    text: String,
    #[serde(default)]
    ticket: Option<String>,
}

/// `POST /api/v1/access/check` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    mailbox: String,
    agent: String,
    scope: String,
    action: String,
    resource: String,
    #[serde(default)]
    source_network: Option<String>,
}

/// `POST /api/v1/imap/login` body: what Dovecot's master passdb sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapLoginBody {
    mailbox: String,
    agent: String,
    secret: String,
    client_ip: String,
    session: String,
}

/// A request as the API shows it.
#[derive(Debug, Serialize)]
pub struct RequestJson {
    id: RequestId,
    mailbox: String,
    agent: Option<String>,
    scopes: Vec<app::model::Scope>,
    justification: JustificationBody,
    duration_minutes: i64,
    status: app::model::AccessRequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    grant: Option<GrantJson>,
    #[serde(with = "time::serde::rfc3339::option")]
    decided_at: Option<OffsetDateTime>,
    decision_reason: Option<String>,
}

/// The grant window of an approved request.
#[derive(Debug, Serialize)]
pub struct GrantJson {
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    ends_at: OffsetDateTime,
}

/// The answer to a check.
#[derive(Debug, Serialize)]
pub struct CheckJson {
    decision: &'static str,
    reason: String,
    grant_id: Option<RequestId>,
    #[serde(with = "time::serde::rfc3339::option")]
    grant_ends_at: Option<OffsetDateTime>,
    event_id: uuid::Uuid,
    log_index: Option<u64>,
}

fn request_json(r: RequestRecord, now: OffsetDateTime) -> RequestJson {
    let grant = match (r.grant_starts_at, r.grant_ends_at) {
        (Some(starts_at), Some(ends_at)) => Some(GrantJson { starts_at, ends_at }),
        _ => None,
    };
    RequestJson {
        id: r.id,
        mailbox: r.mailbox,
        agent: r.agent_handle,
        scopes: r.scopes,
        justification: JustificationBody {
            code: r.justification_code.as_str().into(),
            text: r.justification_text,
            ticket: r.ticket,
        },
        duration_minutes: r.duration_minutes,
        status: effective_status(r.status, r.expires_at, r.grant_ends_at, now),
        created_at: r.created_at,
        expires_at: r.expires_at,
        grant,
        decided_at: r.decided_at,
        decision_reason: r.decision_reason,
    }
}

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload
        .map(|Json(b)| b)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.body_text()))
}

fn request_id(raw: &str) -> Result<RequestId, ApiError> {
    // A malformed id cannot name anything: the same 404 as an unknown one.
    raw.parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such request."))
}

/// `POST /api/v1/access-requests`: a support agent asks for access (made by the mail
/// system's support tooling on the agent's behalf).
pub async fn create_request(
    State(state): State<AppState>,
    Extension(caller): Extension<ServiceCaller>,
    payload: Result<Json<CreateRequestBody>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let b = body(payload)?;
    let input = AccessRequestInput {
        mailbox: b.mailbox,
        scopes: b.scopes,
        justification_code: b.justification.code,
        justification_text: b.justification.text,
        ticket: b.justification.ticket,
        duration_minutes: b.duration_minutes,
    };
    let record = requests::submit(
        &state.db,
        &state.clock,
        &state.settings,
        Submitter::OnBehalfOf(&b.agent),
        &input,
        None,
    )
    .await
    .map_err(|e| ApiError::from_service(e, "create access request"))?;
    tracing::info!(token.name = %caller.name, request.id = %record.id, "access request created through the API");
    let location = format!("/api/v1/access-requests/{}", record.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(request_json(record, state.clock.now())),
    ))
}

/// `GET /api/v1/access-requests/{id}`.
pub async fn get_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RequestJson>, ApiError> {
    let record = requests::get(&state.db, request_id(&id)?)
        .await
        .map_err(|e| ApiError::from_service(e, "get access request"))?;
    Ok(Json(request_json(record, state.clock.now())))
}

/// `POST /api/v1/access-requests/{id}/cancel`: withdraws a pending request on behalf of
/// the agent who made it; 409 once it is decided.
pub async fn cancel_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RequestJson>, ApiError> {
    let record =
        requests::cancel_for_its_agent(&state.db, &state.clock, &state.settings, request_id(&id)?)
            .await
            .map_err(|e| ApiError::from_service(e, "cancel access request"))?;
    Ok(Json(request_json(record, state.clock.now())))
}

/// `POST /api/v1/access/check`: may this agent do this to this mailbox now? The event is
/// durable before the answer is sent; a denial is recorded too.
pub async fn check(
    State(state): State<AppState>,
    Extension(caller): Extension<ServiceCaller>,
    payload: Result<Json<CheckBody>, JsonRejection>,
) -> Result<Json<CheckJson>, ApiError> {
    let b = body(payload)?;
    let input = CheckInput {
        mailbox: b.mailbox,
        agent: b.agent,
        scope: b.scope,
        action: b.action,
        resource: b.resource,
        source_network: b.source_network,
    };
    let outcome = match check::check(&state.log, caller.token_id, &input).await {
        Ok(outcome) => outcome,
        Err(ServiceError::Unauthorized) => {
            // Revoked since it was identified: refused, nothing recorded.
            tracing::warn!(token.name = %caller.name, "access check with a revoked service token");
            state.tokens.forget(caller.token_id);
            return Err(ApiError::from_service(
                ServiceError::Unauthorized,
                "access check",
            ));
        }
        Err(e) => return Err(ApiError::from_service(e, "access check")),
    };
    Ok(Json(check_json(outcome)))
}

/// `POST /api/v1/imap/login`: may this agent open an IMAP session on this mailbox with
/// this per-grant credential now? Answered like a check (the login is an access event,
/// durable before the answer; a refusal is recorded too).
pub async fn imap_login(
    State(state): State<AppState>,
    Extension(caller): Extension<ServiceCaller>,
    payload: Result<Json<ImapLoginBody>, JsonRejection>,
) -> Result<Json<CheckJson>, ApiError> {
    let b = body(payload)?;
    let input = crate::services::imap::LoginInput {
        mailbox: b.mailbox,
        agent: b.agent,
        secret: b.secret,
        client_ip: b.client_ip,
        session: b.session,
    };
    let outcome =
        match crate::services::imap::login(&state.log, &state.settings, caller.token_id, &input)
            .await
        {
            Ok(outcome) => outcome,
            Err(ServiceError::Unauthorized) => {
                state.tokens.forget(caller.token_id);
                return Err(ApiError::from_service(
                    ServiceError::Unauthorized,
                    "IMAP login",
                ));
            }
            Err(e) => return Err(ApiError::from_service(e, "IMAP login")),
        };
    Ok(Json(check_json(outcome)))
}

/// The largest command event accepted (Dovecot's are well under 2 KiB).
pub const RECEIPT_BODY_LIMIT: usize = 64 * 1024;

/// What a receipts post came to.
#[derive(Debug, Default, Serialize)]
pub struct ReceiptsJson {
    recorded: u32,
    nothing: u32,
    ignored: u32,
}

/// `POST /api/v1/imap/receipts`: Dovecot's exported command events (one JSON object, or an
/// array of them). Commands of sessions Glassbox allowed become receipts in the owner's
/// history; the others are ignored and counted in the answer and the log.
pub async fn imap_receipts(
    State(state): State<AppState>,
    Extension(caller): Extension<ServiceCaller>,
    body: axum::body::Bytes,
) -> Result<Json<ReceiptsJson>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("Send Dovecot's JSON event export: {e}"),
        )
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    let mut answer = ReceiptsJson::default();
    for item in items {
        let Ok(event) = serde_json::from_value::<crate::services::imap::CommandEvent>(item) else {
            answer.ignored += 1;
            continue;
        };
        match crate::services::imap::ingest(&state.db, &state.clock, &event)
            .await
            .map_err(|e| ApiError::from_service(e, "IMAP receipt"))?
        {
            crate::services::imap::Ingested::Recorded => answer.recorded += 1,
            crate::services::imap::Ingested::Nothing => answer.nothing += 1,
            crate::services::imap::Ingested::Ignored => answer.ignored += 1,
        }
    }
    metrics::counter!("glassbox_imap_receipts_total", "outcome" => "recorded")
        .increment(u64::from(answer.recorded));
    metrics::counter!("glassbox_imap_receipts_total", "outcome" => "ignored")
        .increment(u64::from(answer.ignored));
    if answer.ignored > 0 {
        tracing::info!(token.name = %caller.name, imap.receipts.ignored = answer.ignored, "IMAP command events of sessions Glassbox did not allow were ignored");
    }
    Ok(Json(answer))
}

fn check_json(outcome: check::CheckOutcome) -> CheckJson {
    CheckJson {
        decision: match outcome.decision {
            Decision::Allowed => "allow",
            Decision::Denied => "deny",
        },
        reason: outcome.reason,
        grant_id: outcome.grant_id,
        grant_ends_at: outcome.grant_ends_at,
        event_id: outcome.event_id,
        // The position in the verifiable Merkle log (the event is in it before we answer).
        log_index: Some(outcome.log_index),
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
