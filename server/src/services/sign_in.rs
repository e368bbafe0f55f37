//! Who an OpenID Connect identity is in Glassbox. Owners are linked by the provider's
//! subject; the first time, the verified email claim binds them to their mailbox. Staff
//! must already exist (`glassbox staff add`) and are matched by subject, or by work address
//! the first time.

use super::error::ServiceError;
use crate::db::{owners, staff, Db};
use crate::domain::access_request::parse_mailbox;
use crate::domain::clock::Clock;
use crate::oidc::VerifiedIdentity;
use app::model::{MailboxId, OwnerId, StaffId};

/// The owner this identity signs in as, creating the owner and binding the mailbox on a
/// first sign-in.
pub async fn owner_for(
    db: &Db,
    clock: &Clock,
    who: &VerifiedIdentity,
) -> Result<OwnerId, ServiceError> {
    if let Some(o) = owners::find_by_subject(db, &who.subject).await? {
        return Ok(OwnerId(o.id));
    }
    let email = who.email.as_deref().ok_or(ServiceError::Invalid(
        "Your sign-in provider did not share your email address, so Glassbox cannot tell which mailbox is yours.".into(),
    ))?;
    if !who.email_verified {
        return Err(ServiceError::Invalid(
            "Your sign-in provider has not verified your email address. Verify it there, then sign in again.".into(),
        ));
    }
    let address = parse_mailbox(email).map_err(|_| {
        ServiceError::Invalid("Your email address is not one Glassbox can use.".into())
    })?;
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    let owner = match owners::find_mailbox(db, &address).await? {
        Some(mailbox) => {
            let owner = OwnerId(mailbox.owner_id);
            if !owners::link_subject(&mut tx, owner, &who.subject).await? {
                // This mailbox's owner already signs in with another account.
                tracing::warn!(owner.id = %owner, "refused an OIDC sign-in for a mailbox linked to another subject");
                return Err(ServiceError::Forbidden);
            }
            owner
        }
        None => {
            let owner = OwnerId::new();
            // The provider's name claim is shown in pages and emails: neutralised, never trusted.
            let name = who
                .name
                .as_deref()
                .map(crate::domain::text::neutralise)
                .filter(|n| !n.is_empty())
                .map(|n| n.chars().take(100).collect::<String>())
                .unwrap_or_else(|| address.clone());
            owners::insert_owner(&mut tx, owner, &name, &address, now).await?;
            owners::insert_mailbox(&mut tx, MailboxId::new(), owner, &address, now).await?;
            owners::link_subject(&mut tx, owner, &who.subject).await?;
            owner
        }
    };
    tx.commit().await?;
    tracing::info!(owner.id = %owner, "owner linked to their sign-in provider");
    Ok(owner)
}

/// The staff member this identity signs in as; they must exist and not be disabled.
pub async fn staff_for(db: &Db, who: &VerifiedIdentity) -> Result<StaffId, ServiceError> {
    let member = match staff::find_staff_by_subject(db, &who.subject).await? {
        Some(m) => m,
        None => {
            let email = who
                .email
                .as_deref()
                .filter(|_| who.email_verified)
                .ok_or(ServiceError::Forbidden)?;
            let m = staff::find_staff_by_email(db, &email.to_ascii_lowercase())
                .await?
                .ok_or(ServiceError::Forbidden)?;
            if !staff::link_staff_subject(db, m.id, &who.subject).await? {
                return Err(ServiceError::Forbidden);
            }
            m
        }
    };
    if member.disabled_at.is_some() {
        return Err(ServiceError::Forbidden);
    }
    Ok(member.id)
}

/// The identities the demo sign-in page offers: a few owners and every active staff member.
pub async fn demo_identities(db: &Db) -> Result<Vec<app::model::DemoIdentity>, ServiceError> {
    use anyhow::Context as _;
    let people = owners::list_owners(db, 6)
        .await
        .context("list the demo owners")?;
    let mut identities = Vec::with_capacity(people.len() + 4);
    for p in people {
        let mailboxes = owners::mailboxes_of(db, OwnerId(p.id))
            .await
            .context("list the demo mailboxes")?;
        let addresses: Vec<String> = mailboxes.into_iter().map(|m| m.address).collect();
        identities.push(app::model::DemoIdentity {
            key: format!("owner:{}", p.id),
            name: p.display_name,
            role_label: "Mailbox owner".into(),
            description: format!("Sees the access history of {}.", addresses.join(", ")),
        });
    }
    for s in staff::list_active_staff(db).await? {
        let description = match s.role {
            app::model::StaffRole::Support => {
                "Requests access to mailboxes and sees whether owners consented."
            }
            app::model::StaffRole::SecurityAdmin => "Sees every request and runs incidents.",
        };
        identities.push(app::model::DemoIdentity {
            key: format!("staff:{}", s.id),
            name: s.display_name,
            role_label: s.role.label().into(),
            description: description.into(),
        });
    }
    Ok(identities)
}
