//! Service API v1 as a contract: authentication, validation, limits and the OpenAPI document.

use crate::helpers::{spawn_app_with, Options};
use crate::on_both_databases;
use glassbox::db::{on_pool_for_tests, Backend};

async fn requests(app: &crate::helpers::TestApp) -> i64 {
    on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await
}

on_both_databases!(async fn the_api_refuses_calls_without_a_live_service_token(app) {
    let body = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "metadata", "action": "list_folders", "resource": "folder:inbox"});
    let res = reqwest::Client::new().post(app.url("/api/v1/access/check")).json(&body).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    for bad in ["gbx_not-a-real-token", "Bearer", "", "' OR 1=1 --"] {
        let (status, json) = app.api_post(bad, "/api/v1/access/check", &body).await;
        assert_eq!(status, 401, "{bad:?}");
        assert_eq!(json["error"]["code"], "unauthorized");
    }
    let token = app.service_token().await;
    assert_eq!(app.api_post(&token, "/api/v1/access/check", &body).await.0, 200);
    let name = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM service_tokens").await;
    assert_eq!(name, 1);
    // Revoked: refused from the next call on.
    let names = glassbox::db::service_tokens::list(&app.db).await.unwrap();
    glassbox::db::service_tokens::revoke(&app.db, &names[0].name, app.clock.now()).await.unwrap();
    assert_eq!(app.api_post(&token, "/api/v1/access/check", &body).await.0, 401);
});

on_both_databases!(async fn only_a_hash_of_a_service_token_is_stored(app) {
    let token = app.service_token().await;
    let stored = on_pool_for_tests(&app.db, &format!("SELECT COUNT(*) FROM service_tokens WHERE name LIKE '%{token}%'")).await;
    assert_eq!(stored, 0);
    assert!(token.starts_with("gbx_") && token.len() >= 40);
});

on_both_databases!(async fn bad_requests_get_a_clear_error_and_change_nothing(app) {
    let token = app.service_token().await;
    let before = requests(app).await;
    let base = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scopes": ["metadata"],
        "justification": {"code": "customer_initiated_support", "text": "why", "ticket": "T-1"}});
    let cases: Vec<(serde_json::Value, u16, &str, &str)> = vec![
        (serde_json::json!({"justification": {"code": "customer_initiated_support", "text": "why"}}), 422, "invalid_input", "ticket"),
        (serde_json::json!({"justification": {"code": "service_maintenance", "text": "x".repeat(4097)}}), 422, "invalid_input", "4096"),
        (serde_json::json!({"scopes": ["everything"]}), 422, "invalid_input", "scopes"),
        (serde_json::json!({"scopes": []}), 422, "invalid_input", "scopes"),
        (serde_json::json!({"duration_minutes": 481}), 422, "invalid_input", "480"),
        (serde_json::json!({"mailbox": "nobody@example.org"}), 404, "not_found", "mailbox"),
        (serde_json::json!({"mailbox": "not an address"}), 422, "invalid_input", "mailbox"),
        (serde_json::json!({"agent": "ghost"}), 404, "not_found", "agent"),
        (serde_json::json!({"duration_minutes": 30.5}), 400, "invalid_json", "whole number"),
        (serde_json::json!({"duration_minutes": 1e30}), 422, "invalid_input", "480"),
        (serde_json::json!({"justification": {"code": "service_maintenance", "text": "why\r"}}), 422, "invalid_input", "justification.text"),
        (serde_json::json!({"agent": "morgan.lee"}), 422, "invalid_input", "support agents"),
        (serde_json::json!({"justification": {"code": "break_glass_emergency", "text": "now"}}), 422, "invalid_input", "break-glass"),
        (serde_json::json!({"surprise": true}), 400, "invalid_json", "surprise"),
    ];
    for (overrides, status, code, mentions) in cases {
        let mut body = base.clone();
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (got, json) = app.api_post(&token, "/api/v1/access-requests", &body).await;
        assert_eq!(got, status, "{overrides}: {json}");
        assert_eq!(json["error"]["code"], code, "{overrides}");
        assert!(json["error"]["message"].as_str().unwrap().contains(mentions), "{overrides}: {json}");
    }
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/access-requests"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let huge = serde_json::json!({"mailbox": "alice@example.org", "text": "x".repeat(1024 * 1024)});
    assert_eq!(app.api_post(&token, "/api/v1/access-requests", &huge).await.0, 413);
    assert_eq!(requests(app).await, before, "nothing was created");
});

