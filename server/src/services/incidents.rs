//! Incidents: a security admin declares one and sees the affected set computed from the log;
//! a second security admin confirms it, which disables the culprit, revokes what it held and
//! records the affected set, all in one transaction; notices are then queued through the
//! outbox in batches; affected owners read what happened to *their* mailbox and tick off
//! what to do.

use super::error::ServiceError;
use super::history::views_for_owner;
use super::roles::security_admin;
use crate::config::Settings;
use crate::db::events::{self, EventFilter, Keyset, Who};
use crate::db::incidents::{self, IncidentRecord, NewIncident, Recipient};
use crate::db::outbox::{self, NewOutboxMessage};
use crate::db::{service_tokens, staff, Db};
use crate::domain::clock::Clock;
use crate::domain::incident::{self as rules, ConfirmRefusal};
use crate::email::messages::incidents::{
    incident_notice, AffectedMailbox, IncidentFacts, NoticeRound,
};
use crate::email::messages::Addressee;
use app::model::{
    Decision, Exposure, GuidanceStep, IncidentAdminAct, IncidentAdminView, IncidentCause,
    IncidentForm, IncidentId, IncidentNotice, IncidentStatus, IncidentSummary, OwnerId,
    OwnerIncidentAct, OwnerIncidentView, StaffId,
};

/// The most accesses an owner's incident page lists.
const MAX_ACCESSES_SHOWN: i64 = 500;

/// Declares an incident (a draft: nothing is done or sent until a second admin confirms).
pub async fn declare(
    db: &Db,
    clock: &Clock,
    admin: StaffId,
    form: &IncidentForm,
) -> Result<IncidentId, ServiceError> {
    security_admin(db, admin).await?;
    let now = clock.now();
    let incident = checked(db, IncidentId::new(), admin, form, now).await?;
    let id = incident.id;
    let mut tx = db.begin().await?;
    // Inside the write transaction, so two identical declarations at once make one incident.
    if let Some(existing) = incidents::find_same_in(&mut tx, &incident).await? {
        return Err(ServiceError::Conflict(format!(
            "This incident is already declared (same cause and window): /admin/incidents/{existing}"
        )));
    }
    incidents::insert(&mut tx, &incident, crate::db::ts(now)).await?;
    tx.commit().await?;
    tracing::warn!(incident.id = %id, staff.id = %admin, cause = incident.cause.as_str(), "incident declared");
    Ok(id)
}

/// A declaration (or a draft's correction) checked by the rules, with the staff member or
/// service token it names found.
async fn checked(
    db: &Db,
    id: IncidentId,
    declared_by: StaffId,
    form: &IncidentForm,
    now: time::OffsetDateTime,
) -> Result<NewIncident, ServiceError> {
    let d = rules::declare(form, now).map_err(|e| ServiceError::Invalid(e.0))?;
    let cause_staff = match &d.staff {
        Some(who) => {
            let found = if who.contains('@') {
                staff::find_staff_by_email(db, who).await?
            } else {
                staff::find_staff_by_handle(db, who).await?
            };
            Some(
                found
                    .ok_or_else(|| {
                        ServiceError::Invalid(format!(
                            "No staff member is known as `{who}`. Use their work email or handle."
                        ))
                    })?
                    .id,
            )
        }
        None => None,
    };
    let cause_token = match &d.token {
        Some(name) => Some(
            service_tokens::list(db)
                .await?
                .into_iter()
                .find(|t| t.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    ServiceError::Invalid(format!(
                        "No service token is called `{name}` (see `glassbox service-token list`)."
                    ))
                })?
                .id,
        ),
        None => None,
    };
    Ok(NewIncident {
        id,
        title: d.title,
        description: d.description,
        cause: d.cause,
        cause_staff,
        cause_token,
        window_start: crate::db::ts(d.window_start),
        window_end: crate::db::ts(d.window_end),
        declared_by,
    })
}

async fn get(db: &Db, id: IncidentId) -> Result<IncidentRecord, ServiceError> {
    incidents::get(db, id)
        .await?
        .ok_or(ServiceError::NotFound("incident"))
}

