//! The `glassbox` command line: its commands and arguments (clap). What each one does is in
//! the sibling modules.

use clap::{Parser, Subcommand};

/// Glassbox: account access transparency for an email provider.
#[derive(Debug, Parser)]
#[command(name = "glassbox", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal and the API (the default).
    Serve,
    /// Seed the demo data set (once; running again changes nothing), then serve.
    Demo {
        /// Only seed; do not serve.
        #[arg(long)]
        seed_only: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration, secrets masked.
    Config,
    /// Manage staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Manage the mail system's API credentials.
    #[command(subcommand)]
    ServiceToken(ServiceTokenCommand),
    /// See and retry outgoing email.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Verify the access log (exit code 0: verified, 1: verification failed, 2: could not check).
    #[command(subcommand)]
    Verify(VerifyCommand),
}

/// `glassbox outbox …`.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// How many emails are queued, being sent, sent and failed.
    Status,
    /// The emails that were given up on (a permanent refusal or too many attempts), with why.
    Failed {
        /// How many to show, newest first.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a failed email again (after fixing its cause).
    Retry {
        /// The email's id, as `glassbox outbox failed` shows it.
        id: uuid::Uuid,
    },
}

/// `glassbox verify …`.
#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Check that an entry (an access event or a request change) is in the log's latest
    /// signed checkpoint.
    Inclusion {
        /// The Glassbox instance, e.g. `https://glassbox.example.org`.
        #[arg(long)]
        url: String,
        /// The event's log index (the `log_index` of its check, or shown in the history).
        #[arg(long)]
        index: u64,
        /// The log's verifier key (`<name>+<id>+<key>`); without it the log's own is used.
        #[arg(long)]
        key: Option<String>,
        /// The event's canonical entry (base64), to check the log holds exactly this event.
        #[arg(long, conflicts_with = "leaf_hash")]
        entry: Option<String>,
        /// Or the event's leaf hash (base64).
        #[arg(long)]
        leaf_hash: Option<String>,
    },
    /// Check that a newer checkpoint extends an older one (the log only grew).
    Consistency {
        /// A file with the older signed checkpoint (as served by `/log/checkpoint`).
        #[arg(long)]
        old: std::path::PathBuf,
        /// A file with the newer one; without it the log's current checkpoint is fetched.
        #[arg(long)]
        new: Option<std::path::PathBuf>,
        /// The Glassbox instance (needed to fetch a proof or the current checkpoint).
        #[arg(long)]
        url: Option<String>,
        /// The log's verifier key; without it the log's own is used.
        #[arg(long)]
        key: Option<String>,
    },
    /// Check every log entry (access events and request changes) in the configured database
    /// against the latest signed checkpoint
    /// and name the first index that does not match.
    Database {
        /// The log's verifier key; without it the key stored in the database is used.
        #[arg(long)]
        key: Option<String>,
    },
}

/// `glassbox service-token …`.
#[derive(Debug, Subcommand)]
pub enum ServiceTokenCommand {
    /// Create a token and print it once (only its hash is kept).
    Create {
        /// Who uses it, e.g. `mail-frontend`.
        name: String,
    },
    /// Revoke a token: calls with it are refused from now on.
    Revoke {
        /// The token's name.
        name: String,
    },
    /// List tokens (names and status, never the tokens).
    List,
}

/// `glassbox staff …`.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff member (they sign in through the staff provider, with a second factor).
    Add {
        /// Their work address, as the provider states it.
        #[arg(long)]
        email: String,
        /// `support` or `security_admin`.
        #[arg(long)]
        role: String,
        /// Their name (shown to staff only; owners see a pseudonym).
        #[arg(long)]
        name: Option<String>,
    },
    /// Disable a staff member: every session of theirs ends at once.
    Disable {
        /// Their work address.
        #[arg(long)]
        email: String,
    },
}
