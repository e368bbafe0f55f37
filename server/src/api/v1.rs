//! Handlers of Service API v1. Thin: decode, call a service, encode.

use super::auth::ServiceCaller;
use super::error::{ApiError, ErrorCode, ErrorJson};
use super::openapi;
use crate::db::requests::RequestRecord;
use crate::domain::access_request::{effective_status, AccessRequestInput};
use crate::services::check::{self, CheckInput};
use crate::services::error::ServiceError;
use crate::services::requests::{self, Submitter};
use crate::state::AppState;
use app::model::{AccessRequestStatus, Decision, RequestId, Scope};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// `POST /api/v1/access-requests` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateAccessRequest)]
pub struct CreateRequestBody {
    #[schema(schema_with = openapi::mailbox)]
    mailbox: String,
    /// The agent asking (a support agent's handle).
    #[schema(min_length = 1, max_length = 128, example = "sam.rivera")]
    agent: String,
    #[schema(schema_with = openapi::scopes)]
    scopes: Vec<String>,
    #[schema(schema_with = openapi::justification)]
    justification: JustificationBody,
    /// How long the grant lasts once approved (the installation's default when absent).
    /// The maximum is this installation's longest grant.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    duration_minutes: Option<i64>,
}

/// A JSON number that is a whole number (`30`, or `30.0` as some encoders write it).
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        // Beyond i64 is out of range either way: the limit check names the allowed range.
        #[allow(clippy::cast_possible_truncation)]
        Some(f) if f.fract() == 0.0 => Ok(Some(f.clamp(i64::MIN as f64, i64::MAX as f64) as i64)),
        _ => Err(serde::de::Error::custom(
            "`duration_minutes` must be a whole number of minutes",
        )),
    }
}

/// The justification part of a request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Justification)]
pub struct JustificationBody {
    #[schema(value_type = app::model::JustificationCode)]
    code: String,
    text: String,
    #[serde(default)]
    ticket: Option<String>,
}

/// `POST /api/v1/access/check` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CheckRequest)]
pub struct CheckBody {
    #[schema(schema_with = openapi::mailbox)]
    mailbox: String,
    /// The agent's handle; an unknown one is 404.
    #[schema(min_length = 1, max_length = 128, example = "sam.rivera")]
    agent: String,
    #[schema(value_type = Scope)]
    scope: String,
    #[schema(schema_with = openapi::action)]
    action: String,
    #[schema(schema_with = openapi::resource)]
    resource: String,
    #[serde(default)]
    #[schema(schema_with = openapi::source_network)]
    source_network: Option<String>,
}

/// `POST /api/v1/imap/login` body: what Dovecot's master passdb sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ImapLoginRequest)]
pub struct ImapLoginBody {
    #[schema(schema_with = openapi::mailbox)]
    mailbox: String,
    #[schema(schema_with = openapi::agent)]
    agent: String,
    #[schema(schema_with = openapi::secret)]
    secret: String,
    #[schema(schema_with = openapi::client_ip)]
    client_ip: String,
    #[schema(schema_with = openapi::session)]
    session: String,
}

/// A request as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AccessRequest)]
pub struct RequestJson {
    id: RequestId,
    mailbox: String,
    /// The agent's handle (absent once the agent's account is gone).
    agent: Option<String>,
    /// What the request allows: as asked, or once approved, what the owner allowed.
    scopes: Vec<Scope>,
    /// What the agent asked for (more than `scopes` when the owner allowed less).
    asked_scopes: Vec<Scope>,
    justification: JustificationBody,
    /// How long the agent asked the access to last.
    duration_minutes: i64,
    /// How long the owner allowed (absent until approved).
    granted_minutes: Option<i64>,
    status: AccessRequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When a pending request expires undecided.
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    grant: Option<GrantJson>,
    #[serde(with = "time::serde::rfc3339::option")]
    decided_at: Option<OffsetDateTime>,
    decision_reason: Option<String>,
    /// An emergency access (break-glass): opened by a security admin and approved by a
    /// second one, without the owner's consent (never made through this API).
    break_glass: bool,
}

