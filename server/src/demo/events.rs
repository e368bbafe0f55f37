//! What the demo's access events look like: the actions and resources of each scope, and
//! the mail system's own checks that no staff member is behind.

use super::people::DemoOwner;
use crate::db::events::NewEventRow;
use app::model::{Decision, Scope};
use rand::rngs::StdRng;
use rand::Rng;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The actions a staff tool records under `scope`.
pub(super) fn actions_for(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::Metadata => &["list_folders", "read_headers", "search_mailbox"],
        Scope::Content => &["read_message"],
        Scope::Attachments => &["open_attachment"],
        Scope::Settings => &["read_settings", "read_forwarding_rules"],
    }
}

/// A plausible resource of `scope`, drawn from `rng`.
pub(super) fn resource_for(rng: &mut StdRng, scope: Scope) -> String {
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

/// The mail system's own checks (spam and virus filtering) on each owner's first mailbox,
/// with no staff member or request behind them.
pub(super) fn system_checks(
    rng: &mut StdRng,
    people: &[DemoOwner],
    now: OffsetDateTime,
    events: &mut Vec<NewEventRow>,
) {
    for person in people {
        for _ in 0..rng.gen_range(3..8) {
            let (mailbox, _) = person.mailboxes[0];
            events.push(NewEventRow {
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
}
