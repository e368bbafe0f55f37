//! Sign-in and sign-out routes, and the middleware that turns a session into a
//! [`Viewer`] for pages and server functions.

use super::identity::{
    self, parse_demo_choice, ResolveError, SessionIdentity, SignInMethod, Subject, SESSION_KEY,
};
use crate::http::error::HttpError;
use crate::http::security::staff_network_allowed;
use crate::state::AppState;
use app::model::Viewer;
use axum::extract::{Form, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::{Expiry, Session};

/// The form the demo sign-in page posts.
#[derive(Debug, Deserialize)]
pub struct DemoSignInForm {
    /// `owner:<id>` or `staff:<id>`.
    pub identity: String,
    /// Where to go afterwards (a local path on the person's side of Glassbox).
    #[serde(default)]
    pub return_to: Option<String>,
}

/// `POST /auth/demo`: signs in as a demo identity. Only when demo sign-in is enabled
/// (local environment, loopback listener); otherwise 404 as if it did not exist.
pub async fn demo_sign_in(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<DemoSignInForm>,
) -> Result<Response, HttpError> {
    if !state.settings.demo_sign_in() {
        return Err(HttpError::NotFound);
    }
    let subject = parse_demo_choice(&form.identity).ok_or_else(|| {
        HttpError::BadRequest("Choose one of the people listed on the sign-in page.".into())
    })?;
    match identity::resolve(&state.db, subject).await {
        Ok(_) => {}
        Err(ResolveError::Gone) => {
            return Err(HttpError::BadRequest(
                "That person does not exist here. Choose one of the people listed.".into(),
            ))
        }
        Err(ResolveError::Store(e)) => {
            return Err(HttpError::unexpected("resolve demo identity", e))
        }
    }
    // A new session id at every sign-in: a session id planted before sign-in is useless after.
    session
        .cycle_id()
        .await
        .map_err(|e| HttpError::unexpected("cycle session id", e))?;
    let identity = SessionIdentity {
        last_seen_at: None,
        passkey_at: None,
        subject,
        signed_in_at: state.clock.now(),
        method: SignInMethod::Demo,
        id_token: None,
    };
    session
        .insert(SESSION_KEY, &identity)
        .await
        .map_err(|e| HttpError::unexpected("store session", e))?;
    let wanted = crate::oidc::safe_return_to(form.return_to.as_deref(), "");
    let target = match subject {
        Subject::Owner(_) if wanted.starts_with("/me") || wanted.starts_with("/email/") => wanted,
        Subject::Owner(_) => "/me".to_string(),
        Subject::Staff(id) => {
            crate::services::staff::signed_in(
                &state.db,
                id,
                app::model::SignInFactor::Demo,
                state.clock.now(),
            )
            .await
            .map_err(|e| HttpError::unexpected("record staff sign-in", e))?;
            let idle = time::Duration::minutes(state.settings.session.staff_idle_minutes);
            session.set_expiry(Some(Expiry::OnInactivity(idle)));
            if wanted.starts_with("/staff") || wanted.starts_with("/admin") {
                wanted
            } else {
                "/staff".to_string()
            }
        }
    };
    tracing::info!(session.subject = ?subject, "signed in with the demo sign-in");
    Ok(Redirect::to(&target).into_response())
}

/// `POST /auth/logout`: ends the session (deleted from the store) and, after a provider
/// sign-in, the provider's session too when it supports that; otherwise goes home.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, HttpError> {
    let identity = session
        .get::<SessionIdentity>(SESSION_KEY)
        .await
        .map_err(|e| HttpError::unexpected("read session", e))?;
    session
        .flush()
        .await
        .map_err(|e| HttpError::unexpected("end session", e))?;
    let home = state.settings.public_url.join("/");
    if let Some(identity) = identity.filter(|i| i.method != SignInMethod::Demo) {
        let provider = match identity.subject {
            Subject::Owner(_) => state.owner_oidc.clone(),
            Subject::Staff(_) => state.staff_oidc.clone(),
        };
        if let Some(provider) = provider {
            if let Some(url) = provider
                .logout_url(identity.id_token.as_deref(), &home)
                .await
            {
                return Ok(Redirect::to(&url).into_response());
            }
        }
    }
    Ok(Redirect::to("/").into_response())
}

/// How often, at most, use of a session is written down (and its expiry in the store
/// pushed back).
const ACTIVITY_STEP: time::Duration = time::Duration::seconds(30);

/// The idle limit of a session of `subject`: owners and staff each have their own.
fn idle_limit(state: &AppState, subject: Subject) -> time::Duration {
    let minutes = match subject {
        Subject::Owner(_) => state.settings.session.owner_idle_minutes,
        Subject::Staff(_) => state.settings.session.staff_idle_minutes,
    };
    time::Duration::minutes(minutes)
}

