//! Prometheus metrics, served at `/metrics` on their own address (`GLASSBOX__METRICS__BIND`,
//! off by default), never on the public port. Every name starts with `glassbox_`.
//!
//! - `glassbox_http_requests_total{route,method,status}`, `glassbox_http_request_duration_seconds{route}`
//! - `glassbox_check_decisions_total{decision}`, `glassbox_check_duration_seconds`
//! - `glassbox_log_batch_size`, `glassbox_log_commit_duration_seconds`,
//!   `glassbox_log_backlog_entered_total`, `glassbox_log_size`, `glassbox_log_checkpoint_age_seconds`
//! - `glassbox_outbox_messages{status}`, `glassbox_outbox_oldest_due_seconds`,
//!   `glassbox_email_sent_total`, `glassbox_email_failed_total`
//! - `glassbox_sessions`, `glassbox_rate_limited_total{limiter}`
//! - `glassbox_dovecot_kicks_pending`, `glassbox_imap_receipts_total{outcome}`
//!
//! The recorder is process-wide (the `metrics` facade has one); every application in the
//! process reports into it.

use crate::db::{gauges, Db};
use crate::domain::clock::Clock;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The process's recorder, installed on first use.
pub fn handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "could not install the metrics recorder; /metrics will be empty");
                None
            }
        })
        .clone()
}

/// Serves `/metrics` on `listener` until `stop` changes.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    mut stop: watch::Receiver<bool>,
) {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    handle.render(),
                )
                    .into_response()
            }
        }),
    );
    let shutdown = async move {
        let _ = stop.changed().await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "the metrics endpoint failed");
    }
}

/// Records every request's route (the matched pattern, never the raw path: ids and tokens
/// stay out of label values), method, status and latency.
pub async fn track_http(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!("glassbox_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("glassbox_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    res
}

/// A request a rate limit refused.
pub fn rate_limited(limiter: &'static str) {
    metrics::counter!("glassbox_rate_limited_total", "limiter" => limiter).increment(1);
}

/// Reads the stored figures every `every` and publishes them as gauges, until `stop`.
pub async fn run_gauges(db: Db, clock: Clock, every: Duration, stop: watch::Receiver<bool>) {
    crate::jobs::run_every("metrics gauges", every, stop, || async {
        let now = clock.now();
        let figures = gauges::read(&db, now).await?;
        for status in ["queued", "sending", "sent", "failed"] {
            let n = figures
                .outbox
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            metrics::gauge!("glassbox_outbox_messages", "status" => status).set(n as f64);
        }
        let waiting = figures
            .oldest_due
            .map_or(0.0, |due| (now - due).as_seconds_f64().max(0.0));
        metrics::gauge!("glassbox_outbox_oldest_due_seconds").set(waiting);
        metrics::gauge!("glassbox_sessions").set(figures.sessions as f64);
        metrics::gauge!("glassbox_dovecot_kicks_pending").set(figures.kicks_pending as f64);
        metrics::gauge!("glassbox_legal_holds_sealed").set(figures.holds_sealed as f64);
        metrics::gauge!("glassbox_legal_holds_due").set(figures.holds_due as f64);
        metrics::gauge!("glassbox_log_size").set(figures.newest_checkpoint_size as f64);
        let age = figures
            .newest_checkpoint_at
            .map_or(0.0, |at| (now - at).as_seconds_f64().max(0.0));
        metrics::gauge!("glassbox_log_checkpoint_age_seconds").set(age);
        Ok::<(), sqlx::Error>(())
    })
    .await
}
