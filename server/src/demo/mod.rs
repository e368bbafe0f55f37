//! `glassbox demo`: a realistic, deterministic data set — owners, staff, requests in every
//! state, and a few hundred access events spread over six months — written in one
//! transaction, once. Running it again changes nothing.

mod events;
mod incident;
mod legal_holds;
mod people;
mod requests;

use crate::config::Settings;
use crate::db::changes;
use crate::db::events as event_rows;
use crate::db::requests as request_rows;
use crate::db::{owners, staff, Db};
use crate::domain::clock::Clock;
use crate::domain::pseudonym;
use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::SeedableRng;
use secrecy::ExposeSecret;
use uuid::Uuid;

/// The address whose presence means the demo data is already there.
pub const MARKER_MAILBOX: &str = "alice@example.org";

/// What seeding did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The demo data was written.
    Created,
    /// It was already there; nothing changed.
    AlreadyPresent,
}

fn demo_id(n: u128) -> Uuid {
    // A fixed namespace so demo rows are recognisable and stable across runs.
    Uuid::from_u128(0x9a55_b0c5_0000_4000_8000_0000_0000_0000 | n)
}

/// The demo's two legal holds (one released, one still sealed), written by `glassbox demo`
/// after [`seed`] created the data set. Kept apart from [`seed`], which tests share: these
/// add emergency accesses, log entries and emails that most tests do not expect.
pub async fn seed_legal_holds(db: &Db, clock: &Clock, settings: &Settings) -> anyhow::Result<()> {
    legal_holds::seed_legal_holds(db, clock, settings, crate::db::ts(clock.now())).await
}

/// Writes the demo data set unless it is already there.
pub async fn seed(db: &Db, clock: &Clock, settings: &Settings) -> anyhow::Result<SeedOutcome> {
    if owners::find_mailbox(db, MARKER_MAILBOX).await?.is_some() {
        return Ok(SeedOutcome::AlreadyPresent);
    }
    let now = crate::db::ts(clock.now());
    let mut rng = StdRng::seed_from_u64(2019);
    let people = people::owners();
    let team = people::team();
    let agents = people::agents(&team);
    let mut plan = requests::plan_requests(&mut rng, &people, &agents, now);
    events::system_checks(&mut rng, &people, now, &mut plan.events);
    // The log is in time order, as it would be if the events had happened live.
    plan.events.retain(|e| e.occurred_at <= now);
    plan.events.sort_by_key(|e| (e.occurred_at, e.id));

    let secret = settings
        .security
        .secret_key
        .expose_secret()
        .as_bytes()
        .to_vec();
    let mut tx = db
        .begin()
        .await
        .context("could not start the demo transaction")?;
    for s in &team {
        let alias = pseudonym::for_staff(&secret, &s.id.0);
        staff::insert_staff(&mut tx, s.id, s.email, s.name, s.role, &alias, now)
            .await
            .context("insert demo staff")?;
        // Added as `glassbox staff add` would (the demo is run from the command line too).
        crate::services::staff::record_added(
            &mut tx,
            s.id,
            s.role,
            crate::services::staff::ChangedBy::CommandLine,
            now,
        )
        .await
        .context("record the demo staff's addition")?;
    }
    for p in &people {
        owners::insert_owner(&mut tx, p.id, p.name, p.mailboxes[0].1, now)
            .await
            .context("insert demo owner")?;
        for (id, address) in &p.mailboxes {
            owners::insert_mailbox(&mut tx, *id, p.id, address, now)
                .await
                .context("insert demo mailbox")?;
        }
    }
    for r in &plan.requests {
        request_rows::insert_request(&mut tx, r)
            .await
            .context("insert demo request")?;
    }
    event_rows::append_batch(&mut tx, &plan.events)
        .await
        .context("insert demo events")?;
    // The requests' steps, in the order they happened, for the log writer to enter.
    plan.changes.sort_by_key(|c| c.occurred_at);
    changes::insert(&mut tx, &plan.changes)
        .await
        .context("insert demo request changes")?;
    // The demo's history is old news: its owners are not emailed about past accesses or
    // refused attempts.
    crate::db::notices::mark_all_first_access_noticed(&mut tx, now)
        .await
        .context("mark demo grants as noticed")?;
    crate::db::owner_alerts::mark_all_refusals_alerted(&mut tx)
        .await
        .context("mark demo refusals as alerted")?;
    tx.commit()
        .await
        .context("could not commit the demo data")?;
    tracing::info!(
        requests = plan.requests.len(),
        events = plan.events.len(),
        "demo data written"
    );
    incident::seed_incident(db, clock, settings, now).await?;
    Ok(SeedOutcome::Created)
}
