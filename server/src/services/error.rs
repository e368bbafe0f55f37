//! [`ServiceError`]: what a use case can fail with, before it is turned into a page error
//! ([`AppError`]) or an API error.

use app::error::AppError;

/// A use-case failure.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Nothing with that id exists for this caller (also used to hide other people's things).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The input names a mailbox or person Glassbox does not know; the message says which.
    /// A form shows it beside the field; the API answers 404.
    #[error("{0}")]
    Unknown(String),
    /// The caller may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The caller may not do this, for a reason they can act on; the message says which
    /// and what to do.
    #[error("{0}")]
    Refused(String),
    /// The action needs a passkey confirmed in the last few minutes; `confirm_url` is the
    /// page that confirms one (or adds one first) and comes back.
    #[error("a recent passkey confirmation is needed")]
    PasskeyRequired {
        /// Where to confirm.
        confirm_url: String,
    },
    /// The caller's credential (a service token) is unknown or revoked.
    #[error("unknown or revoked credential")]
    Unauthorized,
    /// The state moved on (already decided, expired, …); the message says how.
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// A new access request is not acceptable: which field, and what to change (the API
    /// answers with the document's wording, a form with plain words beside the field).
    #[error(transparent)]
    Request(#[from] crate::domain::access_request::ParseError),
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
            ServiceError::Refused(m) => AppError::Refused(m),
            ServiceError::Unauthorized => AppError::Unauthorized,
            ServiceError::PasskeyRequired { confirm_url } => {
                AppError::PasskeyRequired { confirm_url }
            }
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::Invalid(m) | ServiceError::Unknown(m) => AppError::Invalid(m),
            ServiceError::Request(e) => AppError::InvalidField {
                field: e.field(),
                message: e.plain_words(),
            },
            ServiceError::Unexpected(e) => super::unexpected(context, e),
        }
    }
}

/// `Conflict(message())` when `result` failed on a unique constraint (the thing already
/// exists); any other failure stays unexpected. The database decides, so two concurrent
/// inserts cannot both pass a check made first.
pub fn conflict_on_unique<T>(
    result: sqlx::Result<T>,
    message: impl FnOnce() -> String,
) -> Result<T, ServiceError> {
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(ServiceError::Conflict(message()))
        }
        other => Ok(other?),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_unique_violation_is_a_conflict_and_other_failures_stay_unexpected() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        sqlx::query("create table t (name text unique)")
            .execute(&pool)
            .await
            .unwrap();
        let insert = || sqlx::query("insert into t values ('a')").execute(&pool);
        insert().await.unwrap();
        let again = conflict_on_unique(insert().await, || "`a` exists".into());
        assert!(matches!(again, Err(ServiceError::Conflict(m)) if m == "`a` exists"));
        let other = conflict_on_unique(
            sqlx::query("insert into missing values (1)")
                .execute(&pool)
                .await,
            || "unused".into(),
        );
        assert!(matches!(other, Err(ServiceError::Unexpected(_))));
    }
}
