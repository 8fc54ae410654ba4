//! `mimamorid`, the daemon on the set-top box.
//!
//! It will drive the remote-control UI on the TV, log residents in by card,
//! keep every check-in in a local outbox and sync it to the center. Today it
//! offers the protocol tools the installer and the tests need.

use std::io::Read as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mimamori_protocol::{DecodeError, SyncResponse, decode};

/// The Mimamori set-top box daemon.
#[derive(Debug, Parser)]
#[command(name = "mimamorid", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks a sync response (JSON on stdin) as the box would read it.
    CheckResponse,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckResponse => match check_response() {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("mimamorid: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn check_response() -> anyhow::Result<String> {
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body)?;
    let response: SyncResponse = decode(&body).map_err(|e: DecodeError| anyhow::anyhow!(e))?;
    Ok(format!(
        "valid sync response: {} acked, {} rejected, server time {}",
        response.acked.len(),
        response.rejected.len(),
        response.server_time
    ))
}
