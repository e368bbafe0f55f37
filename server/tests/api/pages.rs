use crate::helpers::{spawn_app_with, Options};
use crate::on_both_databases;
use glassbox::db::Backend;

on_both_databases!(async fn the_landing_page_says_what_glassbox_is(app) {
    let (status, html) = app.get_page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("See every time staff access your mailbox"));
    assert!(html.contains("href=\"/auth/demo\""));
    assert!(html.contains("/pkg/glassbox.js"), "the hydration script is linked");
});

on_both_databases!(async fn owner_pages_ask_an_anonymous_visitor_to_sign_in(app) {
    for path in ["/me", "/me/history"] {
        let (status, html) = app.get_page(path).await;
        assert_eq!(status, 401, "{path}");
        assert!(html.contains("Please sign in"), "{path}");
    }
    assert_eq!(app.get_page("/staff").await.0, 401);
});

on_both_databases!(async fn staff_cannot_open_owner_pages_and_owners_cannot_open_the_console(app) {
    app.sign_in_as("Sam Rivera").await;
    assert_eq!(app.get_page("/me").await.0, 403);
    assert_eq!(app.get_page("/me/history").await.0, 403);
    app.sign_in_as("Alice Martin").await;
    let (status, html) = app.get_page("/staff").await;
    assert_eq!(status, 403);
    assert!(!html.contains("Sam Rivera"), "no staff names leak to owners");
});

on_both_databases!(async fn owners_see_staff_by_pseudonym_never_by_name(app) {
    app.sign_in_as("Alice Martin").await;
    for path in ["/me", "/me/history"] {
        let (_, html) = app.get_page(path).await;
        assert!(html.contains("Agent "), "{path} names agents by pseudonym");
        for name in ["Sam Rivera", "Priya Nair", "Tomás Becker", "staff.example.org"] {
            assert!(!html.contains(name), "{path} leaks {name}");
        }
    }
});

on_both_databases!(async fn a_support_agent_sees_only_their_own_requests(app) {
    app.sign_in_as("Sam Rivera").await;
    let (_, html) = app.get_page("/staff").await;
    assert!(html.contains("Your access requests"));
    assert!(html.contains("Sam Rivera"));
    assert!(!html.contains("Priya Nair") && !html.contains("Tomás Becker"), "only Sam's requests");
    assert!(html.contains(r#"<a href="/staff/requests/"#), "each of his requests links to its page");

    app.sign_in_as("Morgan Lee").await;
    let (_, html) = app.get_page("/staff").await;
    assert!(html.contains("All access requests"));
    assert!(html.contains("Sam Rivera") && html.contains("Priya Nair"), "admins see everyone's");
});

on_both_databases!(async fn an_unknown_address_gets_a_404_page(app) {
    let (status, html) = app.get_page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_database_without_demo_data_still_serves_every_page() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            seed: false,
            configure: Box::new(|_| {}),
        },
    )
    .await
    .unwrap();
    assert_eq!(app.get_page("/").await.0, 200);
    let (status, html) = app.get_page("/auth/demo").await;
    assert_eq!(status, 200);
    assert!(!html.contains("name=\"identity\""), "nobody to sign in as");
    app.finish().await;
}

fn title(html: &str) -> String {
    regex_lite::Regex::new(r"<title>([^<]*)</title>")
        .unwrap()
        .captures(html)
        .expect("a title")[1]
        .to_string()
}

on_both_databases!(async fn each_request_page_has_a_title_of_its_own(app) {
    app.sign_in_as("Alice Martin").await;
    let (_, list) = app.get_page("/me/requests").await;
    let links: Vec<String> = regex_lite::Regex::new(r#"href="(/me/requests/[0-9a-f-]{36})""#).unwrap()
        .captures_iter(&list).map(|c| c[1].to_string()).collect();
    assert!(links.len() >= 2, "the demo gives Alice several requests");
    let mut titles = std::collections::HashSet::new();
    for link in &links {
        let (status, html) = app.get_page(link).await;
        assert_eq!(status, 200, "{link}");
        let t = title(&html);
        assert!(t.starts_with("Request from Agent ") && t.contains("example.org (") && t.ends_with(") — Glassbox"), "{t}");
        titles.insert(t);
    }
    assert!(titles.len() > 1, "requests are told apart by their titles: {titles:?}");
    let (status, html) = app.get_page("/me/requests/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(status, 404);
    assert_eq!(title(&html), "Access request — Glassbox");
});
