//! The `glassbox` command line.

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
}
