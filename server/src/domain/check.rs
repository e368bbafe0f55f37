//! The access check's decision, pure: given what the deciding transaction read (whether the
//! agent is disabled, the agent's live grants on the mailbox) and the time, allow or deny,
//! and why in the words the owner reads. The log writer calls it inside the transaction
//! that records the event.

use super::access_request::grant_allows;
use app::model::{AccessRequestStatus, Decision, RequestId, Scope};
use time::OffsetDateTime;

/// A grant as a check sees it: an approved request and its window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The request that was approved.
    pub id: RequestId,
    /// Its status as read (a grant is only ever read while `approved`, but the rule checks).
    pub status: AccessRequestStatus,
    /// What it allows.
    pub scopes: Vec<Scope>,
    /// When it started.
    pub starts_at: Option<OffsetDateTime>,
    /// When it ends.
    pub ends_at: Option<OffsetDateTime>,
    /// An emergency access (break-glass), which the owner was not asked for.
    pub break_glass: bool,
}

/// Why an allowed check was allowed, in the owner's words: never "you approved" for an
/// access the owner was not asked for.
fn allowed_by(g: &Grant) -> &'static str {
    if g.break_glass {
        "Allowed: emergency access approved by two security admins"
    } else {
        "Allowed: you approved this access"
    }
}

/// What a check decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckDecision {
    /// Allowed or denied.
    pub decision: Decision,
    /// Why, in plain words (the owner reads the same words).
    pub reason: &'static str,
    /// The grant that allowed it.
    pub grant: Option<Grant>,
}

/// Decides one check from the agent's state and live grants on the mailbox at `now`.
pub fn decide(
    agent_disabled: bool,
    grants: &[Grant],
    scope: Scope,
    now: OffsetDateTime,
) -> CheckDecision {
    let deny = |reason| CheckDecision {
        decision: Decision::Denied,
        reason,
        grant: None,
    };
    if agent_disabled {
        return deny("Refused: the staff account is disabled");
    }
    match grants
        .iter()
        .find(|g| grant_allows(g.status, &g.scopes, g.starts_at, g.ends_at, scope, now))
    {
        Some(g) => CheckDecision {
            decision: Decision::Allowed,
            reason: allowed_by(g),
            grant: Some(g.clone()),
        },
        None if !grants.is_empty() => deny("Refused: outside what you approved"),
        None => deny("Refused: no approved request"),
    }
}

/// The per-grant IMAP credential a login presented, as the deciding transaction read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresentedCredential {
    /// The request (grant) it was made for.
    pub request: RequestId,
    /// Whether it was revoked (replaced by a newer one).
    pub revoked: bool,
}

