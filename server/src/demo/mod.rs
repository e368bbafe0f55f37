//! `glassbox demo`: a realistic, deterministic data set — owners, staff, requests in every
//! state, and a few hundred access events spread over six months — written in one
//! transaction, once. Running it again changes nothing.

use crate::config::Settings;
use crate::db::changes::{self, NewChangeRow};
use crate::db::events::{self, NewEventRow};
use crate::db::requests::{self, NewRequestRow};
use crate::db::{owners, staff, Db};
use crate::domain::clock::Clock;
use crate::domain::pseudonym;
use anyhow::Context as _;
use app::model::{
    AccessRequestStatus as Status, ChangeActor as Actor, Decision, JustificationCode as Why,
    MailboxId, OwnerId, RequestChangeKind as Kind, RequestId, Scope, StaffId, StaffRole,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::ExposeSecret;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The support agent whose stolen sign-in is the demo's incident.
const INCIDENT_AGENT: StaffId = StaffId(Uuid::from_u128(
    0x9a55_b0c5_0000_4000_8000_0000_0000_0000 | 1006,
));

/// The demo's incident, through the real flow: Morgan declares it, Inês confirms it (which
/// disables Jordan and records the affected mailboxes), and the notices are queued.
async fn seed_incident(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    use crate::services::incidents;
    use app::model::{IncidentAdminAct, IncidentForm};
    let rfc3339 = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let form = IncidentForm {
        title: "A support agent's sign-in was stolen".into(),
        description: "Someone who stole the password and second factor of one of our support agents used them to open mailboxes. We found it in our access log and stopped it.".into(),
        cause: "staff_credential".into(),
        staff: Some("jordan.blake@staff.example.org".into()),
        token: None,
        window_start: rfc3339(now - Duration::days(41)),
        window_end: rfc3339(now - Duration::days(38)),
    };
    let morgan = StaffId(demo_id(1004));
    let ines = StaffId(demo_id(1005));
    let id = incidents::declare(db, clock, morgan, &form)
        .await
        .map_err(|e| anyhow::anyhow!("declare the demo incident: {e}"))?;
    incidents::act(db, clock, settings, ines, id, &IncidentAdminAct::Confirm)
        .await
        .map_err(|e| anyhow::anyhow!("confirm the demo incident: {e}"))?;
    incidents::queue_notices(db, clock, settings)
        .await
        .map_err(|e| anyhow::anyhow!("queue the demo incident's notices: {e}"))?;
    Ok(())
}

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

struct DemoOwner {
    id: OwnerId,
    name: &'static str,
    mailboxes: Vec<(MailboxId, &'static str)>,
}

struct DemoStaff {
    id: StaffId,
    name: &'static str,
    email: &'static str,
    role: StaffRole,
}

const REASONS: &[(Why, &str)] = &[
    (
        Why::CustomerInitiatedSupport,
        "You reported that messages from your bank are missing",
    ),
    (
        Why::CustomerInitiatedSupport,
        "You asked us to restore a deleted folder",
    ),
    (
        Why::CustomerInitiatedSupport,
        "You reported that mail stops syncing on your phone",
    ),
    (
        Why::ProviderInitiatedReview,
        "Your account sent an unusual number of messages overnight",
    ),
    (
        Why::ServiceMaintenance,
        "Moving your mailbox to new storage",
    ),
    (
        Why::CustomerInitiatedSupport,
        "You asked why a forwarding rule stopped working",
    ),
];

const DENIAL_REASONS: &[&str] = &[
    "I did not ask for help",
    "I fixed it myself, thanks",
    "Please contact me by phone first",
];

fn actions_for(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::Metadata => &["list_folders", "read_headers", "search_mailbox"],
        Scope::Content => &["read_message"],
        Scope::Attachments => &["open_attachment"],
        Scope::Settings => &["read_settings", "read_forwarding_rules"],
    }
}

fn resource_for(rng: &mut StdRng, scope: Scope) -> String {
    match scope {
        Scope::Metadata => [
            "folder:inbox",
            "folder:archive",
            "folder:sent",
            "folder:receipts",
        ][rng.gen_range(0..4)]
        .to_string(),
        Scope::Content => format!("message:{:08x}", rng.gen::<u32>()),
        Scope::Attachments => format!("attachment:{:08x}", rng.gen::<u32>()),
        Scope::Settings => "settings:mailbox".to_string(),
    }
}

struct Plan {
    requests: Vec<NewRequestRow>,
    events: Vec<NewEventRow>,
    changes: Vec<NewChangeRow>,
}

impl Plan {
    #[expect(
        clippy::too_many_arguments,
        reason = "one place that lays out a demo request and its events"
    )]
    fn request(
        &mut self,
        rng: &mut StdRng,
        n: &mut u128,
        mailbox: MailboxId,
        agent: StaffId,
        status: Status,
        created_at: OffsetDateTime,
        now: OffsetDateTime,
    ) {
        *n += 1;
        let id = RequestId(demo_id(0x1_0000 + *n));
        let (code, text) = REASONS[rng.gen_range(0..REASONS.len())];
        let scopes = match rng.gen_range(0..4) {
            0 => vec![Scope::Metadata],
            1 => vec![Scope::Metadata, Scope::Content],
            2 => vec![Scope::Metadata, Scope::Content, Scope::Attachments],
            _ => vec![Scope::Settings, Scope::Metadata],
        };
        let duration_minutes = [30, 60, 60, 120, 240][rng.gen_range(0..5)];
        let ticket = (code == Why::CustomerInitiatedSupport)
            .then(|| format!("T-{}", rng.gen_range(10_000..99_999)));
        let expires_at = created_at + Duration::hours(24);
        let decided_at = created_at + Duration::minutes(rng.gen_range(4..180));
        let mut row = NewRequestRow {
            id,
            mailbox_id: mailbox,
            agent_id: agent,
            scopes: scopes.clone(),
            justification_code: code,
            justification_text: text.to_string(),
            ticket,
            duration_minutes,
            status,
            created_at,
            expires_at,
            decided_at: None,
            decision_reason: None,
            grant_starts_at: None,
            grant_ends_at: None,
            closed_at: None,
        };
        let mut event = |rng: &mut StdRng,
                         at: OffsetDateTime,
                         scope: Scope,
                         decision: Decision,
                         reason: &str,
                         request: Option<RequestId>| {
            let actions = actions_for(scope);
            self.events.push(NewEventRow {
                id: Uuid::from_u128(rng.gen()),
                occurred_at: at,
                mailbox_id: mailbox,
                agent_id: Some(agent),
                request_id: request,
                scope,
                action: actions[rng.gen_range(0..actions.len())].to_string(),
                resource: resource_for(rng, scope),
                decision,
                reason: reason.to_string(),
                source_network: Some("10.20.0.0/16".into()),
            });
        };
        match status {
            Status::Pending => {}
            Status::Approved | Status::Ended | Status::Revoked => {
                let starts = if status == Status::Approved {
                    created_at + Duration::minutes(3)
                } else {
                    decided_at
                };
                let ends = starts + Duration::minutes(duration_minutes);
                row.decided_at = Some(starts);
                row.grant_starts_at = Some(starts);
                row.grant_ends_at = Some(ends);
                let stop = match status {
                    Status::Revoked => {
                        let at =
                            starts + Duration::minutes(rng.gen_range(5..duration_minutes.max(6)));
                        row.closed_at = Some(at);
                        at
                    }
                    Status::Ended => {
                        row.closed_at = Some(ends);
                        ends
                    }
                    _ => now.min(ends),
                };
                let span = (stop - starts).whole_seconds().max(60);
                let count = rng.gen_range(6..28);
                for _ in 0..count {
                    let at = starts + Duration::seconds(rng.gen_range(0..span));
                    let scope = scopes[rng.gen_range(0..scopes.len())];
                    event(
                        rng,
                        at,
                        scope,
                        Decision::Allowed,
                        "Allowed: you approved this access",
                        Some(id),
                    );
                }
                if status == Status::Revoked {
                    let at = stop + Duration::minutes(rng.gen_range(1..20));
                    event(
                        rng,
                        at,
                        scopes[0],
                        Decision::Denied,
                        "Refused: you revoked this access",
                        Some(id),
                    );
                }
                // Someone tried a part of the mailbox the grant does not cover.
                if !scopes.contains(&Scope::Content) && rng.gen_bool(0.5) {
                    let at = starts + Duration::seconds(rng.gen_range(0..span));
                    event(
                        rng,
                        at,
                        Scope::Content,
                        Decision::Denied,
                        "Refused: outside what you approved",
                        Some(id),
                    );
                }
            }
            Status::Denied => {
                row.decided_at = Some(decided_at);
                row.closed_at = Some(decided_at);
                row.decision_reason = rng
                    .gen_bool(0.7)
                    .then(|| DENIAL_REASONS[rng.gen_range(0..DENIAL_REASONS.len())].to_string());
                let at = decided_at + Duration::minutes(rng.gen_range(1..30));
                event(
                    rng,
                    at,
                    scopes[0],
                    Decision::Denied,
                    "Refused: you denied this request",
                    Some(id),
                );
            }
            Status::Expired => {
                row.closed_at = Some(expires_at);
            }
            Status::Cancelled => {
                row.closed_at = Some(created_at + Duration::minutes(rng.gen_range(5..90)));
            }
        }
        // An attempt before anything was approved: refused and recorded.
        if rng.gen_bool(0.6) {
            let at = created_at - Duration::minutes(rng.gen_range(1..15));
            event(
                rng,
                at,
                Scope::Metadata,
                Decision::Denied,
                "Refused: no approved request",
                None,
            );
        }
        self.changes.extend(steps_of(&row, *n));
        self.requests.push(row);
    }
}

