//! `GLASSBOX__INCIDENTS__…`: what affected owners are told after an incident, and how
//! fast their notices are queued.

use serde::{Deserialize, Serialize};

use super::Environment;

/// What affected owners are told to do and whom to contact after an incident.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// `GLASSBOX__INCIDENTS__PASSWORD_URL`: the provider's page for changing a mailbox
    /// password, linked from incident notices. Empty (the local default): owners are told to
    /// change it in their mail account's settings, without a link. Required in production.
    pub password_url: String,
    /// `GLASSBOX__INCIDENTS__CONTACT`: where owners can ask questions (an address or a page).
    pub contact: String,
    /// `GLASSBOX__INCIDENTS__NOTICE_BATCH` (default 1000): notices queued per transaction, so a
    /// large incident never holds the database for long.
    pub notice_batch: i64,
}

impl Default for IncidentSettings {
    fn default() -> Self {
        Self {
            password_url: String::new(),
            contact: "security@localhost".into(),
            notice_batch: 1000,
        }
    }
}

impl IncidentSettings {
    /// The problems in this section, each naming its key.
    pub fn validate(&self, environment: Environment) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=10_000).contains(&self.notice_batch) {
            problems.push("GLASSBOX__INCIDENTS__NOTICE_BATCH must be between 1 and 10000".into());
        }
        if !(self.password_url.is_empty()
            || self.password_url.starts_with("https://")
            || self.password_url.starts_with("http://"))
        {
            problems.push("GLASSBOX__INCIDENTS__PASSWORD_URL must be an http(s) address".into());
        }
        if environment == Environment::Production
            && (self.password_url.is_empty() || self.contact == Self::default().contact)
        {
            problems.push("GLASSBOX__INCIDENTS__PASSWORD_URL and GLASSBOX__INCIDENTS__CONTACT must name your own password page and contact in production".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_batch_out_of_range_is_refused_by_name() {
        let incidents = IncidentSettings {
            notice_batch: 0,
            ..IncidentSettings::default()
        };
        let problems = incidents.validate(Environment::Local);
        assert!(
            problems[0].contains("GLASSBOX__INCIDENTS__NOTICE_BATCH"),
            "{problems:?}"
        );
        assert!(IncidentSettings::default()
            .validate(Environment::Local)
            .is_empty());
    }
}
