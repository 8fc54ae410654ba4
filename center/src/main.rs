//! `mimamori-center`, the municipal center.
//!
//! It will take check-ins from boxes, notice when they stop or decline,
//! open alerts for the nurses and mail families. Today it offers the
//! protocol tools that operators and the tests need.

use std::io::Read as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mimamori_protocol::{SyncRequest, decode};

/// The Mimamori center.
#[derive(Debug, Parser)]
#[command(name = "mimamori-center", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks a box's sync request (JSON on stdin) as the center would read
    /// it, naming the field when something is wrong.
    CheckRequest,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckRequest => match check_request() {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("mimamori-center: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn check_request() -> anyhow::Result<String> {
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body)?;
    let request: SyncRequest = decode(&body)?;
    Ok(format!(
        "valid sync request from {}: {} events",
        request.device_id,
        request.events.len()
    ))
}
