//! Who may ask for access, and the recertification that keeps the list short: the one
//! place these rules are decided. A support agent may ask owners for access only while
//! their account is enabled and their certification is current: a security admin must
//! re-approve each agent every `staff.recertify_every_days`, or the agent's ability to
//! request lapses at the deadline — on the dot, whether or not anything wrote the lapse
//! down yet. Security admins do not ask for access and are not recertified.

use app::model::{Recertification, StaffRole};
use time::{Duration, OffsetDateTime};

/// How long before the deadline an agent is listed as due soon (or half the period, when
/// the period is shorter than twice this).
pub const DUE_SOON: Duration = Duration::days(14);

/// What the rule needs to know about a staff member.
#[derive(Clone, Copy, Debug)]
pub struct StaffStanding {
    /// Their role.
    pub role: StaffRole,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When they were last certified (added or recertified).
    pub certified_at: OffsetDateTime,
}

/// Why someone may not ask for access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefusal {
    /// The account is disabled.
    #[error("the staff account is disabled")]
    Disabled,
    /// Only support agents ask for access.
    #[error("only support agents request access to mailboxes")]
    NotSupport,
    /// The certification ran out at `since`.
    #[error("the staff member's permission to request access lapsed at {since}: no security admin recertified them in time")]
    Lapsed {
        /// The deadline that passed.
        since: OffsetDateTime,
    },
}

/// The deadline of a certification made at `certified_at`.
pub fn deadline(certified_at: OffsetDateTime, every: Duration) -> OffsetDateTime {
    certified_at + every
}

/// The warning period before a deadline.
pub fn due_soon_window(every: Duration) -> Duration {
    DUE_SOON.min(every / 2)
}

/// Whether `who` may ask for access at `now`. A certification is good for
/// `[certified_at, certified_at + every)`: at the deadline itself it has lapsed.
pub fn may_request(
    who: StaffStanding,
    every: Duration,
    now: OffsetDateTime,
) -> Result<(), RequestRefusal> {
    if who.disabled {
        return Err(RequestRefusal::Disabled);
    }
    if who.role != StaffRole::Support {
        return Err(RequestRefusal::NotSupport);
    }
    let until = deadline(who.certified_at, every);
    if now >= until {
        return Err(RequestRefusal::Lapsed { since: until });
    }
    Ok(())
}

/// Where `who` stands with recertification at `now`.
pub fn standing(who: StaffStanding, every: Duration, now: OffsetDateTime) -> Recertification {
    if who.disabled || who.role != StaffRole::Support {
        return Recertification::NotApplicable;
    }
    let until = deadline(who.certified_at, every);
    if now >= until {
        Recertification::Lapsed { since: until }
    } else if until - now <= due_soon_window(every) {
        Recertification::DueSoon { until }
    } else {
        Recertification::Current { until }
    }
}

/// Why a security admin may not act on a staff member from the roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RosterRefusal {
    /// Nobody disables their own account from the roster (another admin must).
    #[error("You cannot disable your own account. Ask another security admin.")]
    OwnAccount,
    /// Only support agents are recertified.
    #[error("Only support agents are recertified: security admins do not ask for access.")]
    NotSupport,
    /// A disabled account cannot be recertified.
    #[error("This account is disabled; a disabled account is not recertified. Add the person again if they need access.")]
    Disabled,
}

/// Whether admin `by` may disable `target`.
pub fn may_disable(
    by: app::model::StaffId,
    target: app::model::StaffId,
) -> Result<(), RosterRefusal> {
    if by == target {
        return Err(RosterRefusal::OwnAccount);
    }
    Ok(())
}

/// Whether `target` can be recertified.
pub fn may_recertify(target: StaffStanding) -> Result<(), RosterRefusal> {
    if target.disabled {
        return Err(RosterRefusal::Disabled);
    }
    if target.role != StaffRole::Support {
        return Err(RosterRefusal::NotSupport);
    }
    Ok(())
}

/// The fewest decided requests on either side before refusal rates are compared (below
/// that, one refusal would look like a pattern).
pub const OUTLIER_MIN_DECIDED: i64 = 5;

