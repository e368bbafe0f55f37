//! `AppError`: the only error a page or a server function shows. Every variant is safe to
//! show to the person at the keyboard; causes are logged on the server, once, and an
//! unexpected failure only shows a reference the operator can look up.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A user-safe error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Nobody is signed in.
    #[error("Please sign in to see this page.")]
    Unauthorized,
    /// Signed in, but this is not theirs to see or do.
    #[error("You do not have access to this page.")]
    Forbidden,
    /// Signed in, but refused for a reason the person can act on; the message says which.
    #[error("{0}")]
    Refused(String),
    /// Nothing with that id exists for this person.
    #[error("We could not find that. It may have been removed, or the link may be wrong.")]
    NotFound,
    /// The input was not acceptable; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// One field of a form is not acceptable: the form shows `message` beside it.
    #[error("{message}")]
    InvalidField {
        /// The field to fix.
        field: crate::model::RequestField,
        /// What to change, in plain words.
        message: String,
    },
    /// Somebody else got there first (for example, the request was already decided).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts.
    #[error("Too many attempts. Wait a minute and try again.")]
    RateLimited,
    /// Something failed on our side; `reference` finds the cause in the server log.
    #[error("Something went wrong on our side. Please try again; if it keeps happening, quote reference {reference}.")]
    Internal {
        /// An id that appears in the server log next to the cause.
        reference: String,
    },
    /// Approving needs a recent sign-in: sign in again at `sign_in_url`, which returns here.
    #[error("For your safety, sign in again before approving access to your mailbox.")]
    StepUpRequired {
        /// Where to sign in again.
        sign_in_url: String,
    },
    /// The action needs a passkey confirmed in the last few minutes: confirm at
    /// `confirm_url`, which returns here.
    #[error("This needs your security key: confirm with your passkey, then try again.")]
    PasskeyRequired {
        /// Where to confirm with a passkey (or add one, when there is none yet).
        confirm_url: String,
    },
    /// Glassbox cannot use its database just now (stopped, full or overloaded): nothing the
    /// person did is wrong, and trying again later will work.
    #[error("Glassbox cannot reach its database just now. Please try again in a minute.")]
    Unavailable,
    /// The page could not reach the server (the network or the server is down).
    #[error("We could not reach Glassbox. Check your connection and try again.")]
    Unreachable,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::Invalid("The form was incomplete. Reload the page and try again.".into())
            }
            // Arguments that do not decode (a negative index, a fraction, a string for a
            // number, broken JSON) are the caller's mistake, not ours.
            ServerFnErrorErr::Deserialization(_) => AppError::Invalid(
                "The request's arguments are not valid. Reload the page and try again.".into(),
            ),
            _ => AppError::Internal {
                reference: "server-fn".into(),
            },
        }
    }
}

impl AppError {
    /// During server rendering, gives the response the status this error deserves and, for
    /// a database that is unavailable, a `Retry-After`.
    #[cfg(feature = "ssr")]
    pub fn set_response_status(&self) {
        let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        if let Ok(code) = axum::http::StatusCode::from_u16(self.status_code()) {
            opts.set_status(code);
        }
        if matches!(self, AppError::Unavailable) {
            opts.insert_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("2"),
            );
        }
    }

    /// The HTTP status a page showing this error should have.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::StepUpRequired { .. } => 401,
            AppError::PasskeyRequired { .. } => 403,
            AppError::Forbidden | AppError::Refused(_) => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) | AppError::InvalidField { .. } => 400,
            AppError::Conflict(_) => 409,
            AppError::RateLimited => 429,
            AppError::Internal { .. } => 500,
            AppError::Unavailable | AppError::Unreachable => 503,
        }
    }
}
