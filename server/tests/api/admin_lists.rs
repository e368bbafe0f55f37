//! The security admins' lists: every access request, a keyset page at a time, filtered and
//! searched, with counts that match what is listed; and incident drafts, which may be
//! edited or discarded — only drafts, only by security admins.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::incidents::{
    ConfirmIncident, DeclareIncident, DiscardIncidentDraft, EditIncidentDraft, LoadAdminIncident,
};
use app::api::staff::LoadStaffRequests;
use glassbox::db::on_pool_for_tests;
use leptos::server_fn::ServerFn;
use std::collections::HashSet;
use time::Duration;

/// Calls `load_staff_requests` (a JSON server function) with `filter` and `cursor`.
async fn list(
    app: &TestApp,
    filter: serde_json::Value,
    cursor: serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(app.url(LoadStaffRequests::PATH))
        .json(&serde_json::json!({"cursor": cursor, "filter": filter}))
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

fn all() -> serde_json::Value {
    serde_json::json!({})
}

fn ids(page: &serde_json::Value) -> Vec<String> {
    page["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request"]["id"].as_str().unwrap().to_string())
        .collect()
}

fn count_of(page: &serde_json::Value, status: &str) -> i64 {
    page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == status)
        .map(|c| c[1].as_i64().unwrap())
        .unwrap_or(0)
}

/// 70 more requests than the demo's, many in the same second (the frozen clock), so that
/// the id must break ties.
async fn many_requests(app: &TestApp) -> Vec<(crate::helpers::People, String)> {
    let token = app.service_token().await;
    let mut made = Vec::new();
    for i in 0..70 {
        let people = app.new_people().await;
        let id = app
            .request_for(&token, &people, &format!("Request number {i}"))
            .await;
        made.push((people, id.to_string()));
        if i % 20 == 19 {
            app.clock.advance(Duration::seconds(1));
        }
    }
    made
}

