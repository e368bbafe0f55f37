//! The sign-in routes: `/auth/login` and `/staff/login` send the browser to the provider,
//! `/auth/callback` comes back, and staff then prove a second factor at `/staff/totp`
//! (enrolling by QR code the first time). A session only carries an identity once every
//! step has passed; its id is renewed at that moment.

use super::identity::{SessionIdentity, SignInMethod, Subject, SESSION_KEY};
use crate::db::staff;
use crate::http::error::HttpError;
use crate::http::pages::page;
use crate::http::security::staff_network_allowed;
use crate::oidc::{safe_return_to, CallbackError, PendingLogin};
use crate::services::error::ServiceError;
use crate::services::second_factor::{self, CodeCheck};
use crate::services::sign_in;
use crate::services::totp;
use crate::state::AppState;
use app::model::StaffId;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use tower_sessions::{Expiry, Session};

const PENDING_KEY: &str = "glassbox.oidc.pending";
const TOTP_KEY: &str = "glassbox.totp.pending";

/// Who a sign-in in progress is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Purpose {
    Owner,
    Staff,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Pending {
    purpose: Purpose,
    login: PendingLogin,
}

/// A staff member who passed the provider and still owes a TOTP code.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TotpPending {
    staff_id: StaffId,
    /// A secret being enrolled (shown as a QR code until a code proves it works).
    enrol_secret: Option<Vec<u8>>,
    attempts: u32,
    id_token: Option<String>,
    /// A right TOTP code was given in this sign-in, where only a passkey completes it (then
    /// the staff member may add their first passkey).
    #[serde(default)]
    totp_proved: bool,
}

/// `?return_to=/path&fresh=1`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    fresh: Option<String>,
}

/// The provider's answer.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn session_failed(e: impl std::fmt::Debug) -> HttpError {
    HttpError::unexpected("session store", e)
}

/// A page of the sign-in steps that happen outside the app: `title` is also its heading.
fn plain_page(status: StatusCode, title: &str, body: impl IntoView + 'static) -> Response {
    let heading = title.to_string();
    page(status, title, view! { <h1>{heading}</h1>{body} })
}

/// A page that only says something.
fn message_page(status: StatusCode, title: &str, message: &'static str) -> Response {
    plain_page(status, title, view! { <p>{message}</p> })
}

async fn start(
    state: &AppState,
    session: &Session,
    purpose: Purpose,
    q: LoginQuery,
) -> Result<Response, HttpError> {
    let provider = match purpose {
        Purpose::Owner => state.owner_oidc.clone(),
        Purpose::Staff => state.staff_oidc.clone(),
    };
    let Some(provider) = provider else {
        if state.settings.demo_sign_in() {
            // The demo sign-in page carries the way back too.
            let to = match q.return_to.as_deref().map(|p| safe_return_to(Some(p), "")) {
                Some(p) if !p.is_empty() => format!(
                    "/auth/demo?return_to={}",
                    app::components::error_view::path_param(&p)
                ),
                _ => "/auth/demo".to_string(),
            };
            return Ok(Redirect::to(&to).into_response());
        }
        return Ok(message_page(
            StatusCode::NOT_FOUND,
            "Sign-in is not set up",
            "This Glassbox has no sign-in provider configured. Ask its operator.",
        ));
    };
    let default = if purpose == Purpose::Owner {
        "/me"
    } else {
        "/staff"
    };
    let return_to = safe_return_to(q.return_to.as_deref(), default);
    let fresh = q.fresh.as_deref() == Some("1");
    let (url, login) = match provider.start(&return_to, fresh).await {
        Ok(x) => x,
        Err(e) => {
            tracing::error!(error = ?e, "could not start an OpenID Connect sign-in");
            return Ok(message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is unavailable",
                "We could not reach the sign-in provider. Please try again in a minute.",
            ));
        }
    };
    session
        .insert(PENDING_KEY, Pending { purpose, login })
        .await
        .map_err(session_failed)?;
    Ok(Redirect::to(&url).into_response())
}

/// `GET /auth/login`: an owner signs in at the provider.
pub async fn owner_login(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<LoginQuery>,
) -> Result<Response, HttpError> {
    start(&state, &session, Purpose::Owner, q).await
}

/// `GET /staff/login`: a staff member signs in at the organisation's provider.
pub async fn staff_login(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<LoginQuery>,
) -> Result<Response, HttpError> {
    start(&state, &session, Purpose::Staff, q).await
}

/// Keeps the staff sign-in steps to the allowed networks (`staff.allowed_networks`).
pub async fn staff_networks_only(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    if staff_network_allowed(&state, req.headers(), peer) {
        return next.run(req).await;
    }
    message_page(
        StatusCode::FORBIDDEN,
        "Not from this network",
        "The staff console can only be used from the organisation's networks.",
    )
}

