//! The demo's access requests, in every state, with the access events each grant led to
//! and the steps the log records for it. Everything is drawn from one seeded RNG in a fixed
//! order, so the demo is the same from one run to the next.

use super::demo_id;
use super::events::{actions_for, resource_for};
use super::people::{DemoOwner, INCIDENT_AGENT};
use crate::db::changes::NewChangeRow;
use crate::db::events::NewEventRow;
use crate::db::requests::{self, NewRequestRow};
use app::model::{
    AccessRequestStatus as Status, ChangeActor as Actor, Decision, JustificationCode as Why,
    MailboxId, RequestChangeKind as Kind, RequestId, Scope, StaffId,
};
use rand::rngs::StdRng;
use rand::Rng;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

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

/// The rows the demo writes.
pub(super) struct Plan {
    /// The requests, in the order they were planned.
    pub(super) requests: Vec<NewRequestRow>,
    /// Every access event (the system checks included, once added).
    pub(super) events: Vec<NewEventRow>,
    /// The requests' steps, for the log.
    pub(super) changes: Vec<NewChangeRow>,
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
            break_glass: false,
            opened_by: None,
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

/// The demo's requests: a history for every owner, what is live now (pending requests and
/// active grants), and the two grants Jordan Blake's stolen sign-in used.
pub(super) fn plan_requests(
    rng: &mut StdRng,
    people: &[DemoOwner],
    agents: &[StaffId],
    now: OffsetDateTime,
) -> Plan {
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
            plan.request(rng, &mut n, mailbox, agent, status, created, now);
        }
    }
    // What is live right now: pending requests and active grants.
    let alice = &people[0];
    plan.request(
        rng,
        &mut n,
        alice.mailboxes[0].0,
        agents[0],
        Status::Pending,
        now - Duration::hours(2),
        now,
    );
    plan.request(
        rng,
        &mut n,
        alice.mailboxes[1].0,
        agents[1],
        Status::Pending,
        now - Duration::minutes(25),
        now,
    );
    plan.request(
        rng,
        &mut n,
        alice.mailboxes[0].0,
        agents[2],
        Status::Approved,
        now - Duration::minutes(20),
        now,
    );
    plan.request(
        rng,
        &mut n,
        people[1].mailboxes[0].0,
        agents[0],
        Status::Pending,
        now - Duration::hours(5),
        now,
    );
    plan.request(
        rng,
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
            rng,
            &mut n,
            person.mailboxes[0].0,
            INCIDENT_AGENT,
            Status::Ended,
            now - Duration::days(days),
            now,
        );
    }
    plan
}
