//! Use cases. Each owns its transaction, reads `now` from the clock, and returns either a
//! view or an [`AppError`]. Unexpected failures are logged here, once, with a reference the
//! person can quote.

pub mod action_links;
pub mod agent_history;
pub mod backup;
pub mod break_glass;
pub mod check;
pub mod console;
pub mod error;
pub mod history;
pub mod history_export;
pub mod imap;
pub mod incidents;
pub mod legal_holds;
pub mod link_tokens;
pub mod notifications;
pub mod overview;
pub mod owner_alerts;
pub mod owner_reports;
pub mod owner_rules;
pub mod passkeys;
pub mod requests;
mod roles;
pub mod second_factor;
pub mod sign_in;
pub mod staff;
pub mod tokens;
pub mod totp;
pub mod transitions;

use app::error::AppError;

/// Logs an unexpected failure with its whole cause chain and returns the user-safe error
/// carrying a reference to that log line. A database that cannot take work (stopped, full,
/// out of connections) is not a fault of the page: it is `Unavailable` (503, try again).
pub fn unexpected(context: &'static str, err: impl Into<anyhow::Error>) -> AppError {
    let err = err.into();
    if crate::db::is_unavailable(&err) {
        tracing::warn!(error.context = context, error = ?err, "the database is unavailable");
        return AppError::Unavailable;
    }
    let reference = crate::telemetry::error_reference();
    tracing::error!(error.reference = %reference, error.context = context, error = ?err, "unexpected failure");
    AppError::Internal { reference }
}
