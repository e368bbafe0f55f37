//! Reusable views.

pub mod action_result;
pub mod error_view;
pub mod event_table;
pub mod format;
pub mod history_filter;
pub mod log_verification;
pub mod page_shell;
pub mod request_card;
pub mod status_badge;
pub mod when;
