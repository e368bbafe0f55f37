//! "Stop all access" on the owner's overview: one confirmed button revokes every live
//! grant and cancels every pending request of the owner's own mailboxes, each change logged
//! and emailed like a single revoke, and never touches another owner's requests.

use crate::on_both_databases;
use app::api::overview::{LoadOverview, StopAllAccess};
use app::api::requests::{ApproveRequest, LoadRequest};
use glassbox::db::on_pool_for_tests;

/// A request on `mailbox` by sam.rivera; approved by `owner` when `approve`.
async fn request(
    app: &crate::helpers::TestApp,
    token: &str,
    mailbox: &str,
    owner: &str,
    approve: bool,
) -> String {
    let id = app
        .create_request(token, serde_json::json!({"mailbox": mailbox}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    if approve {
        app.sign_in_as(owner).await;
        let (status, body) = app
            .server_fn::<ApproveRequest>(&[("id", id.as_str()), ("confirm", "yes")])
            .await;
        assert_eq!(status, 200, "{body}");
    }
    id
}

async fn status_of(app: &crate::helpers::TestApp, id: &str) -> String {
    let (status, view) = app.server_fn::<LoadRequest>(&[("id", id)]).await;
    assert_eq!(status, 200, "{view}");
    view["status"].as_str().unwrap_or_default().to_string()
}

/// How many grants and waiting requests the signed-in owner's overview shows.
async fn open_now(app: &crate::helpers::TestApp) -> (u64, u64) {
    let (status, o) = app.server_fn::<LoadOverview>(&[]).await;
    assert_eq!(status, 200, "{o}");
    let len = |k: &str| o[k].as_array().map_or(0, |a| a.len() as u64);
    (len("active_grants"), len("pending"))
}

async fn owner_stops(app: &crate::helpers::TestApp) -> i64 {
    on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM request_changes WHERE actor = 'owner' AND change IN ('revoked', 'cancelled')").await
}

on_both_databases!(async fn stop_all_revokes_the_owners_grants_and_cancels_their_requests_and_nobody_elses(app) {
    // Arrange: Alice has two more live grants and one more waiting request than the demo
    // gave her; Bilal has one of each.
    let token = app.service_token().await;
    let alice_grants = [
        request(app, &token, "alice@example.org", "Alice Martin", true).await,
        request(app, &token, "alice@example.org", "Alice Martin", true).await,
    ];
    let alice_pending = request(app, &token, "alice@example.org", "Alice Martin", false).await;
    let bilal_grant = request(app, &token, "bilal@example.org", "Bilal Haddad", true).await;
    let bilal_pending = request(app, &token, "bilal@example.org", "Bilal Haddad", false).await;
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "allow");
    app.sign_in_as("Alice Martin").await;
    let (grants, pending) = open_now(app).await;
    assert!(grants >= 2 && pending >= 1);
    let outbox_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await;
    let stops_before = owner_stops(app).await;

    // Act
    let (status, body) = app.server_fn::<StopAllAccess>(&[("confirm", "yes"), ("form_key", "stop-all-form-0123456789")]).await;

    // Assert: the answer counts what happened, and nothing is left open.
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["revoked"].as_u64(), body["cancelled"].as_u64()), (Some(grants), Some(pending)), "{body}");
    assert_eq!(open_now(app).await, (0, 0));
    for id in &alice_grants {
        assert_eq!(status_of(app, id).await, "revoked");
    }
    assert_eq!(status_of(app, &alice_pending).await, "cancelled");
    // Each change has its step for the log, and each revoke its email to the owner.
    assert_eq!(owner_stops(app).await, stops_before + (grants + pending) as i64);
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await, outbox_before + grants as i64, "one revoke email per grant");
    // Access is refused from now on.
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "deny");
    // Bilal's requests are as they were.
    app.sign_in_as("Bilal Haddad").await;
    assert_eq!(status_of(app, &bilal_grant).await, "approved");
    assert_eq!(status_of(app, &bilal_pending).await, "pending");
    assert_eq!(app.check(&token, "bilal@example.org", "sam.rivera", "content").await["decision"], "allow");
});

on_both_databases!(async fn stop_all_without_the_ticked_box_changes_nothing_and_says_to_tick_it(app) {
    let token = app.service_token().await;
    let grant = request(app, &token, "alice@example.org", "Alice Martin", true).await;
    let stops_before = owner_stops(app).await;

    let (status, body) = app.server_fn::<StopAllAccess>(&[("form_key", "stop-all-form-unticked-01")]).await;

    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("Tick the box"), "{body}");
    assert_eq!(status_of(app, &grant).await, "approved");
    assert_eq!(owner_stops(app).await, stops_before);
});

