//! A security admin opens one staff member's accesses to any mailbox: only that person's,
//! with the same filters, keyset pages and CSV/JSON export as an owner's history. Support
//! agents and owners get 403 and nothing.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::roster::LoadAgentHistory;
use glassbox::db::on_pool_for_tests;

async fn sam(app: &TestApp) -> glassbox::db::staff::StaffRow {
    glassbox::db::staff::find_staff_by_email(&app.db, "sam.rivera@staff.example.org")
        .await
        .unwrap()
        .unwrap()
}

/// `id` as a literal of the database's UUID column.
fn uuid_literal(app: &TestApp, id: &str) -> String {
    match app.db {
        glassbox::db::Db::Sqlite(_) => format!("X'{}'", id.replace('-', "")),
        glassbox::db::Db::Postgres(_) => format!("'{id}'"),
    }
}

async fn load(app: &TestApp, id: &str, filter: serde_json::Value) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(app.url(<LoadAgentHistory as leptos::server_fn::ServerFn>::PATH))
        .json(&serde_json::json!({ "id": id, "cursor": null, "filter": filter }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

on_both_databases!(async fn a_security_admin_sees_only_one_agents_accesses_filtered_and_exported(app) {
    // Arrange: one more refused check by Sam (no grant on Emeka's mailbox).
    let token = app.service_token().await;
    assert_eq!(app.check(&token, "emeka.obi@example.org", "sam.rivera", "content").await["decision"], "deny");
    let sam = sam(app).await;
    let id = sam.id.to_string();
    let his = |extra: &str| format!("SELECT COUNT(*) FROM access_events WHERE agent_id = {}{extra}", uuid_literal(app, &id));
    let all = on_pool_for_tests(&app.db, &his("")).await;
    let refused = on_pool_for_tests(&app.db, &his(" AND decision = 'denied'")).await;
    assert!(all > refused && refused > 0, "the demo gives Sam both kinds: {all} {refused}");

    // Act
    app.sign_in_as("Morgan Lee").await;
    let (status, page) = load(app, &id, serde_json::json!({})).await;
    let (_, denied) = load(app, &id, serde_json::json!({"decision": "denied"})).await;

    // Assert: every access is Sam's, counted in full; the filter narrows to refusals.
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["name"], "Sam Rivera");
    assert_eq!(page["page"]["total"], all);
    let events = page["page"]["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["agent_pseudonym"] == sam.pseudonym.as_str()), "{page}");
    assert_eq!(denied["page"]["total"], refused);
    assert!(denied["page"]["events"].as_array().unwrap().iter().all(|e| e["decision"] == "denied"));
    // Keyset pages: the next page starts before the last one shown, never repeats it.
    if all > 25 {
        assert!(page["page"]["older"].is_object(), "{}", page["page"]["older"]);
    }

    // The exports hold the same accesses, with the page's filter.
    let csv = app.get(&format!("/admin/staff/{id}/accesses.csv?decision=denied")).await;
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.unwrap();
    let rows: Vec<&str> = csv.trim_end().split("\r\n").skip(1).collect();
    assert_eq!(rows.len() as i64, refused);
    assert!(rows.iter().all(|r| r.contains(sam.pseudonym.as_str()) && r.contains(",denied,")), "{csv}");
    let json: serde_json::Value = app.get(&format!("/admin/staff/{id}/accesses.json")).await.json().await.unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(all as usize));

    // A bad filter is a clear 400 and shows nothing.
    let bad = app.get(&format!("/admin/staff/{id}/accesses.csv?from=yesterday")).await;
    assert_eq!(bad.status().as_u16(), 400);
    // An unknown staff member is 404.
    let (status, _) = load(app, "00000000-0000-0000-0000-000000000000", serde_json::json!({})).await;
    assert_eq!(status, 404);
});

on_both_databases!(async fn support_agents_and_owners_cannot_see_an_agents_accesses(app) {
    let id = sam(app).await.id.to_string();
    for who in ["Priya Nair", "Sam Rivera", "Alice Martin"] {
        // Arrange
        app.sign_in_as(who).await;

        // Act
        let (status, body) = load(app, &id, serde_json::json!({})).await;
        let csv = app.get(&format!("/admin/staff/{id}/accesses.csv")).await;

        // Assert
        assert_eq!(status, 403, "{who}: {body}");
        assert!(body.get("page").is_none(), "{who}: {body}");
        assert_eq!(csv.status().as_u16(), 403, "{who}");
        assert!(!csv.text().await.unwrap().contains("log_index,time"), "{who}");
    }
});
