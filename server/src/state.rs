//! What every handler shares: one [`AppState`] (an `Arc`), built by
//! [`crate::startup::Application::build`]. It imports only what it holds, never a handler,
//! so routes can import it without a circle.

use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::email::Mailer;
use crate::oidc::OidcProvider;
use crate::rate_limit::RateLimiter;
use crate::services::tokens::KnownTokens;
use crate::transparency::tree_cache::TreeCache;
use crate::transparency::writer::LogWriter;
use app::api::port::Portal;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// What every handler can reach: [`Shared`] behind one `Arc`. axum clones the state for
/// every middleware layer of every request; cloning the fields one by one (a dozen reference
/// counts, the mailer's owned strings) cost ~6 % of B3's CPU in the profile.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps the shared parts.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The contents of [`AppState`].
pub struct Shared {
    /// Leptos' options (bundle name, site root). Behind an `Arc`: axum clones the state for
    /// every middleware layer of every request, and `LeptosOptions` owns several strings.
    pub leptos_options: Arc<LeptosOptions>,
    /// The database.
    pub db: Db,
    /// The configuration.
    pub settings: Arc<Settings>,
    /// The clock.
    pub clock: Clock,
    /// The UI's port into the domain.
    pub portal: Arc<dyn Portal>,
    /// Per-service-token rate limits of the API.
    pub api_limiter: Arc<RateLimiter<uuid::Uuid>>,
    /// Per-service-token rate limits of the IMAP receipts, apart from the rest of the API.
    pub receipts_limiter: Arc<RateLimiter<uuid::Uuid>>,
    /// Per-client-address rate limits of the sign-in routes.
    pub sign_in_limiter: Arc<RateLimiter<std::net::IpAddr>>,
    /// Per-client-address rate limits of the pages email links open.
    pub email_link_limiter: Arc<RateLimiter<std::net::IpAddr>>,
    /// The owners' OpenID Connect provider, when configured.
    pub owner_oidc: Option<Arc<OidcProvider>>,
    /// The staff OpenID Connect provider (the owners' one unless configured apart).
    pub staff_oidc: Option<Arc<OidcProvider>>,
    /// Sends outbox rows (only the sender job calls it).
    pub mailer: Mailer,
    /// The log writer: checks are decided and recorded through it (group commit).
    pub log: LogWriter,
    /// Signs the log's checkpoints.
    pub log_signer: Arc<crate::transparency::signer::LogSigner>,
    /// The log's witnesses and the k-of-n rule verifiers apply (empty: none configured).
    pub witnesses: Arc<crate::transparency::witnesses::Witnesses>,
    /// Service tokens seen live, by hash (the access check's authentication).
    pub tokens: Arc<KnownTokens>,
    /// Glassbox as a WebAuthn relying party; `None` when passkeys cannot work at the public
    /// URL (an address, not a host name, outside the local demo).
    pub passkeys: Option<Arc<crate::services::passkeys::RelyingParty>>,
    /// The log's stored Merkle hashes in memory: fed by the log writer after each commit,
    /// read by the proof routes, the owners' page proofs and the checkpoint job.
    pub tree: Arc<TreeCache>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}
