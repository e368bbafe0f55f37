use crate::on_both_databases;

on_both_databases!(async fn a_cross_site_sign_in_is_refused(app) {
    let choices = app.demo_choices().await;
    let value = &choices[0].1;
    let plain = reqwest::Client::new();
    for (header, val) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let res = plain.post(app.url("/auth/demo")).header(header, val).form(&[("identity", value)]).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{header}: {val}");
        assert!(res.headers().get("set-cookie").is_none(), "no session for a forged request");
    }
    // No Origin and no Sec-Fetch-Site at all: refused too.
    let res = plain.post(app.url("/auth/demo")).form(&[("identity", value)]).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_site_request");
});

on_both_databases!(async fn a_cross_site_sign_out_does_not_end_the_session(app) {
    app.sign_in_as("Alice Martin").await;
    let cookie = app.session_cookie().unwrap();
    let res = reqwest::Client::new()
        .post(app.url("/auth/logout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(app.get_page("/me").await.0, 200, "still signed in");
});

on_both_databases!(async fn a_cross_site_server_function_call_is_refused(app) {
    app.sign_in_as("Alice Martin").await;
    let cookie = app.session_cookie().unwrap();
    let path = <app::api::overview::LoadOverview as leptos::server_fn::ServerFn>::PATH;
    let res = reqwest::Client::new()
        .post(app.url(path))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // The same call from our own origin works: the refusal above is the CSRF guard.
    let ok = app.client.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["display_name"], "Alice Martin");
});

on_both_databases!(async fn pages_carry_strict_security_headers_and_a_fresh_csp_nonce(app) {
    let res = app.get("/").await;
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("object-src 'none'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let html = res.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "scripts carry this response's nonce");
    let again = app.get("/").await;
    let csp2 = again.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_ne!(csp, csp2, "a new nonce per response");
});

on_both_databases!(async fn an_oversized_body_is_refused_before_it_reaches_a_handler(app) {
    let big = "x".repeat(200 * 1024);
    let res = app.post_form("/auth/demo", &[("identity", &big)]).await;
    assert_eq!(res.status().as_u16(), 413);
    assert!(app.session_cookie().is_none());
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_from_one_address_are_rate_limited() {
    let app = crate::helpers::spawn_app_with(
        glassbox::db::Backend::Sqlite,
        crate::helpers::Options {
            seed: true,
            configure: Box::new(|s| s.auth.sign_in_per_minute = 6),
        },
    )
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let res = app
            .post_form(
                "/auth/demo",
                &[("identity", "owner:00000000-0000-0000-0000-000000000000")],
            )
            .await;
        statuses.push((
            res.status().as_u16(),
            res.headers().get("retry-after").is_some(),
        ));
    }
    assert!(
        statuses[..10].iter().all(|s| *s == (400, false)),
        "a burst of 10 is answered: {statuses:?}"
    );
    assert_eq!(statuses[10], (429, true));
    // Pages and the API are not slowed by it.
    assert_eq!(app.get_page("/").await.0, 200);
    app.finish().await;
}

#[tokio::test]
async fn forged_forwarded_addresses_do_not_escape_the_sign_in_limit() {
    let app = crate::helpers::spawn_app_with(
        glassbox::db::Backend::Sqlite,
        crate::helpers::Options {
            seed: false,
            configure: Box::new(|s| {
                s.auth.sign_in_per_minute = 6;
                s.staff.trusted_proxy_header = Some("x-forwarded-for".into());
            }),
        },
    )
    .await
    .unwrap();
    // Each attempt writes a new address to the left of the one "the proxy" appended.
    let mut limited = 0;
    for i in 0..40 {
        let res = app
            .client
            .get(app.url("/auth/callback"))
            .header("x-forwarded-for", format!("198.51.100.{i}, 192.0.2.10"))
            .send()
            .await
            .unwrap();
        if res.status().as_u16() == 429 {
            limited += 1;
        }
    }
    assert!(
        limited >= 25,
        "the proxy-appended address is the key: {limited} of 40 limited"
    );
    app.finish().await;
}

#[test]
fn the_licence_the_workspace_declares_is_in_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"AGPL-3.0-or-later\""));
    let licence = std::fs::read_to_string(root.join("LICENSE")).expect("a LICENSE file at the top");
    assert!(licence.starts_with("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007"));
    assert!(licence.contains("or (at your option) any later version"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_half_sent_connections_are_closed_and_checks_keep_answering() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app_with(
        glassbox::db::Backend::Sqlite,
        crate::helpers::Options {
            seed: true,
            configure: Box::new(|s| s.http.header_read_timeout_seconds = 2),
        },
    )
    .await
    .unwrap();
    let token = app.service_token().await;
    let addr = app.address.trim_start_matches("http://").to_string();
    // 500 connections: half send nothing, half send half a request head.
    let mut held = Vec::new();
    for i in 0..500 {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 1 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .await
                .unwrap();
        }
        held.push(stream);
    }
    let opened = std::time::Instant::now();
    // A well-behaved client is still answered promptly while they are held.
    for _ in 0..5 {
        let asked = std::time::Instant::now();
        let answer = app
            .check(&token, "alice@example.org", "sam.rivera", "metadata")
            .await;
        assert_eq!(answer["decision"], "deny", "{answer}");
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(2),
            "check took {:?}",
            asked.elapsed()
        );
    }
    // Every held connection is closed by the server within a few seconds.
    let closed = futures_util::future::join_all(held.iter_mut().map(|s| async move {
        let mut buf = [0u8; 512];
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(6), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue, // a 408 answer before the close
                Err(_) => return false,
            }
        }
    }))
    .await;
    let still_open = closed.iter().filter(|c| !**c).count();
    assert_eq!(
        still_open,
        0,
        "{still_open} of 500 connections were still open after {:?}",
        opened.elapsed()
    );
    assert!(opened.elapsed() < std::time::Duration::from_secs(8));
    app.finish().await;
}

