//! The staff roster's use cases: adding a staff member (`glassbox staff add`), disabling one
//! (`glassbox staff disable`, the roster's **Disable**, an incident's confirmation — all
//! through [`disable_in`]), recertifying a support agent, writing down lapses, and the
//! roster page itself. Every change is written with a row in `staff_changes`, in the same
//! transaction, which the log writer enters into the verifiable log.
//!
//! Disabling an account ends every one of its sessions at once (each request re-checks the
//! account, and a disabled one signs nobody in), refuses its checks, withdraws its open
//! requests and grants through the request state machine (each owner is told, as for any
//! revoke) and queues the end of its open IMAP sessions.
//!
//! Who may ask for access is the domain's rule ([`crate::domain::staff`]).

use super::error::{conflict_on_unique, ServiceError};
use super::roles::security_admin;
use super::transitions;
use crate::config::Settings;
use crate::db::staff_changes::{self, NewStaffChangeRow, StaffChangeEntryRow};
use crate::db::{requests as db_requests, staff, Db, Tx};
use crate::domain::access_request::{parse_mailbox, Action, Actor};
use crate::domain::clock::Clock;
use crate::domain::pseudonym;
use crate::domain::staff as rules;
use app::model::{
    AddedBy, RosterChange, RosterMember, RosterView, StaffChangeBy, StaffChangeKind, StaffId,
    StaffRole,
};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use time::OffsetDateTime;

/// How many roster changes the page lists.
const ROSTER_CHANGES_SHOWN: i64 = 50;

/// Who makes a staff change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangedBy {
    /// An operator on the server (`glassbox staff …`).
    CommandLine,
    /// A security admin (on the roster, or confirming an incident).
    Admin(StaffId),
}

impl ChangedBy {
    fn actor(self) -> (StaffChangeBy, Option<StaffId>) {
        match self {
            ChangedBy::CommandLine => (StaffChangeBy::CommandLine, None),
            ChangedBy::Admin(a) => (StaffChangeBy::SecurityAdmin, Some(a)),
        }
    }
}

/// What a disable found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disabled {
    /// The account was active and is now disabled.
    Now,
    /// The account was already disabled; nothing changed.
    Already,
}

async fn record(
    tx: &mut Tx,
    member: StaffId,
    role: StaffRole,
    change: StaffChangeKind,
    by: (StaffChangeBy, Option<StaffId>),
    reason: Option<String>,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    staff_changes::insert(
        tx,
        &NewStaffChangeRow {
            id: uuid::Uuid::now_v7(),
            occurred_at: at,
            staff_id: member,
            change,
            actor: by.0,
            actor_staff_id: by.1,
            role,
            reason,
        },
    )
    .await
}

/// Records that `member` (role `role`) was added by `by` at `at`, in the caller's
/// transaction (the demo seeds its team this way too).
pub async fn record_added(
    tx: &mut Tx,
    member: StaffId,
    role: StaffRole,
    by: ChangedBy,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    record(
        tx,
        member,
        role,
        StaffChangeKind::Added,
        by.actor(),
        None,
        at,
    )
    .await
}

/// Adds a staff member who may then sign in through the organisation's provider.
pub async fn add(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    email: &str,
    role: StaffRole,
    name: Option<&str>,
) -> Result<StaffId, ServiceError> {
    let email = parse_mailbox(email)
        .map_err(|_| ServiceError::Invalid("`--email` must be a work email address".into()))?;
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if n.chars().count() > 100 => {
            return Err(ServiceError::Invalid(
                "`--name` must be at most 100 characters".into(),
            ))
        }
        Some(n) => Some(
            crate::domain::text::accept(n, crate::domain::text::Lines::One).ok_or_else(|| {
                ServiceError::Invalid(
                    "`--name` must be one line without control or invisible formatting characters"
                        .into(),
                )
            })?,
        ),
        None => None,
    };
    let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
    let id = StaffId::new();
    let alias = pseudonym::for_staff(
        settings.security.secret_key.expose_secret().as_bytes(),
        &id.0,
    );
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    conflict_on_unique(
        staff::insert_staff(&mut tx, id, &email, &name, role, &alias, now).await,
        || format!("a staff member with the address or handle of {email} already exists"),
    )?;
    record_added(&mut tx, id, role, ChangedBy::CommandLine, now).await?;
    tx.commit().await?;
    tracing::info!(staff.id = %id, staff.role = %role, "staff member added");
    Ok(id)
}

