//! Who is in the demo: five owners (Alice has two mailboxes and the richest history) and
//! six staff members, among them Jordan Blake, whose stolen sign-in is the demo's incident.

use super::{demo_id, MARKER_MAILBOX};
use app::model::{MailboxId, OwnerId, StaffId, StaffRole};
use uuid::Uuid;

/// The support agent whose stolen sign-in is the demo's incident.
pub(super) const INCIDENT_AGENT: StaffId = StaffId(Uuid::from_u128(
    0x9a55_b0c5_0000_4000_8000_0000_0000_0000 | 1006,
));

/// A demo owner and their mailboxes (the first is their primary address).
pub(super) struct DemoOwner {
    pub(super) id: OwnerId,
    pub(super) name: &'static str,
    pub(super) mailboxes: Vec<(MailboxId, &'static str)>,
}

/// A demo staff member.
pub(super) struct DemoStaff {
    pub(super) id: StaffId,
    pub(super) name: &'static str,
    pub(super) email: &'static str,
    pub(super) role: StaffRole,
}

/// The demo's owners.
pub(super) fn owners() -> Vec<DemoOwner> {
    vec![
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
    ]
}

/// The demo's staff.
pub(super) fn team() -> Vec<DemoStaff> {
    vec![
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
    ]
}

/// The everyday agents, who make the demo's requests (Jordan only appears in the incident).
pub(super) fn agents(team: &[DemoStaff]) -> Vec<StaffId> {
    team.iter()
        .filter(|s| s.role == StaffRole::Support && s.id != INCIDENT_AGENT)
        .map(|s| s.id)
        .collect()
}
