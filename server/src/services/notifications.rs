//! Which email each change causes, queued inside the transaction that makes the change (a
//! rollback takes the email with it; a commit guarantees it is sent). Also the two notice
//! jobs that are not caused by a request transition: the first access under a grant (found
//! after the fact, so the check path never waits for email) and the owners' daily digests.
//!
//! Who hears what: the owner on a new request (always at once, with a link to decide), on
//! the first access under a grant (unless they chose the digest or no access emails), when
//! a grant ends and when they revoke one (with what was accessed); the agent on approval,
//! denial and expiry.

use super::error::ServiceError;
use super::link_tokens::{self, Purpose};
use crate::config::Settings;
use crate::db::legal_holds::{self, HoldRow, NewHoldChange};
use crate::db::notices::{self, AccessNotices};
use crate::db::notices::{AccessCount, DigestLine};
use crate::db::outbox;
use crate::db::owner_alerts;
use crate::db::requests::{self, RequestRecord};
use crate::db::{Db, Tx};
use crate::domain::access_request::Change;
use crate::domain::clock::Clock;
use crate::email::messages::access::{self, AccessLine, DigestEntry};
use crate::email::messages::changes;
use crate::email::messages::render::render_text;
use crate::email::messages::requests as request_emails;
use crate::email::messages::{Addressee, Notice, RequestFacts};
use anyhow::Context as _;
use app::model::{AccessRequestStatus as Status, ChangeActor, OwnerId, RequestId, Scope, StaffId};
use glassbox_log::sealed::{commitment, NONCE_LEN};
use time::{Duration, OffsetDateTime};

/// The right-hand side of Message-IDs: the host of `PUBLIC_URL`.
pub fn message_domain(settings: &Settings) -> String {
    settings.public_url.host().to_string()
}

pub(super) fn url(settings: &Settings, path: &str) -> String {
    settings.public_url.join(path)
}

pub(super) fn addressee(name: &str, email: &str) -> Addressee {
    Addressee {
        name: name.to_string(),
        email: email.to_string(),
    }
}

/// What a request's emails say about it.
pub(super) fn request_facts(r: &RequestRecord) -> RequestFacts {
    RequestFacts {
        mailbox: r.mailbox.clone(),
        agent_pseudonym: r.agent_pseudonym.clone(),
        agent_role: r.agent_role,
        scopes: r.scopes.clone(),
        asked_scopes: r.asked_scopes.clone(),
        justification_code: r.justification_code,
        justification_text: r.justification_text.clone(),
        ticket: r.ticket.clone(),
        duration_minutes: r.duration_minutes,
        granted_minutes: r.granted_minutes,
        expires_at: r.expires_at,
        grant_ends_at: r.grant_ends_at,
        decision_reason: r.decision_reason.clone(),
        break_glass: r.break_glass,
    }
}

/// A scope in plain words. One recorded before a scope was retired still shows, by its
/// stored name, rather than failing the email about it.
fn scope_words(stored: &str) -> String {
    stored
        .parse::<Scope>()
        .map(|s| s.plain_words().to_string())
        .unwrap_or_else(|_| stored.to_string())
}

fn access_line(a: &AccessCount) -> AccessLine {
    AccessLine {
        action: a.action.replace('_', " "),
        scope: scope_words(&a.scope),
        count: a.count,
        first_at: a.first_at,
    }
}

fn access_lines(summary: &[AccessCount]) -> Vec<AccessLine> {
    summary.iter().map(access_line).collect()
}

fn digest_entry(l: &DigestLine) -> DigestEntry {
    DigestEntry {
        mailbox: l.mailbox.clone(),
        agent_pseudonym: l.agent_pseudonym.clone(),
        scope: scope_words(&l.scope),
        count: l.count,
    }
}

pub(super) async fn queue(
    tx: &mut Tx,
    settings: &Settings,
    notice: Notice,
    key: String,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let row = notice.into_outbox(key, &message_domain(settings), now);
    outbox::enqueue(tx, &row)
        .await
        .context("could not queue an email")?;
    Ok(())
}

