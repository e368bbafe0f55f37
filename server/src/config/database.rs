//! `GLASSBOX__DATABASE__…`: which database, and how many connections to it.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::mask_opt_secret;

/// Database settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `GLASSBOX__DATABASE__URL` (default `sqlite://<data_dir>/glassbox.db`): a `sqlite://` or
    /// `postgres://` URL. May hold a password: printed masked.
    #[serde(serialize_with = "mask_opt_secret")]
    pub url: Option<SecretString>,
    /// `GLASSBOX__DATABASE__MAX_CONNECTIONS` (default 10): the size of the connection pool.
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 10,
        }
    }
}

impl DatabaseSettings {
    /// The problems in this section, each naming its key. The URL is never quoted: it may
    /// hold a password.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max_connections < 1 {
            problems.push("GLASSBOX__DATABASE__MAX_CONNECTIONS must be at least 1".into());
        }
        if let Some(url) = &self.url {
            let url = url.expose_secret();
            if !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|scheme| url.starts_with(scheme))
            {
                problems
                    .push("GLASSBOX__DATABASE__URL must be a sqlite:// or postgres:// URL".into());
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_of_another_database_is_refused_without_printing_it() {
        let database = DatabaseSettings {
            url: Some(SecretString::from("mysql://u:hunter2@db/glassbox")),
            ..DatabaseSettings::default()
        };
        let problems = database.validate();
        assert!(
            problems[0].contains("GLASSBOX__DATABASE__URL"),
            "{problems:?}"
        );
        assert!(!problems[0].contains("hunter2"));
        assert!(DatabaseSettings::default().validate().is_empty());
    }
}
