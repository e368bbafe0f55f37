//! The demo's incident, raised through the same use cases staff use, so the incident pages
//! and the owners' notices show what a real one looks like.

use super::demo_id;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use app::model::StaffId;
use time::{Duration, OffsetDateTime};

/// The demo's incident, through the real flow: Morgan declares it, Inês confirms it (which
/// disables Jordan and records the affected mailboxes), and the notices are queued.
pub(super) async fn seed_incident(
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
    incidents::act(
        db,
        clock,
        settings,
        ines,
        id,
        &IncidentAdminAct::Confirm { revision: None },
    )
    .await
    .map_err(|e| anyhow::anyhow!("confirm the demo incident: {e}"))?;
    incidents::queue_notices(db, clock, settings)
        .await
        .map_err(|e| anyhow::anyhow!("queue the demo incident's notices: {e}"))?;
    Ok(())
}
