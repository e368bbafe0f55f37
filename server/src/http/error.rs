//! [`HttpError`]: errors of plain axum routes, as responses. Internal causes are logged
//! where they are turned into an error (once) and never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

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
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
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
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    }
}
