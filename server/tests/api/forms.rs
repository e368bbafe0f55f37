//! A page's form sent twice is one action: each rendered form carries an idempotency key
//! (`form_key`), and a repeat of the same key is answered with the first result instead of
//! acting again — a double-click on Approve, Deny or "Send request", or two copies of the
//! same POST racing.

use crate::on_both_databases;
use app::api::requests::{ApproveRequest, DenyRequest, LoadRequest, SubmitAccessRequest};
use glassbox::db::on_pool_for_tests;

fn steps(view: &serde_json::Value) -> usize {
    view["steps"].as_array().map_or(0, Vec::len)
}

on_both_databases!(async fn an_approval_sent_twice_with_its_form_key_approves_once_and_both_answers_are_the_approval(app) {
    // Arrange
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    let form = [("id", id.as_str()), ("confirm", "yes"), ("form_key", "approve-form-0123456789")];

    // Act: the second click arrives after the first answered, and two more race.
    let first = app.server_fn::<ApproveRequest>(&form).await;
    let second = app.server_fn::<ApproveRequest>(&form).await;
    let (third, fourth) = tokio::join!(app.server_fn::<ApproveRequest>(&form), app.server_fn::<ApproveRequest>(&form));

    // Assert: every answer is the owner's own approval, and there is one approval step.
    for (status, body) in [&first, &second, &third, &fourth] {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["status"], "approved", "{body}");
    }
    let (_, view) = app.server_fn::<LoadRequest>(&[("id", &id)]).await;
    assert_eq!(steps(&view), 2, "asked, approved once: {view}");
});

on_both_databases!(async fn a_denial_sent_twice_is_one_denial_and_the_repeat_is_told_of_its_success(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    let form = [("id", id.as_str()), ("reason", "Call me first"), ("form_key", "deny-form-0123456789ab")];
    let outbox_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await;

    let (a, b) = tokio::join!(app.server_fn::<DenyRequest>(&form), app.server_fn::<DenyRequest>(&form));

    assert_eq!((a.0, b.0), (200, 200), "neither click is told 'already denied': {a:?} {b:?}");
    assert_eq!(a.1["status"], "denied");
    assert_eq!(b.1["status"], "denied");
    let (_, view) = app.server_fn::<LoadRequest>(&[("id", &id)]).await;
    assert_eq!(steps(&view), 2, "asked, denied once: {view}");
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await, outbox_before + 1, "one denial email");
    // Another form (another key) is another decision: that one is refused as before.
    let (status, body) = app.server_fn::<DenyRequest>(&[("id", &id), ("form_key", "deny-form-other-0123456")]).await;
    assert_eq!(status, 409, "{body}");
});

on_both_databases!(async fn a_request_form_sent_twice_at_once_makes_one_request_and_one_email(app) {
    // Arrange
    app.sign_in_as("Sam Rivera").await;
    let form = [
        ("mailbox", "bilal@example.org"),
        ("scope_metadata", "yes"),
        ("justification_code", "service_maintenance"),
        ("justification_text", "Moving your mailbox"),
        ("duration_minutes", "30"),
        ("form_key", "request-form-0123456789"),
    ];
    let requests_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await;
    let outbox_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await;

    // Act: a double-click, both submissions racing, then a third copy.
    let (a, b) = tokio::join!(app.server_fn::<SubmitAccessRequest>(&form), app.server_fn::<SubmitAccessRequest>(&form));
    let c = app.server_fn::<SubmitAccessRequest>(&form).await;

    // Assert: one request, one email, and every answer is that request.
    for (status, body) in [&a, &b, &c] {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["id"], a.1["id"], "the same request: {body}");
    }
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await, requests_before + 1);
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await, outbox_before + 1, "one email to the owner");

    // The next form (a new key) is a new request.
    let mut next = form;
    next[5] = ("form_key", "request-form-abcdefghij");
    let d = app.server_fn::<SubmitAccessRequest>(&next).await;
    assert_eq!(d.0, 200, "{:?}", d.1);
    assert_ne!(d.1["id"], a.1["id"]);
});

