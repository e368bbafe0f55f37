//! `GLASSBOX__STAFF__…`: where staff may work from, how often support agents are
//! recertified, and the passkey rules.

use serde::{Deserialize, Serialize};

/// Staff console settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffSettings {
    /// `GLASSBOX__STAFF__ALLOWED_NETWORKS` (default: any): comma-separated CIDR blocks
    /// (`10.0.0.0/8,fd00::/8`) from which staff may sign in and use the console. Enforced
    /// on the server for every staff request.
    pub allowed_networks: Vec<ipnet::IpNet>,
    /// `GLASSBOX__STAFF__TRUSTED_PROXY_HEADER` (default: none): the header (e.g.
    /// `x-forwarded-for`) to which the proxy in front of Glassbox appends the address it
    /// saw. Never set it unless Glassbox is only reachable through that proxy.
    pub trusted_proxy_header: Option<String>,
    /// `GLASSBOX__STAFF__TRUSTED_PROXY_HOPS` (default 1): how many proxies append to that
    /// header; the client is the entry this many places from the right. Entries further
    /// left were written by the client and are never believed.
    pub trusted_proxy_hops: u8,
    /// `GLASSBOX__STAFF__RECERTIFY_EVERY_DAYS` (default 90, 1 to 3650): how long a security
    /// admin's approval of a support agent lasts. At the deadline the agent may no longer
    /// ask for access until an admin recertifies them on `/admin/staff`.
    pub recertify_every_days: u32,
    /// `GLASSBOX__STAFF__REQUIRE_PASSKEY` (default false): staff sign in with a passkey
    /// only; the TOTP code is no longer accepted, and a staff member's last passkey cannot
    /// be removed. Off, TOTP stays the fallback for staff who have not added a passkey.
    pub require_passkey: bool,
    /// `GLASSBOX__STAFF__PASSKEY_FRESH_MINUTES` (default 5, 1 to 60): how recent a passkey
    /// confirmation must be to approve an emergency access or disable a staff member (and,
    /// for an owner who added a passkey, to approve access to their mailbox).
    pub passkey_fresh_minutes: i64,
}

impl Default for StaffSettings {
    fn default() -> Self {
        Self {
            allowed_networks: Vec::new(),
            trusted_proxy_header: None,
            trusted_proxy_hops: 1,
            recertify_every_days: 90,
            require_passkey: false,
            passkey_fresh_minutes: 5,
        }
    }
}

impl StaffSettings {
    /// Whether staff may work from `ip`.
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.allowed_networks.is_empty() || self.allowed_networks.iter().any(|n| n.contains(&ip))
    }

    /// How recent a passkey confirmation must be for the actions that need one.
    pub fn passkey_fresh(&self) -> time::Duration {
        time::Duration::minutes(self.passkey_fresh_minutes)
    }

    /// How long a certification lasts.
    pub fn recertify_every(&self) -> time::Duration {
        time::Duration::days(i64::from(self.recertify_every_days))
    }

    /// The problems in this section, each naming its key. A proxy header that no request
    /// can carry would silently never be read, and every staff member would appear to come
    /// from the proxy.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.trusted_proxy_hops == 0 {
            problems.push("GLASSBOX__STAFF__TRUSTED_PROXY_HOPS must be at least 1 (the proxy in front of Glassbox)".into());
        }
        if !(1..=3650).contains(&self.recertify_every_days) {
            problems.push(format!(
                "GLASSBOX__STAFF__RECERTIFY_EVERY_DAYS ({}) must be between 1 and 3650 days",
                self.recertify_every_days
            ));
        }
        if !(1..=60).contains(&self.passkey_fresh_minutes) {
            problems.push(format!(
                "GLASSBOX__STAFF__PASSKEY_FRESH_MINUTES ({}) must be between 1 and 60 minutes",
                self.passkey_fresh_minutes
            ));
        }
        if let Some(header) = &self.trusted_proxy_header {
            if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                problems.push(format!(
                    "GLASSBOX__STAFF__TRUSTED_PROXY_HEADER ({header}) is not a valid HTTP header name"
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_header_that_is_not_a_header_name_is_refused_by_name() {
        let staff = StaffSettings {
            trusted_proxy_header: Some("x forwarded for".into()),
            ..StaffSettings::default()
        };
        let problems = staff.validate();
        assert!(
            problems[0].contains("GLASSBOX__STAFF__TRUSTED_PROXY_HEADER"),
            "{problems:?}"
        );
        let staff = StaffSettings {
            trusted_proxy_header: Some("x-forwarded-for".into()),
            ..StaffSettings::default()
        };
        assert!(staff.validate().is_empty());
    }

    #[test]
    fn a_recertification_period_of_zero_or_over_ten_years_is_refused_by_name() {
        for days in [0, 3651] {
            let staff = StaffSettings {
                recertify_every_days: days,
                ..StaffSettings::default()
            };
            let problems = staff.validate();
            assert!(
                problems.len() == 1
                    && problems[0].contains("GLASSBOX__STAFF__RECERTIFY_EVERY_DAYS"),
                "{problems:?}"
            );
        }
        assert_eq!(StaffSettings::default().recertify_every_days, 90);
        assert!(StaffSettings::default().validate().is_empty());
    }
}
