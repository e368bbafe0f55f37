//! Glassbox's server: configuration, database, domain services, authentication, HTTP,
//! jobs and the command line. A library so that tests start the real application.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod email;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod oidc;
pub mod portal;
pub mod rate_limit;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod transparency;
pub mod verify;
pub mod witness;
