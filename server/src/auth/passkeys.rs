//! The passkey routes: the pages that list, add and remove a person's keys
//! (`/staff/keys`, `/me/keys`) and confirm an action with one (`/staff/confirm`,
//! `/me/confirm`), the staff sign-in step with a passkey, and the JSON endpoints the
//! pages' script (`style/passkeys.js`) calls for each WebAuthn ceremony.
//!
//! A ceremony's challenge is kept in the server-side session between its two calls and
//! taken out by the second (single use: a replayed answer finds none). Rules:
//! - a person with no key may add a first one; a person with keys adds another, or removes
//!   one, only after confirming with a passkey in the last few minutes (a stolen session
//!   cannot swap in the thief's key);
//! - during a staff sign-in, a first key may be added only by someone who has no second
//!   factor yet, or who just proved their TOTP code (where passkeys are required).

use super::flow::{finish_staff_sign_in, staff_pending};
use super::identity::{SessionIdentity, Subject, SESSION_KEY};
use crate::db::{owners, staff};
use crate::domain::passkey::{self, KeyHolder};
use crate::http::error::HttpError;
use crate::http::pages::page;
use crate::services::error::ServiceError;
use crate::services::passkeys::{self as service, RelyingParty};
use crate::state::AppState;
use app::model::{SignInFactor, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tower_sessions::Session;
use webauthn_rs::prelude::{
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
};

const CEREMONY_KEY: &str = "glassbox.passkey.ceremony";

/// A ceremony between its two calls.
#[derive(Serialize, Deserialize)]
enum Ceremony {
    /// Adding a key; `sign_in` when it completes a staff sign-in.
    Register {
        holder: Subject,
        sign_in: bool,
        state: PasskeyRegistration,
    },
    /// Using a key; `sign_in` when it completes a staff sign-in, else it confirms an action.
    Authenticate {
        holder: Subject,
        sign_in: bool,
        state: PasskeyAuthentication,
    },
}

fn holder_of(subject: Subject) -> KeyHolder {
    match subject {
        Subject::Staff(s) => KeyHolder::Staff(s),
        Subject::Owner(o) => KeyHolder::Owner(o),
    }
}

fn subject_of(viewer: &Option<Viewer>) -> Option<Subject> {
    match viewer {
        Some(Viewer::Staff { staff_id, .. }) => Some(Subject::Staff(*staff_id)),
        Some(Viewer::Owner { owner_id, .. }) => Some(Subject::Owner(*owner_id)),
        None => None,
    }
}

/// A JSON answer for the pages' script: `{ "message": … }` with `status`, or
/// `{ "redirect": …, "message": … }` on success.
fn answer(status: StatusCode, message: &str, redirect: Option<&str>) -> Response {
    (
        status,
        Json(serde_json::json!({ "message": message, "redirect": redirect })),
    )
        .into_response()
}

fn refusal(e: ServiceError, context: &'static str) -> Response {
    match e {
        ServiceError::Invalid(m) | ServiceError::Refused(m) | ServiceError::Conflict(m) => {
            answer(StatusCode::BAD_REQUEST, &m, None)
        }
        ServiceError::NotFound(_) => answer(StatusCode::NOT_FOUND, "There is no such key.", None),
        ServiceError::Forbidden | ServiceError::Unauthorized => {
            answer(StatusCode::FORBIDDEN, "You may not do this.", None)
        }
        other => {
            let reference = match other.into_app_error(context) {
                app::error::AppError::Internal { reference } => reference,
                _ => String::new(),
            };
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("Something went wrong on our side. Please try again; if it keeps happening, quote reference {reference}."),
                None,
            )
        }
    }
}

fn unavailable(state: &AppState) -> Result<Arc<RelyingParty>, Response> {
    state.passkeys.clone().ok_or_else(|| {
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "Passkeys are not available at this address. Ask the operator to give Glassbox a host name.",
            None,
        )
    })
}

