//! Legal holds: the owner's notice of an emergency access for a legal request, deferred
//! (never dropped) until the date the order allows.
//!
//! - **Asked for** by the admin who opens the emergency access (`break_glass::open`) and
//!   approved with it by the second admin.
//! - **Sealed** when the access starts (`notifications`, which writes the notice the owner
//!   would otherwise have had at once): written in full, and a commitment to it and its
//!   release date (`glassbox_log::sealed`) enters the verifiable log as an entry of its own
//!   kind, in the same transaction.
//! - **Hidden** until then: every owner-facing query leaves the request and what was done
//!   under it out (`db::legal_holds::not_held`), and no email about it reaches the owner.
//! - **Released** on its date by [`release_due`]: the notice is emailed and shown, word for
//!   word, with what the owner needs to recompute the commitment; the release is logged.
//! - **Extended** only by two admins ([`act`]): one asks, a second approves; each
//!   extension is a new commitment in the log.
//!
//! The rules (which requests, which dates, four eyes) are `domain::legal_hold`'s.

use super::error::ServiceError;
use super::notifications::{addressee, queue, url};
use super::roles::security_admin;
use crate::config::Settings;
use crate::db::legal_holds::{self, ExtensionRow, HoldChangeRow, HoldRow, NewHoldChange};
use crate::db::{notices, Db};
use crate::domain::clock::Clock;
use crate::domain::legal_hold::{self, HoldError};
use crate::email::messages::requests::{self as request_emails, SealedNotice};
use crate::transparency::entries::logged_notice;
use anyhow::Context as _;
use app::model::{
    ExtensionView, HeldNoticeCounts, HeldNoticeMonth, HoldState, HoldView, JustificationCode,
    NoticeStep, OwnerId, ReleasedNotice, RequestId, StaffId,
};
use glassbox_log::sealed::{commitment, hex, NONCE_LEN};
use std::collections::BTreeMap;
use time::Date;

impl From<HoldError> for ServiceError {
    fn from(e: HoldError) -> Self {
        match e {
            HoldError::SecondAdminNeeded => ServiceError::Refused(e.to_string()),
            other => ServiceError::Invalid(other.to_string()),
        }
    }
}

/// Today's date, UTC: release dates are calendar dates in UTC.
pub fn today(clock: &Clock) -> Date {
    clock.now().to_offset(time::UtcOffset::UTC).date()
}

/// Releases every hold due today or earlier, at most `limit`: each in its own transaction,
/// marked once (a second instance finds it done). A sealed notice is emailed to the owner
/// and its release logged; a hold whose access was refused, cancelled or expired is lifted (the
/// request then shows in the owner's pages, as any refused emergency access does).
pub async fn release_due(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    limit: i64,
) -> anyhow::Result<usize> {
    let today = legal_hold::format_date(today(clock));
    let mut released = 0;
    let due = {
        let mut tx = db.begin().await?;
        let rows = legal_holds::due(&mut tx, &today, limit).await?;
        tx.rollback().await?;
        rows
    };
    for hold in due {
        let now = crate::db::ts(clock.now());
        let mut tx = db.begin().await?;
        if !legal_holds::release(&mut tx, hold.id, now).await? {
            tx.rollback().await?;
            continue;
        }
        if let (Some(subject), Some(body), Some(c), Some(sealed_at)) = (
            hold.subject.clone(),
            hold.body.clone(),
            hold.commitment.clone(),
            hold.sealed_at,
        ) {
            let c: glassbox_log::Hash = c
                .try_into()
                .map_err(|_| anyhow::anyhow!("legal hold {} has a damaged commitment", hold.id))?;
            legal_holds::insert_change(
                &mut tx,
                &NewHoldChange {
                    id: uuid::Uuid::now_v7(),
                    occurred_at: now,
                    hold_id: hold.id,
                    change: "released",
                    reason: hold.reason.clone(),
                    release_on: hold.release_on.clone(),
                    commitment: c,
                    by_staff_id: None,
                    second_staff_id: None,
                },
            )
            .await?;
            let request = RequestId(hold.request_id);
            let contacts = notices::contacts(&mut tx, request)
                .await?
                .context("the held request has no owner")?;
            let notice = request_emails::sealed_notice_released(
                &addressee(&contacts.owner_name, &contacts.owner_email),
                &SealedNotice {
                    subject,
                    body,
                    sealed_at,
                    release_on: hold.release_on.clone(),
                    commitment: hex(&c),
                },
                url(settings, "/me/notices"),
            );
            queue(&mut tx, settings, notice, hold.id.to_string(), now).await?;
            // The release carries what was done: no stale "first access" email after it.
            notices::mark_first_access_noticed(&mut tx, request, now).await?;
        }
        tx.commit().await?;
        released += 1;
        tracing::warn!(legal_hold.id = %hold.id, "legal hold released: the owner's notice is sent and shown");
    }
    Ok(released)
}

