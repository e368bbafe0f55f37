//! Real sign-in against the test OpenID Connect provider: owners and staff, the second
//! factor, step-up before approval, and every way a callback can be forged or replayed.

use crate::helpers::{location, oidc_issuer, spawn_app_with, with_oidc, Options, TestApp};
use app::api::requests::ApproveRequest;
use glassbox::db::Backend;
use glassbox::services::totp;

async fn app_with_provider(backend: Backend) -> Option<TestApp> {
    let issuer = oidc_issuer().await?;
    spawn_app_with(
        backend,
        Options {
            seed: true,
            configure: with_oidc(issuer),
        },
    )
    .await
}

macro_rules! with_provider {
    ($name:ident, $backend:expr, |$app:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some($app) = app_with_provider($backend).await else { return };
            $body
            $app.finish().await;
        }
    };
}

with_provider!(
    an_owner_signs_in_through_the_provider_and_lands_on_their_own_mailbox,
    Backend::Sqlite,
    |app| {
        let res = app.oidc_sign_in("alice", "alice-pw").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res).unwrap(), app.url("/me"));
        let (status, html) = app.get_page("/me").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Hello Alice Martin."),
            "bound to the demo owner by her verified email"
        );
        assert!(html.contains("alice@example.org"));
    }
);

with_provider!(
    an_owner_signs_in_the_same_way_on_postgres,
    Backend::Postgres,
    |app| {
        let res = app.oidc_sign_in("alice", "alice-pw").await;
        assert_eq!(location(&res).unwrap(), app.url("/me"));
        assert!(app.get_page("/me").await.1.contains("Hello Alice Martin."));
    }
);

with_provider!(
    the_session_id_is_renewed_when_the_provider_sends_the_owner_back,
    Backend::Sqlite,
    |app| {
        let callback = app
            .through_provider("/auth/login", "alice", "alice-pw")
            .await;
        let before = app
            .session_cookie()
            .expect("a session holds the sign-in in progress");
        app.client.get(&callback).send().await.unwrap();
        let after = app.session_cookie().unwrap();
        assert_ne!(before, after);
        let old = reqwest::Client::new()
            .get(app.url("/me"))
            .header("cookie", &before)
            .send()
            .await
            .unwrap();
        assert_eq!(
            old.status().as_u16(),
            401,
            "the pre-sign-in id signs nobody in"
        );
    }
);

with_provider!(a_replayed_callback_is_refused, Backend::Sqlite, |app| {
    let callback = app
        .through_provider("/auth/login", "alice", "alice-pw")
        .await;
    assert_eq!(
        app.client
            .get(&callback)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    app.post_form("/auth/logout", &[]).await;
    let replay = app.client.get(&callback).send().await.unwrap();
    assert_eq!(replay.status().as_u16(), 400);
    assert!(replay.text().await.unwrap().contains("already been used"));
    assert_eq!(app.get_page("/me").await.0, 401);
});

with_provider!(
    a_callback_with_a_forged_state_is_refused,
    Backend::Sqlite,
    |app| {
        let callback = app
            .through_provider("/auth/login", "alice", "alice-pw")
            .await;
        let forged = regex_lite::Regex::new(r"state=[^&]+")
            .unwrap()
            .replace(&callback, "state=forged")
            .to_string();
        let res = app.client.get(&forged).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400);
        assert_eq!(app.get_page("/me").await.0, 401);
        // The genuine callback cannot be used after that either: the attempt is spent.
        assert_eq!(
            app.client
                .get(&callback)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            400
        );
    }
);

with_provider!(
    a_callback_from_another_browser_is_refused,
    Backend::Sqlite,
    |app| {
        let callback = app
            .through_provider("/auth/login", "alice", "alice-pw")
            .await;
        // An attacker's browser (no session) presents the victim's code.
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&callback)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
        // The victim's own browser can still finish: the code was not spent by the attacker.
        let own = app.client.get(&callback).send().await.unwrap();
        assert_eq!(own.status().as_u16(), 303);
    }
);

with_provider!(
    an_owner_whose_email_is_not_verified_is_not_bound_to_a_mailbox,
    Backend::Sqlite,
    |app| {
        let res = app.oidc_sign_in("bob", "bob-pw").await;
        assert_eq!(res.status().as_u16(), 400);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("has not verified your email address"));
        assert_eq!(app.get_page("/me").await.0, 401);
    }
);

