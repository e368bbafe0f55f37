//! `POST /staff/requests/{id}/imap-credential`: the agent makes the IMAP credential of one of
//! their live content grants from a plain form, and the answer is a page that shows it once.
//!
//! A plain server-rendered path, not a server function: with JavaScript off a server
//! function's form is answered by a redirect back to the page, and a secret that is shown
//! only once would be lost on the way. The answer is `no-store` and `no-referrer` (the
//! secret must not stay in a cache or travel anywhere), and reloading it does not show the
//! secret again: the browser would post again and make a new credential, replacing this one.
//! Mounted inside the cookie session and its CSRF guard; the viewer must be the request's
//! agent, signed in with their second factor (anyone else gets "nothing here").

use crate::http::pages;
use crate::services::error::ServiceError;
use crate::services::imap;
use crate::state::AppState;
use app::model::{RequestId, Viewer};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use leptos::prelude::*;

/// The routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/staff/requests/{id}/imap-credential",
        axum::routing::post(issue),
    )
}

fn page(status: StatusCode, title: &str, main: impl IntoView + 'static) -> Response {
    let mut res = pages::page(status, title, main);
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn issue(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    Path(id): Path<String>,
) -> Response {
    let staff = match viewer {
        Some(Viewer::Staff { staff_id, .. }) => staff_id,
        Some(Viewer::Owner { .. }) => return problem(ServiceError::NotFound("request"), ""),
        None => return Redirect::to("/staff/login").into_response(),
    };
    let Ok(id) = id.parse::<RequestId>() else {
        return problem(ServiceError::NotFound("request"), "");
    };
    let back = format!("/staff/requests/{id}");
    match imap::issue_credential(&state.db, &state.clock, &state.settings, staff, id).await {
        Ok(c) => page(
            StatusCode::OK,
            "IMAP credential",
            view! {
                <h1>"IMAP credential"</h1>
                <div class="notice notice-success" role="status">
                    <p>"Copy it now: it is shown only once. Leaving or reloading this page does not show it again."</p>
                    <p>"User: " <code data-testid="imap-login">{c.login}</code></p>
                    <p>"Password: " <code data-testid="imap-secret">{c.secret}</code></p>
                </div>
                <p>"It works only for this mailbox, for you, while this grant lasts. Making a new one replaces it."</p>
                <p><a class="button" href=back>"Back to the request"</a></p>
            },
        ),
        Err(e) => problem(e, "issue an IMAP credential"),
    }
}

fn problem(e: ServiceError, context: &'static str) -> Response {
    let (status, message) = match e {
        ServiceError::NotFound(_) | ServiceError::Forbidden | ServiceError::Unauthorized => {
            (StatusCode::NOT_FOUND, "There is nothing here.".to_string())
        }
        ServiceError::Conflict(m) => (StatusCode::CONFLICT, m),
        ServiceError::Invalid(m) | ServiceError::Unknown(m) => (StatusCode::BAD_REQUEST, m),
        ServiceError::Request(e) => (StatusCode::BAD_REQUEST, e.plain_words()),
        ServiceError::Refused(m) => (StatusCode::FORBIDDEN, m),
        e @ ServiceError::PasskeyRequired { .. } => {
            (StatusCode::FORBIDDEN, e.into_app_error(context).to_string())
        }
        ServiceError::Unexpected(e) => {
            let app_error = crate::services::unexpected(context, e);
            let status = StatusCode::from_u16(app_error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, app_error.to_string())
        }
    };
    page(
        status,
        "IMAP credential",
        view! {
            <h1>"No IMAP credential was made"</h1>
            <p role="alert">{message}</p>
            <p><a class="button" href="/staff">"Go to the staff console"</a></p>
        },
    )
}
