//! Emergency access (break-glass): a security admin opens one, a second, different security
//! admin approves it, and it works without the owner's consent; the owner is emailed at
//! once and sees it, and everything done under it, marked on their pages and exports; the
//! owner cannot approve, deny, revoke or stop it. Only security admins open or decide one,
//! and bad input changes nothing.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::emergency::{DecideEmergencyAccess, LoadEmergencyPage, OpenEmergencyAccess};
use app::api::overview::{LoadOverview, StopAllAccess};
use app::api::requests::{ApproveRequest, RevokeGrant};
use glassbox::db::on_pool_for_tests;

async fn staff_id(app: &TestApp, email: &str) -> String {
    glassbox::db::staff::find_staff_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email} is not on the roster"))
        .id
        .to_string()
}

/// The open form's fields: Alice's mailbox, for Sam, metadata and content, 120 minutes.
async fn emergency_form(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("mailbox", "alice@example.org".into()),
        ("agent", staff_id(app, "sam.rivera@staff.example.org").await),
        ("scope_metadata", "yes".into()),
        ("scope_content", "yes".into()),
        ("justification_code", "break_glass_emergency".into()),
        (
            "justification_text",
            "The police report a missing person; we need her last sign-in and messages".into(),
        ),
        ("reference", "INC-2026-0042".into()),
        ("duration_minutes", "120".into()),
        ("confirm", "yes".into()),
    ]
}

async fn open(app: &TestApp, form: &[(&'static str, String)]) -> (u16, serde_json::Value) {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.server_fn::<OpenEmergencyAccess>(&fields).await
}

async fn emergency_count(app: &TestApp) -> i64 {
    on_pool_for_tests(
        &app.db,
        "SELECT COUNT(*) FROM access_requests WHERE break_glass",
    )
    .await
}

async fn emails_of_kind(app: &TestApp, kind: &str) -> Vec<(String, String, String)> {
    glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == kind)
        .map(|m| (m.recipient, m.subject, m.body_text))
        .collect()
}

/// Inês opens an emergency access for Sam on Alice's mailbox; returns its id.
async fn opened_by_ines(app: &TestApp) -> String {
    app.sign_in_with_passkey("Inês Duarte").await;
    let (status, page) = open(app, &emergency_form(app).await).await;
    assert_eq!(status, 200, "{page}");
    let access = &page["accesses"][0];
    assert_eq!(access["status"], "pending", "{page}");
    access["id"].as_str().unwrap().to_string()
}

async fn decide(app: &TestApp, id: &str, act: &str, reason: &str) -> (u16, serde_json::Value) {
    app.server_fn::<DecideEmergencyAccess>(&[
        ("id", id),
        ("act", act),
        ("reason", reason),
        ("confirm", "yes"),
    ])
    .await
}

on_both_databases!(async fn an_emergency_access_needs_a_second_security_admin_and_then_works_without_the_owner(app) {
    // Arrange
    let token = app.service_token().await;
    let id = opened_by_ines(app).await;

    // Act + Assert: waiting for a second admin, it allows nothing, and its opener cannot approve it.
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "deny");
    let (status, refused) = decide(app, &id, "approve", "").await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused.to_string().contains("second security admin"), "{refused}");
    let (_, page) = app.server_fn::<LoadEmergencyPage>(&[]).await;
    assert_eq!(page["accesses"][0]["may"]["decide"], false, "{page}");
    assert_eq!(page["accesses"][0]["may"]["cancel"], true, "{page}");

    // A second security admin approves it: it works at once, without Alice.
    app.sign_in_with_passkey("Morgan Lee").await;
    let (_, page) = app.server_fn::<LoadEmergencyPage>(&[]).await;
    assert_eq!(page["accesses"][0]["may"]["decide"], true, "{page}");
    let (status, page) = decide(app, &id, "approve", "").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["accesses"][0]["status"], "approved", "{page}");
    assert!(page["accesses"][0]["approved_by"].as_str().unwrap().contains("Morgan Lee"), "{page}");
    let check = app.check(&token, "alice@example.org", "sam.rivera", "content").await;
    assert_eq!(check["decision"], "allow", "{check}");
    assert_eq!(check["reason"], "Allowed: emergency access approved by two security admins");
    assert_eq!(check["grant_id"], id.as_str());
    // Approving again changes nothing.
    let (again, body) = decide(app, &id, "approve", "").await;
    assert_eq!(again, 409, "{body}");

    // The owner was emailed at once; the agent heard it was approved.
    let to_owner = emails_of_kind(app, "emergency_access_opened").await;
    assert_eq!(to_owner.len(), 1, "{to_owner:?}");
    assert_eq!(to_owner[0].0, "alice@example.org");
    assert!(to_owner[0].1.contains("Emergency access"), "{to_owner:?}");
    assert!(to_owner[0].2.contains("INC-2026-0042") && to_owner[0].2.contains("You were not asked"), "{}", to_owner[0].2);
    let to_agent = emails_of_kind(app, "emergency_access_decided").await;
    assert_eq!(to_agent.len(), 1);
    assert_eq!(to_agent[0].0, "sam.rivera@staff.example.org");

    // Its steps are in the verifiable log like any request's: opened, then approved.
    let steps = on_pool_for_tests(app_db(app), &format!("SELECT COUNT(*) FROM request_changes WHERE request_id = {}", uuid_literal(app, &id))).await;
    assert_eq!(steps, 2);
});

