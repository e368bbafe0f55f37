//! Legal holds: an emergency access for a legal request whose order forbids telling the
//! owner yet defers the owner's notice until a date. The notice is written and sealed when
//! the access starts, and a commitment to it enters the verifiable log that day; until the
//! release date the access and what was done under it are hidden from the owner; on the
//! date the notice is sent and shown, and it matches the commitment. A release date moves
//! only later, only with two admins, and each extension is logged. Counts of deferred
//! notices are public; their content never is.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::emergency::{
    DecideEmergencyAccess, LoadEmergencyPage, LoadHeldNoticeCounts, LoadReleasedNotices,
    OpenEmergencyAccess,
};
use app::api::overview::LoadOverview;
use app::model::ReleasedNotice;
use glassbox::db::legal_holds;
use glassbox::db::on_pool_for_tests;
use glassbox::services::legal_holds::release_due;
use glassbox::verify::{self, Verdict};
use glassbox_log::{Entry, InclusionProof, VerifierKey};
use leptos::server_fn::ServerFn as _;
use std::time::Duration as StdDuration;
use time::Duration;

/// The test clock's today is 2026-11-29: the order allows telling the owner on 9 December.
const RELEASE_ON: &str = "2026-12-09";

async fn staff_id(app: &TestApp, email: &str) -> String {
    glassbox::db::staff::find_staff_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// The open form: Alice's mailbox, for Sam, content, 120 minutes, a legal request whose
/// notice is held back until `release_on`.
async fn legal_form(app: &TestApp, release_on: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mailbox", "alice@example.org".into()),
        ("agent", staff_id(app, "sam.rivera@staff.example.org").await),
        ("scope_content", "yes".into()),
        ("justification_code", "legal_request".into()),
        (
            "justification_text",
            "Court order to preserve and read her messages of November".into(),
        ),
        ("reference", "ORDER-2026-771".into()),
        ("duration_minutes", "120".into()),
        ("notice_release_on", release_on.into()),
        ("confirm", "yes".into()),
    ]
}

