//! `GLASSBOX__REQUESTS__…`: how long access requests wait and how long grants last.

use serde::{Deserialize, Serialize};

/// Access request defaults and limits.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestSettings {
    /// `GLASSBOX__REQUESTS__PENDING_EXPIRY_MINUTES` (default 1440): an undecided request expires after this.
    pub pending_expiry_minutes: i64,
    /// `GLASSBOX__REQUESTS__DEFAULT_GRANT_MINUTES` (default 60): how long an approved grant
    /// lasts when the requester names no duration.
    pub default_grant_minutes: i64,
    /// `GLASSBOX__REQUESTS__MAX_GRANT_MINUTES` (default 480): the longest grant anyone may ask for.
    pub max_grant_minutes: i64,
    /// `GLASSBOX__REQUESTS__SWEEP_INTERVAL_SECONDS` (default 30): how often expiries and grant
    /// ends are written down (checks never depend on it: they compare times themselves).
    pub sweep_interval_seconds: u64,
    /// `GLASSBOX__REQUESTS__BREAK_GLASS_MAX_MINUTES` (default 240): the longest emergency
    /// access (break-glass) a security admin may open; it works without the owner's consent,
    /// so keep it short.
    pub break_glass_max_minutes: i64,
    /// `GLASSBOX__REQUESTS__BREAK_GLASS_APPROVE_WITHIN_MINUTES` (default 60): an emergency
    /// access no second security admin approved in this time expires unused.
    pub break_glass_approve_within_minutes: i64,
    /// `GLASSBOX__REQUESTS__LEGAL_HOLD_MAX_DAYS` (default 365): the furthest release date a
    /// legal hold (or an extension of one) may set for the owner's sealed notice, in days
    /// from the day it is asked for. A longer order is extended, by two admins, before it
    /// runs out.
    pub legal_hold_max_days: i64,
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            pending_expiry_minutes: 24 * 60,
            default_grant_minutes: 60,
            max_grant_minutes: 8 * 60,
            sweep_interval_seconds: 30,
            break_glass_max_minutes: 4 * 60,
            break_glass_approve_within_minutes: 60,
            legal_hold_max_days: 365,
        }
    }
}

impl RequestSettings {
    /// The problems in this section, each naming its key.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max_grant_minutes < 1 || self.default_grant_minutes < 1 {
            problems.push("GLASSBOX__REQUESTS__DEFAULT_GRANT_MINUTES and __MAX_GRANT_MINUTES must be at least 1".into());
        } else if self.default_grant_minutes > self.max_grant_minutes {
            problems.push("GLASSBOX__REQUESTS__DEFAULT_GRANT_MINUTES must not exceed GLASSBOX__REQUESTS__MAX_GRANT_MINUTES".into());
        }
        if self.break_glass_max_minutes < 1 {
            problems.push("GLASSBOX__REQUESTS__BREAK_GLASS_MAX_MINUTES must be at least 1".into());
        }
        if self.break_glass_approve_within_minutes < 1 {
            problems.push(
                "GLASSBOX__REQUESTS__BREAK_GLASS_APPROVE_WITHIN_MINUTES must be at least 1".into(),
            );
        }
        if !(1..=3660).contains(&self.legal_hold_max_days) {
            problems.push(
                "GLASSBOX__REQUESTS__LEGAL_HOLD_MAX_DAYS must be between 1 and 3660 (ten years)"
                    .into(),
            );
        }
        if self.pending_expiry_minutes < 1 {
            problems.push("GLASSBOX__REQUESTS__PENDING_EXPIRY_MINUTES must be at least 1".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_grant_longer_than_the_maximum_is_refused_by_name() {
        let requests = RequestSettings {
            default_grant_minutes: 600,
            ..RequestSettings::default()
        };
        let problems = requests.validate();
        assert!(
            problems[0].contains("must not exceed GLASSBOX__REQUESTS__MAX_GRANT_MINUTES"),
            "{problems:?}"
        );
        assert!(RequestSettings::default().validate().is_empty());
    }
}