/// Puts `Option<Viewer>` into the request extensions. Static files skip the session.
///
/// Session lifetimes are decided here, by Glassbox's clock: a session idle longer than its
/// person's limit (owners' or staff's) is ended; a session in use has its last use written
/// down (at most every [`ACTIVITY_STEP`]), which also pushes back its expiry in the store.
/// Whatever a handler changes in a session, it is saved with the expiry of the person it
/// belongs to, never the layer's default (a sign-in step for an owner must not give a
/// staff session an owner's lifetime).
pub async fn load_viewer(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let viewer = if path.starts_with("/pkg/") {
        None
    } else {
        match viewer_for(&state, &session).await {
            Ok(viewer) => viewer,
            // Who this is cannot be told now: say so, rather than "please sign in".
            Err(e) => return cannot_tell_who(path, &e),
        }
    };
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let viewer = match viewer {
        Some(Viewer::Staff { .. }) if !staff_network_allowed(&state, req.headers(), peer) => None,
        other => other,
    };
    // When the session last confirmed a passkey (only for a session that has a viewer).
    let confirmed = match &viewer {
        Some(_) => session
            .get::<SessionIdentity>(SESSION_KEY)
            .await
            .ok()
            .flatten()
            .and_then(|i| i.passkey_at),
        None => None,
    };
    req.extensions_mut()
        .insert(app::model::PasskeyConfirmed(confirmed));
    req.extensions_mut().insert::<Option<Viewer>>(viewer);
    let res = next.run(req).await;
    if session.is_modified() {
        if let Ok(Some(identity)) = session.get::<SessionIdentity>(SESSION_KEY).await {
            session.set_expiry(Some(Expiry::OnInactivity(idle_limit(
                &state,
                identity.subject,
            ))));
        }
    }
    res
}

/// The answer when the session or the account behind it cannot be read (the database is
/// down, full or failing): a server function gets the error as its JSON, a page the page of
/// the error, with its status (503 and `Retry-After` when the database is unavailable).
fn cannot_tell_who(path: &str, error: &app::error::AppError) -> Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use leptos::prelude::*;
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = if path.starts_with("/api/") {
        (status, axum::Json(error)).into_response()
    } else {
        let message = error.to_string();
        crate::http::pages::page(
            status,
            "Unavailable",
            view! {
                <h1>"Glassbox cannot show this page just now"</h1>
                <p role="alert">{message}</p>
            },
        )
    };
    if matches!(error, app::error::AppError::Unavailable) {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    res
}

/// Who the session belongs to: `None` for a visitor who is not signed in (or whose session
/// ended); an error when it cannot be told (the session or the account cannot be read).
async fn viewer_for(
    state: &AppState,
    session: &Session,
) -> Result<Option<Viewer>, app::error::AppError> {
    let identity = match session.get::<SessionIdentity>(SESSION_KEY).await {
        Ok(Some(identity)) => identity,
        Ok(None) => return Ok(None),
        // The session store is the database: a failure to read it is the database's.
        Err(e) => {
            tracing::warn!(error = %e, "could not read the session");
            return Err(app::error::AppError::Unavailable);
        }
    };
    let now = state.clock.now();
    if identity.staff_session_expired(now, state.settings.session.staff_absolute_hours) {
        tracing::info!(session.subject = ?identity.subject, "staff session reached its absolute limit");
        if let Err(e) = session.flush().await {
            tracing::warn!(error = %e, "could not end the session");
        }
        return Ok(None);
    }
    let idle = idle_limit(state, identity.subject);
    if identity.idle_too_long(now, idle) {
        tracing::info!(session.subject = ?identity.subject, "session ended after its idle limit");
        if let Err(e) = session.flush().await {
            tracing::warn!(error = %e, "could not end the session");
        }
        return Ok(None);
    }
    let mut identity = identity;
    if identity.due_for_activity(now, ACTIVITY_STEP) {
        identity.last_seen_at = Some(now);
        if let Err(e) = session.insert(SESSION_KEY, &identity).await {
            tracing::warn!(error = %e, "could not write down the session's use");
        }
    }
    match identity::resolve(&state.db, identity.subject).await {
        Ok(Viewer::Owner {
            owner_id,
            display_name,
            ..
        }) => Ok(Some(Viewer::Owner {
            owner_id,
            display_name,
            step_up_needed: identity.needs_step_up(now, state.settings.auth.step_up_minutes),
        })),
        Ok(viewer) => Ok(Some(viewer)),
        Err(ResolveError::Gone) => {
            tracing::info!(session.subject = ?identity.subject, "ending a session whose account is gone or disabled");
            if let Err(e) = session.flush().await {
                tracing::warn!(error = %e, "could not end the session");
            }
            Ok(None)
        }
        Err(ResolveError::Store(e)) => Err(crate::services::unexpected(
            "resolve the signed-in account",
            e,
        )),
    }
}