/// The steps a demo request went through, as the log records them (ids derived from the
/// request's number, so the demo stays the same from one run to the next).
fn steps_of(r: &NewRequestRow, n: u128) -> Vec<NewChangeRow> {
    let step = |k: u128, at: OffsetDateTime, change, actor, reason: Option<String>| NewChangeRow {
        id: demo_id(0x2_0000 + n * 4 + k),
        occurred_at: at,
        request_id: r.id,
        mailbox_id: r.mailbox_id,
        agent_id: r.agent_id,
        change,
        actor,
        scopes: requests::encode_scopes(&r.scopes),
        grant_ends_at: (change != Kind::Requested)
            .then_some(r.grant_ends_at)
            .flatten(),
        reason,
    };
    let mut steps = vec![step(0, r.created_at, Kind::Requested, Actor::Staff, None)];
    let closed = r.closed_at.unwrap_or(r.created_at);
    match r.status {
        Status::Pending => {}
        Status::Approved | Status::Ended | Status::Revoked => {
            let approved = r.decided_at.unwrap_or(r.created_at);
            steps.push(step(1, approved, Kind::Approved, Actor::Owner, None));
            match r.status {
                Status::Revoked => steps.push(step(2, closed, Kind::Revoked, Actor::Owner, None)),
                Status::Ended => steps.push(step(2, closed, Kind::Ended, Actor::Glassbox, None)),
                _ => {}
            }
        }
        Status::Denied => steps.push(step(
            1,
            closed,
            Kind::Denied,
            Actor::Owner,
            r.decision_reason.clone(),
        )),
        Status::Expired => steps.push(step(1, closed, Kind::Expired, Actor::Glassbox, None)),
        Status::Cancelled => steps.push(step(1, closed, Kind::Cancelled, Actor::Staff, None)),
    }
    steps
}

