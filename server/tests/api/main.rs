//! API tests: the real server on a random port against a real database. Every scenario
//! runs on SQLite and on PostgreSQL (when `TEST_POSTGRES_URL` is set).

// Test code fails loudly: an unwrap here is an assertion (scenario bodies are plain async
// fns, so clippy's allow-unwrap-in-tests does not reach them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authenticator;
mod helpers;

mod access_detail;
mod agent_history;
mod api_contract;
mod assets;
mod backup;
mod break_glass;
mod clock_faults;
mod consent;
mod cross_account;
mod disk_faults;
mod dovecot;
mod email;
mod email_faults;
mod email_speed;
mod export;
mod external_signer;
mod forms;
mod health;
mod history;
mod incident_drafts;
mod incidents;
mod legal_holds;
mod log;
mod log_faults;
mod log_keys;
mod oidc;
mod owner_alerts;
mod pages;
mod partial_approval;
mod passkeys;
mod postgres_faults;
mod races;
mod reports;
mod roster;
mod security;
mod sessions;
mod sign_in;
mod staff_lists;
mod standing_rules;
mod stop_all;
mod store;
mod tiles;
mod witnesses;
