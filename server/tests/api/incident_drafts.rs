//! A draft incident can be corrected and discarded by security admins while it is a draft
//! and only then; whoever corrected it last cannot confirm it, nor can a confirmation of a
//! revision the draft has moved past; a discard is recorded (who and when) and asks for
//! confirmation.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::api::incidents::{
    ConfirmIncident, DeclareIncident, DiscardIncident, EditIncident, LoadAdminIncident,
};
use glassbox::db::on_pool_for_tests;

const FORM: [(&str, &str); 7] = [
    ("title", "Laptop left on a train"),
    (
        "description",
        "A support laptop was lost; we are checking whether it was used.",
    ),
    ("cause", "other"),
    ("staff_member", ""),
    ("token", ""),
    ("window_start", "2026-11-01T08:00"),
    ("window_end", "2026-11-02T08:00"),
];

async fn declare(app: &TestApp) -> String {
    app.sign_in_as("Morgan Lee").await;
    let (status, id) = app.server_fn::<DeclareIncident>(&FORM).await;
    assert_eq!(status, 200, "{id}");
    id.as_str().unwrap().to_string()
}

fn edit_form<'a>(id: &'a str, title: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("id", id)];
    form.extend(FORM.iter().map(|(k, v)| match *k {
        "title" => (*k, title),
        "window_end" => (*k, "2026-11-03T09:30:15"),
        _ => (*k, *v),
    }));
    form
}

on_both_databases!(async fn a_draft_is_corrected_by_a_security_admin_and_whoever_corrected_it_last_cannot_confirm(app) {
    let id = declare(app).await;
    let (_, view) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(view["draft_form"]["title"], "Laptop left on a train", "the form starts from the declaration: {view}");
    assert_eq!(view["draft_form"]["window_start"], "2026-11-01T08:00:00");

    // A bad correction is refused and changes nothing.
    let mut bad = edit_form(&id, "Corrected title");
    bad.iter_mut().for_each(|f| if f.0 == "window_start" { f.1 = "2026-11-05T00:00" });
    let (status, body) = app.server_fn::<EditIncident>(&bad).await;
    assert_eq!(status, 400, "{body}");
    let (_, view) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(view["title"], "Laptop left on a train");

    // A support agent cannot correct it.
    app.sign_in_as("Sam Rivera").await;
    let (status, _) = app.server_fn::<EditIncident>(&edit_form(&id, "Sam's title")).await;
    assert_eq!(status, 403);

    // Inês corrects it: saved, and she is named; so now she cannot confirm it.
    app.sign_in_as("Inês Duarte").await;
    let (status, view) = app.server_fn::<EditIncident>(&edit_form(&id, "Support laptop lost on a train")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["title"], "Support laptop lost on a train");
    assert_eq!(view["window_end"], "2026-11-03T09:30:15Z");
    assert_eq!(view["edited_by"], "Inês Duarte");
    assert_eq!(view["status"], "draft");
    assert_eq!(view["can_confirm"], false);
    let (status, body) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("corrected it last"), "{body}");

    // Morgan corrects it again after Inês read it: her confirmation of what she read is
    // refused; once she has read the correction she may confirm, and it can no longer be
    // corrected.
    let (_, read) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    let read = read["revision"].as_i64().unwrap().to_string();
    app.sign_in_as("Morgan Lee").await;
    let (status, view) = app.server_fn::<EditIncident>(&edit_form(&id, "Support laptop lost")).await;
    assert_eq!(status, 200);
    assert_eq!(view["revision"].as_i64().unwrap(), read.parse::<i64>().unwrap() + 1, "{view}");
    app.sign_in_as("Inês Duarte").await;
    let (status, body) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes"), ("revision", &read)]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("corrected after you opened it"), "{body}");
    let (_, read) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!(read["status"], "draft", "nothing was confirmed");
    let read = read["revision"].as_i64().unwrap().to_string();
    let (status, view) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes"), ("revision", &read)]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["title"], "Support laptop lost");
    assert!(view["draft_form"].is_null());
    let (status, body) = app.server_fn::<EditIncident>(&edit_form(&id, "Rewritten afterwards")).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app.server_fn::<DiscardIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "{body}");
    let (_, view) = app.server_fn::<LoadAdminIncident>(&[("id", &id)]).await;
    assert_eq!((view["title"].as_str(), view["status"].as_str()), (Some("Support laptop lost"), Some("confirmed")));
});

on_both_databases!(async fn only_a_security_admin_discards_a_draft_after_confirming_and_the_discard_is_recorded(app) {
    let id = declare(app).await;
    let sql = |what: &str| format!("SELECT COUNT(*) FROM incidents WHERE {what}");

    // Not without ticking the box, and not by a support agent: nothing changes.
    let (status, body) = app.server_fn::<DiscardIncident>(&[("id", &id)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("Tick the box"));
    app.sign_in_as("Sam Rivera").await;
    let (status, _) = app.server_fn::<DiscardIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 403);
    assert_eq!(on_pool_for_tests(&app.db, &sql("status = 'draft' AND discarded_at IS NULL AND discarded_by IS NULL AND title = 'Laptop left on a train'")).await, 1);

    // The declarer discards it: recorded with who and when; it stays listed.
    app.sign_in_as("Morgan Lee").await;
    let (status, view) = app.server_fn::<DiscardIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "discarded");
    assert_eq!(view["discarded_by"], "Morgan Lee");
    assert!(view["discarded_at"].is_string());
    assert_eq!(on_pool_for_tests(&app.db, &sql("status = 'discarded' AND discarded_by IS NOT NULL AND discarded_at IS NOT NULL")).await, 1);

    // Nothing more can happen to it.
    let (status, _) = app.server_fn::<DiscardIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409);
    let (status, _) = app.server_fn::<EditIncident>(&edit_form(&id, "Again")).await;
    assert_eq!(status, 409);
    app.sign_in_as("Inês Duarte").await;
    let (status, _) = app.server_fn::<ConfirmIncident>(&[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409);
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM incident_mailboxes im JOIN incidents i ON i.id = im.incident_id WHERE i.status = 'discarded'").await, 0, "nothing recorded as affected");

    // The same declaration can be made again: a discarded draft is not an open incident.
    let again = declare(app).await;
    assert_ne!(again, id);
    let (status, page) = app.get_page(&format!("/admin/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("This draft was discarded by Morgan Lee"), "{page}");
});
