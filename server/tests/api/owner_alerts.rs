//! The owner is told of every change, as they chose: a request that expired or was
//! withdrawn, a grant shortened or about to end, and refused access attempts — one email
//! per burst of refusals. Each alert is written once, whoever runs the job how often.

use crate::helpers::{People, TestApp};
use crate::on_both_databases;
use glassbox::db::notices::AccessNotices;
use glassbox::domain::access_request::{Action, Actor, Grant};
use glassbox::services::{owner_alerts, requests};
use time::Duration;

/// The kinds of the emails queued for `recipient`, oldest first.
async fn kinds_for(app: &TestApp, recipient: &str) -> Vec<String> {
    let mut rows: Vec<_> = glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.recipient == recipient)
        .collect();
    rows.sort_by_key(|r| r.created_at);
    rows.into_iter().map(|r| r.kind).collect()
}

async fn body_of(app: &TestApp, kind: &str, recipient: &str) -> String {
    glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == kind && r.recipient == recipient)
        .unwrap_or_else(|| panic!("no {kind} email for {recipient}"))
        .body_text
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
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

async fn run_jobs(app: &TestApp) -> (usize, usize) {
    let warned = owner_alerts::send_grant_ending_warnings(&app.db, &app.clock, &app.settings, 1000)
        .await
        .unwrap();
    let alerted = owner_alerts::send_refusal_alerts(&app.db, &app.clock, &app.settings, 1000)
        .await
        .unwrap();
    (warned, alerted)
}

async fn choose(app: &TestApp, people: &People, choice: AccessNotices) {
    glassbox::services::notifications::set_access_notices(
        &app.db,
        &app.clock,
        people.owner_id,
        choice,
    )
    .await
    .unwrap();
}

on_both_databases!(async fn the_owner_is_told_when_a_request_expires_or_its_agent_withdraws_it(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let expiring = app.request_for(&token, &people, "Look at the sync problem").await;
    let withdrawn = app.request_for(&token, &people, "Look at the sync problem again").await;
    requests::cancel_for_its_agent(&app.db, &app.clock, &app.settings, withdrawn).await.unwrap();
    app.clock.advance(Duration::days(2));
    requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();
    assert_eq!(requests::get(&app.db, expiring).await.unwrap().status.as_str(), "expired");

    let kinds = kinds_for(app, &people.owner_email).await;
    assert_eq!(count(&kinds, "owner_request_expired"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "request_withdrawn"), 1, "{kinds:?}");
    let text = body_of(app, "owner_request_expired", &people.owner_email).await;
    assert!(text.contains("nobody got access"), "{text}");
    assert!(text.contains(&format!("/me/requests/{expiring}")), "{text}");
    let text = body_of(app, "request_withdrawn", &people.owner_email).await;
    assert!(text.contains("withdrew the request"), "{text}");
    // The agent still hears of the expiry.
    assert_eq!(count(&kinds_for(app, &people.agent_email).await, "request_expired"), 1);
});

on_both_databases!(async fn an_owner_who_chose_fewer_emails_is_not_told_of_expiry_or_withdrawal(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    choose(app, &people, AccessNotices::DailyDigest).await;
    let _expiring = app.request_for(&token, &people, "Look at the sync problem").await;
    let withdrawn = app.request_for(&token, &people, "Look at the sync problem again").await;
    requests::cancel_for_its_agent(&app.db, &app.clock, &app.settings, withdrawn).await.unwrap();
    app.clock.advance(Duration::days(2));
    requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();
    let kinds = kinds_for(app, &people.owner_email).await;
    assert_eq!(kinds, vec!["request_submitted", "request_submitted"], "only the requests themselves");
});

on_both_databases!(async fn stopping_everything_yourself_sends_you_no_withdrawal_email(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let _pending = app.request_for(&token, &people, "Look at the sync problem").await;
    requests::stop_all(&app.db, &app.clock, &app.settings, people.owner_id, None).await.unwrap();
    let kinds = kinds_for(app, &people.owner_email).await;
    assert_eq!(count(&kinds, "request_withdrawn"), 0, "{kinds:?}");
});

on_both_databases!(async fn shortening_tells_the_agent_and_the_owner_the_new_end_once_per_change(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let id = app.request_for(&token, &people, "Look at the sync problem").await;
    decide(app, &people, id, Action::Approve(Grant::AS_ASKED)).await;
    let now = app.clock.now();
    decide(app, &people, id, Action::Shorten { until: now + Duration::minutes(20) }).await;
    decide(app, &people, id, Action::Shorten { until: now + Duration::minutes(15) }).await;
    let owner = kinds_for(app, &people.owner_email).await;
    let agent = kinds_for(app, &people.agent_email).await;
    assert_eq!(count(&owner, "grant_shortened"), 2, "{owner:?}");
    assert_eq!(count(&agent, "grant_shortened_agent"), 2, "{agent:?}");
    let text = body_of(app, "grant_shortened_agent", &people.agent_email).await;
    assert!(text.contains("Your access now ends at"), "{text}");
});

