//! The `glassbox` binary: parse the command line and run it; the commands live in
//! [`glassbox::cli`].

use clap::Parser;
use glassbox::cli::{self, Cli};
use glassbox::telemetry;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    cli::run(Cli::parse()).await
}
