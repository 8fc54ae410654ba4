//! `cargo xtask cross`: the box daemon for the Raspberry Pi
//! (`aarch64-unknown-linux-gnu`, 64-bit Raspberry Pi OS / Debian arm64) with
//! the `pi` feature, built on a Debian 12 x86-64 machine.
//!
//! It installs what the cross build needs: the Rust target (rustup),
//! Debian's cross linker `gcc-aarch64-linux-gnu` (also the C compiler that
//! crates with C inside, such as `ring`, use for the target), and — once the
//! daemon links the PC/SC library through the `pcsc` crate —
//! `libpcsclite-dev:arm64` by multiarch, with pkg-config pointed at the
//! arm64 libraries. `.cargo/config.toml` names the linker.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::{cargo, debian, run_checked, workspace_root};

/// The Pi's target triple.
pub(crate) const TARGET: &str = "aarch64-unknown-linux-gnu";

/// Debian packages every cross build needs.
pub(crate) const PACKAGES: &[&str] = &[
    "gcc-aarch64-linux-gnu",
    "libc6-dev-arm64-cross",
    "pkg-config",
];

/// Options of `cargo xtask cross`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Build with the release profile (what goes on a box).
    #[arg(long)]
    release: bool,
    /// Also build the hardware test binary for the Pi (deploy/hw-tests.md).
    #[arg(long)]
    hw_tests: bool,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    prepare()?;
    let mut build = cross_cargo();
    build.args([
        "build",
        "--locked",
        "--target",
        TARGET,
        "-p",
        "mimamori-daemon",
        "--features",
        "pi",
    ]);
    if args.release {
        build.arg("--release");
    }
    run_checked(&mut build, "cargo build (aarch64, pi)")?;
    let profile = if args.release { "release" } else { "debug" };
    let binary = target_dir().join(TARGET).join(profile).join("mimamorid");
    check_aarch64(&binary)?;
    println!("mimamorid for the Pi: {}", binary.display());
    if args.hw_tests {
        let mut tests = cross_cargo();
        tests.args([
            "test",
            "--locked",
            "--no-run",
            "--target",
            TARGET,
            "-p",
            "mimamori-hw-tests",
            "--features",
            "pi",
            "--test",
            "pi",
        ]);
        if args.release {
            tests.arg("--release");
        }
        run_checked(&mut tests, "cargo test --no-run (aarch64, hw-tests)")?;
        println!(
            "hardware tests for the Pi: {}/deps/pi-* (see deploy/hw-tests.md)",
            target_dir().join(TARGET).join(profile).display()
        );
    }
    Ok(())
}

/// `cargo check` of the daemon for the Pi with the `pi` feature: what
/// `cargo xtask test` runs so that the Pi build cannot silently break.
pub(crate) fn check() -> anyhow::Result<()> {
    prepare()?;
    run_checked(
        cross_cargo().args([
            "check",
            "--locked",
            "--target",
            TARGET,
            "-p",
            "mimamori-daemon",
            "--features",
            "pi",
            "--all-targets",
        ]),
        "cargo check --target aarch64-unknown-linux-gnu -p mimamori-daemon --features pi",
    )
}

/// Installs the Rust target and the Debian packages.
fn prepare() -> anyhow::Result<()> {
    debian::ensure(PACKAGES)?;
    if links_pcsc()? {
        ensure_arm64_architecture()?;
        debian::ensure(&["libpcsclite-dev:arm64"])?;
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (needed to add the aarch64 target)")?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        run_checked(
            Command::new("rustup").args(["target", "add", TARGET]),
            "rustup target add aarch64-unknown-linux-gnu",
        )?;
    }
    Ok(())
}

/// Whether the daemon depends on the `pcsc` crate (libpcsclite).
fn links_pcsc() -> anyhow::Result<bool> {
    let manifest = workspace_root().join("daemon/Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    Ok(text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("pcsc ") || l.starts_with("pcsc=") || l.starts_with("pcsc.")
    }))
}

/// `dpkg --add-architecture arm64` (and `apt-get update`) when missing.
fn ensure_arm64_architecture() -> anyhow::Result<()> {
    let foreign = Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .stderr(Stdio::null())
        .output()
        .context("running dpkg")?;
    if String::from_utf8_lossy(&foreign.stdout)
        .lines()
        .any(|l| l.trim() == "arm64")
    {
        return Ok(());
    }
    run_checked(
        Command::new("dpkg").args(["--add-architecture", "arm64"]),
        "dpkg --add-architecture arm64",
    )?;
    run_checked(
        Command::new("apt-get").args(["-o", "DPkg::Lock::Timeout=300", "update", "-q"]),
        "apt-get update (arm64 added)",
    )
}

/// Cargo with pkg-config pointed at the arm64 libraries.
fn cross_cargo() -> Command {
    let mut command = cargo();
    command
        .env("PKG_CONFIG_ALLOW_CROSS", "1")
        .env(
            "PKG_CONFIG_LIBDIR",
            "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig",
        )
        .env("CC_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-gcc")
        .env("AR_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-ar");
    command
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Fails unless `binary` is a 64-bit ARM ELF executable.
fn check_aarch64(binary: &std::path::Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let is_elf64 = bytes.len() > 20 && bytes.starts_with(b"\x7fELF") && bytes[4] == 2;
    let machine = bytes.get(18..20).map(|m| u16::from_le_bytes([m[0], m[1]]));
    if !is_elf64 || machine != Some(183) {
        bail!(
            "{} is not a 64-bit ARM executable (ELF machine {machine:?})",
            binary.display()
        );
    }
    Ok(())
}
