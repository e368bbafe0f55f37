//! The detail of each access, on screen: which folder or message, from where, under which
//! request — on the history and on the request's own page, which lists every access made
//! under it, allowed or refused. Only ever the owner's own.

use crate::helpers::TestApp;
use crate::on_both_databases;
use glassbox::domain::access_request::{Action, Actor, Grant};
use glassbox::services::requests;

async fn check(
    app: &TestApp,
    token: &str,
    people: &crate::helpers::People,
    scope: &str,
    resource: &str,
) -> String {
    let (status, json) = app
        .api_post(token, "/api/v1/access/check", &serde_json::json!({
            "mailbox": people.mailbox, "agent": people.agent, "scope": scope, "action": "read_message",
            "resource": resource, "source_network": "198.51.100.0/24"
        }))
        .await;
    assert_eq!(status, 200, "{json}");
    json["decision"].as_str().unwrap().to_string()
}

on_both_databases!(async fn each_access_says_which_folder_or_message_from_where_and_under_which_request(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let id = app.request_for(&token, &people, "Look at the sync problem").await;
    requests::decide(&app.db, &app.clock, &app.settings, id, Actor::Owner(people.owner_id), Action::Approve(Grant::AS_ASKED))
        .await
        .unwrap();
    assert_eq!(check(app, &token, &people, "metadata", "folder:Archive").await, "allow");
    assert_eq!(check(app, &token, &people, "content", "message:4711").await, "allow");
    // A refusal outside what was approved is under no request.
    assert_eq!(check(app, &token, &people, "settings", "folder:Rules").await, "deny");

    let page = glassbox::services::history::under_request(&app.db, people.owner_id, id).await.unwrap();
    assert_eq!(page.len(), 2, "every access under the request: {page:?}");
    assert!(page.iter().all(|e| e.request_id == Some(id) && e.source_network.as_deref() == Some("198.51.100.0/24")));
    assert_eq!(page[0].resource, "message:4711", "newest first");

    // Another owner's request has none of them.
    let other = app.new_people().await;
    assert!(glassbox::services::history::under_request(&app.db, other.owner_id, id).await.unwrap().is_empty());
});

on_both_databases!(async fn the_history_and_the_request_page_show_the_detail_and_link_the_request(app) {
    let token = app.service_token().await;
    app.sign_in_as("Alice Martin").await;
    let json = app
        .create_request(&token, serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scopes": ["metadata"],
            "justification": {"code": "customer_initiated_support", "text": "Look at the sync problem", "ticket": "T-42"}}))
        .await;
    let id: app::model::RequestId = json["id"].as_str().unwrap().parse().unwrap();
    let alice = app::model::OwnerId(uuid::Uuid::from_u128(0x9a55_b0c5_0000_4000_8000_0000_0000_0001));
    requests::decide(&app.db, &app.clock, &app.settings, id, Actor::Owner(alice), Action::Approve(Grant::AS_ASKED)).await.unwrap();
    let (status, json) = app
        .api_post(&token, "/api/v1/access/check", &serde_json::json!({
            "mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "metadata", "action": "list_folders",
            "resource": "folder:Travel", "source_network": "203.0.113.0/24"
        }))
        .await;
    assert_eq!((status, json["decision"].as_str()), (200, Some("allow")));

    let (_, history) = app.get_page("/me/history").await;
    assert!(history.contains("folder \u{201c}Travel\u{201d}"), "the folder, in words");
    assert!(history.contains("from 203.0.113.0/24"), "where it came from");
    assert!(history.contains(&format!("href=\"/me/requests/{id}\"")), "a link to the request it was allowed under");

    let (status, page) = app.get_page(&format!("/me/requests/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Accesses under this request"), "{page}");
    assert!(page.contains("folder \u{201c}Travel\u{201d}"), "{page}");
    assert!(page.contains("from 203.0.113.0/24"));
});