/// Disables `member` in the caller's transaction: the one way an account is disabled
/// (the command line, the roster and an incident's confirmation all come here). Their
/// open IMAP sessions are queued to end, every open request and grant of theirs is
/// withdrawn through the state machine (`withdraw` is the reason the owner reads), and the
/// change is recorded for the log. `false` when the account was already disabled (no
/// change is recorded).
pub async fn disable_in(
    tx: &mut Tx,
    settings: &Settings,
    member: &staff::StaffRow,
    by: ChangedBy,
    withdraw: &str,
    now: OffsetDateTime,
) -> Result<bool, ServiceError> {
    let newly = staff::disable_by_id(&mut *tx, member.id, now).await?;
    // Their open IMAP sessions end too (queued with the disable, sent by jobs::imap_kicks).
    crate::db::imap::queue_kicks(tx, None, Some(member.id), now).await?;
    // Every open request and grant is withdrawn like any revoke: its step is logged, its
    // links die and the owner gets the email a revoke sends. (Checks are refused from the
    // commit on anyway: the decision reads the disable.) Done even for an account disabled
    // before, which may hold requests from before disables withdrew them.
    let action = Action::Withdraw {
        reason: withdraw.into(),
    };
    for request in db_requests::open_of_agent(&mut *tx, member.id).await? {
        transitions::apply(tx, settings, request, Actor::Security, &action, now).await?;
    }
    if newly {
        record(
            tx,
            member.id,
            member.role,
            StaffChangeKind::Disabled,
            by.actor(),
            None,
            now,
        )
        .await?;
    }
    Ok(newly)
}

/// What an owner reads on a request withdrawn because its agent was disabled.
const WITHDRAWN_ON_DISABLE: &str =
    "Withdrawn by the security team: the staff member's account was disabled";

/// Disables the staff member `target`. Idempotent: an account already disabled is left as
/// it is ([`Disabled::Already`]). A security admin cannot disable themselves.
#[tracing::instrument(skip_all, fields(staff.id = %target))]
pub async fn disable(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    target: StaffId,
    by: ChangedBy,
) -> Result<Disabled, ServiceError> {
    if let ChangedBy::Admin(admin) = by {
        security_admin(db, admin).await?;
        rules::may_disable(admin, target).map_err(|e| ServiceError::Refused(e.to_string()))?;
    }
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    let member = staff::get_staff(&mut tx, target)
        .await?
        .ok_or(ServiceError::NotFound("staff member"))?;
    let newly = disable_in(&mut tx, settings, &member, by, WITHDRAWN_ON_DISABLE, now).await?;
    tx.commit().await?;
    if !newly {
        return Ok(Disabled::Already);
    }
    tracing::warn!(by = ?by, "staff member disabled");
    Ok(Disabled::Now)
}

/// Disables the staff member with work address `email` (`glassbox staff disable`).
pub async fn disable_by_email(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    email: &str,
) -> Result<Disabled, ServiceError> {
    let email = parse_mailbox(email)
        .map_err(|_| ServiceError::Invalid("`--email` must be a work email address".into()))?;
    let member = staff::find_staff_by_email(db, &email)
        .await?
        .ok_or(ServiceError::NotFound("staff member"))?;
    disable(db, clock, settings, member.id, ChangedBy::CommandLine).await
}

