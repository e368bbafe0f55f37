//! Email: every notice reaches a real SMTP server (MailDev) with its content and headers;
//! links in emails are single use, purpose-bound and never act on a GET; the outbox keeps
//! its promises (one email per change, rolled back with it, nothing lost).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use crate::helpers::{maildev, Options, People, TestApp};
use crate::{on_both_databases, on_both_databases_with};
use glassbox::db::notices::{self, AccessNotices};
use glassbox::db::on_pool_for_tests;
use glassbox::domain::access_request::{Action, Actor, Grant};
use glassbox::services::{notifications, requests};
use time::Duration;

async fn with_maildev() -> Option<Options> {
    let m = maildev().await?;
    Some(Options {
        seed: true,
        configure: m.configure(),
    })
}

async fn dev_backend() -> Option<Options> {
    Some(Options::default())
}

/// The outbox row of one kind for a recipient: (message_id, body_text, body_html).
async fn outbox_row(app: &TestApp, kind: &str, recipient: &str) -> (String, String, String) {
    let rows = glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .expect("outbox");
    let row = rows
        .into_iter()
        .find(|r| r.kind == kind && r.recipient == recipient)
        .unwrap_or_else(|| panic!("no {kind} email queued for {recipient}"));
    (row.message_id, row.body_text, row.body_html)
}

/// The action link in a text body.
fn link_in(text: &str, prefix: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.contains(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{text}"))
        .to_string()
}

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    format!("/{}", rest.split_once('/').map(|(_, p)| p).unwrap_or(""))
}

async fn status_of(app: &TestApp, id: app::model::RequestId) -> String {
    requests::get(&app.db, id)
        .await
        .expect("request")
        .status
        .as_str()
        .to_string()
}

async fn decide(app: &TestApp, people: &People, id: app::model::RequestId, action: Action) {
    requests::decide(
        &app.db,
        &app.clock,
        &app.settings,
        id,
        Actor::Owner(people.owner_id),
        action,
    )
    .await
    .expect("decision");
}

