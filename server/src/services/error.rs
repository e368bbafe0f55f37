//! [`ServiceError`]: what a use case can fail with, before it is turned into a page error
//! ([`AppError`]) or an API error.

use app::error::AppError;

/// A use-case failure.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Nothing with that id exists for this caller (also used to hide other people's things).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The caller may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The caller's credential (a service token) is unknown or revoked.
    #[error("unknown or revoked credential")]
    Unauthorized,
    /// The state moved on (already decided, expired, …); the message says how.
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// Something failed underneath; logged where it is turned into a response.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Unexpected(e.into())
    }
}

impl ServiceError {
    /// The page-facing error; unexpected causes are logged here, once.
    pub fn into_app_error(self, context: &'static str) -> AppError {
        match self {
            ServiceError::NotFound(_) => AppError::NotFound,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::Unauthorized => AppError::Unauthorized,
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::Invalid(m) => AppError::Invalid(m),
            ServiceError::Unexpected(e) => super::unexpected(context, e),
        }
    }
}

impl From<crate::transparency::proofs::ProofError> for ServiceError {
    fn from(e: crate::transparency::proofs::ProofError) -> Self {
        use crate::transparency::proofs::ProofError;
        match e {
            ProofError::OutOfRange(m) => ServiceError::Invalid(m),
            ProofError::Unexpected(e) => ServiceError::Unexpected(e),
        }
    }
}
