//! Time is passed in: services read `now` from a [`Clock`], so tests can freeze it and
//! expiry is decided by one authoritative source.

use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// Where `now` comes from.
#[derive(Clone, Debug)]
pub enum Clock {
    /// The system clock.
    System,
    /// A clock that only moves when told to (tests).
    Fixed(Arc<Mutex<OffsetDateTime>>),
}

impl Clock {
    /// A frozen clock at `t`.
    pub fn fixed(t: OffsetDateTime) -> Self {
        Clock::Fixed(Arc::new(Mutex::new(t)))
    }

    /// The current time, UTC.
    pub fn now(&self) -> OffsetDateTime {
        match self {
            Clock::System => OffsetDateTime::now_utc(),
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
    fn a_fixed_clock_only_moves_when_advanced() {
        let clock = Clock::fixed(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
        clock.advance(time::Duration::minutes(90));
        assert_eq!(clock.now(), datetime!(2026-01-01 01:30 UTC));
    }
}
