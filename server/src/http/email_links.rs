//! The pages email links open, and the local development mailbox.
//!
//! `GET /email/requests/{token}` shows one pending request with its two choices and changes
//! nothing (mail scanners fetch every link). Deny is a POST from that page and needs only
//! the token and answers with a redirect to `…/denied`, which shows the confirmation by GET;
//! Approve leads to the owner's request page, where the signed-in owner (with a
//! recent sign-in) approves. `GET /email/unsubscribe/{token}` asks for confirmation; the
//! POST (also RFC 8058 one-click from mail programs, without cookies) stops the digest.
//! Responses carry `Referrer-Policy: no-referrer` and `Cache-Control: no-store`, so the
//! token in the address never travels further.
//!
//! `/dev/mailbox` lists what Glassbox sent, rendered, when the email backend is `dev`, the
//! environment is `local` and Glassbox listens on loopback only; otherwise it is 404.

use crate::config::Environment;
use crate::db::outbox;
use crate::http::pages;
use crate::services::action_links;
use crate::services::error::ServiceError;
use crate::state::AppState;
use app::components::format::{date_time, duration_minutes, sentence_list};
use app::model::Viewer;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use leptos::prelude::*;
use serde::Deserialize;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/email/requests/{token}", get(request_page))
        .route("/email/requests/{token}/deny", axum::routing::post(deny))
        .route("/email/requests/{token}/denied", get(denied_page))
        .route("/email/unsubscribe/{token}", get(unsubscribe_page))
        .route("/dev/mailbox", get(dev_mailbox))
        .route("/dev/mailbox/{id}", get(dev_message))
        .route("/dev/mailbox/{id}/html", get(dev_message_html))
}

/// One-click unsubscribe (RFC 8058): mail programs POST it with no cookie and no `Origin`.
/// The token in the path is its only authority, so there is nothing to forge, and it is
/// mounted outside the cookie session (and its CSRF guard).
pub fn one_click_routes() -> Router<AppState> {
    Router::new().route(
        "/email/unsubscribe/{token}",
        axum::routing::post(unsubscribe),
    )
}

/// A page an email link opens. The token in its address must not travel further (no
/// referrer, no caching, no indexing).
fn page(status: StatusCode, title: &str, main: impl IntoView + 'static) -> Response {
    let mut res = pages::page(status, title, main);
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    res
}

fn problem(e: ServiceError, context: &'static str) -> Response {
    let (status, message) = match e {
        ServiceError::NotFound(_) | ServiceError::Forbidden | ServiceError::Unauthorized => {
            (StatusCode::NOT_FOUND, "There is nothing here.".to_string())
        }
        ServiceError::Conflict(m) => (StatusCode::GONE, m),
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
        "This link",
        view! {
            <h1>"This link cannot be used"</h1>
            <p role="alert">{message}</p>
            <p><a class="button" href="/me">"Go to your overview"</a></p>
        },
    )
}

async fn request_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    Path(token): Path<String>,
) -> Response {
    let linked =
        match action_links::view_request(&state.db, &state.clock, &state.settings, &token).await {
            Ok(l) => l,
            Err(e) => return problem(e, "open request link"),
        };
    let signed_in_owner =
        matches!(&viewer, Some(Viewer::Owner { owner_id, .. }) if *owner_id == linked.owner);
    let r = linked.request;
    let detail = format!("/me/requests/{}", r.id);
    let (approve_href, approve_label) = if signed_in_owner {
        (detail, "Approve on your request page")
    } else {
        (
            format!("/auth/login?fresh=1&return_to={detail}"),
            "Sign in to approve",
        )
    };
    let what: Vec<&str> = r.scopes.iter().map(|s| s.plain_words()).collect();
    let what = sentence_list(&what);
    let who = r.agent_pseudonym;
    let deny_action = format!("/email/requests/{token}/deny");
    page(
        StatusCode::OK,
        "Access request",
        view! {
            <h1>"Access request"</h1>
            <article class="request-card" aria-label=format!("Request from {who}")>
                <header>
                    <h2>{who.clone()}" "<span class="role">{format!("· {}", r.agent_role.label())}</span></h2>
                </header>
                <dl>
                    <dt>"Mailbox"</dt><dd>{r.mailbox}</dd>
                    <dt>"Wants to"</dt><dd>{what}</dd>
                    <dt>"Why"</dt>
                    <dd>{format!("{}: “{}”", r.justification_code.plain_words(), r.justification_text)}</dd>
                    {r.ticket.map(|t| view! { <dt>"Ticket"</dt><dd>{t}</dd> })}
                    <dt>"For"</dt><dd>{format!("{} from your approval", duration_minutes(r.duration_minutes))}</dd>
                    <dt>"Decide by"</dt><dd>{date_time(r.expires_at)}</dd>
                </dl>
            </article>
            <section class="decide" aria-labelledby="decide-heading">
                <h2 id="decide-heading">"Your decision"</h2>
                <p>"Nothing has changed yet: only the buttons below decide."</p>
                <div class="decision-form">
                    <p>"Approving lets this person in, so it needs you to sign in first."</p>
                    <a class="button button-primary" href=approve_href>{approve_label}</a>
                </div>
                <form class="decision-form" method="post" action=deny_action>
                    <label for="deny-reason">"Reason (optional; the agent will see it)"</label>
                    <textarea id="deny-reason" name="reason" maxlength="1000" rows="3"></textarea>
                    <button type="submit" class="button button-danger">"Deny access"</button>
                </form>
            </section>
        },
    )
}

/// The deny form.
#[derive(Debug, Deserialize)]
pub struct DenyForm {
    /// Optional reason.
    pub reason: Option<String>,
}

