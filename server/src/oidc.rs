//! OpenID Connect sign-in (authorization code + PKCE + `state` + `nonce`), built on the
//! `openidconnect` crate, which validates the ID token: signature against the provider's
//! JWKS, issuer, audience, expiry and nonce. The provider is discovered on first use (so
//! Glassbox starts even while the provider is down) and re-discovered every few minutes,
//! which also picks up rotated signing keys.

use crate::config::{OidcSettings, PublicUrl};
use anyhow::Context as _;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    reqwest, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a discovery (metadata and keys) is trusted before it is fetched again.
const REDISCOVER_AFTER: Duration = Duration::from_secs(300);

struct Discovered {
    at: Instant,
    client: DiscoveredClient,
    end_session: Option<openidconnect::EndSessionUrl>,
}

/// One configured provider.
pub struct OidcProvider {
    settings: OidcSettings,
    redirect: RedirectUrl,
    http: reqwest::Client,
    discovered: Mutex<Option<Discovered>>,
}

/// What must survive the trip to the provider, kept in the session until the callback.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` sent (compared with the callback's).
    pub state: String,
    /// The `nonce` sent (checked inside the ID token).
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
    /// Where to go after signing in (a local path).
    pub return_to: String,
    /// Whether this sign-in was a step-up: the provider was asked for a new sign-in, and
    /// the ID token must prove one happened.
    #[serde(default)]
    pub fresh: bool,
    /// When the sign-in started (Unix seconds, wall clock: the provider's `auth_time` is).
    #[serde(default)]
    pub started_at: i64,
}

/// How far the provider's clock may be behind ours when it says when the person signed in.
const AUTH_TIME_SKEW_SECONDS: i64 = 60;

/// Wall-clock now in Unix seconds (the provider's `auth_time` is wall-clock).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether an ID token's `auth_time` proves a sign-in made after a step-up started at
/// `started_at` (allowing [`AUTH_TIME_SKEW_SECONDS`]). A provider that ignored `prompt=login`
/// and `max_age=0` answers with the old sign-in's time, or none at all (OIDC Core §3.1.2.1
/// makes it required when `max_age` is asked): both fail.
pub fn proves_fresh_sign_in(auth_time: Option<i64>, started_at: i64) -> bool {
    auth_time.is_some_and(|t| t >= started_at - AUTH_TIME_SKEW_SECONDS)
}

/// The verified identity from an ID token.
#[derive(Clone, Debug)]
pub struct VerifiedIdentity {
    /// The provider's stable subject.
    pub subject: String,
    /// The email claim, if present.
    pub email: Option<String>,
    /// Whether the provider verified that email.
    pub email_verified: bool,
    /// The person's name, if given.
    pub name: Option<String>,
    /// The raw ID token (for the sign-out hint).
    pub id_token: String,
}

/// Why a callback is refused.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// No sign-in was started in this browser, or it was already used.
    #[error("no sign-in is in progress in this browser")]
    NoPendingLogin,
    /// `state` differs: possibly a forged callback.
    #[error("the sign-in response does not match the sign-in this browser started")]
    StateMismatch,
    /// The provider said no (the person cancelled, …).
    #[error("the provider refused the sign-in: {0}")]
    ProviderError(String),
    /// The code exchange or the ID token failed validation.
    #[error("the sign-in could not be verified")]
    Invalid(#[source] anyhow::Error),
    /// A step-up came back without proof of a new sign-in (`auth_time` old or missing).
    #[error("the provider did not sign the person in again")]
    NotFresh,
}

impl OidcProvider {
    /// A provider for `settings`, redirecting back to `public_url + /auth/callback`.
    pub fn new(settings: OidcSettings, public_url: &PublicUrl) -> anyhow::Result<Self> {
        let redirect = RedirectUrl::new(public_url.join("/auth/callback"))
            .context("GLASSBOX__PUBLIC_URL does not make a valid redirect URI")?;
        IssuerUrl::new(settings.issuer.clone()).context("the OIDC issuer is not a valid URL")?;
        let http = reqwest::ClientBuilder::new()
            // Following redirects would open the client to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .context("could not build the OIDC HTTP client")?;
        Ok(Self {
            settings,
            redirect,
            http,
            discovered: Mutex::new(None),
        })
    }