fn app_db(app: &TestApp) -> &glassbox::db::Db {
    &app.db
}

/// `id` as a literal of the database's UUID column.
fn uuid_literal(app: &TestApp, id: &str) -> String {
    match app.db {
        glassbox::db::Db::Sqlite(_) => format!("X'{}'", id.replace('-', "")),
        glassbox::db::Db::Postgres(_) => format!("'{id}'"),
    }
}

on_both_databases!(async fn an_emergency_access_is_marked_for_the_owner_everywhere_and_is_not_hers_to_decide(app) {
    // Arrange: approved by Morgan, and used once.
    let token = app.service_token().await;
    let id = opened_by_ines(app).await;
    app.sign_in_with_passkey("Morgan Lee").await;
    assert_eq!(decide(app, &id, "approve", "").await.0, 200);
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "allow");

    // Act + Assert: Alice sees it marked on her request page, with nothing to decide.
    app.sign_in_as("Alice Martin").await;
    let (status, html) = app.get_page(&format!("/me/requests/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Emergency access: the security team opened this without asking you"), "{html}");
    assert!(!html.contains("Revoke access now") && !html.contains("Approve access"), "no buttons that would be refused");
    // Her history marks the access, and so do both exports.
    let (_, history) = app.get_page("/me/history").await;
    assert!(history.contains("Emergency access — you were not asked"), "{history}");
    let csv = app.get("/me/history/export.csv").await.text().await.unwrap();
    let row = csv.lines().find(|l| l.contains("emergency access approved by two security admins")).unwrap_or_else(|| panic!("{csv}"));
    assert!(row.ends_with(",true"), "{row}");
    let json: serde_json::Value = app.get("/me/history/export.json").await.json().await.unwrap();
    let events = json.as_array().cloned().or_else(|| json["events"].as_array().cloned()).unwrap();
    assert!(events.iter().any(|e| e["break_glass"] == true), "{json}");
    // Her overview lists it as live access, flagged; it waits for nobody's decision.
    let (_, overview) = app.server_fn::<LoadOverview>(&[]).await;
    let ours = |list: &str| overview[list].as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).cloned();
    assert_eq!(ours("active_grants").map(|g| g["break_glass"].clone()), Some(serde_json::json!(true)));
    assert!(ours("pending").is_none());

    // She cannot revoke it, nor stop it with "Stop all access"; it stays live.
    let (status, refused) = app.server_fn::<RevokeGrant>(&[("id", &id)]).await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused.to_string().contains("emergency access"), "{refused}");
    let (status, stopped) = app.server_fn::<StopAllAccess>(&[("confirm", "yes")]).await;
    assert_eq!(status, 200, "{stopped}");
    let (_, overview) = app.server_fn::<LoadOverview>(&[]).await;
    let live: Vec<&serde_json::Value> = overview["active_grants"].as_array().unwrap().iter().collect();
    assert_eq!(live.len(), 1, "only the emergency access is left: {stopped}");
    assert_eq!(live[0]["id"], id.as_str());
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "allow");

    // Any security admin may end it early, saying why: it stops at once and Alice is told.
    app.sign_in_with_passkey("Inês Duarte").await;
    let (status, page) = decide(app, &id, "end", "The person was found").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "deny");
    let revoked = emails_of_kind(app, "grant_revoked").await;
    assert!(revoked.iter().any(|(to, subject, _)| to == "alice@example.org" && subject.starts_with("Emergency access:")), "{revoked:?}");
});

