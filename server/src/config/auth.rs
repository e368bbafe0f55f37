//! `GLASSBOX__AUTH__…`: who may sign in and how: the OpenID Connect providers, step-up,
//! TOTP and the demo identities.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{mask_secret, Environment};

/// Sign-in settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// `GLASSBOX__AUTH__DEMO_SIGN_IN` (default: on in local, off in production): one-click demo
    /// identities. Refused in production and when listening beyond loopback.
    pub demo_sign_in: Option<bool>,
    /// The owners' OpenID Connect provider (`GLASSBOX__AUTH__OIDC__ISSUER`, `__CLIENT_ID`, `__CLIENT_SECRET`).
    pub oidc: Option<OidcSettings>,
    /// The staff OpenID Connect provider (`GLASSBOX__AUTH__STAFF_OIDC__…`), same shape;
    /// the owners' provider when unset.
    pub staff_oidc: Option<OidcSettings>,
    /// `GLASSBOX__AUTH__STEP_UP_MINUTES` (default 10): approving a request needs a sign-in
    /// at the provider within this many minutes; older sessions are sent to sign in again.
    pub step_up_minutes: i64,
    /// `GLASSBOX__AUTH__TOTP_MAX_ATTEMPTS` (default 5): wrong codes allowed before the staff
    /// member has to start the sign-in again.
    pub totp_max_attempts: u32,
    /// `GLASSBOX__AUTH__SIGN_IN_PER_MINUTE` (default 20): sign-in requests (starts,
    /// callbacks, codes, demo sign-ins) one client address may make per minute, after a
    /// burst of 10; more get 429 with `Retry-After`. 0 switches the limit off.
    pub sign_in_per_minute: u32,
    /// `GLASSBOX__AUTH__EMAIL_LINK_PER_MINUTE` (default 60): requests one client address may
    /// make per minute to the pages email links open (`/email/…`), after a burst of 20;
    /// more get 429. Guessing a link's token is hopeless anyway; this keeps it expensive.
    /// 0 switches the limit off.
    pub email_link_per_minute: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            demo_sign_in: None,
            oidc: None,
            staff_oidc: None,
            step_up_minutes: 10,
            totp_max_attempts: 5,
            sign_in_per_minute: 20,
            email_link_per_minute: 60,
        }
    }
}

impl AuthSettings {
    /// The problems in this section, each naming its key. (Demo sign-in beyond loopback
    /// depends on the listener too, so [`super::Settings::validate`] checks it.)
    pub fn validate(&self, environment: Environment) -> Vec<String> {
        let mut problems = Vec::new();
        if environment == Environment::Production {
            if self.demo_sign_in == Some(true) {
                problems.push("GLASSBOX__AUTH__DEMO_SIGN_IN must be off in production".into());
            }
            if self.oidc.is_none() {
                problems.push("GLASSBOX__AUTH__OIDC__ISSUER, __CLIENT_ID and __CLIENT_SECRET must be set in production".into());
            }
        }
        problems
    }
}

/// One OpenID Connect client registration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The issuer URL, exactly as the provider states it.
    pub issuer: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret. Printed masked.
    #[serde(serialize_with = "mask_secret")]
    pub client_secret: SecretString,
    /// `…__EMAIL_CLAIM` (default `email`): the ID-token claim that holds the person's email
    /// address (owners: their mailbox; staff: their work address the first time).
    #[serde(default = "default_email_claim")]
    pub email_claim: String,
    /// `…__EMAIL_VERIFIED_CLAIM` (default `email_verified`): the claim by which the provider
    /// says it verified that address (`true` or `"true"`). Set it empty only for a provider
    /// that puts nothing but addresses it owns into `email_claim` (a company directory's `upn`).
    #[serde(default = "default_email_verified_claim")]
    pub email_verified_claim: String,
}

fn default_email_claim() -> String {
    "email".into()
}

fn default_email_verified_claim() -> String {
    "email_verified".into()
}

impl OidcSettings {
    /// A registration with the standard email claims.
    pub fn new(issuer: String, client_id: String, client_secret: SecretString) -> Self {
        Self {
            issuer,
            client_id,
            client_secret,
            email_claim: default_email_claim(),
            email_verified_claim: default_email_verified_claim(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_without_an_owner_provider_is_refused_by_name() {
        let problems = AuthSettings::default().validate(Environment::Production);
        assert!(
            problems[0].contains("GLASSBOX__AUTH__OIDC__ISSUER"),
            "{problems:?}"
        );
        assert!(AuthSettings::default()
            .validate(Environment::Local)
            .is_empty());
    }
}