fn refused(message: &str) -> Response {
    let message = message.to_string();
    plain_page(
        StatusCode::BAD_REQUEST,
        "Sign-in did not work",
        view! {
            <p>{message}</p>
            <p><a class="button" href="/">"Start again"</a></p>
        },
    )
}

/// `GET /auth/callback`: the provider sends the browser back here.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, HttpError> {
    // Single use: whatever happens next, this sign-in attempt is spent.
    let pending: Option<Pending> = session.remove(PENDING_KEY).await.map_err(session_failed)?;
    let Some(pending) = pending else {
        tracing::warn!("OIDC callback without a sign-in in progress (replayed or forged)");
        return Ok(refused("This sign-in link has already been used or was not started here. Please sign in again."));
    };
    if let Some(error) = q.error.as_deref() {
        tracing::info!(oidc.error = %error.chars().take(64).collect::<String>(), "the provider ended the sign-in");
        return Ok(refused("The sign-in was cancelled at the provider."));
    }
    let (Some(code), Some(returned_state)) = (q.code.as_deref(), q.state.as_deref()) else {
        return Ok(refused(
            "The provider's answer was incomplete. Please sign in again.",
        ));
    };
    let provider = match pending.purpose {
        Purpose::Owner => state.owner_oidc.clone(),
        Purpose::Staff => state.staff_oidc.clone(),
    }
    .ok_or(HttpError::NotFound)?;
    let who = match provider.finish(&pending.login, code, returned_state).await {
        Ok(who) => who,
        Err(
            e @ (CallbackError::StateMismatch
            | CallbackError::NoPendingLogin
            | CallbackError::ProviderError(_)),
        ) => {
            tracing::warn!(error = %e, "refused an OIDC callback");
            return Ok(refused(
                "This sign-in response does not belong to this browser. Please sign in again.",
            ));
        }
        Err(CallbackError::Invalid(e)) => {
            tracing::warn!(error = ?e, "refused an OIDC callback: the code or ID token did not verify");
            return Ok(refused(
                "The sign-in could not be verified. Please sign in again.",
            ));
        }
        Err(CallbackError::NotFresh) => {
            tracing::warn!(
                "refused a step-up: the ID token does not show a new sign-in (auth_time)"
            );
            return Ok(refused(
                "Your provider did not ask you to sign in again, so approval stays locked. Sign in again; if this repeats, tell your provider's administrator that it must honour prompt=login.",
            ));
        }
    };
    match pending.purpose {
        Purpose::Owner => {
            let owner = match sign_in::owner_for(&state.db, &state.clock, &who).await {
                Ok(o) => o,
                Err(ServiceError::Invalid(m)) => return Ok(refused(&m)),
                Err(ServiceError::Forbidden) => {
                    return Ok(refused(
                        "This mailbox is already linked to another sign-in account.",
                    ))
                }
                Err(e) => return Err(HttpError::unexpected("link owner", e)),
            };
            session.cycle_id().await.map_err(session_failed)?;
            let identity = SessionIdentity {
                last_seen_at: None,
                passkey_at: None,
                subject: Subject::Owner(owner),
                signed_in_at: state.clock.now(),
                method: SignInMethod::Oidc,
                id_token: Some(who.id_token),
            };
            session
                .insert(SESSION_KEY, identity)
                .await
                .map_err(session_failed)?;
            tracing::info!(owner.id = %owner, "owner signed in");
            Ok(Redirect::to(&pending.login.return_to).into_response())
        }
        Purpose::Staff => {
            let staff_id = match sign_in::staff_for(&state.db, &who).await {
                Ok(s) => s,
                Err(ServiceError::Forbidden) => {
                    tracing::warn!("refused a staff sign-in: unknown or disabled staff account");
                    return Ok(message_page(
                        StatusCode::FORBIDDEN,
                        "No staff access",
                        "This account is not a Glassbox staff account, or it is disabled. Ask a security admin.",
                    ));
                }
                Err(e) => return Err(HttpError::unexpected("find staff", e)),
            };
            // Not signed in yet: the second factor comes first.
            session.cycle_id().await.map_err(session_failed)?;
            let pending = TotpPending {
                staff_id,
                enrol_secret: None,
                attempts: 0,
                id_token: Some(who.id_token),
                totp_proved: false,
            };
            session
                .insert(TOTP_KEY, pending)
                .await
                .map_err(session_failed)?;
            Ok(Redirect::to("/staff/totp").into_response())
        }
    }
}

/// The TOTP form.
#[derive(Debug, Deserialize)]
pub struct TotpForm {
    code: String,
}

