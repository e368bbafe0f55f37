//! The pages email links open, and the local development mailbox.
//!
//! `GET /email/requests/{token}` shows one pending request with its two choices and changes
//! nothing (mail scanners fetch every link). Deny is a POST from that page and needs only
//! the token; Approve leads to the owner's request page, where the signed-in owner (with a
//! recent sign-in) approves. `GET /email/unsubscribe/{token}` asks for confirmation; the
//! POST (also RFC 8058 one-click from mail programs, without cookies) stops the digest.
//! Responses carry `Referrer-Policy: no-referrer` and `Cache-Control: no-store`, so the
//! token in the address never travels further.
//!
//! `/dev/mailbox` lists what Glassbox sent, rendered, when the email backend is `dev`, the
//! environment is `local` and Glassbox listens on loopback only; otherwise it is 404.

use crate::config::Environment;
use crate::db::outbox;
use crate::email::messages::render::escape;
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
use serde::Deserialize;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/email/requests/{token}", get(request_page))
        .route("/email/requests/{token}/deny", axum::routing::post(deny))
        .route(
            "/email/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/dev/mailbox", get(dev_mailbox))
        .route("/dev/mailbox/{id}", get(dev_message))
        .route("/dev/mailbox/{id}/html", get(dev_message_html))
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — Glassbox</title><link rel=\"stylesheet\" href=\"/pkg/glassbox.css\"><link rel=\"icon\" href=\"/favicon.svg\"></head>\
         <body><header class=\"site-header\"><a class=\"brand\" href=\"/\">Glassbox</a></header><main id=\"main\">{body}</main></body></html>",
        escape(title)
    );
    let mut res = (status, axum::response::Html(html)).into_response();
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
        ServiceError::Invalid(m) => (StatusCode::BAD_REQUEST, m),
        ServiceError::Unexpected(e) => {
            let app_error = crate::services::unexpected(context, e);
            (StatusCode::INTERNAL_SERVER_ERROR, app_error.to_string())
        }
    };
    page(
        status,
        "This link",
        &format!(
            "<h1>This link cannot be used</h1><p role=\"alert\">{}</p><p><a class=\"button\" href=\"/me\">Go to your overview</a></p>",
            escape(&message)
        ),
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
    let r = &linked.request;
    let what: Vec<&str> = r.scopes.iter().map(|s| s.plain_words()).collect();
    let signed_in_owner =
        matches!(&viewer, Some(Viewer::Owner { owner_id, .. }) if *owner_id == linked.owner);
    let detail = format!("/me/requests/{}", r.id);
    let approve_href = if signed_in_owner {
        detail.clone()
    } else {
        format!("/auth/login?fresh=1&return_to={detail}")
    };
    let approve_label = if signed_in_owner {
        "Approve on your request page"
    } else {
        "Sign in to approve"
    };
    let ticket = r
        .ticket
        .as_ref()
        .map(|t| format!("<dt>Ticket</dt><dd>{}</dd>", escape(t)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Access request</h1>\
         <article class=\"request-card\" aria-label=\"Request from {who}\"><header><h2>{who} <span class=\"role\">· {role}</span></h2></header>\
         <dl><dt>Mailbox</dt><dd>{mailbox}</dd><dt>Wants to</dt><dd>{what}</dd>\
         <dt>Why</dt><dd>{code}: “{text}”</dd>{ticket}<dt>For</dt><dd>{duration} from your approval</dd>\
         <dt>Decide by</dt><dd>{expires}</dd></dl></article>\
         <section class=\"decide\" aria-labelledby=\"decide-heading\"><h2 id=\"decide-heading\">Your decision</h2>\
         <p>Nothing has changed yet: only the buttons below decide.</p>\
         <div class=\"decision-form\"><p>Approving lets this person in, so it needs you to sign in first.</p>\
         <a class=\"button button-primary\" href=\"{approve_href}\">{approve_label}</a></div>\
         <form class=\"decision-form\" method=\"post\" action=\"/email/requests/{token}/deny\">\
         <label for=\"deny-reason\">Reason (optional; the agent will see it)</label>\
         <textarea id=\"deny-reason\" name=\"reason\" maxlength=\"1000\" rows=\"3\"></textarea>\
         <button type=\"submit\" class=\"button button-danger\">Deny access</button></form></section>",
        who = escape(&r.agent_pseudonym),
        role = escape(r.agent_role.label()),
        mailbox = escape(&r.mailbox),
        what = escape(&sentence_list(&what)),
        code = escape(r.justification_code.plain_words()),
        text = escape(&r.justification_text),
        duration = escape(&duration_minutes(r.duration_minutes)),
        expires = escape(&date_time(r.expires_at)),
        approve_href = escape(&approve_href),
        token = escape(&token),
    );
    page(StatusCode::OK, "Access request", &body)
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
    match action_links::deny_with_token(&state.db, &state.clock, &state.settings, &token, reason).await {
        Ok(r) => page(
            StatusCode::OK,
            "Request denied",
            &format!(
                "<h1>You denied this request</h1><p role=\"status\">Nobody gets access to {}. The agent has been told.</p>\
                 <p><a class=\"button\" href=\"/me\">Go to your overview</a></p>",
                escape(&r.mailbox)
            ),
        ),
        Err(e) => problem(e, "deny by link"),
    }
}

async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(e) =
        action_links::view_unsubscribe(&state.db, &state.clock, &state.settings, &token).await
    {
        return problem(e, "open unsubscribe link");
    }
    page(
        StatusCode::OK,
        "Stop access emails",
        &format!(
            "<h1>Stop the daily access summary?</h1><p>You will stop getting emails about staff accesses. \
             Requests for access are still sent to you at once, and every access stays on your history page.</p>\
             <form method=\"post\" action=\"/email/unsubscribe/{}\"><button type=\"submit\" class=\"button button-danger\">Stop access emails</button></form>",
            escape(&token)
        ),
    )
}

