//! Managing staff accounts (`glassbox staff add|disable`). Disabling an account ends every
//! one of its sessions at once: each request re-checks the account, and a disabled one
//! signs nobody in.

use super::error::{conflict_on_unique, ServiceError};
use crate::config::Settings;
use crate::db::{staff, Db};
use crate::domain::access_request::parse_mailbox;
use crate::domain::clock::Clock;
use crate::domain::pseudonym;
use app::model::{StaffId, StaffRole};
use secrecy::ExposeSecret;

/// Adds a staff member who may then sign in through the organisation's provider.
pub async fn add(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    email: &str,
    role: StaffRole,
    name: Option<&str>,
) -> Result<StaffId, ServiceError> {
    let email = parse_mailbox(email)
        .map_err(|_| ServiceError::Invalid("`--email` must be a work email address".into()))?;
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if n.chars().count() > 100 => {
            return Err(ServiceError::Invalid(
                "`--name` must be at most 100 characters".into(),
            ))
        }
        Some(n) => Some(
            crate::domain::text::accept(n, crate::domain::text::Lines::One).ok_or_else(|| {
                ServiceError::Invalid(
                    "`--name` must be one line without control or invisible formatting characters"
                        .into(),
                )
            })?,
        ),
        None => None,
    };
    let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
    let id = StaffId::new();
    let alias = pseudonym::for_staff(
        settings.security.secret_key.expose_secret().as_bytes(),
        &id.0,
    );
    let mut tx = db.begin().await?;
    conflict_on_unique(
        staff::insert_staff(&mut tx, id, &email, &name, role, &alias, clock.now()).await,
        || format!("a staff member with the address or handle of {email} already exists"),
    )?;
    tx.commit().await?;
    tracing::info!(staff.id = %id, staff.role = %role, "staff member added");
    Ok(id)
}

/// Disables a staff member: their sessions end at their next request and they cannot sign in.
pub async fn disable(db: &Db, clock: &Clock, email: &str) -> Result<(), ServiceError> {
    let email = parse_mailbox(email)
        .map_err(|_| ServiceError::Invalid("`--email` must be a work email address".into()))?;
    let now = clock.now();
    let mut tx = db.begin().await?;
    if staff::disable(&mut tx, &email, now).await? {
        // Their open IMAP sessions end too (queued with the disable, sent by jobs::imap_kicks).
        if let Some(agent) = staff::find_staff_by_email(&mut tx, &email).await? {
            crate::db::imap::queue_kicks(&mut tx, None, Some(agent.id), now).await?;
        }
        tx.commit().await?;
        tracing::warn!("staff member disabled");
        Ok(())
    } else {
        Err(ServiceError::NotFound("active staff member"))
    }
}