fn session_failed(e: impl std::fmt::Debug) -> Response {
    refusal(
        ServiceError::Unexpected(anyhow::anyhow!("session store: {e:?}")),
        "session store",
    )
}

async fn keep(session: &Session, ceremony: Ceremony) -> Result<(), Response> {
    session
        .insert(CEREMONY_KEY, ceremony)
        .await
        .map_err(session_failed)
}

async fn take(session: &Session) -> Result<Option<Ceremony>, Response> {
    session
        .remove::<Ceremony>(CEREMONY_KEY)
        .await
        .map_err(session_failed)
}

async fn identity(session: &Session) -> Result<Option<SessionIdentity>, Response> {
    session
        .get::<SessionIdentity>(SESSION_KEY)
        .await
        .map_err(session_failed)
}

/// The person's names, for their authenticator's list of passkeys.
async fn names(state: &AppState, holder: KeyHolder) -> Result<(String, String), ServiceError> {
    match holder {
        KeyHolder::Staff(id) => {
            let m = staff::get_staff(&state.db, id)
                .await?
                .ok_or(ServiceError::NotFound("staff member"))?;
            Ok((m.email, m.display_name))
        }
        KeyHolder::Owner(id) => {
            let o = owners::get_owner(&state.db, id)
                .await?
                .ok_or(ServiceError::NotFound("owner"))?;
            Ok((o.email, o.display_name))
        }
    }
}

fn keys_page_of(holder: KeyHolder) -> &'static str {
    match holder {
        KeyHolder::Staff(_) => "/staff/keys",
        KeyHolder::Owner(_) => "/me/keys",
    }
}

fn confirm_page_of(holder: KeyHolder) -> &'static str {
    match holder {
        KeyHolder::Staff(_) => "/staff/confirm",
        KeyHolder::Owner(_) => "/me/confirm",
    }
}

/// What the person finishing a ceremony sends.
#[derive(Deserialize)]
pub struct Finish<C> {
    /// The key's name (adding only).
    #[serde(default)]
    name: Option<String>,
    /// The browser's answer.
    credential: C,
}

/// `?return_to=/path`.
#[derive(Debug, Deserialize)]
pub struct ReturnTo {
    return_to: Option<String>,
}

// ---- The staff sign-in step -------------------------------------------------------------

/// The passkey part of the staff sign-in step: use a key, or add the first one (`required`:
/// the only way in); with the
/// TOTP form below when TOTP is still allowed (`totp_fallback`).
pub fn sign_in_step(
    has_key: bool,
    required: bool,
    totp_fallback: bool,
    error: Option<impl IntoView + 'static>,
) -> AnyView {
    let add_lead = if required {
        "Staff sign in with a passkey here. Add yours now: your browser will ask your security key, phone or computer to make one, with its PIN or fingerprint."
    } else {
        "Add a passkey as your second factor: the safest choice, as no fake sign-in page can use it. Your browser will ask your security key, phone or computer to make one, with its PIN or fingerprint."
    };
    let action = if has_key {
        view! {
            <p class="lead">"Use your passkey (security key, phone or computer) to finish signing in."</p>
            <button type="button" class="button button-primary" hidden data-passkey="get"
                data-options="/staff/passkey/sign-in/options" data-finish="/staff/passkey/sign-in">
                "Sign in with a passkey"
            </button>
        }
        .into_any()
    } else {
        view! {
            <p class="lead">{add_lead}</p>
            <label for="key-name">"A name for this key"</label>
            <input id="key-name" name="name" maxlength="64" autocomplete="off" placeholder="e.g. YubiKey on my keyring"/>
            <button type="button" class="button button-primary" hidden data-passkey="create"
                data-options="/staff/passkey/enrol/options" data-finish="/staff/passkey/enrol" data-name-input="key-name">
                "Add a passkey and sign in"
            </button>
        }
        .into_any()
    };
    let fallback = totp_fallback.then(|| {
        view! {
            <h2>"Or use your authenticator app"</h2>
            <form method="post" action="/staff/totp" class="decision-form">
                <label for="code">"Six-digit code from your authenticator app"</label>
                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required/>
                <button type="submit" class="button">"Continue with the code"</button>
            </form>
        }
    });
    view! {
        {error}
        {action}
        <p data-passkey-needs-script>"Passkeys need JavaScript. Turn it on for this site, then reload the page."</p>
        <p id="passkey-status" aria-live="polite"></p>
        {fallback}
        <script src="/pkg/passkeys.js" defer></script>
    }
    .into_any()
}

