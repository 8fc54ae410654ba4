//! `mimamori-center`, the municipal center: parses the command line, starts
//! logging, runs the command, and turns its error chain into an exit code.

use std::process::ExitCode;

use clap::Parser as _;
use mimamori_center::cli::{Cli, run};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mimamori-center: {error:#}");
            ExitCode::FAILURE
        }
    }
}