async fn open(app: &TestApp, form: &[(&'static str, String)]) -> (u16, serde_json::Value) {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.server_fn::<OpenEmergencyAccess>(&fields).await
}

async fn decide(
    app: &TestApp,
    id: &str,
    act: &str,
    extra: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut fields = vec![("id", id), ("act", act), ("confirm", "yes")];
    fields.extend_from_slice(extra);
    app.server_fn::<DecideEmergencyAccess>(&fields).await
}

async fn emails_of_kind(app: &TestApp, kind: &str) -> Vec<(String, String, String)> {
    glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == kind)
        .map(|m| (m.recipient, m.subject, m.body_text))
        .collect()
}

/// Inês opens a held emergency access and Morgan approves it: it is live. Returns its id.
async fn held_and_live(app: &TestApp, release_on: &str) -> String {
    app.sign_in_with_passkey("Inês Duarte").await;
    let (status, page) = open(app, &legal_form(app, release_on).await).await;
    assert_eq!(status, 200, "{page}");
    let access = &page["accesses"][0];
    assert_eq!(access["hold"]["state"], "Waiting", "{page}");
    assert_eq!(access["hold"]["release_on"], release_on, "{page}");
    let id = access["id"].as_str().unwrap().to_string();
    app.sign_in_with_passkey("Morgan Lee").await;
    let (status, page) = decide(app, &id, "approve", &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["accesses"][0]["status"], "approved", "{page}");
    assert_eq!(page["accesses"][0]["hold"]["state"], "Sealed", "{page}");
    id
}

async fn hold_of(app: &TestApp, id: &str) -> legal_holds::HoldRow {
    legal_holds::of_request(&app.db, id.parse().unwrap())
        .await
        .unwrap()
        .expect("a hold on the emergency access")
}

/// The steps of `id`'s sealed notice once every one is in the log.
async fn logged_steps(app: &TestApp, id: &str, count: usize) -> Vec<legal_holds::HoldChangeRow> {
    let hold = hold_of(app, id).await;
    for _ in 0..100 {
        let steps = legal_holds::changes_of(&app.db, hold.id).await.unwrap();
        if steps.len() == count && steps.iter().all(|s| s.log_index.is_some()) {
            return steps;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("{count} logged steps of the sealed notice of {id}")
}

/// Alice's view: whether any of her pages or exports shows the emergency access `id`.
async fn alice_sees(app: &TestApp, id: &str) -> bool {
    app.sign_in_as("Alice Martin").await;
    let (detail, _) = app.get_page(&format!("/me/requests/{id}")).await;
    let (_, history) = app.get_page("/me/history").await;
    let csv = app
        .get("/me/history/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let (_, requests) = app.get_page("/me/requests").await;
    let shown = [
        detail == 200,
        history.contains("Emergency access"),
        csv.lines().any(|l| l.contains("emergency access approved")),
        requests.contains(id),
    ];
    assert!(
        shown.iter().all(|s| *s) || shown.iter().all(|s| !*s),
        "every page agrees on whether Alice sees it: {shown:?}"
    );
    shown[0]
}

on_both_databases!(async fn a_legal_hold_seals_the_notice_hides_the_access_and_releases_it_on_its_date(app) {
    // Arrange: a held emergency access, used once.
    let token = app.service_token().await;
    let id = held_and_live(app, RELEASE_ON).await;
    assert_eq!(app.check(&token, "alice@example.org", "sam.rivera", "content").await["decision"], "allow");

    // Assert: nobody told Alice; the agent heard it was approved.
    assert!(emails_of_kind(app, "emergency_access_opened").await.is_empty(), "the owner's notice is held back");
    assert_eq!(emails_of_kind(app, "emergency_access_decided").await.len(), 1);
    // Her pages, requests and exports do not show it, nor what was done under it.
    assert!(!alice_sees(app, &id).await);
    let (_, overview) = app.server_fn::<LoadOverview>(&[]).await;
    assert!(!overview.to_string().contains(&id), "not among her live grants: {overview}");
    let (_, page) = app.get_page("/me/notices").await;
    assert!(page.contains("No notice about your mailbox has been held back and released"), "{page}");

    // The commitment is in the log, as an entry of its own kind that names no mailbox.
    let steps = logged_steps(app, &id, 1).await;
    assert_eq!(steps[0].change, "sealed");
    assert_eq!(steps[0].release_on, RELEASE_ON);
    let entry = glassbox::transparency::entries::logged_notice(&steps[0]).unwrap();
    let bytes = entry.encode();
    assert!(matches!(Entry::decode(&bytes), Ok(Entry::Notice(_))));
    let mailbox = glassbox::db::owners::find_mailbox(&app.db, "alice@example.org").await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&mailbox.id.to_string()) && !text.contains("alice") && !text.contains(&id), "{text}");
    let key = VerifierKey::parse(&app.get("/log/key").await.text().await.unwrap()).unwrap();
    let index = steps[0].log_index.unwrap() as u64;
    let cp = {
        let mut found = None;
        for _ in 0..100 {
            let note = app.get("/log/checkpoint").await.text().await.unwrap();
            if let Ok(cp) = key.open(&note) {
                if cp.size > index {
                    found = Some(cp);
                    break;
                }
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        found.expect("a checkpoint covering the sealed notice")
    };
    let body = app.get(&format!("/log/proof/inclusion?index={index}&size={}", cp.size)).await.text().await.unwrap();
    let proof: InclusionProof = serde_json::from_str(&body).unwrap();
    assert_eq!(proof.verify(&entry.leaf_hash(), &cp.root), Ok(()), "the log held the commitment before the release");

    // Anyone sees the count, never whose: no sign-in needed.
    let anonymous = reqwest::Client::new()
        .post(app.url(LoadHeldNoticeCounts::PATH))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    let counts: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(counts, serde_json::json!({"months": [
        {"month": "2026-11", "reason": "legal_request", "deferred": 1, "still_sealed": 1},
    ]}));
    let (status, public) = app.get_page("/transparency").await;
    assert_eq!(status, 200);
    assert!(public.contains("1 notice is held back today") && public.contains("November 2026"), "{public}");
    assert!(!public.contains("alice") && !public.contains("ORDER-2026-771"), "{public}");

    // Act: the day before the release date, nothing is released.
    let release_at = time::macros::datetime!(2026-12-09 00:00 UTC);
    app.clock.advance(release_at - Duration::seconds(1) - app.clock.now());
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert!(hold_of(app, &id).await.released_at.is_none());
    assert!(!alice_sees(app, &id).await);

    // On the release date it is released, once.
    app.clock.advance(Duration::seconds(1));
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert_eq!(release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap(), 0);

    // Assert: Alice is emailed the notice, word for word, and now sees everything.
    let released = emails_of_kind(app, "sealed_notice_released").await;
    assert_eq!(released.len(), 1, "{released:?}");
    assert_eq!(released[0].0, "alice@example.org");
    assert!(released[0].1.starts_with("Released after a legal hold: Emergency access"), "{released:?}");
    let hold = hold_of(app, &id).await;
    let sealed_body = hold.body.clone().unwrap();
    assert!(sealed_body.contains("ORDER-2026-771") && released[0].2.contains(&sealed_body.lines().nth(2).unwrap().to_string()), "{}", released[0].2);
    assert!(alice_sees(app, &id).await);
    // Her notices page shows it, and it matches the commitment the log held since sealing.
    let (status, notices) = app.server_fn::<LoadReleasedNotices>(&[]).await;
    assert_eq!(status, 200, "{notices}");
    let notices: Vec<ReleasedNotice> = serde_json::from_value(notices).unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].matches_commitment());
    assert_eq!(notices[0].steps[0].commitment, entry.commitment, "the page shows the commitment that was logged");
    let nonce: [u8; 32] = glassbox_log::sealed::unhex(&notices[0].nonce).unwrap();
    let recomputed = glassbox_log::sealed::commitment(&notices[0].subject, &notices[0].body, RELEASE_ON, &nonce);
    assert_eq!(glassbox_log::sealed::hex(&recomputed), entry.commitment);
    // A changed word would not match.
    let mut forged = notices[0].clone();
    forged.body = forged.body.replace("ORDER-2026-771", "ORDER-2026-772");
    assert!(!forged.matches_commitment());
    let (_, page) = app.get_page("/me/notices").await;
    assert!(page.contains("ORDER-2026-771") && page.contains(&entry.commitment), "{page}");
    // The release is logged too; the counts follow; the whole log still verifies.
    let steps = logged_steps(app, &id, 2).await;
    assert_eq!(steps[1].change, "released");
    let (_, counts) = app.server_fn::<LoadHeldNoticeCounts>(&[]).await;
    assert_eq!(counts["months"][0]["still_sealed"], 0, "{counts}");
    for _ in 0..100 {
        if !glassbox::db::tree::any_unlogged(&app.db).await.unwrap() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    assert!(matches!(verify::database(&app.db, std::slice::from_ref(&key)).await.unwrap(), Verdict::Verified(_)));
});

on_both_databases!(async fn an_extension_needs_a_second_admin_and_enters_a_new_commitment(app) {
    // Arrange
    let id = held_and_live(app, RELEASE_ON).await;
    logged_steps(app, &id, 1).await;

    // Act: Morgan asks for a later date; he cannot approve it himself.
    let later = [("release_on", "2027-01-15"), ("reason", "Order renewed on 8 December for 30 days")];
    let (status, page) = decide(app, &id, "extend", &later).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["accesses"][0]["hold"]["extension"]["may_decide"], false, "{page}");
    let (status, refused) = decide(app, &id, "approve_extension", &[]).await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused.to_string().contains("second, different security admin"), "{refused}");
    // A second request while one waits is refused.
    assert_eq!(decide(app, &id, "extend", &later).await.0, 409);
    assert_eq!(hold_of(app, &id).await.release_on, RELEASE_ON, "nothing moved yet");

    // Inês approves it.
    app.sign_in_with_passkey("Inês Duarte").await;
    let (status, page) = decide(app, &id, "approve_extension", &[]).await;
    assert_eq!(status, 200, "{page}");

    // Assert: the date moved and the extension is logged, naming both admins; the first
    // commitment stays in the log as it was.
    let hold = hold_of(app, &id).await;
    assert_eq!(hold.release_on, "2027-01-15");
    let steps = logged_steps(app, &id, 2).await;
    assert_eq!((steps[0].change.as_str(), steps[0].release_on.as_str()), ("sealed", RELEASE_ON));
    assert_eq!((steps[1].change.as_str(), steps[1].release_on.as_str()), ("extended", "2027-01-15"));
    assert_eq!(steps[1].by_staff_id.map(|s| s.to_string()), Some(staff_id(app, "morgan.lee@staff.example.org").await));
    assert_eq!(steps[1].second_staff_id.map(|s| s.to_string()), Some(staff_id(app, "ines.duarte@staff.example.org").await));
    assert_ne!(steps[0].commitment, steps[1].commitment);
    // A date no later than the current one is refused and changes nothing.
    let (status, body) = decide(app, &id, "extend", &[("release_on", "2027-01-10"), ("reason", "x")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("later than 2027-01-15"), "{body}");
    // A refused extension leaves the date alone.
    assert_eq!(decide(app, &id, "extend", &[("release_on", "2027-02-01"), ("reason", "Asked again")]).await.0, 200);
    app.sign_in_with_passkey("Morgan Lee").await;
    assert_eq!(decide(app, &id, "refuse_extension", &[]).await.0, 200);
    assert_eq!(hold_of(app, &id).await.release_on, "2027-01-15");

    // The old date passes without a release; the new one releases it, matching both steps.
    app.clock.advance(time::macros::datetime!(2026-12-10 00:00 UTC) - app.clock.now());
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert!(hold_of(app, &id).await.released_at.is_none());
    app.clock.advance(time::macros::datetime!(2027-01-15 00:00 UTC) - app.clock.now());
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert!(hold_of(app, &id).await.released_at.is_some());
    app.sign_in_as("Alice Martin").await;
    let (_, notices) = app.server_fn::<LoadReleasedNotices>(&[]).await;
    let notices: Vec<ReleasedNotice> = serde_json::from_value(notices).unwrap();
    let ours = notices.iter().find(|n| n.request.to_string() == id).unwrap();
    assert_eq!(ours.release_on, "2027-01-15");
    assert_eq!(ours.steps.iter().map(|s| s.change.as_str()).collect::<Vec<_>>(), ["sealed", "extended", "released"]);
    assert!(ours.matches_commitment(), "the notice matches the sealing and the extension");
    // Once released, it cannot be held back again.
    app.sign_in_with_passkey("Morgan Lee").await;
    assert_eq!(decide(app, &id, "extend", &[("release_on", "2027-03-01"), ("reason", "x")]).await.0, 409);
});

on_both_databases!(async fn a_hold_only_for_a_legal_request_with_a_date_within_the_cap_and_bad_ones_change_nothing(app) {
    // Arrange
    app.sign_in_with_passkey("Inês Duarte").await;
    let good = legal_form(app, RELEASE_ON).await;
    let with = |key: &'static str, value: &str| -> Vec<(&'static str, String)> {
        good.iter().map(|(k, v)| (*k, if *k == key { value.to_string() } else { v.clone() })).collect()
    };
    let cases = [
        (with("justification_code", "break_glass_emergency"), "Only an emergency access for a legal request"),
        (with("notice_release_on", "2026-11-29"), "after today"),
        (with("notice_release_on", "2025-01-01"), "after today"),
        (with("notice_release_on", "2027-12-01"), "at most 365 days"),
        (with("notice_release_on", "next spring"), "as a date"),
    ];

    for (form, says) in cases {
        // Act
        let (status, body) = open(app, &form).await;

        // Assert
        assert_eq!(status, 400, "{says}: {body}");
        assert!(body.to_string().contains(says), "{says}: {body}");
    }
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_requests WHERE break_glass").await, 0);
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM legal_holds").await, 0);
    // An empty date is no hold: the owner is told at once.
    let (status, page) = open(app, &with("notice_release_on", "")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["accesses"][0]["hold"].is_null(), "{page}");
});

on_both_databases!(async fn holds_are_for_security_admins_and_a_released_notice_for_its_owner_only(app) {
    // Arrange: released already.
    let id = held_and_live(app, RELEASE_ON).await;
    app.clock.advance(time::macros::datetime!(2026-12-09 00:00 UTC) - app.clock.now());

    // Act + Assert: a support agent and the owner may not extend it.
    for who in ["Sam Rivera", "Alice Martin"] {
        app.sign_in_as(who).await;
        let (status, _) = decide(app, &id, "extend", &[("release_on", "2027-01-15"), ("reason", "x")]).await;
        assert_eq!(status, 403, "{who}");
        let (status, body) = app.server_fn::<LoadEmergencyPage>(&[]).await;
        assert_eq!(status, 403, "{who}");
        assert!(!body.to_string().contains("ORDER-2026-771"), "{who}");
    }
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    // Another owner and staff never see Alice's released notice.
    app.sign_in_as("Bilal Haddad").await;
    let (status, notices) = app.server_fn::<LoadReleasedNotices>(&[]).await;
    assert_eq!((status, notices), (200, serde_json::json!([])));
    app.sign_in_with_passkey("Morgan Lee").await;
    assert_eq!(app.server_fn::<LoadReleasedNotices>(&[]).await.0, 403);
    let anonymous = reqwest::Client::new()
        .post(app.url(LoadReleasedNotices::PATH))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.sign_in_as("Alice Martin").await;
    let (_, notices) = app.server_fn::<LoadReleasedNotices>(&[]).await;
    assert_eq!(notices.as_array().unwrap().len(), 1);
});

on_both_databases!(async fn a_sealed_notice_and_its_logged_steps_cannot_be_rewritten(app) {
    // Arrange
    let id = held_and_live(app, RELEASE_ON).await;
    let steps = logged_steps(app, &id, 1).await;
    let index = steps[0].log_index.unwrap();
    let hold = hold_of(app, &id).await;
    let hold_id = match app.db {
        glassbox::db::Db::Sqlite(_) => format!("X'{}'", hold.id.simple()),
        glassbox::db::Db::Postgres(_) => format!("'{}'", hold.id),
    };

    // Act + Assert: the database refuses each change.
    for sql in [
        format!("UPDATE legal_hold_changes SET release_on = '2030-01-01' WHERE log_index = {index}"),
        format!("DELETE FROM legal_hold_changes WHERE log_index = {index}"),
        format!("UPDATE legal_holds SET body = 'Nothing happened.' WHERE id = {hold_id}"),
    ] {
        let mut tx = app.db.begin().await.unwrap();
        assert!(glassbox::db::tree::execute_in_tx_for_tests(&mut tx, &sql).await.is_err(), "refused: {sql}");
    }
    assert_eq!(hold_of(app, &id).await.body, hold.body);
});

on_both_databases!(async fn the_demo_shows_a_released_and_a_sealed_legal_hold(app) {
    // Act: `glassbox demo` adds its two holds after the data set.
    glassbox::demo::seed_legal_holds(&app.db, &app.clock, &app.settings).await.unwrap();

    // Assert: Alice's, sealed seven weeks ago, is released and matches its commitment;
    // Dana's, three days old, is still held back and hidden from her.
    app.sign_in_as("Alice Martin").await;
    let (_, notices) = app.server_fn::<LoadReleasedNotices>(&[]).await;
    let notices: Vec<ReleasedNotice> = serde_json::from_value(notices).unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].body.contains("ORDER-2026-0913") && notices[0].matches_commitment(), "{:?}", notices[0]);
    app.sign_in_as("Dana Kowalski").await;
    let (_, notices) = app.server_fn::<LoadReleasedNotices>(&[]).await;
    assert_eq!(notices, serde_json::json!([]));
    let (_, requests) = app.get_page("/me/requests").await;
    assert!(!requests.contains("Emergency access"), "{requests}");
    let (_, counts) = app.server_fn::<LoadHeldNoticeCounts>(&[]).await;
    assert_eq!(counts, serde_json::json!({"months": [
        {"month": "2026-11", "reason": "legal_request", "deferred": 1, "still_sealed": 1},
        {"month": "2026-10", "reason": "legal_request", "deferred": 1, "still_sealed": 0},
    ]}));
    // Nobody was told early: the only owner email is Alice's released notice.
    assert!(emails_of_kind(app, "emergency_access_opened").await.is_empty());
    assert_eq!(emails_of_kind(app, "sealed_notice_released").await.len(), 1);
});