/// Decides a staff IMAP login (Dovecot's master passdb): an IMAP session reads message
/// content, so it needs a live grant with the `content` scope, and the credential must be
/// the live one made for exactly that grant (so for that mailbox, that agent and that
/// window). `credential` is `None` when no credential has the presented secret's hash.
/// The words for a missing or narrower grant are the check's own.
pub fn decide_imap_login(
    agent_disabled: bool,
    grants: &[Grant],
    credential: Option<PresentedCredential>,
    now: OffsetDateTime,
) -> CheckDecision {
    let plain = decide(agent_disabled, grants, Scope::Content, now);
    if plain.decision == Decision::Denied {
        return plain;
    }
    let deny = |reason| CheckDecision {
        decision: Decision::Denied,
        reason,
        grant: None,
    };
    match credential {
        None => deny("Refused: wrong IMAP credential"),
        Some(c) if c.revoked => deny("Refused: this IMAP credential was replaced"),
        Some(c) => match grants.iter().find(|g| {
            g.id == c.request
                && grant_allows(
                    g.status,
                    &g.scopes,
                    g.starts_at,
                    g.ends_at,
                    Scope::Content,
                    now,
                )
        }) {
            Some(g) => CheckDecision {
                decision: Decision::Allowed,
                reason: allowed_by(g),
                grant: Some(g.clone()),
            },
            None => deny("Refused: this IMAP credential is for another access"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

    fn grant(scopes: &[Scope]) -> Grant {
        Grant {
            id: RequestId(uuid::Uuid::from_u128(7)),
            status: AccessRequestStatus::Approved,
            scopes: scopes.to_vec(),
            starts_at: Some(NOW - time::Duration::minutes(5)),
            ends_at: Some(NOW + time::Duration::minutes(55)),
            break_glass: false,
        }
    }

    #[test]
    fn an_access_under_an_emergency_access_never_says_the_owner_approved_it() {
        let emergency = Grant {
            break_glass: true,
            ..grant(&[Scope::Metadata])
        };
        let d = decide(false, &[emergency], Scope::Metadata, NOW);
        assert_eq!(d.decision, Decision::Allowed);
        assert_eq!(
            d.reason,
            "Allowed: emergency access approved by two security admins"
        );
        let ordinary = decide(false, &[grant(&[Scope::Metadata])], Scope::Metadata, NOW);
        assert_eq!(ordinary.reason, "Allowed: you approved this access");
    }

    #[test]
    fn a_live_grant_in_scope_allows_and_names_the_grant() {
        let d = decide(false, &[grant(&[Scope::Metadata])], Scope::Metadata, NOW);
        assert_eq!(d.decision, Decision::Allowed);
        assert_eq!(
            d.grant.map(|g| g.id),
            Some(RequestId(uuid::Uuid::from_u128(7)))
        );
    }

    #[test]
    fn a_disabled_agent_is_refused_whatever_they_were_granted() {
        let d = decide(true, &[grant(&[Scope::Metadata])], Scope::Metadata, NOW);
        assert_eq!(d.decision, Decision::Denied);
        assert_eq!(d.reason, "Refused: the staff account is disabled");
        assert!(d.grant.is_none());
    }

    #[test]
    fn a_grant_for_another_scope_is_outside_what_was_approved() {
        let d = decide(false, &[grant(&[Scope::Metadata])], Scope::Content, NOW);
        assert_eq!(d.decision, Decision::Denied);
        assert_eq!(d.reason, "Refused: outside what you approved");
    }

    #[test]
    fn no_grant_at_all_is_no_approved_request() {
        let d = decide(false, &[], Scope::Metadata, NOW);
        assert_eq!(d.reason, "Refused: no approved request");
    }

    fn credential(request: u128) -> Option<PresentedCredential> {
        Some(PresentedCredential {
            request: RequestId(uuid::Uuid::from_u128(request)),
            revoked: false,
        })
    }

    #[test]
    fn an_imap_login_with_the_grants_credential_is_allowed() {
        let d = decide_imap_login(false, &[grant(&[Scope::Content])], credential(7), NOW);
        assert_eq!(d.decision, Decision::Allowed);
    }

    #[test]
    fn an_imap_login_needs_the_content_scope() {
        let d = decide_imap_login(false, &[grant(&[Scope::Metadata])], credential(7), NOW);
        assert_eq!(d.reason, "Refused: outside what you approved");
    }

    #[test]
    fn an_imap_login_with_an_unknown_secret_is_refused() {
        let d = decide_imap_login(false, &[grant(&[Scope::Content])], None, NOW);
        assert_eq!(d.reason, "Refused: wrong IMAP credential");
    }

    #[test]
    fn another_grants_credential_opens_nothing() {
        let d = decide_imap_login(false, &[grant(&[Scope::Content])], credential(8), NOW);
        assert_eq!(
            d.reason,
            "Refused: this IMAP credential is for another access"
        );
        assert!(d.grant.is_none());
    }

    #[test]
    fn a_replaced_credential_opens_nothing() {
        let mut c = credential(7);
        if let Some(c) = c.as_mut() {
            c.revoked = true;
        }
        let d = decide_imap_login(false, &[grant(&[Scope::Content])], c, NOW);
        assert_eq!(d.decision, Decision::Denied);
    }

    #[test]
    fn no_grant_refuses_an_imap_login_whatever_the_credential() {
        let d = decide_imap_login(false, &[], credential(7), NOW);
        assert_eq!(d.reason, "Refused: no approved request");
    }

    #[test]
    fn a_grant_past_its_end_allows_nothing() {
        let mut g = grant(&[Scope::Metadata]);
        g.ends_at = Some(NOW);
        assert_eq!(
            decide(false, &[g], Scope::Metadata, NOW).decision,
            Decision::Denied
        );
    }
}
