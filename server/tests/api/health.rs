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
