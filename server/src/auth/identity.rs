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