on_both_databases!(async fn a_waiting_emergency_access_is_not_put_to_the_owner(app) {
    // Arrange
    let id = opened_by_ines(app).await;

    // Act: Alice looks, and tries to approve it herself.
    app.sign_in_as("Alice Martin").await;
    let (_, overview) = app.server_fn::<LoadOverview>(&[]).await;
    let (status, refused) = app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await;

    // Assert: nothing waits for her decision, and her approval is refused.
    assert!(!overview["pending"].as_array().unwrap().iter().any(|r| r["id"] == id.as_str()), "not waiting for her");
    assert!(overview["pending"].as_array().unwrap().iter().all(|r| r["break_glass"] == false));
    assert_eq!(status, 403, "{refused}");
    assert!(emails_of_kind(app, "request_submitted").await.is_empty(), "the owner is not asked");
});

on_both_databases!(async fn only_security_admins_open_or_decide_emergency_access(app) {
    // Arrange: one waiting, opened by Inês.
    let id = opened_by_ines(app).await;
    let form = emergency_form(app).await;

    // Act + Assert: a support agent and an owner get 403 and no data; nothing is added.
    for who in ["Sam Rivera", "Alice Martin"] {
        app.sign_in_as(who).await;
        let (status, body) = app.server_fn::<LoadEmergencyPage>(&[]).await;
        assert_eq!(status, 403, "{who}: {body}");
        assert!(!body.to_string().contains("INC-2026-0042"), "{who}: {body}");
        assert_eq!(open(app, &form).await.0, 403, "{who}");
        assert_eq!(decide(app, &id, "approve", "").await.0, 403, "{who}");
    }
    assert_eq!(emergency_count(app).await, 1);
    // The agent who will use it cannot approve it either, even as the one it is for.
    let token = app.service_token().await;
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "deny");
    // The Service API never opens one.
    let (status, body) = app.api_post(&token, "/api/v1/access-requests", &serde_json::json!({
        "mailbox": "alice@example.org", "agent": "sam.rivera", "scopes": ["content"],
        "justification": {"code": "break_glass_emergency", "text": "now"}, "duration_minutes": 60
    })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(emergency_count(app).await, 1);
});

on_both_databases!(async fn a_bad_emergency_access_is_refused_and_changes_nothing(app) {
    // Arrange
    app.sign_in_with_passkey("Inês Duarte").await;
    let good = emergency_form(app).await;
    let with = |key: &'static str, value: &str| -> Vec<(&'static str, String)> {
        good.iter().map(|(k, v)| (*k, if *k == key { value.to_string() } else { v.clone() })).collect()
    };
    let cases = [
        (with("justification_code", "customer_initiated_support"), "life-safety emergency or a legal request"),
        (with("reference", ""), "reference"),
        (with("duration_minutes", "241"), "1 to 240"),
        (with("confirm", "no"), "Tick the box"),
        (with("mailbox", "nobody@example.org"), "not a mailbox Glassbox knows"),
        (with("agent", "00000000-0000-0000-0000-000000000000"), "Choose the staff member"),
    ];

    for (form, says) in cases {
        // Act
        let (status, body) = open(app, &form).await;

        // Assert
        assert_eq!(status, 400, "{says}: {body}");
        assert!(body.to_string().contains(says), "{says}: {body}");
    }
    assert_eq!(emergency_count(app).await, 0);
});