/// Every incident, newest first (security admins only).
pub async fn list(db: &Db, admin: StaffId) -> Result<Vec<IncidentSummary>, ServiceError> {
    security_admin(db, admin).await?;
    Ok(incidents::list(db, 200)
        .await?
        .into_iter()
        .map(|(i, affected)| IncidentSummary {
            id: i.id,
            title: i.title,
            status: i.status,
            cause: i.cause,
            created_at: i.created_at,
            affected_mailboxes: affected,
        })
        .collect())
}

/// One incident as its admins follow it: for a draft, the affected set computed from the
/// log now; once confirmed, the set as recorded, with notices and acknowledgements.
pub async fn admin_view(
    db: &Db,
    admin: StaffId,
    id: IncidentId,
) -> Result<IncidentAdminView, ServiceError> {
    let me = security_admin(db, admin).await?;
    let i = get(db, id).await?;
    let affected = if i.status == IncidentStatus::Draft {
        incidents::preview_affected(db, i.cause_staff, i.window_start, i.window_end).await?
    } else {
        incidents::recorded_affected(db, id).await?
    };
    let rounds = incidents::rounds(db, id).await?;
    let acknowledged_by_day = incidents::acknowledgements_by_day(db, id).await?;
    let draft_form = match i.status {
        IncidentStatus::Draft => Some(draft_form(db, &i).await?),
        _ => None,
    };
    Ok(IncidentAdminView {
        id,
        can_confirm: rules::may_confirm(me.id, me.role, i.declared_by, i.edited_by, i.status)
            .is_ok(),
        title: i.title,
        description: i.description,
        cause: i.cause,
        cause_subject: i.cause_staff_name.or(i.cause_token_name),
        window_start: i.window_start,
        window_end: i.window_end,
        status: i.status,
        declared_by: i.declared_by_name,
        confirmed_by: i.confirmed_by_name,
        confirmed_at: i.confirmed_at,
        affected,
        notices: incidents::notice_counts(db, id).await?,
        acknowledged: acknowledged_by_day.iter().map(|(_, n)| n).sum(),
        acknowledged_by_day,
        follow_ups: rounds.into_iter().filter_map(|(_, m)| m).collect(),
        draft_form,
        revision: i.revision,
        edited_by: i.edited_by_name,
        edited_at: i.edited_at,
        discarded_by: i.discarded_by_name,
        discarded_at: i.discarded_at,
    })
}

/// A draft's declaration as its correction form starts: the values it was declared with,
/// times as a `datetime-local` input takes them (UTC, to the second).
async fn draft_form(db: &Db, i: &IncidentRecord) -> Result<IncidentForm, ServiceError> {
    let at = |t: time::OffsetDateTime| {
        t.format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
    };
    let staff_member = match i.cause_staff {
        Some(s) => staff::get_staff(db, s).await?.map(|m| m.email),
        None => None,
    };
    Ok(IncidentForm {
        title: i.title.clone(),
        description: i.description.clone(),
        cause: i.cause.as_str().to_string(),
        staff: staff_member,
        token: i.cause_token_name.clone(),
        window_start: at(i.window_start),
        window_end: at(i.window_end),
    })
}

