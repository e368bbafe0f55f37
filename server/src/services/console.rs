//! The staff console's home: a support agent sees their own requests, a security admin
//! everyone's (narrowed by status, agent, mailbox, days and words, a page at a time) and the
//! emails that could not be delivered.

use super::error::ServiceError;
use super::requests;
use crate::db::requests as stored;
use crate::db::{outbox, staff, Db};
use crate::domain::clock::Clock;
use crate::domain::request_list::{self, ListKey, Position};
use anyhow::Context as _;
use app::model::{
    FailedEmailView, StaffChoice, StaffHome, StaffId, StaffListQuery, StaffRequestList,
    StaffRequestView, StaffRole, STAFF_PAGE_SIZE,
};
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
    let now = clock.now();
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
        failed_emails,
    })
}

/// One page of the requests `staff_id` may see that `query` selects: a support agent's own,
/// or everyone's for a security admin. A query that cannot be used is answered with the
/// problem (and no requests), so the page keeps its form and says what to fix.
pub async fn staff_requests(
    db: &Db,
    clock: &Clock,
    staff_id: StaffId,
    query: &StaffListQuery,
) -> Result<StaffRequestList, ServiceError> {
    let member = staff::get_staff(db, staff_id)
        .await?
        .filter(|m| m.disabled_at.is_none())
        .ok_or(ServiceError::Unauthorized)?;
    let agents = match member.role {
        StaffRole::SecurityAdmin => staff::list_all_staff(db)
            .await?
            .into_iter()
            .map(|m| StaffChoice {
                id: m.id.to_string(),
                label: format!("{} <{}>", m.display_name, m.email),
            })
            .collect(),
        StaffRole::Support => Vec::new(),
    };
    let read = match request_list::read(query, member.id, member.role) {
        Ok(read) => read,
        Err(problem) => {
            return Ok(StaffRequestList {
                problem: Some(problem),
                agents,
                own: member.role == StaffRole::Support,
                ..StaffRequestList::default()
            })
        }
    };
    let filter = &read.filter;
    let (mut page, mut more) =
        stored::list_page(db, filter, read.position, STAFF_PAGE_SIZE).await?;
    let mut position = read.position;
    // Back at the newest end with less than a page newer: show the newest page whole.
    if matches!(position, Position::After(_)) && !more {
        position = Position::Newest;
        (page, more) = stored::list_page(db, filter, position, STAFF_PAGE_SIZE).await?;
    }
    let counts = stored::count_matching(db, filter).await?;
    let total = counts.iter().map(|(_, n)| n).sum();
    let key = |r: &stored::RequestRecord| ListKey {
        created_at: r.created_at,
        id: r.id,
    };
    let (first, last) = (page.first().map(key), page.last().map(key));
    let newer_count = match first {
        Some(k) => stored::count_newer(db, filter, &k).await?,
        None => 0,
    };
    let older_exists = match position {
        Position::After(_) => last.is_some() && newer_count + (page.len() as i64) < total,
        _ => more,
    };
    let now = clock.now();
    Ok(StaffRequestList {
        older: older_exists
            .then(|| last.map(|k| format!("before={}", k.encode())))
            .flatten(),
        newer: (newer_count > 0)
            .then(|| first.map(|k| format!("after={}", k.encode())))
            .flatten(),
        first: if page.is_empty() { 0 } else { newer_count + 1 },
        total,
        counts,
        agents,
        own: member.role == StaffRole::Support,
        problem: None,
        requests: page
            .into_iter()
            .map(|r| {
                let agent_name = r.agent_name.clone();
                StaffRequestView {
                    request: requests::view(r, now),
                    agent_name,
                }
            })
            .collect(),
    })
}