/// The grant window of an approved request.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Grant)]
pub struct GrantJson {
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    ends_at: OffsetDateTime,
}

/// A check's answer, as the mail system acts on it.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckDecision {
    /// Go ahead.
    Allow,
    /// Refuse the access.
    Deny,
}

/// The answer to a check.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CheckResponse)]
pub struct CheckJson {
    decision: CheckDecision,
    /// Why, in the words the owner reads.
    reason: String,
    /// The grant that allowed it.
    grant_id: Option<RequestId>,
    #[serde(with = "time::serde::rfc3339::option")]
    grant_ends_at: Option<OffsetDateTime>,
    /// The recorded access event.
    event_id: uuid::Uuid,
    /// The event's index in the verifiable log (it is in the log before the answer).
    log_index: u64,
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
        asked_scopes: r.asked_scopes,
        justification: JustificationBody {
            code: r.justification_code.as_str().into(),
            text: r.justification_text,
            ticket: r.ticket,
        },
        duration_minutes: r.duration_minutes,
        granted_minutes: r.granted_minutes,
        status: effective_status(r.status, r.expires_at, r.grant_ends_at, now),
        created_at: r.created_at,
        expires_at: r.expires_at,
        grant,
        decided_at: r.decided_at,
        decision_reason: r.decision_reason,
        break_glass: r.break_glass,
    }
}

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload.map(|Json(b)| b).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            e.body_text(),
        )
    })
}

fn request_id(raw: &str) -> Result<RequestId, ApiError> {
    // A malformed id cannot name anything: the same 404 as an unknown one.
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "No such request.",
        )
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/access-requests",
    tag = "access requests",
    request_body = CreateRequestBody,
    responses(
        (status = 201, description = "Created: the owner is asked.", body = RequestJson,
            headers(("location" = String, description = "The new request's URL"))),
        (status = 400, description = "Not JSON of this shape (`invalid_json`).", body = ErrorJson),
        (status = 401, description = "No live service token.", body = ErrorJson),
        (status = 403, description = "The agent is disabled, or their permission to ask lapsed because no security admin recertified them in time (the message says which and what to do).", body = ErrorJson),
        (status = 404, description = "No such mailbox or agent.", body = ErrorJson),
        (status = 413, description = "The body is larger than the server accepts."),
        (status = 422, description = "A value breaks a rule; the message says which (`invalid_input`).", body = ErrorJson),
        (status = 429, description = "Too many requests for this token; see `Retry-After`.", body = ErrorJson),
        (status = 500, description = "Failed on Glassbox's side; nothing was changed.", body = ErrorJson),
        (status = 503, description = "The database cannot take the request now (`unavailable`): nothing was created, the owner was not emailed. Retry after `Retry-After`.", body = ErrorJson),
    )
)]
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