on_both_databases!(async fn a_check_with_bad_input_is_refused_and_records_nothing(app) {
    let token = app.service_token().await;
    let before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;
    let ok = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "metadata", "action": "list_folders", "resource": "folder:inbox"});
    for (field, value, status) in [
        ("scope", serde_json::json!("everything"), 422),
        ("action", serde_json::json!("DROP TABLE"), 422),
        ("resource", serde_json::json!("x".repeat(300)), 422),
        ("resource", serde_json::json!("line\r\nbreak"), 422),
        ("mailbox", serde_json::json!("ghost@example.org"), 404),
        ("agent", serde_json::json!("ghost"), 404),
    ] {
        let mut body = ok.clone();
        body[field] = value;
        let (got, json) = app.api_post(&token, "/api/v1/access/check", &body).await;
        assert_eq!(got, status, "{field}: {json}");
    }
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await, before);
});

on_both_databases!(async fn forged_or_unknown_request_ids_are_not_found(app) {
    let token = app.service_token().await;
    for id in ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "..%2F..%2Fetc", "1"] {
        let (status, json) = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await;
        assert_eq!(status, 404, "{id}: {json}");
        let (status, _) = app.api_post(&token, &format!("/api/v1/access-requests/{id}/cancel"), &serde_json::json!({})).await;
        assert_eq!(status, 404, "{id}");
    }
});

on_both_databases!(async fn a_whole_number_written_with_a_fraction_is_a_whole_number(app) {
    // JSON Schema's `integer` includes 30.0; some encoders write integers that way.
    let token = app.service_token().await;
    let created = app.create_request(&token, serde_json::json!({"duration_minutes": 30.0})).await;
    assert_eq!(created["duration_minutes"], 30, "{created}");
});

on_both_databases!(async fn a_receipts_post_that_is_not_an_event_export_is_refused(app) {
    let token = app.service_token().await;
    for body in [serde_json::json!(5), serde_json::json!("SELECT"), serde_json::json!(null)] {
        let (status, json) = app.api_post(&token, "/api/v1/imap/receipts", &body).await;
        assert_eq!(status, 400, "{body}: {json}");
        assert_eq!(json["error"]["code"], "invalid_json");
    }
    let (status, json) = app.api_post(&token, "/api/v1/imap/receipts", &serde_json::json!([5, {"event": "x"}])).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["ignored"], 2, "items of another shape are counted, not refused");
});

on_both_databases!(async fn the_openapi_document_describes_every_route_that_exists(app) {
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status().as_u16(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = &doc["components"]["schemas"];
    // Every enum value and error code is the types' own.
    let values = |name: &str| -> Vec<String> {
        schemas[name]["enum"].as_array().unwrap_or_else(|| panic!("{name} has no enum")).iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(values("Scope"), app::model::Scope::ALL.iter().map(|s| s.as_str().to_string()).collect::<Vec<_>>());
    assert_eq!(values("AccessRequestStatus"), app::model::AccessRequestStatus::ALL.iter().map(|s| s.as_str().to_string()).collect::<Vec<_>>());
    assert_eq!(values("CheckDecision"), ["allow", "deny"]);
    let codes = values("ErrorCode");
    for code in ["unauthorized", "invalid_json", "invalid_input", "not_found", "forbidden", "already_decided", "rate_limited", "internal"] {
        assert!(codes.iter().any(|c| c == code), "error code {code} undocumented");
    }
    // Every limit the server enforces is stated (Schemathesis generates from these).
    let check = &schemas["CheckRequest"]["properties"];
    assert_eq!(check["resource"]["pattern"], "^[!-~]{1,256}$");
    assert_eq!(check["action"]["pattern"], "^[a-z0-9_]{1,64}$");
    assert_eq!(check["mailbox"]["maxLength"], 254);
    assert_eq!(schemas["CheckRequest"]["additionalProperties"], false);
    let create = &schemas["CreateAccessRequest"]["properties"];
    assert_eq!(create["duration_minutes"]["minimum"], 1);
    assert_eq!(create["duration_minutes"]["maximum"], 480, "the configured longest grant");
    assert_eq!(create["scopes"]["minItems"], 1);
    let justification = create["justification"]["oneOf"].as_array().unwrap();
    assert_eq!(justification[0]["required"], serde_json::json!(["code", "text", "ticket"]), "a ticket when the owner asked for help");
    assert!(!justification[1]["properties"]["code"]["enum"].as_array().unwrap().contains(&serde_json::json!("break_glass_emergency")));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort();
    assert_eq!(documented, ["/api/v1/access-requests", "/api/v1/access-requests/{id}", "/api/v1/access-requests/{id}/cancel", "/api/v1/access/check", "/api/v1/imap/login", "/api/v1/imap/receipts"]);
    // Every documented operation is served (an unauthenticated call gets 401, not 404/405).
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let url = app.url(&path.replace("{id}", "00000000-0000-0000-0000-000000000000"));
            let req = match method.as_str() {
                "get" => reqwest::Client::new().get(url),
                "post" => reqwest::Client::new().post(url).json(&serde_json::json!({})),
                other => panic!("unexpected method {other}"),
            };
            let status = req.send().await.unwrap().status().as_u16();
            assert!(status == 401 || status == 200, "{method} {path}: {status}");
        }
    }
    // The documented required fields are what the API answers with.
    let token = app.service_token().await;
    let created = app.create_request(&token, serde_json::json!({})).await;
    for field in doc["components"]["schemas"]["AccessRequest"]["required"].as_array().unwrap() {
        assert!(created.get(field.as_str().unwrap()).is_some(), "response lacks {field}");
    }
    let answer = app.check(&token, "alice@example.org", "sam.rivera", "metadata").await;
    for field in doc["components"]["schemas"]["CheckResponse"]["required"].as_array().unwrap() {
        assert!(answer.get(field.as_str().unwrap()).is_some(), "check answer lacks {field}");
    }
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_gets_429_with_retry_after() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            seed: true,
            configure: Box::new(|s| {
                s.api.rate_limit_per_second = 1;
                s.api.rate_limit_burst = 3;
            }),
        },
    )
    .await
    .unwrap();
    let token = app.service_token().await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = reqwest::Client::new()
            .get(app.url("/api/v1/access-requests/00000000-0000-0000-0000-000000000000"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        statuses.push((
            res.status().as_u16(),
            res.headers().get("retry-after").is_some(),
        ));
    }
    assert_eq!(statuses[..3], [(404, false), (404, false), (404, false)]);
    assert_eq!(statuses[3], (429, true));
    app.finish().await;
}