/// Whether an agent's requests are refused far more often than everyone else's: with at
/// least [`OUTLIER_MIN_DECIDED`] owner decisions on both sides, the agent's refusal rate is
/// at least twice the others' and at least 20 percentage points above it. `denied` and
/// `decided` count owner decisions (approved or denied).
pub fn refused_far_more_often(
    denied: i64,
    decided: i64,
    others_denied: i64,
    others_decided: i64,
) -> bool {
    if decided < OUTLIER_MIN_DECIDED || others_decided < OUTLIER_MIN_DECIDED {
        return false;
    }
    // Cross-multiplied, so no rounding: d/n >= 2·od/on  and  d/n - od/on >= 1/5.
    let twice = denied * others_decided >= 2 * others_denied * decided;
    let points =
        5 * (denied * others_decided - others_denied * decided) >= decided * others_decided;
    twice && points
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const EVERY: Duration = Duration::days(90);
    const CERTIFIED: OffsetDateTime = datetime!(2026-09-01 09:00:00 UTC);

    fn agent() -> StaffStanding {
        StaffStanding {
            role: StaffRole::Support,
            disabled: false,
            certified_at: CERTIFIED,
        }
    }

    #[test]
    fn an_agent_may_request_until_the_second_before_the_deadline_and_not_at_it() {
        let deadline = CERTIFIED + EVERY;
        assert_eq!(
            may_request(agent(), EVERY, deadline - Duration::seconds(1)),
            Ok(())
        );
        assert_eq!(
            may_request(agent(), EVERY, deadline),
            Err(RequestRefusal::Lapsed { since: deadline })
        );
        assert_eq!(
            may_request(agent(), EVERY, deadline + Duration::days(1)),
            Err(RequestRefusal::Lapsed { since: deadline })
        );
    }

    #[test]
    fn a_recertification_starts_a_new_full_period() {
        let later = StaffStanding {
            certified_at: CERTIFIED + EVERY + Duration::days(3),
            ..agent()
        };
        let now = CERTIFIED + EVERY + Duration::days(4);
        assert!(may_request(agent(), EVERY, now).is_err());
        assert_eq!(may_request(later, EVERY, now), Ok(()));
    }

    #[test]
    fn a_disabled_agent_or_an_admin_never_requests_whatever_their_certification() {
        let disabled = StaffStanding {
            disabled: true,
            ..agent()
        };
        assert_eq!(
            may_request(disabled, EVERY, CERTIFIED),
            Err(RequestRefusal::Disabled)
        );
        let admin = StaffStanding {
            role: StaffRole::SecurityAdmin,
            ..agent()
        };
        assert_eq!(
            may_request(admin, EVERY, CERTIFIED),
            Err(RequestRefusal::NotSupport)
        );
        assert_eq!(
            standing(admin, EVERY, CERTIFIED + EVERY * 2),
            Recertification::NotApplicable
        );
    }

    #[test]
    fn the_roster_shows_current_then_due_soon_then_lapsed() {
        let deadline = CERTIFIED + EVERY;
        assert_eq!(
            standing(agent(), EVERY, CERTIFIED),
            Recertification::Current { until: deadline }
        );
        assert_eq!(
            standing(agent(), EVERY, deadline - DUE_SOON),
            Recertification::DueSoon { until: deadline }
        );
        assert_eq!(
            standing(agent(), EVERY, deadline),
            Recertification::Lapsed { since: deadline }
        );
        // A short period warns for half of it, not for all of it.
        assert_eq!(due_soon_window(Duration::days(10)), Duration::days(5));
    }

    #[test]
    fn an_agent_refused_twice_as_often_and_by_twenty_points_more_stands_out() {
        // 4 of 8 refused against 10 of 100: 50 % against 10 %.
        assert!(refused_far_more_often(4, 8, 10, 100));
        // Twice as often, but 4 % against 2 %: not far more.
        assert!(!refused_far_more_often(4, 100, 2, 100));
        // 30 points more but not twice: 60 % against 35 %.
        assert!(!refused_far_more_often(60, 100, 35, 100));
        // Too few decisions to tell.
        assert!(!refused_far_more_often(4, 4, 0, 100));
        assert!(!refused_far_more_often(4, 8, 0, 4));
        // Never refused: never an outlier.
        assert!(!refused_far_more_often(0, 50, 0, 50));
    }

    #[test]
    fn nobody_disables_themselves_and_only_enabled_agents_are_recertified() {
        let me = app::model::StaffId::new();
        assert_eq!(may_disable(me, me), Err(RosterRefusal::OwnAccount));
        assert_eq!(may_disable(me, app::model::StaffId::new()), Ok(()));
        assert_eq!(may_recertify(agent()), Ok(()));
        assert_eq!(
            may_recertify(StaffStanding {
                disabled: true,
                ..agent()
            }),
            Err(RosterRefusal::Disabled)
        );
        assert_eq!(
            may_recertify(StaffStanding {
                role: StaffRole::SecurityAdmin,
                ..agent()
            }),
            Err(RosterRefusal::NotSupport)
        );
    }
}
