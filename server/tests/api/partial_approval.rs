//! Approving less than asked: the owner may untick scopes and choose a shorter time when
//! approving. The grant allows only that (the check refuses the rest, and stops at the
//! shorter end), the log's approval step records what was granted, and the agent is told
//! and shown what was allowed next to what they asked for. A choice beyond the ask is
//! refused and changes nothing.

use crate::helpers::{People, TestApp};
use crate::on_both_databases;
use app::api::requests::{ApproveRequest, LoadRequest};
use glassbox::db::on_pool_for_tests;
use time::Duration;

/// A pending request by a fresh agent (no other grant of theirs) for Alice's mailbox:
/// message list and message text for an hour.
async fn ask(app: &TestApp, token: &str) -> (People, String) {
    let people = app.new_people().await;
    let id = app
        .create_request(token, serde_json::json!({"agent": people.agent, "scopes": ["metadata", "content"], "duration_minutes": 60}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    (people, id)
}

async fn status_of(app: &TestApp, id: &str) -> String {
    let (status, view) = app.server_fn::<LoadRequest>(&[("id", id)]).await;
    assert_eq!(status, 200, "{view}");
    view["status"].as_str().unwrap_or_default().to_string()
}

on_both_databases!(async fn an_owner_who_allows_only_the_message_list_for_15_minutes_grants_exactly_that(app) {
    // Arrange
    let token = app.service_token().await;
    let (people, id) = ask(app, &token).await;
    app.sign_in_as("Alice Martin").await;

    // Act: untick "message text", and 15 minutes instead of 60.
    let (status, view) = app
        .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes"), ("choose", "yes"), ("scope_metadata", "yes"), ("minutes", "15")])
        .await;

    // Assert: approved, for what was chosen, and the page says both.
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "approved");
    assert_eq!(view["scopes"], serde_json::json!(["metadata"]));
    assert_eq!(view["asked_scopes"], serde_json::json!(["metadata", "content"]));
    assert_eq!((view["duration_minutes"].as_i64(), view["granted_minutes"].as_i64()), (Some(60), Some(15)));
    // The mail system may read the message list, not the text, and only for 15 minutes.
    let allowed = app.check(&token, "alice@example.org", &people.agent, "metadata").await;
    assert_eq!(allowed["decision"], "allow", "{allowed}");
    assert_eq!(allowed["grant_id"], id.as_str());
    let refused = app.check(&token, "alice@example.org", &people.agent, "content").await;
    assert_eq!(refused["decision"], "deny", "{refused}");
    app.clock.advance(Duration::minutes(15) + Duration::seconds(1));
    let later = app.check(&token, "alice@example.org", &people.agent, "metadata").await;
    assert_eq!(later["decision"], "deny", "the shorter end holds: {later}");
    // The agent's API view shows what was asked and what was allowed.
    let (_, json) = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(json["scopes"], serde_json::json!(["metadata"]), "{json}");
    assert_eq!(json["asked_scopes"], serde_json::json!(["metadata", "content"]));
    assert_eq!(json["granted_minutes"], 15);
    // The log's approval step records the granted scope, not the asked ones.
    let logged: Vec<String> = sqlx_rows(app, &id).await;
    assert_eq!(logged, vec!["requested:metadata,content".to_string(), "approved:metadata".to_string()]);
    // The agent's email says what was left out.
    let email = glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.kind == "request_approved" && m.recipient == people.agent_email)
        .expect("the agent is told of the approval");
    assert!(email.body_text.contains("Not allowed: Message text."), "{}", email.body_text);
    assert!(email.body_text.contains("lasts 15 minutes instead of the 1 hour you asked for"), "{}", email.body_text);
});

/// Each step of request `id` as `change:scopes`, in order.
async fn sqlx_rows(app: &TestApp, id: &str) -> Vec<String> {
    let id: uuid::Uuid = id.parse().unwrap();
    let mut steps = Vec::new();
    for change in glassbox::db::changes::for_request(&app.db, app::model::RequestId(id))
        .await
        .unwrap()
    {
        steps.push(format!("{}:{}", change.change, change.scopes));
    }
    steps
}

on_both_databases!(async fn approving_with_every_box_ticked_and_the_asked_time_is_an_approval_as_asked(app) {
    let token = app.service_token().await;
    let (_, id) = ask(app, &token).await;
    app.sign_in_as("Alice Martin").await;

    let (status, view) = app
        .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes"), ("choose", "yes"), ("scope_metadata", "yes"), ("scope_content", "yes"), ("minutes", "60")])
        .await;

    assert_eq!(status, 200, "{view}");
    assert_eq!(view["scopes"], view["asked_scopes"], "{view}");
    assert_eq!(view["granted_minutes"], 60);
});

on_both_databases!(async fn an_approval_of_nothing_more_than_asked_or_longer_is_refused_and_changes_nothing(app) {
    // Arrange
    let token = app.service_token().await;
    let (_, id) = ask(app, &token).await;
    app.sign_in_as("Alice Martin").await;
    let outbox_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await;
    let base = [("id", id.as_str()), ("confirm", "yes"), ("choose", "yes")];
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("minutes", "30")], "Tick at least one part of the mailbox to allow"),
        (&[("scope_metadata", "yes"), ("scope_settings", "yes")], "only allow what the agent asked for"),
        (&[("scope_metadata", "yes"), ("minutes", "61")], "Choose from 1 to 60 minutes"),
        (&[("scope_metadata", "yes"), ("minutes", "0")], "Choose from 1 to 60 minutes"),
        (&[("scope_metadata", "yes"), ("minutes", "-5")], "Choose from 1 to 60 minutes"),
    ];
    for (extra, words) in cases {
        let form: Vec<(&str, &str)> = base.iter().chain(extra.iter()).copied().collect();

        // Act
        let (status, body) = app.server_fn::<ApproveRequest>(&form).await;

        // Assert: a clear refusal, and the request still waits.
        assert_eq!(status, 400, "{extra:?}: {body}");
        assert!(body.to_string().contains(words), "{extra:?}: {body}");
        assert_eq!(status_of(app, &id).await, "pending", "{extra:?}");
    }
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await, outbox_before, "no email");
});

on_both_databases!(async fn another_owner_cannot_approve_even_part_of_a_request(app) {
    let token = app.service_token().await;
    let (_, id) = ask(app, &token).await;
    app.sign_in_as("Bilal Haddad").await;

    let (status, body) = app
        .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes"), ("choose", "yes"), ("scope_metadata", "yes"), ("minutes", "5")])
        .await;

    assert_eq!(status, 404, "{body}");
    app.sign_in_as("Alice Martin").await;
    assert_eq!(status_of(app, &id).await, "pending");
});
