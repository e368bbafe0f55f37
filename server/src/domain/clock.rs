//! Time is passed in: services read `now` from a [`Clock`], so tests can freeze it and
//! expiry is decided by one authoritative source.
//!
//! The running server's clock is the wall clock read **once**, at start, and moved on by
//! the monotonic clock from then on: a jump of the system clock (a wrong NTP step, an
//! operator's `date -s`, a VM restored from a snapshot) neither extends a grant nor cuts it
//! short. The cost: a real correction of the wall clock reaches Glassbox at its next
//! start (each instance anchors itself; keep the hosts' clocks in sync).

use std::sync::{Arc, Mutex};
use std::time::Instant;
use time::OffsetDateTime;

/// Where `now` comes from.
#[derive(Clone, Debug)]
pub enum Clock {
    /// The wall clock at start, moved on by the monotonic clock ([`Clock::system`]).
    Steady {
        /// The wall clock when this clock was made.
        wall: OffsetDateTime,
        /// The monotonic clock then.
        mono: Instant,
    },
    /// A clock that only moves when told to (tests).
    Fixed(Arc<Mutex<OffsetDateTime>>),
}

impl Clock {
    /// The server's clock: anchored to the wall clock now, moved on by the monotonic clock.
    pub fn system() -> Self {
        Clock::Steady {
            wall: OffsetDateTime::now_utc(),
            mono: Instant::now(),
        }
    }

    /// A frozen clock at `t`.
    pub fn fixed(t: OffsetDateTime) -> Self {
        Clock::Fixed(Arc::new(Mutex::new(t)))
    }

    /// The current time, UTC.
    pub fn now(&self) -> OffsetDateTime {
        match self {
            Clock::Steady { wall, mono } => *wall + mono.elapsed(),
            Clock::Fixed(t) => match t.lock() {
                Ok(t) => *t,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// Moves a fixed clock forward; does nothing to the system clock.
    pub fn advance(&self, by: time::Duration) {
        if let Clock::Fixed(t) = self {
            let mut guard = match t.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            *guard += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_system_clock_moves_with_the_monotonic_clock_from_the_wall_clock_at_start() {
        let before = OffsetDateTime::now_utc();
        let clock = Clock::system();
        let first = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = clock.now();
        assert!(first >= before - time::Duration::seconds(1));
        assert!(second - first >= time::Duration::milliseconds(20));
        assert!(second - first < time::Duration::seconds(5));
    }

    #[test]
    fn a_fixed_clock_only_moves_when_advanced() {
        let clock = Clock::fixed(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
        clock.advance(time::Duration::minutes(90));
        assert_eq!(clock.now(), datetime!(2026-01-01 01:30 UTC));
    }
}
