//! The HTTP server loop: hyper (HTTP/1.1) with a header read timeout and a bound on open connections,
//! in place of `axum::serve`, which sets neither. A client that opens a connection and
//! sends nothing, or half a request head, is closed after `header_read_timeout_seconds`
//! (hyper starts that timer when a connection opens and again whenever it goes idle after
//! an answer), so silent clients cannot pile up; beyond `max_connections`, new clients wait
//! in the listen queue rather than cost memory. Graceful shutdown lets requests in flight
//! finish.

use crate::config::HttpSettings;
use axum::extract::connect_info::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// Serves `router` on `listener` until `stop` completes, then waits for open requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // HTTP/1.1 only: a version-sniffing (HTTP/1 or HTTP/2) connection waits for the client's
    // first bytes before any timer runs, so a silent client would never be closed. HTTP/2
    // belongs between clients and the TLS proxy in front of Glassbox.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(
            settings.header_read_timeout_seconds.max(1),
        ));
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit?,
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let app = router.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            },
        ));
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(client.addr = %peer, error = %e, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
