//! [`HttpError`]: errors of plain axum routes, as responses. Internal causes are logged
//! where they are turned into an error (once) and never sent to the client.
//!
//! [`ErrorBody`] is the one JSON shape of every error Glassbox answers outside the pages,
//! from these routes, the middleware and the service API alike.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// `{"error":{"code":"snake_case_code","message":"what to do"}}`: `code` is stable, for
/// programs; `message` is for people and says what to do next.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl<'a> ErrorBody<'a> {
    /// The body for this code and message.
    pub fn new(code: &'a str, message: &'a str) -> Self {
        Self {
            error: ErrorDetail { code, message },
        }
    }

    /// The response: this body as JSON with `status`.
    pub fn into_response_with(self, status: StatusCode) -> Response {
        (status, Json(self)).into_response()
    }
}

/// An error a plain route returns.
#[derive(Debug)]
pub enum HttpError {
    /// 400 with a message saying what to change.
    BadRequest(String),
    /// 401: sign in first.
    Unauthorized,
    /// 403.
    Forbidden(&'static str),
    /// 404.
    NotFound,
    /// 500 with a reference to the log line.
    Internal {
        /// Reference quoted to the user.
        reference: String,
    },
}

impl HttpError {
    /// Logs `err` with a fresh reference and returns the 500 that carries it.
    pub fn unexpected(context: &'static str, err: impl std::fmt::Debug) -> Self {
        let reference = crate::telemetry::error_reference();
        tracing::error!(error.reference = %reference, error.context = context, error = ?err, "unexpected failure");
        HttpError::Internal { reference }
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            HttpError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            HttpError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Please sign in first.".into()),
            HttpError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", (*m).to_string()),
            HttpError::NotFound => (StatusCode::NOT_FOUND, "not_found", "There is nothing here.".into()),
            HttpError::Internal { reference } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("Something went wrong on our side. Please try again; if it keeps happening, quote reference {reference}."),
            ),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        ErrorBody::new(code, &message).into_response_with(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_nests_code_and_message_under_error() {
        let body =
            serde_json::to_value(ErrorBody::new("not_found", "There is nothing here.")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "There is nothing here."}})
        );
    }
}
