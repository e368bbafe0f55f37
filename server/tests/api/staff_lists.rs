//! The staff console's request list: keyset pages that lose and repeat nothing (even for
//! requests made in the same second), filters whose counts match what they select, a text
//! search that takes `%` and `_` literally, a support agent who only ever sees their own
//! requests, and bad filters explained beside their field.

use crate::helpers::{People, TestApp};
use crate::on_both_databases;
use app::api::staff::LoadStaffRequests;
use glassbox::db::on_pool_for_tests;
use std::collections::HashSet;
use time::Duration;

/// Calls `load_staff_requests` with `query` (JSON fields of `StaffListQuery`).
async fn list(app: &TestApp, query: serde_json::Value) -> (u16, serde_json::Value) {
    let path = <LoadStaffRequests as leptos::server_fn::ServerFn>::PATH;
    let res = app
        .client
        .post(app.url(path))
        .json(&serde_json::json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// A list that the server answered without a problem.
async fn page(app: &TestApp, query: serde_json::Value) -> serde_json::Value {
    let (status, body) = list(app, query.clone()).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert!(body["problem"].is_null(), "{query}: {body}");
    body
}

fn ids(page: &serde_json::Value) -> Vec<String> {
    page["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request"]["id"].as_str().unwrap().to_string())
        .collect()
}

fn counted(page: &serde_json::Value) -> i64 {
    page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_i64().unwrap())
        .sum()
}

async fn staff_id(app: &TestApp, email: &str) -> String {
    glassbox::db::staff::find_staff_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// Asks for access to `people`'s mailbox as their agent, with this text and ticket.
async fn ask(app: &TestApp, token: &str, people: &People, text: &str, ticket: &str) -> String {
    let json = app
        .create_request(token, serde_json::json!({"mailbox": people.mailbox, "agent": people.agent,
            "justification": {"code": "customer_initiated_support", "text": text, "ticket": ticket}}))
        .await;
    json["id"].as_str().unwrap().to_string()
}

/// Follows `older` links from the newest page to the last, checking each page's position
/// words; returns every page's ids.
async fn walk_older(app: &TestApp, filter: serde_json::Value) -> (Vec<Vec<String>>, i64) {
    let mut pages = Vec::new();
    let mut query = filter.clone();
    let mut expected_first = 1;
    let total = loop {
        let p = page(app, query.clone()).await;
        let got = ids(&p);
        assert!(got.len() <= 50, "a page holds at most 50");
        assert_eq!(p["first"], expected_first, "{p}");
        assert_eq!(
            counted(&p),
            p["total"].as_i64().unwrap(),
            "the counts add up to the total"
        );
        expected_first += got.len() as i64;
        pages.push(got);
        match p["older"].as_str() {
            Some(older) => {
                let (k, v) = older.split_once('=').unwrap();
                assert_eq!(k, "before");
                query = filter.clone();
                query[k] = serde_json::Value::String(v.to_string());
            }
            None => break p["total"].as_i64().unwrap(),
        }
        assert!(pages.len() < 20, "the walk ends");
    };
    (pages, total)
}

on_both_databases!(async fn paging_shows_every_request_once_newest_first_even_within_one_second(app) {
    // Arrange: 120 requests on one mailbox, 70 of them made in the same second.
    let token = app.service_token().await;
    let people = app.new_people().await;
    let mut made = Vec::new();
    for i in 0..120 {
        if i >= 70 && i % 10 == 0 {
            app.clock.advance(Duration::seconds(1));
        }
        made.push(ask(app, &token, &people, &format!("Request number {i}"), "T-1").await);
    }
    app.sign_in_as("Morgan Lee").await;

    // Act: walk the mailbox's list to its end, then back.
    let filter = serde_json::json!({"mailbox": people.mailbox});
    let (pages, total) = walk_older(app, filter.clone()).await;

    // Assert: 50 + 50 + 20, every request once, newest first (ties in one order).
    assert_eq!(total, 120);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![50, 50, 20]);
    let seen: Vec<String> = pages.concat();
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 120, "no request twice");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), made.iter().cloned().collect::<HashSet<_>>(), "none lost");
    assert_eq!(&seen[..50][..], &{ let mut newest: Vec<String> = made[70..].to_vec(); newest.reverse(); newest }[..50], "the newest first");

    // Back: "newer" from the last page gives the middle page, then the first, unchanged.
    let last = page(app, serde_json::json!({"mailbox": people.mailbox, "before": pages_cursor(app, &filter, 2).await})).await;
    assert_eq!(ids(&last), pages[2]);
    let (k, v) = last["newer"].as_str().unwrap().split_once('=').unwrap();
    assert_eq!(k, "after");
    let middle = page(app, serde_json::json!({"mailbox": people.mailbox, "after": v})).await;
    assert_eq!(ids(&middle), pages[1]);
    assert_eq!(middle["first"], 51);
    let (_, v) = middle["newer"].as_str().unwrap().split_once('=').unwrap();
    let first = page(app, serde_json::json!({"mailbox": people.mailbox, "after": v})).await;
    assert_eq!(ids(&first), pages[0]);
    assert!(first["newer"].is_null(), "nothing is newer than the first page");

    // The whole list (the demo's requests too): every request once, as many as there are.
    let (pages, total) = walk_older(app, serde_json::json!({})).await;
    let everything = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await;
    assert_eq!(total, everything);
    let all: Vec<String> = pages.concat();
    assert_eq!(all.len() as i64, everything);
    assert_eq!(all.iter().collect::<HashSet<_>>().len() as i64, everything);
});