/// A new request: the owner gets the request in plain words and a link to decide. The
/// link's token expires with the request.
pub async fn request_submitted(
    tx: &mut Tx,
    settings: &Settings,
    r: &RequestRecord,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let c = notices::contacts(tx, r.id)
        .await?
        .context("the request has no owner")?;
    let token = link_tokens::issue(
        tx,
        settings,
        Purpose::DecideRequest,
        c.owner_id,
        Some(r.id),
        r.expires_at,
        now,
    )
    .await?;
    let notice = request_emails::request_submitted(
        &addressee(&c.owner_name, &c.owner_email),
        &request_facts(r),
        url(settings, &format!("/email/requests/{token}")),
        url(settings, &format!("/me/report?request={}", r.id)),
    );
    queue(tx, settings, notice, r.id.to_string(), now).await
}

/// A transition made by `by`: the email it causes, if any.
pub async fn request_changed(
    tx: &mut Tx,
    settings: &Settings,
    r: &RequestRecord,
    change: &Change,
    by: ChangeActor,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    if change.from == change.to {
        return grant_changed(tx, settings, r, change, now).await;
    }
    if matches!(change.to, Status::Revoked | Status::Ended) {
        // The closing email summarises every access: no separate first-access email after it.
        notices::mark_first_access_noticed(tx, r.id, now).await?;
    }
    let c = notices::contacts(tx, r.id)
        .await?
        .context("the request has no owner")?;
    let console = url(settings, "/staff");
    let page = url(settings, &format!("/me/requests/{}", r.id));
    let (agent, owner, facts) = (
        addressee(&c.agent_name, &c.agent_email),
        addressee(&c.owner_name, &c.owner_email),
        request_facts(r),
    );
    // An emergency access that never started (expired, cancelled) was never the owner's to
    // know of or decide; its admins see it on their page. Approved and refused: below.
    if r.break_glass && matches!(change.to, Status::Expired | Status::Cancelled) {
        return Ok(());
    }
    // Under a legal hold the owner hears nothing until the release date: the notice they
    // would have had is sealed when the access starts; the agent still hears the outcome.
    let hold = match r.break_glass {
        true => unreleased_hold(tx, r.id).await?,
        false => None,
    };
    if r.break_glass && matches!(change.to, Status::Approved | Status::Denied) {
        return emergency_decided(tx, settings, r, change, (&agent, &owner), &facts, hold, now)
            .await;
    }
    if hold.is_some() {
        return Ok(());
    }
    // The owner hears of changes they did not make themselves when they chose to hear about
    // accesses at once (the revoke and end summaries always go, below).
    let told = c.access_notices == AccessNotices::Immediate;
    match change.to {
        Status::Expired if told => {
            let n = changes::request_expired(&owner, &facts, page.clone());
            queue(tx, settings, n, r.id.to_string(), now).await?;
        }
        Status::Cancelled if told && by != ChangeActor::Owner => {
            let n = changes::request_withdrawn(&owner, &facts, by, page);
            return queue(tx, settings, n, r.id.to_string(), now).await;
        }
        _ => {}
    }
    let notice = match change.to {
        Status::Approved => request_emails::request_approved(&agent, &facts, console),
        Status::Denied => request_emails::request_denied(&agent, &facts, console),
        Status::Expired => request_emails::request_expired(&agent, &facts, console),
        Status::Revoked => {
            let summary = access_lines(&notices::access_summary(tx, r.id).await?);
            access::grant_revoked(&owner, &facts, by, &summary, page)
        }
        Status::Ended => {
            let summary = access_lines(&notices::access_summary(tx, r.id).await?);
            access::grant_ended(&owner, &facts, &summary, page)
        }
        Status::Pending | Status::Cancelled => return Ok(()),
    };
    queue(tx, settings, notice, r.id.to_string(), now).await
}

