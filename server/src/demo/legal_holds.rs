//! The demo's legal holds, through the same use cases security admins use, so the public
//! transparency page, the owners' overview and Alice's notices page show what real ones
//! look like: one on Alice's mailbox, sealed seven weeks ago and released since, and one on
//! Dana's, sealed three days ago and still held back.

use super::demo_id;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::domain::legal_hold::format_date;
use crate::services::{break_glass, legal_holds};
use app::model::{EmergencyAct, EmergencyForm, StaffId};
use time::{Duration, OffsetDateTime};

/// One held emergency access: Inês opens it at `at` for Priya, Morgan approves it five
/// minutes later, and Inês ends it after an hour.
async fn held_access(
    db: &Db,
    settings: &Settings,
    mailbox: &str,
    reference: &str,
    at: OffsetDateTime,
    release_after: Duration,
) -> anyhow::Result<()> {
    let (priya, morgan, ines) = (
        StaffId(demo_id(1002)),
        StaffId(demo_id(1004)),
        StaffId(demo_id(1005)),
    );
    let clock = Clock::fixed(at);
    let form = EmergencyForm {
        mailbox: mailbox.into(),
        agent: Some(priya.to_string()),
        scopes: vec!["metadata".into(), "content".into()],
        justification_code: "legal_request".into(),
        justification_text: "A court order to preserve and read this mailbox's messages of one week; the order forbids telling its owner until the date below.".into(),
        reference: reference.into(),
        duration_minutes: Some(120),
        notice_release_on: Some(format_date((at + release_after).date())),
        form_key: None,
    };
    let fail = |what: &'static str| move |e| anyhow::anyhow!("{what} a demo legal hold: {e}");
    let opened = break_glass::open(db, &clock, settings, ines, &form)
        .await
        .map_err(fail("open"))?;
    clock.advance(Duration::minutes(5));
    break_glass::act(
        db,
        &clock,
        settings,
        morgan,
        opened.id,
        EmergencyAct::Approve,
        // The seeded approval stands for one Morgan confirmed with a passkey just then.
        Some(clock.now()),
    )
    .await
    .map_err(fail("approve"))?;
    clock.advance(Duration::hours(1));
    let end = EmergencyAct::End {
        reason: "The messages the order names were copied.".into(),
    };
    break_glass::act(db, &clock, settings, ines, opened.id, end, None)
        .await
        .map_err(fail("end"))?;
    Ok(())
}

/// Both demo holds, then the release of the one whose date has passed.
pub(super) async fn seed_legal_holds(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let alice = now - Duration::days(49);
    held_access(
        db,
        settings,
        super::MARKER_MAILBOX,
        "ORDER-2026-0913",
        alice,
        Duration::days(30),
    )
    .await?;
    let dana = now - Duration::days(3);
    held_access(
        db,
        settings,
        "dana@example.org",
        "ORDER-2026-1187",
        dana,
        Duration::days(60),
    )
    .await?;
    legal_holds::release_due(db, clock, settings, 10).await?;
    Ok(())
}