async fn deny(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<DenyForm>,
) -> Response {
    let reason = form.reason.filter(|r| !r.trim().is_empty());
    match action_links::deny_with_token(&state.db, &state.clock, &state.settings, &token, reason)
        .await
    {
        // Redirect after POST: the browser shows the confirmation by GET, so Back and
        // reload do not offer to send the form again.
        Ok(_) => {
            let mut res = axum::response::Redirect::to(&format!("/email/requests/{token}/denied"))
                .into_response();
            let h = res.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            res
        }
        Err(e) => problem(e, "deny by link"),
    }
}

async fn denied_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match action_links::denied_by_link(&state.db, &state.settings, &token).await {
        Ok(r) => page(
            StatusCode::OK,
            "Request denied",
            view! {
                <h1>"You denied this request"</h1>
                <p role="status">{format!("Nobody gets access to {}. The agent has been told.", r.mailbox)}</p>
                <p><a class="button" href="/me">"Go to your overview"</a></p>
            },
        ),
        Err(e) => problem(e, "open denied request link"),
    }
}

async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(e) =
        action_links::view_unsubscribe(&state.db, &state.clock, &state.settings, &token).await
    {
        return problem(e, "open unsubscribe link");
    }
    let action = format!("/email/unsubscribe/{token}");
    page(
        StatusCode::OK,
        "Stop access emails",
        view! {
            <h1>"Stop the daily access summary?"</h1>
            <p>
                "You will stop getting emails about staff accesses. Requests for access are still \
                 sent to you at once, and every access stays on your history page."
            </p>
            <form method="post" action=action>
                <button type="submit" class="button button-danger">"Stop access emails"</button>
            </form>
        },
    )
}

async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match action_links::unsubscribe_with_token(&state.db, &state.clock, &state.settings, &token)
        .await
    {
        Ok(()) => page(
            StatusCode::OK,
            "Access emails stopped",
            view! {
                <h1>"Access emails stopped"</h1>
                <p role="status">
                    "You will no longer get emails about accesses. Requests for access are still sent to you at once."
                </p>
                <p><a class="button" href="/me">"Go to your overview"</a></p>
            },
        ),
        Err(e) => problem(e, "unsubscribe by link"),
    }
}

fn dev_mailbox_on(state: &AppState) -> bool {
    state.mailer.is_dev()
        && state.settings.environment == Environment::Local
        && state.settings.http.bind.ip().is_loopback()
}

fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        view! { <h1>"Not found"</h1> },
    )
}

async fn dev_mailbox(State(state): State<AppState>) -> Response {
    if !dev_mailbox_on(&state) {
        return not_found();
    }
    let rows = match outbox::list(&state.db, None, 200).await {
        Ok(rows) => rows,
        Err(e) => return problem(ServiceError::Unexpected(e.into()), "dev mailbox"),
    };
    let empty = rows
        .is_empty()
        .then(|| view! { <tr><td colspan="4">"No email yet."</td></tr> });
    let items = rows
        .into_iter()
        .map(|m| {
            view! {
                <tr>
                    <td>{date_time(m.created_at)}</td>
                    <td>{m.recipient}</td>
                    <td><a href=format!("/dev/mailbox/{}", m.id)>{m.subject}</a></td>
                    <td>{m.status}</td>
                </tr>
            }
        })
        .collect_view();
    page(
        StatusCode::OK,
        "Development mailbox",
        view! {
            <h1>"Development mailbox"</h1>
            <p>
                "Every email Glassbox wrote, newest first. They never leave this machine ("
                <code>"GLASSBOX__EMAIL__BACKEND=dev"</code>")."
            </p>
            <table>
                <thead><tr><th>"Written"</th><th>"To"</th><th>"Subject"</th><th>"Status"</th></tr></thead>
                <tbody>{empty}{items}</tbody>
            </table>
        },
    )
}

async fn dev_row(state: &AppState, id: &str) -> Result<outbox::OutboxRow, Response> {
    if !dev_mailbox_on(state) {
        return Err(not_found());
    }
    let id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    match outbox::get(&state.db, id).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(not_found()),
        Err(e) => Err(problem(ServiceError::Unexpected(e.into()), "dev mailbox")),
    }
}

async fn dev_message(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let m = match dev_row(&state, &id).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let subject = m.subject.clone();
    let html_href = format!("/dev/mailbox/{}/html", m.id);
    page(
        StatusCode::OK,
        &m.subject,
        view! {
            <h1>{subject}</h1>
            <dl>
                <dt>"To"</dt><dd>{m.recipient}</dd>
                <dt>"Message-ID"</dt><dd><code>{m.message_id}</code></dd>
                <dt>"Kind"</dt><dd>{m.kind}</dd>
                <dt>"Written"</dt><dd>{date_time(m.created_at)}</dd>
            </dl>
            <p><a href=html_href>"See the HTML version"</a>" · "<a href="/dev/mailbox">"All messages"</a></p>
            <pre class="email-text">{clickable_links(&m.body_text)}</pre>
        },
    )
}

/// The text of an email, with each line that is only a link made clickable (so the demo
/// can follow them).
fn clickable_links(text: &str) -> impl IntoView {
    text.split('\n')
        .map(|line| {
            let t = line.trim();
            let link = (t.starts_with("http://") || t.starts_with("https://")) && !t.contains(' ');
            let line = if link {
                let (href, t) = (t.to_string(), t.to_string());
                view! { <a href=href>{t}</a> }.into_any()
            } else {
                line.to_string().into_any()
            };
            view! { {line}"\n" }
        })
        .collect_view()
}

async fn dev_message_html(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match dev_row(&state, &id).await {
        Ok(m) => {
            let mut res = axum::response::Html(m.body_html).into_response();
            res.headers_mut().insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            res
        }
        Err(res) => res,
    }
}
