//! Passkeys: people add several and remove them (another key only after confirming with one
//! they have); approving an emergency access and disabling staff need a passkey confirmed in
//! the last few minutes; an owner who added a passkey approves only with it. A cloned key
//! (its counter does not grow), a replayed answer, an answer for another site and a key that
//! does not verify its user are refused, and change nothing. The owner sees the strength of
//! the sign-in behind each access. The keys are a software authenticator making real
//! signatures (`authenticator.rs`); the server's checks are webauthn-rs's, unchanged.

use crate::authenticator::SoftKey;
use crate::helpers::{location, TestApp};
use crate::on_both_databases;
use app::api::emergency::{DecideEmergencyAccess, LoadEmergencyPage, OpenEmergencyAccess};
use app::api::requests::ApproveRequest;
use app::api::roster::DisableStaff;
use time::Duration;

async fn staff_id(app: &TestApp, email: &str) -> String {
    glassbox::db::staff::find_staff_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email} is not on the roster"))
        .id
        .to_string()
}

async fn key_names(app: &TestApp, page: &str) -> String {
    let (status, html) = app.get_page(page).await;
    assert_eq!(status, 200, "{html}");
    html
}

/// The ids of the keys listed on the page, in order.
fn key_ids(html: &str) -> Vec<String> {
    html.split("/passkeys/")
        .skip(1)
        .filter_map(|rest| rest.split_once("/remove").map(|(id, _)| id.to_string()))
        .collect()
}

/// Inês opens an emergency access on Alice's mailbox for Sam; returns its id.
async fn emergency_opened_by_ines(app: &TestApp) -> String {
    app.sign_in_as("Inês Duarte").await;
    let sam = staff_id(app, "sam.rivera@staff.example.org").await;
    let (status, page) = app
        .server_fn::<OpenEmergencyAccess>(&[
            ("mailbox", "alice@example.org"),
            ("agent", &sam),
            ("scope_metadata", "yes"),
            ("justification_code", "break_glass_emergency"),
            (
                "justification_text",
                "The police report a missing person; we need her last sign-in",
            ),
            ("reference", "INC-2026-0042"),
            ("duration_minutes", "60"),
            ("confirm", "yes"),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    page["accesses"][0]["id"].as_str().unwrap().to_string()
}

async fn approve_emergency(app: &TestApp, id: &str) -> (u16, serde_json::Value) {
    app.server_fn::<DecideEmergencyAccess>(&[
        ("id", id),
        ("act", "approve"),
        ("reason", ""),
        ("confirm", "yes"),
    ])
    .await
}

on_both_databases!(async fn a_staff_member_adds_several_passkeys_and_another_or_a_removal_needs_a_confirmation(app) {
    // Arrange: Morgan, signed in, with no passkey.
    app.sign_in_as("Morgan Lee").await;
    assert!(key_names(app, "/staff/keys").await.contains("You have no passkey yet."));

    // Act + Assert: the first key needs nothing more.
    let mut first = SoftKey::new();
    let (status, body) = app.add_passkey(&mut first, "YubiKey on my keyring").await;
    assert_eq!((status, body["redirect"].as_str()), (200, Some("/staff/keys?added=1")), "{body}");
    assert!(key_names(app, "/staff/keys").await.contains("YubiKey on my keyring"));

    // A second key while holding one (a minute later): only after confirming with the first.
    app.clock.advance(Duration::minutes(1));
    let mut second = SoftKey::new();
    let (status, body) = app.add_passkey(&mut second, "Laptop").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["redirect"], "/staff/confirm?return_to=/staff/keys", "{body}");
    assert_eq!(app.confirm_passkey(&mut first).await.0, 200);
    let (status, body) = app.add_passkey(&mut second, "Laptop").await;
    assert_eq!(status, 200, "{body}");
    let html = key_names(app, "/staff/keys").await;
    let ids = key_ids(&html);
    assert_eq!(ids.len(), 2, "{html}");
    assert!(html.find("YubiKey on my keyring") < html.find("Laptop"), "oldest first: {html}");

    // The same authenticator twice is one key.
    app.confirm_passkey(&mut first).await;
    let again = app.post_json("/passkeys/add/options", serde_json::json!({})).await.1;
    let excluded = again["publicKey"]["excludeCredentials"].as_array().unwrap();
    assert_eq!(excluded.len(), 2, "the browser is told which keys are already added: {again}");

    // Removing one, while the confirmation is recent: gone, and it no longer works.
    let res = app.post_form(&format!("/passkeys/{}/remove", ids[0]), &[]).await;
    assert_eq!(location(&res), Some(app.url("/staff/keys?removed=1")));
    let html = key_names(app, "/staff/keys").await;
    assert_eq!(key_ids(&html), vec![ids[1].clone()], "{html}");
    let (status, body) = app.confirm_passkey(&mut first).await;
    assert_eq!(status, 400, "a removed key is refused: {body}");

    // Six minutes on, the confirmation is stale: a removal sends Morgan to confirm first.
    app.clock.advance(Duration::minutes(6));
    let res = app.post_form(&format!("/passkeys/{}/remove", ids[1]), &[]).await;
    assert_eq!(location(&res), Some(app.url("/staff/confirm?return_to=/staff/keys")));
    assert_eq!(key_ids(&key_names(app, "/staff/keys").await).len(), 1, "nothing removed");
});

on_both_databases!(async fn nobody_removes_or_uses_another_persons_passkey(app) {
    // Arrange: Morgan's key, and Sam with his own, freshly confirmed.
    app.sign_in_with_passkey("Morgan Lee").await;
    let morgans = key_ids(&key_names(app, "/staff/keys").await);
    app.sign_in_with_passkey("Sam Rivera").await;

    // Act + Assert: Sam cannot remove Morgan's key; Morgan's key is not offered to Sam.
    let res = app.post_form(&format!("/passkeys/{}/remove", morgans[0]), &[]).await;
    assert_eq!(res.status().as_u16(), 404);
    let options = app.post_json("/passkeys/confirm/options", serde_json::json!({})).await.1;
    let allowed: Vec<&str> = options["publicKey"]["allowCredentials"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(allowed.len(), 1, "only Sam's own key: {options}");
    app.sign_in_as("Morgan Lee").await;
    assert_eq!(key_ids(&key_names(app, "/staff/keys").await), morgans, "Morgan's key is untouched");

    // Alice (an owner) has her own page and none of theirs.
    app.sign_in_as("Alice Martin").await;
    assert!(key_names(app, "/me/keys").await.contains("You have no passkey yet."));
    assert_eq!(location(&app.get("/staff/keys").await), Some(app.url("/me/keys")));
    // Signed out, nothing answers.
    app.post_form("/auth/logout", &[]).await;
    assert_eq!(app.post_json("/passkeys/add/options", serde_json::json!({})).await.0, 401);
});

on_both_databases!(async fn approving_an_emergency_access_needs_a_passkey_confirmed_in_the_last_few_minutes(app) {
    // Arrange
    let token = app.service_token().await;
    let id = emergency_opened_by_ines(app).await;

    // Act + Assert: Morgan, signed in without a recent passkey, is sent to confirm one.
    app.sign_in_as("Morgan Lee").await;
    let (status, refused) = approve_emergency(app, &id).await;
    assert_eq!(status, 403, "{refused}");
    let confirm_url = refused["PasskeyRequired"]["confirm_url"].as_str().unwrap_or_else(|| panic!("{refused}"));
    assert_eq!(confirm_url, "/staff/confirm?return_to=/admin/emergency");
    let (_, page) = app.server_fn::<LoadEmergencyPage>(&[]).await;
    assert_eq!(page["accesses"][0]["status"], "pending", "nothing changed: {page}");
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "deny");

    // With a passkey confirmed just now, the approval goes through.
    app.sign_in_with_passkey("Morgan Lee").await;
    let (status, page) = approve_emergency(app, &id).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["accesses"][0]["status"], "approved", "{page}");

    // A second emergency access six minutes later needs a new confirmation.
    let second = emergency_opened_by_ines(app).await;
    app.sign_in_as("Morgan Lee").await;
    app.clock.advance(Duration::minutes(6));
    assert_eq!(approve_emergency(app, &second).await.0, 403, "the confirmation went stale");
});