on_both_databases!(async fn paging_across_more_than_fifty_requests_lists_every_request_exactly_once(app) {
    // Arrange
    many_requests(app).await;
    let in_db = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await;
    assert!(in_db > 100, "{in_db}");
    app.sign_in_as("Morgan Lee").await;

    // Act: older, page after page.
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor = serde_json::Value::Null;
    loop {
        let (status, page) = list(app, all(), cursor.clone()).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], in_db, "the total counts every page");
        let sum: i64 = page["counts"].as_array().unwrap().iter().map(|c| c[1].as_i64().unwrap()).sum();
        assert_eq!(sum, in_db, "the counts add up to the total");
        assert!(ids(&page).len() <= 50);
        seen.extend(ids(&page));
        pages.push(page.clone());
        if page["older"].is_null() {
            break;
        }
        cursor = page["older"].clone();
    }

    // Assert: each request once, all of them.
    assert_eq!(seen.len() as i64, in_db);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len() as i64, in_db, "no request twice");
    assert!(pages.len() >= 3);
    assert!(pages[0]["newer"].is_null() && pages[0]["at_newest"] == true);
    // Back: "newer" from the last page gives exactly the page before it.
    let last = pages.last().unwrap();
    let (_, back) = list(app, all(), last["newer"].clone()).await;
    assert_eq!(ids(&back), ids(&pages[pages.len() - 2]));
    assert!(!back["older"].is_null());

    // Without JavaScript: the page itself links to the next one.
    let (status, html) = app.get_page("/staff").await;
    assert_eq!(status, 200);
    assert!(html.contains("All access requests"));
    assert!(html.contains(&format!("{in_db} requests in all; this page shows 50, newest first.")), "the count says what the page shows");
    let next = regex_lite::Regex::new(r#"href="(/staff\?before=[^"]+)""#).unwrap();
    let href = next.captures(&html).expect("an older page link")[1].replace("&amp;", "&");
    let (status, second) = app.get_page(&href).await;
    assert_eq!(status, 200);
    for id in ids(&pages[1]) {
        assert!(second.contains(&format!(r#"data-request="{id}""#)), "the second page lists the second page's requests");
    }
    assert!(!second.contains(&format!(r#"data-request="{}""#, ids(&pages[0])[0])));
    let (status, html) = app.get_page("/staff?before=nonsense").await;
    assert_eq!(status, 400, "a bad page link is a bad request…");
    assert!(html.contains("Start again from the newest requests"), "…shown on the page with what to do");
});

on_both_databases!(async fn filters_and_search_narrow_the_list_and_its_counts(app) {
    // Arrange: three requests of our own, one of them a day later, one left to expire.
    let token = app.service_token().await;
    let a = app.new_people().await;
    let b = app.new_people().await;
    let first = app.request_for(&token, &a, "Quokka mailbox will not sync").await;
    let second = app.request_for(&token, &b, "Lost folder after migration").await;
    app.clock.advance(Duration::days(1) + Duration::hours(1));
    let third = app.request_for(&token, &a, "Another look at the quokka sync").await;
    app.sign_in_as("Morgan Lee").await;

    // Mailbox (any case).
    let (status, page) = list(app, serde_json::json!({"mailbox": a.mailbox.to_uppercase()}), serde_json::Value::Null).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), vec![third.to_string(), first.to_string()], "newest first");
    assert_eq!(page["total"], 2);
    // The first two expired when their day ran out (the sweeper has not run): shown and
    // counted as expired, as the cards say.
    assert_eq!(count_of(&page, "expired"), 1, "{page}");
    assert_eq!(count_of(&page, "pending"), 1, "{page}");
    let (_, pending) = list(app, serde_json::json!({"mailbox": a.mailbox, "status": "pending"}), serde_json::Value::Null).await;
    assert_eq!(ids(&pending), vec![third.to_string()]);
    assert_eq!(pending["total"], 1);
    let (_, expired) = list(app, serde_json::json!({"mailbox": a.mailbox, "status": "expired"}), serde_json::Value::Null).await;
    assert_eq!(ids(&expired), vec![first.to_string()]);

    // Agent (offered by name in the filter).
    let (_, choices) = list(app, all(), serde_json::Value::Null).await;
    let b_name = format!("Agent {}", &b.agent["agent-".len()..]);
    let b_agent = choices["agents"].as_array().unwrap().iter()
        .find(|c| c[1] == b_name.as_str())
        .map(|c| c[0].clone())
        .expect("the agent is offered in the filter");
    let (_, by_agent) = list(app, serde_json::json!({"agent": b_agent}), serde_json::Value::Null).await;
    assert_eq!(ids(&by_agent), vec![second.to_string()]);

    // Search: words of the reason, any case; wildcards are taken literally.
    let (_, found) = list(app, serde_json::json!({"q": "QUOKKA SYNC"}), serde_json::Value::Null).await;
    assert_eq!(ids(&found), vec![third.to_string()]);
    let (_, found) = list(app, serde_json::json!({"q": "quokka"}), serde_json::Value::Null).await;
    assert_eq!(found["total"], 2);
    let (_, none) = list(app, serde_json::json!({"q": "%"}), serde_json::Value::Null).await;
    assert_eq!(none["total"], 0, "a % is a character, not a wildcard");

    // Dates (UTC days, both inclusive).
    let today = app.clock.now().date().to_string();
    let (_, later) = list(app, serde_json::json!({"from": today, "to": today}), serde_json::Value::Null).await;
    assert_eq!(ids(&later), vec![third.to_string()]);
    let (status, bad) = list(app, serde_json::json!({"from": "2026-12-01", "to": "2026-11-01"}), serde_json::Value::Null).await;
    assert_eq!(status, 400, "{bad}");

    // The same without JavaScript: a GET form.
    let (status, html) = app.get_page(&format!("/staff?q=quokka+sync&mailbox={}", a.mailbox)).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!(r#"data-request="{third}""#)), "the match is listed");
    assert!(!html.contains(&format!(r#"data-request="{first}""#)), "the others are not");
    assert!(html.contains(r#"value="quokka sync""#), "the form keeps the search");
    let (status, html) = app.get_page("/staff?from=2026-12-01&to=2026-11-01").await;
    assert_eq!(status, 400);
    assert!(html.contains("end date is before the start date"), "the form says what to fix");
});

on_both_databases!(async fn a_support_agent_sees_only_their_own_requests_whatever_the_filter(app) {
    let token = app.service_token().await;
    let other = app.new_people().await;
    let theirs = app.request_for(&token, &other, "Someone else's request").await;
    app.sign_in_as("Morgan Lee").await;
    let (_, everyone) = list(app, all(), serde_json::Value::Null).await;
    let other_agent = everyone["requests"].as_array().unwrap().iter()
        .find(|r| r["request"]["id"] == theirs.to_string())
        .map(|r| r["agent_name"].clone())
        .unwrap();
    let other_id = everyone["agents"].as_array().unwrap().iter().find(|c| c[1] == other_agent).unwrap()[0].clone();

    app.sign_in_as("Sam Rivera").await;
    let (status, own) = list(app, all(), serde_json::Value::Null).await;
    assert_eq!(status, 200, "{own}");
    assert!(own["total"].as_i64().unwrap() > 0);
    assert!(own["requests"].as_array().unwrap().iter().all(|r| r["agent_name"] == "Sam Rivera"), "{own}");
    assert_eq!(own["agents"], serde_json::json!([]), "no staff list for an agent");
    assert!(!ids(&own).contains(&theirs.to_string()));
    let (status, filtered) = list(app, serde_json::json!({"agent": other_id}), serde_json::Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(filtered["total"], 0, "naming another agent shows nothing: {filtered}");
    let (_, html) = app.get_page(&format!("/staff?q={}", other.mailbox)).await;
    assert!(!html.contains(&format!(r#"data-request="{theirs}""#)));

    // An owner cannot list at all.
    app.sign_in_as("Alice Martin").await;
    let (status, _) = list(app, all(), serde_json::Value::Null).await;
    assert_eq!(status, 403);
});

async fn declare_other(app: &TestApp, title: &str) -> String {
    let start = app.clock.now() - Duration::hours(3);
    let end = app.clock.now() - Duration::hours(1);
    let t = |t: time::OffsetDateTime| {
        t.format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]"
        ))
        .unwrap()
    };
    let (status, id) = app
        .server_fn::<DeclareIncident>(&[
            ("title", title),
            ("description", "A fault let the wrong page show."),
            ("cause", "other"),
            ("staff_member", ""),
            ("token", ""),
            ("window_start", &t(start)),
            ("window_end", &t(end)),
        ])
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_str().unwrap().to_string()
}

on_both_databases!(async fn a_draft_is_edited_or_discarded_only_by_a_security_admin_and_only_while_a_draft(app) {
    app.sign_in_as("Morgan Lee").await;
    let id = declare_other(app, "Wrong page shown").await;
    let edit = |title: &'static str| {
        let id = id.clone();
        async move {
            app.server_fn::<EditIncidentDraft>(&[
                ("id", &id),
                ("title", title),
                ("description", "A cache showed one owner's page to another."),
                ("window_start", "2026-11-29T08:00"),
                ("window_end", "2026-11-29T10:30"),
            ])
            .await
        }
    };

    // The declarer edits the draft: title, text and window.
    let (status, view) = edit("Cached page shown to the wrong owner").await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["title"], "Cached page shown to the wrong owner");
    assert_eq!(view["description"], "A cache showed one owner's page to another.");
    assert_eq!(view["window_start"], "2026-11-29T08:00:00Z");
    assert_eq!(view["window_end"], "2026-11-29T10:30:00Z");
    let (status, body) = edit(" ").await;
    assert_eq!(status, 400, "{body}");

    // Not a support agent, not an owner.
    app.sign_in_as("Sam Rivera").await;
    let (status, _) = edit("Hijacked").await;
    assert_eq!(status, 403);
    let (status, _) = app.server_fn::<DiscardIncidentDraft>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 403);
    app.sign_in_as("Alice Martin").await;
    let (status, _) = app.server_fn::<DiscardIncidentDraft>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 403);

    // Discarding asks for the box, checked on the server.
    app.sign_in_as("Inês Duarte").await;
    let (status, body) = app.server_fn::<DiscardIncidentDraft>(&[("id", &id)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("Tick the box"));
    let (status, _) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(status, 200, "still there");
    let (status, body) = app.server_fn::<DiscardIncidentDraft>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(status, 404, "gone");
    let (status, _) = app.server_fn::<DiscardIncidentDraft>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 404, "discarding twice finds nothing");

    // A declared (confirmed) incident stays as its owners were told.
    app.sign_in_as("Morgan Lee").await;
    let confirmed = declare_other(app, "A real one").await;
    app.sign_in_as("Inês Duarte").await;
    let (status, _) = app.server_fn::<ConfirmIncident>(&[("id", &confirmed), ("confirm", "yes")]).await;
    assert_eq!(status, 200);
    let (status, body) = app
        .server_fn::<EditIncidentDraft>(&[
            ("id", &confirmed),
            ("title", "Rewritten"),
            ("description", "Rewritten."),
            ("window_start", "2026-11-29T08:00"),
            ("window_end", "2026-11-29T10:30"),
        ])
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("only a draft"), "{body}");
    let (status, _) = app.server_fn::<DiscardIncidentDraft>(&[("id", &confirmed), ("confirm", "yes")]).await;
    assert_eq!(status, 409);
    let (_, view) = app.server_fn::<LoadAdminIncident>(&[("id", &confirmed)]).await;
    assert_eq!((view["title"].as_str(), view["status"].as_str()), (Some("A real one"), Some("confirmed")));
});

on_both_databases!(async fn a_cross_site_edit_or_discard_of_a_draft_is_refused(app) {
    app.sign_in_as("Morgan Lee").await;
    let id = declare_other(app, "Wrong page shown").await;
    let cookie = app.session_cookie().unwrap();
    for (path, form) in [
        (EditIncidentDraft::PATH, vec![("id", id.as_str()), ("title", "Forged"), ("description", "Forged."), ("window_start", "2026-11-29T08:00"), ("window_end", "2026-11-29T10:30")]),
        (DiscardIncidentDraft::PATH, vec![("id", id.as_str()), ("confirm", "yes")]),
    ] {
        let res = reqwest::Client::new()
            .post(app.url(path))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403, "{path}");
    }
    let (status, view) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(view["title"], "Wrong page shown", "nothing changed");
});
