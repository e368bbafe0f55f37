//! The identity a session carries, and turning it back into a [`Viewer`] on each request.
//! A session whose person no longer exists, or whose staff account was disabled, yields no
//! viewer and is ended.

use crate::db::{owners, staff, Db};
use app::model::{OwnerId, StaffId, Viewer};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The session key under which the identity is stored.
pub const SESSION_KEY: &str = "glassbox.identity";

/// Who a session belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionIdentity {
    /// Owner or staff.
    pub subject: Subject,
    /// When they signed in (step-up and absolute timeouts use it).
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
    /// How they signed in.
    pub method: SignInMethod,
    /// The provider's ID token, as the hint for signing out there too.
    #[serde(default)]
    pub id_token: Option<String>,
    /// When the person last used the session (the idle limit runs from here). Absent in
    /// sessions made before it existed: their sign-in time stands in.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
    /// When the person last used a passkey in this session (to sign in, or to confirm an
    /// action): the actions that need a recent passkey read it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub passkey_at: Option<OffsetDateTime>,
}

impl SessionIdentity {
    /// Whether approving needs a fresh sign-in at the provider: only for provider
    /// sign-ins older than `minutes` (the local demo sign-in has no provider to return to).
    pub fn needs_step_up(&self, now: OffsetDateTime, minutes: i64) -> bool {
        self.method != SignInMethod::Demo
            && now - self.signed_in_at > time::Duration::minutes(minutes)
    }

    /// Whether the session has been idle longer than `idle` at `now`.
    pub fn idle_too_long(&self, now: OffsetDateTime, idle: time::Duration) -> bool {
        now - self.last_seen_at.unwrap_or(self.signed_in_at) > idle
    }

    /// Whether use at `now` should be written down: at most once per `step`, so a busy
    /// session costs one write a minute, not one per request.
    pub fn due_for_activity(&self, now: OffsetDateTime, step: time::Duration) -> bool {
        now - self.last_seen_at.unwrap_or(self.signed_in_at) >= step
    }

    /// Whether a staff session has outlived its absolute limit.
    pub fn staff_session_expired(&self, now: OffsetDateTime, hours: i64) -> bool {
        matches!(self.subject, Subject::Staff(_))
            && now - self.signed_in_at > time::Duration::hours(hours)
    }
}

/// The person behind a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// A mailbox owner.
    Owner(OwnerId),
    /// A staff member.
    Staff(StaffId),
}

/// How a session was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInMethod {
    /// The one-click local demo sign-in.
    Demo,
    /// OpenID Connect (owners).
    Oidc,
    /// OpenID Connect and a TOTP code (staff).
    OidcAndTotp,
    /// OpenID Connect and a passkey (staff).
    OidcAndPasskey,
}

/// Why an identity does not resolve to a viewer.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The person is gone or the staff account is disabled: end the session.
    #[error("the signed-in account no longer exists or is disabled")]
    Gone,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// The viewer for a session's subject.
pub async fn resolve(db: &Db, subject: Subject) -> Result<Viewer, ResolveError> {
    match subject {
        Subject::Owner(owner_id) => {
            let owner = owners::get_owner(db, owner_id)
                .await
                .map_err(anyhow::Error::from)?;
            let owner = owner.ok_or(ResolveError::Gone)?;
            Ok(Viewer::Owner {
                owner_id,
                display_name: owner.display_name,
                step_up_needed: false,
            })
        }
        Subject::Staff(staff_id) => {
            let member = staff::get_staff(db, staff_id).await?;
            let member = member
                .filter(|m| m.disabled_at.is_none())
                .ok_or(ResolveError::Gone)?;
            Ok(Viewer::Staff {
                staff_id,
                role: member.role,
                display_name: member.display_name,
            })
        }
    }
}

/// Parses a demo sign-in choice (`owner:<uuid>` or `staff:<uuid>`).
pub fn parse_demo_choice(value: &str) -> Option<Subject> {
    let (kind, id) = value.split_once(':')?;
    let id = uuid::Uuid::parse_str(id).ok()?;
    match kind {
        "owner" => Some(Subject::Owner(OwnerId(id))),
        "staff" => Some(Subject::Staff(StaffId(id))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_choice_names_an_owner_or_a_staff_member() {
        let id = uuid::Uuid::from_u128(5);
        assert_eq!(
            parse_demo_choice(&format!("owner:{id}")),
            Some(Subject::Owner(OwnerId(id)))
        );
        assert_eq!(
            parse_demo_choice(&format!("staff:{id}")),
            Some(Subject::Staff(StaffId(id)))
        );
    }

    fn identity(method: SignInMethod, subject: Subject, at: OffsetDateTime) -> SessionIdentity {
        SessionIdentity {
            last_seen_at: None,
            passkey_at: None,
            subject,
            signed_in_at: at,
            method,
            id_token: None,
        }
    }

    #[test]
    fn approving_needs_a_provider_sign_in_within_the_step_up_window() {
        let t0 = time::macros::datetime!(2026-11-29 12:00 UTC);
        let owner = Subject::Owner(OwnerId(uuid::Uuid::from_u128(1)));
        let oidc = identity(SignInMethod::Oidc, owner, t0);
        assert!(!oidc.needs_step_up(t0 + time::Duration::minutes(10), 10));
        assert!(oidc.needs_step_up(t0 + time::Duration::minutes(11), 10));
        assert!(!identity(SignInMethod::Demo, owner, t0)
            .needs_step_up(t0 + time::Duration::hours(5), 10));
    }

    #[test]
    fn a_staff_session_ends_after_its_absolute_limit_whatever_the_activity() {
        let t0 = time::macros::datetime!(2026-11-29 12:00 UTC);
        let staff = identity(
            SignInMethod::OidcAndTotp,
            Subject::Staff(StaffId(uuid::Uuid::from_u128(2))),
            t0,
        );
        assert!(!staff.staff_session_expired(t0 + time::Duration::hours(8), 8));
        assert!(staff.staff_session_expired(
            t0 + time::Duration::hours(8) + time::Duration::seconds(1),
            8
        ));
        let owner = identity(
            SignInMethod::Oidc,
            Subject::Owner(OwnerId(uuid::Uuid::from_u128(1))),
            t0,
        );
        assert!(!owner.staff_session_expired(t0 + time::Duration::days(3), 8));
    }

    #[test]
    fn anything_else_is_not_a_demo_choice() {
        assert_eq!(
            parse_demo_choice("admin:00000000-0000-0000-0000-000000000005"),
            None
        );
        assert_eq!(parse_demo_choice("owner:not-a-uuid"), None);
        assert_eq!(parse_demo_choice("owner"), None);
        assert_eq!(parse_demo_choice(""), None);
    }
}