async fn totp_page(
    state: &AppState,
    session: &Session,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let Some(mut pending) = session
        .get::<TotpPending>(TOTP_KEY)
        .await
        .map_err(session_failed)?
    else {
        return Ok(Redirect::to("/staff/login").into_response());
    };
    let enrolled = staff::totp_secret(&state.db, pending.staff_id)
        .await
        .map_err(|e| HttpError::unexpected("load totp", e))?
        .is_some();
    let member = staff::get_staff(&state.db, pending.staff_id)
        .await
        .map_err(|e| HttpError::unexpected("load staff", e))?
        .ok_or(HttpError::NotFound)?;
    let has_key = crate::services::passkeys::has_keys(
        &state.db,
        crate::domain::passkey::KeyHolder::Staff(pending.staff_id),
    )
    .await
    .map_err(|e| HttpError::unexpected("count passkeys", e))?;
    let require = state.settings.staff.require_passkey;
    let error = error.map(|e| {
        let e = e.to_string();
        view! { <p class="notice notice-error" role="alert">{e}</p> }
    });
    if has_key || (require && (pending.totp_proved || !enrolled)) {
        let body = sign_in_step(has_key, require, !require && enrolled, error);
        return Ok(plain_page(status, "Second factor", body));
    }
    let lead_require = require.then(|| view! {
        <p class="notice">"Staff sign in with a passkey here. Enter your code this once; then add your passkey."</p>
    });
    let form = view! {
        <form method="post" action="/staff/totp" class="decision-form">
            <label for="code">"Six-digit code from your authenticator app"</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus/>
            <button type="submit" class="button button-primary">"Continue"</button>
        </form>
    };
    let body = if enrolled {
        view! {
            <p class="lead">"Enter the code your authenticator app shows for Glassbox."</p>
            {lead_require}
            {error}
            {form}
        }
        .into_any()
    } else {
        let secret = match &pending.enrol_secret {
            Some(s) => s.clone(),
            None => {
                let s = totp::new_secret();
                pending.enrol_secret = Some(s.clone());
                session
                    .insert(TOTP_KEY, &pending)
                    .await
                    .map_err(session_failed)?;
                s
            }
        };
        let enrolment = totp::enrolment(&secret, &member.email)
            .map_err(|e| HttpError::unexpected("build totp enrolment", e))?;
        view! {
            {sign_in_step(false, false, false, None::<&'static str>)}
            <h2>"Or use an authenticator app"</h2>
            <p class="lead">
                "Staff sign in with a second factor every time. Scan this code with an authenticator app \
                 (or type the key below), then enter the six-digit code it shows."
            </p>
            <figure class="qr">
                // Glassbox's own SVG (a path of squares and a label), built from the secret.
                <div inner_html=enrolment.qr_svg></div>
                <figcaption>"Key: "<code>{enrolment.base32}</code></figcaption>
            </figure>
            {error}
            {form}
        }
        .into_any()
    };
    Ok(plain_page(status, "Second factor", body))
}

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
            {super::passkey_views::key_name_field()}
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
        {super::passkey_views::ceremony_support("Passkeys need JavaScript. Turn it on for this site, then reload the page.")}
        {fallback}
    }
    .into_any()
}

