//! Incidents end to end: the affected set computed from the log (window edges, metadata vs
//! content), four eyes, what confirmation does at once, notices queued exactly once, and
//! the owner's page — only for owners the incident touched.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::incidents::{
    AcknowledgeIncident, CloseIncident, ConfirmIncident, DeclareIncident, FollowUpIncident,
    HideIncidentReminder, LoadAdminIncident, LoadAdminIncidents, LoadIncidentNotices,
    LoadOwnerIncident, TickIncidentStep,
};
use app::api::requests::ApproveRequest;
use glassbox::db::on_pool_for_tests;
use time::{Duration, OffsetDateTime};

/// What the scene below set up.
struct Scene {
    window: (OffsetDateTime, OffsetDateTime),
    request_id: String,
}

fn minute_text(t: OffsetDateTime) -> String {
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]"
    ))
    .unwrap()
}

/// A support agent ("nick") whose sign-in was stolen: Alice, Emeka and Chen each approved
/// him; in the window he read Alice's messages at its very first second and listed Emeka's
/// folders at its very last; Chen's mailbox he touched one second before and one second
/// after the window only.
async fn a_stolen_support_sign_in(app: &TestApp) -> Scene {
    glassbox::services::staff::add(
        &app.db,
        &app.clock,
        &app.settings,
        "nick@staff.example.org",
        app::model::StaffRole::Support,
        Some("Nick"),
    )
    .await
    .unwrap();
    let token = app.service_token().await;
    let mut request_id = String::new();
    for (mailbox, owner) in [
        ("alice@example.org", "Alice Martin"),
        ("emeka.obi@example.org", "Emeka Obi"),
        ("chen.wei@example.org", "Chen Wei"),
    ] {
        let req = app
            .create_request(
                &token,
                serde_json::json!({"mailbox": mailbox, "agent": "nick", "duration_minutes": 480}),
            )
            .await;
        let id = req["id"].as_str().unwrap().to_string();
        app.sign_in_as(owner).await;
        let (status, body) = app
            .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")])
            .await;
        assert_eq!(status, 200, "{body}");
        if mailbox == "alice@example.org" {
            request_id = id;
        }
    }
    let start = app.clock.now() + Duration::minutes(10);
    let end = start + Duration::minutes(10);
    let at = |t: OffsetDateTime| {
        let now = app.clock.now();
        app.clock.advance(t - now);
    };
    at(start - Duration::seconds(1));
    assert_eq!(
        app.check(&token, "chen.wei@example.org", "nick", "content")
            .await["decision"],
        "allow"
    );
    at(start);
    assert_eq!(
        app.check(&token, "alice@example.org", "nick", "content")
            .await["decision"],
        "allow"
    );
    app.check(&token, "alice@example.org", "nick", "metadata")
        .await;
    at(end);
    assert_eq!(
        app.check(&token, "emeka.obi@example.org", "nick", "metadata")
            .await["decision"],
        "allow"
    );
    at(end + Duration::seconds(1));
    app.check(&token, "chen.wei@example.org", "nick", "metadata")
        .await;
    app.clock.advance(Duration::minutes(5));
    Scene {
        window: (start, end),
        request_id,
    }
}

async fn declare(app: &TestApp, scene: &Scene) -> String {
    app.sign_in_as("Morgan Lee").await;
    let (status, id) = app
        .server_fn::<DeclareIncident>(&[
            ("title", "Stolen support sign-in"),
            (
                "description",
                "Someone used a support agent's sign-in to open mailboxes.",
            ),
            ("cause", "staff_credential"),
            ("staff_member", "nick"),
            ("token", ""),
            ("window_start", &minute_text(scene.window.0)),
            ("window_end", &minute_text(scene.window.1)),
        ])
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_str().unwrap().to_string()
}

async fn notices_queued(app: &TestApp, id: &str) -> i64 {
    on_pool_for_tests(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE 'incident:{id}:%'"),
    )
    .await
}

