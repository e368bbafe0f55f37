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

on_both_databases!(async fn a_token_revocation_racing_with_checks_never_lets_an_allow_commit_after_it(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 200);
    // The server now knows the token: checks are identified without a query.
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "allow");
    let name = glassbox::db::service_tokens::list(&app.db).await.unwrap()[0].name.clone();
    let body = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "metadata", "action": "list_folders", "resource": "folder:inbox"});

    // Eight callers check in a loop while the token is revoked. The revocation also reads
    // the log's size in its own transaction: every event committed before it has a smaller
    // index, every event after it a larger one.
    let caller = || async {
        let mut answers = Vec::new();
        for _ in 0..200 {
            let answer = app.api_post(&token, "/api/v1/access/check", &body).await;
            let refused = answer.0 == 401;
            answers.push(answer);
            if refused {
                break;
            }
        }
        answers
    };
    let callers = futures_util::future::join_all((0..8).map(|_| caller()));
    let revoke = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut tx = app.db.begin().await.unwrap();
        assert!(glassbox::db::service_tokens::revoke_in(&mut tx, &name, app.clock.now()).await.unwrap());
        let size = glassbox::db::log::size(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        size
    };
    let (answers, size_at_revocation) = tokio::join!(callers, revoke);

    let (mut allowed, mut refused) = (0, 0);
    for (status, json) in answers.iter().flatten() {
        match status {
            200 => {
                allowed += 1;
                let index = json["log_index"].as_u64().unwrap();
                assert!(index < size_at_revocation, "an allow at {index} committed after the revocation (log size then {size_at_revocation})");
            }
            401 => {
                refused += 1;
                assert_eq!(json["error"]["message"], "This service token is unknown or revoked.");
            }
            other => panic!("unexpected answer {other}: {json}"),
        }
    }
    assert!(allowed > 0 && refused == 8, "the race happened: {allowed} allowed, {refused} refused");
    // The very next check after the revocation answered is refused.
    assert_eq!(app.api_post(&token, "/api/v1/access/check", &body).await.0, 401);
});
