//! Builds the whole application from [`Settings`]: database and migrations, session store,
//! router, background jobs. Tests call [`Application::build`] with port 0 and their own
//! database, exactly as `main` does.

use crate::auth::routes::load_viewer;
use crate::auth::store::SessionBackend;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::email::Mailer;
use crate::http::security;
use crate::jobs;
use crate::oidc::OidcProvider;
use crate::portal::PortalService;
use crate::rate_limit::RateLimiter;
use crate::services::tokens::KnownTokens;
use crate::state::{AppState, Shared};
use crate::transparency::checkpoints;
use crate::transparency::tree_cache::{CacheCapacity, TreeCache};
use crate::transparency::writer::{self, LogWriterTask};
use anyhow::Context as _;
use app::api::port::Portal;
use app::{shell, App};
use axum::http::StatusCode;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// A built, bound, not yet running application.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
    sessions: SessionBackend,
    log_writer: LogWriterTask,
}

impl Application {
    /// Connects, migrates and binds. `clock` is the system clock outside tests.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let db = Db::connect(&settings.database_url(), settings.database.max_connections).await?;
        db.migrate().await?;
        Self::build_with_db(settings, clock, db).await
    }

    /// As [`Application::build`], on an already connected and migrated database.
    pub async fn build_with_db(settings: Settings, clock: Clock, db: Db) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let sessions = SessionBackend::for_db(&db)
            .await
            .context("could not prepare the session table")?;
        let listener = TcpListener::bind(settings.http.bind)
            .await
            .with_context(|| {
                format!(
                    "could not listen on {} (GLASSBOX__HTTP__BIND)",
                    settings.http.bind
                )
            })?;
        let addr = listener.local_addr()?;
        let metrics_listener = match settings.metrics.bind {
            Some(bind) => Some(TcpListener::bind(bind).await.with_context(|| {
                format!("could not listen on {bind} (GLASSBOX__METRICS__BIND)")
            })?),
            None => None,
        };
        let leptos_options = crate::http::assets::leptos_options(&settings.http.site_root, addr);
        let tree = Arc::new(TreeCache::new(
            db.clone(),
            CacheCapacity::from_megabytes(settings.log.proof_cache_mb),
        ));
        let portal: Arc<dyn Portal> = Arc::new(PortalService::new(
            db.clone(),
            clock.clone(),
            settings.clone(),
            tree.clone(),
        ));
        let api_limiter = Arc::new(RateLimiter::per_second(
            settings.api.rate_limit_per_second,
            settings.api.rate_limit_burst,
        ));
        let receipts_limiter = Arc::new(RateLimiter::per_second(
            settings.api.receipts_rate_limit_per_second,
            settings.api.receipts_rate_limit_burst,
        ));
        let owner_oidc = match &settings.auth.oidc {
            Some(o) => Some(Arc::new(OidcProvider::new(
                o.clone(),
                &settings.public_url,
            )?)),
            None => None,
        };
        let staff_oidc = match &settings.auth.staff_oidc {
            Some(o) => Some(Arc::new(OidcProvider::new(
                o.clone(),
                &settings.public_url,
            )?)),
            None => owner_oidc.clone(),
        };
        // The log: its key (made on first start), events written without the writer entered,
        // and a checkpoint of the tree as it is, before anything is served.
        let log_signer =
            Arc::new(crate::transparency::keys::load_log_signer(&db, &clock, &settings).await?);
        let (log, mut log_writer) =
            writer::log_writer(db.clone(), clock.clone(), &settings.log, tree.clone());
        log_writer
            .enter_backlog()
            .await
            .context("could not enter earlier events into the access log")?;
        checkpoints::sign_checkpoint(&*tree, &clock, &*log_signer)
            .await
            .context("could not sign the access log's checkpoint")?;
        let witnesses = Arc::new(crate::transparency::witnesses::Witnesses::from_settings(
            &settings.log,
        )?);
        let sign_in_limiter = Arc::new(RateLimiter::per_minute(
            settings.auth.sign_in_per_minute,
            10,
        ));
        let email_link_limiter = Arc::new(RateLimiter::per_minute(
            settings.auth.email_link_per_minute,
            20,
        ));
        let mailer = Mailer::from_settings(&settings.email)?;
        let passkeys = match crate::services::passkeys::RelyingParty::from_settings(&settings) {
            Ok(rp) => Some(Arc::new(rp)),
            Err(why) if settings.staff.require_passkey => {
                anyhow::bail!("GLASSBOX__STAFF__REQUIRE_PASSKEY is on, but {why}")
            }
            Err(why) => {
                tracing::warn!(reason = %why, "passkeys are off: staff sign in with TOTP, and the actions that need a passkey cannot be done");
                None
            }
        };
        let state = AppState::new(Shared {
            passkeys,
            mailer,
            leptos_options: Arc::new(leptos_options),
            db,
            settings,
            clock,
            portal,
            api_limiter,
            receipts_limiter,
            owner_oidc,
            staff_oidc,
            sign_in_limiter,
            email_link_limiter,
            log,
            log_signer,
            witnesses,
            tree,
            tokens: Arc::new(KnownTokens::new()),
        });
        let router = router(state.clone(), sessions.clone());
        Ok(Self {
            listener,
            metrics_listener,
            router,
            state,
            sessions,
            log_writer,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.settings.http.bind)
    }

    /// The metrics endpoint's address, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// The database (tests inspect it).
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests and stops the jobs.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (tx, rx) = watch::channel(false);
        let cleanup = tokio::spawn(jobs::session_cleanup::run_until_stopped(
            self.sessions.clone(),
            Duration::from_secs(self.state.settings.session.cleanup_interval_seconds.max(1)),
            rx,
        ));
        let sweeper = tokio::spawn(jobs::expiry::run_until_stopped(
            self.state.db.clone(),
            self.state.clock.clone(),
            self.state.settings.clone(),
            Duration::from_secs(self.state.settings.requests.sweep_interval_seconds.max(1)),
            tx.subscribe(),
        ));
        let limits = tokio::spawn(jobs::rate_limits::run_until_stopped(
            self.state.clone(),
            Duration::from_secs(30),
            tx.subscribe(),
        ));
        let addr = self.addr();
        let metrics = match (self.metrics_listener, crate::metrics::handle()) {
            (Some(listener), Some(handle)) => Some((
                tokio::spawn(crate::metrics::serve(listener, handle, tx.subscribe())),
                tokio::spawn(crate::metrics::run_gauges(
                    self.state.db.clone(),
                    self.state.clock.clone(),
                    Duration::from_secs(5),
                    tx.subscribe(),
                )),
            )),
            _ => None,
        };
        let writer = tokio::spawn(self.log_writer.run_until_stopped(tx.subscribe()));
        let signer = tokio::spawn(jobs::checkpoints::run_until_stopped(
            self.state.tree.clone(),
            self.state.clock.clone(),
            self.state.log_signer.clone(),
            Duration::from_millis(self.state.settings.log.checkpoint_interval_ms.max(10)),
            tx.subscribe(),
        ));
        let witnessing = (!self.state.witnesses.is_empty()).then(|| {
            tokio::spawn(jobs::witnesses::run_until_stopped(
                self.state.tree.clone(),
                self.state.witnesses.clone(),
                Duration::from_secs(self.state.settings.log.witness_interval_seconds.max(1)),
                tx.subscribe(),
            ))
        });
        let incident_notices = tokio::spawn(jobs::incident_notices::run_until_stopped(
            self.state.db.clone(),
            self.state.clock.clone(),
            self.state.settings.clone(),
            Duration::from_secs(2),
            tx.subscribe(),
        ));
        let notices = tokio::spawn(jobs::notices::run_until_stopped(
            self.state.db.clone(),
            self.state.clock.clone(),
            self.state.settings.clone(),
            Duration::from_secs(self.state.settings.email.notice_interval_seconds.max(1)),
            tx.subscribe(),
        ));
        let kicks = tokio::spawn(jobs::imap_kicks::run_until_stopped(
            self.state.db.clone(),
            self.state.clock.clone(),
            self.state.settings.clone(),
            tx.subscribe(),
        ));
        let sender = self.state.settings.email.send.then(|| {
            tokio::spawn(jobs::outbox::run_until_stopped(
                self.state.db.clone(),
                self.state.mailer.clone(),
                self.state.clock.clone(),
                self.state.settings.email.clone(),
                tx.subscribe(),
            ))
        });
        tracing::info!(http.addr = %addr, "Glassbox is listening on http://{}", addr);
        crate::http::server::serve(self.listener, self.router, &self.state.settings.http, stop)
            .await
            .context("the HTTP server failed")?;
        let _ = tx.send(true);
        let _ = cleanup.await;
        let _ = limits.await;
        if let Some((endpoint, gauges)) = metrics {
            let _ = endpoint.await;
            let _ = gauges.await;
        }
        let _ = sweeper.await;
        let _ = writer.await;
        let _ = signer.await;
        if let Some(w) = witnessing {
            let _ = w.await;
        }
        let _ = notices.await;
        let _ = incident_notices.await;
        let _ = kicks.await;
        if let Some(sender) = sender {
            let _ = sender.await;
        }
        self.state.db.close().await;
        tracing::info!("Glassbox stopped");
        Ok(())
    }
}