on_both_databases!(async fn the_affected_set_counts_the_window_edges_and_tells_content_from_metadata(app) {
    let scene = a_stolen_support_sign_in(app).await;
    let id = declare(app, &scene).await;
    let (status, view) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "draft");
    assert_eq!(view["affected"]["content"], 1, "Alice: her messages were read at the first second");
    assert_eq!(view["affected"]["metadata"], 1, "Emeka: folders listed at the last second");
    assert_eq!(view["affected"]["events"], 3, "Chen's accesses fell just outside");
    assert_eq!(view["can_confirm"], false, "the declarer cannot confirm");
    assert_eq!(notices_queued(app, &id).await, 0, "declaring sends nothing");

    // Declaring the same incident again (a double submit, a second admin) makes nothing new.
    let before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM incidents").await;
    app.sign_in_as("Inês Duarte").await;
    let (status, body) = app
        .server_fn::<DeclareIncident>(&[
            ("title", "Same thing"),
            ("description", "Declared twice."),
            ("cause", "staff_credential"),
            ("staff_member", "nick@staff.example.org"),
            ("token", ""),
            ("window_start", &minute_text(scene.window.0)),
            ("window_end", &minute_text(scene.window.1)),
        ])
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains(&id));
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM incidents").await, before);
});

on_both_databases!(async fn confirming_takes_a_second_admin_and_acts_at_once_and_only_once(app) {
    let scene = a_stolen_support_sign_in(app).await;
    let id = declare(app, &scene).await;
    let token = app.service_token().await;

    // Four eyes: the declarer cannot confirm, nor can a support agent.
    let (status, body) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("second security admin"));
    app.sign_in_as("Sam Rivera").await;
    let (status, _) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 403);
    assert_eq!(app.check(&token, "alice@example.org", "nick", "content").await["decision"], "allow", "nothing happened yet");

    app.sign_in_as("Inês Duarte").await;
    let (status, view) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "confirmed");
    assert_eq!(view["affected"]["content"], 1);
    assert_eq!(view["affected"]["metadata"], 1);

    // At once: the account is disabled and its grants revoked.
    let answer = app.check(&token, "alice@example.org", "nick", "content").await;
    assert_eq!(answer["decision"], "deny");
    let (_, request) = app.api_get(&token, &format!("/api/v1/access-requests/{}", scene.request_id)).await;
    assert_eq!(request["status"], "revoked");
    // The revocation is a step in the request's life, written for the log as the security
    // team's.
    let steps = glassbox::db::changes::for_request(&app.db, app::model::RequestId(scene.request_id.parse().unwrap())).await.unwrap();
    let last = steps.last().unwrap();
    assert_eq!((last.change.as_str(), last.actor.as_str()), ("revoked", "security"));

    // Notices: one per affected owner, however often the queue runs or confirm is pressed.
    glassbox::services::incidents::queue_notices(&app.db, &app.clock, &app.settings).await.unwrap();
    glassbox::services::incidents::queue_notices(&app.db, &app.clock, &app.settings).await.unwrap();
    assert_eq!(notices_queued(app, &id).await, 2);
    let (status, _) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "confirming twice is refused");
    glassbox::services::incidents::queue_notices(&app.db, &app.clock, &app.settings).await.unwrap();
    assert_eq!(notices_queued(app, &id).await, 2, "and sends nothing twice");

    // A follow-up goes to the same two owners, once.
    let (status, body) = app.server_fn::<FollowUpIncident>(&[("id", &id), ("message", "We found no further misuse.")]).await;
    assert_eq!(status, 200, "{body}");
    glassbox::services::incidents::queue_notices(&app.db, &app.clock, &app.settings).await.unwrap();
    glassbox::services::incidents::queue_notices(&app.db, &app.clock, &app.settings).await.unwrap();
    assert_eq!(notices_queued(app, &id).await, 4);
    let (_, view) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    // The sender may already have sent some of them: four in all, none failed or waiting.
    let (queued, sent) = (view["notices"]["queued"].as_i64().unwrap(), view["notices"]["sent"].as_i64().unwrap());
    assert_eq!(queued + sent, 4, "{view}");
    assert_eq!(view["notices"]["failed"], 0);
    assert_eq!(view["notices"]["waiting"], 0);

    // The CSV lists exactly the affected mailboxes.
    let csv = app.client.get(app.url(&format!("/admin/incidents/{id}/affected.csv"))).send().await.unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("alice@example.org,content,2,"));
    assert!(csv.contains("emeka.obi@example.org,metadata,1,"));
    assert!(!csv.contains("chen.wei"));
});