/// Counts of deferred notices per month (of sealing) and reason, newest month first:
/// what the public page and every owner's overview show. Never whose, never what.
pub async fn counts(db: &Db) -> Result<HeldNoticeCounts, ServiceError> {
    let mut months: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for (sealed_at, reason, still) in legal_holds::sealed_summary(db).await? {
        let at = sealed_at.to_offset(time::UtcOffset::UTC);
        let month = format!("{:04}-{:02}", at.year(), u8::from(at.month()));
        let entry = months.entry((month, reason)).or_default();
        entry.0 += 1;
        entry.1 += i64::from(still);
    }
    let mut rows = months
        .into_iter()
        .map(|((month, reason), (deferred, still_sealed))| {
            Ok(HeldNoticeMonth {
                month,
                reason: reason
                    .parse::<JustificationCode>()
                    .map_err(|e| anyhow::anyhow!("a legal hold's reason: {e}"))?,
                deferred,
                still_sealed,
            })
        })
        .collect::<Result<Vec<_>, anyhow::Error>>()?;
    rows.reverse();
    Ok(HeldNoticeCounts { months: rows })
}

fn step(row: &HoldChangeRow) -> NoticeStep {
    NoticeStep {
        change: row.change.clone(),
        occurred_at: row.occurred_at,
        release_on: row.release_on.clone(),
        commitment: hex(&row.commitment),
        log_index: row.log_index.map(|i| i as u64),
        entry: logged_notice(row).map(|e| glassbox_log::b64(&e.encode())),
    }
}

/// The owner's released notices, newest release first, each with its steps in the log.
pub async fn released_for_owner(
    db: &Db,
    owner: OwnerId,
) -> Result<Vec<ReleasedNotice>, ServiceError> {
    let mut out = Vec::new();
    for hold in legal_holds::released_for_owner(db, owner).await? {
        let request = crate::db::requests::get(db, RequestId(hold.request_id))
            .await?
            .ok_or(ServiceError::NotFound("request"))?;
        let steps = legal_holds::changes_of(db, hold.id).await?;
        let (Some(subject), Some(body), Some(nonce), Some(sealed_at), Some(released_at)) = (
            hold.subject,
            hold.body,
            hold.nonce,
            hold.sealed_at,
            hold.released_at,
        ) else {
            continue;
        };
        out.push(ReleasedNotice {
            request: request.id,
            mailbox: request.mailbox,
            reason: request.justification_code,
            subject,
            body,
            release_on: hold.release_on,
            nonce: hex(&nonce),
            sealed_at,
            released_at,
            steps: steps.iter().map(step).collect(),
        });
    }
    Ok(out)
}

/// What the security admins' page shows of the hold on each emergency access it lists.
pub(super) async fn views(
    db: &Db,
    admin: StaffId,
    today: Date,
    name: &impl Fn(StaffId) -> String,
) -> Result<BTreeMap<RequestId, HoldView>, ServiceError> {
    let mut out = BTreeMap::new();
    for hold in legal_holds::newest(db, 200).await? {
        let state = match (hold.sealed_at, hold.released_at) {
            (_, Some(_)) => HoldState::Released,
            (Some(_), None) => HoldState::Sealed,
            (None, None) => HoldState::Waiting,
        };
        let extension = match state {
            HoldState::Sealed => legal_holds::waiting_extension(db, hold.id).await?,
            _ => None,
        };
        let due = legal_hold::parse_date(&hold.release_on)
            .map(|d| legal_hold::is_due(d, today))
            .unwrap_or(true);
        let may_extend = state == HoldState::Sealed && extension.is_none() && !due;
        out.insert(
            RequestId(hold.request_id),
            HoldView {
                release_on: hold.release_on.clone(),
                state,
                commitment: hold.commitment.as_ref().map(|c| hex(c)),
                released_at: hold.released_at,
                extension: extension.map(|e| ExtensionView {
                    may_decide: e.proposed_by != admin.0 && !due,
                    proposed_by: name(StaffId(e.proposed_by)),
                    release_on: e.release_on,
                    reason: e.reason,
                    proposed_at: e.proposed_at,
                }),
                may_extend,
            },
        );
    }
    Ok(out)
}

