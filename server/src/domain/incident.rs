//! Incident rules: what a declaration must say, who may confirm, and what an affected owner
//! is told. Pure: no I/O.

use app::model::{
    Exposure, GuidanceStep, IncidentCause, IncidentForm, IncidentStatus, StaffId, StaffRole,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime, PrimitiveDateTime};

/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest description or follow-up message.
pub const MAX_TEXT: usize = 5000;

/// A declaration that passed every check; the staff member or token it names still has to
/// be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// A short headline, shown to staff and in the affected owners' notices.
    pub title: String,
    /// What happened, in plain words for the affected owners.
    pub description: String,
    /// What was abused; a staff credential or service token names which one.
    pub cause: IncidentCause,
    /// Staff email or handle, lower-cased (required for a staff credential, optional for other).
    pub staff: Option<String>,
    /// Token name (required for a service token).
    pub token: Option<String>,
    /// Start of the period the incident covers (inclusive): allowed accesses from then on are affected.
    pub window_start: OffsetDateTime,
    /// End of the period the incident covers (inclusive).
    pub window_end: OffsetDateTime,
}

/// What is wrong with a declaration, in words the admin can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse(s: &str) -> Refusal {
    Refusal(s.to_string())
}

/// Text people will read: trimmed, not empty, not too long, no control characters other
/// than line breaks.
pub fn clean_text(s: &str, max: usize, what: &str) -> Result<String, Refusal> {
    clean_lines(s, max, what, super::text::Lines::Many)
}

/// As [`clean_text`], for a field that is one line (`lines`) or may have several.
pub fn clean_lines(
    s: &str,
    max: usize,
    what: &str,
    lines: super::text::Lines,
) -> Result<String, Refusal> {
    let s = s.trim().replace("\r\n", "\n");
    if s.is_empty() {
        return Err(Refusal(format!("Write {what}.")));
    }
    if s.chars().count() > max {
        return Err(Refusal(format!("Keep {what} under {max} characters.")));
    }
    if super::text::accept(&s, lines).is_none() {
        return Err(Refusal(match lines {
            super::text::Lines::One => format!(
                "Write {what} on one line, without control or invisible formatting characters."
            ),
            super::text::Lines::Many => {
                format!("Remove the control or invisible formatting characters from {what}.")
            }
        }));
    }
    Ok(s)
}

/// A time as a `datetime-local` input sends it (`YYYY-MM-DDTHH:MM`, optionally `:SS`),
/// taken as UTC, or a full RFC 3339 time.
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(s, &seconds)
        .or_else(|_| PrimitiveDateTime::parse(s, &minutes))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

fn optional(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
}

/// Checks a declaration made at `now`.
pub fn declare(form: &IncidentForm, now: OffsetDateTime) -> Result<Declaration, Refusal> {
    let title = clean_lines(&form.title, MAX_TITLE, "a title", super::text::Lines::One)?;
    let description = clean_text(&form.description, MAX_TEXT, "what happened")?;
    let cause: IncidentCause = form
        .cause
        .parse()
        .map_err(|_| refuse("Choose what caused the incident."))?;
    let staff = optional(&form.staff);
    let token = optional(&form.token);
    match cause {
        IncidentCause::StaffCredential if staff.is_none() => {
            return Err(refuse(
                "Name the staff member whose sign-in was misused (their email or handle).",
            ))
        }
        IncidentCause::ServiceToken if token.is_none() => {
            return Err(refuse("Name the service token that leaked."))
        }
        _ => {}
    }
    let window_start = parse_time(&form.window_start)
        .ok_or_else(|| refuse("Give the start of the window as a date and time (UTC)."))?;
    let window_end = parse_time(&form.window_end)
        .ok_or_else(|| refuse("Give the end of the window as a date and time (UTC)."))?;
    if window_start > window_end {
        return Err(refuse("The window must start before it ends."));
    }
    if window_start > now {
        return Err(refuse("The window cannot start in the future."));
    }
    Ok(Declaration {
        title,
        description,
        cause,
        staff: if cause == IncidentCause::ServiceToken {
            None
        } else {
            staff
        },
        token: if cause == IncidentCause::ServiceToken {
            token
        } else {
            None
        },
        window_start,
        // Accesses up to now are what the log can hold; a window reaching past now ends now.
        window_end: window_end.min(now),
    })
}

