//! "I don't recognise this": an owner reports an access or a request of their mailbox; the
//! report is kept once, each security admin is emailed, the admins' page lists it until one
//! marks it handled, and the owner is shown how to secure their account. Nobody reports
//! what is not theirs, and only security admins see the reports.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::reports::{HandleReport, LoadAdminReports, LoadReportPage, ReportUnrecognised};
use app::api::requests::ApproveRequest;
use glassbox::db::on_pool_for_tests;
use glassbox::domain::access_request::{Action, Actor, Grant};

/// An allowed access by sam.rivera to Alice's mailbox; returns its position and its request.
async fn an_access(app: &TestApp) -> (String, String) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sign_in_as("Alice Martin").await;
    let (status, body) = app
        .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.check(&token, "alice@example.org", "sam.rivera", "content")
            .await["decision"],
        "allow"
    );
    let seq = on_pool_for_tests(&app.db, "SELECT MAX(seq) FROM access_events").await;
    (seq.to_string(), id)
}

async fn reports_count(app: &TestApp) -> i64 {
    on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM owner_reports").await
}

async fn report_emails(app: &TestApp) -> Vec<(String, String)> {
    glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "owner_report")
        .map(|m| (m.recipient, m.body_text))
        .collect()
}

on_both_databases!(async fn an_owner_reports_an_access_once_and_every_security_admin_is_told_and_can_handle_it(app) {
    // Arrange
    let (seq, _) = an_access(app).await;

    // Act: Alice reports it, with a note, twice (a double-click, or a second visit).
    let (status, page) = app.server_fn::<ReportUnrecognised>(&[("access", &seq), ("note", "I was asleep then")]).await;
    let (again, page_again) = app.server_fn::<ReportUnrecognised>(&[("access", &seq), ("note", "Again")]).await;

    // Assert: one report, the steps to secure the account, both admins emailed once.
    assert_eq!((status, again), (200, 200), "{page} {page_again}");
    assert!(page["reported_at"].is_string(), "{page}");
    assert_eq!(page["reported_at"], page_again["reported_at"]);
    assert_eq!(page["steps"].as_array().map(Vec::len), Some(5));
    assert_eq!(page["steps"][0], "change_password");
    assert_eq!(reports_count(app).await, 1);
    let mut emails = report_emails(app).await;
    emails.sort();
    let to: Vec<&str> = emails.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(to, vec!["ines.duarte@staff.example.org", "morgan.lee@staff.example.org"]);
    assert!(emails[0].1.contains("I was asleep then"), "{}", emails[0].1);
    assert!(emails[0].1.contains("/admin/reports"), "{}", emails[0].1);
    // The owner's page says it was reported; it offers no second report.
    let (status, html) = app.get_page(&format!("/me/report?access={seq}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("The security team has been told"), "{html}");
    assert!(html.contains("Secure your account"), "{html}");
    assert!(!html.contains("Report this to the security team"), "{html}");

    // The admins' page lists it, open, with what Alice saw and her note.
    app.sign_in_as("Inês Duarte").await;
    let (status, list) = app.server_fn::<LoadAdminReports>(&[]).await;
    assert_eq!(status, 200, "{list}");
    let report = &list[0];
    assert_eq!(report["mailbox"], "alice@example.org");
    assert_eq!(report["note"], "I was asleep then");
    assert!(report["summary"].as_str().unwrap().contains("read the text of your messages"), "{report}");
    assert!(report["agent"][1].as_str().unwrap().contains("Sam Rivera"), "{report}");
    assert!(report["handled_at"].is_null());
    let id = report["id"].as_str().unwrap().to_string();
    let (status, handled) = app.server_fn::<HandleReport>(&[("id", &id)]).await;
    assert_eq!(status, 200, "{handled}");
    assert_eq!(handled["handled_by"], "Inês Duarte");
    let (_, twice) = app.server_fn::<HandleReport>(&[("id", &id)]).await;
    assert_eq!(twice["handled_at"], handled["handled_at"], "handled once");
    app.sign_in_as("Alice Martin").await;
    let (_, page) = app.server_fn::<LoadReportPage>(&[("access", &seq)]).await;
    assert_eq!(page["handled_at"], handled["handled_at"], "{page}");
});

on_both_databases!(async fn an_owner_reports_a_request_and_the_admins_see_it_in_words(app) {
    let (_, request) = an_access(app).await;

    let (status, page) = app.server_fn::<ReportUnrecognised>(&[("request", &request)]).await;

    assert_eq!(status, 200, "{page}");
    assert_eq!(page["request"]["id"], request.as_str());
    app.sign_in_as("Morgan Lee").await;
    let (_, list) = app.server_fn::<LoadAdminReports>(&[]).await;
    let summary = list[0]["summary"].as_str().unwrap();
    assert!(summary.starts_with("A request made at"), "{summary}");
    assert!(summary.contains("now approved"), "{summary}");
});

on_both_databases!(async fn nobody_reports_another_owners_access_or_request_and_nothing_is_kept(app) {
    let (seq, request) = an_access(app).await;
    app.sign_in_as("Bilal Haddad").await;

    for form in [[("access", seq.as_str())], [("request", request.as_str())]] {
        let (status, body) = app.server_fn::<ReportUnrecognised>(&form).await;
        assert_eq!(status, 404, "{form:?}: {body}");
        assert_eq!(app.server_fn::<LoadReportPage>(&form).await.0, 404, "{form:?}");
    }
    // An access position that does not exist is the same answer.
    assert_eq!(app.server_fn::<ReportUnrecognised>(&[("access", "999999999")]).await.0, 404);
    assert_eq!(reports_count(app).await, 0);
    assert!(report_emails(app).await.is_empty());
});

on_both_databases!(async fn a_report_without_a_subject_or_with_a_bad_note_is_refused_and_changes_nothing(app) {
    let (seq, request) = an_access(app).await;
    let long = "x".repeat(1001);
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "Open this page from an access or a request"),
        (&[("access", &seq), ("request", &request)], "Open this page from an access or a request"),
        (&[("access", "abc")], "Open this page from an access or a request"),
        (&[("access", &seq), ("note", &long)], "at most 1,000 characters"),
    ];
    for (form, words) in cases {
        let (status, body) = app.server_fn::<ReportUnrecognised>(form).await;
        assert_eq!(status, 400, "{form:?}: {body}");
        assert!(body.to_string().contains(words), "{form:?}: {body}");
    }
    assert_eq!(reports_count(app).await, 0);
});

