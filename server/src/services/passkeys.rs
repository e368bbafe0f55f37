//! Passkeys (WebAuthn, through webauthn-rs): adding a key, using one to sign in or to confirm
//! an action, listing and removing keys. User verification is always required (a PIN or a
//! fingerprint on the authenticator, not only a touch), and a key whose signature counter
//! does not grow is refused as possibly cloned.
//!
//! The ceremonies' in-between state (the challenge) is kept by the caller in the server-side
//! session, never in the browser; this module only checks and stores.

use super::error::ServiceError;
use crate::config::{Environment, Settings};
use crate::db::{passkeys, Db};
use crate::domain::clock::Clock;
use crate::domain::passkey::{self, KeyHolder};
use base64::Engine as _;
use time::OffsetDateTime;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Webauthn,
    WebauthnBuilder, WebauthnError,
};

/// Glassbox as a WebAuthn relying party: its id (the host name) and the origins it accepts.
pub struct RelyingParty {
    webauthn: Webauthn,
    /// The origin passkeys work at, for pages that must send the person there.
    pub origin: String,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("origin", &self.origin)
            .finish()
    }
}

impl RelyingParty {
    /// The relying party for `settings`, or why there is none. Passkeys are bound to a host
    /// name; browsers refuse them for an address. So a public URL with a name is the
    /// relying party's id; on a local machine whose public URL is `127.0.0.1`, passkeys work
    /// at `http://localhost` on the same port.
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let public = &settings.public_url;
        let local = settings.environment == Environment::Local;
        let named =
            public.host().parse::<std::net::IpAddr>().is_err() && !public.host().starts_with('[');
        let origin = if named {
            public.origin()
        } else if local {
            let port = public
                .authority()
                .rsplit_once(':')
                .map(|(_, p)| p.to_string());
            match port {
                Some(port) => format!("http://localhost:{port}"),
                None => "http://localhost".to_string(),
            }
        } else {
            return Err(format!(
                "passkeys need GLASSBOX__PUBLIC_URL to name a host, not an address ({})",
                public.host()
            ));
        };
        let url = Url::parse(&origin).map_err(|e| format!("passkey origin {origin}: {e}"))?;
        let rp_id = url.host_str().unwrap_or_default().to_string();
        let webauthn = WebauthnBuilder::new(&rp_id, &url)
            .map_err(|e| format!("passkeys cannot use {origin}: {e}"))?
            .rp_name("Glassbox")
            // On a local machine the port is whatever the demo or a test picked.
            .allow_any_port(local)
            .build()
            .map_err(|e| format!("passkeys cannot use {origin}: {e}"))?;
        Ok(Self { webauthn, origin })
    }
}

/// What the person calls a key, and when it was added and last used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyView {
    /// Glassbox's id for the key.
    pub id: uuid::Uuid,
    /// The holder's name for it.
    pub name: String,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it was last used.
    pub last_used_at: Option<OffsetDateTime>,
}

fn stored(row: &passkeys::PasskeyRow) -> Result<Passkey, ServiceError> {
    serde_json::from_str(&row.credential)
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("stored passkey {}: {e}", row.id)))
}

fn credential_id(key: &Passkey) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.cred_id().as_ref())
}