/// `POST /staff/passkey/sign-in/options`.
pub async fn sign_in_options(State(state): State<AppState>, session: Session) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let pending = match staff_pending(&session).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return answer(
                StatusCode::UNAUTHORIZED,
                "Your sign-in expired. Start again at the staff sign-in.",
                Some("/staff/login"),
            )
        }
        Err(e) => return e.into_response(),
    };
    let holder = KeyHolder::Staff(pending.staff_id);
    match service::start_authentication(&rp, &state.db, holder).await {
        Ok((options, ceremony)) => {
            let kept = Ceremony::Authenticate {
                holder: Subject::Staff(pending.staff_id),
                sign_in: true,
                state: ceremony,
            };
            match keep(&session, kept).await {
                Ok(()) => Json(options).into_response(),
                Err(r) => r,
            }
        }
        Err(e) => refusal(e, "start a passkey sign-in"),
    }
}

/// `POST /staff/passkey/sign-in`: a right passkey completes the staff sign-in.
pub async fn sign_in_finish(
    State(state): State<AppState>,
    session: Session,
    Json(finish): Json<Finish<PublicKeyCredential>>,
) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let (pending, ceremony) = match (staff_pending(&session).await, take(&session).await) {
        (
            Ok(Some(p)),
            Ok(Some(Ceremony::Authenticate {
                holder: Subject::Staff(s),
                sign_in: true,
                state,
            })),
        ) if s == p.staff_id => (p, state),
        (Err(e), _) => return e.into_response(),
        (_, Err(r)) => return r,
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                "That passkey answer was for an earlier attempt. Try again.",
                None,
            )
        }
    };
    let holder = KeyHolder::Staff(pending.staff_id);
    if let Err(e) = service::finish_authentication(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &finish.credential,
        &ceremony,
    )
    .await
    {
        return refusal(e, "finish a passkey sign-in");
    }
    match finish_staff_sign_in(&state, &session, SignInFactor::Passkey).await {
        Ok(Some(to)) => answer(StatusCode::OK, "Signed in.", Some(&to)),
        Ok(None) => answer(
            StatusCode::UNAUTHORIZED,
            "Your sign-in expired. Start again at the staff sign-in.",
            Some("/staff/login"),
        ),
        Err(e) => e.into_response(),
    }
}

/// `POST /staff/passkey/enrol/options`: a first key during the sign-in, only for someone
/// with no second factor yet or who just proved their TOTP code.
pub async fn enrol_options(State(state): State<AppState>, session: Session) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let pending = match staff_pending(&session).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return answer(
                StatusCode::UNAUTHORIZED,
                "Your sign-in expired. Start again at the staff sign-in.",
                Some("/staff/login"),
            )
        }
        Err(e) => return e.into_response(),
    };
    let holder = KeyHolder::Staff(pending.staff_id);
    let totp = match staff::totp_secret(&state.db, pending.staff_id).await {
        Ok(t) => t.is_some(),
        Err(e) => return refusal(ServiceError::from(e), "load totp"),
    };
    let has_key = match service::has_keys(&state.db, holder).await {
        Ok(k) => k,
        Err(e) => return refusal(e, "count passkeys"),
    };
    if has_key || (totp && !pending.totp_proved) {
        tracing::warn!(staff.id = %pending.staff_id, "refused to add a passkey during a sign-in that has not proved the second factor");
        return answer(StatusCode::FORBIDDEN, "Prove your second factor first: sign in with your passkey or your authenticator app's code.", None);
    }
    start_adding(&state, &rp, &session, holder, true).await
}

