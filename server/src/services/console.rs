//! The staff console's home: a support agent sees their own requests, a security admin
//! everyone's and the emails that could not be delivered.

use super::error::ServiceError;
use super::requests;
use crate::db::requests as stored;
use crate::db::{outbox, staff, Db};
use crate::domain::clock::Clock;
use anyhow::Context as _;
use app::model::{FailedEmailView, StaffHome, StaffId, StaffRequestView, StaffRole};

/// How many requests the staff console lists.
const STAFF_REQUESTS: i64 = 50;
/// How many undelivered emails a security admin sees.
const FAILED_EMAILS: i64 = 20;

/// The console of `staff_id` (`Unauthorized` for a disabled or unknown account).
pub async fn staff_home(
    db: &Db,
    clock: &Clock,
    settings: &crate::config::Settings,
    staff_id: StaffId,
) -> Result<StaffHome, ServiceError> {
    let member = staff::get_staff(db, staff_id)
        .await?
        .filter(|m| m.disabled_at.is_none())
        .ok_or(ServiceError::Unauthorized)?;
    let in_view = match member.role {
        StaffRole::Support => Some(member.id),
        StaffRole::SecurityAdmin => None,
    };
    let now = clock.now();
    let list = stored::list_recent(db, in_view, STAFF_REQUESTS).await?;
    let counts = stored::count_by_status(db, in_view).await?;
    let failed_emails = match member.role {
        StaffRole::SecurityAdmin => {
            outbox::list(db, Some(outbox::OutboxStatus::Failed), FAILED_EMAILS)
                .await
                .context("list the failed emails")?
                .into_iter()
                .map(|m| FailedEmailView {
                    id: m.id.to_string(),
                    kind: m.kind,
                    recipient: crate::email::mask(&m.recipient),
                    failed_at: m.failed_at,
                    attempts: m.attempts,
                    reason: m.last_error.unwrap_or_default(),
                })
                .collect()
        }
        StaffRole::Support => Vec::new(),
    };
    let recertification =
        crate::domain::staff::standing(member.standing(), settings.staff.recertify_every(), now);
    Ok(StaffHome {
        recertification,
        display_name: member.display_name,
        role: member.role,
        pseudonym: member.pseudonym,
        requests: list
            .into_iter()
            .map(|r| {
                let agent_name = r.agent_name.clone();
                StaffRequestView {
                    request: requests::view(r, now),
                    agent_name,
                }
            })
            .collect(),
        counts,
        failed_emails,
    })
}