/// The holder's keys.
pub async fn keys(db: &Db, holder: KeyHolder) -> Result<Vec<KeyView>, ServiceError> {
    Ok(passkeys::list(db, holder)
        .await?
        .into_iter()
        .map(|r| KeyView {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

/// Whether the holder has at least one key.
pub async fn has_keys(db: &Db, holder: KeyHolder) -> Result<bool, ServiceError> {
    Ok(passkeys::count(db, holder).await? > 0)
}

/// Starts adding a key: the options for the browser, and the state to keep server-side. The
/// holder's keys are excluded, so one authenticator is not added twice.
pub async fn start_registration(
    rp: &RelyingParty,
    db: &Db,
    holder: KeyHolder,
    user_name: &str,
    display_name: &str,
) -> Result<(CreationChallengeResponse, PasskeyRegistration), ServiceError> {
    let existing = passkeys::list(db, holder)
        .await?
        .iter()
        .map(|r| stored(r).map(|k| k.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    rp.webauthn
        .start_passkey_registration(
            holder.user_handle(),
            user_name,
            display_name,
            Some(existing).filter(|e| !e.is_empty()),
        )
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("start passkey registration: {e}")))
}

/// Finishes adding a key named `name` from the browser's answer to the state kept at the
/// start. Nothing is stored unless the answer proves a new key made with user verification.
pub async fn finish_registration(
    rp: &RelyingParty,
    db: &Db,
    clock: &Clock,
    holder: KeyHolder,
    name: &str,
    answer: &RegisterPublicKeyCredential,
    state: &PasskeyRegistration,
) -> Result<(), ServiceError> {
    let name = passkey::parse_name(name).map_err(ServiceError::Invalid)?;
    let key = rp
        .webauthn
        .finish_passkey_registration(answer, state)
        .map_err(|e| {
            tracing::warn!(error = %e, "a passkey registration was refused");
            ServiceError::Invalid(refusal_words(&e).into())
        })?;
    let json = serde_json::to_string(&key).map_err(|e| ServiceError::Unexpected(e.into()))?;
    if !passkeys::insert(db, holder, &credential_id(&key), &name, &json, clock.now()).await? {
        return Err(ServiceError::Conflict(
            "This key is already added to a Glassbox account.".into(),
        ));
    }
    tracing::info!(passkey.holder = ?holder, "a passkey was added");
    Ok(())
}

/// Starts a use of one of the holder's keys (sign-in or confirmation): the options for the
/// browser, and the state to keep server-side. `Refused` when they have no key.
pub async fn start_authentication(
    rp: &RelyingParty,
    db: &Db,
    holder: KeyHolder,
) -> Result<(RequestChallengeResponse, PasskeyAuthentication), ServiceError> {
    let keys = passkeys::list(db, holder)
        .await?
        .iter()
        .map(stored)
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(ServiceError::Refused(
            "You have no passkey yet. Add one first.".into(),
        ));
    }
    rp.webauthn
        .start_passkey_authentication(&keys)
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("start passkey authentication: {e}")))
}

/// Checks the browser's answer against the state kept at the start: a signature by one of
/// the holder's keys over this challenge, with user verification, and a signature counter
/// above the one stored (a cloned key's is not). The key's new counter is stored before the
/// use counts, and only if no other use of the key was stored meanwhile.
pub async fn finish_authentication(
    rp: &RelyingParty,
    db: &Db,
    clock: &Clock,
    holder: KeyHolder,
    answer: &PublicKeyCredential,
    state: &PasskeyAuthentication,
) -> Result<(), ServiceError> {
    let result = rp
        .webauthn
        .finish_passkey_authentication(answer, state)
        .map_err(|e| {
            tracing::warn!(passkey.holder = ?holder, error = %e, "a passkey was refused");
            ServiceError::Refused(refusal_words(&e).into())
        })?;
    let rows = passkeys::list(db, holder).await?;
    let used = rows
        .iter()
        .map(|r| stored(r).map(|k| (r, k)))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .find(|(_, k)| k.cred_id() == result.cred_id());
    // The key was removed while its use was under way.
    let Some((row, mut key)) = used else {
        return Err(ServiceError::Refused(
            "That passkey is no longer on your account.".into(),
        ));
    };
    // The counter check against the key as stored now (the state holds the key as it was
    // when the use started; another use may have been stored since).
    let stored_counter = Credential::from(key.clone()).counter;
    if (result.counter() > 0 || stored_counter > 0) && result.counter() <= stored_counter {
        tracing::warn!(passkey.holder = ?holder, counter = result.counter(), stored_counter, "a passkey's signature counter did not grow: possibly a cloned key");
        return Err(ServiceError::Refused(
            refusal_words(&WebauthnError::CredentialPossibleCompromise).into(),
        ));
    }
    key.update_credential(&result);
    let json = serde_json::to_string(&key).map_err(|e| ServiceError::Unexpected(e.into()))?;
    if !passkeys::record_use(db, row.id, &row.credential, &json, clock.now()).await? {
        return Err(ServiceError::Conflict(
            "That passkey was used for something else at the same moment. Try again.".into(),
        ));
    }
    Ok(())
}

/// Removes one of the holder's keys. `NotFound` for anyone else's key; `Refused` for the
/// last key while passkeys are required for the holder.
pub async fn remove(
    db: &Db,
    settings: &Settings,
    holder: KeyHolder,
    id: uuid::Uuid,
) -> Result<(), ServiceError> {
    let held = passkeys::list(db, holder).await?;
    if !held.iter().any(|k| k.id == id) {
        return Err(ServiceError::NotFound("passkey"));
    }
    let required = matches!(holder, KeyHolder::Staff(_)) && settings.staff.require_passkey;
    if !passkey::may_remove(held.len(), required) {
        return Err(ServiceError::Refused(
            "Staff must sign in with a passkey here, so your last one cannot be removed. Add another key first.".into(),
        ));
    }
    if !passkeys::remove(db, holder, id).await? {
        return Err(ServiceError::NotFound("passkey"));
    }
    tracing::info!(passkey.holder = ?holder, "a passkey was removed");
    Ok(())
}

/// The words a person reads when their key was refused.
fn refusal_words(e: &WebauthnError) -> &'static str {
    match e {
        WebauthnError::CredentialPossibleCompromise => {
            "That passkey was refused: its signature counter went backwards, which is what a copied key does. Use another key, and tell a security admin."
        }
        WebauthnError::UserNotVerified => {
            "That passkey did not verify you (no PIN or fingerprint). Use a key that asks for one."
        }
        WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => {
            "That passkey answer was made for another site. Open Glassbox at its own address and try again."
        }
        WebauthnError::MismatchedChallenge | WebauthnError::ChallengeNotFound => {
            "That passkey answer was for an earlier attempt. Try again."
        }
        _ => "That passkey answer could not be verified. Try again, or use another key.",
    }
}

/// The rule of the actions that need a recent passkey: `Ok` when `confirmed_at` is within the
/// configured window; otherwise `PasskeyRequired`, naming the page that confirms (and adds a
/// key first when there is none) and comes back to `return_to`.
pub fn require_fresh(
    settings: &Settings,
    confirmed_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    confirm_page: &str,
    return_to: &str,
) -> Result<(), ServiceError> {
    if passkey::is_fresh(confirmed_at, now, settings.staff.passkey_fresh()) {
        return Ok(());
    }
    Err(ServiceError::PasskeyRequired {
        confirm_url: format!(
            "{confirm_page}?return_to={}",
            app::components::error_view::path_param(return_to)
        ),
    })
}

/// An owner who added a passkey approves access to their mailbox only with a passkey
/// confirmed in the last few minutes; an owner without one approves as before.
pub async fn owner_may_approve(
    db: &Db,
    settings: &Settings,
    owner: app::model::OwnerId,
    confirmed_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    return_to: &str,
) -> Result<(), ServiceError> {
    if !has_keys(db, KeyHolder::Owner(owner)).await? {
        return Ok(());
    }
    require_fresh(settings, confirmed_at, now, "/me/confirm", return_to)
}