on_both_databases!(async fn the_owner_is_warned_ten_minutes_before_a_grant_ends_once_and_again_after_a_shortening(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    // The API's default duration is an hour.
    let id = app.request_for(&token, &people, "Look at the sync problem").await;
    decide(app, &people, id, Action::Approve(Grant::AS_ASKED)).await;
    let end = requests::get(&app.db, id).await.unwrap().grant_ends_at.unwrap();

    app.clock.advance(end - app.clock.now() - Duration::minutes(11));
    assert_eq!(run_jobs(app).await.0, 0, "eleven minutes before the end: not yet");
    app.clock.advance(Duration::minutes(2));
    run_jobs(app).await;
    assert_eq!(run_jobs(app).await.0, 0, "warned only once");
    let kinds = kinds_for(app, &people.owner_email).await;
    assert_eq!(count(&kinds, "grant_ending_soon"), 1, "nine minutes before the end: warned: {kinds:?}");
    let text = body_of(app, "grant_ending_soon", &people.owner_email).await;
    assert!(text.contains("stops by itself"), "{text}");

    // Shortened to within the lead: the shortening's own email says when; no second warning.
    decide(app, &people, id, Action::Shorten { until: app.clock.now() + Duration::minutes(5) }).await;
    assert_eq!(run_jobs(app).await.0, 0);
    assert_eq!(count(&kinds_for(app, &people.owner_email).await, "grant_ending_soon"), 1);
});

on_both_databases!(async fn a_grant_no_longer_than_the_warnings_lead_gets_no_warning(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    let json = app
        .create_request(&token, serde_json::json!({"mailbox": people.mailbox, "agent": people.agent, "duration_minutes": 10,
            "justification": {"code": "customer_initiated_support", "text": "Quick look", "ticket": "T-42"}}))
        .await;
    let id: app::model::RequestId = json["id"].as_str().unwrap().parse().unwrap();
    decide(app, &people, id, Action::Approve(Grant::AS_ASKED)).await;
    app.clock.advance(Duration::minutes(1));
    assert_eq!(run_jobs(app).await.0, 0);
});

on_both_databases!(async fn a_burst_of_refused_attempts_sends_the_owner_one_alert_once_it_is_over(app) {
    let token = app.service_token().await;
    let people = app.new_people().await;
    for _ in 0..25 {
        assert_eq!(app.check(&token, &people.mailbox, &people.agent, "content").await["decision"], "deny");
    }
    assert_eq!(run_jobs(app).await.1, 0, "the burst is still going on");
    assert_eq!(count(&kinds_for(app, &people.owner_email).await, "access_refused"), 0);
    app.clock.advance(Duration::seconds(61));
    run_jobs(app).await;
    assert_eq!(run_jobs(app).await.1, 0, "only one alert");
    let kinds = kinds_for(app, &people.owner_email).await;
    assert_eq!(count(&kinds, "access_refused"), 1, "quiet for a minute: one alert: {kinds:?}");
    let text = body_of(app, "access_refused", &people.owner_email).await;
    assert!(text.contains("25 attempts"), "{text}");
    assert!(text.contains(&people.mailbox), "{text}");
    assert!(text.contains("25 times: no approved request"), "{text}");
    assert!(text.contains("/me/history?decision=denied"), "{text}");
    assert!(!text.contains(&people.agent), "staff appear by pseudonym only: {text}");

    // A later burst is a second alert, about that burst only.
    app.check(&token, &people.mailbox, &people.agent, "metadata").await;
    app.clock.advance(Duration::seconds(61));
    run_jobs(app).await;
    let alerts: Vec<String> = glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "access_refused" && r.recipient == people.owner_email)
        .map(|r| r.body_text)
        .collect();
    assert_eq!(alerts.len(), 2);
    assert!(alerts.iter().any(|t| t.contains("1 attempt to access")), "{alerts:?}");
});

on_both_databases!(async fn refusals_of_another_owner_or_an_owner_who_wants_no_access_emails_send_nothing(app) {
    let token = app.service_token().await;
    let quiet = app.new_people().await;
    let other = app.new_people().await;
    choose(app, &quiet, AccessNotices::Off).await;
    app.check(&token, &quiet.mailbox, &quiet.agent, "content").await;
    app.clock.advance(Duration::minutes(2));
    assert_eq!(run_jobs(app).await.1, 0);
    assert!(kinds_for(app, &quiet.owner_email).await.is_empty());
    assert!(kinds_for(app, &other.owner_email).await.is_empty());
    // Nor does it pile up for later: turning emails back on sends no old news.
    choose(app, &quiet, AccessNotices::Immediate).await;
    app.clock.advance(Duration::minutes(2));
    assert_eq!(run_jobs(app).await.1, 0);
});

on_both_databases!(async fn the_seeded_demo_history_sends_no_refusal_alerts(app) {
    // The demo's history has refusals of the last hour, but it is history: alerts are about
    // what happens from now on.
    assert_eq!(run_jobs(app).await.1, 0);
    let alerts = glassbox::db::outbox::list(&app.db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "access_refused")
        .count();
    assert_eq!(alerts, 0);
});
