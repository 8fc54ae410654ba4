//! `cargo xtask dist`: the Debian packages an operator installs, built with
//! cargo-deb into `target/dist/`.
//!
//! * `mimamori-box` for arm64 (the box is a Raspberry Pi), cross-compiled
//!   with Debian's `gcc-aarch64-linux-gnu`;
//! * `mimamori-center` for amd64 and arm64.
//!
//! Package contents are described in each crate's
//! `[package.metadata.deb]`; the files they ship are under `deploy/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::{cargo, debian, run_checked, workspace_root};

/// The cargo-deb release the packages are built with.
pub(crate) const CARGO_DEB_VERSION: &str = "3.6.0";

/// Options of `cargo xtask dist`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only these Debian architectures (amd64, arm64); default both.
    #[arg(long = "arch", value_parser = ["amd64", "arm64"])]
    arch: Vec<String>,
}

/// A Debian architecture and the Rust target that builds for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    /// Debian's name: `amd64`, `arm64`.
    pub(crate) arch: &'static str,
    /// Rust's target triple.
    pub(crate) triple: &'static str,
}

pub(crate) const AMD64: Target = Target {
    arch: "amd64",
    triple: "x86_64-unknown-linux-gnu",
};

pub(crate) const ARM64: Target = Target {
    arch: "arm64",
    triple: "aarch64-unknown-linux-gnu",
};

/// A package: the crate that builds it, its Debian name, where it goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Package {
    /// The cargo package (`-p`).
    pub(crate) krate: &'static str,
    /// The Debian package's name.
    pub(crate) name: &'static str,
    /// The architectures it is built for by `cargo xtask dist`.
    pub(crate) targets: &'static [Target],
}

pub(crate) const BOX: Package = Package {
    krate: "mimamori-daemon",
    name: "mimamori-box",
    targets: &[ARM64],
};

pub(crate) const CENTER: Package = Package {
    krate: "mimamori-center",
    name: "mimamori-center",
    targets: &[AMD64, ARM64],
};

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let wanted =
        |target: &Target| args.arch.is_empty() || args.arch.iter().any(|a| a == target.arch);
    let out = target_dir().join("dist");
    ensure_cargo_deb()?;
    let mut built = Vec::new();
    for package in [BOX, CENTER] {
        for target in package.targets.iter().filter(|t| wanted(t)) {
            ensure_target(*target)?;
            built.push(build(package, *target, &out)?);
        }
    }
    if built.is_empty() {
        bail!("nothing to build for --arch {}", args.arch.join(","));
    }
    println!("packages in {}:", out.display());
    for deb in built {
        println!("  {}", deb.display());
    }
    Ok(())
}

/// Where cargo puts its output: `CARGO_TARGET_DIR`, or `target/`.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// Installs the pinned cargo-deb (and dpkg-dev, which it needs for
/// `$auto` dependencies) when missing.
pub(crate) fn ensure_cargo_deb() -> anyhow::Result<()> {
    debian::ensure(&["dpkg-dev"])?;
    let version = cargo()
        .args(["deb", "--version"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let want = format!("cargo-deb {CARGO_DEB_VERSION}");
    if version.as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    run_checked(
        cargo().args([
            "install",
            "cargo-deb",
            "--locked",
            "--version",
            CARGO_DEB_VERSION,
        ]),
        &format!("cargo install cargo-deb {CARGO_DEB_VERSION} (found: {version:?})"),
    )
}

/// Whether the workspace links the PC/SC library (the `pcsc` crate): then
/// a cross build needs the target's `libpcsclite-dev`.
fn links_pcsclite() -> anyhow::Result<bool> {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock"))
        .context("reading Cargo.lock")?;
    Ok(lock
        .lines()
        .any(|line| line.trim() == "name = \"pcsc-sys\""))
}

/// Makes a cross build for `target` possible: the Rust target, the C cross
/// compiler (SQLite is compiled in), the target's libc and, when the daemon
/// links PC/SC, the target's libpcsclite through Debian multiarch.
pub(crate) fn ensure_target(target: Target) -> anyhow::Result<()> {
    if target == AMD64 {
        return Ok(());
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup target list")?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == target.triple)
    {
        run_checked(
            Command::new("rustup").args(["target", "add", target.triple]),
            &format!("rustup target add {}", target.triple),
        )?;
    }
    debian::ensure(&["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"])?;
    // The target's own libc through multiarch: dpkg-shlibdeps reads the
    // package's `Depends: libc6 (>= …)` from it (without it, the cross
    // libc yields an arch-qualified `libc6:arm64`).
    let foreign = Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .output()
        .context("running dpkg --print-foreign-architectures")?;
    if !String::from_utf8_lossy(&foreign.stdout)
        .lines()
        .any(|a| a.trim() == target.arch)
    {
        run_checked(
            Command::new("dpkg").args(["--add-architecture", target.arch]),
            &format!("dpkg --add-architecture {}", target.arch),
        )?;
    }
    let mut packages = vec![format!("libc6:{}", target.arch)];
    if links_pcsclite()? {
        packages.push(format!("libpcsclite-dev:{}", target.arch));
    }
    debian::ensure(&packages.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The environment of a cross build for `target`.
fn cross_env(command: &mut Command, target: Target) {
    if target == ARM64 {
        command
            .env(
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
                "aarch64-linux-gnu-gcc",
            )
            .env("CC_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-gcc")
            .env("AR_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-ar")
            .env("PKG_CONFIG_ALLOW_CROSS", "1")
            .env(
                "PKG_CONFIG_LIBDIR",
                "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig",
            );
    }
}

/// Builds one package (release profile) into `out`, returning its path.
pub(crate) fn build(package: Package, target: Target, out: &Path) -> anyhow::Result<PathBuf> {
    let mut command = cargo();
    command.args([
        "deb",
        "-p",
        package.krate,
        "--locked",
        "--target",
        target.triple,
    ]);
    command.arg("-o").arg(out);
    cross_env(&mut command, target);
    deb_command(
        &mut command,
        &format!("{} for {}", package.name, target.arch),
    )
}

/// Runs a `cargo deb` command, returning the path of the package it made
/// (the last line of its output).
pub(crate) fn deb_command(command: &mut Command, what: &str) -> anyhow::Result<PathBuf> {
    eprintln!("xtask: cargo deb: {what}");
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running cargo deb ({what})"))?;
    if !output.status.success() {
        bail!("cargo deb failed for {what} ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout
        .lines()
        .rev()
        .find(|l| l.trim_end().ends_with(".deb"))
        .with_context(|| format!("cargo deb ({what}) named no package: {stdout}"))?;
    let path = PathBuf::from(path.trim());
    Ok(if path.is_absolute() {
        path
    } else {
        workspace_root().join(path)
    })
}
