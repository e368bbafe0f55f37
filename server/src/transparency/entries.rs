//! The log's entries: the canonical encoding of each stored row (access events, request
//! changes, staff changes and the steps of sealed notices) as a leaf of the Merkle tree, with its salt. The same encoding the `glassbox-log`
//! crate verifies in the CLI and the owner's browser.

use crate::db::changes::ChangeEntryRow;
use crate::db::legal_holds::HoldChangeRow;
use crate::db::staff_changes::StaffChangeEntryRow;
use crate::db::tree::{self as store, EventEntryRow};
use crate::db::{ts, Db};
use glassbox_log::entry::SALT_LEN;
use glassbox_log::{ChangeEntry, LogEntry, NoticeEntry, StaffChangeEntry};
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;

/// The canonical entry of a stored event with `salt`.
pub fn entry_of(row: &EventEntryRow, salt: [u8; SALT_LEN]) -> LogEntry {
    LogEntry {
        event_id: row.id.hyphenated().to_string(),
        occurred_at: rfc3339(row.occurred_at),
        mailbox_id: row.mailbox_id.hyphenated().to_string(),
        agent_id: row.agent_id.map(|a| a.hyphenated().to_string()),
        request_id: row.request_id.map(|r| r.hyphenated().to_string()),
        scope: row.scope.clone(),
        action: row.action.clone(),
        resource: row.resource.clone(),
        decision: row.decision.clone(),
        reason: row.reason.clone(),
        source_network: row.source_network.clone(),
        salt,
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    let at = ts(t);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// The canonical entry of a stored request change with `salt`.
pub fn change_entry_of(row: &ChangeEntryRow, salt: [u8; SALT_LEN]) -> ChangeEntry {
    ChangeEntry {
        change_id: row.id.hyphenated().to_string(),
        occurred_at: rfc3339(row.occurred_at),
        request_id: row.request_id.hyphenated().to_string(),
        mailbox_id: row.mailbox_id.hyphenated().to_string(),
        agent_id: row.agent_id.hyphenated().to_string(),
        change: row.change.clone(),
        by: row.actor.clone(),
        scopes: row.scopes.clone(),
        grant_ends_at: row.grant_ends_at.map(rfc3339),
        reason: row.reason.clone(),
        salt,
    }
}

/// The canonical entry of a stored staff change with `salt`.
pub fn staff_change_entry_of(row: &StaffChangeEntryRow, salt: [u8; SALT_LEN]) -> StaffChangeEntry {
    StaffChangeEntry {
        change_id: row.id.hyphenated().to_string(),
        occurred_at: rfc3339(row.occurred_at),
        staff_id: row.staff_id.hyphenated().to_string(),
        change: row.change.clone(),
        by: row.actor.clone(),
        by_staff_id: row.actor_staff_id.map(|a| a.hyphenated().to_string()),
        role: row.role.clone(),
        reason: row.reason.clone(),
        salt,
    }
}

/// The entry a logged staff change committed to (`None` for one not in the log yet or with
/// a damaged salt).
pub fn logged_staff_change(row: &StaffChangeEntryRow) -> Option<StaffChangeEntry> {
    let salt: [u8; SALT_LEN] = row.leaf_salt.clone()?.try_into().ok()?;
    Some(staff_change_entry_of(row, salt))
}

/// The canonical entry of a stored step of a sealed notice with `salt`.
pub fn notice_entry_of(row: &HoldChangeRow, salt: [u8; SALT_LEN]) -> NoticeEntry {
    NoticeEntry {
        change_id: row.id.hyphenated().to_string(),
        occurred_at: rfc3339(row.occurred_at),
        notice_id: row.hold_id.hyphenated().to_string(),
        change: row.change.clone(),
        reason: row.reason.clone(),
        release_on: row.release_on.clone(),
        commitment: glassbox_log::sealed::hex(&row.commitment),
        by_staff_id: row.by_staff_id.map(|a| a.hyphenated().to_string()),
        second_staff_id: row.second_staff_id.map(|a| a.hyphenated().to_string()),
        salt,
    }
}

/// The entry a logged step of a sealed notice committed to (`None` for one not in the log
/// yet or with a damaged salt).
pub fn logged_notice(row: &HoldChangeRow) -> Option<NoticeEntry> {
    let salt: [u8; SALT_LEN] = row.leaf_salt.clone()?.try_into().ok()?;
    Some(notice_entry_of(row, salt))
}

/// The entry a logged change committed to (`None` for a change not in the log yet or with
/// a damaged salt).
pub fn logged_change(row: &ChangeEntryRow) -> Option<ChangeEntry> {
    let salt: [u8; SALT_LEN] = row.leaf_salt.clone()?.try_into().ok()?;
    Some(change_entry_of(row, salt))
}

/// The entry a logged row committed to (`None` for a row not in the log yet or with a
/// damaged salt).
pub fn logged_entry(row: &EventEntryRow) -> Option<LogEntry> {
    let salt: [u8; SALT_LEN] = row.leaf_salt.clone()?.try_into().ok()?;
    Some(entry_of(row, salt))
}

/// A fresh random salt.
pub fn new_salt() -> [u8; SALT_LEN] {
    use rand::RngCore as _;
    let mut salt = [0u8; SALT_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    salt
}

/// The log index and canonical entry (base64) of each of the owner's events in `seqs`.
pub async fn entries_for_owner(
    db: &Db,
    owner: app::model::OwnerId,
    seqs: &[i64],
) -> anyhow::Result<HashMap<i64, (u64, String)>> {
    Ok(store::entries_for_owner(db, owner, seqs)
        .await?
        .iter()
        .filter_map(|r| {
            let entry = logged_entry(r)?;
            Some((
                r.seq,
                (r.log_index? as u64, glassbox_log::b64(&entry.encode())),
            ))
        })
        .collect())
}

/// The stored rows (with everything their entries are made of) of the owner's events in
/// `seqs`, by `seq`, however many: read a few hundred at a time. Others' events are never
/// returned.
pub async fn rows_for_owner(
    db: &Db,
    owner: app::model::OwnerId,
    seqs: &[i64],
) -> anyhow::Result<HashMap<i64, EventEntryRow>> {
    let mut out = HashMap::with_capacity(seqs.len());
    for chunk in seqs.chunks(500) {
        for row in store::entries_for_owner(db, owner, chunk).await? {
            out.insert(row.seq, row);
        }
    }
    Ok(out)
}