/// `POST /staff/passkey/enrol`: the first key is stored and completes the sign-in.
pub async fn enrol_finish(
    State(state): State<AppState>,
    session: Session,
    Json(finish): Json<Finish<RegisterPublicKeyCredential>>,
) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let (pending, ceremony) = match (staff_pending(&session).await, take(&session).await) {
        (
            Ok(Some(p)),
            Ok(Some(Ceremony::Register {
                holder: Subject::Staff(s),
                sign_in: true,
                state,
            })),
        ) if s == p.staff_id => (p, state),
        (Err(e), _) => return e.into_response(),
        (_, Err(r)) => return r,
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                "That passkey answer was for an earlier attempt. Try again.",
                None,
            )
        }
    };
    let holder = KeyHolder::Staff(pending.staff_id);
    let name = finish.name.unwrap_or_default();
    if let Err(e) = service::finish_registration(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &name,
        &finish.credential,
        &ceremony,
    )
    .await
    {
        return refusal(e, "add a passkey at sign-in");
    }
    match finish_staff_sign_in(&state, &session, SignInFactor::Passkey).await {
        Ok(Some(to)) => answer(
            StatusCode::OK,
            "Your passkey is added and you are signed in.",
            Some(&to),
        ),
        Ok(None) => answer(
            StatusCode::UNAUTHORIZED,
            "Your sign-in expired. Start again at the staff sign-in.",
            Some("/staff/login"),
        ),
        Err(e) => e.into_response(),
    }
}

async fn start_adding(
    state: &AppState,
    rp: &RelyingParty,
    session: &Session,
    holder: KeyHolder,
    sign_in: bool,
) -> Response {
    let (user_name, display_name) = match names(state, holder).await {
        Ok(n) => n,
        Err(e) => return refusal(e, "load the person's name"),
    };
    match service::start_registration(rp, &state.db, holder, &user_name, &display_name).await {
        Ok((options, ceremony)) => {
            let subject = match holder {
                KeyHolder::Staff(s) => Subject::Staff(s),
                KeyHolder::Owner(o) => Subject::Owner(o),
            };
            let kept = Ceremony::Register {
                holder: subject,
                sign_in,
                state: ceremony,
            };
            match keep(session, kept).await {
                Ok(()) => Json(options).into_response(),
                Err(r) => r,
            }
        }
        Err(e) => refusal(e, "start adding a passkey"),
    }
}

// ---- Signed in: add, confirm, remove ----------------------------------------------------

fn fresh(state: &AppState, identity: &Option<SessionIdentity>) -> bool {
    passkey::is_fresh(
        identity.as_ref().and_then(|i| i.passkey_at),
        state.clock.now(),
        state.settings.staff.passkey_fresh(),
    )
}

/// `POST /passkeys/add/options`.
pub async fn add_options(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let Some(subject) = subject_of(&viewer) else {
        return answer(StatusCode::UNAUTHORIZED, "Please sign in first.", None);
    };
    let holder = holder_of(subject);
    let has_key = match service::has_keys(&state.db, holder).await {
        Ok(k) => k,
        Err(e) => return refusal(e, "count passkeys"),
    };
    let identity = match identity(&session).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    if has_key && !fresh(&state, &identity) {
        let to = format!(
            "{}?return_to={}",
            confirm_page_of(holder),
            keys_page_of(holder)
        );
        return answer(
            StatusCode::FORBIDDEN,
            "To add another key, first confirm with one you have. Taking you there…",
            Some(&to),
        );
    }
    start_adding(&state, &rp, &session, holder, false).await
}