on_both_databases!(async fn a_form_key_is_its_senders_and_its_requests_only(app) {
    let token = app.service_token().await;
    let first = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    let other = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    let key = ("form_key", "reused-key-0123456789");
    assert_eq!(app.server_fn::<DenyRequest>(&[("id", first.as_str()), key]).await.0, 200);
    // The same key on another request decides nothing there.
    let (status, body) = app.server_fn::<DenyRequest>(&[("id", other.as_str()), key]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(app.api_get(&token, &format!("/api/v1/access-requests/{other}")).await.1["status"], "pending");
    // A damaged key is refused, not ignored.
    let (status, _) = app.server_fn::<DenyRequest>(&[("id", other.as_str()), ("form_key", "x y")]).await;
    assert_eq!(status, 400);
});

on_both_databases!(async fn shortening_beyond_what_remains_is_refused_with_the_limit(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", id.as_str()), ("confirm", "yes")]).await.0, 200);

    let (status, body) = app.server_fn::<app::api::requests::ShortenGrant>(&[("id", id.as_str()), ("minutes", "480")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("between 1 and 59 minutes"), "{body}");
    // The page offers only what remains.
    let (_, page) = app.get_page(&format!("/me/requests/{id}")).await;
    assert!(page.contains(r#"max="59""#) && page.contains("At most 59 minutes"), "{page}");
    assert!(page.contains("Asked for"));
    let (status, body) = app.server_fn::<app::api::requests::ShortenGrant>(&[("id", id.as_str()), ("minutes", "15")]).await;
    assert_eq!(status, 200, "{body}");
});

on_both_databases!(async fn the_request_form_names_the_field_to_fix_in_plain_words_and_changes_nothing(app) {
    app.sign_in_as("Sam Rivera").await;
    let requests_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await;
    let form = |mailbox: &'static str, ticket: &'static str| [
        ("mailbox", mailbox),
        ("scope_metadata", "yes"),
        ("justification_code", "customer_initiated_support"),
        ("justification_text", "You asked us to restore a folder"),
        ("ticket", ticket),
        ("duration_minutes", "30"),
    ];
    for (sent, field, words) in [
        (form("bilal@example.org", ""), "Ticket", "Give the ticket number"),
        (form("bilal@example.org", "T 1"), "Ticket", "at most 64 letters"),
        (form("not-an-address", "T-1"), "Mailbox", "like owner@example.org"),
        (form("nobody@example.org", "T-1"), "Mailbox", "No mailbox at this provider has that address"),
    ] {
        let (status, body) = app.server_fn::<SubmitAccessRequest>(&sent).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["InvalidField"]["field"], field, "{body}");
        let message = body["InvalidField"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
        assert!(!message.contains('`') && !message.contains("customer_initiated"), "plain words, not the API's: {message}");
    }
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await, requests_before, "nothing was made");

    // The API keeps the field names of its document.
    let token = app.service_token().await;
    let (status, body) = app.api_post(&token, "/api/v1/access-requests", &serde_json::json!({
        "mailbox": "bilal@example.org", "agent": "sam.rivera", "scopes": ["metadata"],
        "justification": {"code": "customer_initiated_support", "text": "Restore"}, "duration_minutes": 30})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("`justification.ticket` is required"), "{body}");
});

on_both_databases!(async fn without_javascript_a_refused_form_returns_to_its_page_with_the_message_beside_the_field(app) {
    // Arrange: the browser posts the staff console's form itself (it asks for HTML).
    app.sign_in_as("Sam Rivera").await;
    let requests_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await;

    // Act
    let res = app
        .client
        .post(app.url(<SubmitAccessRequest as leptos::server_fn::ServerFn>::PATH))
        .header("accept", "text/html")
        .header("referer", app.url("/staff"))
        .form(&[("mailbox", "not-an-address"), ("scope_metadata", "yes"), ("justification_code", "service_maintenance"), ("justification_text", "Restore a folder")])
        .send()
        .await
        .unwrap();

    // Assert: a redirect the browser follows (never the error's JSON under a 400), back
    // to the console, whose form then says what to fix beside the field.
    assert!(res.status().is_redirection(), "{}", res.status());
    let to = crate::helpers::location(&res).unwrap_or_default();
    let to = to.trim_start_matches(&app.address).to_string();
    assert!(to.starts_with("/staff?"), "{to}");
    let (status, html) = app.get_page(&to).await;
    assert_eq!(status, 200);
    assert!(html.contains("Write the owner&#39;s mailbox address") || html.contains("Write the owner's mailbox address"), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await, requests_before, "nothing was made");
});