with_provider!(
    a_wrong_password_at_the_provider_never_reaches_glassbox,
    Backend::Sqlite,
    |app| {
        let start = app.client.get(app.url("/auth/login")).send().await.unwrap();
        let mut url = location(&start).unwrap();
        while !url.contains("/interaction/") {
            url = location(&app.client.get(&url).send().await.unwrap()).unwrap();
        }
        let res = app
            .client
            .post(&url)
            .form(&[("login", "alice"), ("password", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401);
        assert_eq!(app.get_page("/me").await.0, 401);
    }
);

with_provider!(
    signing_out_ends_the_provider_session_too,
    Backend::Sqlite,
    |app| {
        app.oidc_sign_in("alice", "alice-pw").await;
        let res = app.post_form("/auth/logout", &[]).await;
        assert_eq!(res.status().as_u16(), 303);
        let to = location(&res).unwrap();
        assert!(to.starts_with("http://127.0.0.1:9400/"), "{to}");
        assert!(to.contains("id_token_hint="));
        assert_eq!(app.get_page("/me").await.0, 401);
    }
);

/// Goes through the provider from `start` and returns the status of Glassbox's callback.
async fn sign_in_status(app: &TestApp, start: &str, login: &str, password: &str) -> u16 {
    let callback = app.through_provider(start, login, password).await;
    app.client
        .get(&callback)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn enrolment_key(html: &str) -> Vec<u8> {
    let key = regex_lite::Regex::new(r"Key: <code>([A-Z2-7]+)</code>")
        .unwrap()
        .captures(html)
        .expect("an enrolment key")[1]
        .to_string();
    totp_rs::Secret::Encoded(key).to_bytes().unwrap()
}

with_provider!(
    staff_sign_in_needs_the_provider_and_a_totp_code_enrolled_by_qr,
    Backend::Sqlite,
    |app| {
        let callback = app.through_provider("/staff/login", "sam", "sam-pw").await;
        let res = app.client.get(&callback).send().await.unwrap();
        assert_eq!(location(&res).unwrap(), app.url("/staff/totp"));
        // Not signed in before the second factor.
        assert_eq!(app.get_page("/staff").await.0, 401);
        let (status, page) = app.get_page("/staff/totp").await;
        assert_eq!(status, 200);
        assert!(page.contains("<svg") && page.contains("QR code"));
        let secret = enrolment_key(&page);
        let wrong = app.post_form("/staff/totp", &[("code", "000000")]).await;
        assert_eq!(wrong.status().as_u16(), 400);
        let code = totp::code_at(&secret, app.clock.now()).unwrap();
        let ok = app.post_form("/staff/totp", &[("code", &code)]).await;
        assert_eq!(ok.status().as_u16(), 303);
        assert_eq!(location(&ok).unwrap(), app.url("/staff"));
        let (status, console) = app.get_page("/staff").await;
        assert_eq!(status, 200);
        assert!(console.contains("Sam Rivera"));

        // The next sign-in asks for a code at once, without showing the key again.
        app.post_form("/auth/logout", &[]).await;
        let callback = app.through_provider("/staff/login", "sam", "sam-pw").await;
        app.client.get(&callback).send().await.unwrap();
        let (_, page) = app.get_page("/staff/totp").await;
        assert!(
            !page.contains("Key:"),
            "the secret is shown only at enrolment"
        );
        app.clock.advance(time::Duration::seconds(30));
        let code = totp::code_at(&secret, app.clock.now()).unwrap();
        assert_eq!(
            app.post_form("/staff/totp", &[("code", &code)])
                .await
                .status()
                .as_u16(),
            303
        );
    }
);

with_provider!(
    too_many_wrong_totp_codes_end_the_attempt,
    Backend::Sqlite,
    |app| {
        let callback = app
            .through_provider("/staff/login", "morgan", "morgan-pw")
            .await;
        app.client.get(&callback).send().await.unwrap();
        app.get_page("/staff/totp").await;
        for _ in 0..5 {
            assert_eq!(
                app.post_form("/staff/totp", &[("code", "123456")])
                    .await
                    .status()
                    .as_u16(),
                400
            );
        }
        assert_eq!(
            app.post_form("/staff/totp", &[("code", "123456")])
                .await
                .status()
                .as_u16(),
            429
        );
        let again = app.post_form("/staff/totp", &[("code", "123456")]).await;
        assert_eq!(
            location(&again).unwrap(),
            app.url("/staff/login"),
            "back to the start"
        );
        assert_eq!(app.get_page("/staff").await.0, 401);
    }
);

with_provider!(
    someone_who_is_not_staff_cannot_sign_in_to_the_console,
    Backend::Sqlite,
    |app| {
        let callback = app
            .through_provider("/staff/login", "alice", "alice-pw")
            .await;
        let res = app.client.get(&callback).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403);
        assert_eq!(app.get_page("/staff/totp").await.0, 303);
    }
);

with_provider!(
    approving_needs_a_recent_sign_in_and_a_fresh_one_unlocks_it,
    Backend::Sqlite,
    |app| {
        let token = app.service_token().await;
        let id = app.create_request(&token, serde_json::json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.oidc_sign_in("alice", "alice-pw").await;
        app.clock.advance(time::Duration::minutes(11));
        let (status, body) = app
            .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")])
            .await;
        assert_eq!(status, 401, "{body}");
        let url = body["StepUpRequired"]["sign_in_url"]
            .as_str()
            .expect("where to sign in again")
            .to_string();
        assert!(url.contains("fresh=1") && url.contains(&id));
        // The fresh sign-in asks the provider to log the owner in again and comes back here.
        let start = app.client.get(app.url(&url)).send().await.unwrap();
        let to_provider = location(&start).unwrap();
        assert!(
            to_provider.contains("prompt=login") && to_provider.contains("max_age=0"),
            "{to_provider}"
        );
        let callback = app
            .through_provider(&to_provider, "alice", "alice-pw")
            .await;
        let back = app.client.get(&callback).send().await.unwrap();
        assert_eq!(
            location(&back).unwrap(),
            app.url(&format!("/me/requests/{id}"))
        );
        let (status, body) = app
            .server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")])
            .await;
        assert_eq!(status, 200, "{body}");
    }
);

with_provider!(
    a_newly_added_staff_member_signs_in_and_a_disabled_one_is_out_at_once,
    Backend::Sqlite,
    |app| {
        // A new person at the provider, then in Glassbox.
        let login = format!("nina{}", uuid::Uuid::new_v4().simple());
        let email = format!("{login}@staff.example.org");
        let res = reqwest::Client::new()
        .put(format!("http://127.0.0.1:9400/_test/users/{login}"))
        .json(&serde_json::json!({"password": "nina-pw", "sub": format!("sub-{login}"), "email": email, "email_verified": true, "name": "Nina"}))
        .send()
        .await
        .unwrap();
        assert_eq!(res.status().as_u16(), 204);
        assert_eq!(
            sign_in_status(&app, "/staff/login", &login, "nina-pw").await,
            403,
            "not staff yet"
        );

        glassbox::services::staff::add(
            &app.db,
            &app.clock,
            &app.settings,
            &email,
            app::model::StaffRole::Support,
            Some("Nina"),
        )
        .await
        .unwrap();
        let callback = app
            .through_provider("/staff/login", &login, "nina-pw")
            .await;
        app.client.get(&callback).send().await.unwrap();
        let (_, page) = app.get_page("/staff/totp").await;
        let code = totp::code_at(&enrolment_key(&page), app.clock.now()).unwrap();
        assert_eq!(
            app.post_form("/staff/totp", &[("code", &code)])
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(app.get_page("/staff").await.0, 200);

        // Disabled: the very next request has no staff session.
        glassbox::services::staff::disable_by_email(&app.db, &app.clock, &app.settings, &email)
            .await
            .unwrap();
        assert_eq!(app.get_page("/staff").await.0, 401);
        assert_eq!(
            sign_in_status(&app, "/staff/login", &login, "nina-pw").await,
            403,
            "and cannot sign in again"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_outside_the_allowed_networks_are_refused_even_with_a_session() {
    let Some(issuer) = oidc_issuer().await else {
        return;
    };
    let oidc = with_oidc(issuer);
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            seed: true,
            configure: Box::new(move |s| {
                oidc(s);
                s.staff.allowed_networks = vec!["10.0.0.0/8".parse().unwrap()];
                s.staff.trusted_proxy_header = Some("x-forwarded-for".into());
            }),
        },
    )
    .await
    .unwrap();
    // From 127.0.0.1: no staff sign-in, and a demo staff session is useless.
    let (status, page) = app.get_page("/staff/login").await;
    assert_eq!(status, 403);
    assert!(
        page.contains("organisation&#39;s networks") || page.contains("organisation's networks")
    );
    app.sign_in_as("Sam Rivera").await;
    assert_eq!(app.get_page("/staff").await.0, 401);
    // Through the trusted proxy, from inside the network: the console opens.
    let inside = app
        .client
        .get(app.url("/staff"))
        .header("x-forwarded-for", "10.4.5.6")
        .send()
        .await
        .unwrap();
    assert_eq!(inside.status().as_u16(), 200);
    // A client that writes an inside address before the one the proxy appended gets
    // nowhere: only the right-most entry, the proxy's, is believed.
    let forged = app
        .client
        .get(app.url("/staff"))
        .header("x-forwarded-for", "10.1.2.3, 203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    // Owners are not affected by the staff network rule.
    app.sign_in_as("Alice Martin").await;
    assert_eq!(app.get_page("/me").await.0, 200);
    app.finish().await;
}

/// A new person at the test provider, with a mailbox address of their own; returns their
/// login (password `pw`) and subject.
async fn new_person_at_the_provider(extra_claims: serde_json::Value) -> (String, String) {
    let login = format!("p{}", uuid::Uuid::new_v4().simple());
    let sub = format!("sub-{login}");
    let res = reqwest::Client::new()
        .put(format!("http://127.0.0.1:9400/_test/users/{login}"))
        .json(&serde_json::json!({
            "password": "pw", "sub": sub, "email": format!("{login}@example.net"),
            "email_verified": true, "name": "Pat", "extra_claims": extra_claims
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    (login, sub)
}

/// Makes the test provider spoil every ID token it issues to `sub` in the way `mode` names
/// (re-signed with its own key, so only that claim is wrong), or stop doing so.
async fn spoil_id_tokens(sub: &str, mode: Option<&str>) {
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:9400/_test/tamper/{sub}");
    let res = match mode {
        Some(mode) => client.put(&url).json(&serde_json::json!({ "mode": mode })),
        None => client.delete(&url),
    }
    .send()
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 204);
}

/// Signs in once with a spoilt ID token (refused, nobody signed in), then once with a good
/// one (accepted): the refusal was the spoilt claim's doing, nothing else's.
async fn a_spoilt_id_token_is_refused(app: &TestApp, mode: &str) {
    let (login, sub) = new_person_at_the_provider(serde_json::json!({})).await;
    spoil_id_tokens(&sub, Some(mode)).await;
    let res = app.oidc_sign_in(&login, "pw").await;
    assert_eq!(res.status().as_u16(), 400, "{mode}");
    assert!(res.text().await.unwrap().contains("could not be verified"));
    assert_eq!(app.get_page("/me").await.0, 401, "{mode}: nobody signed in");

    spoil_id_tokens(&sub, None).await;
    let res = app.oidc_sign_in(&login, "pw").await;
    assert_eq!(
        res.status().as_u16(),
        303,
        "{mode}: the same person, a good token"
    );
    assert_eq!(app.get_page("/me").await.0, 200);
}

with_provider!(
    an_id_token_with_the_wrong_nonce_is_refused,
    Backend::Sqlite,
    |app| {
        a_spoilt_id_token_is_refused(&app, "wrong_nonce").await;
    }
);

with_provider!(
    an_id_token_for_another_client_is_refused,
    Backend::Sqlite,
    |app| {
        a_spoilt_id_token_is_refused(&app, "wrong_audience").await;
    }
);

with_provider!(an_expired_id_token_is_refused, Backend::Sqlite, |app| {
    a_spoilt_id_token_is_refused(&app, "expired").await;
});

with_provider!(
    an_id_token_from_another_issuer_is_refused,
    Backend::Sqlite,
    |app| {
        a_spoilt_id_token_is_refused(&app, "wrong_issuer").await;
    }
);

with_provider!(
    an_id_token_signed_with_a_strangers_key_is_refused,
    Backend::Sqlite,
    |app| {
        a_spoilt_id_token_is_refused(&app, "bad_signature").await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_can_come_from_a_claim_other_than_email() {
    let Some(issuer) = oidc_issuer().await else {
        return;
    };
    let oidc = with_oidc(issuer);
    let mut app = spawn_app_with(
        Backend::Sqlite,
        Options {
            seed: true,
            configure: Box::new(move |s| {
                oidc(s);
                let provider = s.auth.oidc.as_mut().unwrap();
                provider.email_claim = "mailbox".into();
                provider.email_verified_claim = "".into();
            }),
        },
    )
    .await
    .unwrap();
    let mailbox = format!("{}@example.org", uuid::Uuid::new_v4().simple());
    let (login, _) = new_person_at_the_provider(serde_json::json!({ "mailbox": mailbox })).await;
    assert_eq!(app.oidc_sign_in(&login, "pw").await.status().as_u16(), 303);
    let (_, page) = app.get_page("/me").await;
    assert!(page.contains(&mailbox), "bound to the configured claim");
    assert!(
        !page.contains(&format!("{login}@example.net")),
        "not to the email claim"
    );

    // Someone without that claim (in another browser) gets a clear refusal, not someone
    // else's mailbox.
    app.client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (other, _) = new_person_at_the_provider(serde_json::json!({})).await;
    let res = app.oidc_sign_in(&other, "pw").await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("did not share your email address"));
    app.finish().await;
}

/// Signs `login` in through the provider at the staff door and returns the TOTP page.
async fn staff_reach_the_second_factor(app: &TestApp, login: &str, password: &str) -> String {
    let callback = app.through_provider("/staff/login", login, password).await;
    app.client.get(&callback).send().await.unwrap();
    app.get_page("/staff/totp").await.1
}

with_provider!(
    a_totp_code_works_once_and_the_secret_is_stored_sealed,
    Backend::Sqlite,
    |app| {
        let page = staff_reach_the_second_factor(&app, "sam", "sam-pw").await;
        let secret = enrolment_key(&page);
        let code = totp::code_at(&secret, app.clock.now()).unwrap();
        let ok = app.post_form("/staff/totp", &[("code", &code)]).await;
        assert_eq!(ok.status().as_u16(), 303);

        let sam = glassbox::db::staff::find_staff_by_email(&app.db, "sam.rivera@staff.example.org")
            .await
            .unwrap()
            .unwrap();
        let stored = glassbox::db::staff::totp_secret(&app.db, sam.id)
            .await
            .unwrap()
            .expect("enrolled");
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_slice()),
            "a copy of the database does not reveal the second factor"
        );

        // Someone who watched the code being typed signs in at the provider and replays it.
        app.post_form("/auth/logout", &[]).await;
        staff_reach_the_second_factor(&app, "sam", "sam-pw").await;
        let replay = app.post_form("/staff/totp", &[("code", &code)]).await;
        assert_eq!(replay.status().as_u16(), 400);
        assert!(replay.text().await.unwrap().contains("already used"));
        assert_eq!(app.get_page("/staff").await.0, 401);

        // The next code (thirty seconds on) works.
        app.clock.advance(time::Duration::seconds(30));
        let next = totp::code_at(&secret, app.clock.now()).unwrap();
        let ok = app.post_form("/staff/totp", &[("code", &next)]).await;
        assert_eq!(ok.status().as_u16(), 303);
        assert_eq!(app.get_page("/staff").await.0, 200);
    }
);

with_provider!(
    a_staff_session_ends_eight_hours_after_sign_in_however_busy,
    Backend::Sqlite,
    |app| {
        let page = staff_reach_the_second_factor(&app, "morgan", "morgan-pw").await;
        let code = totp::code_at(&enrolment_key(&page), app.clock.now()).unwrap();
        let signed_in = app.post_form("/staff/totp", &[("code", &code)]).await;
        assert_eq!(signed_in.status().as_u16(), 303);
        let cookie = signed_in
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            cookie.contains("Max-Age=900"),
            "fifteen idle minutes end a staff session: {cookie}"
        );
        // Busy: used every ten minutes (within the fifteen-minute idle limit) for 7 h 59.
        for _ in 0..47 {
            app.clock.advance(time::Duration::minutes(10));
            assert_eq!(app.get_page("/staff").await.0, 200, "in use");
        }
        app.clock.advance(time::Duration::minutes(9));
        assert_eq!(
            app.get_page("/staff").await.0,
            200,
            "still inside eight hours"
        );
        app.clock.advance(time::Duration::minutes(2));
        assert_eq!(app.get_page("/staff").await.0, 401, "past eight hours");
        assert_eq!(
            app.get_page("/staff").await.0,
            401,
            "the session is gone, not just refused once"
        );
    }
);

with_provider!(
    a_step_up_whose_id_token_shows_no_new_sign_in_leaves_approval_locked,
    Backend::Sqlite,
    |app| {
        let (login, sub) = new_person_at_the_provider(serde_json::json!({})).await;
        assert_eq!(app.oidc_sign_in(&login, "pw").await.status().as_u16(), 303);
        let token = app.service_token().await;
        let mailbox = format!("{login}@example.net");
        let id = app
            .create_request(&token, serde_json::json!({"mailbox": mailbox}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.clock.advance(time::Duration::minutes(11));
        let approve = [("id", id.as_str()), ("confirm", "yes")];
        let (status, body) = app.server_fn::<ApproveRequest>(&approve).await;
        assert_eq!(status, 401, "{body}");
        let url = body["StepUpRequired"]["sign_in_url"]
            .as_str()
            .unwrap()
            .to_string();
        // A provider that ignores prompt=login answers with the old sign-in's time, or none.
        for mode in ["stale_auth_time", "no_auth_time"] {
            spoil_id_tokens(&sub, Some(mode)).await;
            let start = app.client.get(app.url(&url)).send().await.unwrap();
            let callback = app
                .through_provider(&location(&start).unwrap(), &login, "pw")
                .await;
            let back = app.client.get(&callback).send().await.unwrap();
            assert_eq!(back.status().as_u16(), 400, "{mode}");
            assert!(
                back.text()
                    .await
                    .unwrap()
                    .contains("did not ask you to sign in again"),
                "{mode}"
            );
            let (status, body) = app.server_fn::<ApproveRequest>(&approve).await;
            assert_eq!(status, 401, "{mode}: approval stays locked: {body}");
        }
        // A real new sign-in unlocks it.
        spoil_id_tokens(&sub, None).await;
        let start = app.client.get(app.url(&url)).send().await.unwrap();
        let callback = app
            .through_provider(&location(&start).unwrap(), &login, "pw")
            .await;
        assert_eq!(
            app.client
                .get(&callback)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            303
        );
        let (status, body) = app.server_fn::<ApproveRequest>(&approve).await;
        assert_eq!(status, 200, "{body}");
    }
);

/// Where passkeys are required (`staff.require_passkey`): a staff member with no second
/// factor adds a passkey at their first sign-in, which completes it; from then on only that
/// passkey signs them in, the TOTP form is not offered, and no second key can be slipped in
/// during a sign-in. The owner then sees that the agent had signed in with a security key.
async fn passkeys_required_at_the_staff_door(backend: Backend) {
    use crate::authenticator::SoftKey;
    let Some(issuer) = oidc_issuer().await else {
        return;
    };
    let Some(app) = spawn_app_with(
        backend,
        Options {
            seed: true,
            configure: Box::new(move |s| {
                with_oidc(issuer)(s);
                s.staff.require_passkey = true;
            }),
        },
    )
    .await
    else {
        return;
    };
    // First sign-in: no second factor yet, so a passkey is added, and that signs Sam in.
    let page = staff_reach_the_second_factor(&app, "sam", "sam-pw").await;
    assert!(page.contains("Add a passkey and sign in"), "{page}");
    assert!(
        !page.contains("Six-digit code"),
        "no TOTP where passkeys are required: {page}"
    );
    assert_eq!(app.get_page("/staff").await.0, 401, "not signed in yet");
    let mut key = SoftKey::new();
    let (_, options) = app
        .post_json("/staff/passkey/enrol/options", serde_json::json!({}))
        .await;
    let credential = key.create(&options);
    let (status, body) = app
        .post_json(
            "/staff/passkey/enrol",
            serde_json::json!({"name": "Sam's YubiKey", "credential": credential}),
        )
        .await;
    assert_eq!(
        (status, body["redirect"].as_str()),
        (200, Some("/staff")),
        "{body}"
    );
    assert_eq!(app.get_page("/staff").await.0, 200);

    // Next sign-in: the passkey, and only it.
    app.post_form("/auth/logout", &[]).await;
    let page = staff_reach_the_second_factor(&app, "sam", "sam-pw").await;
    assert!(page.contains("Sign in with a passkey"), "{page}");
    assert!(!page.contains("Six-digit code"), "{page}");
    let (status, _) = app
        .post_json("/staff/passkey/enrol/options", serde_json::json!({}))
        .await;
    assert_eq!(
        status, 403,
        "a second key cannot be added by someone who only passed the provider"
    );
    let (_, options) = app
        .post_json("/staff/passkey/sign-in/options", serde_json::json!({}))
        .await;
    let answer = key.get(&options);
    let (status, body) = app
        .post_json(
            "/staff/passkey/sign-in",
            serde_json::json!({"credential": answer}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get_page("/staff").await.0, 200);
    // The same answer again, after signing out and in at the provider: refused.
    app.post_form("/auth/logout", &[]).await;
    staff_reach_the_second_factor(&app, "sam", "sam-pw").await;
    app.post_json("/staff/passkey/sign-in/options", serde_json::json!({}))
        .await;
    let (status, _) = app
        .post_json(
            "/staff/passkey/sign-in",
            serde_json::json!({"credential": answer}),
        )
        .await;
    assert_eq!(status, 400, "a replayed passkey answer signs nobody in");
    assert_eq!(app.get_page("/staff").await.0, 401);
    let (_, options) = app
        .post_json("/staff/passkey/sign-in/options", serde_json::json!({}))
        .await;
    let (status, _) = app
        .post_json(
            "/staff/passkey/sign-in",
            serde_json::json!({"credential": key.get(&options)}),
        )
        .await;
    assert_eq!(status, 200);

    // Sam, so signed in, is granted access and uses it: Alice sees a security key behind it.
    let token = app.service_token().await;
    let id = app
        .create_request(&token, serde_json::json!({"agent": "sam.rivera", "scopes": ["metadata"], "duration_minutes": 30}))
        .await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    assert_eq!(
        app.server_fn::<ApproveRequest>(&[("id", &id), ("confirm", "yes")])
            .await
            .0,
        200
    );
    app.clock.advance(time::Duration::minutes(1));
    assert_eq!(
        app.check(&token, "alice@example.org", "sam.rivera", "metadata")
            .await["decision"],
        "allow"
    );
    let (_, html) = app.get_page("/me/history").await;
    assert!(
        html.contains("signed in with a security key (passkey)"),
        "{html}"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_passkeys_are_required_staff_add_one_at_first_sign_in_and_then_sign_in_only_with_it_on_sqlite(
) {
    passkeys_required_at_the_staff_door(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_passkeys_are_required_staff_add_one_at_first_sign_in_and_then_sign_in_only_with_it_on_postgres(
) {
    passkeys_required_at_the_staff_door(Backend::Postgres).await;
}

with_provider!(
    a_staff_member_with_no_second_factor_may_choose_a_passkey_over_an_authenticator_app,
    Backend::Sqlite,
    |app| {
        use crate::authenticator::SoftKey;
        // Both are offered at the first sign-in: a passkey first, the QR code as the alternative.
        let page = staff_reach_the_second_factor(&app, "sam", "sam-pw").await;
        assert!(
            page.contains("Add a passkey as your second factor"),
            "{page}"
        );
        assert!(page.contains("Or use an authenticator app"), "{page}");
        let mut key = SoftKey::new();
        let (_, options) = app
            .post_json("/staff/passkey/enrol/options", serde_json::json!({}))
            .await;
        let credential = key.create(&options);
        let (status, body) = app
            .post_json(
                "/staff/passkey/enrol",
                serde_json::json!({"name": "Sam's phone", "credential": credential}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(app.get_page("/staff").await.0, 200);
        // Next time the passkey is asked for; with no TOTP enrolled, no code form is offered.
        app.post_form("/auth/logout", &[]).await;
        let page = staff_reach_the_second_factor(&app, "sam", "sam-pw").await;
        assert!(page.contains("Sign in with a passkey"), "{page}");
        assert!(!page.contains("Six-digit code"), "{page}");
        // The staff sign-in record says how.
        let passkey_sign_ins = glassbox::db::on_pool_for_tests(
            &app.db,
            "SELECT COUNT(*) FROM staff_sign_ins WHERE factor = 'passkey'",
        )
        .await;
        assert_eq!(
            passkey_sign_ins, 1,
            "the first sign-in, made by adding the passkey"
        );
    }
);