/// Confirms, follows up on, closes, corrects (a draft) or discards (a draft) an incident.
pub async fn act(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    admin: StaffId,
    id: IncidentId,
    act: &IncidentAdminAct,
) -> Result<(), ServiceError> {
    let me = security_admin(db, admin).await?;
    let i = get(db, id).await?;
    let now = crate::db::ts(clock.now());
    match act {
        IncidentAdminAct::Confirm { revision } => {
            rules::may_confirm(me.id, me.role, i.declared_by, i.edited_by, i.status)
                .map_err(refusal_to_error)?;
            if revision.is_some_and(|r| r != i.revision) {
                return Err(ServiceError::Conflict(CORRECTED_SINCE.into()));
            }
            let mut tx = db.begin().await?;
            if !incidents::confirm(&mut tx, id, me.id, now, *revision).await? {
                // Someone confirmed, corrected or discarded it between our read and this update.
                return Err(ServiceError::Conflict(
                    "This incident was confirmed, corrected or discarded meanwhile: reload it and read it again.".into(),
                ));
            }
            if let Some(culprit) = i.cause_staff {
                if i.cause == IncidentCause::StaffCredential {
                    // The one way an account is disabled: its sessions and IMAP sessions
                    // end, and every open request and grant of the culprit is withdrawn
                    // through the state machine, like any revoke (its step is logged, its
                    // links die and the owner gets the email a revoke sends).
                    if let Some(member) = staff::get_staff(&mut tx, culprit).await? {
                        super::staff::disable_in(
                            &mut tx,
                            settings,
                            &member,
                            super::staff::ChangedBy::Admin(me.id),
                            "Withdrawn by the security team during an incident",
                            now,
                        )
                        .await?;
                    }
                }
            }
            if let Some(token) = i.cause_token {
                service_tokens::revoke_by_id(&mut tx, token, now).await?;
            }
            let affected = incidents::record_affected(
                &mut tx,
                id,
                i.cause_staff,
                i.window_start,
                i.window_end,
            )
            .await?;
            incidents::add_round(&mut tx, id, 1, None, me.id, now).await?;
            tx.commit().await?;
            tracing::warn!(incident.id = %id, staff.id = %me.id, affected, "incident confirmed: measures taken, notices queued");
        }
        IncidentAdminAct::FollowUp { message } => {
            if i.status != IncidentStatus::Confirmed {
                return Err(ServiceError::Conflict(
                    "Follow-up notices go out for confirmed incidents only.".into(),
                ));
            }
            let message = rules::clean_text(message, rules::MAX_TEXT, "the follow-up")
                .map_err(|e| ServiceError::Invalid(e.0))?;
            let next = incidents::rounds(db, id).await?.len() as i64 + 1;
            let mut tx = db.begin().await?;
            if !incidents::add_round(&mut tx, id, next, Some(&message), me.id, now).await? {
                return Err(ServiceError::Conflict(
                    "Another follow-up was sent at the same moment; reload and check before sending again.".into(),
                ));
            }
            tx.commit().await?;
            tracing::info!(incident.id = %id, round = next, "incident follow-up queued");
        }
        IncidentAdminAct::Close => {
            if !incidents::close(db, id, now).await? {
                return Err(ServiceError::Conflict(
                    "Only a confirmed incident can be closed.".into(),
                ));
            }
        }
        IncidentAdminAct::Edit(form) => {
            rules::may_change_draft(me.role, i.status).map_err(draft_refusal_to_error)?;
            let corrected = checked(db, id, i.declared_by, form, now).await?;
            let mut tx = db.begin().await?;
            if let Some(existing) = incidents::find_same_in(&mut tx, &corrected).await? {
                return Err(ServiceError::Conflict(format!(
                    "Another incident is already declared with this cause and window: /admin/incidents/{existing}"
                )));
            }
            if !incidents::update_draft(&mut tx, &corrected, me.id, now).await? {
                return Err(ServiceError::Conflict(
                    "This incident was confirmed or discarded meanwhile; nothing was changed."
                        .into(),
                ));
            }
            tx.commit().await?;
            tracing::warn!(incident.id = %id, staff.id = %me.id, "incident draft corrected");
        }
        IncidentAdminAct::Discard => {
            rules::may_change_draft(me.role, i.status).map_err(draft_refusal_to_error)?;
            let mut tx = db.begin().await?;
            if !incidents::discard(&mut tx, id, me.id, now).await? {
                return Err(ServiceError::Conflict(
                    "This incident was confirmed or discarded meanwhile; nothing was changed."
                        .into(),
                ));
            }
            tx.commit().await?;
            tracing::warn!(incident.id = %id, staff.id = %me.id, "incident draft discarded");
        }
    }
    Ok(())
}