/// Why a confirmation is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmRefusal {
    /// Only security admins confirm.
    #[error("Only security admins can confirm an incident.")]
    NotAdmin,
    /// Four eyes: not the declarer.
    #[error("A second security admin must confirm this incident: you declared it.")]
    SameAdmin,
    /// Already confirmed or closed.
    #[error("This incident is already {}.", .0.as_str())]
    AlreadyDone(IncidentStatus),
    /// Four eyes: not the admin who last corrected the draft.
    #[error("A second security admin must confirm this incident: you corrected it last.")]
    LastEditor,
}

/// Whether `who` (with `role`) may confirm an incident declared by `declarer` and last
/// edited by `editor`, now `status`. Four eyes: whoever wrote the draft as it stands — its
/// declarer or the admin who last corrected it — cannot confirm it.
pub fn may_confirm(
    who: StaffId,
    role: StaffRole,
    declarer: StaffId,
    editor: Option<StaffId>,
    status: IncidentStatus,
) -> Result<(), ConfirmRefusal> {
    if role != StaffRole::SecurityAdmin {
        return Err(ConfirmRefusal::NotAdmin);
    }
    if status != IncidentStatus::Draft {
        return Err(ConfirmRefusal::AlreadyDone(status));
    }
    if who == declarer {
        return Err(ConfirmRefusal::SameAdmin);
    }
    if editor == Some(who) {
        return Err(ConfirmRefusal::LastEditor);
    }
    Ok(())
}

/// Why a draft cannot be corrected or discarded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DraftRefusal {
    /// Only security admins change incidents.
    #[error("Only security admins can change an incident.")]
    NotAdmin,
    /// Confirmed, closed or discarded already: what was done stays as it was recorded.
    #[error("This incident is {}: only a draft can be corrected or discarded.", .0.as_str())]
    NotDraft(IncidentStatus),
}

/// Whether someone with `role` may correct or discard an incident that is now `status`:
/// only a security admin, and only while it is a draft (nothing has been done or sent).
pub fn may_change_draft(role: StaffRole, status: IncidentStatus) -> Result<(), DraftRefusal> {
    if role != StaffRole::SecurityAdmin {
        return Err(DraftRefusal::NotAdmin);
    }
    if status != IncidentStatus::Draft {
        return Err(DraftRefusal::NotDraft(status));
    }
    Ok(())
}

/// What the provider did, in plain words, for the owner's page and the notice.
pub fn measures(cause: IncidentCause) -> Vec<String> {
    let mut m = vec![];
    match cause {
        IncidentCause::StaffCredential => {
            m.push("We disabled the staff account involved and ended all of its sessions.".into());
            m.push("We withdrew every access to mailboxes that account held.".into());
        }
        IncidentCause::ServiceToken => {
            m.push("We revoked the leaked key, so it no longer opens any mailbox.".into());
        }
        IncidentCause::Other => {
            m.push("We stopped the fault and are checking our systems.".into());
        }
    }
    m.push(
        "We worked out from the access log exactly which mailboxes were touched, and how.".into(),
    );
    m
}

/// The likely consequences for an owner, by exposure (GDPR Art. 34: "likely consequences").
pub fn consequences(exposure: Exposure) -> &'static str {
    match exposure {
        Exposure::Metadata => "Someone may know whom you write to and what your subject lines say, and may use that to send convincing fake messages.",
        Exposure::Content => "Someone may have read private information in your messages and attachments, and may use it to send convincing fake messages or to get into other accounts.",
    }
}