/// `GET /staff/totp`.
pub async fn totp_form(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, HttpError> {
    totp_page(&state, &session, None, StatusCode::OK).await
}

/// `POST /staff/totp`: checks the code; a correct one completes the staff sign-in.
pub async fn totp_submit(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<TotpForm>,
) -> Result<Response, HttpError> {
    let Some(mut pending) = session
        .get::<TotpPending>(TOTP_KEY)
        .await
        .map_err(session_failed)?
    else {
        return Ok(Redirect::to("/staff/login").into_response());
    };
    pending.attempts += 1;
    if pending.attempts > state.settings.auth.totp_max_attempts {
        session
            .remove::<TotpPending>(TOTP_KEY)
            .await
            .map_err(session_failed)?;
        tracing::warn!(staff.id = %pending.staff_id, "too many wrong TOTP codes; the sign-in was abandoned");
        return Ok(plain_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            view! {
                <p>"Too many wrong codes. Wait a minute, then "<a href="/staff/login">"sign in again"</a>"."</p>
            },
        ));
    }
    session
        .insert(TOTP_KEY, &pending)
        .await
        .map_err(session_failed)?;
    let now = state.clock.now();
    let enrolling = match second_factor::check_code(
        &state.db,
        &state.settings,
        pending.staff_id,
        pending.enrol_secret.as_deref(),
        form.code.trim(),
        now,
    )
    .await
    .map_err(|e| HttpError::unexpected("check totp", e))?
    {
        CodeCheck::Accepted { enrolled } => enrolled,
        CodeCheck::NotEnrolled => return totp_page(&state, &session, None, StatusCode::OK).await,
        CodeCheck::Wrong => {
            tracing::warn!(staff.id = %pending.staff_id, attempt = pending.attempts, "wrong TOTP code");
            return totp_page(
                &state,
                &session,
                Some("That code is not right. Check the time on your phone and try the current code."),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        CodeCheck::Replayed => {
            tracing::warn!(staff.id = %pending.staff_id, attempt = pending.attempts, "a TOTP code was used a second time");
            return totp_page(
                &state,
                &session,
                Some("That code was already used. Wait for your app to show the next one and enter that."),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        CodeCheck::EnrolmentChanged => {
            return Ok(refused(
                "Your second factor changed meanwhile. Please sign in again.",
            ))
        }
    };
    tracing::info!(staff.id = %pending.staff_id, enrolled = enrolling, "staff proved a TOTP code");
    if state.settings.staff.require_passkey {
        // Passkeys only: the code proved who this is once, so they may add their first
        // passkey; the sign-in completes with that key, never with the code.
        let has_key = crate::services::passkeys::has_keys(
            &state.db,
            crate::domain::passkey::KeyHolder::Staff(pending.staff_id),
        )
        .await
        .map_err(|e| HttpError::unexpected("count passkeys", e))?;
        if has_key {
            return totp_page(
                &state,
                &session,
                Some("Staff sign in with a passkey here. Use your security key below."),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        pending.totp_proved = true;
        session
            .insert(TOTP_KEY, &pending)
            .await
            .map_err(session_failed)?;
        return totp_page(&state, &session, None, StatusCode::OK).await;
    }
    complete_staff_sign_in(
        &state,
        &session,
        pending,
        app::model::SignInFactor::Totp,
        now,
    )
    .await
}

/// The staff member who passed the provider and owes a second factor, if this session has one.
pub(crate) async fn staff_pending(session: &Session) -> Result<Option<StaffPending>, HttpError> {
    session
        .get::<TotpPending>(TOTP_KEY)
        .await
        .map_err(session_failed)
        .map(|p| {
            p.map(|p| StaffPending {
                staff_id: p.staff_id,
                totp_proved: p.totp_proved,
            })
        })
}

/// What the passkey routes may know of a staff sign-in in progress.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StaffPending {
    /// Who.
    pub staff_id: StaffId,
    /// They proved a TOTP code in this sign-in (so may add a first passkey).
    pub totp_proved: bool,
}

/// Completes the staff sign-in in progress with `factor` (a passkey, or a TOTP code): a new
/// session id, the identity, the staff idle limit, and the sign-in written down first (the
/// sign-in fails when that cannot be written). Answers the redirect to the console.
pub(crate) async fn finish_staff_sign_in(
    state: &AppState,
    session: &Session,
    factor: app::model::SignInFactor,
) -> Result<Option<String>, HttpError> {
    let Some(pending) = session
        .get::<TotpPending>(TOTP_KEY)
        .await
        .map_err(session_failed)?
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    complete_staff_sign_in(state, session, pending, factor, now).await?;
    Ok(Some("/staff".to_string()))
}

async fn complete_staff_sign_in(
    state: &AppState,
    session: &Session,
    pending: TotpPending,
    factor: app::model::SignInFactor,
    now: time::OffsetDateTime,
) -> Result<Response, HttpError> {
    crate::services::staff::signed_in(&state.db, pending.staff_id, factor, now)
        .await
        .map_err(|e| HttpError::unexpected("record staff sign-in", e))?;
    session
        .remove::<TotpPending>(TOTP_KEY)
        .await
        .map_err(session_failed)?;
    session.cycle_id().await.map_err(session_failed)?;
    let passkey = factor == app::model::SignInFactor::Passkey;
    let identity = SessionIdentity {
        last_seen_at: None,
        passkey_at: passkey.then_some(now),
        subject: Subject::Staff(pending.staff_id),
        signed_in_at: now,
        method: if passkey {
            SignInMethod::OidcAndPasskey
        } else {
            SignInMethod::OidcAndTotp
        },
        id_token: pending.id_token,
    };
    session
        .insert(SESSION_KEY, identity)
        .await
        .map_err(session_failed)?;
    session.set_expiry(Some(Expiry::OnInactivity(time::Duration::minutes(
        state.settings.session.staff_idle_minutes,
    ))));
    tracing::info!(staff.id = %pending.staff_id, factor = %factor, "staff signed in with a second factor");
    Ok(Redirect::to("/staff").into_response())
}