/// Why a confirmation of a draft corrected since it was read is refused.
const CORRECTED_SINCE: &str =
    "This draft was corrected after you opened it: read it again, then confirm.";

fn draft_refusal_to_error(r: rules::DraftRefusal) -> ServiceError {
    match r {
        rules::DraftRefusal::NotAdmin => ServiceError::Forbidden,
        other => ServiceError::Conflict(other.to_string()),
    }
}

fn refusal_to_error(r: ConfirmRefusal) -> ServiceError {
    match r {
        ConfirmRefusal::NotAdmin => ServiceError::Forbidden,
        other => ServiceError::Conflict(other.to_string()),
    }
}

/// Queues the notices still owed, `settings.incidents.notice_batch` per transaction, until
/// none are left. Returns how many were queued. Safe to run anywhere, any number of times:
/// each notice has an idempotency key, and a batch and its bookkeeping commit together.
pub async fn queue_notices(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
) -> Result<u64, ServiceError> {
    let mut queued = 0u64;
    while let Some((id, round)) = incidents::next_to_notify(db).await? {
        let i = get(db, id).await?;
        let message = if round > 1 {
            incidents::rounds(db, id)
                .await?
                .into_iter()
                .find(|(r, _)| *r == round)
                .and_then(|(_, m)| m)
        } else {
            None
        };
        let notice_round = notice_round(id, round, message)?;
        let facts = incident_facts(settings, &i);
        let mut after = None;
        loop {
            let mut tx = db.begin().await?;
            let batch =
                incidents::recipients(&mut tx, id, round, after, settings.incidents.notice_batch)
                    .await?;
            let Some(last) = batch.last().map(|r| r.mailbox_id) else {
                drop(tx);
                incidents::round_queued(db, id, round, crate::db::ts(clock.now())).await?;
                break;
            };
            let now = crate::db::ts(clock.now());
            let domain = super::notifications::message_domain(settings);
            let messages = batch
                .iter()
                .map(|r| {
                    notice(
                        settings,
                        &domain,
                        id,
                        &facts,
                        r,
                        (round, &notice_round),
                        now,
                    )
                })
                .collect::<Result<Vec<NewOutboxMessage>, ServiceError>>()?;
            outbox::enqueue_many(&mut tx, &messages).await?;
            incidents::mark_notified(&mut tx, id, round, after, last).await?;
            tx.commit().await?;
            after = Some(last);
            queued += messages.len() as u64;
        }
    }
    Ok(queued)
}

/// What every notice of incident `i` says, whoever it goes to.
fn incident_facts(settings: &Settings, i: &IncidentRecord) -> IncidentFacts {
    let password_url = &settings.incidents.password_url;
    IncidentFacts {
        title: i.title.clone(),
        description: i.description.clone(),
        cause: i.cause,
        window_start: i.window_start,
        window_end: i.window_end,
        password_url: (!password_url.is_empty()).then(|| password_url.clone()),
        contact: settings.incidents.contact.clone(),
    }
}

/// Which notice round `round` is: a later round without its message is a corrupt store,
/// not a reason to send the first notice again.
fn notice_round(
    id: IncidentId,
    round: i64,
    message: Option<String>,
) -> Result<NoticeRound, ServiceError> {
    match (round, message) {
        (1, _) => Ok(NoticeRound::First),
        (_, Some(m)) => Ok(NoticeRound::FollowUp(m)),
        (_, None) => Err(ServiceError::Unexpected(anyhow::anyhow!(
            "incident {id}: notice round {round} has no follow-up message"
        ))),
    }
}

