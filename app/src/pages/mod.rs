//! One module per route.

pub mod admin_agent_history;
pub mod admin_emergency;
pub mod admin_incidents;
pub mod admin_reports;
pub mod admin_staff;
pub mod held_notices;
pub mod history;
pub mod incident;
pub mod incidents;
pub mod landing;
pub mod not_found;
pub mod notifications;
pub mod overview;
pub mod report;
pub mod request_detail;
pub mod requests;
pub mod rules;
pub mod sign_in;
pub mod staff;
pub mod staff_request;
pub mod verify_export;