#[utoipa::path(
    get,
    path = "/api/v1/access-requests/{id}",
    tag = "access requests",
    params(("id" = String, Path, description = "The request's id (a UUID)")),
    responses(
        (status = 200, description = "The request.", body = RequestJson),
        (status = 401, description = "No live service token.", body = ErrorJson),
        (status = 404, description = "No such request.", body = ErrorJson),
        (status = 429, description = "Too many requests for this token; see `Retry-After`.", body = ErrorJson),
        (status = 500, description = "Failed on Glassbox's side.", body = ErrorJson),
    )
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/access-requests/{id}/cancel",
    tag = "access requests",
    params(("id" = String, Path, description = "The request's id (a UUID)")),
    responses(
        (status = 200, description = "Cancelled.", body = RequestJson),
        (status = 401, description = "No live service token.", body = ErrorJson),
        (status = 404, description = "No such request.", body = ErrorJson),
        (status = 409, description = "Already decided (`already_decided`).", body = ErrorJson),
        (status = 429, description = "Too many requests for this token; see `Retry-After`.", body = ErrorJson),
        (status = 500, description = "Failed on Glassbox's side; nothing was changed.", body = ErrorJson),
    )
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/access/check",
    tag = "checks",
    request_body = CheckBody,
    responses(
        (status = 200, description = "Decided and recorded: act on `decision`.", body = CheckJson),
        (status = 400, description = "Not JSON of this shape (`invalid_json`).", body = ErrorJson),
        (status = 401, description = "No live service token.", body = ErrorJson),
        (status = 404, description = "No such mailbox or agent (nothing is recorded).", body = ErrorJson),
        (status = 413, description = "The body is larger than the server accepts."),
        (status = 422, description = "A value breaks a rule; the message says which (`invalid_input`).", body = ErrorJson),
        (status = 500, description = "Not recorded, so not allowed: refuse the access.", body = ErrorJson),
        (status = 503, description = "The database cannot record it now (`unavailable`: down, restarting or full). Not recorded, so not allowed: refuse the access; retry after `Retry-After`.", body = ErrorJson),
    )
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/imap/login",
    tag = "dovecot",
    request_body = ImapLoginBody,
    responses(
        (status = 200, description = "Decided and recorded: act on `decision`.", body = CheckJson),
        (status = 400, description = "Not JSON of this shape (`invalid_json`).", body = ErrorJson),
        (status = 401, description = "No live service token.", body = ErrorJson),
        (status = 404, description = "No such mailbox or agent (nothing is recorded).", body = ErrorJson),
        (status = 413, description = "The body is larger than the server accepts."),
        (status = 422, description = "A value breaks a rule; the message says which (`invalid_input`).", body = ErrorJson),
        (status = 500, description = "Not recorded, so not allowed: refuse the access.", body = ErrorJson),
        (status = 503, description = "The database cannot record it now (`unavailable`: down, restarting or full). Not recorded, so not allowed: refuse the access; retry after `Retry-After`.", body = ErrorJson),
    )
)]
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
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(as = ReceiptsResponse)]
pub struct ReceiptsJson {
    /// Commands that became receipts in an owner's history.
    recorded: u32,
    /// Commands of allowed sessions that read nothing worth a receipt.
    nothing: u32,
    /// Events of sessions Glassbox did not allow, or of another shape.
    ignored: u32,
}

/// The body of a receipts post, for the document: Dovecot's event export.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(as = DovecotEvents)]
#[allow(dead_code)]
pub enum ReceiptsBody {
    /// One event.
    One(serde_json::Map<String, serde_json::Value>),
    /// Several.
    Many(Vec<serde_json::Value>),
}

#[utoipa::path(
    post,
    path = "/api/v1/imap/receipts",
    tag = "dovecot",
    request_body(content = ReceiptsBody, description = "Dovecot's exported `imap_command_finished` events: one object, or an array of them. Items of another shape are counted as ignored."),
    responses(
        (status = 200, description = "Ingested.", body = ReceiptsJson),
        (status = 400, description = "Not a JSON object or array.", body = ErrorJson),
        (status = 401, description = "No live service token.", body = ErrorJson),
        (status = 413, description = "Larger than 64 KiB."),
        (status = 429, description = "Too many requests for this token; see `Retry-After`.", body = ErrorJson),
        (status = 500, description = "Failed on Glassbox's side.", body = ErrorJson),
    )
)]
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
            ErrorCode::InvalidJson,
            format!("Send Dovecot's JSON event export: {e}"),
        )
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        one @ serde_json::Value::Object(_) => vec![one],
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidJson,
                "Send Dovecot's JSON event export: an object, or an array of them.",
            ))
        }
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
            Decision::Allowed => CheckDecision::Allow,
            Decision::Denied => CheckDecision::Deny,
        },
        reason: outcome.reason,
        grant_id: outcome.grant_id,
        grant_ends_at: outcome.grant_ends_at,
        event_id: outcome.event_id,
        // The position in the verifiable Merkle log (the event is in it before we answer).
        log_index: outcome.log_index,
    }
}