/// Admin `admin` re-approves support agent `target` for another full period, from now.
/// A lapsed agent may ask for access again at once.
#[tracing::instrument(skip_all, fields(staff.id = %target))]
pub async fn recertify(
    db: &Db,
    clock: &Clock,
    admin: StaffId,
    target: StaffId,
) -> Result<(), ServiceError> {
    security_admin(db, admin).await?;
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    let member = staff::get_staff(&mut tx, target)
        .await?
        .ok_or(ServiceError::NotFound("staff member"))?;
    rules::may_recertify(member.standing()).map_err(|e| ServiceError::Refused(e.to_string()))?;
    if !staff::recertify(&mut tx, target, admin, now).await? {
        return Err(ServiceError::Conflict(
            "This account changed meanwhile (it may have been disabled). Reload the roster.".into(),
        ));
    }
    record(
        &mut tx,
        target,
        member.role,
        StaffChangeKind::Recertified,
        ChangedBy::Admin(admin).actor(),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(admin.id = %admin, "support agent recertified");
    Ok(())
}

/// Writes down each lapse that time has already decided (requests are refused from the
/// deadline whether or not this ran): one `lapsed` change per lapsed certification, dated
/// at its deadline. Safe with several instances: the mark is a conditional update.
pub async fn sweep_lapsed(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
) -> Result<usize, ServiceError> {
    let now = crate::db::ts(clock.now());
    let every = settings.staff.recertify_every();
    let cutoff = now - every;
    let mut written = 0;
    for id in staff::lapsed_unlogged(db, cutoff).await? {
        let mut tx = db.begin().await?;
        let Some(member) = staff::get_staff(&mut tx, id).await? else {
            continue;
        };
        if !staff::mark_lapse_logged(&mut tx, id, cutoff, now).await? {
            continue;
        }
        let at = rules::deadline(member.certified_at, every);
        record(
            &mut tx,
            id,
            member.role,
            StaffChangeKind::Lapsed,
            (StaffChangeBy::Glassbox, None),
            None,
            at,
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(staff.id = %id, "a support agent's certification lapsed: they can no longer ask for access");
        written += 1;
    }
    Ok(written)
}

/// Writes down a completed staff sign-in and the factor it was made with. The sign-in must
/// not complete when this fails: owners are shown the strength of the sign-in behind each
/// access, and a missing record would show them an older one.
pub async fn signed_in(
    db: &Db,
    id: StaffId,
    factor: app::model::SignInFactor,
    now: OffsetDateTime,
) -> Result<(), ServiceError> {
    staff::record_sign_in(db, id, now).await?;
    crate::db::passkeys::record_sign_in(db, id, factor, now).await?;
    Ok(())
}

/// How many staff members can ask to access mailboxes at `now` (the rule's count).
pub async fn count_who_can_ask(
    db: &Db,
    settings: &Settings,
    now: OffsetDateTime,
) -> Result<i64, ServiceError> {
    let every = settings.staff.recertify_every();
    Ok(staff::list_active_staff(db)
        .await?
        .iter()
        .filter(|m| rules::may_request(m.standing(), every, now).is_ok())
        .count() as i64)
}

fn change_view(
    row: &StaffChangeEntryRow,
    names: &HashMap<uuid::Uuid, String>,
) -> Option<RosterChange> {
    Some(RosterChange {
        at: row.occurred_at,
        staff_name: names.get(&row.staff_id).cloned().unwrap_or_default(),
        change: row.change.parse().ok()?,
        by: row.actor.parse().ok()?,
        by_name: row.actor_staff_id.and_then(|a| names.get(&a).cloned()),
        log_index: row.log_index.map(|i| i as u64),
    })
}

fn member_view(
    m: &staff::StaffRow,
    f: Option<&staff::RosterFigures>,
    added: Option<&StaffChangeEntryRow>,
    names: &HashMap<uuid::Uuid, String>,
    every: time::Duration,
    now: OffsetDateTime,
) -> RosterMember {
    let added_by = match added.and_then(|r| change_view(r, names)) {
        Some(c) => AddedBy::Recorded {
            by: c.by,
            by_name: c.by_name,
        },
        None => AddedBy::BeforeRecords,
    };
    RosterMember {
        id: m.id,
        name: m.display_name.clone(),
        email: m.email.clone(),
        handle: m.handle.clone(),
        role: m.role,
        added_at: m.created_at,
        added_by,
        last_sign_in_at: m.last_sign_in_at,
        totp_enrolled: f.is_some_and(|f| f.totp_enrolled),
        passkeys: f.map_or(0, |f| f.passkeys),
        disabled_at: m.disabled_at,
        open_grants: f.map_or(0, |f| f.open_grants),
        requests_last_30_days: f.map_or(0, |f| f.requests),
        accesses_last_30_days: f.map_or(0, |f| f.accesses),
        recertification: rules::standing(m.standing(), every, now),
    }
}

/// How many of an agent's requests the agent page lists.
const AGENT_REQUESTS_SHOWN: i64 = 100;

/// One staff member's activity over time, as security admin `admin` sees it: their
/// requests, their activity per month over the last year, and how often owners refuse
/// them against everyone else (the domain's outlier rule).
pub async fn agent_activity(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    admin: StaffId,
    agent: StaffId,
) -> Result<app::model::AgentActivityView, ServiceError> {
    security_admin(db, admin).await?;
    let now = clock.now();
    let every = settings.staff.recertify_every();
    let members = staff::list_all_staff(db).await?;
    let member = members
        .iter()
        .find(|m| m.id == agent)
        .ok_or(ServiceError::NotFound("staff member"))?;
    let names: HashMap<uuid::Uuid, String> = members
        .iter()
        .map(|m| (m.id.0, m.display_name.clone()))
        .collect();
    let figures = staff::roster_figures(db, now, now - time::Duration::days(30))
        .await?
        .into_iter()
        .find(|f| f.id == agent.0);
    let changes = staff_changes::of_staff(db, agent).await?;
    let added = changes
        .iter()
        .find(|r| r.change == StaffChangeKind::Added.as_str());
    let view = member_view(member, figures.as_ref(), added, &names, every, now);
    let (mut denied, mut decided, mut others_denied, mut others_decided) = (0, 0, 0, 0);
    for (who, approved, refused) in staff::decisions_by_agent(db).await? {
        if who == agent.0 {
            denied += refused;
            decided += approved + refused;
        } else {
            others_denied += refused;
            others_decided += approved + refused;
        }
    }
    let months = staff::monthly_activity(db, agent, now - time::Duration::days(365))
        .await?
        .into_iter()
        .map(|m| app::model::MonthActivity {
            month: m.month,
            requests: m.requests,
            denied: m.denied,
            accesses_allowed: m.allowed,
            accesses_refused: m.refused,
        })
        .collect();
    let requests = db_requests::list_recent(db, Some(agent), AGENT_REQUESTS_SHOWN)
        .await?
        .into_iter()
        .map(|r| {
            let agent_name = r.agent_name.clone();
            app::model::StaffRequestView {
                request: super::requests::view(r, now),
                agent_name,
            }
        })
        .collect();
    Ok(app::model::AgentActivityView {
        member: view,
        requests,
        counts: db_requests::count_by_status(db, Some(agent)).await?,
        months,
        refusals: app::model::RefusalSignal {
            denied,
            decided,
            others_denied,
            others_decided,
            far_more_often: rules::refused_far_more_often(
                denied,
                decided,
                others_denied,
                others_decided,
            ),
            min_decided: rules::OUTLIER_MIN_DECIDED,
        },
        changes: changes
            .iter()
            .filter_map(|r| change_view(r, &names))
            .collect(),
    })
}

/// The roster, as security admin `admin` sees it at the clock's now.
pub async fn roster(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    admin: StaffId,
) -> Result<RosterView, ServiceError> {
    security_admin(db, admin).await?;
    let now = clock.now();
    let every = settings.staff.recertify_every();
    let members = staff::list_all_staff(db).await?;
    let figures: HashMap<uuid::Uuid, staff::RosterFigures> =
        staff::roster_figures(db, now, now - time::Duration::days(30))
            .await?
            .into_iter()
            .map(|f| (f.id, f))
            .collect();
    let names: HashMap<uuid::Uuid, String> = members
        .iter()
        .map(|m| (m.id.0, m.display_name.clone()))
        .collect();
    let added: HashMap<uuid::Uuid, StaffChangeEntryRow> = staff_changes::additions(db)
        .await?
        .into_iter()
        .map(|r| (r.staff_id, r))
        .collect();
    let mut list: Vec<RosterMember> = members
        .iter()
        .map(|m| {
            member_view(
                m,
                figures.get(&m.id.0),
                added.get(&m.id.0),
                &names,
                every,
                now,
            )
        })
        .collect();
    // Active staff first; the database already ordered by role, then name.
    list.sort_by_key(|m| m.disabled_at.is_some());
    let changes = staff_changes::newest(db, ROSTER_CHANGES_SHOWN)
        .await?
        .iter()
        .filter_map(|r| change_view(r, &names))
        .collect();
    Ok(RosterView {
        me: admin,
        members: list,
        recertify_every_days: settings.staff.recertify_every_days,
        due_soon_days: rules::due_soon_window(every).whole_days() as u32,
        changes,
        passkey_fresh_minutes: settings.staff.passkey_fresh_minutes,
        passkeys_required: settings.staff.require_passkey,
    })
}