on_both_databases!(async fn a_revoked_tokens_very_next_check_is_refused_and_records_nothing(app) {
    // Arrange: the token has been used, so the server knows it without asking the database.
    let token = app.service_token().await;
    let first = app.check(&token, "alice@example.org", "sam.rivera", "metadata").await;
    assert!(first["log_index"].is_u64());
    let events_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;

    // Act: revoked as the CLI does, straight in the database.
    let names = glassbox::db::service_tokens::list(&app.db).await.unwrap();
    assert!(glassbox::db::service_tokens::revoke(&app.db, &names[0].name, app.clock.now()).await.unwrap());
    let body = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "metadata", "action": "list_folders", "resource": "folder:inbox"});
    let (status, json) = app.api_post(&token, "/api/v1/access/check", &body).await;

    // Assert: refused with the same words as an unknown token, and no event was written.
    assert_eq!(status, 401, "{json}");
    assert_eq!(json["error"]["code"], "unauthorized");
    assert_eq!(json["error"]["message"], "This service token is unknown or revoked.");
    let (again, _) = app.api_post(&token, "/api/v1/access/check", &body).await;
    assert_eq!(again, 401, "and every check after it");
    let events_after = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;
    assert_eq!(events_after, events_before, "a refused token's check is not recorded");
});

on_both_databases!(async fn an_unknown_token_is_refused_every_time_with_the_same_message(app) {
    let known = app.service_token().await;
    let body = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "metadata", "action": "list_folders", "resource": "folder:inbox"});
    assert_eq!(app.api_post(&known, "/api/v1/access/check", &body).await.0, 200);
    // A well-formed token nobody created, asked twice: never taken for a known one.
    let unknown = format!("gbx_{}", "A".repeat(43));
    for _ in 0..2 {
        let (status, json) = app.api_post(&unknown, "/api/v1/access/check", &body).await;
        assert_eq!(status, 401, "{json}");
        assert_eq!(json["error"]["message"], "This service token is unknown or revoked.");
    }
});

on_both_databases!(async fn the_api_reference_page_reads_the_served_document_under_its_own_policy(app) {
    let res = app.get("/api/docs").await;
    assert_eq!(res.status().as_u16(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self';"), "no inline or foreign script: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"spec-url="/api/v1/openapi.json""#));
    assert!(html.contains(r#"<script src="/pkg/redoc.standalone.js"></script>"#), "served from this site, not a CDN");
    assert!(html.contains(r#"<a href="/api/v1/openapi.json">"#), "readable without the script");
    // Every other page keeps the site's policy.
    let other = app.get("/log/checkpoint").await;
    assert!(other.headers()["content-security-policy"].to_str().unwrap().contains("'wasm-unsafe-eval'"));
});
