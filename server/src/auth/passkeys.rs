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

/// Why a ceremony call was refused, for the pages' script: the status, the words the person
/// reads, and where to go next, if anywhere.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    message: String,
    redirect: Option<&'static str>,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        answer(self.status, &self.message, self.redirect)
    }
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
        redirect: None,
    }
}

const EARLIER_ATTEMPT: &str = "That passkey answer was for an earlier attempt. Try again.";

fn expired() -> Refusal {
    Refusal {
        redirect: Some("/staff/login"),
        ..refuse(
            StatusCode::UNAUTHORIZED,
            "Your sign-in expired. Start again at the staff sign-in.",
        )
    }
}

/// A use-case failure as a refusal; an unexpected one is logged here, once, and only its
/// reference is shown.
fn refusal(e: ServiceError, context: &'static str) -> Refusal {
    match e {
        ServiceError::Invalid(m) | ServiceError::Refused(m) | ServiceError::Conflict(m) => {
            refuse(StatusCode::BAD_REQUEST, m)
        }
        ServiceError::NotFound(_) => refuse(StatusCode::NOT_FOUND, "There is no such key."),
        ServiceError::Forbidden | ServiceError::Unauthorized => {
            refuse(StatusCode::FORBIDDEN, "You may not do this.")
        }
        other => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            other.into_app_error(context).to_string(),
        ),
    }
}

fn unexpected(context: &'static str, e: impl std::fmt::Debug) -> Refusal {
    refusal(ServiceError::Unexpected(anyhow::anyhow!("{e:?}")), context)
}

fn relying_party(state: &AppState) -> Result<Arc<RelyingParty>, Refusal> {
    state.passkeys.clone().ok_or_else(|| {
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "Passkeys are not available at this address. Ask the operator to give Glassbox a host name.",
        )
    })
}

async fn keep(session: &Session, ceremony: Ceremony) -> Result<(), Refusal> {
    session
        .insert(CEREMONY_KEY, ceremony)
        .await
        .map_err(|e| unexpected("session store", e))
}

/// Takes the ceremony in progress out of the session: each challenge is answered once.
async fn take(session: &Session) -> Result<Option<Ceremony>, Refusal> {
    session
        .remove::<Ceremony>(CEREMONY_KEY)
        .await
        .map_err(|e| unexpected("session store", e))
}

async fn identity(session: &Session) -> Result<Option<SessionIdentity>, Refusal> {
    session
        .get::<SessionIdentity>(SESSION_KEY)
        .await
        .map_err(|e| unexpected("session store", e))
}

/// The staff sign-in in progress, or `expired`.
async fn pending(session: &Session) -> Result<super::flow::StaffPending, Refusal> {
    staff_pending(session)
        .await
        .map_err(|e| unexpected("session store", e))?
        .ok_or_else(expired)
}

/// The signed-in person, or 401.
fn signed_in(viewer: &Option<Viewer>) -> Result<Subject, Refusal> {
    subject_of(viewer).ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "Please sign in first."))
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

/// `POST /staff/passkey/sign-in/options`.
pub async fn sign_in_options(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let pending = pending(&session).await?;
    let (options, ceremony) =
        service::start_authentication(&rp, &state.db, KeyHolder::Staff(pending.staff_id))
            .await
            .map_err(|e| refusal(e, "start a passkey sign-in"))?;
    let kept = Ceremony::Authenticate {
        holder: Subject::Staff(pending.staff_id),
        sign_in: true,
        state: ceremony,
    };
    keep(&session, kept).await?;
    Ok(Json(options).into_response())
}

/// `POST /staff/passkey/sign-in`: a right passkey completes the staff sign-in.
pub async fn sign_in_finish(
    State(state): State<AppState>,
    session: Session,
    Json(finish): Json<Finish<PublicKeyCredential>>,
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let pending = pending(&session).await?;
    let ceremony = match take(&session).await? {
        Some(Ceremony::Authenticate {
            holder: Subject::Staff(s),
            sign_in: true,
            state,
        }) if s == pending.staff_id => state,
        _ => return Err(refuse(StatusCode::BAD_REQUEST, EARLIER_ATTEMPT)),
    };
    let holder = KeyHolder::Staff(pending.staff_id);
    service::finish_authentication(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &finish.credential,
        &ceremony,
    )
    .await
    .map_err(|e| refusal(e, "finish a passkey sign-in"))?;
    complete_sign_in(&state, &session, "Signed in.").await
}

