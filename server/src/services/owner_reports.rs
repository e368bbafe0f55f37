//! "I don't recognise this": an owner reports an access or a request of their own mailbox;
//! the report is kept once, each security admin is emailed at once, and the owner is shown
//! the steps that secure their account. The security admins list the reports and mark
//! each handled.

use super::error::ServiceError;
use super::history::event_view;
use super::notifications::{self, addressee};
use super::requests::view as request_view;
use super::roles::security_admin;
use crate::config::Settings;
use crate::db::owner_reports::{self, NewReport, ReportRow};
use crate::db::{events, requests, staff, Db};
use crate::domain::clock::Clock;
use crate::domain::owner_report::ReportError;
use crate::email::messages::reports::{owner_report, ReportFacts};
use app::components::format::{date_time, duration_minutes, sentence_list};
use app::model::{
    AdminReportView, EventView, OwnerId, ReportPage, ReportSubject, RequestView, StaffId,
    StaffRole, SECURE_ACCOUNT_STEPS,
};

/// How many reports the admins' page lists.
const REPORTS_SHOWN: i64 = 500;

impl From<ReportError> for ServiceError {
    fn from(e: ReportError) -> Self {
        ServiceError::Invalid(e.to_string())
    }
}

/// The owner's subject, as their pages show it; another owner's is not found.
async fn subject_of(
    db: &Db,
    clock: &Clock,
    owner: OwnerId,
    subject: ReportSubject,
) -> Result<(Option<EventView>, Option<RequestView>), ServiceError> {
    match subject {
        ReportSubject::Access(seq) => {
            let event = events::by_seqs_for_owner(db, owner, &[seq.0])
                .await?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("access"))?;
            Ok((Some(event_view(event)), None))
        }
        ReportSubject::Request(id) => {
            let request = requests::get_for_owner(db, owner, id)
                .await?
                .ok_or(ServiceError::NotFound("request"))?;
            Ok((None, Some(request_view(request, clock.now()))))
        }
    }
}

/// What the owner was shown, in words, for the security admins.
fn summary(access: Option<&EventView>, request: Option<&RequestView>) -> String {
    let who = |pseudonym: &Option<String>, role: Option<StaffRole>| match (pseudonym, role) {
        (Some(p), Some(r)) => format!("{p} ({})", r.label()),
        (Some(p), None) => p.clone(),
        _ => "The mail system".to_string(),
    };
    if let Some(e) = access {
        let resource = if e.resource.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.resource)
        };
        format!(
            "An access at {}: {} — {}, to {}{resource}; {}.",
            date_time(e.occurred_at),
            who(&e.agent_pseudonym, e.agent_role),
            e.action.replace('_', " "),
            e.scope.plain_words(),
            match e.decision {
                app::model::Decision::Allowed => "allowed",
                app::model::Decision::Denied => "refused",
            }
        )
    } else if let Some(r) = request {
        let what: Vec<&str> = r.scopes.iter().map(|s| s.plain_words()).collect();
        format!(
            "A request made at {} by {} to {} for {} ({}: {}); now {}.",
            date_time(r.created_at),
            who(&Some(r.agent_pseudonym.clone()), Some(r.agent_role)),
            sentence_list(&what),
            duration_minutes(r.duration_minutes),
            r.justification_code.plain_words(),
            r.justification_text,
            r.status.label().to_lowercase()
        )
    } else {
        String::new()
    }
}

fn page(
    settings: &Settings,
    subject: ReportSubject,
    access: Option<EventView>,
    request: Option<RequestView>,
    report: Option<ReportRow>,
) -> ReportPage {
    ReportPage {
        subject,
        access,
        request,
        reported_at: report.as_ref().map(|r| r.created_at),
        handled_at: report.and_then(|r| r.handled_at),
        steps: SECURE_ACCOUNT_STEPS.to_vec(),
        password_url: settings.incidents.password_url.clone(),
        contact: settings.incidents.contact.clone(),
    }
}

