//! `cargo xtask`: the project's own build tasks, in Rust so that they run
//! wherever cargo does.
//!
//! * `cargo xtask test` — installs the Debian packages the tests need (as
//!   root, with `apt-get`), starts the services they need, checks formatting
//!   and lints, runs every test, checks the Debian packages (built for
//!   amd64 and installed into a scratch Debian root), and ends with one
//!   summary line.
//! * `cargo xtask demo` — runs the whole system on one machine (center, box
//!   with the virtual TV, dashboard, a local mailbox) and prints where to
//!   look; `--advance 3d` moves the running demo's clock, `--walk` walks
//!   through it over HTTP.
//! * `cargo xtask dist` — builds the Debian packages (`mimamori-box` for
//!   arm64, `mimamori-center` for amd64 and arm64) into `target/dist/`.
//! * `cargo xtask cross` — builds the box daemon for the Raspberry Pi
//!   (aarch64, `pi` feature).

mod cross;
mod debian;
mod demo;
mod dist;
mod packages;
mod scratch;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Mimamori's build tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Installs what the tests need, then runs fmt, clippy and every test.
    Test(test::Args),
    /// Runs the whole system on this machine and prints where to look.
    Demo(demo::Args),
    /// Builds the Debian packages into target/dist/.
    Dist(dist::Args),
    /// Builds the box daemon for the Raspberry Pi (aarch64, `pi` feature).
    Cross(cross::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Test(args) => test::run(&args),
        Task::Demo(args) => demo::run(&args),
        Task::Dist(args) => dist::run(&args),
        Task::Cross(args) => cross::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root, where `cargo xtask` commands run.
fn workspace_root() -> std::path::PathBuf {
    let manifest_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// `cargo`, as the one that started us.
fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(workspace_root());
    command
}

/// Runs a command to completion, failing with its name when it fails.
fn run_checked(command: &mut std::process::Command, what: &str) -> anyhow::Result<()> {
    eprintln!("xtask: {what}");
    let status = command
        .status()
        .map_err(|e| anyhow::anyhow!("{what}: could not start {:?}: {e}", command.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        anyhow::bail!("{what} failed ({status})")
    }
}