async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match action_links::unsubscribe_with_token(&state.db, &state.clock, &state.settings, &token).await {
        Ok(()) => page(
            StatusCode::OK,
            "Access emails stopped",
            "<h1>Access emails stopped</h1><p role=\"status\">You will no longer get emails about accesses. \
             Requests for access are still sent to you at once.</p><p><a class=\"button\" href=\"/me\">Go to your overview</a></p>",
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
    page(StatusCode::NOT_FOUND, "Not found", "<h1>Not found</h1>")
}

async fn dev_mailbox(State(state): State<AppState>) -> Response {
    if !dev_mailbox_on(&state) {
        return not_found();
    }
    let rows = match outbox::list(&state.db, None, 200).await {
        Ok(rows) => rows,
        Err(e) => return problem(ServiceError::Unexpected(e.into()), "dev mailbox"),
    };
    let mut items = String::new();
    for m in &rows {
        items.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><a href=\"/dev/mailbox/{}\">{}</a></td><td>{}</td></tr>",
            escape(&date_time(m.created_at)),
            escape(&m.recipient),
            m.id,
            escape(&m.subject),
            escape(&m.status)
        ));
    }
    let body = format!(
        "<h1>Development mailbox</h1><p>Every email Glassbox wrote, newest first. They never leave this machine \
         (<code>GLASSBOX__EMAIL__BACKEND=dev</code>).</p>\
         <table><thead><tr><th>Written</th><th>To</th><th>Subject</th><th>Status</th></tr></thead><tbody>{}</tbody></table>",
        if items.is_empty() { "<tr><td colspan=\"4\">No email yet.</td></tr>".to_string() } else { items }
    );
    page(StatusCode::OK, "Development mailbox", &body)
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
    // Links in the text become clickable, so the demo can follow them.
    let text = escape(&m.body_text);
    let linked = clickable_links(&text);
    let body = format!(
        "<h1>{}</h1><dl><dt>To</dt><dd>{}</dd><dt>Message-ID</dt><dd><code>{}</code></dd><dt>Kind</dt><dd>{}</dd>\
         <dt>Written</dt><dd>{}</dd></dl><p><a href=\"/dev/mailbox/{}/html\">See the HTML version</a> · <a href=\"/dev/mailbox\">All messages</a></p>\
         <pre class=\"email-text\">{}</pre>",
        escape(&m.subject),
        escape(&m.recipient),
        escape(&m.message_id),
        escape(&m.kind),
        escape(&date_time(m.created_at)),
        m.id,
        linked
    );
    page(StatusCode::OK, &m.subject, &body)
}

fn clickable_links(escaped: &str) -> String {
    escaped
        .split('\n')
        .map(|line| {
            let t = line.trim();
            if (t.starts_with("http://") || t.starts_with("https://")) && !t.contains(' ') {
                format!("<a href=\"{t}\">{t}</a>")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
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