/// The owner's report page for `subject`: what it is, and whether they already reported it.
pub async fn report_page(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    owner: OwnerId,
    subject: ReportSubject,
) -> Result<ReportPage, ServiceError> {
    let (access, request) = subject_of(db, clock, owner, subject).await?;
    let report = owner_reports::of_owner(db, owner, &subject.key()).await?;
    Ok(page(settings, subject, access, request, report))
}

/// The owner reports `subject`: kept once (a second report of the same subject changes
/// nothing and answers as the first), each enabled security admin emailed in the same
/// transaction.
#[tracing::instrument(skip_all, fields(owner.id = %owner.0, report.subject = %subject.key()))]
pub async fn report(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    owner: OwnerId,
    subject: ReportSubject,
    note: Option<&str>,
) -> Result<ReportPage, ServiceError> {
    let note = crate::domain::owner_report::note(note)?;
    let (access, request) = subject_of(db, clock, owner, subject).await?;
    let now = crate::db::ts(clock.now());
    let new = NewReport {
        id: uuid::Uuid::now_v7(),
        owner_id: owner,
        subject: subject.key(),
        mailbox: access
            .as_ref()
            .map(|e| e.mailbox.clone())
            .or(request.as_ref().map(|r| r.mailbox.clone()))
            .unwrap_or_default(),
        agent_pseudonym: access
            .as_ref()
            .and_then(|e| e.agent_pseudonym.clone())
            .or(request.as_ref().map(|r| r.agent_pseudonym.clone())),
        summary: summary(access.as_ref(), request.as_ref()),
        note,
        created_at: now,
    };
    let mut tx = db.begin().await?;
    if owner_reports::insert(&mut tx, &new).await? {
        let facts = ReportFacts {
            mailbox: new.mailbox.clone(),
            summary: new.summary.clone(),
            note: new.note.clone(),
            reported_at: now,
        };
        let admins = staff::list_active_staff(&mut tx).await?;
        for admin in admins.iter().filter(|s| s.role == StaffRole::SecurityAdmin) {
            let notice = owner_report(
                &addressee(&admin.display_name, &admin.email),
                &facts,
                notifications::url(settings, "/admin/reports"),
            );
            notifications::queue(
                &mut tx,
                settings,
                notice,
                format!("{}:{}", new.id, admin.id),
                now,
            )
            .await?;
        }
        tracing::info!(
            admins = admins.len(),
            "owner reported an access or request they do not recognise"
        );
    }
    tx.commit().await?;
    let report = owner_reports::of_owner(db, owner, &subject.key()).await?;
    Ok(page(settings, subject, access, request, report))
}

fn admin_view(r: ReportRow) -> AdminReportView {
    AdminReportView {
        id: r.id,
        reported_at: r.created_at,
        mailbox: r.mailbox,
        summary: r.summary,
        agent: r
            .agent_pseudonym
            .map(|p| (p, r.agent_name.unwrap_or_default())),
        note: r.note,
        handled_at: r.handled_at,
        handled_by: r.handled_by_name,
    }
}

/// The reports, for a security admin: open ones first, newest first.
pub async fn list(db: &Db, admin: StaffId) -> Result<Vec<AdminReportView>, ServiceError> {
    security_admin(db, admin).await?;
    Ok(owner_reports::newest(db, REPORTS_SHOWN)
        .await?
        .into_iter()
        .map(admin_view)
        .collect())
}

/// A security admin marks report `id` handled (once; a repeat answers as it is).
#[tracing::instrument(skip_all, fields(staff.id = %admin, report.id = %id))]
pub async fn mark_handled(
    db: &Db,
    clock: &Clock,
    admin: StaffId,
    id: uuid::Uuid,
) -> Result<AdminReportView, ServiceError> {
    security_admin(db, admin).await?;
    let mut tx = db.begin().await?;
    if owner_reports::get(&mut tx, id).await?.is_none() {
        return Err(ServiceError::NotFound("report"));
    }
    if owner_reports::mark_handled(&mut tx, id, admin, crate::db::ts(clock.now())).await? {
        tracing::info!("owner report handled");
    }
    tx.commit().await?;
    owner_reports::get(db, id)
        .await?
        .map(admin_view)
        .ok_or(ServiceError::NotFound("report"))
}