/// The steps every affected owner is asked to take, in order.
pub fn guidance() -> &'static [GuidanceStep] {
    GuidanceStep::ALL
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn form() -> IncidentForm {
        IncidentForm {
            title: "Stolen support sign-in".into(),
            description: "A support agent's sign-in was used by someone else.".into(),
            cause: "staff_credential".into(),
            staff: Some(" Sam@Staff.example.org ".into()),
            token: None,
            window_start: "2026-11-01T08:00".into(),
            window_end: "2026-11-02T17:30".into(),
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

    #[test]
    fn a_complete_declaration_is_accepted_with_its_window_in_utc() {
        let d = declare(&form(), NOW).unwrap();
        assert_eq!(d.window_start, datetime!(2026-11-01 08:00 UTC));
        assert_eq!(d.window_end, datetime!(2026-11-02 17:30 UTC));
        assert_eq!(d.staff.as_deref(), Some("sam@staff.example.org"));
    }

    #[test]
    fn a_staff_credential_needs_the_staff_member_and_a_token_needs_the_token() {
        let mut f = form();
        f.staff = Some("  ".into());
        assert!(declare(&f, NOW).unwrap_err().0.contains("staff member"));
        f.cause = "service_token".into();
        assert!(declare(&f, NOW).unwrap_err().0.contains("service token"));
        f.token = Some("mail-gateway".into());
        let d = declare(&f, NOW).unwrap();
        assert_eq!(d.token.as_deref(), Some("mail-gateway"));
        assert_eq!(d.staff, None);
    }

    #[test]
    fn a_window_must_be_in_order_and_not_in_the_future() {
        let mut f = form();
        f.window_end = "2026-10-01T00:00".into();
        assert!(declare(&f, NOW).unwrap_err().0.contains("start before"));
        let mut f = form();
        f.window_start = "2026-12-01T00:00".into();
        f.window_end = "2026-12-02T00:00".into();
        assert!(declare(&f, NOW).unwrap_err().0.contains("future"));
        let mut f = form();
        f.window_end = "2027-01-01T00:00".into();
        assert_eq!(
            declare(&f, NOW).unwrap().window_end,
            NOW,
            "ends now at the latest"
        );
        let mut f = form();
        f.window_start = "yesterday".into();
        assert!(declare(&f, NOW)
            .unwrap_err()
            .0
            .contains("start of the window"));
    }

    #[test]
    fn text_for_owners_must_be_readable() {
        let mut f = form();
        f.title = " ".into();
        assert!(declare(&f, NOW).is_err());
        f.title = "a\u{0007}b".into();
        assert!(declare(&f, NOW).unwrap_err().0.contains("control"));
        f.title = "gpj.\u{202e}exe".into();
        assert!(
            declare(&f, NOW).unwrap_err().0.contains("control"),
            "no right-to-left override tricks"
        );
        f.title = "x".repeat(MAX_TITLE + 1);
        assert!(declare(&f, NOW).is_err());
        let mut f = form();
        f.cause = "aliens".into();
        assert!(declare(&f, NOW).is_err());
    }

    #[test]
    fn only_a_second_security_admin_confirms_and_only_once() {
        let (a, b) = (StaffId::new(), StaffId::new());
        assert_eq!(
            may_confirm(b, StaffRole::SecurityAdmin, a, None, IncidentStatus::Draft),
            Ok(())
        );
        assert_eq!(
            may_confirm(a, StaffRole::SecurityAdmin, a, None, IncidentStatus::Draft),
            Err(ConfirmRefusal::SameAdmin)
        );
        assert_eq!(
            may_confirm(b, StaffRole::Support, a, None, IncidentStatus::Draft),
            Err(ConfirmRefusal::NotAdmin)
        );
        assert_eq!(
            may_confirm(
                b,
                StaffRole::SecurityAdmin,
                a,
                None,
                IncidentStatus::Confirmed
            ),
            Err(ConfirmRefusal::AlreadyDone(IncidentStatus::Confirmed))
        );
        assert_eq!(
            may_confirm(
                b,
                StaffRole::SecurityAdmin,
                a,
                Some(b),
                IncidentStatus::Draft
            ),
            Err(ConfirmRefusal::LastEditor),
            "who corrected the draft last cannot confirm it either"
        );
    }

    #[test]
    fn only_a_security_admin_changes_a_draft_and_only_while_it_is_one() {
        assert_eq!(
            may_change_draft(StaffRole::SecurityAdmin, IncidentStatus::Draft),
            Ok(())
        );
        assert_eq!(
            may_change_draft(StaffRole::Support, IncidentStatus::Draft),
            Err(DraftRefusal::NotAdmin)
        );
        for s in [
            IncidentStatus::Confirmed,
            IncidentStatus::Closed,
            IncidentStatus::Discarded,
        ] {
            assert_eq!(
                may_change_draft(StaffRole::SecurityAdmin, s),
                Err(DraftRefusal::NotDraft(s))
            );
        }
    }
}