/// The notice to one affected owner, as an outbox row. A stored exposure that is not one
/// Glassbox knows is an error naming it: guessing would tell the owner the wrong thing.
fn notice(
    settings: &Settings,
    message_domain: &str,
    id: IncidentId,
    facts: &IncidentFacts,
    r: &Recipient,
    round: (i64, &NoticeRound),
    now: time::OffsetDateTime,
) -> Result<NewOutboxMessage, ServiceError> {
    let exposure: Exposure = r.exposure.parse().map_err(|e| {
        ServiceError::Unexpected(anyhow::anyhow!(
            "incident {id}: the affected mailbox {} has a corrupt stored exposure: {e}",
            r.mailbox_id
        ))
    })?;
    let mailbox = AffectedMailbox {
        address: r.address.clone(),
        exposure,
        accesses: r.event_count,
        page_url: format!(
            "{}/me/incidents/{}",
            settings.public_url.trim_end_matches('/'),
            id
        ),
    };
    let owner = Addressee {
        name: r.owner_name.clone(),
        email: r.owner_email.clone(),
    };
    let (number, round) = round;
    // Keyed under `incidents::notice_key_prefix`, which the admin page counts by.
    let key = format!("{id}:{}:{number}", r.mailbox_id.simple());
    Ok(incident_notice(&owner, facts, &mailbox, round).into_outbox(key, message_domain, now))
}

/// The incidents that touched the owner, newest first (their list, and the banner).
pub async fn owner_notices(db: &Db, owner: OwnerId) -> Result<Vec<IncidentNotice>, ServiceError> {
    let total = rules::guidance().len();
    Ok(incidents::list_for_owner(db, owner)
        .await?
        .into_iter()
        .map(|i| IncidentNotice {
            id: i.id,
            title: i.title,
            closed: i.closed,
            confirmed_at: i.confirmed_at,
            acknowledged: i.acknowledged,
            reminder_hidden: i.reminder_hidden,
            steps_done: usize::try_from(i.steps_done).unwrap_or(0).min(total),
            steps_total: total,
        })
        .collect())
}

/// One incident as it touched the owner; `NotFound` if it did not (or is still a draft).
pub async fn owner_view(
    db: &Db,
    settings: &Settings,
    owner: OwnerId,
    id: IncidentId,
) -> Result<OwnerIncidentView, ServiceError> {
    let touched = incidents::for_owner(db, id, owner)
        .await?
        .ok_or(ServiceError::NotFound("incident"))?;
    let i = get(db, id).await?;
    let pseudonym = match i.cause_staff {
        Some(s) => staff::get_staff(db, s).await?.map(|m| m.pseudonym),
        None => None,
    };
    let filter = EventFilter {
        who: pseudonym.map(Who::Staff),
        decision: Some(Decision::Allowed),
        since: Some(i.window_start),
        until: Some(i.window_end + time::Duration::seconds(1)),
        ..EventFilter::default()
    };
    let (accesses, _) =
        events::page_for(db, owner, &filter, Keyset::Newest, MAX_ACCESSES_SHOWN).await?;
    let done = incidents::steps_done(db, id, owner).await?;
    Ok(OwnerIncidentView {
        id,
        title: i.title,
        description: i.description,
        cause: i.cause,
        window_start: i.window_start,
        window_end: i.window_end,
        exposure: touched.exposure,
        accesses: views_for_owner(db, owner, accesses).await?,
        measures: rules::measures(i.cause),
        password_url: settings.incidents.password_url.clone(),
        contact: settings.incidents.contact.clone(),
        steps: rules::guidance()
            .iter()
            .map(|s| (*s, done.contains(s)))
            .collect(),
        acknowledged_at: touched.acknowledged_at,
        follow_ups: incidents::rounds(db, id)
            .await?
            .into_iter()
            .filter_map(|(_, m)| m)
            .collect(),
    })
}

/// The owner ticks a step or acknowledges the notice.
pub async fn owner_act(
    db: &Db,
    clock: &Clock,
    owner: OwnerId,
    id: IncidentId,
    act: OwnerIncidentAct,
) -> Result<(), ServiceError> {
    incidents::for_owner(db, id, owner)
        .await?
        .ok_or(ServiceError::NotFound("incident"))?;
    let now = crate::db::ts(clock.now());
    match act {
        OwnerIncidentAct::Tick { step, done } => {
            incidents::set_step(db, id, owner, step, done, now).await?;
        }
        OwnerIncidentAct::Acknowledge => {
            if incidents::acknowledge(db, id, owner, now).await? > 0 {
                tracing::info!(incident.id = %id, owner.id = %owner, "incident notice acknowledged");
            }
        }
        OwnerIncidentAct::HideReminder => {
            if incidents::hide_reminder(db, id, owner, now).await? > 0 {
                tracing::info!(incident.id = %id, owner.id = %owner, "incident reminder hidden");
            }
        }
    }
    Ok(())
}

