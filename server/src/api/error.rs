//! API errors: `{"error":{"code":"snake_case_code","message":"what to do"}}` with a 4xx/5xx
//! status. Unexpected causes are logged once, here, and never sent.

use crate::http::error::ErrorBody;
use crate::services::error::ServiceError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What a caller with an unknown or revoked service token is told.
pub const UNKNOWN_OR_REVOKED: &str = "This service token is unknown or revoked.";

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 422: the input is well-formed but not acceptable; `message` says what to change.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }

    /// 401: no live credential; `message` says what to send.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 429 with a `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests for this token. Wait and retry.",
            )
        }
    }

    /// Converts a use-case failure; `what` names the thing for not-found messages.
    pub fn from_service(e: ServiceError, context: &'static str) -> Self {
        match e {
            ServiceError::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("No such {what}."),
            ),
            ServiceError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "That is not allowed for this agent or request.",
            ),
            ServiceError::Unauthorized => Self::unauthorized(UNKNOWN_OR_REVOKED),
            ServiceError::Conflict(m) => Self::new(StatusCode::CONFLICT, "already_decided", m),
            ServiceError::Invalid(m) => Self::invalid(m),
            ServiceError::Unexpected(err) => {
                let reference = crate::telemetry::error_reference();
                tracing::error!(error.reference = %reference, error.context = context, error = ?err, "unexpected failure in the API");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("Something went wrong on our side; nothing was changed. Retry; if it persists, quote reference {reference}."),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = ErrorBody::new(self.code, &self.message).into_response_with(self.status);
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
