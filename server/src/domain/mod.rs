//! Pure rules, no I/O: time, pseudonyms, and (in later modules) the access-request state
//! machine.

pub mod access_request;
pub mod clock;
pub mod incident;
pub mod pseudonym;
