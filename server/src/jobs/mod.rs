//! Background work that runs beside the HTTP server and stops with it.

pub mod session_cleanup;