/// The `before=` value that leads to page `n` (0-based) of `filter`'s list.
async fn pages_cursor(app: &TestApp, filter: &serde_json::Value, n: usize) -> String {
    let mut query = filter.clone();
    for _ in 0..n {
        let p = page(app, query.clone()).await;
        let (_, v) = p["older"].as_str().unwrap().split_once('=').unwrap();
        query = filter.clone();
        query["before"] = serde_json::Value::String(v.to_string());
    }
    query["before"].as_str().unwrap().to_string()
}

on_both_databases!(async fn each_filter_narrows_the_list_and_its_counts(app) {
    // Arrange: A's agent asks three times on A's mailbox (one is cancelled) and again two
    // days later; B's agent asks twice on B's mailbox.
    let token = app.service_token().await;
    let (a, b) = (app.new_people().await, app.new_people().await);
    let cancelled = ask(app, &token, &a, "First", "T-1").await;
    ask(app, &token, &a, "Second", "T-2").await;
    ask(app, &token, &a, "Third", "T-3").await;
    let (status, body) = app.api_post(&token, &format!("/api/v1/access-requests/{cancelled}/cancel"), &serde_json::json!({})).await;
    assert_eq!(status, 200, "{body}");
    ask(app, &token, &b, "For B", "T-4").await;
    ask(app, &token, &b, "For B again", "T-5").await;
    app.clock.advance(Duration::days(2));
    let later = ask(app, &token, &a, "Later", "T-6").await;
    let b_agent = staff_id(app, &b.agent_email).await;
    app.sign_in_as("Morgan Lee").await;

    // Mailbox (any case).
    let p = page(app, serde_json::json!({"mailbox": a.mailbox.to_uppercase()})).await;
    assert_eq!(p["total"], 4, "{p}");
    assert_eq!(counted(&p), 4);
    assert!(p["requests"].as_array().unwrap().iter().all(|r| r["request"]["mailbox"] == a.mailbox.as_str()));

    // Status, with the counts of what it selects only.
    let p = page(app, serde_json::json!({"mailbox": a.mailbox, "status": "cancelled"})).await;
    assert_eq!(ids(&p), vec![cancelled.clone()]);
    assert_eq!(p["counts"], serde_json::json!([["cancelled", 1]]));
    let p = page(app, serde_json::json!({"mailbox": a.mailbox, "status": "pending"})).await;
    assert_eq!(p["total"], 3);

    // Agent.
    let p = page(app, serde_json::json!({"agent": b_agent})).await;
    assert_eq!(p["total"], 2, "{p}");
    assert!(p["requests"].as_array().unwrap().iter().all(|r| r["request"]["mailbox"] == b.mailbox.as_str()));

    // Days (UTC, both ends included).
    let today = (app.clock.now()).date().to_string();
    let start = (app.clock.now() - Duration::days(2)).date().to_string();
    let p = page(app, serde_json::json!({"mailbox": a.mailbox, "from": today})).await;
    assert_eq!(ids(&p), vec![later.clone()]);
    let p = page(app, serde_json::json!({"mailbox": a.mailbox, "to": start})).await;
    assert_eq!(p["total"], 3);
    let p = page(app, serde_json::json!({"mailbox": a.mailbox, "from": start, "to": start})).await;
    assert_eq!(p["total"], 3);
    let p = page(app, serde_json::json!({"mailbox": a.mailbox, "from": start, "to": today})).await;
    assert_eq!(p["total"], 4);
});

on_both_databases!(async fn search_finds_mailbox_ticket_and_text_and_takes_wildcards_literally(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let percent = ask(app, &token, &people, "Refund of a 50% fee", "T-100").await;
    let plain = ask(app, &token, &people, "Refund of a 500 fee", "TX1").await;
    let underscore = ask(app, &token, &people, "Other matter", "T_1").await;
    app.sign_in_as("Morgan Lee").await;
    let found = |q: &str| {
        let q = q.to_string();
        let mailbox = people.mailbox.clone();
        async move {
            let mut got = ids(&page(app, serde_json::json!({"mailbox": mailbox, "q": q})).await);
            got.sort();
            got
        }
    };
    let sorted = |mut v: Vec<String>| { v.sort(); v };
    assert_eq!(found("50%").await, vec![percent.clone()], "% is a percent sign, not a wildcard");
    assert_eq!(found("T_1").await, vec![underscore.clone()], "_ is an underscore, not any character");
    assert_eq!(found("refund").await, sorted(vec![percent.clone(), plain.clone()]), "text, any case");
    assert_eq!(found("tx1").await, vec![plain.clone()], "ticket");
    assert_eq!(found("\\").await, Vec::<String>::new(), "a backslash is a backslash");
    // The mailbox address, without the mailbox filter.
    let local = people.mailbox.split('@').next().unwrap().to_string();
    let p = page(app, serde_json::json!({"q": local})).await;
    assert_eq!(p["total"], 3, "{p}");
    // Text that looks like SQL is only text.
    let p = page(app, serde_json::json!({"q": "%' OR 1=1; DROP TABLE access_requests; --"})).await;
    assert_eq!(p["total"], 0);
    assert!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await >= 3);
});

