//! The consent loop end to end: staff ask through the API, the owner decides in the portal,
//! every check is answered and recorded.

use crate::on_both_databases;
use app::api::requests::{
    ApproveRequest, CancelRequest, DenyRequest, EndGrant, RevokeGrant, ShortenGrant,
    SubmitAccessRequest,
};
use glassbox::db::on_pool_for_tests;
use time::Duration;

async fn events(app: &crate::helpers::TestApp) -> i64 {
    on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await
}

on_both_databases!(async fn an_approved_request_allows_access_until_the_owner_revokes_it(app) {
    let token = app.service_token().await;
    // Arrange: the agent asks.
    let req = app.create_request(&token, serde_json::json!({})).await;
    assert_eq!(req["status"], "pending");
    assert_eq!(req["agent"], "sam.rivera");
    assert_eq!(req["grant"], serde_json::Value::Null);
    let id = req["id"].as_str().unwrap().to_string();

    // Before a decision: denied, and recorded.
    let before = events(app).await;
    let answer = app.check(&token, "alice@example.org", "sam.rivera", "content").await;
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["grant_id"], serde_json::Value::Null);
    assert_eq!(events(app).await, before + 1, "a denied check is an event too");

    // The owner approves (with the confirmation box ticked).
    app.sign_in_as("Alice Martin").await;
    let (status, body) = app.server_fn::<ApproveRequest>(&[("id", &id)]).await;
    assert_eq!(status, 400, "approval needs the confirmation: {body}");
    let (status, body) = app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved");

    let answer = app.check(&token, "alice@example.org", "sam.rivera", "content").await;
    assert_eq!(answer["decision"], "allow", "{answer}");
    assert_eq!(answer["grant_id"], id.as_str());
    assert!(answer["event_id"].is_string());
    // A scope that was not granted stays closed.
    let answer = app.check(&token, "alice@example.org", "sam.rivera", "attachments").await;
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["reason"], "Refused: outside what you approved");
    // Another agent gets nothing from Sam's grant.
    let answer = app.check(&token, "alice@example.org", "priya.nair", "content").await;
    assert_eq!(answer["decision"], "deny");

    let (_, api_view) = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(api_view["status"], "approved");
    assert_eq!(api_view["grant"]["starts_at"], "2026-11-29T12:00:00Z");
    assert_eq!(api_view["grant"]["ends_at"], "2026-11-29T13:00:00Z");

    // The owner revokes: the very next check is denied.
    let (status, body) = app.server_fn::<RevokeGrant>(&[("id", &id)]).await;
    assert_eq!(status, 200, "{body}");
    let answer = app.check(&token, "alice@example.org", "sam.rivera", "content").await;
    assert_eq!(answer["decision"], "deny");
    let (_, api_view) = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(api_view["status"], "revoked");

    // The owner sees the accesses in their history.
    let (_, html) = app.get_page("/me/history").await;
    assert!(html.contains("Refused: outside what you approved"));
});

on_both_databases!(async fn a_grant_ends_by_itself_when_its_time_is_up(app) {
    let token = app.service_token().await;
    let req = app.create_request(&token, serde_json::json!({"duration_minutes": 30})).await;
    let id = req["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "allow");
    app.clock.advance(Duration::minutes(1));
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "deny");
    let (_, view) = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(view["status"], "ended");
    // Revoking an ended grant changes nothing and says so.
    let (status, body) = app.server_fn::<RevokeGrant>(&[("id", &id)]).await;
    assert_eq!(status, 409, "{body}");
});

on_both_databases!(async fn a_pending_request_expires_after_a_day_and_can_no_longer_be_approved(app) {
    let token = app.service_token().await;
    let req = app.create_request(&token, serde_json::json!({})).await;
    assert_eq!(req["expires_at"], "2026-11-30T12:00:00Z");
    let id = req["id"].as_str().unwrap().to_string();
    app.clock.advance(Duration::hours(24));
    let (_, view) = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(view["status"], "expired");
    app.sign_in_as("Alice Martin").await;
    let (status, body) = app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("expired"), "{body}");
    // The sweeper writes it down; running it twice changes nothing more.
    let (expired, _) = glassbox::services::requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();
    assert!(expired >= 1);
    assert_eq!(glassbox::services::requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap().0, 0);
});

on_both_databases!(async fn a_denied_request_tells_the_agent_why_and_cannot_be_approved_later(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    let (status, _) = app.server_fn::<DenyRequest>(&[("id", &id), ("reason", "Please call me first")]).await;
    assert_eq!(status, 200);
    let (_, view) = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(view["status"], "denied");
    assert_eq!(view["decision_reason"], "Please call me first");
    let (status, _) = app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409);
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "deny");
});

on_both_databases!(async fn the_agent_cancels_a_pending_request_once(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/access-requests/{id}/cancel");
    let (status, body) = app.api_post(&token, &path, &serde_json::json!({})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("cancelled")));
    let (status, body) = app.api_post(&token, &path, &serde_json::json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "already_decided");
});

on_both_databases!(async fn the_owner_shortens_a_grant_and_the_agent_can_end_it_early(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({"duration_minutes": 120})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await;
    let (status, body) = app.server_fn::<ShortenGrant>(&[("id", &id), ("minutes", "10")]).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.server_fn::<ShortenGrant>(&[("id", &id), ("minutes", "500")]).await;
    assert_eq!(status, 400, "a grant is never lengthened");
    app.clock.advance(Duration::minutes(10));
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "deny");

    // A second grant, ended early by the agent from the console.
    let id2 = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.server_fn::<ApproveRequest>(&[("id", &id2), ("confirm", "yes")]).await;
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "allow");
    app.sign_in_as("Sam Rivera").await;
    let (status, body) = app.server_fn::<EndGrant>(&[("id", &id2)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "deny");
});

on_both_databases!(async fn an_agent_asks_from_the_console_and_sees_the_consent_status(app) {
    app.sign_in_as("Sam Rivera").await;
    let (status, body) = app
        .server_fn::<SubmitAccessRequest>(&[
            ("mailbox", "bilal@example.org"),
            ("scope_metadata", "yes"),
            ("justification_code", "service_maintenance"),
            ("justification_text", "Moving your mailbox"),
            ("duration_minutes", "45"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "pending");
    let id = body["id"].as_str().unwrap().to_string();
    let (_, html) = app.get_page("/staff").await;
    assert!(html.contains("bilal@example.org") && html.contains("Moving your mailbox"));
    // Bad input changes nothing and says what to fix.
    let (status, body) = app
        .server_fn::<SubmitAccessRequest>(&[("mailbox", "bilal@example.org"), ("justification_code", "service_maintenance"), ("justification_text", "x")])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["InvalidField"]["field"], "Scopes", "the form shows it by the scopes: {body}");
    let (status, _) = app.server_fn::<CancelRequest>(&[("id", &id)]).await;
    assert_eq!(status, 200);
});
