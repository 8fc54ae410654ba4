//! `mimamorid`, the daemon on the set-top box.
//!
//! It will drive the remote-control UI on the TV, log residents in by card,
//! keep every check-in in a local outbox and sync it to the center. Today it
//! renders the TV screens for review and checks sync responses.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use mimamori_protocol::{SyncResponse, decode};
use mimamori_remote_ui::{Renderer, sample};

/// The Mimamori set-top box daemon.
#[derive(Debug, Parser)]
#[command(name = "mimamorid", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Renders a TV screen with sample data to a PNG file.
    Render {
        /// The screen's name (`--screen list` prints them).
        #[arg(long)]
        screen: String,
        /// Frame size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1920x1080")]
        size: String,
        /// Where to write the PNG.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Checks a sync response (JSON on stdin) as the box would read it.
    CheckResponse,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Render { screen, size, out } => render(&screen, &size, out),
        Command::CheckResponse => check_response(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mimamorid: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn render(name: &str, size: &str, out: Option<PathBuf>) -> anyhow::Result<()> {
    if name == "list" {
        for screen in sample::SCREENS {
            println!("{screen}");
        }
        return Ok(());
    }
    let Some(app) = sample::screen(name) else {
        bail!("no screen `{name}`; one of: {}", sample::SCREENS.join(", "));
    };
    let (width, height) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|&(w, h)| (320..=3840).contains(&w) && (240..=2160).contains(&h))
        .with_context(|| {
            format!("--size {size}: expected WIDTHxHEIGHT such as 1920x1080 or 1280x720")
        })?;
    let Some(out) = out else {
        bail!("--out FILE.png is required");
    };
    let mut renderer = Renderer::system()?;
    let frame = renderer.render(&app.screen(), width, height);
    let png = frame.to_png().context("encoding the PNG")?;
    std::fs::write(&out, png).with_context(|| format!("writing {}", out.display()))?;
    println!("{name}: {width}x{height} written to {}", out.display());
    Ok(())
}

fn check_response() -> anyhow::Result<()> {
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body)?;
    let response: SyncResponse = decode(&body)?;
    println!(
        "valid sync response: {} acked, {} rejected, server time {}",
        response.acked.len(),
        response.rejected.len(),
        response.server_time
    );
    Ok(())
}