async fn complete_sign_in(
    state: &AppState,
    session: &Session,
    done: &str,
) -> Result<Response, Refusal> {
    match finish_staff_sign_in(state, session, SignInFactor::Passkey).await {
        Ok(Some(to)) => Ok(answer(StatusCode::OK, done, Some(&to))),
        Ok(None) => Err(expired()),
        // Logged where it was made.
        Err(e) => Ok(e.into_response()),
    }
}

/// `POST /staff/passkey/enrol/options`: a first key during the sign-in, only for someone
/// with no second factor yet or who just proved their TOTP code.
pub async fn enrol_options(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let pending = pending(&session).await?;
    let holder = KeyHolder::Staff(pending.staff_id);
    let totp = staff::totp_secret(&state.db, pending.staff_id)
        .await
        .map_err(|e| refusal(e.into(), "load totp"))?
        .is_some();
    let has_key = service::has_keys(&state.db, holder)
        .await
        .map_err(|e| refusal(e, "count passkeys"))?;
    if has_key || (totp && !pending.totp_proved) {
        tracing::warn!(staff.id = %pending.staff_id, "refused to add a passkey during a sign-in that has not proved the second factor");
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Prove your second factor first: sign in with your passkey or your authenticator app's code.",
        ));
    }
    start_adding(&state, &rp, &session, holder, true).await
}

/// `POST /staff/passkey/enrol`: the first key is stored and completes the sign-in.
pub async fn enrol_finish(
    State(state): State<AppState>,
    session: Session,
    Json(finish): Json<Finish<RegisterPublicKeyCredential>>,
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let pending = pending(&session).await?;
    let ceremony = match take(&session).await? {
        Some(Ceremony::Register {
            holder: Subject::Staff(s),
            sign_in: true,
            state,
        }) if s == pending.staff_id => state,
        _ => return Err(refuse(StatusCode::BAD_REQUEST, EARLIER_ATTEMPT)),
    };
    let holder = KeyHolder::Staff(pending.staff_id);
    let name = finish.name.unwrap_or_default();
    service::finish_registration(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &name,
        &finish.credential,
        &ceremony,
    )
    .await
    .map_err(|e| refusal(e, "add a passkey at sign-in"))?;
    complete_sign_in(
        &state,
        &session,
        "Your passkey is added and you are signed in.",
    )
    .await
}

async fn start_adding(
    state: &AppState,
    rp: &RelyingParty,
    session: &Session,
    holder: KeyHolder,
    sign_in: bool,
) -> Result<Response, Refusal> {
    let (user_name, display_name) = names(state, holder)
        .await
        .map_err(|e| refusal(e, "load the person's name"))?;
    let (options, ceremony) =
        service::start_registration(rp, &state.db, holder, &user_name, &display_name)
            .await
            .map_err(|e| refusal(e, "start adding a passkey"))?;
    let subject = match holder {
        KeyHolder::Staff(s) => Subject::Staff(s),
        KeyHolder::Owner(o) => Subject::Owner(o),
    };
    let kept = Ceremony::Register {
        holder: subject,
        sign_in,
        state: ceremony,
    };
    keep(session, kept).await?;
    Ok(Json(options).into_response())
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
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let holder = holder_of(signed_in(&viewer)?);
    let has_key = service::has_keys(&state.db, holder)
        .await
        .map_err(|e| refusal(e, "count passkeys"))?;
    if has_key && !fresh(&state, &identity(&session).await?) {
        let to = format!(
            "{}?return_to={}",
            confirm_page_of(holder),
            keys_page_of(holder)
        );
        return Ok(answer(
            StatusCode::FORBIDDEN,
            "To add another key, first confirm with one you have. Taking you there…",
            Some(&to),
        ));
    }
    start_adding(&state, &rp, &session, holder, false).await
}