on_both_databases!(async fn an_owner_finds_their_incident_again_and_its_reminder_stays_until_done_or_hidden(app) {
    // Arrange: a confirmed incident that touched Alice.
    let scene = a_stolen_support_sign_in(app).await;
    let id = declare(app, &scene).await;
    app.sign_in_as("Inês Duarte").await;
    assert_eq!(app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await.0, 200);
    app.sign_in_as("Alice Martin").await;
    let ours = || async {
        let (_, notices) = app.server_fn::<LoadIncidentNotices>(&[]).await;
        notices.as_array().unwrap().iter().find(|n| n["id"] == id.as_str()).cloned().expect("her incident")
    };

    // Act: she ticks one step and says she read it.
    app.server_fn::<TickIncidentStep>(&[("id", &id), ("step", "change_password"), ("done", "yes")]).await;
    assert_eq!(app.server_fn::<AcknowledgeIncident>(&[("id", &id)]).await.0, 200);

    // Assert: reading is not doing; the reminder stays with 5 steps open.
    let notice = ours().await;
    assert_eq!(notice["acknowledged"], true);
    assert_eq!((notice["steps_done"].as_u64(), notice["steps_total"].as_u64()), (Some(1), Some(6)), "{notice}");
    assert_eq!(notice["reminder_hidden"], false);
    let (status, overview) = app.get_page("/me").await;
    assert_eq!(status, 200);
    let banner_link = format!("href=\"/me/incidents/{id}\"");
    assert!(overview.contains("A security incident affected your mailbox") && overview.contains(&banner_link), "the banner is still on /me");
    // Her list of incidents has it, and the navigation leads there.
    let (status, list) = app.get_page("/me/incidents").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&format!("/me/incidents/{id}")) && list.contains("1 of 6 steps done"), "{list}");
    assert!(overview.contains("href=\"/me/incidents\""), "an Incidents entry in the navigation");

    // She hides the reminder: the banner goes, the incident stays listed.
    assert_eq!(app.server_fn::<HideIncidentReminder>(&[("id", &id)]).await.0, 200);
    assert_eq!(ours().await["reminder_hidden"], true);
    let (_, overview) = app.get_page("/me").await;
    assert!(!overview.contains(&banner_link), "its banner is gone");
    let (_, list) = app.get_page("/me/incidents").await;
    assert!(list.contains(&format!("/me/incidents/{id}")));

    // Nobody else can hide it for her.
    app.sign_in_as("Chen Wei").await;
    assert_eq!(app.server_fn::<HideIncidentReminder>(&[("id", &id)]).await.0, 404);
});

