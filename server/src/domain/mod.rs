//! Pure rules, no I/O: the access-request state machine, the access check's decision,
//! incidents, who may ask for access (recertification), time, pseudonyms and the second
//! factor's codes.

pub mod access_request;
pub mod check;
pub mod clock;
pub mod incident;
pub mod legal_hold;
pub mod owner_alerts;
pub mod owner_report;
pub mod passkey;
pub mod pseudonym;
pub mod receipt;
pub mod request_list;
pub mod staff;
pub mod standing_rules;
pub mod text;
