//! Racing decisions: of two decisions on one request exactly one wins and the other is told
//! it was already decided; after a revocation commits, no check is allowed.

use crate::on_both_databases;
use app::api::requests::{ApproveRequest, DenyRequest, RevokeGrant};
use glassbox::db::on_pool_for_tests;

on_both_databases!(async fn of_an_approval_and_a_denial_racing_exactly_one_wins(app) {
    let token = app.service_token().await;
    app.sign_in_as("Alice Martin").await;
    for round in 0..15 {
        let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
        let approve_form = [("id", id.as_str()), ("confirm", "yes")];
        let deny_form = [("id", id.as_str())];
        let (a, d) = tokio::join!(app.server_fn::<ApproveRequest>(&approve_form), app.server_fn::<DenyRequest>(&deny_form));
        let mut codes = [a.0, d.0];
        codes.sort();
        assert_eq!(codes, [200, 409], "round {round}: approve {a:?}, deny {d:?}");
        let status = app.api_get(&token, &format!("/api/v1/access-requests/{id}")).await.1["status"].clone();
        let expected = if a.0 == 200 { "approved" } else { "denied" };
        assert_eq!(status, expected, "round {round}: the stored state is the winner's");
    }
});

on_both_databases!(async fn no_check_is_allowed_once_a_revocation_has_answered(app) {
    let token = app.service_token().await;
    app.sign_in_as("Alice Martin").await;
    for round in 0..5 {
        let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
        assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 200);
        let events_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;

        // Checks race the revocation…
        let checks = (0..12).map(|_| app.check(&token, "alice@example.org", "sam.rivera", "metadata"));
        let id_for_revoke = id.clone();
        let revoke = async move { app.server_fn::<RevokeGrant>(&[("id", &id_for_revoke)]).await };
        let (answers, revoked) = tokio::join!(futures_util::future::join_all(checks), revoke);
        assert_eq!(revoked.0, 200, "round {round}");
        // …and every check after it answered is denied.
        for _ in 0..5 {
            assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "deny", "round {round}");
        }
        // Every answer, allowed or denied, has its event.
        let events_after = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;
        assert_eq!(events_after - events_before, answers.len() as i64 + 5, "round {round}");
        let allowed_with_grant = answers.iter().filter(|a| a["decision"] == "allow").count() as i64;
        let recorded_allowed = on_pool_for_tests(
            &app.db,
            &format!("SELECT COUNT(*) FROM access_events WHERE decision = 'allowed' AND seq > {events_before}"),
        )
        .await;
        assert_eq!(allowed_with_grant, recorded_allowed, "no allow without its durable event");
    }
});