on_both_databases!(async fn an_affected_owner_reads_what_happened_to_them_and_ticks_off_the_steps(app) {
    let scene = a_stolen_support_sign_in(app).await;
    let id = declare(app, &scene).await;
    app.sign_in_as("Alice Martin").await;
    let (status, _) = app.server_fn::<LoadOwnerIncident>(&[("id", &id)]).await;
    assert_eq!(status, 404, "a draft is not shown to owners");
    app.sign_in_as("Inês Duarte").await;
    let (status, _) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200);

    app.sign_in_as("Alice Martin").await;
    let ours = |notices: serde_json::Value| {
        notices.as_array().unwrap().iter().find(|n| n["id"] == id.as_str()).cloned()
    };
    let (_, notices) = app.server_fn::<LoadIncidentNotices>(&[]).await;
    assert_eq!(ours(notices).expect("a banner for this incident")["acknowledged"], false);
    let (status, page) = app.server_fn::<LoadOwnerIncident>(&[("id", &id)]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["exposure"], "content");
    let accesses = page["accesses"].as_array().unwrap();
    assert_eq!(accesses.len(), 2, "exactly her two accesses in the window: {page}");
    assert!(accesses.iter().all(|a| a["mailbox"] == "alice@example.org"));

    let (status, page) = app.server_fn::<TickIncidentStep>(&[("id", &id), ("step", "change_password"), ("done", "yes")]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["steps"][0], serde_json::json!(["change_password", true]));
    let (status, _) = app.server_fn::<TickIncidentStep>(&[("id", &id), ("step", "everything"), ("done", "yes")]).await;
    assert_eq!(status, 400, "an unknown step changes nothing");
    let (_, page) = app.server_fn::<AcknowledgeIncident>(&[("id", &id)]).await;
    assert!(page["acknowledged_at"].is_string());
    let (_, notices) = app.server_fn::<LoadIncidentNotices>(&[]).await;
    assert_eq!(ours(notices).unwrap()["acknowledged"], true);

    // The banner and the page render for her.
    let (status, html) = app.get_page(&format!("/me/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("What you should do") && html.contains("Change your password"));
    assert!(html.contains("was misused. It happened between "), "the cause and the window are two sentences");
    let contact = regex_lite::Regex::new(r#"Questions\? Contact <a href="mailto:([^"]+)">([^<]+)</a>"#).unwrap();
    let c = contact.captures(&html).expect("the contact address is a link");
    assert_eq!(&c[1], &c[2]);

    // Chen was not touched in the window: nothing to see, nothing to tick.
    app.sign_in_as("Chen Wei").await;
    let (status, _) = app.server_fn::<LoadOwnerIncident>(&[("id", &id)]).await;
    assert_eq!(status, 404);
    let (status, _) = app.server_fn::<AcknowledgeIncident>(&[("id", &id)]).await;
    assert_eq!(status, 404);
    let (_, notices) = app.server_fn::<LoadIncidentNotices>(&[]).await;
    assert_eq!(notices.as_array().unwrap().len(), 0);

    // Owners and support agents never see the admin side.
    let (status, _) = app.server_fn::<LoadAdminIncidents>(&[]).await;
    assert_eq!(status, 403);
    let csv = app.client.get(app.url(&format!("/admin/incidents/{id}/affected.csv"))).send().await.unwrap();
    assert_eq!(csv.status().as_u16(), 403);
    app.sign_in_as("Sam Rivera").await;
    let (status, _) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(status, 403);
});

on_both_databases!(async fn a_declaration_with_bad_input_is_refused_and_records_nothing(app) {
    app.sign_in_as("Morgan Lee").await;
    let before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM incidents").await;
    for (field, value) in [("title", ""), ("cause", "aliens"), ("staff_member", "nobody-at-all"), ("window_start", "yesterday")] {
        let mut form = vec![
            ("title", "T"), ("description", "D"), ("cause", "staff_credential"), ("staff_member", "sam.rivera"),
            ("token", ""), ("window_start", "2026-01-01T00:00"), ("window_end", "2026-01-02T00:00"),
        ];
        for f in form.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let (status, body) = app.server_fn::<DeclareIncident>(&form).await;
        assert_eq!(status, 400, "{field}: {body}");
    }
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM incidents").await, before);
});

on_both_databases!(async fn the_demo_holds_a_confirmed_incident_that_alice_is_told_about(app) {
    app.sign_in_as("Morgan Lee").await;
    let (status, list) = app.server_fn::<LoadAdminIncidents>(&[]).await;
    assert_eq!(status, 200, "{list}");
    let incident = &list[0];
    assert_eq!(incident["status"], "confirmed");
    assert_eq!(incident["affected_mailboxes"], 2, "Alice's and Bilal's");
    let id = incident["id"].as_str().unwrap();
    assert_eq!(notices_queued(app, id).await, 2);

    app.sign_in_as("Alice Martin").await;
    let (_, notices) = app.server_fn::<LoadIncidentNotices>(&[]).await;
    assert_eq!(notices[0]["title"], "A support agent's sign-in was stolen");
    let (status, page) = app.server_fn::<LoadOwnerIncident>(&[("id", id)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page["accesses"].as_array().unwrap().is_empty(), "her accesses in the window, from the log");
    let (_, html) = app.get_page("/me").await;
    assert!(html.contains("A security incident affected your mailbox"), "the banner");

    let jordan = glassbox::db::staff::find_staff_by_email(&app.db, "jordan.blake@staff.example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(jordan.disabled_at.is_some(), "the stolen account is disabled");
});

/// A MailDev of the test's own (the real SMTP server, on free ports), so ten thousand
/// messages neither slow down nor mix with other tests' mail. Stopped when dropped.
struct OwnMaildev {
    child: std::process::Child,
    smtp: u16,
    api: String,
}

impl Drop for OwnMaildev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn own_maildev() -> Option<OwnMaildev> {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testinfra/node_modules/.bin/maildev");
    if !bin.exists() {
        if std::env::var("GLASSBOX_REQUIRE_SMTP").as_deref() == Ok("1") {
            panic!("GLASSBOX_REQUIRE_SMTP=1 but MailDev is not installed (testinfra/services.sh install)");
        }
        eprintln!(
            "SKIPPED: incident delivery test (install MailDev with testinfra/services.sh install)"
        );
        return None;
    }
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port()
    };
    let (smtp, web) = (free(), free());
    let child = std::process::Command::new(bin)
        .args(["--ip", "127.0.0.1", "--smtp", &smtp.to_string()])
        .args(["--web-ip", "127.0.0.1", "--web", &web.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start maildev");
    let own = OwnMaildev {
        child,
        smtp,
        api: format!("http://127.0.0.1:{web}"),
    };
    // Node starts slowly on a busy machine: up to a minute.
    for _ in 0..1200 {
        if reqwest::get(format!("{}/api/healthz", own.api))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Some(own);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("MailDev did not start");
}

/// Ten thousand owners whose mailboxes one stolen sign-in read: declared and confirmed
/// through the real services, the affected set computed from the log, every notice queued
/// through the outbox and accepted by a real SMTP server — each owner exactly once.
async fn ten_thousand_owners_each_get_their_notice(backend: glassbox::db::Backend) {
    const OWNERS: usize = 10_000;
    let Some(mail) = own_maildev().await else {
        return;
    };
    let smtp = mail.smtp;
    let Some(app) = crate::helpers::spawn_app_with(
        backend,
        crate::helpers::Options {
            seed: false,
            configure: Box::new(move |s| {
                crate::helpers::smtp_to(s, "127.0.0.1", smtp);
                s.email.batch_size = 128;
                s.email.smtp.pool_size = 32;
            }),
        },
    )
    .await
    else {
        return;
    };
    let (now, staff) = (app.clock.now(), glassbox::services::staff::add);
    let culprit = staff(
        &app.db,
        &app.clock,
        &app.settings,
        "stolen@staff.example.org",
        app::model::StaffRole::Support,
        Some("Stolen"),
    )
    .await
    .unwrap();
    let declarer = staff(
        &app.db,
        &app.clock,
        &app.settings,
        "first@staff.example.org",
        app::model::StaffRole::SecurityAdmin,
        Some("First"),
    )
    .await
    .unwrap();
    let confirmer = staff(
        &app.db,
        &app.clock,
        &app.settings,
        "second@staff.example.org",
        app::model::StaffRole::SecurityAdmin,
        Some("Second"),
    )
    .await
    .unwrap();

    // The owners, and the log of what the stolen sign-in read an hour ago.
    let mut tx = app.db.begin().await.unwrap();
    let mut events = Vec::with_capacity(OWNERS);
    for i in 0..OWNERS {
        let owner = app::model::OwnerId::new();
        let mailbox = app::model::MailboxId::new();
        let address = format!("owner{i}@bulk.example.org");
        glassbox::db::owners::insert_owner(&mut tx, owner, &format!("Owner {i}"), &address, now)
            .await
            .unwrap();
        glassbox::db::owners::insert_mailbox(&mut tx, mailbox, owner, &address, now)
            .await
            .unwrap();
        events.push(glassbox::db::events::NewEventRow {
            id: uuid::Uuid::now_v7(),
            occurred_at: now - Duration::hours(1),
            mailbox_id: mailbox,
            agent_id: Some(culprit),
            request_id: None,
            scope: if i % 16 == 0 {
                app::model::Scope::Content
            } else {
                app::model::Scope::Metadata
            },
            action: "read_message".into(),
            resource: format!("message:{i}"),
            decision: app::model::Decision::Allowed,
            reason: "Allowed: you approved this access".into(),
            source_network: None,
        });
    }
    glassbox::db::events::append_batch(&mut tx, &events)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let form = app::model::IncidentForm {
        title: "A support agent's sign-in was stolen".into(),
        description: "Someone used it to open mailboxes.".into(),
        cause: "staff_credential".into(),
        staff: Some("stolen@staff.example.org".into()),
        token: None,
        window_start: minute_text(now - Duration::hours(2)),
        window_end: minute_text(now),
    };
    let id = glassbox::services::incidents::declare(&app.db, &app.clock, declarer, &form)
        .await
        .unwrap();
    glassbox::services::incidents::act(
        &app.db,
        &app.clock,
        &app.settings,
        confirmer,
        id,
        &app::model::IncidentAdminAct::Confirm { revision: None },
    )
    .await
    .unwrap();
    let queued = glassbox::services::incidents::queue_notices(&app.db, &app.clock, &app.settings)
        .await
        .unwrap();
    // (The job may have queued some first; between them, every owner once.)
    assert!(queued as usize <= OWNERS);
    assert_eq!(notices_queued(&app, &id.to_string()).await, OWNERS as i64);

    // The sender delivers them all to the SMTP server.
    let sent = |app: &TestApp| {
        let id = id.to_string();
        let db = app.db.clone();
        async move {
            on_pool_for_tests(&db, &format!("SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE 'incident:{id}:%' AND status = 'sent'")).await
        }
    };
    let started = std::time::Instant::now();
    while sent(&app).await < OWNERS as i64 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(600),
            "only {} of {OWNERS} sent after 10 minutes",
            sent(&app).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let view = glassbox::services::incidents::admin_view(&app.db, confirmer, id)
        .await
        .unwrap();
    assert_eq!(view.notices.sent, OWNERS as i64);
    assert_eq!(view.notices.failed, 0);
    assert_eq!(view.affected.mailboxes(), OWNERS as i64);
    assert_eq!(view.affected.content, (OWNERS as i64 + 15) / 16);

    // MailDev holds exactly one notice per owner.
    let all: Vec<serde_json::Value> = reqwest::get(format!("{}/api/email", mail.api))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recipients: std::collections::HashSet<String> = all
        .iter()
        .flat_map(|m| m["to"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["address"].as_str().map(str::to_string))
        .collect();
    assert_eq!(all.len(), OWNERS, "one message per owner, no duplicates");
    assert_eq!(recipients.len(), OWNERS);
    assert!(
        recipients.contains("owner0@bulk.example.org")
            && recipients.contains(&format!("owner{}@bulk.example.org", OWNERS - 1))
    );
    // Each carries what GDPR Art. 34 asks for.
    let text = all[0]["text"].as_str().unwrap_or_default();
    for part in [
        "What happened",
        "What was exposed",
        "What this may mean for you",
        "What we have done",
        "What you should do",
        "Change your password",
        "Questions:",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_affected_owners_each_get_their_notice_on_sqlite() {
    ten_thousand_owners_each_get_their_notice(glassbox::db::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_affected_owners_each_get_their_notice_on_postgres() {
    ten_thousand_owners_each_get_their_notice(glassbox::db::Backend::Postgres).await;
}

on_both_databases!(async fn confirming_withdraws_through_the_same_path_as_a_revoke_links_die_and_owners_are_told(app) {
    let scene = a_stolen_support_sign_in(app).await;
    // Nick also has a request still waiting, whose email link Emeka has not used yet.
    let token = app.service_token().await;
    let before: Vec<_> = glassbox::db::outbox::list(&app.db, None, 1000).await.unwrap().into_iter().map(|r| r.id).collect();
    let pending = app
        .create_request(&token, serde_json::json!({"mailbox": "emeka.obi@example.org", "agent": "nick"}))
        .await;
    let pending_id = pending["id"].as_str().unwrap().to_string();
    let rows = glassbox::db::outbox::list(&app.db, None, 1000).await.unwrap();
    let submitted = rows
        .iter()
        .find(|r| r.kind == "request_submitted" && !before.contains(&r.id))
        .expect("the owner was sent the new request");
    let link = submitted
        .body_text
        .lines()
        .map(str::trim)
        .find(|l| l.contains("/email/requests/"))
        .expect("a link to decide")
        .to_string();
    let path = format!("/email/requests/{}", link.rsplit('/').next().unwrap());
    assert_eq!(app.get(&path).await.status().as_u16(), 200, "the link works before the incident");

    let id = declare(app, &scene).await;
    app.sign_in_as("Inês Duarte").await;
    let (status, view) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{view}");

    // The pending request was cancelled through the state machine, and its link died with it.
    let (_, request) = app.api_get(&token, &format!("/api/v1/access-requests/{pending_id}")).await;
    assert_eq!(request["status"], "cancelled");
    assert_eq!(app.get(&path).await.status().as_u16(), 410, "the link no longer works");
    let steps = glassbox::db::changes::for_request(&app.db, app::model::RequestId(pending_id.parse().unwrap())).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| (s.change.as_str(), s.actor.as_str())).collect::<Vec<_>>(),
        [("requested", "staff"), ("cancelled", "security")]
    );
    // Each owner whose grant was withdrawn gets the email a revoke sends, saying who did it.
    let rows = glassbox::db::outbox::list(&app.db, None, 1000).await.unwrap();
    let revoked: Vec<_> = rows.iter().filter(|r| r.kind == "grant_revoked").collect();
    let mut told: Vec<&str> = revoked.iter().map(|r| r.recipient.as_str()).collect();
    told.sort_unstable();
    assert_eq!(told.len(), 3, "one per grant of the culprit: {told:?}");
    for r in &revoked {
        assert!(r.subject.starts_with("The security team withdrew access to"), "{}", r.subject);
        assert!(!r.body_text.contains("You revoked"), "{}", r.body_text);
    }
});

on_both_databases!(async fn closing_an_incident_asks_for_confirmation_and_without_it_changes_nothing(app) {
    let scene = a_stolen_support_sign_in(app).await;
    let id = declare(app, &scene).await;
    app.sign_in_as("Inês Duarte").await;
    let (status, _) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200);

    let (status, body) = app.server_fn::<CloseIncident>(&[("id", &id)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("Tick the box"), "{body}");
    let (_, page) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(page["status"], "confirmed", "nothing changed: {page}");

    let (status, page) = app.server_fn::<CloseIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["status"], "closed");
});