on_both_databases!(async fn a_request_for_another_host_name_is_refused_on_every_route(app) {
    let choices = app.demo_choices().await;
    let plain = reqwest::Client::new();
    // DNS rebinding: the attacker's name resolves to 127.0.0.1, so the browser sends the
    // attacker's Host (and, being same-origin to the attacker's page, a matching Origin).
    let demo = plain
        .post(app.url("/auth/demo"))
        .header("host", "attacker.example")
        .header("origin", "http://attacker.example")
        .form(&[("identity", choices[0].1.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(demo.status().as_u16(), 421);
    assert!(demo.headers().get("set-cookie").is_none(), "no session for another host");
    for path in ["/dev/mailbox", "/", "/api/v1/openapi.json", "/log/checkpoint"] {
        let res = plain.get(app.url(path)).header("host", "attacker.example:80").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 421, "{path}");
    }
    // Under its own name everything answers; health probes answer to any name.
    assert_eq!(plain.get(app.url("/dev/mailbox")).send().await.unwrap().status().as_u16(), 200);
    let probe = plain.get(app.url("/healthz")).header("host", "10.0.0.7:8080").send().await.unwrap();
    assert_eq!(probe.status().as_u16(), 200);
});

#[tokio::test]
async fn guessing_email_link_tokens_is_rate_limited_per_address() {
    let app = crate::helpers::spawn_app_with(
        glassbox::db::Backend::Sqlite,
        crate::helpers::Options {
            seed: false,
            configure: Box::new(|s| s.auth.email_link_per_minute = 10),
        },
    )
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for i in 0..40 {
        statuses.push(
            app.get(&format!("/email/requests/guess-{i}"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        20,
        "the burst is answered: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        20,
        "then refused: {statuses:?}"
    );
    app.finish().await;
}

on_both_databases!(async fn malformed_server_function_arguments_are_a_400_never_a_500(app) {
    let path = <app::api::overview::LoadLogProofs as leptos::server_fn::ServerFn>::PATH;
    let plain = reqwest::Client::new();
    for body in [
        r#"{"indexes":[-1],"since":null}"#,
        r#"{"indexes":[1.5],"since":null}"#,
        r#"{"indexes":["1"],"since":null}"#,
        r#"{"indexes":[18446744073709551616],"since":null}"#,
        r#"{"since":null}"#,
        "not json",
    ] {
        for signed_in in [false, true] {
            let client = if signed_in { &app.client } else { &plain };
            if signed_in {
                app.sign_in_as("Alice Martin").await;
            }
            let res = client
                .post(app.url(path))
                .header("content-type", "application/json")
                .header("origin", &app.address)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            assert_eq!(status, 400, "{body} (signed in: {signed_in}): {text}");
            assert!(!text.contains("server-fn"), "a clear message, not an internal reference: {text}");
        }
    }
    // A form server function missing an argument.
    let (status, body) = app.server_fn::<app::api::requests::DenyRequest>(&[]).await;
    assert_eq!(status, 400, "{body}");
});

on_both_databases!(async fn personal_and_token_bearing_answers_are_never_cached_and_link_pages_send_no_referrer(app) {
    let token = app.service_token().await;
    app.sign_in_as("Alice Martin").await;
    let page = app.get("/me").await;
    assert_eq!(page.headers()["cache-control"], "no-store", "a signed-in page");
    let res = app
        .client
        .post(app.url(<app::api::overview::LoadOverview as leptos::server_fn::ServerFn>::PATH))
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store", "a server function's answer");
    let check = app
        .client
        .post(app.url("/api/v1/access/check"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scope": "metadata", "action": "list_folders", "resource": "folder:inbox"}))
        .send()
        .await
        .unwrap();
    assert_eq!(check.status().as_u16(), 200);
    assert_eq!(check.headers()["cache-control"], "no-store", "an API answer");
    let link = app.get("/email/requests/not-a-real-token").await;
    assert_eq!(link.headers()["referrer-policy"], "no-referrer", "the link page's own policy wins");
    assert_eq!(link.headers()["cache-control"], "no-store");
    let css = app.get("/pkg/glassbox.css").await;
    assert_ne!(css.headers()["cache-control"], "no-store", "the stylesheet is not personal");
});