on_both_databases!(async fn a_support_agent_only_ever_sees_their_own_requests(app) {
    // The demo's requests are by several agents; Sam asks for the query of Priya's.
    let priya = staff_id(app, "priya.nair@staff.example.org").await;
    let priyas = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests r JOIN staff s ON s.id = r.agent_id WHERE s.email = 'priya.nair@staff.example.org'").await;
    let sams = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests r JOIN staff s ON s.id = r.agent_id WHERE s.email = 'sam.rivera@staff.example.org'").await;
    assert!(priyas > 0 && sams > 0, "the demo has requests of both");
    app.sign_in_as("Sam Rivera").await;
    for query in [serde_json::json!({"agent": priya}), serde_json::json!({}), serde_json::json!({"agent": "not-an-id"})] {
        let p = page(app, query.clone()).await;
        assert_eq!(p["total"], sams, "{query}: {p}");
        assert_eq!(p["own"], true);
        assert_eq!(p["agents"], serde_json::json!([]), "no staff list for agents");
        assert!(p["requests"].as_array().unwrap().iter().all(|r| r["agent_name"] == "Sam Rivera"), "{query}");
    }
    // The page itself, with the query edited by hand.
    let (status, html) = app.get_page(&format!("/staff?agent={priya}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your access requests"));
    assert!(!html.contains("Priya Nair"), "none of Priya's requests on Sam's page");
    // An admin sees Priya's when asking for them.
    app.sign_in_as("Morgan Lee").await;
    let p = page(app, serde_json::json!({"agent": priya})).await;
    assert_eq!(p["total"], priyas);
});

on_both_databases!(async fn a_bad_filter_is_explained_beside_its_field_and_lists_nothing(app) {
    app.sign_in_as("Morgan Lee").await;
    for (query, field) in [
        (serde_json::json!({"from": "2026-11-10", "to": "2026-11-01"}), "To"),
        (serde_json::json!({"from": "10/11/2026"}), "From"),
        (serde_json::json!({"status": "lost"}), "Status"),
        (serde_json::json!({"agent": "nobody"}), "Agent"),
        (serde_json::json!({"q": "x".repeat(101)}), "Search"),
        (serde_json::json!({"before": "12.nonsense"}), "Page"),
        (serde_json::json!({"before": "1.00000000000000000000000000000000", "after": "1.00000000000000000000000000000000"}), "Page"),
    ] {
        let (status, body) = list(app, query.clone()).await;
        assert_eq!(status, 200, "answered as a page with a problem: {body}");
        assert_eq!(body["problem"]["field"], field, "{query}: {body}");
        assert_eq!(body["requests"], serde_json::json!([]));
        assert!(!body["agents"].as_array().unwrap().is_empty(), "the form keeps its staff list");
    }
    // The page keeps the form, marks the field and says what to fix beside it.
    let (status, html) = app.get_page("/staff?from=2026-11-10&to=2026-11-01").await;
    assert_eq!(status, 400);
    assert!(html.contains(r#"<form method="get" action="/staff""#), "{html}");
    assert!(html.contains("The end date is before the start date"));
    assert!(html.contains(r#"id="sl-to-problem""#));
    assert!(html.contains(r#"value="2026-11-10""#), "what was chosen stays");
    assert!(!html.contains("Something went wrong"));
});

on_both_databases!(async fn the_console_says_which_requests_it_shows_and_links_older_ones_without_javascript(app) {
    app.sign_in_as("Morgan Lee").await;
    let everything = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await;
    let (status, html) = app.get_page("/staff").await;
    assert_eq!(status, 200);
    let shown = everything.min(50);
    assert!(html.contains(&format!("Showing 1–{shown} of {everything} requests")), "{everything}");
    assert!(html.contains(r#"<form method="get" action="/staff""#));
    if everything > 50 {
        let link = regex_lite::Regex::new(r#"href="(/staff\?before=[0-9]+\.[0-9a-f]{32})"[^>]*>Older requests"#).unwrap();
        let next = link.captures(&html).expect("a plain link to the older requests")[1].to_string();
        let (status, html) = app.get_page(&next).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("Showing 51–{} of {everything} requests", everything.min(100))));
        assert!(html.contains("Newer requests"));
    }
    // A page link past the oldest request says so and leads back to the newest.
    let (status, html) = app.get_page("/staff?before=1.00000000000000000000000000000000").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("No requests on this page; {everything} in all.")), "{html}");
    assert!(html.contains(r#"<a href="/staff" class="button">Newest requests</a>"#), "{html}");
});
