//! When the owner's alerts that no request transition causes are due: "this access ends in
//! 10 minutes", and refused access attempts, reported once per burst (a probe with a stolen
//! staff credential looks like a burst of refusals), never once per refusal.

use time::{Duration, OffsetDateTime};

/// How long before a grant ends its owner is warned.
pub const END_WARNING_LEAD: Duration = Duration::minutes(10);
/// A burst of refusals is over once none came for this long: its alert goes then.
pub const REFUSALS_QUIET: Duration = Duration::minutes(1);
/// A burst that goes on is still reported after this long, and every this long after.
pub const REFUSALS_LONGEST_WAIT: Duration = Duration::minutes(15);
/// Refusals older than this are never alerted (an upgrade, or a seeded history, sends no
/// old news).
pub const REFUSALS_RECENT: Duration = Duration::hours(1);

/// Whether the alert of a burst of refusals from `first_at` to `last_at` is due at `now`: it
/// has been quiet for a while, or it has lasted long enough that the owner must hear of it.
pub fn burst_is_due(
    first_at: OffsetDateTime,
    last_at: OffsetDateTime,
    now: OffsetDateTime,
) -> bool {
    now - last_at >= REFUSALS_QUIET || now - first_at >= REFUSALS_LONGEST_WAIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_burst_is_reported_once_it_has_been_quiet_for_a_minute() {
        let start = datetime!(2026-12-02 10:00 UTC);
        let last = start + Duration::seconds(20);
        assert!(!burst_is_due(start, last, start + Duration::seconds(50)));
        assert!(burst_is_due(start, last, start + Duration::seconds(80)));
    }

    #[test]
    fn a_burst_that_goes_on_is_reported_after_fifteen_minutes_anyway() {
        let start = datetime!(2026-12-02 10:00 UTC);
        let last = start + Duration::minutes(15);
        assert!(!burst_is_due(start, last, start + Duration::minutes(14)));
        assert!(burst_is_due(start, last, start + Duration::minutes(15)));
    }
}
