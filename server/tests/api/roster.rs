//! The staff roster (`/admin/staff`): security admins only; **Disable** needs our own
//! origin and a ticked box, is idempotent, and cuts the agent's grants as the command line
//! does; recertification lapses an agent's requests at the deadline to the second and a
//! recertification restores them; every staff change is in the verifiable log and
//! verifies; and owners see the provider's staff in two numbers.

use crate::helpers::{location, TestApp};
use crate::on_both_databases;
use app::api::roster::{DisableStaff, LoadRoster, RecertifyStaff};
use app::model::{StaffId, StaffRole};
use glassbox::db::staff_changes::{self, StaffChangeEntryRow};
use glassbox::db::{on_pool_for_tests, staff};
use glassbox::verify::{self, Verdict};
use glassbox_log::{Entry, InclusionProof, VerifierKey};
use std::time::Duration as StdDuration;
use time::Duration;

async fn staff_id(app: &TestApp, email: &str) -> StaffId {
    staff::find_staff_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email} is a staff member"))
        .id
}

async fn is_disabled(app: &TestApp, id: StaffId) -> bool {
    staff::get_staff(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .disabled_at
        .is_some()
}

/// The changes of one staff member once all of them are in the log, as (change, actor).
async fn logged_changes(app: &TestApp, id: StaffId) -> Vec<StaffChangeEntryRow> {
    for _ in 0..100 {
        let rows = staff_changes::of_staff(&app.db, id).await.unwrap();
        if rows.iter().all(|r| r.log_index.is_some()) {
            return rows;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("the staff changes of {id} did not enter the log within 5 s");
}

fn kinds(rows: &[StaffChangeEntryRow]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r.change.clone(), r.actor.clone()))
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

/// A request for `agent` on Alice's mailbox through the API: its status and body.
async fn ask_as(app: &TestApp, token: &str, agent: &str) -> (u16, serde_json::Value) {
    app.api_post(
        token,
        "/api/v1/access-requests",
        &serde_json::json!({
            "mailbox": "alice@example.org",
            "agent": agent,
            "scopes": ["metadata"],
            "justification": {"code": "customer_initiated_support", "text": "You asked us to look", "ticket": "T-9"},
            "duration_minutes": 60
        }),
    )
    .await
}

on_both_databases!(async fn the_roster_is_for_security_admins_only(app) {
    // Signed out: the page asks to sign in, the server function answers 401.
    let (status, html) = app.get_page("/admin/staff").await;
    assert_eq!(status, 401);
    assert!(html.contains("Please sign in"), "{html}");
    assert_eq!(app.server_fn::<LoadRoster>(&[]).await.0, 401);

    let priya = staff_id(app, "priya.nair@staff.example.org").await;
    let priya_text = priya.to_string();
    for who in ["Sam Rivera", "Alice Martin"] {
        app.sign_in_as(who).await;
        let (status, html) = app.get_page("/admin/staff").await;
        assert_eq!(status, 403, "{who}");
        assert!(!html.contains("priya.nair@staff.example.org"), "{who} sees nobody's address");
        assert_eq!(app.server_fn::<LoadRoster>(&[]).await.0, 403, "{who}");
        let (status, _) = app
            .server_fn::<DisableStaff>(&[("member", priya_text.as_str()), ("confirm", "yes")])
            .await;
        assert_eq!(status, 403, "{who} cannot disable");
        let (status, _) = app
            .server_fn::<RecertifyStaff>(&[("member", priya_text.as_str()), ("confirm", "yes")])
            .await;
        assert_eq!(status, 403, "{who} cannot recertify");
    }
    assert!(!is_disabled(app, priya).await, "nothing changed");

    // A staff row from before Glassbox recorded who adds staff says so, and invents nothing.
    let old = StaffId::new();
    let mut tx = app.db.begin().await.unwrap();
    staff::insert_staff(&mut tx, old, "olga.old@staff.example.org", "Olga Old", StaffRole::Support, "Agent 0ld1", app.clock.now()).await.unwrap();
    tx.commit().await.unwrap();

    app.sign_in_with_passkey("Morgan Lee").await;
    let (status, html) = app.get_page("/admin/staff").await;
    assert_eq!(status, 200, "{html}");
    for text in [
        "Staff roster", "Who may do what", "Sam Rivera", "priya.nair@staff.example.org",
        "on the server (glassbox staff add)", "before records began", "Recertify", "Disable",
        "Every 90 days a security admin must recertify each support agent",
        "Nobody can disable their own account",
    ] {
        assert!(html.contains(text), "the roster shows {text:?}");
    }
    // Jordan was disabled when the demo's incident was confirmed, by Inês: on the record.
    assert!(html.contains("Jordan Blake — Disabled by Inês Duarte"), "{html}");
    let (status, roster) = app.server_fn::<LoadRoster>(&[]).await;
    assert_eq!(status, 200);
    let roster: app::model::RosterView = serde_json::from_value(roster).unwrap();
    let sam = roster.members.iter().find(|m| m.name == "Sam Rivera").unwrap();
    assert_eq!(sam.role, StaffRole::Support);
    assert!(matches!(sam.recertification, app::model::Recertification::Current { .. }));
});

on_both_databases!(async fn disabling_from_the_roster_needs_our_origin_and_a_ticked_box_and_cuts_the_agents_grants(app) {
    let token = app.service_token().await;
    let request = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    let (status, _) = app.server_fn::<app::api::requests::ApproveRequest>(&[("id", request.as_str()), ("confirm", "yes")]).await;
    assert_eq!(status, 200);
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "allow");

    let sam = staff_id(app, "sam.rivera@staff.example.org").await;
    let sam_text = sam.to_string();
    app.sign_in_with_passkey("Morgan Lee").await;

    // From another site (the session cookie alone): refused, nothing changed.
    let forged = reqwest::Client::builder().cookie_provider(app.jar.clone()).build().unwrap();
    let res = forged
        .post(app.url(<DisableStaff as leptos::server_fn::ServerFn>::PATH))
        .header("origin", "https://evil.example")
        .form(&[("member", sam_text.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_site_request");
    // Without the box ticked: refused, nothing changed.
    let (status, body) = app.server_fn::<DisableStaff>(&[("member", sam_text.as_str())]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("Tick the box"), "{body}");
    assert!(!is_disabled(app, sam).await);
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "allow");

    // Confirmed: disabled, and the grant is cut at once — the check is refused and the
    // request is withdrawn, as `glassbox staff disable` does.
    let (status, body) = app.server_fn::<DisableStaff>(&[("member", sam_text.as_str()), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(is_disabled(app, sam).await);
    let answer = app.check(&token, "alice@example.org", "sam.rivera", "content").await;
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["reason"], "Refused: the staff account is disabled");
    let (_, status) = app.api_get(&token, &format!("/api/v1/access-requests/{request}")).await;
    assert_eq!(status["status"], "revoked", "{status}");
    let open = on_pool_for_tests(
        &app.db,
        "SELECT COUNT(*) FROM access_requests WHERE status IN ('pending', 'approved') AND agent_id = (SELECT id FROM staff WHERE email = 'sam.rivera@staff.example.org')",
    )
    .await;
    assert_eq!(open, 0, "every open request and grant of Sam's was withdrawn");
    // Again: idempotent — still 200, no second change.
    let (status, _) = app.server_fn::<DisableStaff>(&[("member", sam_text.as_str()), ("confirm", "yes")]).await;
    assert_eq!(status, 200);
    let rows = logged_changes(app, sam).await;
    assert_eq!(kinds(&rows), vec![pair("added", "command_line"), pair("disabled", "security_admin")]);
    let morgan = staff_id(app, "morgan.lee@staff.example.org").await;
    assert_eq!(rows[1].actor_staff_id, Some(morgan.0));

    // Nobody disables themselves.
    let (status, body) = app.server_fn::<DisableStaff>(&[("member", morgan.to_string().as_str()), ("confirm", "yes")]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("Ask another security admin"), "{body}");
    assert!(!is_disabled(app, morgan).await);
    // An id that is nobody's: not found.
    let (status, _) = app.server_fn::<DisableStaff>(&[("member", StaffId::new().to_string().as_str()), ("confirm", "yes")]).await;
    assert_eq!(status, 404);

    // Without JavaScript the browser posts the form itself and is sent back to the roster,
    // which says what was done.
    let priya = staff_id(app, "priya.nair@staff.example.org").await;
    let res = app
        .client
        .post(app.url(<DisableStaff as leptos::server_fn::ServerFn>::PATH))
        .header("accept", "text/html")
        .form(&[("member", priya.to_string().as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    let to = location(&res).unwrap_or_default();
    assert!(res.status().is_redirection(), "{}", res.status());
    let to = to.trim_start_matches(&app.address).to_string();
    assert_eq!(to, format!("/admin/staff?done=disabled&member={priya}"));
    let (status, html) = app.get_page(&to).await;
    assert_eq!(status, 200);
    assert!(html.contains("Priya Nair is disabled."), "{html}");

    // A disabled account signs nobody in: Sam's next page has no session.
    app.sign_in_with_passkey("Morgan Lee").await;
    let choices = app.demo_choices().await;
    assert!(!choices.iter().any(|(n, _)| n == "Sam Rivera"), "Sam is no longer offered");
});

on_both_databases!(async fn an_agent_may_ask_until_the_second_before_the_deadline_and_is_refused_from_it_until_recertified(app) {
    let token = app.service_token().await;
    let every = Duration::days(90);
    let nora = glassbox::services::staff::add(&app.db, &app.clock, &app.settings, "nora.new@staff.example.org", StaffRole::Support, Some("Nora New")).await.unwrap();
    let added_at = glassbox::db::ts(app.clock.now());
    let deadline = added_at + every;

    // The moment before the deadline: accepted.
    app.clock.advance(deadline - Duration::seconds(1) - app.clock.now());
    let (status, body) = ask_as(app, &token, "nora.new").await;
    assert_eq!(status, 201, "{body}");
    // At the deadline: refused, saying why and what to do.
    app.clock.advance(Duration::seconds(1));
    let (status, body) = ask_as(app, &token, "nora.new").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let message = body["error"]["message"].as_str().unwrap();
    for text in ["lapsed", "recertify", "every 90 days", "/admin/staff"] {
        assert!(message.contains(text), "{message}");
    }
    let requests_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await;

    // Time's verdict is written down once, dated at the deadline, by Glassbox (the server's
    // own sweep may have got there first: once either way).
    glassbox::services::staff::sweep_lapsed(&app.db, &app.clock, &app.settings).await.unwrap();
    assert_eq!(glassbox::services::staff::sweep_lapsed(&app.db, &app.clock, &app.settings).await.unwrap(), 0);
    let rows = logged_changes(app, nora).await;
    assert_eq!(kinds(&rows), vec![pair("added", "command_line"), pair("lapsed", "system")]);
    assert_eq!(rows[1].occurred_at, deadline);

    // Her console says so before she tries.
    app.sign_in_as("Nora New").await;
    let (status, html) = app.get_page("/staff").await;
    assert_eq!(status, 200);
    assert!(html.contains("Your permission to ask for access lapsed on"), "{html}");
    // The roster lists her as lapsed; a support agent cannot recertify; an unticked box
    // does nothing; a security admin is not recertified.
    app.sign_in_as("Sam Rivera").await;
    let nora_text = nora.to_string();
    assert_eq!(app.server_fn::<RecertifyStaff>(&[("member", nora_text.as_str()), ("confirm", "yes")]).await.0, 403);
    app.sign_in_with_passkey("Morgan Lee").await;
    let (status, html) = app.get_page("/admin/staff").await;
    assert_eq!(status, 200);
    assert!(html.contains("Nora New: Lapsed on"), "listed as lapsed: {html}");
    let (status, _) = app.server_fn::<RecertifyStaff>(&[("member", nora_text.as_str())]).await;
    assert_eq!(status, 400);
    assert_eq!(ask_as(app, &token, "nora.new").await.0, 403, "still refused");
    let ines = staff_id(app, "ines.duarte@staff.example.org").await;
    let (status, body) = app.server_fn::<RecertifyStaff>(&[("member", ines.to_string().as_str()), ("confirm", "yes")]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("Only support agents are recertified"));
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests").await, requests_before, "no request was made by any refusal");

    // Recertified: she may ask again at once, for another full period.
    let (status, body) = app.server_fn::<RecertifyStaff>(&[("member", nora_text.as_str()), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ask_as(app, &token, "nora.new").await.0, 201);
    let recertified_at = glassbox::db::ts(app.clock.now());
    app.clock.advance(every - Duration::seconds(1));
    assert_eq!(ask_as(app, &token, "nora.new").await.0, 201, "a full period from the recertification");
    app.clock.advance(Duration::seconds(1));
    assert_eq!(ask_as(app, &token, "nora.new").await.0, 403);
    let rows = logged_changes(app, nora).await;
    assert_eq!(kinds(&rows)[2], pair("recertified", "security_admin"));
    assert_eq!(rows[2].occurred_at, recertified_at);
});

on_both_databases!(async fn every_staff_change_enters_the_log_and_verifies(app) {
    let key = {
        let res = app.get("/log/key").await;
        VerifierKey::parse(&res.text().await.unwrap()).unwrap()
    };
    // added (command line), recertified and disabled (an admin), lapsed (time).
    let nora = glassbox::services::staff::add(&app.db, &app.clock, &app.settings, "nora.new@staff.example.org", StaffRole::Support, None).await.unwrap();
    let otto = glassbox::services::staff::add(&app.db, &app.clock, &app.settings, "otto.other@staff.example.org", StaffRole::Support, None).await.unwrap();
    let morgan = staff_id(app, "morgan.lee@staff.example.org").await;
    glassbox::services::staff::recertify(&app.db, &app.clock, morgan, nora).await.unwrap();
    glassbox::services::staff::disable(&app.db, &app.clock, &app.settings, nora, glassbox::services::staff::ChangedBy::Admin(morgan)).await.unwrap();
    app.clock.advance(Duration::days(91));
    glassbox::services::staff::sweep_lapsed(&app.db, &app.clock, &app.settings).await.unwrap();

    let nora_rows = logged_changes(app, nora).await;
    assert_eq!(kinds(&nora_rows), vec![pair("added", "command_line"), pair("recertified", "security_admin"), pair("disabled", "security_admin")]);
    let otto_rows = logged_changes(app, otto).await;
    assert_eq!(kinds(&otto_rows), vec![pair("added", "command_line"), pair("lapsed", "system")], "a disabled account does not lapse; Otto's did");
    let all: Vec<&StaffChangeEntryRow> = nora_rows.iter().chain(&otto_rows).collect();
    let max = all.iter().map(|r| r.log_index.unwrap() as u64).max().unwrap();
    // Wait for a signed checkpoint covering them.
    let cp = {
        let mut found = None;
        for _ in 0..100 {
            let note = app.get("/log/checkpoint").await.text().await.unwrap();
            if let Ok(cp) = key.open(&note) {
                if cp.size > max {
                    found = Some(cp);
                    break;
                }
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        found.expect("a checkpoint covering the staff changes")
    };
    for row in &all {
        let index = row.log_index.unwrap() as u64;
        let entry = glassbox::transparency::entries::logged_staff_change(row).unwrap();
        let decoded = Entry::decode(&entry.encode()).unwrap();
        assert!(matches!(&decoded, Entry::Staff(s) if s.change == row.change && s.staff_id == row.staff_id.to_string()), "{decoded:?}");
        let body = app.get(&format!("/log/proof/inclusion?index={index}&size={}", cp.size)).await.text().await.unwrap();
        let proof: InclusionProof = serde_json::from_str(&body).unwrap();
        assert_eq!(proof.leaf(), Some(entry.leaf_hash()), "the log holds this staff change at {index}");
        assert_eq!(proof.verify(&entry.leaf_hash(), &cp.root), Ok(()));
        let b64 = glassbox_log::b64(&entry.encode());
        let verdict = verify::inclusion(&app.address, Some(&key.to_string()), &Default::default(), index, Some(b64.as_str()), None).await.unwrap();
        assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    }
    assert!(matches!(verify::database(&app.db, std::slice::from_ref(&key)).await.unwrap(), Verdict::Verified(_)));

    // Append-only: the database refuses to change or remove a staff change.
    let index = nora_rows[2].log_index.unwrap();
    for sql in [
        format!("UPDATE staff_changes SET change = 'recertified' WHERE log_index = {index}"),
        format!("DELETE FROM staff_changes WHERE log_index = {index}"),
    ] {
        let mut tx = app.db.begin().await.unwrap();
        assert!(glassbox::db::tree::execute_in_tx_for_tests(&mut tx, &sql).await.is_err(), "refused: {sql}");
    }
});

on_both_databases!(async fn the_owners_overview_says_how_many_staff_can_ask_and_how_many_accessed(app) {
    // The demo has four support agents; Jordan was disabled during its incident.
    let since = glassbox::db::ts(app.clock.now() - Duration::days(30));
    let accessed = {
        let rows = glassbox::db::events::any(&app.db).await.unwrap();
        assert!(rows);
        glassbox::db::staff::count_staff_who_accessed(&app.db, since).await.unwrap()
    };
    assert!(accessed > 0, "the demo's agents accessed mailboxes lately");
    app.sign_in_as("Alice Martin").await;
    let (status, html) = app.get_page("/me").await;
    assert_eq!(status, 200);
    assert!(html.contains("3 staff members can ask to access mailboxes at this provider"), "{html}");
    assert!(html.contains(&format!("{accessed} staff member")), "{html}");
    for name in ["Sam Rivera", "Priya Nair", "staff.example.org"] {
        assert!(!html.contains(name), "no staff names on the owner's page");
    }
    // One disabled, and then everyone's certification lapses: the numbers follow the data.
    let priya = staff_id(app, "priya.nair@staff.example.org").await;
    glassbox::services::staff::disable(&app.db, &app.clock, &app.settings, priya, glassbox::services::staff::ChangedBy::CommandLine).await.unwrap();
    let (_, html) = app.get_page("/me").await;
    assert!(html.contains("2 staff members can ask to access mailboxes"), "{html}");
    app.clock.advance(Duration::days(90));
    app.sign_in_as("Alice Martin").await;
    let (_, html) = app.get_page("/me").await;
    assert!(html.contains("0 staff members can ask to access mailboxes"), "{html}");
    assert!(html.contains("no staff member accessed any mailbox here in the last 30 days"), "{html}");
});

on_both_databases!(async fn an_agents_page_is_for_admins_and_flags_an_agent_refused_far_more_often(app) {
    use app::api::roster::LoadAgentActivity;
    let token = app.service_token().await;
    let nora = glassbox::services::staff::add(&app.db, &app.clock, &app.settings, "nora.new@staff.example.org", StaffRole::Support, Some("Nora New")).await.unwrap();
    let nora_text = nora.to_string();
    let page = format!("/admin/staff/{nora}");
    // Signed out, a support agent, an owner: refused.
    assert_eq!(app.get_page(&page).await.0, 401);
    for who in ["Sam Rivera", "Alice Martin"] {
        app.sign_in_as(who).await;
        let (status, html) = app.get_page(&page).await;
        assert_eq!(status, 403, "{who}");
        assert!(!html.contains("nora.new@staff.example.org"), "{who}");
        assert_eq!(app.server_fn::<LoadAgentActivity>(&[("id", nora_text.as_str())]).await.0, 403, "{who}");
    }
    // Alice refuses six of Nora's requests in a row; the others' are mostly approved.
    app.sign_in_as("Alice Martin").await;
    for _ in 0..6 {
        let (status, body) = ask_as(app, &token, "nora.new").await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_string();
        let (status, body) = app.server_fn::<app::api::requests::DenyRequest>(&[("id", id.as_str()), ("reason", "I did not ask")]).await;
        assert_eq!(status, 200, "{body}");
    }
    for _ in 0..6 {
        let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
        let (status, body) = app.server_fn::<app::api::requests::ApproveRequest>(&[("id", id.as_str()), ("confirm", "yes")]).await;
        assert_eq!(status, 200, "{body}");
    }
    app.sign_in_with_passkey("Morgan Lee").await;
    let (status, body) = app.server_fn::<LoadAgentActivity>(&[("id", nora_text.as_str())]).await;
    assert_eq!(status, 200, "{body}");
    let view: app::model::AgentActivityView = serde_json::from_value(body).unwrap();
    assert_eq!((view.refusals.denied, view.refusals.decided), (6, 6));
    assert!(view.refusals.far_more_often, "{:?}", view.refusals);
    let monthly = view.months.iter().fold((0, 0), |(r, d), m| (r + m.requests, d + m.denied));
    assert_eq!(monthly, (6, 6), "{:?}", view.months);
    assert_eq!(view.requests.len(), 6);
    let (status, html) = app.get_page(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Refused far more often than others"), "{html}");
    assert!(html.contains("Month by month"));
    // Sam, approved six more times, is not flagged.
    let sam = staff_id(app, "sam.rivera@staff.example.org").await;
    let (_, body) = app.server_fn::<LoadAgentActivity>(&[("id", sam.to_string().as_str())]).await;
    let view: app::model::AgentActivityView = serde_json::from_value(body).unwrap();
    assert!(!view.refusals.far_more_often, "{:?}", view.refusals);
    // Nobody's id: not found.
    assert_eq!(app.get_page(&format!("/admin/staff/{}", StaffId::new())).await.0, 404);
});