on_both_databases_with!(with_maildev(), async fn every_notice_reaches_the_real_smtp_server(app) {
    let mail = maildev().await.expect("maildev");
    let token = app.service_token().await;
    let people = app.new_people().await;

    // A new request: the owner hears who, what, why, for how long, with a link to decide.
    let first = app.request_for(&token, &people, "You reported missing messages <b>today</b>").await;
    let email = mail.wait_for(&people.owner_email, "Access request for").await;
    let text = email["text"].as_str().unwrap();
    let html = email["html"].as_str().unwrap();
    assert!(text.contains(&people.mailbox));
    assert!(text.contains("You asked for help: You reported missing messages <b>today</b>"), "{text}");
    assert!(text.contains("Ticket: T-42"));
    assert!(text.contains("For how long: 1 hour from your approval"));
    assert!(text.contains("see folder names, senders, subjects and dates and read the text of your messages"));
    assert!(text.contains("/email/requests/"));
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("&lt;b&gt;today&lt;/b&gt;"), "person-written text is escaped");
    assert!(!html.contains("<img"), "no tracking pixels");
    let (message_id, ..) = outbox_row(app, "request_submitted", &people.owner_email).await;
    assert_eq!(email["headers"]["message-id"].as_str(), Some(message_id.as_str()));
    let source = mail.source(&email).await;
    assert!(source.contains("multipart/alternative"));
    assert!(source.contains("Auto-Submitted: auto-generated"));
    assert!(source.contains("X-Glassbox-Notice: request_submitted"));

    // Approved: the agent hears; the first access tells the owner; revoking confirms with a
    // summary of what was accessed.
    decide(app, &people, first, Action::Approve(Grant::AS_ASKED)).await;
    let approved = mail.wait_for(&people.agent_email, "Approved:").await;
    assert!(approved["text"].as_str().unwrap().contains("Access ends"));
    assert_eq!(app.check(&token, &people.mailbox, &people.agent, "content").await["decision"], "allow");
    notifications::send_first_access_notices(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    let first_access = mail.wait_for(&people.owner_email, "has started accessing").await;
    assert!(first_access["text"].as_str().unwrap().contains("read message (read the text of your messages)"));
    notifications::send_first_access_notices(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    decide(app, &people, first, Action::Revoke).await;
    let revoked = mail.wait_for(&people.owner_email, "You revoked access").await;
    assert!(revoked["text"].as_str().unwrap().contains("What was accessed\n- read message (read the text of your messages), once"));

    // Denied: the agent hears the owner's reason.
    let second = app.request_for(&token, &people, "Second look").await;
    decide(app, &people, second, Action::Deny { reason: Some("Not without a call first".into()) }).await;
    let denied = mail.wait_for(&people.agent_email, "Denied:").await;
    assert!(denied["text"].as_str().unwrap().contains("Not without a call first"));

    // Expired: the agent hears nobody decided, and so does the owner (immediate emails).
    let _third = app.request_for(&token, &people, "Third look").await;
    app.clock.advance(Duration::hours(25));
    requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();
    mail.wait_for(&people.agent_email, "Expired:").await;
    let expired = mail.wait_for(&people.owner_email, "Expired: the access request").await;
    assert!(expired["text"].as_str().unwrap().contains("nobody got access"));

    // A grant that runs out: the owner gets the summary.
    let fourth = app.request_for(&token, &people, "Fourth look").await;
    decide(app, &people, fourth, Action::Approve(Grant::AS_ASKED)).await;
    app.check(&token, &people.mailbox, &people.agent, "metadata").await;
    app.check(&token, &people.mailbox, &people.agent, "metadata").await;
    notifications::send_first_access_notices(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    app.clock.advance(Duration::hours(2));
    requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();
    let ended = mail.wait_for(&people.owner_email, "has ended").await;
    assert!(ended["text"].as_str().unwrap().contains("read message (see folder names, senders, subjects and dates), 2 times"));

    // Every notice arrived exactly once.
    let to_owner = mail.messages_to(&people.owner_email).await;
    let to_agent = mail.messages_to(&people.agent_email).await;
    assert_eq!(to_owner.len(), 9, "4 requests, 2 first accesses, revoked, expired, ended");
    assert_eq!(to_agent.len(), 4, "approved twice, denied, expired");
});

on_both_databases_with!(with_maildev(), async fn an_owner_on_the_daily_digest_gets_one_summary_with_one_click_unsubscribe(app) {
    let mail = maildev().await.expect("maildev");
    let token = app.service_token().await;
    let people = app.new_people().await;
    let mut tx = app.db.begin().await.unwrap();
    notices::set_access_notices(&mut tx, people.owner_id, AccessNotices::DailyDigest, app.clock.now()).await.unwrap();
    tx.commit().await.unwrap();

    let id = app.request_for(&token, &people, "Digest check").await;
    decide(app, &people, id, Action::Approve(Grant::AS_ASKED)).await;
    app.clock.advance(Duration::minutes(1));
    for _ in 0..3 {
        app.check(&token, &people.mailbox, &people.agent, "content").await;
    }
    notifications::send_first_access_notices(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert_eq!(notifications::send_due_digests(&app.db, &app.clock, &app.settings, 100).await.unwrap(), 0, "not a day yet");
    app.clock.advance(Duration::hours(24));
    assert_eq!(notifications::send_due_digests(&app.db, &app.clock, &app.settings, 100).await.unwrap(), 1);
    assert_eq!(notifications::send_due_digests(&app.db, &app.clock, &app.settings, 100).await.unwrap(), 0, "once a day");

    let digest = mail.wait_for(&people.owner_email, "Your daily access summary: 3 accesses").await;
    let source = mail.source(&digest).await;
    assert!(source.contains("List-Unsubscribe: <http"), "{source}");
    assert!(source.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let subjects: Vec<String> = mail.messages_to(&people.owner_email).await.iter().map(|m| m["subject"].as_str().unwrap().to_string()).collect();
    assert!(!subjects.iter().any(|s| s.contains("has started accessing")), "digest owners get no single access emails: {subjects:?}");

    // One-click unsubscribe: a POST with no cookie and no Origin, as a mail program sends it.
    let (_, text, _) = outbox_row(app, "access_digest", &people.owner_email).await;
    let unsubscribe = link_in(&text, "/email/unsubscribe/");
    let unsubscribe = unsubscribe.rsplit(' ').next().unwrap();
    let res = reqwest::Client::new().post(app.url(&path_of(unsubscribe))).form(&[("List-Unsubscribe", "One-Click")]).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(notices::access_notices(&app.db, people.owner_id).await.unwrap(), Some(AccessNotices::Off));
});

on_both_databases_with!(dev_backend(), async fn fetching_every_link_in_an_email_changes_nothing(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let id = app.request_for(&token, &people, "Scanner check").await;
    let (_, text, html) = outbox_row(app, "request_submitted", &people.owner_email).await;
    let href = regex_lite::Regex::new(r#"href="([^"]+)""#).unwrap();
    let mut links: Vec<String> = href.captures_iter(&html).map(|c| c[1].replace("&amp;", "&")).collect();
    links.extend(text.split_whitespace().filter(|w| w.starts_with("http")).map(str::to_string));
    assert!(!links.is_empty());
    let counts = || async {
        (
            on_pool_for_tests(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE recipient IN ('{}', '{}')", people.owner_email, people.agent_email)).await,
            on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await,
            on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM action_tokens WHERE used_at IS NULL").await,
        )
    };
    let before = counts().await;

    // A scanner fetches every link, several times, with GET and HEAD, without cookies.
    let scanner = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(5)).build().unwrap();
    for link in &links {
        for _ in 0..3 {
            let url = app.url(&path_of(link));
            let got = scanner.get(&url).send().await.unwrap();
            assert!(got.status().as_u16() < 500, "{url}: {}", got.status());
            scanner.head(&url).send().await.unwrap();
        }
    }

    let after = counts().await;
    assert_eq!(before, after, "nothing was written");
    assert_eq!(status_of(app, id).await, "pending");

    // The page the link opens still offers both choices; only its Deny button denies.
    let link = path_of(&link_in(&text, "/email/requests/"));
    let (status, page) = app.get_page(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Sign in to approve"));
    assert!(page.contains("Deny access"));
    assert!(page.contains("Scanner check"));
});

on_both_databases_with!(dev_backend(), async fn an_email_link_denies_once_with_its_token_alone_and_then_is_dead(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let id = app.request_for(&token, &people, "Deny by link").await;
    let (_, text, _) = outbox_row(app, "request_submitted", &people.owner_email).await;
    let link = path_of(&link_in(&text, "/email/requests/"));

    // Deny by POST from the page (no session: the token is the authority).
    let res = app.post_form(&format!("{link}/deny"), &[("reason", "I did not ask for help")]).await;
    // Redirect after POST: the confirmation is a GET, so Back or reload sends nothing again.
    assert_eq!(res.status().as_u16(), 303);
    let confirmation = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(confirmation, format!("{link}/denied"));
    let (status, page) = app.get_page(&confirmation).await;
    assert_eq!(status, 200);
    assert!(page.contains("You denied this request"), "{page}");
    assert_eq!(status_of(app, id).await, "denied");
    let r = requests::get(&app.db, id).await.unwrap();
    assert_eq!(r.decision_reason.as_deref(), Some("I did not ask for help"));
    // The agent's email is queued in the same transaction.
    outbox_row(app, "request_denied", &people.agent_email).await;

    // Replays and later visits find a dead link.
    let again = app.post_form(&format!("{link}/deny"), &[]).await;
    assert_eq!(again.status().as_u16(), 410);
    assert_eq!(app.get(&link).await.status().as_u16(), 410);
    // The confirmation is only for a link that denied.
    assert_eq!(app.get("/email/requests/not-a-real-token/denied").await.status().as_u16(), 410);
    // There is no way to approve with a token.
    let approve = app.post_form(&format!("{link}/approve"), &[]).await;
    assert!(matches!(approve.status().as_u16(), 404 | 405), "{}", approve.status());
});

on_both_databases_with!(dev_backend(), async fn link_tokens_die_with_their_request_expire_and_are_bound_to_their_purpose(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;

    // Decided in the portal: the email's link dies with the request.
    let approved = app.request_for(&token, &people, "Approved elsewhere").await;
    let (_, text, _) = outbox_row(app, "request_submitted", &people.owner_email).await;
    let link = path_of(&link_in(&text, "/email/requests/"));
    decide(app, &people, approved, Action::Approve(Grant::AS_ASKED)).await;
    assert_eq!(app.get(&link).await.status().as_u16(), 410);
    assert_eq!(app.post_form(&format!("{link}/deny"), &[]).await.status().as_u16(), 410);
    assert_eq!(status_of(app, approved).await, "approved", "a dead link changes nothing");

    // A request link is not an unsubscribe link, and a made-up token is nothing.
    let tok = link.rsplit('/').next().unwrap();
    assert_eq!(app.get(&format!("/email/unsubscribe/{tok}")).await.status().as_u16(), 410);
    assert_eq!(app.get("/email/requests/not-a-real-token").await.status().as_u16(), 410);
    assert_eq!(app.post_form("/email/requests/not-a-real-token/deny", &[]).await.status().as_u16(), 410);

    // Expired with the request.
    let people2 = app.new_people().await;
    let later = app.request_for(&token, &people2, "Left alone").await;
    let (_, text2, _) = outbox_row(app, "request_submitted", &people2.owner_email).await;
    let link2 = path_of(&link_in(&text2, "/email/requests/"));
    app.clock.advance(Duration::hours(25));
    assert_eq!(app.get(&link2).await.status().as_u16(), 410);
    assert_eq!(app.post_form(&format!("{link2}/deny"), &[]).await.status().as_u16(), 410);
    assert_eq!(status_of(app, later).await, "pending", "only the sweeper writes the expiry down");
});

on_both_databases!(async fn a_change_that_fails_queues_no_email(app) {
    let token = app.service_token().await;
    let before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await;
    // Bad input: no request, no email.
    let (status, _) = app
        .api_post(&token, "/api/v1/access-requests", &serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scopes": [], "justification": {"code": "x", "text": ""}}))
        .await;
    assert_eq!(status, 422);
    // A decision that loses (already decided): no second email.
    let people = app.new_people().await;
    let id = app.request_for(&token, &people, "Race").await;
    decide(app, &people, id, Action::Deny { reason: None }).await;
    let err = requests::decide(&app.db, &app.clock, &app.settings, id, Actor::Owner(people.owner_id), Action::Approve(Grant::AS_ASKED)).await;
    assert!(err.is_err());
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM outbox").await, before + 2, "one request email, one denial email");
});

on_both_databases_with!(dev_backend(), async fn the_dev_mailbox_shows_every_email_rendered(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    app.request_for(&token, &people, "Show me in the dev mailbox").await;
    let (status, list) = app.get_page("/dev/mailbox").await;
    assert_eq!(status, 200);
    assert!(list.contains(&people.owner_email));
    let row = glassbox::db::outbox::list(&app.db, None, 1000).await.unwrap().into_iter().find(|r| r.recipient == people.owner_email).unwrap();
    let (status, one) = app.get_page(&format!("/dev/mailbox/{}", row.id)).await;
    assert_eq!(status, 200);
    assert!(one.contains("Show me in the dev mailbox"));
    assert!(one.contains("<a href=\"http"), "its links can be followed");
    let (status, html) = app.get_page(&format!("/dev/mailbox/{}/html", row.id)).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"en\">"));
    assert_eq!(app.get("/dev/mailbox/not-an-id").await.status().as_u16(), 404);
});

async fn smtp_backend() -> Option<Options> {
    Some(Options {
        seed: true,
        configure: Box::new(|s| crate::helpers::smtp_to(s, "127.0.0.1", 9)),
    })
}

on_both_databases_with!(smtp_backend(), async fn the_dev_mailbox_does_not_exist_with_a_real_smtp_server(app) {
    assert_eq!(app.get("/dev/mailbox").await.status().as_u16(), 404);
});

on_both_databases!(async fn an_owner_chooses_how_to_hear_about_accesses_and_nobody_else_can(app) {
    use app::api::notifications::{LoadAccessNotices, SaveAccessNotices};
    // Anonymous visitors and staff cannot.
    let (status, _) = app.server_fn::<SaveAccessNotices>(&[("choice", "off")]).await;
    assert_eq!(status, 401);
    app.sign_in_as("Sam Rivera").await;
    let (status, _) = app.server_fn::<SaveAccessNotices>(&[("choice", "off")]).await;
    assert_eq!(status, 403);

    app.sign_in_as("Alice Martin").await;
    let (status, json) = app.server_fn::<LoadAccessNotices>(&[]).await;
    assert_eq!((status, json), (200, serde_json::json!("immediate")));
    let (status, page) = app.get_page("/me/notifications").await;
    assert_eq!(status, 200);
    assert!(page.contains("One summary email a day"));
    let (status, json) = app.server_fn::<SaveAccessNotices>(&[("choice", "daily_digest")]).await;
    assert_eq!((status, json), (200, serde_json::json!("daily_digest")));
    let (status, _) = app.server_fn::<SaveAccessNotices>(&[("choice", "weekly")]).await;
    assert_eq!(status, 400, "a clear 4xx for a choice that does not exist");
    let alice = app::model::OwnerId(uuid::Uuid::from_u128(0x9a55_b0c5_0000_4000_8000_0000_0000_0001));
    assert_eq!(notices::access_notices(&app.db, alice).await.unwrap(), Some(AccessNotices::DailyDigest));
});

on_both_databases_with!(dev_backend(), async fn a_grant_closed_before_its_first_access_notice_gets_only_its_summary(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let id = app.request_for(&token, &people, "Quick look").await;
    decide(app, &people, id, Action::Approve(Grant::AS_ASKED)).await;
    app.check(&token, &people.mailbox, &people.agent, "metadata").await;
    decide(app, &people, id, Action::Revoke).await;
    notifications::send_first_access_notices(&app.db, &app.clock, &app.settings, 1000).await.unwrap();
    let kinds: Vec<String> = glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.recipient == people.owner_email)
        .map(|r| r.kind)
        .collect();
    assert!(kinds.contains(&"grant_revoked".to_string()), "{kinds:?}");
    assert!(!kinds.contains(&"first_access".to_string()), "{kinds:?}");
});

on_both_databases_with!(dev_backend(), async fn the_page_an_email_link_opens_is_the_sites_page_and_shows_hostile_text_as_text(app) {
    // Arrange: a justification that tries to break out of an attribute and open a tag.
    let token = app.service_token().await;
    let people = app.new_people().await;
    let hostile = "O'Brien said \"hi\" <img src=x onerror=alert('x')>";
    let id = app.request_for(&token, &people, hostile).await;
    let (_, text, _) = outbox_row(app, "request_submitted", &people.owner_email).await;
    let link = path_of(&link_in(&text, "/email/requests/"));

    // Act
    let (status, page) = app.get_page(&link).await;

    // Assert: the same shell as every page (skip link, main landmark, footer, stylesheet)…
    assert_eq!(status, 200);
    assert!(page.contains("<a href=\"#main\" class=\"skip-link\">Skip to content</a>"), "{page}");
    assert!(page.contains("<main id=\"main\" tabindex=\"-1\">"), "{page}");
    assert!(page.contains("<footer class=\"site-footer\">"), "{page}");
    assert!(page.contains("href=\"/pkg/glassbox.css\""));
    // …and the person's words are text, not markup.
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;img src=x onerror=alert('x')&gt;"), "{page}");
    assert_eq!(status_of(app, id).await, "pending", "opening the page changes nothing");
});

on_both_databases_with!(dev_backend(), async fn a_justification_cannot_forge_the_lines_of_the_owners_email(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    app.request_for(
        &token,
        &people,
        "Customer asked for help\nFor how long: 1 minute\nDecide here: https://evil.example/decide",
    )
    .await;
    let (_, text, _) = outbox_row(app, "request_submitted", &people.owner_email).await;
    let forged: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("For how long: 1 minute") || l.starts_with("Decide here") || l.starts_with("https://evil"))
        .collect();
    assert!(forged.is_empty(), "lines a person wrote stand as the email's own: {forged:?}\n{text}");
    assert!(text.contains("    | For how long: 1 minute"), "{text}");
    // Invisible and bidirectional characters never get in at all.
    let res = app
        .api_post(
            &token,
            "/api/v1/access-requests",
            &serde_json::json!({"mailbox": people.mailbox, "agent": people.agent, "scopes": ["metadata"],
                "justification": {"code": "customer_initiated_support", "text": "ok\u{202E}gpj.exe", "ticket": "T-1"}}),
        )
        .await;
    assert_eq!(res.0, 422, "{}", res.1);
});