/// An emergency access decided by its second security admin: the staff member who will use
/// it hears the outcome; on an approval the owner is told at once, whatever they chose for
/// other accesses (an access they were not asked for is never only in a digest), or, under
/// a legal hold, that notice is sealed until its release date.
#[allow(clippy::too_many_arguments)]
async fn emergency_decided(
    tx: &mut Tx,
    settings: &Settings,
    r: &RequestRecord,
    change: &Change,
    (agent, owner): (&Addressee, &Addressee),
    facts: &RequestFacts,
    hold: Option<HoldRow>,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let approved = change.to == Status::Approved;
    let n =
        request_emails::emergency_access_decided(agent, facts, approved, url(settings, "/staff"));
    queue(tx, settings, n, r.id.to_string(), now).await?;
    if approved {
        let n = request_emails::emergency_access_opened(
            owner,
            facts,
            url(settings, &format!("/me/requests/{}", r.id)),
            url(settings, &format!("/me/report?request={}", r.id)),
        );
        match hold {
            Some(hold) => {
                let approver = r
                    .approved_by
                    .or(change.approved_by)
                    .context("an approved emergency access names no second admin")?;
                seal_notice(tx, &hold, &n, (r.opened_by, approver), now).await?;
            }
            None => queue(tx, settings, n, r.id.to_string(), now).await?,
        }
    }
    Ok(())
}

/// The hold on request `id` whose notice is not released yet, if any.
async fn unreleased_hold(tx: &mut Tx, id: RequestId) -> anyhow::Result<Option<HoldRow>> {
    Ok(legal_holds::of_request(&mut *tx, id)
        .await?
        .filter(|h| h.released_at.is_none()))
}

/// Seals `notice` (the one the owner would have had at once) under `hold`, inside the
/// transaction that starts the access: its text is kept, and the commitment to it and its
/// release date is written as a step the log writer enters into the log.
async fn seal_notice(
    tx: &mut Tx,
    hold: &HoldRow,
    notice: &Notice,
    (opener, approver): (Option<StaffId>, StaffId),
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let body = render_text(&notice.body);
    let mut nonce = [0u8; NONCE_LEN];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    let c = commitment(&notice.subject, &body, &hold.release_on, &nonce);
    let sealed = legal_holds::seal(tx, hold.id, (&notice.subject, &body), &nonce, &c, now).await?;
    anyhow::ensure!(
        sealed,
        "the legal hold {} was sealed or released already",
        hold.id
    );
    legal_holds::insert_change(
        tx,
        &NewHoldChange {
            id: uuid::Uuid::now_v7(),
            occurred_at: now,
            hold_id: hold.id,
            change: "sealed",
            reason: hold.reason.clone(),
            release_on: hold.release_on.clone(),
            commitment: c,
            by_staff_id: opener,
            second_staff_id: Some(approver),
        },
    )
    .await?;
    tracing::warn!(legal_hold.id = %hold.id, release_on = %hold.release_on, "owner's notice sealed under a legal hold");
    Ok(())
}

/// A live grant whose end moved (the owner shortened it): the agent is told the new end,
/// and the owner too when they hear about accesses at once. Each new end is its own email.
async fn grant_changed(
    tx: &mut Tx,
    settings: &Settings,
    r: &RequestRecord,
    change: &Change,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let Some(end) = change
        .grant_ends_at
        .filter(|_| change.to == Status::Approved)
    else {
        return Ok(());
    };
    let c = notices::contacts(tx, r.id)
        .await?
        .context("the request has no owner")?;
    let facts = request_facts(r);
    let key = format!("{}:{}", r.id, end.unix_timestamp());
    let agent = changes::grant_shortened_for_agent(
        &addressee(&c.agent_name, &c.agent_email),
        &facts,
        url(settings, "/staff"),
    );
    queue(tx, settings, agent, key.clone(), now).await?;
    if c.access_notices == AccessNotices::Immediate {
        let page = url(settings, &format!("/me/requests/{}", r.id));
        let owner =
            changes::grant_shortened(&addressee(&c.owner_name, &c.owner_email), &facts, page);
        queue(tx, settings, owner, key, now).await?;
        // This email says when access ends: a shortening to within the warning's lead
        // needs no "ends in 10 minutes" after it.
        if end - now <= crate::domain::owner_alerts::END_WARNING_LEAD {
            owner_alerts::mark_end_warned(tx, r.id, end).await?;
        }
    }
    Ok(())
}

/// How the owner hears about accesses.
pub async fn access_notices(db: &Db, owner: OwnerId) -> Result<AccessNotices, ServiceError> {
    notices::access_notices(db, owner)
        .await?
        .ok_or(ServiceError::NotFound("owner"))
}