/// Every step, for forms.
pub fn steps() -> &'static [GuidanceStep] {
    rules::guidance()
}

/// The affected mailboxes of a confirmed incident as CSV (security admins only), read in
/// keyset pages so even a million rows never need one long query.
pub async fn affected_csv(db: &Db, admin: StaffId, id: IncidentId) -> Result<String, ServiceError> {
    security_admin(db, admin).await?;
    let i = get(db, id).await?;
    if i.status == IncidentStatus::Draft {
        return Err(ServiceError::Conflict(
            "The affected set is recorded when the incident is confirmed.".into(),
        ));
    }
    use super::history::{csv_field, rfc3339};
    let mut out = String::from("mailbox,exposure,accesses,notices_queued,acknowledged_at\r\n");
    let mut after = String::new();
    loop {
        let page = incidents::affected_page(db, id, &after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.address.clone();
        for r in &page {
            out += &format!(
                "{},{},{},{},{}\r\n",
                csv_field(&r.address),
                r.exposure,
                r.event_count,
                r.notified_round,
                r.acknowledged_at.map(rfc3339).unwrap_or_default()
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(exposure: &str) -> Recipient {
        Recipient {
            mailbox_id: uuid::Uuid::nil(),
            address: "emeka.obi@example.org".into(),
            owner_email: "emeka@home.example.org".into(),
            owner_name: "Emeka Obi".into(),
            exposure: exposure.into(),
            event_count: 2,
        }
    }

    fn facts() -> IncidentFacts {
        IncidentFacts {
            title: "Stolen sign-in".into(),
            description: "Someone used a support sign-in.".into(),
            cause: IncidentCause::StaffCredential,
            window_start: time::OffsetDateTime::UNIX_EPOCH,
            window_end: time::OffsetDateTime::UNIX_EPOCH,
            password_url: None,
            contact: "security@example.org".into(),
        }
    }

    #[test]
    fn a_corrupt_stored_exposure_fails_the_notice_and_names_the_value() {
        let id = IncidentId(uuid::Uuid::nil());
        let err = notice(
            &Settings::default(),
            "example.org",
            id,
            &facts(),
            &recipient("everything"),
            (1, &NoticeRound::First),
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .expect_err("no silent default");
        let text = format!("{err:#}");
        assert!(text.contains("`everything`"), "{text}");
        assert!(text.contains(&id.to_string()), "{text}");
    }

    #[test]
    fn a_known_exposure_becomes_an_incident_notice_keyed_by_the_incident() {
        let id = IncidentId(uuid::Uuid::nil());
        let row = notice(
            &Settings::default(),
            "example.org",
            id,
            &facts(),
            &recipient("metadata"),
            (2, &NoticeRound::FollowUp("More news.".into())),
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .expect("a notice");
        assert_eq!(row.kind, "incident_follow_up");
        assert_eq!(
            row.idempotency_key,
            format!(
                "{}{}:2",
                incidents::notice_key_prefix(id),
                uuid::Uuid::nil().simple()
            )
        );
        assert!(row.body_text.contains(Exposure::Metadata.plain_words()));
    }

    #[test]
    fn a_later_round_without_its_message_is_an_error_not_a_repeat_of_the_first_notice() {
        let id = IncidentId(uuid::Uuid::nil());
        assert_eq!(notice_round(id, 1, None).ok(), Some(NoticeRound::First));
        let err = notice_round(id, 3, None).expect_err("corrupt rounds are reported");
        assert!(err.to_string().contains("round 3"), "{err}");
    }
}