/// `POST /passkeys/add`.
pub async fn add_finish(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
    Json(finish): Json<Finish<RegisterPublicKeyCredential>>,
) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let Some(subject) = subject_of(&viewer) else {
        return answer(StatusCode::UNAUTHORIZED, "Please sign in first.", None);
    };
    let ceremony = match take(&session).await {
        Ok(Some(Ceremony::Register {
            holder,
            sign_in: false,
            state,
        })) if holder == subject => state,
        Err(r) => return r,
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                "That passkey answer was for an earlier attempt. Try again.",
                None,
            )
        }
    };
    let holder = holder_of(subject);
    let name = finish.name.unwrap_or_default();
    match service::finish_registration(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &name,
        &finish.credential,
        &ceremony,
    )
    .await
    {
        Ok(()) => answer(
            StatusCode::OK,
            "Your passkey is added.",
            Some(&format!("{}?added=1", keys_page_of(holder))),
        ),
        Err(e) => refusal(e, "add a passkey"),
    }
}

/// `POST /passkeys/confirm/options`.
pub async fn confirm_options(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let Some(subject) = subject_of(&viewer) else {
        return answer(StatusCode::UNAUTHORIZED, "Please sign in first.", None);
    };
    match service::start_authentication(&rp, &state.db, holder_of(subject)).await {
        Ok((options, ceremony)) => {
            let kept = Ceremony::Authenticate {
                holder: subject,
                sign_in: false,
                state: ceremony,
            };
            match keep(&session, kept).await {
                Ok(()) => Json(options).into_response(),
                Err(r) => r,
            }
        }
        Err(e) => refusal(e, "start a passkey confirmation"),
    }
}

/// `POST /passkeys/confirm?return_to=…`: a right passkey marks the session as confirmed now.
pub async fn confirm_finish(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
    Query(q): Query<ReturnTo>,
    Json(finish): Json<Finish<PublicKeyCredential>>,
) -> Response {
    let rp = match unavailable(&state) {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    let Some(subject) = subject_of(&viewer) else {
        return answer(StatusCode::UNAUTHORIZED, "Please sign in first.", None);
    };
    let ceremony = match take(&session).await {
        Ok(Some(Ceremony::Authenticate {
            holder,
            sign_in: false,
            state,
        })) if holder == subject => state,
        Err(r) => return r,
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                "That passkey answer was for an earlier attempt. Try again.",
                None,
            )
        }
    };
    let holder = holder_of(subject);
    if let Err(e) = service::finish_authentication(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &finish.credential,
        &ceremony,
    )
    .await
    {
        return refusal(e, "confirm with a passkey");
    }
    let mut identity = match identity(&session).await {
        Ok(Some(i)) if i.subject == subject => i,
        Ok(_) => return answer(StatusCode::UNAUTHORIZED, "Please sign in first.", None),
        Err(r) => return r,
    };
    identity.passkey_at = Some(state.clock.now());
    if let Err(e) = session.insert(SESSION_KEY, &identity).await {
        return session_failed(e);
    }
    tracing::info!(passkey.holder = ?holder, "an action was confirmed with a passkey");
    let home = match holder {
        KeyHolder::Staff(_) => "/staff",
        KeyHolder::Owner(_) => "/me",
    };
    let to = crate::oidc::safe_return_to(q.return_to.as_deref(), home);
    answer(StatusCode::OK, "Confirmed.", Some(&to))
}

/// `POST /passkeys/{id}/remove` (a plain form): only after a recent passkey confirmation.
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let subject = subject_of(&viewer).ok_or(HttpError::Unauthorized)?;
    let holder = holder_of(subject);
    let id = uuid::Uuid::parse_str(&id).map_err(|_| HttpError::NotFound)?;
    let identity = session
        .get::<SessionIdentity>(SESSION_KEY)
        .await
        .map_err(|e| HttpError::unexpected("read session", e))?;
    let keys = keys_page_of(holder);
    if !fresh(&state, &identity) {
        return Ok(
            Redirect::to(&format!("{}?return_to={keys}", confirm_page_of(holder))).into_response(),
        );
    }
    match service::remove(&state.db, &state.settings, holder, id).await {
        Ok(()) => Ok(Redirect::to(&format!("{keys}?removed=1")).into_response()),
        Err(ServiceError::NotFound(_)) => Err(HttpError::NotFound),
        Err(ServiceError::Refused(m)) => Err(HttpError::BadRequest(m)),
        Err(e) => Err(HttpError::unexpected("remove a passkey", e)),
    }
}

