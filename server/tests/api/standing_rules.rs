//! Standing rules: an owner refuses some requests in advance. A refused request is stored,
//! refused at once by Glassbox on the owner's behalf (a step in the log), shown to the owner
//! marked as refused by their rule, and its agent hears which rule; the owner is not asked.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::rules::{LoadStandingRules, SaveStandingRules};
use app::model::{ChangeActor, JustificationCode, OwnerId, RequestChangeKind, StandingRules};
use glassbox::services::{owner_rules, requests};

const ALICE: OwnerId = OwnerId(uuid::Uuid::from_u128(
    0x9a55_b0c5_0000_4000_8000_0000_0000_0001,
));

async fn ask(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    let mut request = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera",
        "justification": {"code": "customer_initiated_support", "text": "You asked us to look at a sync problem", "ticket": "T-42"}});
    if let (Some(r), Some(o)) = (request.as_object_mut(), body.as_object()) {
        for (k, v) in o {
            r.insert(k.clone(), v.clone());
        }
    }
    app.create_request(token, request).await
}

async fn emails(app: &TestApp, kind: &str) -> Vec<(String, String)> {
    glassbox::db::outbox::list(&app.db, None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == kind)
        .map(|r| (r.recipient, r.body_text))
        .collect()
}

on_both_databases!(async fn an_owner_sets_their_rules_and_nobody_else_can(app) {
    let (status, _) = app.server_fn::<SaveStandingRules>(&[("refuse_content", "on")]).await;
    assert_eq!(status, 401, "signed out");
    app.sign_in_as("Sam Rivera").await;
    let (status, _) = app.server_fn::<SaveStandingRules>(&[("refuse_content", "on")]).await;
    assert_eq!(status, 403, "staff have no rules to set");

    app.sign_in_as("Alice Martin").await;
    let (status, json) = app.server_fn::<LoadStandingRules>(&[]).await;
    assert_eq!(status, 200);
    assert_eq!(json["refuse_content"], false, "no rule until the owner sets one: {json}");
    let (status, json) = app
        .server_fn::<SaveStandingRules>(&[("refuse_content", "on"), ("refuse_legal_request", "on")])
        .await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["refuse_content"], true);
    assert_eq!(json["refuse_without_ticket"], false);
    assert_eq!(json["refuse_codes"], serde_json::json!(["legal_request"]));
    let (_, page) = app.get_page("/me/rules").await;
    assert!(page.contains("Never allow reading my messages"), "{page}");
    // Unticking everything turns the rules off.
    let (status, json) = app.server_fn::<SaveStandingRules>(&[]).await;
    assert_eq!(status, 200);
    assert_eq!(json["refuse_content"], false);
    assert_eq!(json["refuse_codes"], serde_json::json!([]));
});

on_both_databases!(async fn a_reason_that_cannot_be_refused_in_advance_is_refused_and_changes_nothing(app) {
    let before = owner_rules::rules(&app.db, ALICE).await.unwrap();
    let bad = StandingRules { refuse_codes: vec![JustificationCode::BreakGlassEmergency], ..StandingRules::default() };
    let err = owner_rules::set_rules(&app.db, &app.clock, ALICE, bad).await.unwrap_err();
    assert!(err.to_string().contains("cannot be refused in advance"), "{err}");
    assert_eq!(owner_rules::rules(&app.db, ALICE).await.unwrap(), before);
});

on_both_databases!(async fn never_reading_messages_refuses_a_content_request_at_once_and_tells_the_agent_why(app) {
    let token = app.service_token().await;
    owner_rules::set_rules(&app.db, &app.clock, ALICE, StandingRules { refuse_content: true, ..StandingRules::default() })
        .await
        .unwrap();
    let asked_before = emails(app, "request_submitted").await.len();

    let refused = ask(app, &token, serde_json::json!({"scopes": ["metadata", "content"]})).await;
    assert_eq!(refused["status"], "denied", "{refused}");
    let id: app::model::RequestId = refused["id"].as_str().unwrap().parse().unwrap();
    let record = requests::get(&app.db, id).await.unwrap();
    assert!(record.decision_reason.as_deref().unwrap_or_default().contains("never allow reading my messages"));

    // The owner is not asked; the agent hears which rule refused it.
    assert_eq!(emails(app, "request_submitted").await.len(), asked_before, "the owner is not asked");
    let denied = emails(app, "request_denied").await;
    assert!(
        denied.iter().any(|(to, text)| to.starts_with("sam.rivera") && text.contains("standing rule: never allow reading my messages")),
        "{denied:?}"
    );
    // Nothing is allowed under it.
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "deny");

    // The owner sees it, refused by their rule, with the step by Glassbox in the log.
    let steps = requests::steps_for_owner(&app.db, ALICE, id).await.unwrap();
    let kinds: Vec<_> = steps.iter().map(|s| (s.change, s.by)).collect();
    assert_eq!(
        kinds,
        vec![(RequestChangeKind::Requested, ChangeActor::Staff), (RequestChangeKind::Denied, ChangeActor::Glassbox)]
    );
    assert_eq!(steps[1].by_words(), "Glassbox, by your standing rule");
    app.sign_in_as("Alice Martin").await;
    let (status, page) = app.get_page(&format!("/me/requests/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Glassbox, by your standing rule"), "{page}");
    assert!(page.contains("Refused by the owner's standing rule: never allow reading my messages"), "{page}");

    // A request for folder names and senders only is still asked.
    let asked = ask(app, &token, serde_json::json!({"scopes": ["metadata"]})).await;
    assert_eq!(asked["status"], "pending", "{asked}");
    assert_eq!(emails(app, "request_submitted").await.len(), asked_before + 1);
});

on_both_databases!(async fn requests_without_a_ticket_or_for_a_refused_reason_are_refused_and_others_asked(app) {
    let token = app.service_token().await;
    owner_rules::set_rules(&app.db, &app.clock, ALICE, StandingRules {
        refuse_without_ticket: true,
        refuse_codes: vec![JustificationCode::ProviderInitiatedReview],
        ..StandingRules::default()
    })
    .await
    .unwrap();
    let without_ticket = ask(app, &token, serde_json::json!({"scopes": ["metadata"],
        "justification": {"code": "service_maintenance", "text": "Moving your mailbox to a new server"}})).await;
    assert_eq!(without_ticket["status"], "denied", "{without_ticket}");
    let with_ticket = ask(app, &token, serde_json::json!({"scopes": ["metadata"],
        "justification": {"code": "service_maintenance", "text": "Moving your mailbox to a new server", "ticket": "OPS-9"}})).await;
    assert_eq!(with_ticket["status"], "pending", "{with_ticket}");
    let review = ask(app, &token, serde_json::json!({"scopes": ["metadata"],
        "justification": {"code": "provider_initiated_review", "text": "A routine abuse review", "ticket": "SEC-1"}})).await;
    assert_eq!(review["status"], "denied", "{review}");
    let reason = requests::get(&app.db, review["id"].as_str().unwrap().parse().unwrap()).await.unwrap().decision_reason;
    assert!(reason.unwrap_or_default().contains("An abuse or security review"));
});

on_both_databases!(async fn one_owners_rules_never_refuse_another_owners_requests(app) {
    let token = app.service_token().await;
    owner_rules::set_rules(&app.db, &app.clock, ALICE, StandingRules { refuse_content: true, ..StandingRules::default() })
        .await
        .unwrap();
    let bilal = ask(app, &token, serde_json::json!({"mailbox": "bilal@example.org", "scopes": ["content"]})).await;
    assert_eq!(bilal["status"], "pending", "{bilal}");
});