/// `POST /passkeys/add`.
pub async fn add_finish(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
    Json(finish): Json<Finish<RegisterPublicKeyCredential>>,
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let subject = signed_in(&viewer)?;
    let ceremony = match take(&session).await? {
        Some(Ceremony::Register {
            holder,
            sign_in: false,
            state,
        }) if holder == subject => state,
        _ => return Err(refuse(StatusCode::BAD_REQUEST, EARLIER_ATTEMPT)),
    };
    let holder = holder_of(subject);
    let name = finish.name.unwrap_or_default();
    service::finish_registration(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &name,
        &finish.credential,
        &ceremony,
    )
    .await
    .map_err(|e| refusal(e, "add a passkey"))?;
    let to = format!("{}?added=1", keys_page_of(holder));
    Ok(answer(StatusCode::OK, "Your passkey is added.", Some(&to)))
}

/// `POST /passkeys/confirm/options`.
pub async fn confirm_options(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let subject = signed_in(&viewer)?;
    let (options, ceremony) = service::start_authentication(&rp, &state.db, holder_of(subject))
        .await
        .map_err(|e| refusal(e, "start a passkey confirmation"))?;
    let kept = Ceremony::Authenticate {
        holder: subject,
        sign_in: false,
        state: ceremony,
    };
    keep(&session, kept).await?;
    Ok(Json(options).into_response())
}

/// `POST /passkeys/confirm?return_to=…`: a right passkey marks the session as confirmed now.
pub async fn confirm_finish(
    State(state): State<AppState>,
    session: Session,
    Extension(viewer): Extension<Option<Viewer>>,
    Query(q): Query<ReturnTo>,
    Json(finish): Json<Finish<PublicKeyCredential>>,
) -> Result<Response, Refusal> {
    let rp = relying_party(&state)?;
    let subject = signed_in(&viewer)?;
    let ceremony = match take(&session).await? {
        Some(Ceremony::Authenticate {
            holder,
            sign_in: false,
            state,
        }) if holder == subject => state,
        _ => return Err(refuse(StatusCode::BAD_REQUEST, EARLIER_ATTEMPT)),
    };
    let holder = holder_of(subject);
    service::finish_authentication(
        &rp,
        &state.db,
        &state.clock,
        holder,
        &finish.credential,
        &ceremony,
    )
    .await
    .map_err(|e| refusal(e, "confirm with a passkey"))?;
    let mut identity = identity(&session)
        .await?
        .filter(|i| i.subject == subject)
        .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "Please sign in first."))?;
    identity.passkey_at = Some(state.clock.now());
    session
        .insert(SESSION_KEY, &identity)
        .await
        .map_err(|e| unexpected("session store", e))?;
    tracing::info!(passkey.holder = ?holder, "an action was confirmed with a passkey");
    let home = match holder {
        KeyHolder::Staff(_) => "/staff",
        KeyHolder::Owner(_) => "/me",
    };
    let to = crate::oidc::safe_return_to(q.return_to.as_deref(), home);
    Ok(answer(StatusCode::OK, "Confirmed.", Some(&to)))
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
            {super::passkey_views::key_name_field()}
            <button type="button" class="button button-primary" hidden data-passkey="create"
                data-options="/passkeys/add/options" data-finish="/passkeys/add" data-name-input="key-name">
                "Add a passkey"
            </button>
            {super::passkey_views::ceremony_support("Adding a passkey needs JavaScript. Turn it on for this site, then reload the page.")}
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
            {super::passkey_views::ceremony_support("Passkeys need JavaScript. Turn it on for this site, then reload the page.")}
            <p><a href=return_to.clone()>"Go back without confirming"</a></p>
        }
        .into_any()
    };
    Ok(page(
        StatusCode::OK,
        "Confirm with your passkey",
        view! { <h1>"Confirm with your passkey"</h1>{moved}{body} },
    ))
}
