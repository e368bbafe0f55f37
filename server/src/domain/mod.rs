//! Pure rules, no I/O: time, pseudonyms, and (in later modules) the access-request state
//! machine.

pub mod clock;
pub mod pseudonym;
