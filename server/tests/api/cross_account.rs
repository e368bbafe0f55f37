//! Nobody reaches a request that is not theirs: other owners, agents, admins, anonymous
//! visitors and forged ids all get 404/403/401, and nothing changes.

use crate::on_both_databases;
use app::api::requests::{
    ApproveRequest, CancelRequest, DenyRequest, EndGrant, LoadRequest, RevokeGrant, ShortenGrant,
    SubmitAccessRequest,
};

async fn status_of(app: &crate::helpers::TestApp, token: &str, id: &str) -> String {
    app.api_get(token, &format!("/api/v1/access-requests/{id}"))
        .await
        .1["status"]
        .as_str()
        .unwrap()
        .to_string()
}

on_both_databases!(async fn another_owner_can_neither_see_nor_decide_alices_request(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Bilal Haddad").await;
    let (status, _) = app.server_fn::<LoadRequest>(&[("id", &id)]).await;
    assert_eq!(status, 404);
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 404);
    assert_eq!(app.server_fn::<DenyRequest>(&[("id", &id)]).await.0, 404);
    let (status, html) = app.get_page(&format!("/me/requests/{id}")).await;
    assert_eq!(status, 404);
    assert!(!html.contains("alice@example.org"));
    assert_eq!(status_of(app, &token, &id).await, "pending", "nothing changed");

    // Once Alice approved it, Bilal still cannot revoke or shorten it.
    app.sign_in_as("Alice Martin").await;
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 200);
    app.sign_in_as("Bilal Haddad").await;
    assert_eq!(app.server_fn::<RevokeGrant>(&[("id", &id)]).await.0, 404);
    assert_eq!(app.server_fn::<ShortenGrant>(&[("id", &id), ("minutes", "1")]).await.0, 404);
    assert_eq!(status_of(app, &token, &id).await, "approved");
});

on_both_databases!(async fn staff_cannot_approve_and_other_agents_cannot_touch_a_request(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    for agent in ["Sam Rivera", "Morgan Lee"] {
        app.sign_in_as(agent).await;
        assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 403, "{agent}");
        assert_eq!(app.server_fn::<DenyRequest>(&[("id", &id)]).await.0, 403, "{agent}");
    }
    app.sign_in_as("Priya Nair").await;
    assert_eq!(app.server_fn::<CancelRequest>(&[("id", &id)]).await.0, 404, "not her request");
    assert_eq!(status_of(app, &token, &id).await, "pending");
    app.sign_in_as("Alice Martin").await;
    app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await;
    app.sign_in_as("Priya Nair").await;
    assert_eq!(app.server_fn::<EndGrant>(&[("id", &id)]).await.0, 404);
    assert_eq!(status_of(app, &token, &id).await, "approved");
});

on_both_databases!(async fn owners_cannot_ask_for_access_and_visitors_cannot_do_anything(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 401);
    assert_eq!(app.server_fn::<CancelRequest>(&[("id", &id)]).await.0, 401);
    app.sign_in_as("Alice Martin").await;
    let (status, _) = app
        .server_fn::<SubmitAccessRequest>(&[("mailbox", "bilal@example.org"), ("scope_metadata", "yes"), ("justification_code", "service_maintenance"), ("justification_text", "x")])
        .await;
    assert_eq!(status, 403);
    for forged in ["00000000-0000-0000-0000-000000000000", "nonsense", ""] {
        assert_eq!(app.server_fn::<ApproveRequest>(&[("id", forged), ("confirm", "yes")]).await.0, 404, "{forged:?}");
    }
    assert_eq!(status_of(app, &token, &id).await, "pending");
});

on_both_databases!(async fn a_cross_site_approval_is_refused(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    let cookie = app.session_cookie().unwrap();
    let path = <ApproveRequest as leptos::server_fn::ServerFn>::PATH;
    let res = reqwest::Client::new()
        .post(app.url(path))
        .header("cookie", cookie)
        .header("origin", "https://evil.example")
        .form(&[("id", id.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(status_of(app, &token, &id).await, "pending");
    // Replaying the owner's own approval: the first one counts, the replay changes nothing.
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 200);
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 409);
});
