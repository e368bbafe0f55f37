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
    /// Write a consistent copy of the (SQLite) database to FILE, while Glassbox runs.
    Backup {
        /// The new file (never overwritten).
        file: std::path::PathBuf,
    },
    /// Put a backup back in place of the configured (SQLite) database; stop Glassbox first.
    /// Refuses a copy that is damaged, whose log does not verify, or that rolls the log back
    /// behind a checkpoint seen outside.
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
        /// A file with the last signed checkpoint someone outside saw (a witness, an
        /// owner's browser, `curl …/log/checkpoint`): the backup must contain it.
        #[arg(long)]
        seen: Option<std::path::PathBuf>,
        /// Restore even if the backup rolls the log back (read the README first).
        #[arg(long)]
        accept_rollback: bool,
    },
    /// Verify the access log (exit code 0: verified, 1: verification failed, 2: could not check).
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// The log's signing key.
    #[command(subcommand)]
    Log(LogCommand),
    /// Run a witness: cosign a log's checkpoints only if each is consistent with the last
    /// (C2SP tlog-witness). Needs no Glassbox configuration or database.
    #[command(subcommand)]
    Witness(WitnessCommand),
}

/// `glassbox witness …`.
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Make a new witness key file (mode 0600; never overwrites one) and print its public key.
    Keygen {
        /// The witness's name, e.g. `witness.example.org/w1` (no spaces or '+').
        #[arg(long)]
        name: String,
        /// The key file to make.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Serve `POST /add-checkpoint` until stopped.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: std::net::SocketAddr,
        /// The witness key file (from `glassbox witness keygen`).
        #[arg(long)]
        key: std::path::PathBuf,
        /// Where the latest cosigned checkpoint of each log is kept (made if missing).
        #[arg(long)]
        state: std::path::PathBuf,
        /// A log to witness, by its verifier key (as `/log/key` lists it); repeat it for
        /// several logs, or for both keys of a log that rotated its key.
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
    },
}

/// `glassbox log …`.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Make a new checkpoint signing key file (mode 0600; never overwrites one).
    Keygen {
        /// Where (default: GLASSBOX__LOG__SIGNING_KEY_FILE, or log-signing.key in the data dir).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Replace the signing key with a new one of the same name; checkpoints signed by the
    /// old key still verify (its public key stays listed at /log/key). Restart the server
    /// afterwards.
    RotateKey,
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

/// The witnesses a verification requires (C2SP tlog-cosignature).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WitnessArgs {
    /// A witness whose cosignature counts (its verifier key, `<name>+<id>+<key>`); repeat
    /// it for each. Without any, the witnesses the log names at `/log/witnesses` are used
    /// (and said so).
    #[arg(long = "witness")]
    pub witness: Vec<String>,
    /// How many of the witnesses must have cosigned (default: a majority).
    #[arg(long)]
    pub quorum: Option<usize>,
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
        #[command(flatten)]
        witnesses: WitnessArgs,
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
        #[command(flatten)]
        witnesses: WitnessArgs,
    },
    /// Check an owner's export offline (the `.json` proof file or the `.zip` holding it):
    /// the checkpoint's signature, each event's entry and inclusion proof, and that no
    /// event was removed or added. Names the log index of each event that fails.
    Export {
        /// The export file (`glassbox-access-history.json` or `.zip`).
        file: std::path::PathBuf,
        /// The log's verifier key (`<name>+<id>+<key>`, as `/log/key` serves it), one a
        /// line for several; without it the key inside the file is used, which shows only
        /// that the file is consistent.
        #[arg(long)]
        key: Option<String>,
        /// Witnesses whose cosignatures of the file's checkpoint are required (offline: only
        /// those given count).
        #[command(flatten)]
        witnesses: WitnessArgs,
    },
    /// Check a notice released after a legal hold (the file `/me/notices/{id}.json`
    /// downloads): the notice gives the commitment of each of its steps, and each step is in
    /// the log's latest signed checkpoint.
    Notice {
        /// The notice file.
        file: std::path::PathBuf,
        /// The Glassbox instance, e.g. `https://glassbox.example.org`.
        #[arg(long)]
        url: String,
        /// The log's verifier key (`<name>+<id>+<key>`); without it the log's own is used.
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        witnesses: WitnessArgs,
    },
    /// Audit the whole log from its C2SP tlog-tiles alone: fetch the signed checkpoint and
    /// every hash tile of its size, check each upper tile against the tiles below it and
    /// recompute the signed root from the leaf hashes. No proof endpoint and no database.
    Tiles {
        /// The Glassbox instance, e.g. `https://glassbox.example.org`.
        url: String,
        /// The log's verifier key (`<name>+<id>+<key>`); without it the log's own is used.
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        witnesses: WitnessArgs,
    },
    /// Check every log entry (access events, request changes and staff changes) in the configured database
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
