//! `GLASSBOX__SECURITY__…`: the server's own secret.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{mask_secret, Environment};

/// The default secret key: fine for the local demo, refused in production.
const INSECURE_DEFAULT_SECRET: &str = "glassbox-local-development-secret-do-not-use-in-production";

/// Secrets.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// `GLASSBOX__SECURITY__SECRET_KEY`: keys the hashes of tokens. The built-in default is
    /// refused in production. Printed masked.
    #[serde(serialize_with = "mask_secret")]
    pub secret_key: SecretString,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            secret_key: SecretString::from(INSECURE_DEFAULT_SECRET),
        }
    }
}

impl SecuritySettings {
    /// The problems in this section, each naming its key. Locally the built-in key is fine;
    /// in production it must be the operator's own and long enough.
    pub fn validate(&self, environment: Environment) -> Vec<String> {
        let mut problems = Vec::new();
        if environment == Environment::Production {
            if self.secret_key.expose_secret() == INSECURE_DEFAULT_SECRET {
                problems.push("GLASSBOX__SECURITY__SECRET_KEY must be set to a secret of your own in production".into());
            } else if self.secret_key.expose_secret().len() < 32 {
                problems
                    .push("GLASSBOX__SECURITY__SECRET_KEY must be at least 32 characters".into());
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_secret_key_is_refused_in_production_by_name() {
        let security = SecuritySettings {
            secret_key: SecretString::from("short"),
        };
        let problems = security.validate(Environment::Production);
        assert!(
            problems[0].contains("at least 32 characters"),
            "{problems:?}"
        );
        assert!(SecuritySettings::default()
            .validate(Environment::Local)
            .is_empty());
    }
}