on_both_databases!(async fn stop_all_sent_twice_with_its_form_key_stops_once_and_answers_the_first_result(app) {
    // Arrange
    let token = app.service_token().await;
    request(app, &token, "alice@example.org", "Alice Martin", true).await;
    request(app, &token, "alice@example.org", "Alice Martin", false).await;
    let open = open_now(app).await;
    let form = [("confirm", "yes"), ("form_key", "stop-all-form-twice-0123")];
    let first = app.server_fn::<StopAllAccess>(&form).await;
    // A request arriving after the stop is not stopped by a resent copy of the same form.
    let later = request(app, &token, "alice@example.org", "Alice Martin", false).await;
    let outbox_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await;
    let stops_before = owner_stops(app).await;

    // Act
    let second = app.server_fn::<StopAllAccess>(&form).await;

    // Assert
    assert_eq!(first.0, 200, "{first:?}");
    assert_eq!(second, first, "the repeat is answered with the first result");
    assert_eq!((first.1["revoked"].as_u64(), first.1["cancelled"].as_u64()), (Some(open.0), Some(open.1)));
    assert_eq!(status_of(app, &later).await, "pending");
    assert_eq!(owner_stops(app).await, stops_before);
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await, outbox_before);
});

on_both_databases!(async fn stop_all_with_nothing_to_stop_says_so_and_writes_nothing(app) {
    app.sign_in_as("Alice Martin").await;
    let (status, body) = app.server_fn::<StopAllAccess>(&[("confirm", "yes"), ("form_key", "stop-all-form-clear-0123")]).await;
    assert_eq!(status, 200, "what the demo left open is stopped first: {body}");
    let stops_before = owner_stops(app).await;
    // The overview does not offer the button then.
    let (_, page) = app.get_page("/me").await;
    assert!(page.contains("There is nothing to stop"), "{page}");

    let (status, body) = app.server_fn::<StopAllAccess>(&[("confirm", "yes"), ("form_key", "stop-all-form-empty-0123")]).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!((body["revoked"].as_u64(), body["cancelled"].as_u64()), (Some(0), Some(0)));
    assert_eq!(owner_stops(app).await, stops_before);
});

on_both_databases!(async fn stop_all_posted_without_javascript_comes_back_to_the_overview_saying_what_it_did(app) {
    let token = app.service_token().await;
    request(app, &token, "alice@example.org", "Alice Martin", true).await;
    let (grants, pending) = open_now(app).await;

    let res = app
        .client
        .post(app.url(<StopAllAccess as leptos::server_fn::ServerFn>::PATH))
        .header("accept", "text/html")
        .form(&[("confirm", "yes"), ("form_key", "stop-all-form-plain-0123")])
        .send()
        .await
        .unwrap();

    assert!(res.status().is_redirection(), "{}", res.status());
    let to = crate::helpers::location(&res).unwrap_or_default().trim_start_matches(&app.address).to_string();
    assert_eq!(to, format!("/me?stopped={grants}&cancelled={pending}"));
    let (_, page) = app.get_page(&to).await;
    let said = app::model::StopAllOutcome { revoked: grants as u32, cancelled: pending as u32 }.sentence();
    assert!(page.contains(&said), "{said} in {page}");
    assert!(page.contains("There is nothing to stop"), "the button is gone: {page}");
});

on_both_databases!(async fn a_cross_site_stop_all_is_refused_and_staff_cannot_stop_an_owners_access(app) {
    // Arrange
    let token = app.service_token().await;
    let grant = request(app, &token, "alice@example.org", "Alice Martin", true).await;
    let cookie = app.session_cookie().unwrap();
    let stops_before = owner_stops(app).await;
    let path = <StopAllAccess as leptos::server_fn::ServerFn>::PATH;

    // Act: another site posts the form with Alice's cookie.
    let res = reqwest::Client::new()
        .post(app.url(path))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("confirm", "yes"), ("form_key", "stop-all-form-forged-012")])
        .send()
        .await
        .unwrap();

    // Assert: refused by the CSRF guard, and nothing changed.
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(status_of(app, &grant).await, "approved");
    // A staff member is not an owner: forbidden, nothing changed.
    app.sign_in_as("Sam Rivera").await;
    let (status, body) = app.server_fn::<StopAllAccess>(&[("confirm", "yes"), ("form_key", "stop-all-form-staff-0123")]).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(owner_stops(app).await, stops_before);
});
