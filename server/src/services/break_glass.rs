//! Emergency access (break-glass): the one way into a mailbox without its owner's consent.
//! A security admin opens it (mailbox, scopes, a life-safety emergency or a legal request,
//! the reason in words, the reference it is for, at most
//! `requests.break_glass_max_minutes`); a **second, different** security admin approves it
//! (never the opener, nor the staff member who will use it) and it starts at once; the
//! owner is emailed at once and sees it marked on every page, email and export. Every step
//! goes through the request state machine ([`transitions::apply`]) like any other request,
//! so its steps enter the verifiable log and two racing decisions cannot both win.

use super::error::ServiceError;
use super::roles::security_admin;
use super::{legal_holds, requests as request_cases, transitions};
use crate::config::Settings;
use crate::db::requests::{self, NewRequestRow, RequestRecord};
use crate::db::{form_submissions, owners, staff, Db};
use crate::domain::access_request::{
    effective_status, AccessRequestInput, Action, Actor, GrantLimits, NewAccessRequest,
};
use crate::domain::clock::Clock;
use crate::domain::legal_hold;
use app::model::{
    AccessRequestStatus, ChangeActor, EmergencyAccessView, EmergencyAct, EmergencyForm,
    EmergencyMay, EmergencyPage, MailboxId, RequestId, StaffChoice, StaffId,
};
use time::{Duration, OffsetDateTime};

/// How many emergency accesses the page lists (newest first, waiting ones on top).
const SHOWN: i64 = 100;

/// The security admins' page: the newest emergency accesses, what the signed-in admin may
/// do to each, and who can be named to use a new one.
pub async fn page(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    admin: StaffId,
) -> Result<EmergencyPage, ServiceError> {
    security_admin(db, admin).await?;
    let now = clock.now();
    let everyone = staff::list_all_staff(db).await?;
    let name = |id: StaffId| {
        everyone
            .iter()
            .find(|m| m.id == id)
            .map(|m| format!("{} <{}>", m.display_name, m.email))
            .unwrap_or_else(|| "someone no longer on the roster".into())
    };
    let mut holds = legal_holds::views(db, admin, legal_holds::today(clock), &name).await?;
    let mut accesses: Vec<EmergencyAccessView> = requests::list_emergency(db, SHOWN)
        .await?
        .into_iter()
        .map(|r| {
            let hold = holds.remove(&r.id);
            EmergencyAccessView {
                hold,
                ..view(r, admin, now, &name)
            }
        })
        .collect();
    // Waiting ones first (a second admin is needed now), otherwise newest first.
    accesses.sort_by_key(|a| !a.waiting());
    let staff = everyone
        .iter()
        .filter(|m| m.disabled_at.is_none())
        .map(|m| StaffChoice {
            id: m.id.to_string(),
            label: format!("{} <{}>", m.display_name, m.email),
        })
        .collect();
    Ok(EmergencyPage {
        accesses,
        staff,
        max_minutes: settings.requests.break_glass_max_minutes,
        approve_within_minutes: settings.requests.break_glass_approve_within_minutes,
        legal_hold_max_days: settings.requests.legal_hold_max_days,
    })
}

fn view(
    r: RequestRecord,
    admin: StaffId,
    now: OffsetDateTime,
    name: &impl Fn(StaffId) -> String,
) -> EmergencyAccessView {
    let status = effective_status(r.status, r.expires_at, r.grant_ends_at, now);
    let waiting = status == AccessRequestStatus::Pending;
    let opener = r.opened_by;
    EmergencyAccessView {
        id: r.id,
        mailbox: r.mailbox,
        agent: name(r.agent_id),
        opened_by: opener.map(name).unwrap_or_default(),
        approved_by: r.approved_by.map(name),
        scopes: r.scopes,
        justification_code: r.justification_code,
        justification_text: r.justification_text,
        reference: r.ticket.unwrap_or_default(),
        duration_minutes: r.duration_minutes,
        status,
        opened_at: r.created_at,
        expires_at: r.expires_at,
        ends_at: r.grant_ends_at,
        reason: r.decision_reason,
        may: EmergencyMay {
            decide: waiting && opener != Some(admin) && r.agent_id != admin,
            cancel: waiting && opener == Some(admin),
            end: status == AccessRequestStatus::Approved,
        },
        hold: None,
    }
}