    async fn client(
        &self,
    ) -> anyhow::Result<(DiscoveredClient, Option<openidconnect::EndSessionUrl>)> {
        let mut guard = self.discovered.lock().await;
        if let Some(d) = guard.as_ref().filter(|d| d.at.elapsed() < REDISCOVER_AFTER) {
            return Ok((d.client.clone(), d.end_session.clone()));
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .context("could not reach the OpenID Connect provider")?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose_secret().to_string(),
            )),
        )
        .set_redirect_uri(self.redirect.clone());
        *guard = Some(Discovered {
            at: Instant::now(),
            client: client.clone(),
            end_session: end_session.clone(),
        });
        Ok((client, end_session))
    }

    /// The provider URL to send the browser to, and what to remember until it comes back.
    /// `fresh` asks the provider to make the person sign in again (`prompt=login`, `max_age=0`).
    pub async fn start(
        &self,
        return_to: &str,
        fresh: bool,
    ) -> anyhow::Result<(String, PendingLogin)> {
        let (client, _) = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if fresh {
            request = request
                .add_prompt(CoreAuthPrompt::Login)
                .set_max_age(Duration::from_secs(0));
        }
        let (url, state, nonce) = request.url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to: return_to.to_string(),
            fresh,
            started_at: unix_now(),
        };
        Ok((url.to_string(), pending))
    }

    /// Completes a sign-in: checks `state`, exchanges the code with the PKCE verifier and
    /// validates the ID token with the nonce.
    pub async fn finish(
        &self,
        pending: &PendingLogin,
        code: &str,
        state: &str,
    ) -> Result<VerifiedIdentity, CallbackError> {
        if !constant_time_eq(pending.state.as_bytes(), state.as_bytes()) {
            return Err(CallbackError::StateMismatch);
        }
        let (client, _) = self.client().await.map_err(CallbackError::Invalid)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| CallbackError::Invalid(e.into()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| CallbackError::Invalid(anyhow::anyhow!("code exchange failed: {e}")))?;
        use openidconnect::TokenResponse as _;
        let id_token = token.id_token().ok_or_else(|| {
            CallbackError::Invalid(anyhow::anyhow!("the provider sent no ID token"))
        })?;
        let claims = id_token
            .claims(
                &client.id_token_verifier(),
                &Nonce::new(pending.nonce.clone()),
            )
            .map_err(|e| CallbackError::Invalid(anyhow::anyhow!("ID token rejected: {e}")))?;
        if pending.fresh
            && !proves_fresh_sign_in(
                claims.auth_time().map(|t| t.timestamp()),
                pending.started_at,
            )
        {
            return Err(CallbackError::NotFresh);
        }
        // The signature, issuer, audience, expiry and nonce are verified above; the email
        // claims are read from the same verified payload under their configured names.
        let raw = raw_claims(&id_token.to_string()).map_err(CallbackError::Invalid)?;
        let (email, email_verified) = email_claims(&raw, &self.settings);
        Ok(VerifiedIdentity {
            subject: claims.subject().as_str().to_string(),
            email,
            email_verified,
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string()),
            id_token: id_token.to_string(),
        })
    }

    /// Where to send the browser to end the provider's session too, if it supports that.
    pub async fn logout_url(&self, id_token: Option<&str>, after: &str) -> Option<String> {
        let (_, end_session) = self.client().await.ok()?;
        let mut request = LogoutRequest::from(end_session?);
        if let Ok(url) = PostLogoutRedirectUrl::new(after.to_string()) {
            request = request.set_post_logout_redirect_uri(url);
        }
        if let Some(token) = id_token.and_then(|t| t.parse().ok()) {
            let token: openidconnect::core::CoreIdToken = token;
            request = request.set_id_token_hint(&token);
        }
        request = request.set_client_id(ClientId::new(self.settings.client_id.clone()));
        Some(request.http_get_url().to_string())
    }
}

