//! API tests: the real server on a random port against a real database. Every scenario
//! runs on SQLite and on PostgreSQL (when `TEST_POSTGRES_URL` is set).

mod helpers;

mod api_contract;
mod consent;
mod cross_account;
mod email;
mod email_faults;
mod health;
mod history;
mod incidents;
mod log;
mod log_faults;
mod oidc;
mod pages;
mod races;
mod security;
mod sign_in;
mod store;
