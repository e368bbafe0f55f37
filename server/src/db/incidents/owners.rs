//! An incident as one owner sees it: how it touched them, the steps they ticked, and their
//! acknowledgement.

use super::super::{on_pool, ts, Db};
use super::corrupt;
use app::model::{Exposure, GuidanceStep, IncidentId, IncidentStatus, OwnerId};
use time::OffsetDateTime;
use uuid::Uuid;

/// An incident as it touched one owner.
#[derive(Clone, Debug)]
pub struct OwnerIncident {
    /// The worst exposure over the owner's mailboxes.
    pub exposure: Exposure,
    /// When they acknowledged.
    pub acknowledged_at: Option<OffsetDateTime>,
}

/// How incident `id` touched `owner`, if it did and is confirmed (or closed).
pub async fn for_owner(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
) -> anyhow::Result<Option<OwnerIncident>> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (String, Option<OffsetDateTime>)>(
        "SELECT im.exposure, im.acknowledged_at FROM incident_mailboxes im JOIN mailboxes m ON m.id = im.mailbox_id \
         JOIN incidents i ON i.id = im.incident_id WHERE im.incident_id = $1 AND m.owner_id = $2 AND i.status <> 'draft'",
    )
    .bind(id.0)
    .bind(owner.0)
    .fetch_all(pool)
    .await)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut exposure = Exposure::Metadata;
    let mut acknowledged_at = None;
    for (e, ack) in rows {
        if e.parse::<Exposure>().map_err(corrupt)? == Exposure::Content {
            exposure = Exposure::Content;
        }
        acknowledged_at = acknowledged_at.or(ack);
    }
    Ok(Some(OwnerIncident {
        exposure,
        acknowledged_at,
    }))
}

/// One incident in an owner's list.
#[derive(Clone, Debug)]
pub struct OwnerIncidentListing {
    /// The incident.
    pub id: IncidentId,
    /// Its title.
    pub title: String,
    /// Whether it is closed (else confirmed: still being handled).
    pub closed: bool,
    /// When it was confirmed (and the owner told).
    pub confirmed_at: Option<OffsetDateTime>,
    /// Whether the owner acknowledged the notice.
    pub acknowledged: bool,
    /// Whether the owner hid its reminder banner.
    pub reminder_hidden: bool,
    /// How many checklist steps the owner ticked.
    pub steps_done: i64,
}

/// Every incident that touched `owner` (confirmed or closed, never a draft), newest first.
pub async fn list_for_owner(db: &Db, owner: OwnerId) -> anyhow::Result<Vec<OwnerIncidentListing>> {
    type Row = (Uuid, String, String, Option<OffsetDateTime>, i64, i64, i64);
    let rows = on_pool!(db, pool => sqlx::query_as::<_, Row>(
        "SELECT i.id, i.title, i.status, i.confirmed_at, COUNT(im.acknowledged_at), COUNT(im.reminder_hidden_at), \
         (SELECT COUNT(*) FROM incident_steps s WHERE s.incident_id = i.id AND s.owner_id = $1) \
         FROM incidents i JOIN incident_mailboxes im ON im.incident_id = i.id JOIN mailboxes m ON m.id = im.mailbox_id \
         WHERE m.owner_id = $1 AND i.status IN ('confirmed', 'closed') \
         GROUP BY i.id, i.title, i.status, i.confirmed_at ORDER BY i.confirmed_at DESC",
    )
    .bind(owner.0)
    .fetch_all(pool)
    .await)?;
    rows.into_iter()
        .map(
            |(id, title, status, confirmed_at, acks, hidden, steps_done)| {
                let closed =
                    status.parse::<IncidentStatus>().map_err(corrupt)? == IncidentStatus::Closed;
                Ok(OwnerIncidentListing {
                    id: IncidentId(id),
                    title,
                    closed,
                    confirmed_at,
                    acknowledged: acks > 0,
                    reminder_hidden: hidden > 0,
                    steps_done,
                })
            },
        )
        .collect()
}

/// Records that `owner` hid the reminder banner of incident `id` (the first time only).
pub async fn hide_reminder(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE incident_mailboxes SET reminder_hidden_at = $1 WHERE incident_id = $2 AND reminder_hidden_at IS NULL \
         AND mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $3)",
    )
    .bind(ts(now))
    .bind(id.0)
    .bind(owner.0)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
}

/// The steps `owner` ticked for incident `id`.
pub async fn steps_done(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
) -> anyhow::Result<Vec<GuidanceStep>> {
    let rows = on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT step FROM incident_steps WHERE incident_id = $1 AND owner_id = $2",
    )
    .bind(id.0)
    .bind(owner.0)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .iter()
        .map(|s| s.parse().map_err(corrupt))
        .collect::<Result<_, _>>()?)
}

/// Ticks or unticks a step.
pub async fn set_step(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
    step: GuidanceStep,
    done: bool,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_pool!(db, pool => {
        if done {
            sqlx::query(
                "INSERT INTO incident_steps (incident_id, owner_id, step, done_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (incident_id, owner_id, step) DO NOTHING",
            )
            .bind(id.0)
            .bind(owner.0)
            .bind(step.as_str())
            .bind(ts(now))
            .execute(pool)
            .await
            .map(|_| ())
        } else {
            sqlx::query("DELETE FROM incident_steps WHERE incident_id = $1 AND owner_id = $2 AND step = $3")
                .bind(id.0)
                .bind(owner.0)
                .bind(step.as_str())
                .execute(pool)
                .await
                .map(|_| ())
        }
    })
}

/// Records that `owner` acknowledged the notice (the first time only).
pub async fn acknowledge(
    db: &Db,
    id: IncidentId,
    owner: OwnerId,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE incident_mailboxes SET acknowledged_at = $1 WHERE incident_id = $2 AND acknowledged_at IS NULL \
         AND mailbox_id IN (SELECT id FROM mailboxes WHERE owner_id = $3)",
    )
    .bind(ts(now))
    .bind(id.0)
    .bind(owner.0)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
}
