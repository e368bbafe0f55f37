//! Plain axum routes and middleware: health, security headers, CSRF defence, errors.

pub mod email_links;
pub mod error;
pub mod export;
pub mod health;
pub mod pages;
pub mod public_log;
pub mod security;
