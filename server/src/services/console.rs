//! The staff console: a support agent sees their own requests, a security admin everyone's
//! (filtered, searched, a page at a time) and the emails that could not be delivered.

use super::error::ServiceError;
use super::requests;
use crate::db::request_list::{self, ListKey, ListKeyset, RequestQuery};
use crate::db::{outbox, staff, Db};
use crate::domain::clock::Clock;
use anyhow::Context as _;
use app::model::{
    parse_day, FailedEmailView, RequestKey, RequestListCursor, RequestListFilter, RequestListPage,
    StaffHome, StaffId, StaffRequestView, StaffRole,
};
use time::{Duration, OffsetDateTime, Time};

/// How many requests one page of the staff console lists.
pub const PAGE_SIZE: i64 = 50;
/// How many undelivered emails a security admin sees.
const FAILED_EMAILS: i64 = 20;

/// The console of `staff_id` (`Unauthorized` for a disabled or unknown account).
pub async fn staff_home(
    db: &Db,
    clock: &Clock,
    settings: &crate::config::Settings,
    staff_id: StaffId,
) -> Result<StaffHome, ServiceError> {
    let member = signed_in(db, staff_id).await?;
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

async fn signed_in(db: &Db, staff_id: StaffId) -> Result<staff::StaffRow, ServiceError> {
    staff::get_staff(db, staff_id)
        .await?
        .filter(|m| m.disabled_at.is_none())
        .ok_or(ServiceError::Unauthorized)
}

/// The store query for a list filter: whole UTC days, `to` inclusive, limited to the
/// agent's own requests for a support agent (whatever the filter names).
fn query_for(
    member: &staff::StaffRow,
    f: &RequestListFilter,
) -> Result<RequestQuery, ServiceError> {
    let day = |s: &Option<String>| -> Result<Option<OffsetDateTime>, ServiceError> {
        s.as_deref()
            .map(|d| {
                parse_day(d)
                    .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
                    .ok_or_else(|| ServiceError::Invalid("Dates look like 2026-11-29.".into()))
            })
            .transpose()
    };
    let since = day(&f.from)?;
    let until = day(&f.to)?.map(|d| d + Duration::days(1));
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(ServiceError::Invalid(
                "The end date is before the start date: choose an end date on or after it.".into(),
            ));
        }
    }
    Ok(RequestQuery {
        in_view_of: match member.role {
            StaffRole::Support => Some(member.id),
            StaffRole::SecurityAdmin => None,
        },
        status: f.status,
        agent: f.agent,
        mailbox: f.mailbox.clone(),
        since,
        until,
        search: f.q.clone(),
    })
}

fn list_key(k: RequestKey) -> Result<ListKey, ServiceError> {
    Ok(ListKey {
        created_at: OffsetDateTime::from_unix_timestamp(k.created_at).map_err(|_| {
            ServiceError::Invalid(
                "That page link is not valid. Start again from the newest requests.".into(),
            )
        })?,
        id: k.id,
    })
}

/// One page of the requests in `staff_id`'s view that match `filter`, newest first: a
/// support agent's own, or everyone's for a security admin. The counts cover every page.
#[tracing::instrument(skip_all, fields(staff.id = %staff_id))]
pub async fn request_page(
    db: &Db,
    clock: &Clock,
    staff_id: StaffId,
    cursor: Option<RequestListCursor>,
    filter: &RequestListFilter,
) -> Result<RequestListPage, ServiceError> {
    let member = signed_in(db, staff_id).await?;
    let q = query_for(&member, filter)?;
    let now = clock.now();
    let keyset = match cursor {
        None => ListKeyset::Newest,
        Some(RequestListCursor::Before(k)) => ListKeyset::Before(list_key(k)?),
        Some(RequestListCursor::After(k)) => ListKeyset::After(list_key(k)?),
    };
    let (rows, more) = request_list::page(db, &q, keyset, PAGE_SIZE, now).await?;
    let key = |r: &crate::db::requests::RequestRecord| ListKey {
        created_at: r.created_at,
        id: r.id,
    };
    let newest = rows.first().map(key);
    let oldest = rows.last().map(key);
    let cursor_of = |k: ListKey| RequestKey::of(k.created_at, k.id);
    let older = match (keyset, oldest) {
        (ListKeyset::After(_), Some(k)) => request_list::exists_beyond(db, &q, k, false, now)
            .await?
            .then(|| RequestListCursor::Before(cursor_of(k))),
        (_, oldest) => oldest
            .filter(|_| more)
            .map(|k| RequestListCursor::Before(cursor_of(k))),
    };
    let newer = match (keyset, newest) {
        (ListKeyset::Newest, _) | (_, None) => None,
        (ListKeyset::Before(_), Some(k)) => request_list::exists_beyond(db, &q, k, true, now)
            .await?
            .then(|| RequestListCursor::After(cursor_of(k))),
        (ListKeyset::After(_), Some(k)) => more.then(|| RequestListCursor::After(cursor_of(k))),
    };
    let counts = request_list::counts(db, &q, now).await?;
    let agents = match member.role {
        StaffRole::SecurityAdmin => request_list::agents(db).await?,
        StaffRole::Support => Vec::new(),
    };
    Ok(RequestListPage {
        requests: rows
            .into_iter()
            .map(|r| {
                let agent_name = r.agent_name.clone();
                StaffRequestView {
                    request: requests::view(r, now),
                    agent_name,
                }
            })
            .collect(),
        older,
        newer,
        at_newest: matches!(keyset, ListKeyset::Newest),
        total: counts.iter().map(|(_, n)| n).sum(),
        counts,
        agents,
        page_size: PAGE_SIZE,
    })
}