on_both_databases!(async fn disabling_a_staff_member_needs_a_recent_passkey(app) {
    // Arrange
    let sam = staff_id(app, "sam.rivera@staff.example.org").await;
    app.sign_in_as("Morgan Lee").await;

    // Act + Assert: without one, refused and Sam stays.
    let (status, body) = app.server_fn::<DisableStaff>(&[("member", &sam), ("confirm", "yes")]).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["PasskeyRequired"]["confirm_url"], "/staff/confirm?return_to=/admin/staff", "{body}");
    let member = glassbox::db::staff::find_staff_by_email(&app.db, "sam.rivera@staff.example.org").await.unwrap().unwrap();
    assert!(member.disabled_at.is_none(), "nothing changed");

    // With one: disabled.
    app.sign_in_with_passkey("Morgan Lee").await;
    let (status, body) = app.server_fn::<DisableStaff>(&[("member", &sam), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
});

on_both_databases!(async fn a_cloned_key_is_refused_because_its_signature_counter_does_not_grow(app) {
    // Arrange: Morgan's key, used once; a copy of it made then.
    app.sign_in_as("Morgan Lee").await;
    let mut key = SoftKey::new();
    assert_eq!(app.add_passkey(&mut key, "YubiKey").await.0, 200);
    assert_eq!(app.confirm_passkey(&mut key).await.0, 200);
    let mut clone = key.clone();
    // The real key is used again (its counter moves on to 2).
    assert_eq!(app.confirm_passkey(&mut key).await.0, 200);

    // Act: the copy signs with the counter it has (2 as well: not above the stored 2).
    let (status, body) = app.confirm_passkey(&mut clone).await;

    // Assert: refused, saying why; the real key still works.
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("signature counter"), "{body}");
    assert_eq!(app.confirm_passkey(&mut key).await.0, 200);
});