/// The payload of a JWT, as JSON. Only for a token whose signature was already verified.
fn raw_claims(jwt: &str) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let payload = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("the ID token is not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .context("the ID token payload is not base64url")?;
    serde_json::from_slice(&bytes).context("the ID token payload is not a JSON object")
}

/// The email address and whether the provider verified it, under the configured claim names.
fn email_claims(
    raw: &serde_json::Map<String, serde_json::Value>,
    settings: &OidcSettings,
) -> (Option<String>, bool) {
    let email = raw
        .get(&settings.email_claim)
        .and_then(|v| v.as_str())
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    let verified = if settings.email_verified_claim.is_empty() {
        email.is_some()
    } else {
        match raw.get(&settings.email_verified_claim) {
            Some(serde_json::Value::Bool(b)) => *b,
            // Some providers (Amazon Cognito) send the flag as a string.
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        }
    };
    (email, verified)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A `return_to` that stays on this site: a path, never `//host` or a full URL.
pub fn safe_return_to(candidate: Option<&str>, default: &str) -> String {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.len() <= 512 =>
        {
            p.to_string()
        }
        _ => default.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_return_to(Some("/me/requests/1"), "/me"),
            "/me/requests/1"
        );
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
        ] {
            assert_eq!(safe_return_to(Some(evil), "/me"), "/me", "{evil}");
        }
        assert_eq!(safe_return_to(None, "/me"), "/me");
    }

    fn settings(email_claim: &str, verified_claim: &str) -> OidcSettings {
        OidcSettings {
            email_claim: email_claim.into(),
            email_verified_claim: verified_claim.into(),
            ..OidcSettings::new("http://idp".into(), "c".into(), "s".to_string().into())
        }
    }

    fn payload(json: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        json.as_object().unwrap().clone()
    }

    #[test]
    fn the_email_comes_from_the_configured_claim_and_is_verified_only_when_the_provider_says_so() {
        let raw = payload(serde_json::json!({
            "email": "private@example.net", "email_verified": true,
            "upn": "alice@example.org", "mailbox_verified": "true"
        }));
        assert_eq!(
            email_claims(&raw, &settings("email", "email_verified")),
            (Some("private@example.net".into()), true)
        );
        assert_eq!(
            email_claims(&raw, &settings("upn", "mailbox_verified")),
            (Some("alice@example.org".into()), true),
            "a flag sent as a string counts"
        );
        assert_eq!(
            email_claims(&raw, &settings("upn", "missing")),
            (Some("alice@example.org".into()), false),
            "no flag, not verified"
        );
        assert_eq!(
            email_claims(&raw, &settings("upn", "")),
            (Some("alice@example.org".into()), true),
            "a directory claim trusted by configuration"
        );
        assert_eq!(email_claims(&raw, &settings("nothing", "")), (None, false));
    }

    #[test]
    fn a_jwt_payload_is_read_as_json() {
        let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwidXBuIjoiYUBiLmMifQ.sig";
        assert_eq!(raw_claims(jwt).unwrap()["upn"], "a@b.c");
        assert!(raw_claims("not-a-jwt").is_err());
    }

    #[test]
    fn states_are_compared_in_full() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

#[cfg(test)]
mod fresh_tests {
    use super::*;

    #[test]
    fn only_an_auth_time_after_the_step_up_started_proves_a_new_sign_in() {
        let started = 1_800_000_000;
        assert!(proves_fresh_sign_in(Some(started + 5), started));
        assert!(
            proves_fresh_sign_in(Some(started - 30), started),
            "a little clock skew"
        );
        assert!(
            !proves_fresh_sign_in(Some(started - 3600), started),
            "the old sign-in"
        );
        assert!(!proves_fresh_sign_in(None, started), "no auth_time at all");
    }
}
