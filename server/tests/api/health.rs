use crate::on_both_databases;

on_both_databases!(async fn health_says_the_process_is_alive(app) {
    let res = app.get("/healthz").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "ok");
});

on_both_databases!(async fn readiness_says_the_database_answers(app) {
    let res = app.get("/readyz").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["database"], "ok");
});

on_both_databases!(async fn readiness_fails_when_the_database_is_gone(app) {
    app.db.close().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status().as_u16(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
    assert!(!body.to_string().to_lowercase().contains("pool"), "no internals leak: {body}");
});

on_both_databases!(async fn every_response_carries_a_request_id(app) {
    let res = app.get("/healthz").await;
    let id = res.headers().get("x-request-id").expect("x-request-id").to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_address_only() {
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = crate::helpers::spawn_app_with(
        glassbox::db::Backend::Sqlite,
        crate::helpers::Options {
            seed: true,
            configure: Box::new(move |s| {
                s.metrics.bind = Some(format!("127.0.0.1:{metrics_port}").parse().unwrap())
            }),
        },
    )
    .await
    .unwrap();
    let token = app.service_token().await;
    app.check(&token, "alice@example.org", "sam.rivera", "metadata")
        .await;
    assert_eq!(
        app.get("/metrics").await.status().as_u16(),
        404,
        "never on the public port"
    );
    let mut body = String::new();
    for _ in 0..50 {
        body = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body.contains("glassbox_sessions") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for name in [
        "glassbox_check_decisions_total{decision=\"deny\"}",
        "glassbox_check_duration_seconds",
        "glassbox_http_requests_total",
        "route=\"/api/v1/access/check\"",
        "glassbox_log_batch_size",
        "glassbox_log_commit_duration_seconds",
        "glassbox_outbox_messages",
        "glassbox_sessions",
        "glassbox_log_checkpoint_age_seconds",
        "glassbox_dovecot_kicks_pending",
        "glassbox_legal_holds_sealed",
        "glassbox_legal_holds_due",
    ] {
        assert!(body.contains(name), "{name} missing from:\n{body}");
    }
    assert!(
        !body.contains("alice@example.org"),
        "no personal data in labels"
    );
    app.finish().await;
}

#[test]
fn the_systemd_unit_is_clean_for_systemd_analyze() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/glassbox.service"
    ))
    .unwrap();
    for hardening in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "DynamicUser=yes",
        "StateDirectory=glassbox",
    ] {
        assert!(unit.contains(hardening), "{hardening}");
    }
    let Ok(status) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        eprintln!("systemd-analyze is not installed: the unit's verification was SKIPPED");
        return;
    };
    assert!(status.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("glassbox.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/glassbox", env!("CARGO_BIN_EXE_glassbox")),
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}"
    );
}
