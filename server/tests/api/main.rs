//! API tests: the real server on a random port against a real database. Every scenario
//! runs on SQLite and on PostgreSQL (when `TEST_POSTGRES_URL` is set).

mod helpers;

mod health;
mod history;
mod pages;
mod security;
mod sign_in;
mod store;