on_both_databases!(async fn a_second_admin_refuses_with_a_reason_and_the_opener_may_cancel(app) {
    // Arrange: two waiting.
    let first = opened_by_ines(app).await;
    let second = opened_by_ines(app).await;

    // Act + Assert: Morgan refuses the first (a reason is needed); Inês cancels the second.
    app.sign_in_with_passkey("Morgan Lee").await;
    assert_eq!(decide(app, &first, "refuse", " ").await.0, 400, "a refusal says why");
    let (status, page) = decide(app, &first, "refuse", "No case number on file").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(decide(app, &second, "cancel", "").await.0, 403, "only its opener cancels it");
    app.sign_in_with_passkey("Inês Duarte").await;
    let (status, page) = decide(app, &second, "cancel", "").await;
    assert_eq!(status, 200, "{page}");
    let statuses: Vec<&str> = page["accesses"].as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&"denied") && statuses.contains(&"cancelled"), "{statuses:?}");
    let decided = emails_of_kind(app, "emergency_access_decided").await;
    assert!(decided.iter().any(|(_, subject, body)| subject.starts_with("Refused") && body.contains("No case number on file")), "{decided:?}");
    assert!(emails_of_kind(app, "emergency_access_opened").await.is_empty(), "the owner hears of none that never started");
    assert!(emails_of_kind(app, "request_withdrawn").await.is_empty(), "nor of its cancellation");
    assert!(emails_of_kind(app, "request_expired").await.is_empty());
});

on_both_databases!(async fn an_emergency_access_nobody_approved_in_time_expires_unused_and_nobody_is_misled(app) {
    // Arrange
    let token = app.service_token().await;
    let id = opened_by_ines(app).await;

    // Act: an hour passes (the default approval window) and the sweeper runs.
    app.clock.advance(time::Duration::minutes(61));
    glassbox::services::requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();

    // Assert: expired, cannot be approved any more, and it never reached the owner.
    app.sign_in_with_passkey("Morgan Lee").await;
    let (status, page) = app.server_fn::<LoadEmergencyPage>(&[]).await;
    assert_eq!(status, 200, "{page}");
    let ours = page["accesses"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).cloned().unwrap();
    assert_eq!(ours["status"], "expired", "{ours}");
    assert_eq!(ours["may"]["decide"], false);
    assert_eq!(decide(app, &id, "approve", "").await.0, 409);
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "deny");
    for kind in ["request_expired", "owner_request_expired", "emergency_access_opened"] {
        assert!(emails_of_kind(app, kind).await.is_empty(), "{kind}: nobody is told an owner did not decide");
    }
});

on_both_databases!(async fn the_same_open_form_sent_twice_opens_one_emergency_access(app) {
    // Arrange: the form as the page rendered it, with its key.
    app.sign_in_with_passkey("Inês Duarte").await;
    let mut form = emergency_form(app).await;
    form.push(("form_key", "e2e-double-click-key-0001".into()));

    // Act: a double-click.
    let (first, a) = open(app, &form).await;
    let (second, b) = open(app, &form).await;

    // Assert: one emergency access, and both answers show it.
    assert_eq!((first, second), (200, 200), "{a} {b}");
    assert_eq!(emergency_count(app).await, 1);
    assert_eq!(a["accesses"][0]["id"], b["accesses"][0]["id"]);
    // A new key is a new emergency access.
    form.pop();
    form.push(("form_key", "e2e-double-click-key-0002".into()));
    assert_eq!(open(app, &form).await.0, 200);
    assert_eq!(emergency_count(app).await, 2);
});
