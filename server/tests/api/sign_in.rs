use crate::helpers::{spawn_app_with, Options};
use crate::on_both_databases;
use glassbox::db::Backend;

on_both_databases!(async fn the_demo_sign_in_offers_owners_and_staff(app) {
    let names: Vec<String> = app.demo_choices().await.into_iter().map(|(n, _)| n).collect();
    for expected in ["Alice Martin", "Bilal Haddad", "Sam Rivera", "Morgan Lee"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
});

on_both_databases!(async fn an_owner_signs_in_and_lands_on_their_overview(app) {
    let choices = app.demo_choices().await;
    let (_, alice) = choices.iter().find(|(n, _)| n == "Alice Martin").unwrap();
    let res = app.post_form("/auth/demo", &[("identity", alice)]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/me");
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http locally: {cookie}");

    let (status, html) = app.get_page("/me").await;
    assert_eq!(status, 200);
    assert!(html.contains("Hello Alice Martin."), "greets her");
    assert!(html.contains("alice@example.org") && html.contains("alice.martin@work.example.org"));
    assert!(html.contains("Waiting for your decision"));
    assert!(html.contains("Waiting for a decision"), "her pending requests are listed");
    assert!(html.contains("Signed in as Alice Martin"));
});

on_both_databases!(async fn the_session_id_is_renewed_at_every_sign_in(app) {
    app.sign_in_as("Bilal Haddad").await;
    let first = app.session_cookie().expect("a session after sign-in");
    app.sign_in_as("Alice Martin").await;
    let second = app.session_cookie().expect("a session after the second sign-in");
    assert_ne!(first, second, "a new id at sign-in");

    // The old id no longer signs anybody in.
    let replay = reqwest::Client::new()
        .get(app.url("/me"))
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status().as_u16(), 401);
});

on_both_databases!(async fn signing_out_ends_the_session_for_good(app) {
    app.sign_in_as("Alice Martin").await;
    let cookie = app.session_cookie().unwrap();
    let res = app.post_form("/auth/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.get_page("/me").await.0, 401);
    let replay = reqwest::Client::new().get(app.url("/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(replay.status().as_u16(), 401, "the old cookie is dead");
});

on_both_databases!(async fn an_unknown_or_malformed_identity_signs_nobody_in(app) {
    for bad in ["owner:00000000-0000-0000-0000-000000000000", "root:1", "", "owner:'; DROP TABLE owners; --"] {
        let res = app.post_form("/auth/demo", &[("identity", bad)]).await;
        assert_eq!(res.status().as_u16(), 400, "{bad:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(app.session_cookie().is_none(), "no session for {bad:?}");
    }
    assert_eq!(app.get_page("/me").await.0, 401);
});

on_both_databases!(async fn staff_sign_in_lands_on_the_console(app) {
    app.sign_in_as("Sam Rivera").await;
    let (status, html) = app.get_page("/staff").await;
    assert_eq!(status, 200);
    assert!(html.contains("Staff console"));
    assert!(html.contains("Support agent"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_sign_in_does_not_exist_when_switched_off() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            seed: true,
            configure: Box::new(|s| s.auth.demo_sign_in = Some(false)),
        },
    )
    .await
    .unwrap();
    let (status, html) = app.get_page("/auth/demo").await;
    assert_eq!(status, 404);
    assert!(!html.contains("name=\"identity\""));
    let res = app
        .post_form(
            "/auth/demo",
            &[("identity", "owner:9a55b0c5-0000-4000-8000-000000000001")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert!(app.session_cookie().is_none());
    app.finish().await;
}

on_both_databases!(async fn signing_in_from_a_request_page_comes_back_to_it(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    let page = format!("/me/requests/{id}");
    // Signed out, the request page offers a sign-in that returns to it.
    let (status, html) = app.get_page(&page).await;
    assert_eq!(status, 401);
    assert!(html.contains(&format!("/auth/login?return_to={page}")), "{html}");
    // Without a provider the sign-in is the demo's, which carries the way back…
    let res = app.get(&format!("/auth/login?return_to={page}")).await;
    assert_eq!(crate::helpers::location(&res).unwrap(), app.url(&format!("/auth/demo?return_to={page}")));
    let (_, demo) = app.get_page(&format!("/auth/demo?return_to={page}")).await;
    assert!(demo.contains(&format!("name=\"return_to\" value=\"{page}\"")), "{demo}");
    // …and lands the owner on the request, never anywhere off the site.
    let alice = app.demo_choices().await.into_iter().find(|(n, _)| n.contains("Alice")).unwrap().1;
    let back = app.post_form("/auth/demo", &[("identity", &alice), ("return_to", &page)]).await;
    assert_eq!(crate::helpers::location(&back).unwrap(), app.url(&page));
    let away = app.post_form("/auth/demo", &[("identity", &alice), ("return_to", "//evil.example/x")]).await;
    assert_eq!(crate::helpers::location(&away).unwrap(), app.url("/me"));
});

on_both_databases!(async fn the_navigations_sign_in_comes_back_to_the_page_it_was_on(app) {
    let (_, html) = app.get_page("/me/history").await;
    assert!(html.contains("href=\"/auth/login?return_to=/me/history\""), "{html}");
    let (_, landing) = app.get_page("/").await;
    assert!(landing.contains("href=\"/auth/login\""), "the start page signs in to the overview");
});
