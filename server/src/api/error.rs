//! API errors: `{"error":{"code":"snake_case_code","message":"what to do"}}` with a 4xx/5xx
//! status. Unexpected causes are logged once, here, and never sent.

use crate::http::error::ErrorBody;
use crate::services::error::ServiceError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What a caller with an unknown or revoked service token is told.
pub const UNKNOWN_OR_REVOKED: &str = "This service token is unknown or revoked.";

/// The stable `error.code` values of the API (programs branch on them; never rename one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No, an unknown or a revoked service token.
    Unauthorized,
    /// The body is not JSON of the documented shape.
    InvalidJson,
    /// A query parameter is missing or not a whole number.
    InvalidQuery,
    /// Well-formed but not acceptable; the message says what to change.
    InvalidInput,
    /// No such thing (also for ids that are not ids).
    NotFound,
    /// Not allowed for this agent or request.
    Forbidden,
    /// The request's state moved on.
    AlreadyDecided,
    /// Too many requests for this token.
    RateLimited,
    /// The log has no signed checkpoint yet.
    NoCheckpoint,
    /// The database cannot take the request now (unreachable, restarting, full); nothing
    /// was changed or recorded. Retry later; an access check answered so is a refusal.
    Unavailable,
    /// A failure on Glassbox's side; nothing was changed.
    Internal,
}

impl ErrorCode {
    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::AlreadyDecided => "already_decided",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::NoCheckpoint => "no_checkpoint",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// The error body as the API document describes it (the response is written by
/// [`ErrorBody`], from the same code).
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorJson {
    error: ErrorDetailJson,
}

/// `error` of [`ErrorJson`].
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetailJson {
    code: ErrorCode,
    /// For people: what happened and what to do.
    message: String,
}

/// The `Retry-After` (seconds) of a 503 while the database is unavailable.
const RETRY_UNAVAILABLE_AFTER: u64 = 2;

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 422: the input is well-formed but not acceptable; `message` says what to change.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidInput,
            message,
        )
    }

    /// 401: no live credential; `message` says what to send.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    /// 429 with a `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "Too many requests for this token. Wait and retry.",
            )
        }
    }

    /// Converts a use-case failure; `what` names the thing for not-found messages.
    pub fn from_service(e: ServiceError, context: &'static str) -> Self {
        match e {
            ServiceError::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("No such {what}."),
            ),
            ServiceError::Unknown(m) => Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, m),
            ServiceError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "That is not allowed for this agent or request.",
            ),
            ServiceError::Refused(m) => Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, m),
            ServiceError::PasskeyRequired { .. } => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "This needs a person's recent passkey confirmation, which the API cannot give.",
            ),
            ServiceError::Unauthorized => Self::unauthorized(UNKNOWN_OR_REVOKED),
            ServiceError::Conflict(m) => {
                Self::new(StatusCode::CONFLICT, ErrorCode::AlreadyDecided, m)
            }
            ServiceError::Invalid(m) => Self::invalid(m),
            ServiceError::Request(e) => Self::invalid(e.to_string()),
            ServiceError::Unexpected(err) if crate::db::is_unavailable(&err) => {
                tracing::error!(error.context = context, error = %format!("{err:#}"), "the database is unavailable");
                Self {
                    retry_after: Some(RETRY_UNAVAILABLE_AFTER),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::Unavailable,
                        "Glassbox cannot use its database just now; nothing was changed or recorded (an access check answered so is a refusal). Retry in a few seconds.",
                    )
                }
            }
            ServiceError::Unexpected(err) => {
                let reference = crate::telemetry::error_reference();
                tracing::error!(error.reference = %reference, error.context = context, error = ?err, "unexpected failure in the API");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    format!("Something went wrong on our side; nothing was changed. Retry; if it persists, quote reference {reference}."),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res =
            ErrorBody::new(self.code.as_str(), &self.message).into_response_with(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110: a 401 names the scheme the caller should use.
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert("retry-after", v);
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_error_code_is_sent_as_the_document_names_it() {
        for code in [
            ErrorCode::Unauthorized,
            ErrorCode::InvalidJson,
            ErrorCode::InvalidQuery,
            ErrorCode::InvalidInput,
            ErrorCode::NotFound,
            ErrorCode::Forbidden,
            ErrorCode::AlreadyDecided,
            ErrorCode::RateLimited,
            ErrorCode::NoCheckpoint,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(json, code.as_str(), "{code:?}");
        }
    }
}