/// The app's route list, generated once per process. Generating it runs the app with
/// resource loading suppressed through a process-global flag (leptos issue #4773): a page
/// rendered by another `Application` in the same process at that moment would hang. The
/// list only depends on the code, so it is computed once, before anything serves.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole router. Routes that need no cookie (health, the public log, assets, the
/// bearer-token API, one-click unsubscribe) are mounted apart from the cookie session; only
/// the cookie-session router carries the session, the viewer and the CSRF guard, so the
/// guard needs no path exceptions and the API pays for none of those layers.
fn router(state: AppState, sessions: SessionBackend) -> Router {
    let settings = state.settings.clone();
    let routes = route_list();
    let portal = state.portal.clone();
    let context = move || provide_context(portal.clone());
    let leptos_options = (*state.leptos_options).clone();

    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("glassbox_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            settings.session.owner_idle_minutes,
        )));

    let with_cookies = Router::new()
        .merge(crate::auth::routes(state.clone()))
        .merge(crate::http::session_routes(state.clone()))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(leptos_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn(security::server_fn_status))
        .layer(axum::middleware::from_fn(security::no_store))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            load_viewer,
        ))
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::csrf_guard,
        ));

    Router::new()
        .merge(crate::http::public_routes(&state))
        .merge(crate::api::routes(state.clone()))
        .merge(with_cookies)
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::host_guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::security_headers))
        .layer(RequestBodyLimitLayer::new(settings.http.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.http.request_timeout_seconds),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let request_id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("http", http.method = %req.method(), http.path = %crate::telemetry::loggable_path(req.uri().path()), request.id = %request_id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .route_layer(axum::middleware::from_fn(crate::metrics::track_http))
        .with_state(state)
}

/// Resolves on Ctrl-C or SIGTERM: when a server (the portal or a witness) should stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