/// Writes the demo data set unless it is already there.
pub async fn seed(db: &Db, clock: &Clock, settings: &Settings) -> anyhow::Result<SeedOutcome> {
    if owners::find_mailbox(db, MARKER_MAILBOX).await?.is_some() {
        return Ok(SeedOutcome::AlreadyPresent);
    }
    let now = crate::db::ts(clock.now());
    let mut rng = StdRng::seed_from_u64(2019);

    let people = vec![
        DemoOwner {
            id: OwnerId(demo_id(1)),
            name: "Alice Martin",
            mailboxes: vec![
                (MailboxId(demo_id(101)), MARKER_MAILBOX),
                (MailboxId(demo_id(102)), "alice.martin@work.example.org"),
            ],
        },
        DemoOwner {
            id: OwnerId(demo_id(2)),
            name: "Bilal Haddad",
            mailboxes: vec![(MailboxId(demo_id(201)), "bilal@example.org")],
        },
        DemoOwner {
            id: OwnerId(demo_id(3)),
            name: "Chen Wei",
            mailboxes: vec![(MailboxId(demo_id(301)), "chen.wei@example.org")],
        },
        DemoOwner {
            id: OwnerId(demo_id(4)),
            name: "Dana Kowalski",
            mailboxes: vec![(MailboxId(demo_id(401)), "dana@example.org")],
        },
        DemoOwner {
            id: OwnerId(demo_id(5)),
            name: "Emeka Obi",
            mailboxes: vec![(MailboxId(demo_id(501)), "emeka.obi@example.org")],
        },
    ];
    let team = vec![
        DemoStaff {
            id: StaffId(demo_id(1001)),
            name: "Sam Rivera",
            email: "sam.rivera@staff.example.org",
            role: StaffRole::Support,
        },
        DemoStaff {
            id: StaffId(demo_id(1002)),
            name: "Priya Nair",
            email: "priya.nair@staff.example.org",
            role: StaffRole::Support,
        },
        DemoStaff {
            id: StaffId(demo_id(1003)),
            name: "Tomás Becker",
            email: "tomas.becker@staff.example.org",
            role: StaffRole::Support,
        },
        DemoStaff {
            id: StaffId(demo_id(1004)),
            name: "Morgan Lee",
            email: "morgan.lee@staff.example.org",
            role: StaffRole::SecurityAdmin,
        },
        DemoStaff {
            id: StaffId(demo_id(1005)),
            name: "Inês Duarte",
            email: "ines.duarte@staff.example.org",
            role: StaffRole::SecurityAdmin,
        },
        DemoStaff {
            id: INCIDENT_AGENT,
            name: "Jordan Blake",
            email: "jordan.blake@staff.example.org",
            role: StaffRole::Support,
        },
    ];
    // The everyday agents (Jordan only appears in the demo's incident).
    let agents: Vec<StaffId> = team
        .iter()
        .filter(|s| s.role == StaffRole::Support && s.id != INCIDENT_AGENT)
        .map(|s| s.id)
        .collect();

    let mut plan = Plan {
        requests: Vec::new(),
        events: Vec::new(),
        changes: Vec::new(),
    };
    let mut n = 0u128;
    let past = [
        Status::Ended,
        Status::Ended,
        Status::Ended,
        Status::Denied,
        Status::Expired,
        Status::Cancelled,
        Status::Revoked,
    ];
    for (i, person) in people.iter().enumerate() {
        // Alice has the richest history, so her pages are worth paging through.
        let count = if i == 0 { 14 } else { 4 + i };
        for k in 0..count {
            let (mailbox, _) = person.mailboxes[k % person.mailboxes.len()];
            let agent = agents[rng.gen_range(0..agents.len())];
            let status = past[if k < past.len() {
                k
            } else {
                rng.gen_range(0..past.len())
            }];
            let created = now
                - Duration::days(rng.gen_range(3..180))
                - Duration::minutes(rng.gen_range(0..1440));
            plan.request(&mut rng, &mut n, mailbox, agent, status, created, now);
        }
    }
    // What is live right now: pending requests and active grants.
    let alice = &people[0];
    plan.request(
        &mut rng,
        &mut n,
        alice.mailboxes[0].0,
        agents[0],
        Status::Pending,
        now - Duration::hours(2),
        now,
    );
    plan.request(
        &mut rng,
        &mut n,
        alice.mailboxes[1].0,
        agents[1],
        Status::Pending,
        now - Duration::minutes(25),
        now,
    );
    plan.request(
        &mut rng,
        &mut n,
        alice.mailboxes[0].0,
        agents[2],
        Status::Approved,
        now - Duration::minutes(20),
        now,
    );
    plan.request(
        &mut rng,
        &mut n,
        people[1].mailboxes[0].0,
        agents[0],
        Status::Pending,
        now - Duration::hours(5),
        now,
    );
    plan.request(
        &mut rng,
        &mut n,
        people[2].mailboxes[0].0,
        agents[1],
        Status::Approved,
        now - Duration::minutes(10),
        now,
    );
    // The demo's incident: Jordan Blake's sign-in was stolen and used 40 days ago on two
    // mailboxes, under grants their owners had approved for real tickets.
    for (person, days) in [(&people[0], 40), (&people[1], 39)] {
        plan.request(
            &mut rng,
            &mut n,
            person.mailboxes[0].0,
            INCIDENT_AGENT,
            Status::Ended,
            now - Duration::days(days),
            now,
        );
    }
    // The mail system's own checks, with no staff member behind them.
    for person in &people {
        for _ in 0..rng.gen_range(3..8) {
            let (mailbox, _) = person.mailboxes[0];
            plan.events.push(NewEventRow {
                id: Uuid::from_u128(rng.gen()),
                occurred_at: now - Duration::days(rng.gen_range(1..170)),
                mailbox_id: mailbox,
                agent_id: None,
                request_id: None,
                scope: Scope::Metadata,
                action: "virus_scan_index".into(),
                resource: "folder:inbox".into(),
                decision: Decision::Allowed,
                reason: "Allowed: automatic spam and virus filtering".into(),
                source_network: None,
            });
        }
    }
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
        requests::insert_request(&mut tx, r)
            .await
            .context("insert demo request")?;
    }
    events::append_batch(&mut tx, &plan.events)
        .await
        .context("insert demo events")?;
    // The requests' steps, in the order they happened, for the log writer to enter.
    plan.changes.sort_by_key(|c| c.occurred_at);
    changes::insert(&mut tx, &plan.changes)
        .await
        .context("insert demo request changes")?;
    // The demo's history is old news: its owners are not emailed about past accesses.
    crate::db::notices::mark_all_first_access_noticed(&mut tx, now)
        .await
        .context("mark demo grants as noticed")?;
    tx.commit()
        .await
        .context("could not commit the demo data")?;
    tracing::info!(
        requests = plan.requests.len(),
        events = plan.events.len(),
        "demo data written"
    );
    seed_incident(db, clock, settings, now).await?;
    Ok(SeedOutcome::Created)
}