/// Changes how the owner hears about accesses. Choosing the digest starts it now, so it
/// never repeats what was already emailed one by one.
#[tracing::instrument(skip_all, fields(owner.id = %owner.0))]
pub async fn set_access_notices(
    db: &Db,
    clock: &Clock,
    owner: OwnerId,
    choice: AccessNotices,
) -> Result<AccessNotices, ServiceError> {
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    if !notices::set_access_notices(&mut tx, owner, choice, now).await? {
        return Err(ServiceError::NotFound("owner"));
    }
    tx.commit().await?;
    tracing::info!(notices = choice.as_str(), "access notice choice changed");
    Ok(choice)
}

/// Tells owners about the first access under each grant that has had one, at most `limit`
/// grants per call. Each grant is marked and its email queued in one transaction; owners on
/// the digest (or with access emails off) are marked without an email. Returns how many
/// grants were handled.
pub async fn send_first_access_notices(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    limit: i64,
) -> anyhow::Result<usize> {
    let now = crate::db::ts(clock.now());
    let due = notices::grants_awaiting_first_access_notice(db, limit).await?;
    let mut handled = 0;
    for id in due {
        let mut tx = db.begin().await?;
        if !notices::mark_first_access_noticed(&mut tx, id, now).await? {
            continue; // another instance got there first
        }
        let (Some(r), Some(c)) = (
            requests::get(&mut tx, id).await?,
            notices::contacts(&mut tx, id).await?,
        ) else {
            continue;
        };
        let summary = notices::access_summary(&mut tx, id).await?;
        if let (AccessNotices::Immediate, Some(first)) =
            (c.access_notices, summary.iter().min_by_key(|a| a.first_at))
        {
            let history = url(settings, &format!("/me/requests/{}", r.id));
            let notice = access::first_access(
                &addressee(&c.owner_name, &c.owner_email),
                &request_facts(&r),
                &access_line(first),
                history,
                url(settings, &format!("/me/report?request={}", r.id)),
            );
            queue(&mut tx, settings, notice, r.id.to_string(), now).await?;
        }
        tx.commit().await?;
        handled += 1;
    }
    if handled > 0 {
        tracing::info!(grants = handled, "first-access notices written");
    }
    Ok(handled)
}

/// Queues the daily digest of every owner on it whose last one is a day old, listing the
/// accesses since (nothing is sent for a day without accesses, but the day is still
/// closed). Returns how many digests were queued.
pub async fn send_due_digests(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    limit: i64,
) -> anyhow::Result<usize> {
    let now = crate::db::ts(clock.now());
    let owners = notices::owners_due_for_digest(db, now - Duration::days(1), limit).await?;
    let mut queued = 0;
    for o in owners {
        let owner = OwnerId(o.id);
        let mut tx = db.begin().await?;
        if !notices::advance_digest(&mut tx, owner, o.digest_sent_through, now).await? {
            continue;
        }
        let lines = notices::accesses_between(&mut tx, owner, o.digest_sent_through, now).await?;
        if !lines.is_empty() {
            let token = link_tokens::issue(
                &mut tx,
                settings,
                Purpose::UnsubscribeDigest,
                owner,
                None,
                link_tokens::unsubscribe_expiry(now),
                now,
            )
            .await?;
            let notice = access::access_digest(
                &addressee(&o.display_name, &o.email),
                &lines.iter().map(digest_entry).collect::<Vec<_>>(),
                url(settings, "/me/history"),
                url(settings, &format!("/email/unsubscribe/{token}")),
            );
            let key = format!("{}:{}", o.id, now.unix_timestamp());
            queue(&mut tx, settings, notice, key, now).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_use_the_host_of_the_public_url() {
        let mut s = Settings {
            public_url: "https://glassbox.example.org:8443/base".parse().unwrap(),
            ..Settings::default()
        };
        assert_eq!(message_domain(&s), "glassbox.example.org");
        s.public_url = "http://127.0.0.1:3000".parse().unwrap();
        assert_eq!(message_domain(&s), "127.0.0.1");
    }
}