// ---- Pages ------------------------------------------------------------------------------

/// `?added=1` / `?removed=1` after a change.
#[derive(Debug, Deserialize)]
pub struct KeysQuery {
    added: Option<String>,
    removed: Option<String>,
}

/// When the page is open at another name than the one passkeys work at (the local demo at
/// `127.0.0.1`): where to open it instead.
fn elsewhere(rp: &RelyingParty, headers: &HeaderMap, path: &str) -> Option<AnyView> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok())?;
    let wanted = url::Url::parse(&rp.origin).ok()?;
    let name = host.rsplit_once(':').map_or(host, |(n, _)| n);
    if Some(name) == wanted.host_str() {
        return None;
    }
    let port = host.rsplit_once(':').map(|(_, p)| p.to_string());
    let target = match port {
        Some(p) => format!(
            "{}://{}:{p}{path}",
            wanted.scheme(),
            wanted.host_str().unwrap_or_default()
        ),
        None => format!("{}{path}", rp.origin),
    };
    let shown = target.clone();
    Some(
        view! {
            <p class="notice" role="note">
                "Passkeys are tied to a site's name, and browsers refuse them at a bare address. Open "
                <a href=target>{shown}</a>" (the same Glassbox) and sign in there to use one."
            </p>
        }
        .into_any(),
    )
}

fn when(t: time::OffsetDateTime) -> String {
    app::components::format::date_time(t)
}

