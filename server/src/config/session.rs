//! `GLASSBOX__SESSION__…`: how long sign-ins last and how their cookie is marked.

use serde::{Deserialize, Serialize};

/// Session settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// `GLASSBOX__SESSION__SECURE_COOKIE` (default: on when `PUBLIC_URL` is https): mark the
    /// session cookie `Secure`. Must be on in production.
    pub secure_cookie: Option<bool>,
    /// `GLASSBOX__SESSION__OWNER_IDLE_MINUTES` (default 60): an owner's session ends after this long unused.
    pub owner_idle_minutes: i64,
    /// `GLASSBOX__SESSION__STAFF_IDLE_MINUTES` (default 15): a staff session ends after this long unused.
    pub staff_idle_minutes: i64,
    /// `GLASSBOX__SESSION__CLEANUP_INTERVAL_SECONDS` (default 600): how often expired sessions are deleted.
    pub cleanup_interval_seconds: u64,
    /// `GLASSBOX__SESSION__STAFF_ABSOLUTE_HOURS` (default 8): a staff session ends this long
    /// after sign-in, however active.
    pub staff_absolute_hours: i64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            secure_cookie: None,
            owner_idle_minutes: 60,
            staff_idle_minutes: 15,
            cleanup_interval_seconds: 600,
            staff_absolute_hours: 8,
        }
    }
}

impl SessionSettings {
    /// The problems in this section, each naming its key. A lifetime below one unit would
    /// end every session as it starts. (Whether the cookie must be `Secure` depends on the
    /// public URL too, so [`super::Settings::validate`] checks it.)
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.owner_idle_minutes < 1
            || self.staff_idle_minutes < 1
            || self.staff_absolute_hours < 1
        {
            problems.push("GLASSBOX__SESSION__OWNER_IDLE_MINUTES, __STAFF_IDLE_MINUTES and __STAFF_ABSOLUTE_HOURS must be at least 1".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_that_would_end_as_it_starts_is_refused_by_name() {
        let session = SessionSettings {
            staff_idle_minutes: 0,
            ..SessionSettings::default()
        };
        let problems = session.validate();
        assert!(
            problems[0].contains("GLASSBOX__SESSION__OWNER_IDLE_MINUTES"),
            "{problems:?}"
        );
        assert!(SessionSettings::default().validate().is_empty());
    }
}