/// A security admin opens an emergency access; it waits for a second security admin.
#[tracing::instrument(skip_all, fields(staff.id = %admin))]
pub async fn open(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    admin: StaffId,
    form: &EmergencyForm,
) -> Result<RequestRecord, ServiceError> {
    let opener = security_admin(db, admin).await?;
    let cap = settings.requests.break_glass_max_minutes;
    let input = AccessRequestInput {
        mailbox: form.mailbox.clone(),
        scopes: form.scopes.clone(),
        justification_code: form.justification_code.clone(),
        justification_text: form.justification_text.clone(),
        ticket: Some(form.reference.clone()),
        duration_minutes: form.duration_minutes,
    };
    let limits = GrantLimits {
        default_minutes: cap.min(60),
        max_minutes: cap,
    };
    let new = NewAccessRequest::parse_emergency(&input, limits)?;
    let hold = legal_hold::parse_hold(
        new.justification_code,
        form.notice_release_on.as_deref(),
        legal_holds::today(clock),
        settings.requests.legal_hold_max_days,
    )?;
    let agent = match form
        .agent
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        None => opener,
        Some(id) => {
            let unknown = || {
                ServiceError::Unknown(
                    "Choose the staff member who will use this access from the list (an enabled account).".into(),
                )
            };
            let id: StaffId = id.parse().map_err(|_| unknown())?;
            staff::get_staff(db, id)
                .await?
                .filter(|m| m.disabled_at.is_none())
                .ok_or_else(unknown)?
        }
    };
    let mailbox = owners::find_mailbox(db, &new.mailbox)
        .await?
        .ok_or(ServiceError::Unknown(
            "This is not a mailbox Glassbox knows: check the address.".into(),
        ))?;
    let now = crate::db::ts(clock.now());
    let row = NewRequestRow {
        id: RequestId::new(),
        mailbox_id: MailboxId(mailbox.id),
        agent_id: agent.id,
        scopes: new.scopes,
        justification_code: new.justification_code,
        justification_text: new.justification_text,
        ticket: new.ticket,
        duration_minutes: new.duration_minutes,
        status: AccessRequestStatus::Pending,
        created_at: now,
        expires_at: now + Duration::minutes(settings.requests.break_glass_approve_within_minutes),
        decided_at: None,
        decision_reason: None,
        grant_starts_at: None,
        grant_ends_at: None,
        closed_at: None,
        break_glass: true,
        opened_by: Some(admin),
    };
    let mut tx = db.begin().await?;
    requests::insert_request(&mut tx, &row).await?;
    // The same form sent again (a double-click, a resend) opens nothing more: it is
    // answered with the emergency access its first sending opened.
    if let Some(key) = &form.form_key {
        if !form_submissions::claim(&mut tx, admin.0, key, row.id, now).await? {
            tx.rollback().await?;
            let first = form_submissions::first_request(db, admin.0, key)
                .await?
                .ok_or(ServiceError::NotFound("request"))?;
            tracing::info!(request.id = %first, "emergency access form sent again: answered with its first result");
            return request_cases::get(db, first).await;
        }
    }
    if let Some(date) = hold {
        crate::db::legal_holds::insert(
            &mut tx,
            uuid::Uuid::now_v7(),
            row.id,
            row.justification_code.as_str(),
            &legal_hold::format_date(date),
            now,
        )
        .await?;
        tracing::warn!(request.id = %row.id, release_on = %legal_hold::format_date(date), "the owner's notice is to be held back under a legal hold");
    }
    transitions::record_step(&mut tx, row.id, None, ChangeActor::Security, now).await?;
    tx.commit().await?;
    tracing::warn!(request.id = %row.id, agent.id = %agent.id, "emergency access opened: it waits for a second security admin");
    request_cases::get(db, row.id).await
}

/// A security admin approves, refuses, cancels or ends emergency access `id`, through the
/// state machine (which keeps the four eyes: see `domain::access_request`).
#[tracing::instrument(skip_all, fields(staff.id = %admin, request.id = %id))]
pub async fn act(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    admin: StaffId,
    id: RequestId,
    act: EmergencyAct,
    passkey_confirmed_at: Option<time::OffsetDateTime>,
) -> Result<RequestRecord, ServiceError> {
    security_admin(db, admin).await?;
    let action = match act {
        EmergencyAct::Approve => {
            // The second pair of eyes proves itself with a passkey, just now.
            super::passkeys::require_fresh(
                settings,
                passkey_confirmed_at,
                clock.now(),
                "/staff/confirm",
                "/admin/emergency",
            )?;
            Action::ApproveEmergency
        }
        EmergencyAct::Refuse { reason } => Action::RefuseEmergency { reason },
        EmergencyAct::Cancel => Action::Cancel,
        EmergencyAct::End { reason } => Action::Withdraw { reason },
        EmergencyAct::ExtendHold { release_on, reason } => {
            legal_holds::ask_extension(db, clock, settings, admin, id, (&release_on, &reason))
                .await?;
            return request_cases::get(db, id).await;
        }
        EmergencyAct::ApproveExtension | EmergencyAct::RefuseExtension => {
            let approve = matches!(act, EmergencyAct::ApproveExtension);
            legal_holds::decide_extension(db, clock, admin, id, approve).await?;
            return request_cases::get(db, id).await;
        }
    };
    let record =
        request_cases::decide(db, clock, settings, id, Actor::Admin(admin), action).await?;
    tracing::warn!(request.status = %record.status, "emergency access decided");
    Ok(record)
}