/// `GET /staff/keys` and `GET /me/keys`: the person's keys, with add and remove.
pub async fn keys_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    headers: HeaderMap,
    Query(q): Query<KeysQuery>,
    uri: axum::http::Uri,
) -> Result<Response, HttpError> {
    let path = uri.path().to_string();
    let subject = match subject_of(&viewer) {
        Some(s) => s,
        None => {
            let login = if path.starts_with("/staff") {
                "/staff/login"
            } else {
                "/auth/login"
            };
            return Ok(Redirect::to(&format!("{login}?return_to={path}")).into_response());
        }
    };
    let holder = holder_of(subject);
    if keys_page_of(holder) != path {
        return Ok(Redirect::to(keys_page_of(holder)).into_response());
    }
    let keys = service::keys(&state.db, holder)
        .await
        .map_err(|e| HttpError::unexpected("list passkeys", e))?;
    let minutes = state.settings.staff.passkey_fresh_minutes;
    let lead = match holder {
        KeyHolder::Staff(_) => format!(
            "Passkeys are the staff second factor that phishing cannot steal: a fake site gets nothing it can use. \
             Approving an emergency access and disabling a staff member need a passkey confirmed in the last {minutes} minutes."
        ),
        KeyHolder::Owner(_) => "With a passkey, approving access to your mailbox needs your security key, phone or computer: \
             a stolen password or a forwarded email link alone cannot approve. Once you add one, every approval asks for it."
            .to_string(),
    };
    let done = if q.added.is_some() {
        Some("Your passkey is added.")
    } else if q.removed.is_some() {
        Some("The key is removed. It can no longer be used here.")
    } else {
        None
    }
    .map(|m| view! { <p class="notice notice-success" role="status">{m}</p> });
    let list = if keys.is_empty() {
        view! { <p>"You have no passkey yet."</p> }.into_any()
    } else {
        let rows = keys
            .into_iter()
            .map(|k| {
                let action = format!("/passkeys/{}/remove", k.id);
                let label = format!("Remove {}", k.name);
                let used = k.last_used_at.map_or("never".to_string(), when);
                view! {
                    <li class="card">
                        <strong>{k.name.clone()}</strong>
                        <p class="meta">"Added " {when(k.created_at)} " · last used " {used}</p>
                        <form method="post" action=action>
                            <button type="submit" class="button" aria-label=label>"Remove"</button>
                        </form>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="card-list" aria-label="Your passkeys">{rows}</ul> }.into_any()
    };
    let moved = state
        .passkeys
        .as_ref()
        .and_then(|rp| elsewhere(rp, &headers, &path));
    let add = if state.passkeys.is_some() {
        view! {
            <h2>"Add a passkey"</h2>
            <label for="key-name">"A name for this key"</label>
            <input id="key-name" name="name" maxlength="64" autocomplete="off" placeholder="e.g. YubiKey on my keyring"/>
            <button type="button" class="button button-primary" hidden data-passkey="create"
                data-options="/passkeys/add/options" data-finish="/passkeys/add" data-name-input="key-name">
                "Add a passkey"
            </button>
            <p data-passkey-needs-script>"Adding a passkey needs JavaScript. Turn it on for this site, then reload the page."</p>
            <p id="passkey-status" aria-live="polite"></p>
            <script src="/pkg/passkeys.js" defer></script>
        }
        .into_any()
    } else {
        view! { <p class="notice" role="note">"Passkeys are not available at this Glassbox's address. Ask its operator to give it a host name."</p> }.into_any()
    };
    Ok(page(
        StatusCode::OK,
        "Your passkeys",
        view! {
            <h1>"Your passkeys"</h1>
            <p class="lead">{lead}</p>
            {done}
            {moved}
            <h2>"Your keys"</h2>
            {list}
            {add}
        },
    ))
}

/// `GET /staff/confirm` and `GET /me/confirm?return_to=…`: confirm with a passkey, then
/// back to where the person was; with no key yet, the way to add one.
pub async fn confirm_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    headers: HeaderMap,
    Query(q): Query<ReturnTo>,
    uri: axum::http::Uri,
) -> Result<Response, HttpError> {
    let path = uri.path().to_string();
    let Some(subject) = subject_of(&viewer) else {
        let login = if path.starts_with("/staff") {
            "/staff/login"
        } else {
            "/auth/login"
        };
        return Ok(Redirect::to(login).into_response());
    };
    let holder = holder_of(subject);
    if confirm_page_of(holder) != path {
        return Ok(Redirect::to(confirm_page_of(holder)).into_response());
    }
    let home = match holder {
        KeyHolder::Staff(_) => "/staff",
        KeyHolder::Owner(_) => "/me",
    };
    let return_to = crate::oidc::safe_return_to(q.return_to.as_deref(), home);
    let has_key = service::has_keys(&state.db, holder)
        .await
        .map_err(|e| HttpError::unexpected("count passkeys", e))?;
    let here = format!(
        "{path}?return_to={}",
        app::components::error_view::path_param(&return_to)
    );
    let moved = state
        .passkeys
        .as_ref()
        .and_then(|rp| elsewhere(rp, &headers, &here));
    let body = if !has_key {
        let keys = keys_page_of(holder);
        view! {
            <p class="lead">"This needs a passkey, and you have none yet."</p>
            <p><a class="button button-primary" href=keys>"Add a passkey"</a>" then come back to confirm."</p>
        }
        .into_any()
    } else {
        let finish = format!(
            "/passkeys/confirm?return_to={}",
            app::components::error_view::path_param(&return_to)
        );
        view! {
            <p class="lead">"Confirm it is you with your passkey. You then have a few minutes to finish what you were doing."</p>
            <button type="button" class="button button-primary" hidden data-passkey="get"
                data-options="/passkeys/confirm/options" data-finish=finish>
                "Confirm with my passkey"
            </button>
            <p data-passkey-needs-script>"Passkeys need JavaScript. Turn it on for this site, then reload the page."</p>
            <p id="passkey-status" aria-live="polite"></p>
            <p><a href=return_to.clone()>"Go back without confirming"</a></p>
            <script src="/pkg/passkeys.js" defer></script>
        }
        .into_any()
    };
    Ok(page(
        StatusCode::OK,
        "Confirm with your passkey",
        view! { <h1>"Confirm with your passkey"</h1>{moved}{body} },
    ))
}
