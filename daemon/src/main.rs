//! `mimamorid`, the daemon on the set-top box.
//!
//! `mimamorid run --config /etc/mimamori/box.toml` drives the
//! remote-control UI on the TV (framebuffer, or a virtual TV page), keeps
//! every check-in in the box's outbox and syncs it with the center; with a
//! `[station]` section it runs a tap station instead.
//! `render` draws any screen to a PNG; `check-response` checks a center's
//! answer.

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
    /// Runs the box.
    Run {
        /// The configuration file.
        #[arg(long, default_value = "/etc/mimamori/box.toml")]
        config: PathBuf,
    },
    /// Renders a TV (or tap station) screen with sample data to a PNG file.
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
    /// The card reader: probe, login, enroll (JSON output).
    #[command(subcommand)]
    Card(mimamori_daemon::card::cli::CardCommand),
}

fn main() -> ExitCode {
    mimamori_daemon::logging::init();
    let result = match Cli::parse().command {
        Command::Run { config } => run(&config),
        Command::Render { screen, size, out } => render(&screen, &size, out),
        Command::CheckResponse => check_response(),
        Command::Card(command) => return card(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mimamorid: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &std::path::Path) -> anyhow::Result<()> {
    let config = mimamori_daemon::config::Config::load(path)
        .with_context(|| format!("configuration {}", path.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(mimamori_daemon::runtime::run(config, shutdown_signal()))
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

fn card(command: mimamori_daemon::card::cli::CardCommand) -> ExitCode {
    match mimamori_daemon::card::cli::run(command) {
        Ok(outcome) => {
            println!("{}", outcome.output);
            ExitCode::from(outcome.code)
        }
        Err(error) => {
            eprintln!("mimamorid card: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn render(name: &str, size: &str, out: Option<PathBuf>) -> anyhow::Result<()> {
    if name == "list" {
        for screen in sample::SCREENS.iter().chain(sample::STATION_SCREENS) {
            println!("{screen}");
        }
        return Ok(());
    }
    let Some(screen) = sample::screen(name)
        .map(|app| app.screen())
        .or_else(|| sample::station_screen(name))
    else {
        bail!(
            "no screen `{name}`; one of: {}, {}",
            sample::SCREENS.join(", "),
            sample::STATION_SCREENS.join(", ")
        );
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
    let frame = renderer.render(&screen, width, height);
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
