use crate::helpers::TestApp;
use crate::on_both_databases;

fn seqs(html: &str) -> Vec<i64> {
    let re = regex_lite::Regex::new(r#"<span class="log-index">in the log at index (\d+)</span>"#)
        .unwrap();
    re.captures_iter(html)
        .map(|c| c[1].parse().unwrap())
        .collect()
}

fn link(html: &str, label: &str) -> Option<String> {
    let re = regex_lite::Regex::new(&format!(r#"<a href="([^"]+)"[^>]*>{label}</a>"#)).unwrap();
    re.captures(html).map(|c| c[1].replace("&amp;", "&"))
}

fn total(html: &str) -> i64 {
    let re = regex_lite::Regex::new(r"(\d+) (?:accesses in all|matching accesses)").unwrap();
    re.captures(html).expect("a total")[1].parse().unwrap()
}

async fn walk_older(app: &TestApp) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut path = Some("/me/history".to_string());
    while let Some(p) = path {
        let (status, html) = app.get_page(&p).await;
        assert_eq!(status, 200, "{p}");
        pages.push(seqs(&html));
        path = link(&html, "Older accesses");
        assert!(pages.len() < 100, "paging must end");
    }
    pages
}

on_both_databases!(async fn history_is_newest_first_and_pages_through_every_event_once(app) {
    app.sign_in_as("Alice Martin").await;
    let (_, first) = app.get_page("/me/history").await;
    let expected_total = total(&first);
    assert!(expected_total > 100, "Alice has a long history: {expected_total}");
    assert!(link(&first, "Newer accesses").is_none() && link(&first, "Newest").is_none());

    let pages = walk_older(app).await;
    assert!(pages.len() >= 5, "several pages: {}", pages.len());
    let all: Vec<i64> = pages.concat();
    assert_eq!(all.len() as i64, expected_total, "every event exactly once");
    assert!(all.windows(2).all(|w| w[0] > w[1]), "strictly newest first across pages");
    assert!(pages[..pages.len() - 1].iter().all(|p| p.len() == 25), "full pages of 25");
});

on_both_databases!(async fn paging_back_to_newer_events_returns_the_same_pages(app) {
    app.sign_in_as("Alice Martin").await;
    let (_, first) = app.get_page("/me/history").await;
    let older = link(&first, "Older accesses").unwrap();
    let (_, second) = app.get_page(&older).await;
    let older2 = link(&second, "Older accesses").unwrap();
    let (_, third) = app.get_page(&older2).await;
    let back = link(&third, "Newer accesses").expect("a way back");
    assert!(back.contains("after="));
    let (_, second_again) = app.get_page(&back).await;
    assert_eq!(seqs(&second_again), seqs(&second));
    let back = link(&second_again, "Newer accesses").unwrap();
    let (_, first_again) = app.get_page(&back).await;
    assert_eq!(seqs(&first_again), seqs(&first));
    assert!(link(&first_again, "Newer accesses").is_none(), "nothing newer than the newest");
    assert_eq!(link(&third, "Newest").as_deref(), Some("/me/history"));
});

on_both_databases!(async fn an_owner_never_sees_another_owners_events(app) {
    app.sign_in_as("Bilal Haddad").await;
    let pages = walk_older(app).await;
    assert!(!pages.concat().is_empty());
    let mut path = Some("/me/history".to_string());
    while let Some(p) = path {
        let (_, html) = app.get_page(&p).await;
        assert!(html.contains("bilal@example.org"));
        for other in ["alice@example.org", "chen.wei@example.org", "dana@example.org", "emeka.obi@example.org"] {
            assert!(!html.contains(other), "{other} leaked into Bilal's history");
        }
        path = link(&html, "Older accesses");
    }
    // A cursor taken from Alice's history shows Bilal only his own events.
    let (_, overview) = app.get_page("/me").await;
    assert!(!overview.contains("alice"), "overview is Bilal's alone");
    let (status, html) = app.get_page("/me/history?before=100000").await;
    assert_eq!(status, 200);
    assert!(!html.contains("alice@example.org"));
});

on_both_databases!(async fn a_forged_cursor_gets_a_clear_error(app) {
    app.sign_in_as("Alice Martin").await;
    for bad in ["/me/history?before=abc", "/me/history?before=-1", "/me/history?before=1&after=2"] {
        let (status, html) = app.get_page(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(html.contains("page link"), "{bad}: says what is wrong");
    }
});

fn decisions(html: &str) -> Vec<String> {
    let re =
        regex_lite::Regex::new(r#"<span class="decision decision-(allowed|denied)">"#).unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

on_both_databases!(async fn the_history_narrows_by_result_and_paging_keeps_the_filter(app) {
    app.sign_in_as("Alice Martin").await;
    let (_, all) = app.get_page("/me/history").await;
    let (status, denied) = app.get_page("/me/history?decision=denied").await;
    assert_eq!(status, 200);
    assert!(total(&denied) > 0 && total(&denied) < total(&all));
    assert!(denied.contains("matching accesses"));
    assert!(decisions(&denied).iter().all(|d| d == "denied"), "only refusals");
    let (_, allowed) = app.get_page("/me/history?decision=allowed").await;
    assert_eq!(total(&allowed) + total(&denied), total(&all));
    if let Some(older) = link(&allowed, "Older accesses") {
        assert!(older.contains("decision=allowed"), "{older}");
        let (_, next) = app.get_page(&older).await;
        assert!(decisions(&next).iter().all(|d| d == "allowed"));
    }
});

on_both_databases!(async fn the_history_narrows_by_agent_scope_and_dates(app) {
    app.sign_in_as("Alice Martin").await;
    let (_, page) = app.get_page("/me/history").await;
    let agent = regex_lite::Regex::new(r#"<option value="(Agent [^"]+)""#).unwrap().captures(&page).expect("agents listed")[1].to_string();
    let (_, by_agent) = app.get_page(&format!("/me/history?agent={}", agent.replace(' ', "%20"))).await;
    let whos = regex_lite::Regex::new(r#"<td data-label="Who">([^<]+)<"#).unwrap();
    let names: Vec<String> = whos.captures_iter(&by_agent).map(|c| c[1].to_string()).collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with(&agent)), "{names:?}");

    let (_, content) = app.get_page("/me/history?scope=content").await;
    assert!(content.contains("read the text of your messages"));
    assert!(!content.contains("— see folder names"), "only content accesses");

    // The demo clock is 2026-11-29 12:00: nothing happens after it, and a day range holds only that day.
    let (_, future) = app.get_page("/me/history?from=2026-12-01").await;
    assert_eq!(total(&future), 0);
    let (_, today) = app.get_page("/me/history?from=2026-11-29&to=2026-11-29").await;
    let times = regex_lite::Regex::new(r#"<time datetime="([^"]+)""#).unwrap();
    for t in times.captures_iter(&today) {
        assert!(t[1].starts_with("2026-11-29"), "{}", &t[1]);
    }
});

on_both_databases!(async fn a_range_that_ends_before_it_starts_keeps_the_form_and_says_so_by_the_end_date(app) {
    app.sign_in_as("Alice Martin").await;
    let (status, bad) = app.get_page("/me/history?decision=denied&from=2026-12-01&to=2026-11-01").await;
    assert_eq!(status, 400);
    assert!(bad.contains(r#"aria-label="Filter your access history""#), "the form stays");
    let to = regex_lite::Regex::new(r#"<input id="f-to"[^>]*>"#).unwrap().find(&bad).expect("the To field").as_str().to_string();
    assert!(to.contains(r#"value="2026-11-01""#) && to.contains(r#"aria-invalid="true""#), "{to}");
    assert!(to.contains(r#"aria-describedby="f-problem""#), "{to}");
    let message = regex_lite::Regex::new(r#"<input id="f-to"[^>]*><p id="f-problem"[^>]*>The end date is before the start date"#).unwrap();
    assert!(message.is_match(&bad), "the message sits right after the field: {bad}");
    let tag = regex_lite::Regex::new(r#"<p id="f-problem"[^>]*>"#).unwrap().find(&bad).unwrap().as_str().to_string();
    assert!(tag.contains(r#"role="alert""#) && tag.contains("field-error"), "and is announced: {tag}");
    assert!(bad.contains(r#"value="2026-12-01""#), "the start date is kept");
    assert!(bad.contains(r#"<option value="denied" selected"#), "the other choices are kept");
    assert!(!bad.contains("We could not show this") && !bad.contains("<table"), "no error page, no rows");
    assert!(bad.contains(r#"<option value="Agent "#), "the staff list is still offered");
});

on_both_databases!(async fn the_history_filter_speaks_plain_words_and_can_pick_the_mail_system(app) {
    app.sign_in_as("Alice Martin").await;
    let (_, page) = app.get_page("/me/history").await;
    let scope = regex_lite::Regex::new(r#"(?s)<select id="f-scope".*?</select>"#).unwrap().find(&page).unwrap().as_str().to_string();
    assert!(scope.contains(">Message text</option>") && scope.contains(">Folders, senders, subjects and dates</option>"), "{scope}");
    assert!(!scope.contains(">metadata<") && !scope.contains(">content<"), "no raw scope codes: {scope}");
    let (_, refused) = app.get_page("/me/history?decision=denied").await;
    assert!(refused.contains(r#"<span class="decision decision-denied">Refused</span>"#), "rows say what the filter says");
    assert!(!refused.contains(">Denied</span>"));

    assert!(page.contains(r#"<option value="mail-system">The mail system</option>"#));
    let (status, system) = app.get_page("/me/history?agent=mail-system").await;
    assert_eq!(status, 200);
    let whos = regex_lite::Regex::new(r#"<td data-label="Who">([^<]+)<"#).unwrap();
    let names: Vec<String> = whos.captures_iter(&system).map(|c| c[1].to_string()).collect();
    assert!(!names.is_empty(), "the demo has mail-system checks");
    assert!(names.iter().all(|n| n == "The mail system"), "{names:?}");
    assert!(total(&system) < total(&page));
});

on_both_databases!(async fn an_owner_exports_exactly_their_filtered_history_as_csv_and_json(app) {
    app.sign_in_as("Bilal Haddad").await;
    let (_, page) = app.get_page("/me/history?decision=allowed").await;
    let expected = total(&page);
    let res = app.get("/me/history/export.csv?decision=allowed").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "log_index,time,mailbox,agent,role,scope,action,resource,decision,reason,break_glass");
    assert_eq!(lines.len() as i64 - 1, expected);
    assert!(lines[1..].iter().all(|l| l.contains(",allowed,")));
    assert!(!csv.contains("alice@example.org"));
    // Times are UTC in RFC 3339, whatever zone the reader's pages show them in.
    let utc = regex_lite::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").unwrap();
    for line in &lines[1..] {
        let time = line.split(',').nth(1).unwrap_or_default();
        assert!(utc.is_match(time), "{line}");
    }

    let json: serde_json::Value = app.get("/me/history/export.json").await.json().await.unwrap();
    let (_, all) = app.get_page("/me/history").await;
    assert_eq!(json["format"], "glassbox-export/v1");
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len() as i64, total(&all));
    for event in events {
        assert!(utc.is_match(event["time"].as_str().unwrap_or_default()), "{event}");
    }
    assert!(events.iter().all(|e| e["mailbox"] == "bilal@example.org"));
    // The filter is the page's, and the file says which it was.
    let allowed: serde_json::Value = app.get("/me/history/export.json?decision=allowed").await.json().await.unwrap();
    assert_eq!(allowed["filter"], serde_json::json!({"decision": "allowed"}));
    assert_eq!(allowed["events"].as_array().unwrap().len() as i64, expected);
});

on_both_databases!(async fn only_a_signed_in_owner_can_export(app) {
    assert_eq!(app.get("/me/history/export.csv").await.status().as_u16(), 401);
    app.sign_in_as("Sam Rivera").await;
    assert_eq!(app.get("/me/history/export.json").await.status().as_u16(), 403);
    app.sign_in_as("Alice Martin").await;
    assert_eq!(app.get("/me/history/export.csv?scope=everything").await.status().as_u16(), 400);
});

on_both_databases!(async fn the_browser_can_page_through_the_history_by_server_function(app) {
    // What the hydrated page sends when it pages in place (JSON arguments).
    app.sign_in_as("Alice Martin").await;
    let path = <app::api::overview::LoadHistory as leptos::server_fn::ServerFn>::PATH;
    let res = app
        .client
        .post(app.url(path))
        .json(&serde_json::json!({"cursor": null, "filter": {"agent": null, "scope": null, "decision": "denied", "from": null, "to": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let page: serde_json::Value = res.json().await.unwrap();
    let events = page["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["decision"] == "denied"));
});

on_both_databases!(async fn the_overview_and_the_exports_show_each_access_at_its_real_log_index(app) {
    // Arrange: two checks whose answers say where their events are in the log. A request's
    // steps are in the log too, so an event's index is not its row number.
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    assert_eq!(app.server_fn::<app::api::requests::ApproveRequest>(&[("id", &id), ("confirm", "yes")]).await.0, 200);
    app.check(&token, "alice@example.org", "sam.rivera", "metadata").await;
    let newest = app.check(&token, "alice@example.org", "sam.rivera", "metadata").await;
    let index = newest["log_index"].as_u64().expect("the check's log index");

    // Act
    let (status, overview) = app.server_fn::<app::api::overview::LoadOverview>(&[]).await;
    let (_, page) = app.get_page("/me").await;
    let csv = app.get("/me/history/export.csv").await.text().await.unwrap();
    let json: serde_json::Value = app.get("/me/history/export.json").await.json().await.unwrap();

    // Assert: the same index on the overview (data and page) and in both exports.
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["recent"][0]["log_index"].as_u64(), Some(index), "{overview}");
    assert!(overview["recent"][0]["log_entry"].is_string(), "the browser can check it");
    assert_eq!(seqs(&page).first(), Some(&(index as i64)), "the overview's first row");
    assert!(!page.contains("Not yet in the log"));
    let first_row = csv.split("\r\n").nth(1).unwrap();
    assert_eq!(first_row.split(',').next(), Some(index.to_string().as_str()), "{csv}");
    assert_eq!(json["events"][0]["log_index"].as_u64(), Some(index));
});