/// The sealed, unreleased hold on emergency access `id`, or why it cannot be extended.
async fn extendable(db: &Db, id: RequestId, today: Date) -> Result<(HoldRow, Date), ServiceError> {
    let hold = legal_holds::of_request(db, id).await?.ok_or_else(|| {
        ServiceError::Conflict("This emergency access holds no notice back.".into())
    })?;
    if hold.released_at.is_some() {
        return Err(ServiceError::Conflict(
            "This notice was released already; a released notice cannot be held back again.".into(),
        ));
    }
    if hold.sealed_at.is_none() {
        return Err(ServiceError::Conflict(
            "Nothing is sealed yet: the access has not started. A hold is extended once its notice is sealed.".into(),
        ));
    }
    let current = legal_hold::parse_date(&hold.release_on)
        .map_err(|_| anyhow::anyhow!("legal hold {} has a damaged release date", hold.id))?;
    if legal_hold::is_due(current, today) {
        return Err(ServiceError::Conflict(format!(
            "This notice is due on {} and is being released; it can no longer be extended.",
            hold.release_on
        )));
    }
    Ok((hold, current))
}

/// A security admin asks for a later release date of the sealed notice of emergency
/// access `id`; a second admin must approve it.
#[tracing::instrument(skip_all, fields(staff.id = %admin, request.id = %id))]
pub async fn ask_extension(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    admin: StaffId,
    id: RequestId,
    (release_on, reason): (&str, &str),
) -> Result<(), ServiceError> {
    security_admin(db, admin).await?;
    let today = today(clock);
    let (hold, current) = extendable(db, id, today).await?;
    let (date, reason) = legal_hold::parse_extension(
        current,
        release_on,
        reason,
        today,
        settings.requests.legal_hold_max_days,
    )?;
    let mut tx = db.begin().await?;
    let asked = legal_holds::propose_extension(
        &mut tx,
        &ExtensionRow {
            id: uuid::Uuid::now_v7(),
            hold_id: hold.id,
            proposed_by: admin.0,
            proposed_at: crate::db::ts(clock.now()),
            release_on: legal_hold::format_date(date),
            reason,
            decided_by: None,
            decided_at: None,
            approved: None,
        },
    )
    .await?;
    if !asked {
        tx.rollback().await?;
        return Err(ServiceError::Conflict(
            "An extension of this hold already waits for a second admin: approve or refuse it first.".into(),
        ));
    }
    tx.commit().await?;
    tracing::warn!(legal_hold.id = %hold.id, release_on = %legal_hold::format_date(date), "legal hold extension asked for: it waits for a second admin");
    Ok(())
}

/// A second security admin approves or refuses the extension waiting on emergency access
/// `id`. An approval moves the release date and enters the new commitment into the log.
#[tracing::instrument(skip_all, fields(staff.id = %admin, request.id = %id))]
pub async fn decide_extension(
    db: &Db,
    clock: &Clock,
    admin: StaffId,
    id: RequestId,
    approve: bool,
) -> Result<(), ServiceError> {
    security_admin(db, admin).await?;
    let (hold, _) = extendable(db, id, today(clock)).await?;
    let waiting = legal_holds::waiting_extension(db, hold.id)
        .await?
        .ok_or_else(|| {
            ServiceError::Conflict("No extension of this hold waits for a decision.".into())
        })?;
    legal_hold::may_decide_extension(StaffId(waiting.proposed_by), admin)?;
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    if !legal_holds::decide_extension(&mut tx, waiting.id, admin, approve, now).await? {
        tx.rollback().await?;
        return Err(ServiceError::Conflict(
            "Another admin decided this extension first.".into(),
        ));
    }
    if approve {
        let (Some(subject), Some(body), Some(nonce)) = (&hold.subject, &hold.body, &hold.nonce)
        else {
            return Err(anyhow::anyhow!("sealed legal hold {} lacks its notice", hold.id).into());
        };
        let nonce: [u8; NONCE_LEN] = nonce
            .clone()
            .try_into()
            .map_err(|_| anyhow::anyhow!("legal hold {} has a damaged nonce", hold.id))?;
        let c = commitment(subject, body, &waiting.release_on, &nonce);
        if !legal_holds::move_release(&mut tx, hold.id, &hold.release_on, &waiting.release_on, &c)
            .await?
        {
            tx.rollback().await?;
            return Err(ServiceError::Conflict(
                "The hold changed meanwhile: reload the page.".into(),
            ));
        }
        legal_holds::insert_change(
            &mut tx,
            &NewHoldChange {
                id: uuid::Uuid::now_v7(),
                occurred_at: now,
                hold_id: hold.id,
                change: "extended",
                reason: hold.reason.clone(),
                release_on: waiting.release_on.clone(),
                commitment: c,
                by_staff_id: Some(StaffId(waiting.proposed_by)),
                second_staff_id: Some(admin),
            },
        )
        .await?;
    }
    tx.commit().await?;
    tracing::warn!(legal_hold.id = %hold.id, approved = approve, release_on = %waiting.release_on, "legal hold extension decided");
    Ok(())
}
