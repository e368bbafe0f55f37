//! The owner's alerts no request transition causes, found on an interval (`jobs::notices`):
//! "this access ends in 10 minutes", and "access attempts were refused" — a probe with a
//! stolen staff credential looks like that — sent once per burst of refusals, never once
//! per refusal. Both go only to owners who chose to hear about accesses at once (refusals
//! also to those on the daily summary: a refusal is a warning, not a summary line). Each
//! alert's marker and email are written in one transaction.

use super::notifications::{addressee, queue, request_facts, url};
use crate::config::Settings;
use crate::db::notices;
use crate::db::owner_alerts;
use crate::db::requests;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::domain::owner_alerts::{burst_is_due, END_WARNING_LEAD, REFUSALS_RECENT};
use crate::email::messages::changes::{self, RefusedAttempts};
use app::model::AccessNotices;

/// Warns owners of grants that end within [`END_WARNING_LEAD`], at most `limit` per call;
/// returns how many grants were handled.
pub async fn send_grant_ending_warnings(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    limit: i64,
) -> anyhow::Result<usize> {
    let now = crate::db::ts(clock.now());
    let due = owner_alerts::grants_ending_soon(
        db,
        now,
        now + END_WARNING_LEAD,
        END_WARNING_LEAD.whole_minutes(),
        limit,
    )
    .await?;
    let mut handled = 0;
    for id in due {
        let mut tx = db.begin().await?;
        let (Some(r), Some(c)) = (
            requests::get(&mut tx, id).await?,
            notices::contacts(&mut tx, id).await?,
        ) else {
            continue;
        };
        let Some(end) = r.grant_ends_at else { continue };
        if !owner_alerts::mark_end_warned(&mut tx, id, end).await? {
            continue; // another instance warned, or the grant changed meanwhile
        }
        if c.access_notices == AccessNotices::Immediate {
            let minutes = ((end - now).whole_seconds() + 59) / 60;
            let page = url(settings, &format!("/me/requests/{}", r.id));
            let notice = changes::grant_ending_soon(
                &addressee(&c.owner_name, &c.owner_email),
                &request_facts(&r),
                minutes,
                page,
            );
            queue(
                &mut tx,
                settings,
                notice,
                format!("{}:{}", r.id, end.unix_timestamp()),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        handled += 1;
    }
    if handled > 0 {
        tracing::info!(grants = handled, "grant-ending warnings written");
    }
    Ok(handled)
}

/// Alerts owners of refused access attempts whose burst is over (or has lasted
/// the longest wait of `domain::owner_alerts`), one email per burst; at most `limit` owners per call.
/// Returns how many alerts were written.
pub async fn send_refusal_alerts(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    limit: i64,
) -> anyhow::Result<usize> {
    let now = crate::db::ts(clock.now());
    let bursts = owner_alerts::refusal_bursts(db, now - REFUSALS_RECENT, limit).await?;
    let mut sent = 0;
    for burst in bursts
        .into_iter()
        .filter(|b| burst_is_due(b.first_at, b.last_at, now))
    {
        let mut tx = db.begin().await?;
        if !owner_alerts::advance_refusals(
            &mut tx,
            burst.owner,
            burst.after_seq,
            burst.through_seq,
            now,
        )
        .await?
        {
            continue; // another instance alerted this burst
        }
        let Some(owner) = owner_alerts::owner_contact(&mut tx, burst.owner).await? else {
            continue;
        };
        if owner.access_notices != AccessNotices::Off {
            let lines = owner_alerts::refused_between(
                &mut tx,
                burst.owner,
                burst.after_seq,
                burst.through_seq,
            )
            .await?;
            let attempts: Vec<RefusedAttempts> = lines
                .into_iter()
                .map(|l| RefusedAttempts {
                    mailbox: l.mailbox,
                    agent_pseudonym: l.agent_pseudonym,
                    reason: l.reason,
                    count: l.count,
                })
                .collect();
            let password = &settings.incidents.password_url;
            let notice = changes::access_refused(
                &addressee(&owner.name, &owner.email),
                &attempts,
                burst.first_at,
                burst.last_at,
                url(settings, "/me/history?decision=denied"),
                (!password.is_empty()).then(|| password.clone()),
            );
            let key = format!("{}:{}", burst.owner.0, burst.through_seq);
            queue(&mut tx, settings, notice, key, now).await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    if sent > 0 {
        tracing::info!(owners = sent, "refused-access alerts written");
    }
    Ok(sent)
}