on_both_databases!(async fn a_replayed_or_misdirected_passkey_answer_is_refused(app) {
    // Arrange
    app.sign_in_as("Morgan Lee").await;
    let mut key = SoftKey::new();
    assert_eq!(app.add_passkey(&mut key, "YubiKey").await.0, 200);
    let options = app.post_json("/passkeys/confirm/options", serde_json::json!({})).await.1;
    let answer = key.get(&options);

    // Act + Assert: the answer counts once; sent again, it finds no attempt to answer.
    assert_eq!(app.post_json("/passkeys/confirm", serde_json::json!({ "credential": answer })).await.0, 200);
    let (status, body) = app.post_json("/passkeys/confirm", serde_json::json!({ "credential": answer })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("earlier attempt"), "{body}");

    // An answer to an old challenge, sent to a new attempt: refused.
    let new_attempt = app.post_json("/passkeys/confirm/options", serde_json::json!({})).await.1;
    assert_ne!(new_attempt["publicKey"]["challenge"], options["publicKey"]["challenge"]);
    key.counter += 1;
    let stale = key.sign("localhost", options["publicKey"]["challenge"].as_str().unwrap());
    assert_eq!(app.post_json("/passkeys/confirm", serde_json::json!({ "credential": stale })).await.0, 400);

    // A key that was never added here (a wrong key) is refused.
    let mut stranger = SoftKey::new();
    let options = app.post_json("/passkeys/confirm/options", serde_json::json!({})).await.1;
    let (status, body) = app.post_json("/passkeys/confirm", serde_json::json!({ "credential": stranger.get(&options) })).await;
    assert_eq!(status, 400, "{body}");

    // An answer made on another site (a phishing page) is refused.
    let mut phished = key.clone();
    phished.origin = "https://glassbox-login.example".into();
    let options = app.post_json("/passkeys/confirm/options", serde_json::json!({})).await.1;
    let (status, body) = app.post_json("/passkeys/confirm", serde_json::json!({ "credential": phished.get(&options) })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("another site"), "{body}");
});

on_both_databases!(async fn a_key_that_does_not_verify_its_user_or_a_bad_name_is_not_added(app) {
    app.sign_in_as("Morgan Lee").await;
    let mut touch_only = SoftKey::new();
    touch_only.verifies_user = false;
    let (status, body) = app.add_passkey(&mut touch_only, "Old U2F key").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("did not verify you"), "{body}");
    let mut key = SoftKey::new();
    let (status, body) = app.add_passkey(&mut key, "   ").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("name"), "{body}");
    assert!(key_names(app, "/staff/keys").await.contains("You have no passkey yet."), "nothing was stored");
});

on_both_databases!(async fn an_owner_who_added_a_passkey_approves_only_with_it(app) {
    // Arrange: two pending requests for Alice's mailbox.
    let token = app.service_token().await;
    let people = app.new_people().await;
    let ask = || app.create_request(&token, serde_json::json!({"agent": people.agent, "scopes": ["metadata"], "duration_minutes": 30}));
    let first = ask().await["id"].as_str().unwrap().to_string();
    let second = ask().await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    let approve = |id: String| async move { app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await };

    // Without a passkey she approves as before.
    assert_eq!(approve(first.clone()).await.0, 200);

    // Act: she adds one; then approving needs it.
    let mut key = SoftKey::new();
    assert_eq!(app.add_passkey(&mut key, "My phone").await.0, 200);
    let (status, body) = approve(second.clone()).await;

    // Assert
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["PasskeyRequired"]["confirm_url"], format!("/me/confirm?return_to=/me/requests/{second}"), "{body}");
    let (status, body) = app.confirm_passkey(&mut key).await;
    assert_eq!(status, 200, "{body}");
    let (status, view) = approve(second.clone()).await;
    assert_eq!((status, view["status"].as_str()), (200, Some("approved")), "{view}");
});

on_both_databases!(async fn the_owner_sees_how_the_agent_had_signed_in_for_each_access(app) {
    // Arrange: Sam signs in (the demo's sign-in: no second factor) and is granted access.
    let token = app.service_token().await;
    app.sign_in_as("Sam Rivera").await;
    let id = app
        .create_request(&token, serde_json::json!({"agent": "sam.rivera", "scopes": ["metadata"], "duration_minutes": 30}))
        .await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    assert_eq!(app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 200);
    app.clock.advance(Duration::minutes(1));

    // Act
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "metadata").await["decision"], "allow");

    // Assert: her history says how Sam had signed in, and when.
    let path = <app::api::overview::LoadHistory as leptos::server_fn::ServerFn>::PATH;
    let (_, page) = app.post_json(path, serde_json::json!({"cursor": null, "filter": {}})).await;
    let newest = &page["events"][0];
    assert_eq!(newest["agent_sign_in"]["factor"], "demo", "{newest}");
    let (_, html) = app.get_page("/me/history").await;
    assert!(html.contains("signed in through the demo, without a second factor"), "the page says it");
});