on_both_databases!(async fn a_released_notice_downloads_as_a_file_anyone_can_check_against_the_log(app) {
    // Arrange: released, and every step in a signed checkpoint.
    let id = held_and_live(app, RELEASE_ON).await;
    app.clock.advance(time::macros::datetime!(2026-12-09 00:00 UTC) - app.clock.now());
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    let steps = logged_steps(app, &id, 2).await;
    let last = steps[1].log_index.unwrap() as u64;
    for _ in 0..100 {
        let size = glassbox::db::tree::latest_checkpoint(&app.db).await.unwrap().map(|c| c.size as u64);
        if size.is_some_and(|s| s > last) {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }

    // Act: Alice downloads it; anyone checks it.
    app.sign_in_as("Alice Martin").await;
    let res = app.get(&format!("/me/notices/{id}.json")).await;
    assert_eq!(res.status(), 200);
    let file = res.bytes().await.unwrap().to_vec();
    let verdict = verify::notice(&app.address, None, &Default::default(), &file).await.unwrap();

    // Assert
    assert!(matches!(&verdict, Verdict::Verified(m) if m.contains("2 steps")), "{verdict:?}");
    // One changed word in the notice, or a step's entry swapped for another, fails, naming why.
    let text = String::from_utf8(file.clone()).unwrap();
    let changed = text.replace("ORDER-2026-771", "ORDER-2026-772");
    let verdict = verify::notice(&app.address, None, &Default::default(), changed.as_bytes()).await.unwrap();
    assert!(matches!(&verdict, Verdict::Failed(m) if m.contains("does not give the commitment of the sealed step")), "{verdict:?}");
    let mut json: serde_json::Value = serde_json::from_slice(&file).unwrap();
    json["steps"][0]["log_index"] = json["steps"][1]["log_index"].clone();
    let verdict = verify::notice(&app.address, None, &Default::default(), json.to_string().as_bytes()).await.unwrap();
    assert!(matches!(&verdict, Verdict::Failed(m) if m.contains("sealed step")), "{verdict:?}");
    assert!(verify::notice(&app.address, None, &Default::default(), b"not json").await.is_err(), "an unreadable file is an error (exit 2)");
    // Nobody else downloads it.
    app.sign_in_as("Bilal Haddad").await;
    assert_eq!(app.get(&format!("/me/notices/{id}.json")).await.status(), 404);
    app.sign_in_with_passkey("Morgan Lee").await;
    assert_eq!(app.get(&format!("/me/notices/{id}.json")).await.status(), 403);
});

on_both_databases!(async fn a_hold_whose_date_comes_while_its_access_waits_is_released_once_decided_and_sealed(app) {
    // Arrange: opened at 23:30 with the release date of tomorrow; midnight passes while it
    // waits for a second admin.
    app.clock.advance(time::macros::datetime!(2026-11-29 23:30 UTC) - app.clock.now());
    app.sign_in_with_passkey("Inês Duarte").await;
    let (status, page) = open(app, &legal_form(app, "2026-11-30").await).await;
    assert_eq!(status, 200, "{page}");
    let id = page["accesses"][0]["id"].as_str().unwrap().to_string();
    app.clock.advance(Duration::minutes(40));

    // Act + Assert: not released while it waits, whatever its date.
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert!(hold_of(app, &id).await.released_at.is_none());
    // Approved, it is sealed, and the next round releases it with the sealed notice.
    app.sign_in_with_passkey("Morgan Lee").await;
    assert_eq!(decide(app, &id, "approve", &[]).await.0, 200);
    assert!(hold_of(app, &id).await.sealed_at.is_some());
    assert!(emails_of_kind(app, "emergency_access_opened").await.is_empty());
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert!(hold_of(app, &id).await.released_at.is_some());
    let released = emails_of_kind(app, "sealed_notice_released").await;
    assert_eq!(released.len(), 1, "{released:?}");
    assert!(released[0].2.contains("ORDER-2026-771"), "{}", released[0].2);
});

on_both_databases!(async fn racing_releases_and_racing_extensions_each_happen_once(app) {
    // Arrange
    let id = held_and_live(app, RELEASE_ON).await;
    let request: app::model::RequestId = id.parse().unwrap();
    let (morgan, ines) = (
        staff_id(app, "morgan.lee@staff.example.org").await.parse().unwrap(),
        staff_id(app, "ines.duarte@staff.example.org").await.parse().unwrap(),
    );

    // Act: both admins ask for an extension at the same moment.
    let ask = |admin| glassbox::services::legal_holds::ask_extension(&app.db, &app.clock, &app.settings, admin, request, ("2027-01-15", "Order renewed"));
    let (a, b) = tokio::join!(ask(morgan), ask(ines));

    // Assert: one waits, the other is told one already waits.
    assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{a:?} {b:?}");
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM legal_hold_extensions").await, 1);

    // Act: two release rounds at once, on the release date.
    app.clock.advance(time::macros::datetime!(2026-12-09 00:00 UTC) - app.clock.now());
    let round = || release_due(&app.db, &app.clock, &app.settings, 100);
    let (x, y) = tokio::join!(round(), round());

    // Assert: released once, one email, one logged release (the app's own notice job may
    // be a third contender, and win).
    assert!(x.unwrap() + y.unwrap() <= 1);
    assert!(hold_of(app, &id).await.released_at.is_some());
    assert_eq!(emails_of_kind(app, "sealed_notice_released").await.len(), 1);
    let hold = hold_of(app, &id).await;
    let released = legal_holds::changes_of(&app.db, hold.id).await.unwrap().into_iter().filter(|c| c.change == "released").count();
    assert_eq!(released, 1);
});

on_both_databases!(async fn an_operator_sees_how_many_notices_are_sealed_and_whether_any_is_late(app) {
    // Arrange: one sealed, due on 9 December.
    let id = held_and_live(app, RELEASE_ON).await;
    let at = |t| glassbox::db::gauges::read(&app.db, t);

    // Act + Assert: sealed and not due; on its date, due until released; then neither.
    let before = at(time::macros::datetime!(2026-12-08 23:59 UTC)).await.unwrap();
    assert_eq!((before.holds_sealed, before.holds_due), (1, 0));
    let on_the_day = at(time::macros::datetime!(2026-12-09 00:00 UTC)).await.unwrap();
    assert_eq!((on_the_day.holds_sealed, on_the_day.holds_due), (1, 1));
    app.clock.advance(time::macros::datetime!(2026-12-09 00:00 UTC) - app.clock.now());
    release_due(&app.db, &app.clock, &app.settings, 100).await.unwrap();
    assert!(hold_of(app, &id).await.released_at.is_some());
    let after = at(time::macros::datetime!(2026-12-09 00:00 UTC)).await.unwrap();
    assert_eq!((after.holds_sealed, after.holds_due), (0, 0));
});