on_both_databases!(async fn only_security_admins_see_and_handle_reports(app) {
    let (seq, _) = an_access(app).await;
    let (status, _) = app.server_fn::<ReportUnrecognised>(&[("access", &seq)]).await;
    assert_eq!(status, 200);
    app.sign_in_as("Inês Duarte").await;
    let id = app.server_fn::<LoadAdminReports>(&[]).await.1[0]["id"].as_str().unwrap().to_string();

    for who in ["Sam Rivera", "Alice Martin"] {
        app.sign_in_as(who).await;
        assert_eq!(app.server_fn::<LoadAdminReports>(&[]).await.0, 403, "{who}");
        assert_eq!(app.server_fn::<HandleReport>(&[("id", &id)]).await.0, 403, "{who}");
        let (status, html) = app.get_page("/admin/reports").await;
        assert_eq!(status, 403, "{who}");
        assert!(!html.contains("alice@example.org"), "{who}");
    }
    assert!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM owner_reports WHERE handled_at IS NULL").await == 1);
});

on_both_databases!(async fn the_request_email_and_the_first_access_email_link_to_the_report_page(app) {
    // Arrange: a new owner (access emails at once, the default) approves, and an access follows.
    let token = app.service_token().await;
    let people = app.new_people().await;
    let id = app.request_for(&token, &people, "You asked us to restore a folder").await;
    glassbox::services::requests::decide(&app.db, &app.clock, &app.settings, id, Actor::Owner(people.owner_id), Action::Approve(Grant::AS_ASKED))
        .await
        .unwrap();
    assert_eq!(app.check(&token, &people.mailbox, &people.agent, "metadata").await["decision"], "allow");

    // Act: the first-access job writes its email.
    glassbox::services::notifications::send_first_access_notices(&app.db, &app.clock, &app.settings, 100).await.unwrap();

    // Assert
    let report = format!("/me/report?request={id}");
    let bodies: Vec<(String, String)> = glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == people.owner_email)
        .map(|m| (m.kind, m.body_text))
        .collect();
    for kind in ["request_submitted", "first_access"] {
        let (_, body) = bodies.iter().find(|(k, _)| k == kind).unwrap_or_else(|| panic!("no {kind} email: {bodies:?}"));
        assert!(body.contains(&report) && body.contains("If you do not recognise this"), "{kind}: {body}");
    }
});
